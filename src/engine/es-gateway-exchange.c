/* es-gateway-exchange.c
 *
 * NAT-PMP and PCP share this: a connected UDP socket per exchange, so the
 * kernel drops datagrams from anyone but the gateway and reports an ICMP
 * port unreachable as ECONNREFUSED, which turns a gateway without the
 * service into a fast, clear error instead of a silent wait.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsGatewayExchange"

#include "es-gateway-exchange.h"

#define MAX_ANSWER_SIZE 1100   /* RFC 6887 §7: the largest PCP message */

typedef struct
{
  GSocket *socket;
  GSource *read_source;
  GSource *resend_source;
  GSource *budget_source;
  GBytes *request;
  EsRetransmitSchedule schedule;
  guint sends;
  guint next_wait_ms;
  gboolean last_sent;
  EsGatewayAnswerFunc check;
  gpointer check_data;
  GError *last_refusal;
  char *gateway_text;
} Exchange;

static void
exchange_free (Exchange *exchange)
{
  if (exchange->read_source != NULL)
    g_source_destroy (exchange->read_source);
  if (exchange->resend_source != NULL)
    g_source_destroy (exchange->resend_source);
  if (exchange->budget_source != NULL)
    g_source_destroy (exchange->budget_source);
  g_clear_pointer (&exchange->read_source, g_source_unref);
  g_clear_pointer (&exchange->resend_source, g_source_unref);
  g_clear_pointer (&exchange->budget_source, g_source_unref);
  if (exchange->socket != NULL)
    g_socket_close (exchange->socket, NULL);
  g_clear_object (&exchange->socket);
  g_clear_pointer (&exchange->request, g_bytes_unref);
  g_clear_error (&exchange->last_refusal);
  g_free (exchange->gateway_text);
  g_free (exchange);
}

/* Stops every source at once, so nothing fires after the task returned. */
static void
stop_sources (Exchange *exchange)
{
  GSource **sources[] = { &exchange->read_source, &exchange->resend_source,
                          &exchange->budget_source };

  for (guint i = 0; i < G_N_ELEMENTS (sources); i++)
    if (*sources[i] != NULL)
      {
        g_source_destroy (*sources[i]);
        g_clear_pointer (sources[i], g_source_unref);
      }
}

static void
fail (GTask  *task,
      GError *error)
{
  Exchange *exchange = g_task_get_task_data (task);

  stop_sources (exchange);
  g_task_return_error (task, error);
  g_object_unref (task);
}

static void
fail_timed_out (GTask *task)
{
  Exchange *exchange = g_task_get_task_data (task);

  if (exchange->last_refusal != NULL)
    fail (task, g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                             "no usable answer from %s after %u requests (it answered: %s)",
                             exchange->gateway_text, exchange->sends,
                             exchange->last_refusal->message));
  else
    fail (task, g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                             "no answer from %s after %u requests",
                             exchange->gateway_text, exchange->sends));
}

static guint
scaled_wait (const EsRetransmitSchedule *schedule,
             guint                       wait_ms)
{
  if (!schedule->jitter)
    return wait_ms;
  return (guint) (wait_ms * g_random_double_range (0.9, 1.1));
}

static gboolean on_resend (gpointer data);

static void
send_request (GTask *task)
{
  Exchange *exchange = g_task_get_task_data (task);
  gsize length = 0;
  const guint8 *data = g_bytes_get_data (exchange->request, &length);
  g_autoptr(GError) error = NULL;
  guint wait_ms;

  exchange->sends++;
  /* A send that fails is like a packet lost: the schedule resends it. */
  if (g_socket_send (exchange->socket, (const char *) data, length, NULL, &error) < 0)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED))
        {
          fail (task, g_error_new (G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED,
                                   "%s refused the request: nothing listens there",
                                   exchange->gateway_text));
          return;
        }
      g_debug ("sending to %s: %s", exchange->gateway_text, error->message);
    }

  /* After the last send, its wait runs out and the exchange times out. */
  exchange->last_sent = exchange->schedule.max_sends != 0 &&
                        exchange->sends >= exchange->schedule.max_sends;
  wait_ms = scaled_wait (&exchange->schedule, exchange->next_wait_ms);
  exchange->next_wait_ms = MIN (exchange->next_wait_ms * 2, exchange->schedule.max_interval_ms);
  exchange->resend_source = g_timeout_source_new (wait_ms);
  g_source_set_callback (exchange->resend_source, on_resend, task, NULL);
  g_source_attach (exchange->resend_source, g_task_get_context (task));
}

static gboolean
on_resend (gpointer data)
{
  GTask *task = data;
  Exchange *exchange = g_task_get_task_data (task);

  g_clear_pointer (&exchange->resend_source, g_source_unref);
  if (exchange->last_sent)
    fail_timed_out (task);
  else
    send_request (task);
  return G_SOURCE_REMOVE;
}

static gboolean
on_budget_over (gpointer data)
{
  GTask *task = data;
  Exchange *exchange = g_task_get_task_data (task);

  g_clear_pointer (&exchange->budget_source, g_source_unref);
  fail_timed_out (task);
  return G_SOURCE_REMOVE;
}

static gboolean
on_readable (GSocket      *socket,
             GIOCondition  condition,
             gpointer      data)
{
  GTask *task = data;
  Exchange *exchange = g_task_get_task_data (task);
  guint8 buffer[MAX_ANSWER_SIZE + 1];
  g_autoptr(GError) error = NULL;
  gssize received;

  /* The source also wakes up when the caller's cancellable is cancelled. */
  if (g_cancellable_set_error_if_cancelled (g_task_get_cancellable (task), &error))
    {
      g_clear_pointer (&exchange->read_source, g_source_unref);
      fail (task, g_steal_pointer (&error));
      return G_SOURCE_REMOVE;
    }
  received = g_socket_receive (socket, (char *) buffer, sizeof buffer, NULL, &error);
  if (received < 0)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        return G_SOURCE_CONTINUE;
      g_clear_pointer (&exchange->read_source, g_source_unref);
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED))
        fail (task, g_error_new (G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED,
                                 "%s refused the request: nothing listens there",
                                 exchange->gateway_text));
      else
        fail (task, g_steal_pointer (&error));
      return G_SOURCE_REMOVE;
    }
  if (received > MAX_ANSWER_SIZE)
    {
      g_clear_error (&exchange->last_refusal);
      exchange->last_refusal = g_error_new (G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                                            "a datagram of more than %d bytes", MAX_ANSWER_SIZE);
      return G_SOURCE_CONTINUE;
    }

  if (exchange->check (buffer, (gsize) received, exchange->check_data, &error) ==
      ES_GATEWAY_ANSWER_IGNORE)
    {
      if (error != NULL)
        {
          g_clear_error (&exchange->last_refusal);
          exchange->last_refusal = g_steal_pointer (&error);
        }
      return G_SOURCE_CONTINUE;
    }

  g_clear_pointer (&exchange->read_source, g_source_unref);
  stop_sources (exchange);
  g_task_return_pointer (task, g_bytes_new (buffer, (gsize) received),
                         (GDestroyNotify) g_bytes_unref);
  g_object_unref (task);
  return G_SOURCE_REMOVE;
}

static GSocket *
connect_socket (GInetSocketAddress  *gateway,
                GError             **error)
{
  GSocketFamily family = g_socket_address_get_family (G_SOCKET_ADDRESS (gateway));
  g_autoptr(GSocket) socket = NULL;

  socket = g_socket_new (family, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, error);
  if (socket == NULL)
    return NULL;
  g_socket_set_blocking (socket, FALSE);
  if (!g_socket_connect (socket, G_SOCKET_ADDRESS (gateway), NULL, error))
    return NULL;
  return g_steal_pointer (&socket);
}

GInetAddress *
es_gateway_exchange_local_address (GInetSocketAddress  *gateway,
                                   GError             **error)
{
  g_autoptr(GSocket) socket = connect_socket (gateway, error);
  g_autoptr(GSocketAddress) local = NULL;

  if (socket == NULL)
    return NULL;
  local = g_socket_get_local_address (socket, error);
  if (local == NULL)
    return NULL;
  return g_object_ref (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (local)));
}

void
es_gateway_exchange_async (GInetSocketAddress         *gateway,
                           GBytes                     *request,
                           const EsRetransmitSchedule *schedule,
                           guint                       budget_ms,
                           EsGatewayAnswerFunc         check,
                           gpointer                    check_data,
                           GCancellable               *cancellable,
                           GAsyncReadyCallback         callback,
                           gpointer                    user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  Exchange *exchange = g_new0 (Exchange, 1);
  g_autofree char *host = g_inet_address_to_string (g_inet_socket_address_get_address (gateway));
  GError *error = NULL;

  g_return_if_fail (schedule->initial_ms > 0);

  g_task_set_source_tag (task, es_gateway_exchange_async);
  g_task_set_task_data (task, exchange, (GDestroyNotify) exchange_free);
  exchange->request = g_bytes_ref (request);
  exchange->schedule = *schedule;
  exchange->next_wait_ms = schedule->initial_ms;
  exchange->check = check;
  exchange->check_data = check_data;
  exchange->gateway_text = g_strdup_printf ("the gateway %s port %u", host,
                                            g_inet_socket_address_get_port (gateway));

  exchange->socket = connect_socket (gateway, &error);
  if (exchange->socket == NULL)
    {
      g_prefix_error (&error, "cannot reach %s: ", exchange->gateway_text);
      fail (task, error);
      return;
    }

  exchange->read_source = g_socket_create_source (exchange->socket, G_IO_IN, cancellable);
  g_source_set_callback (exchange->read_source, (GSourceFunc) (GCallback) on_readable, task, NULL);
  g_source_attach (exchange->read_source, g_task_get_context (task));
  if (budget_ms > 0)
    {
      exchange->budget_source = g_timeout_source_new (budget_ms);
      g_source_set_callback (exchange->budget_source, on_budget_over, task, NULL);
      g_source_attach (exchange->budget_source, g_task_get_context (task));
    }
  send_request (task);
}

GBytes *
es_gateway_exchange_finish (GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
