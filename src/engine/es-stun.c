/* es-stun.c
 *
 * Built on libnice's STUN agent (RFC 5389 compatibility, which is RFC 8489's
 * wire format). The agent verifies FINGERPRINT only when told to require it,
 * while RFC 8489 makes it optional outside ICE, so each message is checked
 * with FINGERPRINT required whenever it carries one, and always under
 * short-term credentials.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsStun"

#include "es-stun.h"

#include <stun/stunagent.h>
#include <string.h>

#include "es-address.h"
#include "es-byte-order.h"
#include "es-error.h"

/* Room for the largest message either side builds: a request with the
 * longest USERNAME, or a 420 listing every unknown attribute libnice names. */
#define MESSAGE_BUFFER_SIZE 1024
#define COOKIE_OFFSET       4
/* RFC 5780 §7.2 and §7.4 (libnice names neither). */
#define CHANGE_ADDRESS_FLAG        0x04
#define CHANGE_PORT_FLAG           0x02
#define ATTRIBUTE_OTHER_ADDRESS    0x802C

/* The comprehension-required attributes (below 0x8000) each side
 * understands. Anything else there is unknown: a request gets a 420, a
 * response is discarded (RFC 8489 §6.3.1, §6.3.3). */
static const uint16_t request_attributes[] = {
  STUN_ATTRIBUTE_USERNAME,
  STUN_ATTRIBUTE_MESSAGE_INTEGRITY,
  STUN_ATTRIBUTE_PRIORITY,
  STUN_ATTRIBUTE_USE_CANDIDATE,
  0
};
/* RFC 3489's addresses too: servers still add them for old clients. */
static const uint16_t response_attributes[] = {
  STUN_ATTRIBUTE_MAPPED_ADDRESS,
  STUN_ATTRIBUTE_SOURCE_ADDRESS,
  STUN_ATTRIBUTE_CHANGED_ADDRESS,
  STUN_ATTRIBUTE_MESSAGE_INTEGRITY,
  STUN_ATTRIBUTE_ERROR_CODE,
  STUN_ATTRIBUTE_UNKNOWN_ATTRIBUTES,
  STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS,
  0
};

struct _EsStunRequest
{
  StunAgent agent;
  StunAgentUsageFlags validation_flags;
  guint8 message[MESSAGE_BUFFER_SIZE];
  gsize length;
  /* The agent keeps a pointer to the key until the answer: it lives here. */
  char *password;
  gboolean answered;
};

static gboolean
read_message (const guint8  *data,
              gsize          length,
              StunMessage   *message,
              GError       **error)
{
  static const guint8 cookie[] = { 0x21, 0x12, 0xa4, 0x42 };
  int framed;

  framed = stun_message_validate_buffer_length (data, length, TRUE);
  if (framed <= 0 || (gsize) framed != length)
    {
      g_set_error (error, ES_ERROR, ES_ERROR_PROTOCOL,
                   "%zu bytes that are not one well-formed STUN message", length);
      return FALSE;
    }
  if (memcmp (data + COOKIE_OFFSET, cookie, sizeof cookie) != 0)
    {
      g_set_error_literal (error, ES_ERROR, ES_ERROR_PROTOCOL,
                           "a STUN message without the magic cookie (RFC 3489 is not spoken)");
      return FALSE;
    }

  *message = (StunMessage) { .buffer = (uint8_t *) data, .buffer_len = length };
  return TRUE;
}

static void
set_validation_flags (StunAgent           *agent,
                      StunAgentUsageFlags  flags,
                      const StunMessage   *message)
{
  agent->usage_flags = flags;
  if (stun_message_has_attribute (message, STUN_ATTRIBUTE_FINGERPRINT))
    agent->usage_flags |= STUN_AGENT_USAGE_USE_FINGERPRINT;
}

static const char *
describe_validation (StunValidationStatus status)
{
  switch (status)
    {
    case STUN_VALIDATION_BAD_REQUEST:
      return "its FINGERPRINT is missing or wrong";
    case STUN_VALIDATION_UNAUTHORIZED_BAD_REQUEST:
      return "it lacks USERNAME or MESSAGE-INTEGRITY";
    case STUN_VALIDATION_UNAUTHORIZED:
      return "its USERNAME or MESSAGE-INTEGRITY is wrong or missing";
    case STUN_VALIDATION_UNKNOWN_REQUEST_ATTRIBUTE:
    case STUN_VALIDATION_UNKNOWN_ATTRIBUTE:
      return "it has an unknown comprehension-required attribute";
    case STUN_VALIDATION_SUCCESS:
    case STUN_VALIDATION_NOT_STUN:
    case STUN_VALIDATION_INCOMPLETE_STUN:
    case STUN_VALIDATION_FORBIDDEN:
    case STUN_VALIDATION_UNMATCHED_RESPONSE:
    default:
      return "it is not a valid STUN message";
    }
}

/* change_flags: the value of a CHANGE-REQUEST attribute (RFC 5780 §7.2), 0
 * for none. */
static EsStunRequest *
build_request (const char *username,
               const char *password,
               guint32     change_flags)
{
  g_autoptr(EsStunRequest) self = NULL;
  StunAgentUsageFlags credentials;
  StunMessage message;

  g_return_val_if_fail ((username == NULL) == (password == NULL), NULL);
  g_return_val_if_fail (username == NULL || strlen (username) <= ES_STUN_MAX_USERNAME_LENGTH,
                        NULL);

  self = g_new0 (EsStunRequest, 1);
  credentials = username != NULL ? STUN_AGENT_USAGE_SHORT_TERM_CREDENTIALS
                                 : STUN_AGENT_USAGE_IGNORE_CREDENTIALS;
  /* Under credentials (an ICE check, RFC 8445) the answer must carry FINGERPRINT. */
  self->validation_flags = username != NULL ? credentials | STUN_AGENT_USAGE_USE_FINGERPRINT
                                            : credentials;
  self->password = g_strdup (password);
  stun_agent_init (&self->agent, response_attributes, STUN_COMPATIBILITY_RFC5389,
                   credentials | STUN_AGENT_USAGE_USE_FINGERPRINT);

  if (!stun_agent_init_request (&self->agent, &message, self->message, sizeof self->message,
                                STUN_BINDING) ||
      (username != NULL &&
       stun_message_append_bytes (&message, STUN_ATTRIBUTE_USERNAME, username,
                                  strlen (username)) != STUN_MESSAGE_RETURN_SUCCESS) ||
      (change_flags != 0 &&
       stun_message_append32 (&message, STUN_ATTRIBUTE_CHANGE_REQUEST,
                              change_flags) != STUN_MESSAGE_RETURN_SUCCESS))
    g_error ("building a STUN Binding request failed");
  self->length = stun_agent_finish_message (&self->agent, &message,
                                            (const uint8_t *) self->password,
                                            password != NULL ? strlen (password) : 0);
  if (self->length == 0)
    g_error ("building a STUN Binding request failed");

  return g_steal_pointer (&self);
}

gboolean
es_stun_is_message (const guint8 *data,
                    gsize         length)
{
  return length >= ES_STUN_HEADER_SIZE && (data[0] & 0xc0) == 0 &&
         es_read_be32 (data + 4) == ES_STUN_MAGIC_COOKIE;
}

EsStunRequest *
es_stun_request_new (const char *username,
                     const char *password)
{
  return build_request (username, password, 0);
}

EsStunRequest *
es_stun_request_new_change (gboolean change_address,
                            gboolean change_port)
{
  g_return_val_if_fail (change_address || change_port, NULL);
  return build_request (NULL, NULL, (change_address ? CHANGE_ADDRESS_FLAG : 0) |
                                    (change_port ? CHANGE_PORT_FLAG : 0));
}

void
es_stun_request_free (EsStunRequest *self)
{
  g_return_if_fail (self != NULL);
  if (self->password != NULL)
    {
      memset (self->password, 0, strlen (self->password));
      g_free (self->password);
    }
  g_free (self);
}

GBytes *
es_stun_request_get_message (EsStunRequest *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return g_bytes_new (self->message, self->length);
}

const guint8 *
es_stun_request_get_transaction_id (EsStunRequest *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->message + COOKIE_OFFSET + 4;
}

static GInetSocketAddress *
read_mapped_address (const StunMessage  *message,
                     GError            **error)
{
  struct sockaddr_storage storage;
  socklen_t length = sizeof storage;
  g_autoptr(GSocketAddress) address = NULL;

  if (stun_message_find_xor_addr (message, STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS, &storage,
                                  &length) != STUN_MESSAGE_RETURN_SUCCESS)
    {
      g_set_error_literal (error, ES_ERROR, ES_ERROR_PROTOCOL,
                           "the STUN response has no valid XOR-MAPPED-ADDRESS");
      return NULL;
    }
  address = g_socket_address_new_from_native (&storage, length);
  if (address == NULL || !G_IS_INET_SOCKET_ADDRESS (address))
    {
      g_set_error_literal (error, ES_ERROR, ES_ERROR_PROTOCOL,
                           "the STUN response's XOR-MAPPED-ADDRESS is not an IP address");
      return NULL;
    }
  /* GLib already reads an IPv4-mapped IPv6 address as the IPv4 one. */
  return G_INET_SOCKET_ADDRESS (g_steal_pointer (&address));
}

static gboolean
is_binding_answer (const StunMessage *message)
{
  StunClass class = stun_message_get_class (message);

  return stun_message_get_method (message) == STUN_BINDING &&
         (class == STUN_RESPONSE || class == STUN_ERROR);
}

GInetSocketAddress *
es_stun_request_parse_response (EsStunRequest  *self,
                                const guint8   *data,
                                gsize           length,
                                GError        **error)
{
  StunMessage message;
  StunValidationStatus status;
  int code = 0;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (data != NULL || length == 0, NULL);

  if (!read_message (data, length, &message, error))
    return NULL;
  if (!is_binding_answer (&message))
    {
      g_set_error_literal (error, ES_ERROR, ES_ERROR_PROTOCOL,
                           "the STUN message is not a Binding response");
      return NULL;
    }
  if (self->answered ||
      memcmp (data + COOKIE_OFFSET + 4, es_stun_request_get_transaction_id (self),
              ES_STUN_TRANSACTION_ID_SIZE) != 0)
    {
      g_set_error_literal (error, ES_ERROR, ES_ERROR_NOT_FOUND,
                           "the STUN response answers another transaction");
      return NULL;
    }

  set_validation_flags (&self->agent, self->validation_flags, &message);
  status = stun_agent_validate (&self->agent, &message, data, length, NULL, NULL);
  if (status != STUN_VALIDATION_SUCCESS)
    {
      g_set_error (error, ES_ERROR, ES_ERROR_PROTOCOL,
                   "refusing the STUN response: %s", describe_validation (status));
      return NULL;
    }
  /* libnice has forgotten the transaction: a repeat is not an answer. */
  self->answered = TRUE;

  if (stun_message_get_class (&message) == STUN_ERROR)
    {
      stun_message_find_error (&message, &code);
      g_set_error (error, ES_ERROR, ES_ERROR_PROTOCOL,
                   "the STUN server refused the Binding request with error %d", code);
      return NULL;
    }
  return read_mapped_address (&message, error);
}

/* The Binding success response, with XOR-MAPPED-ADDRESS for source and the
 * request's MESSAGE-INTEGRITY key, if it had one, then FINGERPRINT. */
static GBytes *
build_success (StunAgent          *agent,
               const StunMessage  *request,
               GInetSocketAddress *source)
{
  g_autoptr(GInetSocketAddress) plain = es_address_unmap (source);
  struct sockaddr_storage storage;
  socklen_t storage_length;
  guint8 buffer[MESSAGE_BUFFER_SIZE];
  StunMessage response;
  gsize length;

  storage_length = (socklen_t) g_socket_address_get_native_size (G_SOCKET_ADDRESS (plain));
  if (!g_socket_address_to_native (G_SOCKET_ADDRESS (plain), &storage, sizeof storage, NULL) ||
      !stun_agent_init_response (agent, &response, buffer, sizeof buffer, request) ||
      stun_message_append_xor_addr (&response, STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS, &storage,
                                    storage_length) != STUN_MESSAGE_RETURN_SUCCESS)
    g_error ("building a STUN Binding response failed");
  length = stun_agent_finish_message (agent, &response, NULL, 0);
  if (length == 0)
    g_error ("building a STUN Binding response failed");
  return g_bytes_new (buffer, length);
}

/* An error response for a request that validated far enough to be answered
 * (RFC 8489 §6.3.1); NULL when it must be dropped silently. */
static GBytes *
build_error (StunAgent            *agent,
             const StunMessage    *request,
             StunValidationStatus  status)
{
  guint8 buffer[MESSAGE_BUFFER_SIZE];
  StunMessage response;
  gsize length = 0;

  switch (status)
    {
    case STUN_VALIDATION_UNKNOWN_REQUEST_ATTRIBUTE:
      length = stun_agent_build_unknown_attributes_error (agent, &response, buffer, sizeof buffer,
                                                          request);
      break;
    case STUN_VALIDATION_UNAUTHORIZED_BAD_REQUEST:
    case STUN_VALIDATION_UNAUTHORIZED:
      if (stun_agent_init_error (agent, &response, buffer, sizeof buffer, request,
                                 status == STUN_VALIDATION_UNAUTHORIZED
                                   ? STUN_ERROR_UNAUTHORIZED : STUN_ERROR_BAD_REQUEST))
        length = stun_agent_finish_message (agent, &response, NULL, 0);
      break;
    default:
      return NULL;
    }
  return length > 0 ? g_bytes_new (buffer, length) : NULL;
}

gboolean
es_stun_answer_binding_request (const guint8        *data,
                                gsize                length,
                                GInetSocketAddress  *source,
                                const char          *username,
                                const char          *password,
                                GBytes             **response,
                                GError             **error)
{
  g_autofree StunAgent *agent = g_new0 (StunAgent, 1);
  StunDefaultValidaterData credentials[] = {
    { (uint8_t *) username, username != NULL ? strlen (username) : 0,
      (uint8_t *) password, password != NULL ? strlen (password) : 0 },
    { NULL, 0, NULL, 0 },
  };
  StunAgentUsageFlags flags;
  StunMessage request;
  StunValidationStatus status;

  g_return_val_if_fail (data != NULL || length == 0, FALSE);
  g_return_val_if_fail (G_IS_INET_SOCKET_ADDRESS (source), FALSE);
  g_return_val_if_fail ((username == NULL) == (password == NULL), FALSE);
  g_return_val_if_fail (response != NULL && *response == NULL, FALSE);

  if (!read_message (data, length, &request, error))
    return FALSE;
  if (stun_message_get_class (&request) != STUN_REQUEST ||
      stun_message_get_method (&request) != STUN_BINDING)
    {
      g_set_error_literal (error, ES_ERROR, ES_ERROR_PROTOCOL,
                           "the STUN message is not a Binding request");
      return FALSE;
    }

  flags = username != NULL ? STUN_AGENT_USAGE_SHORT_TERM_CREDENTIALS |
                             STUN_AGENT_USAGE_USE_FINGERPRINT
                           : STUN_AGENT_USAGE_IGNORE_CREDENTIALS;
  stun_agent_init (agent, request_attributes, STUN_COMPATIBILITY_RFC5389, flags);
  set_validation_flags (agent, flags, &request);
  status = stun_agent_validate (agent, &request, data, length,
                                stun_agent_default_validater, credentials);

  /* Every answer carries FINGERPRINT: the client's socket is shared with QUIC. */
  agent->usage_flags = flags | STUN_AGENT_USAGE_USE_FINGERPRINT;
  if (status != STUN_VALIDATION_SUCCESS)
    {
      *response = build_error (agent, &request, status);
      g_set_error (error, ES_ERROR, ES_ERROR_PROTOCOL,
                   "refusing the STUN Binding request: %s", describe_validation (status));
      return FALSE;
    }
  *response = build_success (agent, &request, source);
  return TRUE;
}

GInetSocketAddress *
es_stun_response_get_other_address (const guint8 *data,
                                    gsize         length)
{
  struct sockaddr_storage storage;
  socklen_t storage_length = sizeof storage;
  g_autoptr(GSocketAddress) address = NULL;
  StunMessage message;

  g_return_val_if_fail (data != NULL || length == 0, NULL);

  if (!read_message (data, length, &message, NULL) ||
      stun_message_find_addr (&message, ATTRIBUTE_OTHER_ADDRESS, &storage,
                              &storage_length) != STUN_MESSAGE_RETURN_SUCCESS)
    return NULL;
  address = g_socket_address_new_from_native (&storage, storage_length);
  if (address == NULL || !G_IS_INET_SOCKET_ADDRESS (address))
    return NULL;
  return G_INET_SOCKET_ADDRESS (g_steal_pointer (&address));
}
