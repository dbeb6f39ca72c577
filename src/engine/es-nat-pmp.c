/* es-nat-pmp.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsNatPmp"

#include "es-nat-pmp.h"

#include <string.h>

#include "es-byte-order.h"
#include "es-error.h"

#define RESPONSE_BIT           0x80
#define ERROR_RESPONSE_SIZE    8      /* version, opcode, result, epoch */
#define ADDRESS_RESPONSE_SIZE  12
#define MAP_RESPONSE_SIZE      16
#define MAP_REQUEST_SIZE       12

const EsRetransmitSchedule es_nat_pmp_schedule = {
  .initial_ms = 250,
  .max_interval_ms = 64000,
  .max_sends = 9,
  .jitter = FALSE,
};

GBytes *
es_nat_pmp_build_external_address_request (void)
{
  static const guint8 request[] = { ES_NAT_PMP_VERSION, ES_NAT_PMP_OP_EXTERNAL_ADDRESS };

  return g_bytes_new_static (request, sizeof request);
}

GBytes *
es_nat_pmp_build_map_request (guint16 internal_port,
                              guint16 suggested_external_port,
                              guint32 lifetime_s)
{
  guint8 request[MAP_REQUEST_SIZE] = { ES_NAT_PMP_VERSION, ES_NAT_PMP_OP_MAP_UDP, 0, 0 };

  g_return_val_if_fail (lifetime_s != 0 || suggested_external_port == 0, NULL);

  es_write_be16 (request + 4, internal_port);
  es_write_be16 (request + 6, suggested_external_port);
  es_write_be32 (request + 8, lifetime_s);
  return g_bytes_new (request, sizeof request);
}

const char *
es_nat_pmp_result_to_string (guint16 result)
{
  switch (result)
    {
    case ES_NAT_PMP_RESULT_SUCCESS:
      return "success";
    case ES_NAT_PMP_RESULT_UNSUPPORTED_VERSION:
      return "unsupported version";
    case ES_NAT_PMP_RESULT_NOT_AUTHORIZED:
      return "not authorized or refused (port mapping may be off on the router)";
    case ES_NAT_PMP_RESULT_NETWORK_FAILURE:
      return "network failure (the router has no external address yet)";
    case ES_NAT_PMP_RESULT_OUT_OF_RESOURCES:
      return "out of resources (the router cannot make more mappings)";
    case ES_NAT_PMP_RESULT_UNSUPPORTED_OPCODE:
      return "unsupported opcode";
    default:
      return "an unknown result code";
    }
}

gboolean
es_nat_pmp_parse_response (const guint8      *data,
                           gsize              length,
                           EsNatPmpResponse  *response,
                           GError           **error)
{
  gsize expected;

  g_return_val_if_fail (data != NULL || length == 0, FALSE);
  g_return_val_if_fail (response != NULL, FALSE);

  if (length < ERROR_RESPONSE_SIZE)
    {
      g_set_error (error, ES_ERROR, ES_ERROR_PROTOCOL,
                   "a NAT-PMP answer of %zu bytes is too short", length);
      return FALSE;
    }
  if (data[0] != ES_NAT_PMP_VERSION)
    {
      g_set_error (error, ES_ERROR, ES_ERROR_PROTOCOL,
                   "a NAT-PMP answer of version %u (PCP is version 2)", data[0]);
      return FALSE;
    }
  if ((data[1] & RESPONSE_BIT) == 0 || (data[1] & ~RESPONSE_BIT) > ES_NAT_PMP_OP_MAP_TCP)
    {
      g_set_error (error, ES_ERROR, ES_ERROR_PROTOCOL,
                   "a NAT-PMP message with opcode %u is not an answer", data[1]);
      return FALSE;
    }

  *response = (EsNatPmpResponse) {
    .opcode = data[1] & ~RESPONSE_BIT,
    .result = es_read_be16 (data + 2),
    .epoch = es_read_be32 (data + 4),
  };
  if (response->result != ES_NAT_PMP_RESULT_SUCCESS)
    return TRUE;

  expected = response->opcode == ES_NAT_PMP_OP_EXTERNAL_ADDRESS ? ADDRESS_RESPONSE_SIZE
                                                                 : MAP_RESPONSE_SIZE;
  if (length != expected)
    {
      g_set_error (error, ES_ERROR, ES_ERROR_PROTOCOL,
                   "a NAT-PMP answer of %zu bytes where %zu belong", length, expected);
      return FALSE;
    }
  if (response->opcode == ES_NAT_PMP_OP_EXTERNAL_ADDRESS)
    {
      memcpy (response->external_address, data + 8, sizeof response->external_address);
      return TRUE;
    }
  response->internal_port = es_read_be16 (data + 8);
  response->external_port = es_read_be16 (data + 10);
  response->lifetime_s = es_read_be32 (data + 12);
  return TRUE;
}

gboolean
es_nat_pmp_epoch_is_continuous (guint32 previous_epoch,
                                gint64  previous_time,
                                guint32 epoch,
                                gint64  time)
{
  gint64 elapsed_s = MAX (time - previous_time, 0) / G_USEC_PER_SEC;

  /* Expected at least previous + 7/8 of the time that passed here, less
   * 2 s for rounding on both sides. */
  return (gint64) epoch >= (gint64) previous_epoch + elapsed_s * 7 / 8 - 2;
}

/* ---- Exchanges ---------------------------------------------------------------- */

typedef struct
{
  EsNatPmpOpcode opcode;
  guint16 internal_port;
} Expected;

static EsGatewayAnswer
check_answer (const guint8  *data,
              gsize          length,
              gpointer       user_data,
              GError       **error)
{
  const Expected *expected = user_data;
  EsNatPmpResponse response;

  if (!es_nat_pmp_parse_response (data, length, &response, error))
    return ES_GATEWAY_ANSWER_IGNORE;
  if (response.opcode != expected->opcode)
    return ES_GATEWAY_ANSWER_IGNORE;
  /* An error answer need not repeat the port: it is the answer anyway. */
  if (response.result == ES_NAT_PMP_RESULT_SUCCESS &&
      expected->opcode == ES_NAT_PMP_OP_MAP_UDP &&
      response.internal_port != expected->internal_port)
    {
      g_set_error (error, ES_ERROR, ES_ERROR_PROTOCOL,
                   "a NAT-PMP mapping of port %u, not of %u",
                   response.internal_port, expected->internal_port);
      return ES_GATEWAY_ANSWER_IGNORE;
    }
  return ES_GATEWAY_ANSWER_ACCEPT;
}

/* The accepted answer, or FALSE with the gateway's refusal as an error. */
static gboolean
finish_exchange (GAsyncResult      *result,
                 EsNatPmpResponse  *response,
                 GError           **error)
{
  g_autoptr(GBytes) answer = es_gateway_exchange_finish (result, error);
  gsize length = 0;
  const guint8 *data;

  if (answer == NULL)
    return FALSE;
  data = g_bytes_get_data (answer, &length);
  if (!es_nat_pmp_parse_response (data, length, response, error))
    g_return_val_if_reached (FALSE);
  if (response->result != ES_NAT_PMP_RESULT_SUCCESS)
    {
      g_set_error (error, ES_ERROR, ES_ERROR_PROTOCOL, "the gateway refused with NAT-PMP result %u: %s",
                   response->result, es_nat_pmp_result_to_string (response->result));
      return FALSE;
    }
  return TRUE;
}

typedef struct
{
  Expected address_expected;
  Expected map_expected;
  guint pending;
  gboolean have_address;
  gboolean have_map;
  EsNatPmpResponse address;
  EsNatPmpResponse map;
  guint16 internal_port;
  GError *error;
  GCancellable *caller_cancellable;
  gulong caller_handler;
} MapState;

static void
map_state_free (MapState *state)
{
  if (state->caller_cancellable != NULL)
    g_cancellable_disconnect (state->caller_cancellable, state->caller_handler);
  g_clear_object (&state->caller_cancellable);
  g_clear_error (&state->error);
  g_free (state);
}

static void
cancel_other (GCancellable *cancellable,
              gpointer      other)
{
  g_cancellable_cancel (other);
}

static void
complete_map (GTask *task)
{
  MapState *state = g_task_get_task_data (task);
  g_autoptr(GInetAddress) ip = NULL;
  g_autoptr(GSocketAddress) external = NULL;
  EsPortMapping *mapping;

  if (state->error != NULL)
    {
      g_task_return_error (task, g_steal_pointer (&state->error));
      return;
    }
  ip = g_inet_address_new_from_bytes (state->address.external_address, G_SOCKET_FAMILY_IPV4);
  external = g_inet_socket_address_new (ip, state->map.external_port);
  mapping = es_port_mapping_new (ES_PORT_MAP_PROTOCOL_NAT_PMP, G_INET_SOCKET_ADDRESS (external),
                                 state->internal_port, state->map.lifetime_s);
  mapping->epoch = state->map.epoch;
  g_task_return_pointer (task, mapping, (GDestroyNotify) es_port_mapping_free);
}

static void
on_map_part_done (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data,
                  gboolean      is_address)
{
  g_autoptr(GTask) task = user_data;
  MapState *state = g_task_get_task_data (task);
  GError *error = NULL;

  if (!finish_exchange (result, is_address ? &state->address : &state->map, &error))
    {
      if (state->error == NULL)
        state->error = error;
      else
        g_error_free (error);
      /* The other exchange need not go on. */
      g_cancellable_cancel (g_task_get_cancellable (task));
    }
  if (--state->pending == 0)
    complete_map (task);
}

static void
on_address_done (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  on_map_part_done (source, result, user_data, TRUE);
}

static void
on_mapping_done (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  on_map_part_done (source, result, user_data, FALSE);
}

void
es_nat_pmp_map_async (GInetSocketAddress  *gateway,
                      guint16              internal_port,
                      guint16              suggested_external_port,
                      guint32              lifetime_s,
                      guint                budget_ms,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  g_autoptr(GCancellable) both = g_cancellable_new ();
  GTask *task = g_task_new (NULL, both, callback, user_data);
  MapState *state = g_new0 (MapState, 1);
  g_autoptr(GBytes) address_request = es_nat_pmp_build_external_address_request ();
  g_autoptr(GBytes) map_request = NULL;

  g_return_if_fail (lifetime_s > 0);

  g_task_set_source_tag (task, es_nat_pmp_map_async);
  g_task_set_task_data (task, state, (GDestroyNotify) map_state_free);
  /* The caller's cancellable ends both exchanges; an error in one ends the
   * other, and the task then returns that error, not "cancelled". */
  g_task_set_check_cancellable (task, FALSE);
  if (cancellable != NULL)
    {
      state->caller_cancellable = g_object_ref (cancellable);
      state->caller_handler = g_cancellable_connect (cancellable, G_CALLBACK (cancel_other),
                                                     g_object_ref (both), g_object_unref);
    }
  state->internal_port = internal_port;
  state->address_expected.opcode = ES_NAT_PMP_OP_EXTERNAL_ADDRESS;
  state->map_expected.opcode = ES_NAT_PMP_OP_MAP_UDP;
  state->map_expected.internal_port = internal_port;
  state->pending = 2;

  map_request = es_nat_pmp_build_map_request (internal_port, suggested_external_port, lifetime_s);
  es_gateway_exchange_async (gateway, address_request, &es_nat_pmp_schedule, budget_ms,
                             check_answer, &state->address_expected, both,
                             on_address_done, g_object_ref (task));
  es_gateway_exchange_async (gateway, map_request, &es_nat_pmp_schedule, budget_ms,
                             check_answer, &state->map_expected, both,
                             on_mapping_done, task);
}

EsPortMapping *
es_nat_pmp_map_finish (GAsyncResult  *result,
                       GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
on_release_done (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  EsNatPmpResponse response;
  GError *error = NULL;

  if (!finish_exchange (result, &response, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

void
es_nat_pmp_release_async (GInetSocketAddress  *gateway,
                          guint16              internal_port,
                          guint                budget_ms,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  Expected *expected = g_new0 (Expected, 1);
  g_autoptr(GBytes) request = es_nat_pmp_build_map_request (internal_port, 0, 0);

  g_task_set_source_tag (task, es_nat_pmp_release_async);
  expected->opcode = ES_NAT_PMP_OP_MAP_UDP;
  expected->internal_port = internal_port;
  g_task_set_task_data (task, expected, g_free);
  es_gateway_exchange_async (gateway, request, &es_nat_pmp_schedule, budget_ms, check_answer,
                             expected, cancellable, on_release_done, task);
}

gboolean
es_nat_pmp_release_finish (GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
on_external_address_done (GObject      *source,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  EsNatPmpResponse response;
  GError *error = NULL;

  if (!finish_exchange (result, &response, &error))
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, g_inet_address_new_from_bytes (response.external_address,
                                                                G_SOCKET_FAMILY_IPV4),
                           g_object_unref);
}

void
es_nat_pmp_external_address_async (GInetSocketAddress  *gateway,
                                   guint                budget_ms,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  Expected *expected = g_new0 (Expected, 1);
  g_autoptr(GBytes) request = es_nat_pmp_build_external_address_request ();

  g_task_set_source_tag (task, es_nat_pmp_external_address_async);
  expected->opcode = ES_NAT_PMP_OP_EXTERNAL_ADDRESS;
  g_task_set_task_data (task, expected, g_free);
  es_gateway_exchange_async (gateway, request, &es_nat_pmp_schedule, budget_ms, check_answer,
                             expected, cancellable, on_external_address_done, task);
}

GInetAddress *
es_nat_pmp_external_address_finish (GAsyncResult  *result,
                                    GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
