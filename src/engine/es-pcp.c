/* es-pcp.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsPcp"

#include "es-pcp.h"

#include <string.h>

#include "es-byte-order.h"
#include "es-error.h"

#define RESPONSE_BIT      0x80
#define HEADER_SIZE       24
#define MAP_PAYLOAD_SIZE  36
#define MAP_SIZE          (HEADER_SIZE + MAP_PAYLOAD_SIZE)
#define OPTION_HEADER_SIZE 4
#define NAT_PMP_VERSION   0

const EsRetransmitSchedule es_pcp_schedule = {
  .initial_ms = 3000,
  .max_interval_ms = 1024000,
  .max_sends = 0,
  .jitter = TRUE,
};

/* IPv6 as it is, IPv4 as ::ffff:a.b.c.d (RFC 6887 §5). */
static void
write_address (guint8       *field,
               GInetAddress *address)
{
  memset (field, 0, 16);
  if (g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV6)
    {
      memcpy (field, g_inet_address_to_bytes (address), 16);
      return;
    }
  field[10] = 0xff;
  field[11] = 0xff;
  memcpy (field + 12, g_inet_address_to_bytes (address), 4);
}

GInetAddress *
es_pcp_address_from_bytes (const guint8 bytes[16])
{
  static const guint8 mapped_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

  if (memcmp (bytes, mapped_prefix, sizeof mapped_prefix) == 0)
    return g_inet_address_new_from_bytes (bytes + 12, G_SOCKET_FAMILY_IPV4);
  return g_inet_address_new_from_bytes (bytes, G_SOCKET_FAMILY_IPV6);
}

static void
write_header (guint8       *message,
              EsPcpOpcode   opcode,
              guint32       lifetime_s,
              GInetAddress *client)
{
  message[0] = ES_PCP_VERSION;
  message[1] = opcode;
  es_write_be32 (message + 4, lifetime_s);
  write_address (message + 8, client);
}

GBytes *
es_pcp_build_map_request (GInetAddress *client,
                          const guint8  nonce[ES_PORT_MAP_NONCE_SIZE],
                          guint16       internal_port,
                          GInetAddress *suggested_external,
                          guint16       suggested_external_port,
                          guint32       lifetime_s)
{
  guint8 message[MAP_SIZE] = { 0 };
  guint8 *payload = message + HEADER_SIZE;

  g_return_val_if_fail (G_IS_INET_ADDRESS (client), NULL);
  g_return_val_if_fail (internal_port != 0, NULL);

  write_header (message, ES_PCP_OP_MAP, lifetime_s, client);
  memcpy (payload, nonce, ES_PORT_MAP_NONCE_SIZE);
  payload[12] = ES_PCP_PROTOCOL_UDP;
  es_write_be16 (payload + 16, internal_port);
  es_write_be16 (payload + 18, suggested_external_port);
  if (suggested_external != NULL)
    write_address (payload + 20, suggested_external);
  else if (g_inet_address_get_family (client) == G_SOCKET_FAMILY_IPV4)
    {
      /* "Any IPv4 address": ::ffff:0.0.0.0 (RFC 6887 §11.1). */
      payload[30] = 0xff;
      payload[31] = 0xff;
    }
  return g_bytes_new (message, sizeof message);
}

const char *
es_pcp_result_to_string (guint8 result)
{
  static const char * const meanings[] = {
    [ES_PCP_RESULT_SUCCESS] = "success",
    [ES_PCP_RESULT_UNSUPP_VERSION] = "unsupported version",
    [ES_PCP_RESULT_NOT_AUTHORIZED] = "not authorized (port mapping may be off on the router)",
    [ES_PCP_RESULT_MALFORMED_REQUEST] = "malformed request",
    [ES_PCP_RESULT_UNSUPP_OPCODE] = "unsupported opcode",
    [ES_PCP_RESULT_UNSUPP_OPTION] = "unsupported option",
    [ES_PCP_RESULT_MALFORMED_OPTION] = "malformed option",
    [ES_PCP_RESULT_NETWORK_FAILURE] = "network failure (the router has no external address yet)",
    [ES_PCP_RESULT_NO_RESOURCES] = "no resources (the router cannot make more mappings)",
    [ES_PCP_RESULT_UNSUPP_PROTOCOL] = "unsupported protocol",
    [ES_PCP_RESULT_USER_EX_QUOTA] = "over this machine's quota of mappings",
    [ES_PCP_RESULT_CANNOT_PROVIDE_EXTERNAL] = "cannot provide the external port asked for",
    [ES_PCP_RESULT_ADDRESS_MISMATCH] = "address mismatch (a NAT between here and the router)",
    [ES_PCP_RESULT_EXCESSIVE_REMOTE_PEERS] = "excessive remote peers",
  };

  return result < G_N_ELEMENTS (meanings) ? meanings[result] : "an unknown result code";
}

/* Options follow the payload: code, reserved, length, data padded to 4. */
static gboolean
check_options (const guint8  *data,
               gsize          length,
               GError       **error)
{
  gsize offset = 0;

  while (offset < length)
    {
      gsize option_length;

      if (length - offset < OPTION_HEADER_SIZE)
        break;
      option_length = es_read_be16 (data + offset + 2);
      option_length = (option_length + 3) & ~(gsize) 3;
      if (option_length > length - offset - OPTION_HEADER_SIZE)
        break;
      offset += OPTION_HEADER_SIZE + option_length;
    }
  if (offset != length)
    {
      g_set_error_literal (error, ES_ERROR, ES_ERROR_PROTOCOL,
                           "a PCP answer whose options overrun it");
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_frame (const guint8  *data,
             gsize          length,
             GError       **error)
{
  if (length >= 2 && data[0] == NAT_PMP_VERSION)
    {
      g_set_error_literal (error, ES_ERROR, ES_ERROR_PROTOCOL,
                           "the gateway answered in NAT-PMP: it does not speak PCP");
      return FALSE;
    }
  if (length < HEADER_SIZE || length > ES_PCP_MAX_SIZE || length % 4 != 0)
    {
      g_set_error (error, ES_ERROR, ES_ERROR_PROTOCOL,
                   "a PCP answer of %zu bytes (24 to 1100, a multiple of 4)", length);
      return FALSE;
    }
  if (data[0] != ES_PCP_VERSION)
    {
      g_set_error (error, ES_ERROR, ES_ERROR_PROTOCOL, "a PCP answer of version %u", data[0]);
      return FALSE;
    }
  if ((data[1] & RESPONSE_BIT) == 0)
    {
      g_set_error_literal (error, ES_ERROR, ES_ERROR_PROTOCOL, "a PCP request, not an answer");
      return FALSE;
    }
  return TRUE;
}

gboolean
es_pcp_parse_response (const guint8   *data,
                       gsize           length,
                       EsPcpResponse  *response,
                       GError        **error)
{
  const guint8 *payload = data + HEADER_SIZE;
  gsize rest;

  g_return_val_if_fail (data != NULL || length == 0, FALSE);
  g_return_val_if_fail (response != NULL, FALSE);

  if (!check_frame (data, length, error))
    return FALSE;
  *response = (EsPcpResponse) {
    .opcode = data[1] & ~RESPONSE_BIT,
    .result = data[3],
    .lifetime_s = es_read_be32 (data + 4),
    .epoch = es_read_be32 (data + 8),
  };
  rest = length - HEADER_SIZE;

  if (response->opcode == ES_PCP_OP_MAP)
    {
      if (rest < MAP_PAYLOAD_SIZE)
        {
          /* An error may come without the payload; success may not. */
          if (response->result != ES_PCP_RESULT_SUCCESS && rest == 0)
            return TRUE;
          g_set_error (error, ES_ERROR, ES_ERROR_PROTOCOL,
                       "a PCP MAP answer of %zu bytes (at least 60)", length);
          return FALSE;
        }
      response->has_map_payload = TRUE;
      memcpy (response->nonce, payload, ES_PORT_MAP_NONCE_SIZE);
      response->protocol = payload[12];
      response->internal_port = es_read_be16 (payload + 16);
      response->external_port = es_read_be16 (payload + 18);
      memcpy (response->external_address, payload + 20, 16);
      payload += MAP_PAYLOAD_SIZE;
      rest -= MAP_PAYLOAD_SIZE;
    }
  else if (response->opcode != ES_PCP_OP_ANNOUNCE)
    {
      g_set_error (error, ES_ERROR, ES_ERROR_PROTOCOL,
                   "a PCP answer with opcode %u, which Earshot does not send", response->opcode);
      return FALSE;
    }
  return check_options (payload, rest, error);
}

gboolean
es_pcp_epoch_is_continuous (guint32 previous_epoch,
                            gint64  previous_time,
                            guint32 epoch,
                            gint64  time)
{
  gint64 client_delta = MAX (time - previous_time, 0) / G_USEC_PER_SEC;
  gint64 server_delta = (gint64) epoch - (gint64) previous_epoch;

  if ((gint64) epoch < (gint64) previous_epoch - 1)
    return FALSE;
  return !(client_delta + 2 < server_delta - server_delta / 16 ||
           server_delta + 2 < client_delta - client_delta / 16);
}

/* ---- Exchanges ---------------------------------------------------------------- */

typedef struct
{
  guint8 nonce[ES_PORT_MAP_NONCE_SIZE];
  guint16 internal_port;
  guint32 lifetime_s;
  GInetSocketAddress *gateway;
  guint16 external_port_hint;
} MapRequest;

static void
map_request_free (MapRequest *request)
{
  g_clear_object (&request->gateway);
  g_free (request);
}

static EsGatewayAnswer
check_map_answer (const guint8  *data,
                  gsize          length,
                  gpointer       user_data,
                  GError       **error)
{
  const MapRequest *request = user_data;
  EsPcpResponse response;

  if (!es_pcp_parse_response (data, length, &response, error))
    return ES_GATEWAY_ANSWER_IGNORE;
  if (response.opcode != ES_PCP_OP_MAP)
    return ES_GATEWAY_ANSWER_IGNORE;
  if (!response.has_map_payload)
    return ES_GATEWAY_ANSWER_ACCEPT;
  /* RFC 6887 §11.3: an answer with another nonce is not ours (or spoofed). */
  if (memcmp (response.nonce, request->nonce, ES_PORT_MAP_NONCE_SIZE) != 0)
    {
      g_set_error_literal (error, ES_ERROR, ES_ERROR_PROTOCOL, "a PCP answer with the wrong nonce");
      return ES_GATEWAY_ANSWER_IGNORE;
    }
  if (response.protocol != ES_PCP_PROTOCOL_UDP || response.internal_port != request->internal_port)
    {
      g_set_error (error, ES_ERROR, ES_ERROR_PROTOCOL,
                   "a PCP answer for protocol %u port %u, not UDP port %u",
                   response.protocol, response.internal_port, request->internal_port);
      return ES_GATEWAY_ANSWER_IGNORE;
    }
  return ES_GATEWAY_ANSWER_ACCEPT;
}

static gboolean
finish_map_exchange (GAsyncResult   *result,
                     EsPcpResponse  *response,
                     GError        **error)
{
  g_autoptr(GBytes) answer = es_gateway_exchange_finish (result, error);
  gsize length = 0;
  const guint8 *data;

  if (answer == NULL)
    return FALSE;
  data = g_bytes_get_data (answer, &length);
  if (!es_pcp_parse_response (data, length, response, error))
    g_return_val_if_reached (FALSE);
  if (response->result != ES_PCP_RESULT_SUCCESS)
    {
      g_set_error (error, ES_ERROR, ES_ERROR_PROTOCOL, "the gateway refused with PCP result %u: %s",
                   response->result, es_pcp_result_to_string (response->result));
      return FALSE;
    }
  return TRUE;
}

static void
on_map_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MapRequest *request = g_task_get_task_data (task);
  g_autoptr(GInetAddress) ip = NULL;
  g_autoptr(GSocketAddress) external = NULL;
  EsPcpResponse response;
  EsPortMapping *mapping;
  GError *error = NULL;

  if (!finish_map_exchange (result, &response, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  ip = es_pcp_address_from_bytes (response.external_address);
  external = g_inet_socket_address_new (ip, response.external_port);
  mapping = es_port_mapping_new (ES_PORT_MAP_PROTOCOL_PCP, G_INET_SOCKET_ADDRESS (external),
                                 request->internal_port, response.lifetime_s);
  mapping->epoch = response.epoch;
  memcpy (mapping->nonce, request->nonce, ES_PORT_MAP_NONCE_SIZE);
  g_task_return_pointer (task, mapping, (GDestroyNotify) es_port_mapping_free);
}

static void
start_map (GTask *task,
           guint  budget_ms)
{
  MapRequest *request = g_task_get_task_data (task);
  g_autoptr(GInetAddress) client = NULL;
  g_autoptr(GBytes) message = NULL;
  GError *error = NULL;

  client = es_gateway_exchange_local_address (request->gateway, &error);
  if (client == NULL)
    {
      g_prefix_error (&error, "cannot reach the gateway: ");
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  message = es_pcp_build_map_request (client, request->nonce, request->internal_port,
                                      NULL, request->external_port_hint,
                                      request->lifetime_s);
  es_gateway_exchange_async (request->gateway, message, &es_pcp_schedule, budget_ms,
                             check_map_answer, request, g_task_get_cancellable (task),
                             on_map_done, task);
}

void
es_pcp_map_async (GInetSocketAddress  *gateway,
                  const guint8         nonce[ES_PORT_MAP_NONCE_SIZE],
                  guint16              internal_port,
                  guint16              suggested_external_port,
                  guint32              lifetime_s,
                  guint                budget_ms,
                  GCancellable        *cancellable,
                  GAsyncReadyCallback  callback,
                  gpointer             user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  MapRequest *request = g_new0 (MapRequest, 1);

  g_return_if_fail (lifetime_s > 0);

  g_task_set_source_tag (task, es_pcp_map_async);
  memcpy (request->nonce, nonce, ES_PORT_MAP_NONCE_SIZE);
  request->internal_port = internal_port;
  request->lifetime_s = lifetime_s;
  request->gateway = g_object_ref (gateway);
  request->external_port_hint = suggested_external_port;
  g_task_set_task_data (task, request, (GDestroyNotify) map_request_free);
  start_map (task, budget_ms);
}

EsPortMapping *
es_pcp_map_finish (GAsyncResult  *result,
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
  EsPcpResponse response;
  GError *error = NULL;

  if (!finish_map_exchange (result, &response, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

void
es_pcp_release_async (GInetSocketAddress  *gateway,
                      const EsPortMapping *mapping,
                      guint                budget_ms,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  MapRequest *request = g_new0 (MapRequest, 1);
  g_autoptr(GInetAddress) client = NULL;
  g_autoptr(GBytes) message = NULL;
  GError *error = NULL;

  g_task_set_source_tag (task, es_pcp_release_async);
  memcpy (request->nonce, mapping->nonce, ES_PORT_MAP_NONCE_SIZE);
  request->internal_port = mapping->internal_port;
  request->gateway = g_object_ref (gateway);
  g_task_set_task_data (task, request, (GDestroyNotify) map_request_free);

  client = es_gateway_exchange_local_address (gateway, &error);
  if (client == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  message = es_pcp_build_map_request (client, request->nonce, request->internal_port,
                                      g_inet_socket_address_get_address (mapping->external),
                                      g_inet_socket_address_get_port (mapping->external), 0);
  es_gateway_exchange_async (gateway, message, &es_pcp_schedule, budget_ms, check_map_answer,
                             request, cancellable, on_release_done, task);
}

gboolean
es_pcp_release_finish (GAsyncResult  *result,
                       GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
