/* STUN Binding requests and responses (RFC 8489) through libnice's agent,
 * and against Debian coturn's turnutils_stunclient.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "es-address.h"
#include "es-error.h"
#include "es-stun.h"

#define ATTRIBUTE_MESSAGE_INTEGRITY   0x0008
#define ATTRIBUTE_ERROR_CODE          0x0009
#define ATTRIBUTE_UNKNOWN_ATTRIBUTES  0x000a
#define ATTRIBUTE_XOR_MAPPED_ADDRESS  0x0020
#define ATTRIBUTE_FINGERPRINT         0x8028
#define CLASS_MASK                    0x0110
#define CLASS_SUCCESS                 0x0100
#define CLASS_ERROR                   0x0110

#define USERNAME "remoteufrag:localufrag"
#define PASSWORD "the-remote-password-22chars"

static guint16
read_u16 (const guint8 *bytes)
{
  return (guint16) (bytes[0] << 8 | bytes[1]);
}

/* The value of the first attribute of that type, or NULL. Also returns the
 * type of the last attribute in *last. */
static const guint8 *
find_attribute (GBytes  *message,
                guint16  type,
                guint16 *value_length,
                guint16 *last)
{
  gsize length = 0;
  const guint8 *bytes = g_bytes_get_data (message, &length);
  const guint8 *found = NULL;

  for (gsize offset = 20; offset + 4 <= length;)
    {
      guint16 attribute = read_u16 (bytes + offset);
      guint16 size = read_u16 (bytes + offset + 2);

      if (attribute == type && found == NULL)
        {
          found = bytes + offset + 4;
          *value_length = size;
        }
      if (last != NULL)
        *last = attribute;
      offset += 4 + ((size + 3u) & ~3u);
    }
  return found;
}

static GInetSocketAddress *
address (const char *text)
{
  g_autoptr(GError) error = NULL;
  GInetSocketAddress *parsed = es_address_parse (text, &error);

  g_assert_no_error (error);
  return parsed;
}

static GBytes *
answer (GBytes             *request,
        GInetSocketAddress *source,
        const char         *username,
        const char         *password)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) response = NULL;
  gsize length = 0;
  const guint8 *data = g_bytes_get_data (request, &length);

  g_assert_true (es_stun_answer_binding_request (data, length, source, username, password,
                                                 &response, &error));
  g_assert_no_error (error);
  g_assert_nonnull (response);
  return g_steal_pointer (&response);
}

static GInetSocketAddress *
parse_response (EsStunRequest  *request,
                GBytes         *response,
                GError        **error)
{
  gsize length = 0;
  const guint8 *data = g_bytes_get_data (response, &length);

  return es_stun_request_parse_response (request, data, length, error);
}

static void
assert_round_trip (const char *source_text,
                   const char *expected_text)
{
  g_autoptr(EsStunRequest) request = es_stun_request_new (NULL, NULL);
  g_autoptr(GBytes) message = es_stun_request_get_message (request);
  g_autoptr(GInetSocketAddress) source = address (source_text);
  g_autoptr(GBytes) response = answer (message, source, NULL, NULL);
  g_autoptr(GInetSocketAddress) mapped = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *mapped_text = NULL;
  guint16 size = 0;
  guint16 last = 0;

  /* The request: Binding, cookie, FINGERPRINT last. */
  g_assert_cmphex (read_u16 (g_bytes_get_data (message, NULL)), ==, 0x0001);
  g_assert_nonnull (find_attribute (message, ATTRIBUTE_FINGERPRINT, &size, &last));
  g_assert_cmphex (last, ==, ATTRIBUTE_FINGERPRINT);
  g_assert_null (find_attribute (message, ATTRIBUTE_MESSAGE_INTEGRITY, &size, NULL));

  /* The response: success, XOR-MAPPED-ADDRESS, FINGERPRINT last. */
  g_assert_cmphex (read_u16 (g_bytes_get_data (response, NULL)) & CLASS_MASK, ==, CLASS_SUCCESS);
  g_assert_nonnull (find_attribute (response, ATTRIBUTE_XOR_MAPPED_ADDRESS, &size, &last));
  g_assert_cmphex (last, ==, ATTRIBUTE_FINGERPRINT);
  g_assert_cmpmem ((const guint8 *) g_bytes_get_data (response, NULL) + 8, 12,
                   es_stun_request_get_transaction_id (request), 12);

  mapped = parse_response (request, response, &error);
  g_assert_no_error (error);
  mapped_text = es_address_to_string (mapped);
  g_assert_cmpstr (mapped_text, ==, expected_text);
}

static void
test_round_trip_ipv4 (void)
{
  assert_round_trip ("192.0.2.1:4433", "192.0.2.1:4433");
  assert_round_trip ("203.0.113.254:1", "203.0.113.254:1");
}

static void
test_round_trip_ipv6 (void)
{
  assert_round_trip ("[2001:db8::1]:5000", "[2001:db8::1]:5000");
  assert_round_trip ("[2001:db8:ffff:1:2:3:4:5]:65535", "[2001:db8:ffff:1:2:3:4:5]:65535");
}

/* A dual-stack relay socket sees IPv4 clients as ::ffff:a.b.c.d; they are
 * told their IPv4 address. */
static void
test_mapped_ipv4_source (void)
{
  g_autoptr(GInetAddress) v4_mapped = g_inet_address_new_from_string ("::ffff:198.51.100.7");
  g_autoptr(GInetSocketAddress) source =
    G_INET_SOCKET_ADDRESS (g_inet_socket_address_new (v4_mapped, 3478));
  g_autoptr(EsStunRequest) request = es_stun_request_new (NULL, NULL);
  g_autoptr(GBytes) message = es_stun_request_get_message (request);
  g_autoptr(GBytes) response = answer (message, source, NULL, NULL);
  g_autoptr(GInetSocketAddress) mapped = parse_response (request, response, NULL);
  GInetAddress *ip = g_inet_socket_address_get_address (mapped);
  const guint8 *value;
  guint16 size = 0;

  value = find_attribute (response, ATTRIBUTE_XOR_MAPPED_ADDRESS, &size, NULL);
  g_assert_cmpuint (size, ==, 8);
  g_assert_cmpuint (value[1], ==, 0x01); /* the IPv4 family on the wire */
  g_assert_cmpint (g_inet_address_get_family (ip), ==, G_SOCKET_FAMILY_IPV4);
  g_assert_cmpuint (g_inet_socket_address_get_port (mapped), ==, 3478);
}

/* A server on a dual-stack socket that reports ::ffff:a.b.c.d: the client
 * reads the IPv4 address it is. Built by hand, without FINGERPRINT. */
static void
test_mapped_ipv4_in_response (void)
{
  static const guint8 mapped_v6[16] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 198, 51, 100, 7,
  };
  g_autoptr(EsStunRequest) request = es_stun_request_new (NULL, NULL);
  guint8 response[20 + 4 + 20] = {
    0x01, 0x01, 0x00, 0x18, 0x21, 0x12, 0xa4, 0x42,
  };
  guint8 *value = response + 24;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GInetSocketAddress) mapped = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;

  memcpy (response + 8, es_stun_request_get_transaction_id (request), 12);
  response[20] = 0x00;
  response[21] = 0x20;
  response[23] = 20;
  value[1] = 0x02;
  value[2] = (guint8) ((3478 >> 8) ^ 0x21);
  value[3] = (guint8) ((3478 & 0xff) ^ 0x12);
  for (guint i = 0; i < 16; i++)
    value[4 + i] = mapped_v6[i] ^ response[4 + i];

  bytes = g_bytes_new (response, sizeof response);
  mapped = parse_response (request, bytes, &error);
  g_assert_no_error (error);
  text = es_address_to_string (mapped);
  g_assert_cmpstr (text, ==, "198.51.100.7:3478");
  g_assert_cmpint (g_inet_address_get_family (g_inet_socket_address_get_address (mapped)), ==,
                   G_SOCKET_FAMILY_IPV4);
}

static void
test_transaction_mismatch_ignored (void)
{
  g_autoptr(EsStunRequest) ours = es_stun_request_new (NULL, NULL);
  g_autoptr(EsStunRequest) other = es_stun_request_new (NULL, NULL);
  g_autoptr(GBytes) other_message = es_stun_request_get_message (other);
  g_autoptr(GBytes) our_message = es_stun_request_get_message (ours);
  g_autoptr(GInetSocketAddress) source = address ("192.0.2.9:9");
  g_autoptr(GBytes) other_response = answer (other_message, source, NULL, NULL);
  g_autoptr(GBytes) our_response = answer (our_message, source, NULL, NULL);
  g_autoptr(GInetSocketAddress) mapped = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (memcmp (es_stun_request_get_transaction_id (ours),
                         es_stun_request_get_transaction_id (other),
                         ES_STUN_TRANSACTION_ID_SIZE) != 0);

  g_assert_null (parse_response (ours, other_response, &error));
  g_assert_error (error, ES_ERROR, ES_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* Still waiting for its own answer, which it takes once. */
  mapped = parse_response (ours, our_response, &error);
  g_assert_no_error (error);
  g_assert_nonnull (mapped);
  g_assert_null (parse_response (ours, our_response, &error));
  g_assert_error (error, ES_ERROR, ES_ERROR_NOT_FOUND);
}

/* The response with its last attribute (FINGERPRINT) cut off. */
static GBytes *
without_fingerprint (GBytes *message)
{
  gsize length = 0;
  const guint8 *data = g_bytes_get_data (message, &length);
  guint8 *copy = g_memdup2 (data, length - 8);
  guint16 body = (guint16) (length - 8 - 20);

  copy[2] = (guint8) (body >> 8);
  copy[3] = (guint8) body;
  return g_bytes_new_take (copy, length - 8);
}

static GBytes *
with_byte_flipped (GBytes *message,
                   gsize   offset)
{
  gsize length = 0;
  guint8 *copy = g_memdup2 (g_bytes_get_data (message, &length), g_bytes_get_size (message));

  copy[offset] ^= 0x01;
  return g_bytes_new_take (copy, length);
}

static void
test_fingerprint_checked (void)
{
  g_autoptr(EsStunRequest) request = es_stun_request_new (NULL, NULL);
  g_autoptr(GBytes) message = es_stun_request_get_message (request);
  g_autoptr(GInetSocketAddress) source = address ("192.0.2.1:4433");
  g_autoptr(GBytes) response = answer (message, source, NULL, NULL);
  gsize length = g_bytes_get_size (response);
  g_autoptr(GBytes) bad_crc = with_byte_flipped (response, length - 1);
  g_autoptr(GBytes) bad_address = with_byte_flipped (response, 20 + 4 + 3);
  g_autoptr(GBytes) bad_request = with_byte_flipped (message, g_bytes_get_size (message) - 2);
  g_autoptr(GBytes) stripped = without_fingerprint (response);
  g_autoptr(GBytes) refusal = NULL;
  g_autoptr(GInetSocketAddress) mapped = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_null (parse_response (request, bad_crc, &error));
  g_assert_error (error, ES_ERROR, ES_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, "FINGERPRINT"));
  g_clear_error (&error);
  g_assert_null (parse_response (request, bad_address, &error));
  g_assert_error (error, ES_ERROR, ES_ERROR_PROTOCOL);
  g_clear_error (&error);

  g_assert_false (es_stun_answer_binding_request (g_bytes_get_data (bad_request, NULL),
                                                  g_bytes_get_size (bad_request), source,
                                                  NULL, NULL, &refusal, &error));
  g_assert_error (error, ES_ERROR, ES_ERROR_PROTOCOL);
  g_assert_null (refusal);
  g_clear_error (&error);

  /* RFC 8489 makes FINGERPRINT optional without credentials: a server that
   * sends none is still heard, and the refusals above did not use up the
   * transaction. */
  mapped = parse_response (request, stripped, &error);
  g_assert_no_error (error);
  g_assert_nonnull (mapped);
}

static void
test_short_term_credentials (void)
{
  g_autoptr(EsStunRequest) request = es_stun_request_new (USERNAME, PASSWORD);
  g_autoptr(GBytes) message = es_stun_request_get_message (request);
  g_autoptr(GInetSocketAddress) source = address ("[2001:db8::7]:7000");
  g_autoptr(GBytes) response = answer (message, source, USERNAME, PASSWORD);
  g_autoptr(GBytes) stripped = without_fingerprint (response);
  g_autoptr(GBytes) plain_response = NULL;
  g_autoptr(GInetSocketAddress) mapped = NULL;
  g_autoptr(GError) error = NULL;
  guint16 size = 0;
  guint16 last = 0;

  g_assert_nonnull (find_attribute (message, 0x0006, &size, NULL));
  g_assert_cmpuint (size, ==, strlen (USERNAME));
  g_assert_nonnull (find_attribute (message, ATTRIBUTE_MESSAGE_INTEGRITY, &size, &last));
  g_assert_cmphex (last, ==, ATTRIBUTE_FINGERPRINT);
  g_assert_nonnull (find_attribute (response, ATTRIBUTE_MESSAGE_INTEGRITY, &size, &last));
  g_assert_cmphex (last, ==, ATTRIBUTE_FINGERPRINT);

  /* Under credentials the response needs its FINGERPRINT and its
   * MESSAGE-INTEGRITY: a plain answer (a stranger who saw the transaction
   * id) is refused. */
  g_assert_null (parse_response (request, stripped, &error));
  g_assert_error (error, ES_ERROR, ES_ERROR_PROTOCOL);
  g_clear_error (&error);
  {
    guint8 bare[20] = { 0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42 };
    g_autoptr(GBytes) bare_request = NULL;

    memcpy (bare + 8, es_stun_request_get_transaction_id (request), 12);
    bare_request = g_bytes_new (bare, sizeof bare);
    plain_response = answer (bare_request, source, NULL, NULL);
    g_assert_null (parse_response (request, plain_response, &error));
    g_assert_error (error, ES_ERROR, ES_ERROR_PROTOCOL);
    g_clear_error (&error);
  }

  mapped = parse_response (request, response, &error);
  g_assert_no_error (error);
  g_assert_nonnull (mapped);
}

static void
assert_refused_with (GBytes             *message,
                     GInetSocketAddress *source,
                     const char         *username,
                     const char         *password,
                     guint               code)
{
  g_autoptr(GBytes) response = NULL;
  g_autoptr(GError) error = NULL;
  const guint8 *value;
  guint16 size = 0;
  guint16 last = 0;

  g_assert_false (es_stun_answer_binding_request (g_bytes_get_data (message, NULL),
                                                  g_bytes_get_size (message), source,
                                                  username, password, &response, &error));
  g_assert_error (error, ES_ERROR, ES_ERROR_PROTOCOL);
  g_assert_nonnull (response);
  g_assert_cmphex (read_u16 (g_bytes_get_data (response, NULL)) & CLASS_MASK, ==, CLASS_ERROR);
  value = find_attribute (response, ATTRIBUTE_ERROR_CODE, &size, &last);
  g_assert_nonnull (value);
  g_assert_cmpuint (value[2] * 100u + value[3], ==, code);
  g_assert_cmphex (last, ==, ATTRIBUTE_FINGERPRINT);
  /* An error for bad credentials cannot be signed with them. */
  if (code != 420)
    g_assert_null (find_attribute (response, ATTRIBUTE_MESSAGE_INTEGRITY, &size, NULL));
}

static void
test_wrong_credentials_refused (void)
{
  g_autoptr(GInetSocketAddress) source = address ("192.0.2.1:4433");
  g_autoptr(EsStunRequest) request = es_stun_request_new (USERNAME, PASSWORD);
  g_autoptr(EsStunRequest) wrong_password = es_stun_request_new (USERNAME, "guessed");
  g_autoptr(EsStunRequest) wrong_user = es_stun_request_new ("someone:else", PASSWORD);
  g_autoptr(EsStunRequest) none = es_stun_request_new (NULL, NULL);
  g_autoptr(GBytes) message = es_stun_request_get_message (request);
  g_autoptr(GBytes) wrong_password_message = es_stun_request_get_message (wrong_password);
  g_autoptr(GBytes) wrong_user_message = es_stun_request_get_message (wrong_user);
  g_autoptr(GBytes) none_message = es_stun_request_get_message (none);
  g_autoptr(GBytes) tampered = with_byte_flipped (message, 20 + 4 + 1);
  g_autoptr(GBytes) response = NULL;

  assert_refused_with (wrong_password_message, source, USERNAME, PASSWORD, 401);
  assert_refused_with (wrong_user_message, source, USERNAME, PASSWORD, 401);
  assert_refused_with (none_message, source, USERNAME, PASSWORD, 400);
  assert_refused_with (message, source, USERNAME, "another-password", 401);

  /* An altered USERNAME breaks MESSAGE-INTEGRITY (FINGERPRINT fixed up by
   * nobody: the server drops it silently). */
  g_assert_false (es_stun_answer_binding_request (g_bytes_get_data (tampered, NULL),
                                                  g_bytes_get_size (tampered), source,
                                                  USERNAME, PASSWORD, &response, NULL));
  g_assert_null (response);

  /* The relay's public service ignores credentials a client sends. */
  response = answer (message, source, NULL, NULL);
  g_assert_nonnull (response);
}

/* A request for RFC 5780 behaviour tests (CHANGE-REQUEST, 0x0003), which a
 * one-address server cannot honour: 420 with UNKNOWN-ATTRIBUTES, so that
 * the client knows instead of drawing wrong conclusions. */
static void
test_unknown_attribute (void)
{
  static const guint8 change_request[] = {
    0x00, 0x01, 0x00, 0x08, 0x21, 0x12, 0xa4, 0x42,
    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c,
    0x00, 0x03, 0x00, 0x04, 0x00, 0x00, 0x00, 0x06,
  };
  g_autoptr(GBytes) message = g_bytes_new_static (change_request, sizeof change_request);
  g_autoptr(GInetSocketAddress) source = address ("192.0.2.1:4433");
  g_autoptr(GBytes) response = NULL;
  g_autoptr(GError) error = NULL;
  const guint8 *unknown;
  guint16 size = 0;

  assert_refused_with (message, source, NULL, NULL, 420);
  g_assert_false (es_stun_answer_binding_request (change_request, sizeof change_request, source,
                                                  NULL, NULL, &response, &error));
  g_assert_nonnull (strstr (error->message, "unknown comprehension-required attribute"));
  unknown = find_attribute (response, ATTRIBUTE_UNKNOWN_ATTRIBUTES, &size, NULL);
  g_assert_nonnull (unknown);
  g_assert_cmpuint (size, ==, 2);
  g_assert_cmphex (read_u16 (unknown), ==, 0x0003);
  g_assert_cmpmem ((const guint8 *) g_bytes_get_data (response, NULL) + 8, 12,
                   change_request + 8, 12);
}

static void
test_malformed_input (void)
{
  g_autoptr(EsStunRequest) request = es_stun_request_new (NULL, NULL);
  g_autoptr(GBytes) message = es_stun_request_get_message (request);
  g_autoptr(GInetSocketAddress) source = address ("192.0.2.1:4433");
  g_autoptr(GBytes) response = answer (message, source, NULL, NULL);
  gsize request_length = 0;
  const guint8 *request_data = g_bytes_get_data (message, &request_length);
  gsize response_length = 0;
  const guint8 *response_data = g_bytes_get_data (response, &response_length);
  g_autoptr(GRand) rand = g_rand_new_with_seed (5);
  guint8 buffer[128];

  /* Every truncation of both. */
  for (gsize cut = 0; cut < request_length; cut++)
    {
      g_autoptr(GBytes) reply = NULL;
      g_autoptr(GError) error = NULL;

      g_assert_false (es_stun_answer_binding_request (request_data, cut, source, NULL, NULL,
                                                      &reply, &error));
      g_assert_error (error, ES_ERROR, ES_ERROR_PROTOCOL);
      g_assert_null (reply);
    }
  for (gsize cut = 0; cut < response_length; cut++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_null (es_stun_request_parse_response (request, response_data, cut, &error));
      g_assert_error (error, ES_ERROR, ES_ERROR_PROTOCOL);
    }

  /* Each side refuses the other's kind of message. */
  {
    g_autoptr(GBytes) reply = NULL;
    g_autoptr(GError) error = NULL;

    g_assert_null (es_stun_request_parse_response (request, request_data, request_length,
                                                   &error));
    g_assert_error (error, ES_ERROR, ES_ERROR_PROTOCOL);
    g_clear_error (&error);
    g_assert_false (es_stun_answer_binding_request (response_data, response_length, source,
                                                    NULL, NULL, &reply, &error));
    g_assert_error (error, ES_ERROR, ES_ERROR_PROTOCOL);
    g_assert_null (reply);
  }

  /* No magic cookie (RFC 3489), another method, trailing bytes. */
  {
    guint8 copy[256];
    g_autoptr(GBytes) reply = NULL;

    memcpy (copy, request_data, request_length);
    copy[4] = 0;
    g_assert_false (es_stun_answer_binding_request (copy, request_length, source, NULL, NULL,
                                                    &reply, NULL));
    memcpy (copy, request_data, request_length);
    copy[1] = 0x03; /* Allocate */
    g_assert_false (es_stun_answer_binding_request (copy, request_length, source, NULL, NULL,
                                                    &reply, NULL));
    memcpy (copy, request_data, request_length);
    copy[request_length] = 0;
    g_assert_false (es_stun_answer_binding_request (copy, request_length + 1, source, NULL,
                                                    NULL, &reply, NULL));
    g_assert_null (reply);
  }

  /* Random bytes behind a plausible header, never a crash. */
  for (guint i = 0; i < 5000; i++)
    {
      gsize length = (gsize) g_rand_int_range (rand, 0, sizeof buffer);
      g_autoptr(GBytes) reply = NULL;
      g_autoptr(GInetSocketAddress) mapped = NULL;

      for (gsize j = 0; j < length; j++)
        buffer[j] = (guint8) g_rand_int (rand);
      if (length >= 20)
        {
          memcpy (buffer + 4, request_data + 4, i % 2 ? 16 : 4);
          buffer[0] &= 0x01;
          buffer[2] = 0;
          buffer[3] = (guint8) ((length - 20) & ~3u);
        }
      mapped = es_stun_request_parse_response (request, buffer, length, NULL);
      es_stun_answer_binding_request (buffer, length, source, USERNAME, PASSWORD, &reply, NULL);
    }
}

/* Debian coturn's client against our server side, over real UDP on the
 * loopback: it must print the address it sent from. */
static void
test_turnutils_stunclient (void)
{
  g_autofree char *client = g_find_program_in_path ("turnutils_stunclient");
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) bind_address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GInetSocketAddress) local = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *port = NULL;
  g_autofree char *output = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *client_address = NULL;
  guint8 datagram[1500];
  g_autoptr(GSocketAddress) from = NULL;
  g_autoptr(GBytes) response = NULL;
  gssize received;

  if (client == NULL)
    {
      g_test_skip ("turnutils_stunclient (Debian coturn) is not installed");
      return;
    }

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP,
                         &error);
  g_assert_no_error (error);
  g_assert_true (g_socket_bind (socket, bind_address, FALSE, &error));
  /* A bound on waiting, not a sleep: it returns as soon as a packet is in. */
  g_socket_set_timeout (socket, 20);
  local = G_INET_SOCKET_ADDRESS (g_socket_get_local_address (socket, &error));
  port = g_strdup_printf ("%u", g_inet_socket_address_get_port (local));

  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE,
                              &error, client, "-p", port, "127.0.0.1", NULL);
  g_assert_no_error (error);

  received = g_socket_receive_from (socket, &from, (char *) datagram, sizeof datagram, NULL,
                                    &error);
  g_assert_no_error (error);
  g_assert_true (es_stun_answer_binding_request (datagram, (gsize) received,
                                                 G_INET_SOCKET_ADDRESS (from), NULL, NULL,
                                                 &response, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_socket_send_to (socket, from, g_bytes_get_data (response, NULL),
                                     g_bytes_get_size (response), NULL, &error), ==,
                   (gssize) g_bytes_get_size (response));

  g_assert_true (g_subprocess_communicate_utf8 (process, NULL, NULL, &output, NULL, &error));
  g_assert_no_error (error);
  g_test_message ("turnutils_stunclient said:\n%s", output);
  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);
  client_address = es_address_to_string (G_INET_SOCKET_ADDRESS (from));
  expected = g_strdup_printf ("UDP reflexive addr: %s", client_address);
  g_assert_nonnull (strstr (output, expected));
}

int
main (int argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/stun/round-trip-ipv4", test_round_trip_ipv4);
  g_test_add_func ("/stun/round-trip-ipv6", test_round_trip_ipv6);
  g_test_add_func ("/stun/mapped-ipv4-source", test_mapped_ipv4_source);
  g_test_add_func ("/stun/mapped-ipv4-in-response", test_mapped_ipv4_in_response);
  g_test_add_func ("/stun/transaction-mismatch-ignored", test_transaction_mismatch_ignored);
  g_test_add_func ("/stun/fingerprint-checked", test_fingerprint_checked);
  g_test_add_func ("/stun/short-term-credentials", test_short_term_credentials);
  g_test_add_func ("/stun/wrong-credentials-refused", test_wrong_credentials_refused);
  g_test_add_func ("/stun/unknown-attribute", test_unknown_attribute);
  g_test_add_func ("/stun/malformed-input", test_malformed_input);
  g_test_add_func ("/stun/turnutils-stunclient", test_turnutils_stunclient);

  return g_test_run ();
}
