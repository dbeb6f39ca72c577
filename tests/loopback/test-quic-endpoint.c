/* EsQuicEndpoint and EsQuicConnection between real sockets on loopback:
 * mutual TLS with pins, refusals, one socket in both roles, streams and
 * datagrams, STUN on the same socket, impairment, timeouts, closing.
 *
 * Every wait iterates the main context until a condition holds or a
 * deadline passes; nothing sleeps. Traffic goes to 127.0.0.1 and ::1 only.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "es-error.h"
#include "es-json.h"
#include "es-quic-connection-private.h"
#include "es-quic-endpoint.h"
#include "loopback-test-support.h"

#define HANDSHAKE_WAIT_MS 10000

/* Waiting */

/* Lets the main loop run for a while, for things that must not happen. */
static void
iterate_for (guint milliseconds)
{
  gboolean expired = FALSE;

  g_timeout_add (milliseconds, loopback_test_set_true, &expired);
  while (!expired)
    g_main_context_iteration (NULL, TRUE);
}

/* What a connection said */

typedef struct
{
  guint established;
  guint closed;
  GError *close_error;
  GPtrArray *messages;     /* JsonObject */
  GArray *message_streams; /* gint64, parallel to messages */
  GPtrArray *datagrams;    /* GBytes */
  gboolean echo_datagrams;
} Observed;

static void
observed_free (Observed *observed)
{
  g_clear_error (&observed->close_error);
  g_ptr_array_unref (observed->messages);
  g_array_unref (observed->message_streams);
  g_ptr_array_unref (observed->datagrams);
  g_free (observed);
}

static void
on_established (EsQuicConnection *connection,
                Observed         *observed)
{
  observed->established++;
}

static void
on_message (EsQuicConnection *connection,
            gint64            stream_id,
            JsonObject       *message,
            Observed         *observed)
{
  g_ptr_array_add (observed->messages, json_object_ref (message));
  g_array_append_val (observed->message_streams, stream_id);
}

static void
on_datagram (EsQuicConnection *connection,
             GBytes           *datagram,
             Observed         *observed)
{
  g_ptr_array_add (observed->datagrams, g_bytes_ref (datagram));
  if (observed->echo_datagrams)
    g_assert_true (es_quic_connection_send_datagram (connection,
                                                     g_bytes_get_data (datagram, NULL),
                                                     g_bytes_get_size (datagram)));
}

static void
on_closed (EsQuicConnection *connection,
           const GError     *reason,
           Observed         *observed)
{
  g_assert_nonnull (reason);
  g_assert_true (reason->domain == ES_QUIC_ERROR);
  observed->closed++;
  g_clear_error (&observed->close_error);
  observed->close_error = g_error_copy (reason);
}

static Observed *
observe (EsQuicConnection *connection)
{
  Observed *observed = g_object_get_data (G_OBJECT (connection), "observed");

  if (observed != NULL)
    return observed;

  observed = g_new0 (Observed, 1);
  observed->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  observed->message_streams = g_array_new (FALSE, FALSE, sizeof (gint64));
  observed->datagrams = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_object_set_data_full (G_OBJECT (connection), "observed", observed,
                          (GDestroyNotify) observed_free);
  g_signal_connect (connection, "established", G_CALLBACK (on_established), observed);
  g_signal_connect (connection, "message-received", G_CALLBACK (on_message), observed);
  g_signal_connect (connection, "datagram-received", G_CALLBACK (on_datagram), observed);
  g_signal_connect (connection, "closed", G_CALLBACK (on_closed), observed);
  return observed;
}

/* A peer: an identity (or none) and an endpoint on loopback */

typedef struct
{
  EsIdentity *identity;
  EsQuicEndpoint *endpoint;
  GPtrArray *outgoing;             /* EsQuicConnection */
  GPtrArray *incoming;             /* EsQuicConnection */
  GHashTable *allowed;             /* fingerprints the authorize function accepts */
  guint authorize_calls;
  char *authorized_fingerprint;
  GInetSocketAddress *authorized_remote;
  GPtrArray *unhandled;            /* GBytes */
  GInetSocketAddress *unhandled_from;
} Peer;

static void
on_incoming (EsQuicEndpoint   *endpoint,
             EsQuicConnection *connection,
             Peer             *peer)
{
  observe (connection);
  g_ptr_array_add (peer->incoming, g_object_ref (connection));
}

static void
on_unhandled (EsQuicEndpoint     *endpoint,
              GInetSocketAddress *from,
              GBytes             *packet,
              Peer               *peer)
{
  g_ptr_array_add (peer->unhandled, g_bytes_ref (packet));
  g_set_object (&peer->unhandled_from, from);
}

static gboolean
authorize (EsQuicEndpoint     *endpoint,
           const char         *fingerprint,
           GInetSocketAddress *remote,
           gpointer            user_data)
{
  Peer *peer = user_data;

  peer->authorize_calls++;
  g_free (peer->authorized_fingerprint);
  peer->authorized_fingerprint = g_strdup (fingerprint);
  g_set_object (&peer->authorized_remote, remote);
  return g_hash_table_contains (peer->allowed, fingerprint);
}

static GInetSocketAddress *
address (const char *ip,
         guint16     port)
{
  return G_INET_SOCKET_ADDRESS (g_inet_socket_address_new_from_string (ip, port));
}

static Peer *
peer_new_bound (gboolean    with_identity,
                const char *ip,
                const char *first_property,
                ...)
{
  Peer *peer = g_new0 (Peer, 1);
  g_autoptr(GInetSocketAddress) local = address (ip, 0);
  g_autoptr(GError) error = NULL;
  va_list args;

  peer->identity = with_identity ? es_identity_new_random () : NULL;
  peer->endpoint = es_quic_endpoint_new (peer->identity, NULL);
  va_start (args, first_property);
  if (first_property != NULL)
    g_object_set_valist (G_OBJECT (peer->endpoint), first_property, args);
  va_end (args);

  peer->outgoing = g_ptr_array_new_with_free_func (g_object_unref);
  peer->incoming = g_ptr_array_new_with_free_func (g_object_unref);
  peer->unhandled = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  peer->allowed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_signal_connect (peer->endpoint, "incoming-connection", G_CALLBACK (on_incoming), peer);
  g_signal_connect (peer->endpoint, "unhandled-packet", G_CALLBACK (on_unhandled), peer);

  g_assert_true (es_quic_endpoint_bind (peer->endpoint, local, &error));
  g_assert_no_error (error);
  return peer;
}

#define peer_new(ip) peer_new_bound (TRUE, (ip), NULL)

/* Makes @server accept @client (and keep refusing everyone else). */
static void
peer_allow (Peer       *server,
            EsIdentity *client)
{
  if (client != NULL)
    g_hash_table_add (server->allowed, g_strdup (es_identity_get_fingerprint (client)));
  es_quic_endpoint_set_authorize_func (server->endpoint, authorize, server, NULL);
}

static guint16
peer_port (Peer *peer)
{
  return g_inet_socket_address_get_port (es_quic_endpoint_get_local_address (peer->endpoint));
}

static EsQuicEndpointStats
peer_stats (Peer *peer)
{
  EsQuicEndpointStats stats;

  es_quic_endpoint_get_stats (peer->endpoint, &stats);
  return stats;
}

/* Shuts the endpoint down and checks that, with every reference the test
 * held dropped (the peer holds them all), it and its connections are really
 * gone. */
static void
peer_free (Peer *peer)
{
  gpointer endpoint = peer->endpoint;

  es_quic_endpoint_shutdown (peer->endpoint);
  g_assert_cmpuint (es_quic_endpoint_get_n_connections (peer->endpoint), ==, 0);
  g_ptr_array_unref (peer->outgoing);
  g_ptr_array_unref (peer->incoming);
  g_ptr_array_unref (peer->unhandled);
  g_hash_table_unref (peer->allowed);
  g_free (peer->authorized_fingerprint);
  g_clear_object (&peer->authorized_remote);
  g_clear_object (&peer->unhandled_from);
  g_object_add_weak_pointer (G_OBJECT (peer->endpoint), &endpoint);
  g_object_unref (peer->endpoint);
  g_assert_null (endpoint);
  g_clear_object (&peer->identity);
  g_free (peer);
}

static EsPeerPin *
pin_for (EsIdentity *identity)
{
  guint8 fingerprint[ES_FINGERPRINT_SIZE];

  g_assert_true (es_fingerprint_parse (es_identity_get_fingerprint (identity), fingerprint, NULL));
  return es_peer_pin_new_fingerprint (fingerprint);
}

/* Connecting */

typedef struct
{
  gboolean done;
  EsQuicConnection *connection;
  GError *error;
} ConnectResult;

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  ConnectResult *outcome = user_data;

  outcome->connection = es_quic_endpoint_connect_finish (ES_QUIC_ENDPOINT (source), result,
                                                         &outcome->error);
  /* Connected here, the handlers see "established" and everything after. */
  if (outcome->connection != NULL)
    observe (outcome->connection);
  outcome->done = TRUE;
}

/* The connection belongs to @client (borrowed), or NULL. */
static EsQuicConnection *
connect_to_address (Peer               *client,
                    GInetSocketAddress *remote,
                    EsPeerPin          *pin,
                    GCancellable       *cancellable,
                    GError            **error)
{
  ConnectResult outcome = { FALSE, NULL, NULL };

  es_quic_endpoint_connect_async (client->endpoint, remote, pin, cancellable, on_connected,
                                  &outcome);
  WAIT_UNTIL (outcome.done, HANDSHAKE_WAIT_MS);
  if (outcome.error != NULL)
    g_propagate_error (error, outcome.error);
  if (outcome.connection != NULL)
    g_ptr_array_add (client->outgoing, outcome.connection);
  return outcome.connection;
}

static EsQuicConnection *
connect_to (Peer    *client,
            Peer    *server,
            GError **error)
{
  g_autoptr(GInetSocketAddress) remote = NULL;
  g_autoptr(EsPeerPin) pin = pin_for (server->identity);
  GInetSocketAddress *local = es_quic_endpoint_get_local_address (server->endpoint);
  g_autofree char *ip = g_inet_address_to_string (g_inet_socket_address_get_address (local));

  /* A server bound to "::" is reached on loopback. */
  if (g_inet_address_get_is_any (g_inet_socket_address_get_address (local)))
    remote = address ("::1", peer_port (server));
  else
    remote = address (ip, peer_port (server));
  return connect_to_address (client, remote, pin, NULL, error);
}

/* A connected pair: @client_connection and the server's side of it. */
static EsQuicConnection *
connect_pair (Peer              *client,
              Peer              *server,
              EsQuicConnection **server_connection)
{
  g_autoptr(GError) error = NULL;
  guint before = server->incoming->len;
  EsQuicConnection *connection;

  peer_allow (server, client->identity);
  connection = connect_to (client, server, &error);
  g_assert_no_error (error);
  g_assert_nonnull (connection);
  WAIT_UNTIL (server->incoming->len == before + 1 && observe (connection)->established == 1,
              HANDSHAKE_WAIT_MS);
  *server_connection = g_ptr_array_index (server->incoming, before);
  return connection;
}

static JsonObject *
numbered_message (const char *type,
                  gint64      number)
{
  JsonObject *message = es_json_new_message (type);

  json_object_set_int_member (message, "n", number);
  return message;
}

static gint64
message_number (JsonObject *message)
{
  gint64 number = -1;

  g_assert_true (es_json_get_int (message, "n", &number));
  return number;
}

static void
send_numbered (EsQuicConnection *connection,
               gint64            stream_id,
               const char       *type,
               guint             count)
{
  for (guint i = 0; i < count; i++)
    {
      g_autoptr(JsonObject) message = numbered_message (type, i);
      g_autoptr(GError) error = NULL;

      g_assert_true (es_quic_connection_send_message (connection, stream_id, message, &error));
      g_assert_no_error (error);
    }
}

static void
send_datagrams (EsQuicConnection *connection,
                guint             first,
                guint             count)
{
  for (guint i = first; i < first + count; i++)
    {
      guint8 payload[120];

      memset (payload, 0, sizeof payload);
      payload[0] = i >> 8;
      payload[1] = i & 0xff;
      g_assert_true (es_quic_connection_send_datagram (connection, payload, sizeof payload));
    }
}

static guint
datagram_number (GBytes *datagram)
{
  const guint8 *data = g_bytes_get_data (datagram, NULL);

  return (guint) data[0] << 8 | data[1];
}

static EsQuicStats
connection_stats (EsQuicConnection *connection)
{
  EsQuicStats stats;

  es_quic_connection_get_stats (connection, &stats);
  return stats;
}

static void
assert_error_mentions (const GError *error,
                       const char   *words)
{
  if (strstr (error->message, words) == NULL)
    g_error ("expected “%s” in “%s”", words, error->message);
}

/* Tests */

static void
test_handshake_with_pins (void)
{
  Peer *server = peer_new ("127.0.0.1");
  Peer *client = peer_new ("127.0.0.1");
  EsQuicConnection *server_side = NULL;
  EsQuicConnection *client_side = connect_pair (client, server, &server_side);
  EsQuicEndpointStats stats = peer_stats (server);
  GInetSocketAddress *remote;

  /* Each side learnt the other's address from the handshake. */
  g_assert_cmpstr (es_quic_connection_get_peer_fingerprint (client_side), ==,
                   es_identity_get_fingerprint (server->identity));
  g_assert_cmpstr (es_quic_connection_get_peer_fingerprint (server_side), ==,
                   es_identity_get_fingerprint (client->identity));
  g_assert_false (es_quic_connection_is_server (client_side));
  g_assert_true (es_quic_connection_is_server (server_side));
  g_assert_cmpstr (es_quic_connection_get_alpn (client_side), ==, ES_QUIC_DEFAULT_ALPN);
  g_assert_cmpstr (es_quic_connection_get_alpn (server_side), ==, ES_QUIC_DEFAULT_ALPN);
  g_assert_cmpint (es_quic_connection_get_state (client_side), ==, ES_QUIC_CONNECTION_STATE_CONNECTED);
  g_assert_cmpint (es_quic_connection_get_state (server_side), ==, ES_QUIC_CONNECTION_STATE_CONNECTED);
  g_assert_true (es_quic_connection_get_endpoint (server_side) == server->endpoint);
  g_assert_cmpuint (observe (server_side)->established, ==, 1);
  g_assert_cmpuint (observe (client_side)->established, ==, 1);
  g_assert_null (es_quic_connection_get_close_error (client_side));

  remote = es_quic_connection_get_remote_address (client_side);
  g_assert_cmpuint (g_inet_socket_address_get_port (remote), ==, peer_port (server));
  remote = es_quic_connection_get_remote_address (server_side);
  g_assert_cmpuint (g_inet_socket_address_get_port (remote), ==, peer_port (client));

  /* The authorize function saw the client's key and address. */
  g_assert_cmpuint (server->authorize_calls, ==, 1);
  g_assert_cmpstr (server->authorized_fingerprint, ==, es_identity_get_fingerprint (client->identity));
  g_assert_cmpuint (g_inet_socket_address_get_port (server->authorized_remote), ==, peer_port (client));

  g_assert_cmpuint (stats.connections_accepted, ==, 1);
  g_assert_cmpuint (stats.handshake_failures, ==, 0);
  g_assert_cmpuint (stats.packets_received, >, 0);
  g_assert_cmpuint (stats.packets_sent, >, 0);
  g_assert_cmpuint (connection_stats (client_side).packets_sent, >, 0);
  g_assert_cmpuint (connection_stats (client_side).min_rtt_us, >, 0);

  peer_free (client);
  peer_free (server);
}

static void
test_wrong_server_pin (void)
{
  Peer *server = peer_new ("127.0.0.1");
  Peer *client = peer_new ("127.0.0.1");
  g_autoptr(EsIdentity) someone_else = es_identity_new_random ();
  g_autoptr(EsPeerPin) wrong_pin = pin_for (someone_else);
  g_autoptr(GInetSocketAddress) remote = address ("127.0.0.1", peer_port (server));
  g_autoptr(GError) error = NULL;
  EsQuicConnection *connection = NULL;

  peer_allow (server, client->identity);
  connection = connect_to_address (client, remote, wrong_pin, NULL, &error);
  g_assert_null (connection);
  /* Our own check refused the key: not just any TLS failure. */
  g_assert_error (error, ES_QUIC_ERROR, ES_QUIC_ERROR_PEER_VERIFICATION);
  assert_error_mentions (error, "TLS alert 42 (bad certificate)");
  assert_error_mentions (error, "does not match the pinned fingerprint");
  assert_error_mentions (error, es_identity_get_fingerprint (someone_else));
  assert_error_mentions (error, es_identity_get_fingerprint (server->identity));
  g_assert_cmpuint (peer_stats (client).handshake_failures, ==, 1);

  WAIT_UNTIL (peer_stats (server).handshake_failures == 1, 5000);
  g_assert_cmpuint (server->incoming->len, ==, 0);
  /* The client refused before it showed its own certificate. */
  g_assert_cmpuint (server->authorize_calls, ==, 0);

  peer_free (client);
  peer_free (server);
}

static void
test_unknown_client_refused (void)
{
  Peer *server = peer_new ("127.0.0.1");
  Peer *client = peer_new ("127.0.0.1");
  g_autoptr(GError) error = NULL;
  EsQuicConnection *connection = NULL;

  peer_allow (server, NULL);
  connection = connect_to (client, server, &error);
  g_assert_null (connection);
  g_assert_error (error, ES_QUIC_ERROR, ES_QUIC_ERROR_TLS_ALERT);
  assert_error_mentions (error, "the peer closed the connection: TLS alert 42 (bad certificate)");
  g_assert_cmpuint (peer_stats (client).handshake_failures, ==, 1);

  g_assert_cmpuint (server->authorize_calls, ==, 1);
  g_assert_cmpstr (server->authorized_fingerprint, ==, es_identity_get_fingerprint (client->identity));
  WAIT_UNTIL (peer_stats (server).handshake_failures == 1, 5000);
  g_assert_cmpuint (server->incoming->len, ==, 0);
  g_assert_cmpuint (peer_stats (server).connections_accepted, ==, 0);

  peer_free (client);
  peer_free (server);
}

static void
test_client_without_certificate (void)
{
  Peer *server = peer_new ("127.0.0.1");
  Peer *client = peer_new_bound (FALSE, "127.0.0.1", NULL);
  g_autoptr(GError) error = NULL;
  EsQuicConnection *connection = NULL;

  g_assert_null (es_quic_endpoint_get_identity (client->endpoint));
  peer_allow (server, NULL);
  connection = connect_to (client, server, &error);
  g_assert_null (connection);
  g_assert_error (error, ES_QUIC_ERROR, ES_QUIC_ERROR_TLS_ALERT);
  assert_error_mentions (error, "TLS alert 116 (certificate required)");

  WAIT_UNTIL (peer_stats (server).handshake_failures == 1, 5000);
  g_assert_cmpuint (server->authorize_calls, ==, 0);
  g_assert_cmpuint (server->incoming->len, ==, 0);

  peer_free (client);
  peer_free (server);
}

static void
test_not_accepting_without_authorize_function (void)
{
  Peer *server = peer_new ("127.0.0.1");
  Peer *client = peer_new_bound (TRUE, "127.0.0.1", "handshake-timeout", 400, NULL);
  g_autoptr(GError) error = NULL;
  EsQuicConnection *connection = NULL;

  connection = connect_to (client, server, &error);
  g_assert_null (connection);
  g_assert_error (error, ES_QUIC_ERROR, ES_QUIC_ERROR_HANDSHAKE_TIMEOUT);
  g_assert_cmpuint (peer_stats (server).packets_dropped, >, 0);
  g_assert_cmpuint (es_quic_endpoint_get_n_connections (server->endpoint), ==, 0);

  peer_free (client);
  peer_free (server);
}

typedef struct
{
  EsQuicConnection *a;
  EsQuicConnection *b;
  gint64 stream_a;
  gint64 stream_b;
} Pair;

static void
start_traffic (Pair *pair)
{
  g_autoptr(GError) error = NULL;

  pair->stream_a = es_quic_connection_open_stream (pair->a, &error);
  g_assert_no_error (error);
  pair->stream_b = es_quic_connection_open_stream (pair->b, &error);
  g_assert_no_error (error);
  send_numbered (pair->a, pair->stream_a, "from-a", 20);
  send_numbered (pair->b, pair->stream_b, "from-b", 20);
  send_datagrams (pair->a, 0, 50);
  send_datagrams (pair->b, 0, 50);
}

static gboolean
traffic_done (Pair *pair)
{
  return observe (pair->a)->messages->len == 20 && observe (pair->b)->messages->len == 20 &&
         observe (pair->a)->datagrams->len == 50 && observe (pair->b)->datagrams->len == 50;
}

static void
check_traffic (Pair *pair)
{
  Observed *at_a = observe (pair->a);
  Observed *at_b = observe (pair->b);

  for (guint i = 0; i < 20; i++)
    {
      g_assert_cmpstr (es_json_get_string (g_ptr_array_index (at_b->messages, i), "type"), ==, "from-a");
      g_assert_cmpint (message_number (g_ptr_array_index (at_b->messages, i)), ==, i);
      g_assert_cmpint (g_array_index (at_b->message_streams, gint64, i), ==, pair->stream_a);
      g_assert_cmpstr (es_json_get_string (g_ptr_array_index (at_a->messages, i), "type"), ==, "from-b");
      g_assert_cmpint (message_number (g_ptr_array_index (at_a->messages, i)), ==, i);
      g_assert_cmpint (g_array_index (at_a->message_streams, gint64, i), ==, pair->stream_b);
    }
  g_assert_cmpuint (connection_stats (pair->a).datagrams_sent, ==, 50);
  g_assert_cmpuint (connection_stats (pair->a).datagrams_received, ==, 50);
}

static void
test_one_socket_both_roles (void)
{
  Peer *a = peer_new ("127.0.0.1");
  Peer *b = peer_new ("127.0.0.1");
  Peer *c = peer_new ("127.0.0.1");
  EsQuicConnection *a_from_b = NULL;
  EsQuicConnection *c_from_a = NULL;
  EsQuicConnection *b_to_a = connect_pair (b, a, &a_from_b);
  EsQuicConnection *a_to_c = connect_pair (a, c, &c_from_a);
  Pair server_role = { a_from_b, b_to_a, -1, -1 };
  Pair client_role = { a_to_c, c_from_a, -1, -1 };
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) reply = numbered_message ("reply", 99);

  /* One socket, one connection in each role. */
  g_assert_cmpuint (es_quic_endpoint_get_n_connections (a->endpoint), ==, 2);
  g_assert_true (es_quic_connection_is_server (a_from_b));
  g_assert_false (es_quic_connection_is_server (a_to_c));
  g_assert_cmpuint (g_inet_socket_address_get_port (es_quic_connection_get_remote_address (b_to_a)),
                    ==, peer_port (a));
  g_assert_cmpuint (g_inet_socket_address_get_port (es_quic_connection_get_remote_address (c_from_a)),
                    ==, peer_port (a));

  /* Both directions of both connections at once. */
  start_traffic (&server_role);
  start_traffic (&client_role);
  WAIT_UNTIL (traffic_done (&server_role) && traffic_done (&client_role), 10000);
  check_traffic (&server_role);
  check_traffic (&client_role);

  /* A reply on the stream the other side opened. */
  g_assert_true (es_quic_connection_send_message (a_from_b, server_role.stream_b, reply, &error));
  g_assert_no_error (error);
  WAIT_UNTIL (observe (b_to_a)->messages->len == 21, 5000);
  g_assert_cmpint (g_array_index (observe (b_to_a)->message_streams, gint64, 20), ==,
                   server_role.stream_b);

  peer_free (a);
  peer_free (b);
  peer_free (c);
}

static void
test_stun_demultiplexing (void)
{
  static const guint8 binding_request[20] = {
    0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42,
    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c,
  };
  Peer *server = peer_new ("127.0.0.1");
  Peer *client = peer_new ("127.0.0.1");
  EsQuicConnection *server_side = NULL;
  EsQuicConnection *client_side = connect_pair (client, server, &server_side);
  g_autoptr(GInetSocketAddress) server_address = address ("127.0.0.1", peer_port (server));
  g_autoptr(GSocket) prober = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                                            G_SOCKET_PROTOCOL_UDP, NULL);
  g_autoptr(GInetSocketAddress) prober_local = address ("127.0.0.1", 0);
  g_autoptr(GSocketAddress) prober_address = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) after = numbered_message ("after-stun", 1);
  guint8 echo[64];
  guint64 dropped_before = peer_stats (server).packets_dropped;
  gint64 stream_id;

  /* From the client's QUIC socket: the same address as its connection. */
  g_assert_true (es_quic_endpoint_send_raw (client->endpoint, server_address, binding_request,
                                            sizeof binding_request, &error));
  g_assert_no_error (error);
  WAIT_UNTIL (server->unhandled->len == 1, 5000);
  g_assert_cmpmem (g_bytes_get_data (g_ptr_array_index (server->unhandled, 0), NULL),
                   g_bytes_get_size (g_ptr_array_index (server->unhandled, 0)),
                   binding_request, sizeof binding_request);
  g_assert_cmpuint (g_inet_socket_address_get_port (server->unhandled_from), ==, peer_port (client));
  g_assert_cmpint (g_socket_address_get_family (G_SOCKET_ADDRESS (server->unhandled_from)), ==,
                   G_SOCKET_FAMILY_IPV4);

  /* From a stranger, answered with send_raw. */
  g_assert_true (g_socket_bind (prober, G_SOCKET_ADDRESS (prober_local), FALSE, &error));
  prober_address = g_socket_get_local_address (prober, &error);
  g_assert_cmpint (g_socket_send_to (prober, G_SOCKET_ADDRESS (server_address),
                                     (const char *) binding_request, sizeof binding_request,
                                     NULL, &error), ==, sizeof binding_request);
  WAIT_UNTIL (server->unhandled->len == 2, 5000);
  g_assert_true (es_quic_endpoint_send_raw (server->endpoint, server->unhandled_from,
                                            binding_request, sizeof binding_request, &error));
  g_socket_set_timeout (prober, 5);
  g_assert_cmpint (g_socket_receive (prober, (char *) echo, sizeof echo, NULL, &error), ==,
                   sizeof binding_request);
  g_assert_no_error (error);

  /* The connection never noticed. */
  g_assert_cmpuint (peer_stats (server).packets_dropped, ==, dropped_before);
  g_assert_cmpint (es_quic_connection_get_state (server_side), ==, ES_QUIC_CONNECTION_STATE_CONNECTED);
  stream_id = es_quic_connection_open_stream (client_side, &error);
  g_assert_true (es_quic_connection_send_message (client_side, stream_id, after, &error));
  send_datagrams (client_side, 0, 1);
  WAIT_UNTIL (observe (server_side)->messages->len == 1 && observe (server_side)->datagrams->len == 1,
              5000);
  g_assert_cmpuint (observe (server_side)->closed, ==, 0);

  peer_free (client);
  peer_free (server);
}

static void
test_datagram_loss_under_impairment (void)
{
  Peer *server = peer_new ("127.0.0.1");
  Peer *client = NULL;
  EsQuicConnection *server_side = NULL;
  EsQuicConnection *client_side = NULL;
  EsQuicStats stats;
  guint sent = 0;
  guint received;

  /* Only the client's endpoint reads it: it is read at bind. One datagram
   * per packet, so that ~400 packets each take their 10 % chance. */
  g_setenv ("EARSHOT_IMPAIR", "loss=10,seed=4", TRUE);
  client = peer_new_bound (TRUE, "127.0.0.1", "coalesce-datagrams", FALSE, NULL);
  g_unsetenv ("EARSHOT_IMPAIR");

  client_side = connect_pair (client, server, &server_side);
  for (guint round = 0; round < 20; round++)
    {
      send_datagrams (client_side, sent, 20);
      sent += 20;
      iterate_for (5);
    }

  /* Every datagram ends up either received or declared lost. */
  WAIT_UNTIL ((es_quic_connection_get_stats (client_side, &stats),
               stats.datagrams_lost + observe (server_side)->datagrams->len >= sent), 10000);
  received = observe (server_side)->datagrams->len;
  g_test_message ("sent %u, received %u, declared lost %" G_GUINT64_FORMAT ", impaired %"
                  G_GUINT64_FORMAT, sent, received, stats.datagrams_lost,
                  peer_stats (client).packets_impaired);

  g_assert_cmpuint (stats.datagrams_sent, ==, sent);
  g_assert_cmpuint (stats.datagrams_dropped, ==, 0);
  g_assert_cmpuint (received, <, sent);
  g_assert_cmpuint (stats.datagrams_lost, >=, sent - received);
  /* Loss detection may call a late packet lost; not many on loopback. */
  g_assert_cmpuint (stats.datagrams_lost, <=, sent - received + sent / 50);
  g_assert_cmpuint (peer_stats (client).packets_impaired, >, 0);
  g_assert_cmpuint (peer_stats (server).packets_impaired, ==, 0);

  peer_free (client);
  peer_free (server);
}

static void
check_protocol_violation (GBytes *bad_bytes)
{
  Peer *server = peer_new ("127.0.0.1");
  Peer *client = peer_new ("127.0.0.1");
  EsQuicConnection *server_side = NULL;
  EsQuicConnection *client_side = connect_pair (client, server, &server_side);
  g_autoptr(JsonObject) good = numbered_message ("good", 1);
  g_autoptr(GError) error = NULL;
  gint64 stream_id = es_quic_connection_open_stream (client_side, &error);

  g_assert_no_error (error);
  g_assert_true (es_quic_connection_send_message (client_side, stream_id, good, &error));
  _es_quic_connection_send_stream_bytes (client_side, stream_id, bad_bytes);
  WAIT_UNTIL (observe (server_side)->closed == 1 && observe (client_side)->closed == 1, 5000);

  /* What came before the bad bytes was delivered. */
  g_assert_cmpuint (observe (server_side)->messages->len, ==, 1);

  g_assert_error (observe (server_side)->close_error, ES_QUIC_ERROR, ES_QUIC_ERROR_APPLICATION);
  assert_error_mentions (observe (server_side)->close_error,
                         "we closed the connection: application error 1 (protocol violation)");
  g_assert_cmpuint (es_quic_connection_get_close_code (server_side), ==,
                    ES_QUIC_APP_PROTOCOL_VIOLATION);
  g_assert_false (es_quic_connection_get_closed_by_peer (server_side));

  g_assert_error (observe (client_side)->close_error, ES_QUIC_ERROR, ES_QUIC_ERROR_APPLICATION);
  assert_error_mentions (observe (client_side)->close_error,
                         "the peer closed the connection: application error 1 (protocol violation)");
  g_assert_cmpuint (es_quic_connection_get_close_code (client_side), ==,
                    ES_QUIC_APP_PROTOCOL_VIOLATION);
  g_assert_true (es_quic_connection_get_closed_by_peer (client_side));

  peer_free (client);
  peer_free (server);
}

static void
test_malformed_message_closes (void)
{
  static const guint8 not_json[] = { 0, 0, 0, 5, 'h', 'e', 'l', 'l', 'o' };
  g_autoptr(GBytes) bytes = g_bytes_new_static (not_json, sizeof not_json);

  check_protocol_violation (bytes);
}

static void
test_oversized_message_closes (void)
{
  /* 65537 bytes announced: refused from the header alone. */
  static const guint8 too_long[] = { 0x00, 0x01, 0x00, 0x01, '{' };
  g_autoptr(GBytes) bytes = g_bytes_new_static (too_long, sizeof too_long);

  check_protocol_violation (bytes);
}

static void
test_idle_timeout (void)
{
  Peer *server = peer_new_bound (TRUE, "127.0.0.1", "idle-timeout", 300, "keepalive-interval", 0,
                                 NULL);
  Peer *client = peer_new_bound (TRUE, "127.0.0.1", "idle-timeout", 300, "keepalive-interval", 0,
                                 NULL);
  EsQuicConnection *server_side = NULL;
  EsQuicConnection *client_side = connect_pair (client, server, &server_side);
  gint64 start = g_get_monotonic_time ();
  gint64 elapsed_ms;

  WAIT_UNTIL (observe (client_side)->closed == 1 && observe (server_side)->closed == 1, 5000);
  elapsed_ms = (g_get_monotonic_time () - start) / 1000;
  g_test_message ("idle close after %" G_GINT64_FORMAT " ms", elapsed_ms);
  g_assert_cmpint (elapsed_ms, >=, 250);
  g_assert_cmpint (elapsed_ms, <, 3000);
  g_assert_error (observe (client_side)->close_error, ES_QUIC_ERROR, ES_QUIC_ERROR_IDLE_TIMEOUT);
  g_assert_error (observe (server_side)->close_error, ES_QUIC_ERROR, ES_QUIC_ERROR_IDLE_TIMEOUT);
  g_assert_false (es_quic_connection_get_closed_by_peer (client_side));
  /* No draining period after an idle timeout: the connection is gone. */
  g_assert_cmpint (es_quic_connection_get_state (client_side), ==, ES_QUIC_CONNECTION_STATE_CLOSED);
  g_assert_cmpuint (es_quic_endpoint_get_n_connections (client->endpoint), ==, 0);

  peer_free (client);
  peer_free (server);
}

static void
test_keepalive_prevents_idle_timeout (void)
{
  /* Four keep-alives to an idle timeout, for three idle timeouts: a busy
   * machine that stalls the loop for a few hundred ms does not close it. */
  Peer *server = peer_new_bound (TRUE, "127.0.0.1", "idle-timeout", 400, "keepalive-interval", 0,
                                 NULL);
  Peer *client = peer_new_bound (TRUE, "127.0.0.1", "idle-timeout", 400, "keepalive-interval", 100,
                                 NULL);
  EsQuicConnection *server_side = NULL;
  EsQuicConnection *client_side = connect_pair (client, server, &server_side);

  iterate_for (1200);
  g_assert_cmpuint (observe (client_side)->closed, ==, 0);
  g_assert_cmpuint (observe (server_side)->closed, ==, 0);
  g_assert_cmpint (es_quic_connection_get_state (client_side), ==, ES_QUIC_CONNECTION_STATE_CONNECTED);

  peer_free (client);
  peer_free (server);
}

static GSocket *
silent_socket (void)
{
  g_autoptr(GInetSocketAddress) local = address ("127.0.0.1", 0);
  g_autoptr(GError) error = NULL;
  GSocket *socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                                  G_SOCKET_PROTOCOL_UDP, &error);

  g_assert_no_error (error);
  g_assert_true (g_socket_bind (socket, G_SOCKET_ADDRESS (local), FALSE, &error));
  g_socket_set_blocking (socket, FALSE);
  return socket;
}

static GInetSocketAddress *
socket_address (GSocket *socket)
{
  return G_INET_SOCKET_ADDRESS (g_socket_get_local_address (socket, NULL));
}

static void
test_handshake_timeout (void)
{
  Peer *client = peer_new_bound (TRUE, "127.0.0.1", "handshake-timeout", 400, NULL);
  g_autoptr(GSocket) silent = silent_socket ();
  g_autoptr(GInetSocketAddress) remote = socket_address (silent);
  g_autoptr(EsPeerPin) pin = es_peer_pin_new_trust_on_first_use ();
  g_autoptr(GError) error = NULL;
  EsQuicConnection *connection = NULL;
  gint64 start = g_get_monotonic_time ();
  gint64 elapsed_ms;
  char packet[2048];
  gssize length;

  connection = connect_to_address (client, remote, pin, NULL, &error);
  elapsed_ms = (g_get_monotonic_time () - start) / 1000;
  g_assert_null (connection);
  g_assert_error (error, ES_QUIC_ERROR, ES_QUIC_ERROR_HANDSHAKE_TIMEOUT);
  assert_error_mentions (error, "400 ms");
  g_assert_cmpint (elapsed_ms, >=, 350);
  g_assert_cmpint (elapsed_ms, <, 2000);
  g_assert_cmpuint (peer_stats (client).handshake_failures, ==, 1);
  g_assert_cmpuint (es_quic_endpoint_get_n_connections (client->endpoint), ==, 0);

  /* It did try: a padded Initial reached the silent socket. */
  length = g_socket_receive (silent, packet, sizeof packet, NULL, NULL);
  g_assert_cmpint (length, >=, 1200);

  peer_free (client);
}

static gboolean
cancel_soon (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_REMOVE;
}

static void
test_cancel_connect (void)
{
  Peer *client = peer_new ("127.0.0.1");
  g_autoptr(GSocket) silent = silent_socket ();
  g_autoptr(GInetSocketAddress) remote = socket_address (silent);
  g_autoptr(EsPeerPin) pin = es_peer_pin_new_trust_on_first_use ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  EsQuicConnection *connection = NULL;

  g_timeout_add (50, cancel_soon, cancellable);
  connection = connect_to_address (client, remote, pin, cancellable, &error);
  g_assert_null (connection);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  /* Giving up is not a failed handshake. */
  g_assert_cmpuint (peer_stats (client).handshake_failures, ==, 0);

  peer_free (client);
}

static gboolean
ipv6_available (void)
{
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV6, G_SOCKET_TYPE_DATAGRAM,
                                            G_SOCKET_PROTOCOL_UDP, NULL);
  g_autoptr(GInetSocketAddress) loopback = address ("::1", 0);

  return socket != NULL && g_socket_bind (socket, G_SOCKET_ADDRESS (loopback), FALSE, NULL);
}

static void
test_ipv6_loopback (void)
{
  Peer *server;
  Peer *client;
  EsQuicConnection *server_side = NULL;
  EsQuicConnection *client_side = NULL;
  GInetSocketAddress *remote;

  if (!ipv6_available ())
    {
      g_test_skip ("no IPv6 loopback here");
      return;
    }
  server = peer_new ("::1");
  client = peer_new ("::1");
  client_side = connect_pair (client, server, &server_side);

  remote = es_quic_connection_get_remote_address (server_side);
  g_assert_cmpint (g_socket_address_get_family (G_SOCKET_ADDRESS (remote)), ==, G_SOCKET_FAMILY_IPV6);
  send_datagrams (client_side, 0, 5);
  WAIT_UNTIL (observe (server_side)->datagrams->len == 5, 5000);

  peer_free (client);
  peer_free (server);
}

static void
test_dual_stack (void)
{
  Peer *server;
  Peer *client4;
  Peer *client6;
  Peer *dual_client;
  EsQuicConnection *from4 = NULL;
  EsQuicConnection *from6 = NULL;
  EsQuicConnection *from_dual = NULL;
  EsQuicConnection *to4 = NULL;
  EsQuicConnection *to6 = NULL;
  EsQuicConnection *dual_to4 = NULL;
  g_autoptr(GInetSocketAddress) server4 = NULL;
  g_autoptr(EsPeerPin) pin = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  static const guint8 probe[20] = { 0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42 };

  if (!ipv6_available ())
    {
      g_test_skip ("no IPv6 loopback here");
      return;
    }
  server = peer_new ("::");
  client4 = peer_new ("127.0.0.1");
  client6 = peer_new ("::1");
  dual_client = peer_new ("::");
  peer_allow (server, client4->identity);
  peer_allow (server, client6->identity);
  peer_allow (server, dual_client->identity);
  pin = pin_for (server->identity);

  /* An IPv4 peer of a dual-stack socket is plain IPv4, never ::ffff:… */
  server4 = address ("127.0.0.1", peer_port (server));
  to4 = connect_to_address (client4, server4, pin, NULL, &error);
  g_assert_no_error (error);
  WAIT_UNTIL (server->incoming->len == 1, HANDSHAKE_WAIT_MS);
  from4 = g_ptr_array_index (server->incoming, 0);
  text = g_inet_address_to_string (g_inet_socket_address_get_address (
    es_quic_connection_get_remote_address (from4)));
  g_assert_cmpstr (text, ==, "127.0.0.1");
  g_assert_cmpint (g_socket_address_get_family (G_SOCKET_ADDRESS (
    es_quic_connection_get_remote_address (from4))), ==, G_SOCKET_FAMILY_IPV4);

  to6 = connect_to (client6, server, &error);
  g_assert_no_error (error);
  WAIT_UNTIL (server->incoming->len == 2, HANDSHAKE_WAIT_MS);
  from6 = g_ptr_array_index (server->incoming, 1);
  g_assert_cmpint (g_socket_address_get_family (G_SOCKET_ADDRESS (
    es_quic_connection_get_remote_address (from6))), ==, G_SOCKET_FAMILY_IPV6);

  /* A dual-stack client reaches an IPv4 address too. */
  dual_to4 = connect_to_address (dual_client, server4, pin, NULL, &error);
  g_assert_no_error (error);
  WAIT_UNTIL (server->incoming->len == 3, HANDSHAKE_WAIT_MS);
  from_dual = g_ptr_array_index (server->incoming, 2);
  g_assert_cmpint (g_socket_address_get_family (G_SOCKET_ADDRESS (
    es_quic_connection_get_remote_address (dual_to4))), ==, G_SOCKET_FAMILY_IPV4);

  /* Raw packets from the dual-stack socket to an IPv4 peer. */
  g_assert_true (es_quic_endpoint_send_raw (server->endpoint,
                                            es_quic_connection_get_remote_address (from4),
                                            probe, sizeof probe, &error));
  g_assert_no_error (error);
  WAIT_UNTIL (client4->unhandled->len == 1, 5000);

  send_datagrams (to4, 0, 3);
  send_datagrams (to6, 0, 3);
  send_datagrams (from_dual, 0, 3);
  WAIT_UNTIL (observe (from4)->datagrams->len == 3 && observe (from6)->datagrams->len == 3 &&
              observe (dual_to4)->datagrams->len == 3, 5000);

  peer_free (dual_client);
  peer_free (client6);
  peer_free (client4);
  peer_free (server);
}

static void
count_notify (GObject    *object,
              GParamSpec *pspec,
              guint      *count)
{
  (*count)++;
}

static void
test_clean_close (void)
{
  Peer *server = peer_new ("127.0.0.1");
  Peer *client = peer_new ("127.0.0.1");
  EsQuicConnection *server_side = NULL;
  EsQuicConnection *client_side = connect_pair (client, server, &server_side);
  EsQuicConnection *second_server_side = NULL;
  EsQuicConnection *second = NULL;
  g_autoptr(JsonObject) last_words = numbered_message ("hangup", 1);
  g_autoptr(GError) error = NULL;
  gint64 stream_id = es_quic_connection_open_stream (client_side, &error);
  EsQuicConnectionState state = ES_QUIC_CONNECTION_STATE_CLOSED;
  guint state_changes = 0;

  g_object_get (client_side, "state", &state, NULL);
  g_assert_cmpint (state, ==, ES_QUIC_CONNECTION_STATE_CONNECTED);
  g_signal_connect (client_side, "notify::state", G_CALLBACK (count_notify), &state_changes);

  /* Sent in the same main loop turn as the close: it still arrives first. */
  g_assert_true (es_quic_connection_send_message (client_side, stream_id, last_words, &error));
  g_assert_no_error (error);
  es_quic_connection_close (client_side, ES_QUIC_APP_GOING_AWAY, "bye");
  /* "closed" is immediate on the side that closes. */
  g_assert_cmpuint (observe (client_side)->closed, ==, 1);
  g_assert_cmpint (es_quic_connection_get_state (client_side), ==, ES_QUIC_CONNECTION_STATE_CLOSING);
  g_assert_error (observe (client_side)->close_error, ES_QUIC_ERROR, ES_QUIC_ERROR_APPLICATION);
  g_assert_cmpstr (observe (client_side)->close_error->message, ==,
                   "we closed the connection: application error 2 (going away): bye");
  g_assert_cmpuint (es_quic_connection_get_close_code (client_side), ==, ES_QUIC_APP_GOING_AWAY);
  g_assert_false (es_quic_connection_get_closed_by_peer (client_side));

  WAIT_UNTIL (observe (server_side)->closed == 1, 5000);
  g_assert_cmpuint (observe (server_side)->messages->len, ==, 1);
  g_assert_cmpstr (es_json_get_string (g_ptr_array_index (observe (server_side)->messages, 0),
                                       "type"), ==, "hangup");
  g_assert_error (observe (server_side)->close_error, ES_QUIC_ERROR, ES_QUIC_ERROR_APPLICATION);
  g_assert_cmpstr (observe (server_side)->close_error->message, ==,
                   "the peer closed the connection: application error 2 (going away): bye");
  g_assert_cmpuint (es_quic_connection_get_close_code (server_side), ==, ES_QUIC_APP_GOING_AWAY);
  g_assert_true (es_quic_connection_get_closed_by_peer (server_side));

  /* After the draining period both endpoints let go; "closed" stays single. */
  es_quic_connection_close (client_side, ES_QUIC_APP_NO_ERROR, NULL);
  WAIT_UNTIL (es_quic_endpoint_get_n_connections (client->endpoint) == 0 &&
              es_quic_endpoint_get_n_connections (server->endpoint) == 0, 5000);
  g_assert_cmpint (es_quic_connection_get_state (client_side), ==, ES_QUIC_CONNECTION_STATE_CLOSED);
  g_assert_cmpint (es_quic_connection_get_state (server_side), ==, ES_QUIC_CONNECTION_STATE_CLOSED);
  g_assert_cmpuint (state_changes, ==, 2);   /* CLOSING, then CLOSED */
  g_assert_cmpuint (observe (client_side)->closed, ==, 1);
  g_assert_cmpuint (observe (server_side)->closed, ==, 1);

  /* Shutting an endpoint down says so to its peers. */
  second = connect_pair (client, server, &second_server_side);
  es_quic_endpoint_shutdown (server->endpoint);
  g_assert_cmpuint (observe (second_server_side)->closed, ==, 1);
  WAIT_UNTIL (observe (second)->closed == 1, 5000);
  g_assert_cmpuint (es_quic_connection_get_close_code (second), ==, ES_QUIC_APP_GOING_AWAY);
  assert_error_mentions (observe (second)->close_error, "the endpoint is shutting down");

  peer_free (client);
  peer_free (server);
}

static int
compare_gint64 (gconstpointer a,
                gconstpointer b)
{
  gint64 x = *(const gint64 *) a;
  gint64 y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

/* Round trips on loopback take ~100 µs of work; a millisecond-granular
 * timer anywhere on the path (pacing, ACKs) would show as ≥ 1 ms. */
static void
test_round_trip_under_a_millisecond (void)
{
  Peer *server = peer_new ("127.0.0.1");
  Peer *client = peer_new ("127.0.0.1");
  EsQuicConnection *server_side = NULL;
  EsQuicConnection *client_side = connect_pair (client, server, &server_side);
  gint64 round_trips[101];
  EsQuicStats stats;

  observe (server_side)->echo_datagrams = TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (round_trips); i++)
    {
      gint64 start = g_get_monotonic_time ();

      send_datagrams (client_side, i, 1);
      WAIT_UNTIL (observe (client_side)->datagrams->len == i + 1, 5000);
      round_trips[i] = g_get_monotonic_time () - start;
    }
  qsort (round_trips, G_N_ELEMENTS (round_trips), sizeof round_trips[0], compare_gint64);
  es_quic_connection_get_stats (client_side, &stats);
  g_test_message ("round trip median %" G_GINT64_FORMAT " us; QUIC smoothed RTT %"
                  G_GUINT64_FORMAT " us, min %" G_GUINT64_FORMAT " us",
                  round_trips[50], stats.smoothed_rtt_us, stats.min_rtt_us);

  g_assert_cmpint (round_trips[50], <, 1000);
  g_assert_cmpuint (stats.min_rtt_us, <, 1000);
  g_assert_cmpuint (stats.smoothed_rtt_us, <, 1000);

  peer_free (client);
  peer_free (server);
}

static void
test_datagram_queue_drops_oldest (void)
{
  Peer *server = peer_new ("127.0.0.1");
  Peer *client = peer_new_bound (TRUE, "127.0.0.1", "datagram-queue-length", 4, NULL);
  EsQuicConnection *server_side = NULL;
  EsQuicConnection *client_side = connect_pair (client, server, &server_side);
  gsize max_size = es_quic_connection_get_max_datagram_size (client_side);
  g_autofree guint8 *too_big = g_malloc0 (max_size + 1);

  g_assert_cmpuint (max_size, >=, 1000);
  g_assert_false (es_quic_connection_send_datagram (client_side, too_big, max_size + 1));
  g_assert_true (es_quic_connection_send_datagram (client_side, too_big, max_size));
  /* Ten more before the main loop runs: the queue keeps the newest four. */
  send_datagrams (client_side, 0, 10);
  g_assert_cmpuint (connection_stats (client_side).datagrams_dropped, ==, 7);

  WAIT_UNTIL (observe (server_side)->datagrams->len == 4, 5000);
  iterate_for (50);
  g_assert_cmpuint (observe (server_side)->datagrams->len, ==, 4);
  for (guint i = 0; i < 4; i++)
    g_assert_cmpuint (datagram_number (g_ptr_array_index (observe (server_side)->datagrams, i)),
                      ==, 6 + i);

  peer_free (client);
  peer_free (server);
}

static void
test_bind_refuses_bad_impairment (void)
{
  g_autoptr(EsQuicEndpoint) endpoint = es_quic_endpoint_new (NULL, NULL);
  g_autoptr(GInetSocketAddress) local = address ("127.0.0.1", 0);
  g_autoptr(GError) error = NULL;

  g_setenv ("EARSHOT_IMPAIR", "loss=5,wobble=3", TRUE);
  g_assert_false (es_quic_endpoint_bind (endpoint, local, &error));
  g_unsetenv ("EARSHOT_IMPAIR");
  g_assert_error (error, ES_ERROR, ES_ERROR_INVALID_ARGUMENT);
  assert_error_mentions (error, "EARSHOT_IMPAIR");
  assert_error_mentions (error, "wobble");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_unsetenv ("EARSHOT_IMPAIR");

  g_test_add_func ("/quic/handshake-with-pins", test_handshake_with_pins);
  g_test_add_func ("/quic/wrong-server-pin", test_wrong_server_pin);
  g_test_add_func ("/quic/unknown-client-refused", test_unknown_client_refused);
  g_test_add_func ("/quic/client-without-certificate", test_client_without_certificate);
  g_test_add_func ("/quic/not-accepting-without-authorize-function",
                   test_not_accepting_without_authorize_function);
  g_test_add_func ("/quic/one-socket-both-roles", test_one_socket_both_roles);
  g_test_add_func ("/quic/stun-demultiplexing", test_stun_demultiplexing);
  g_test_add_func ("/quic/datagram-loss-under-impairment", test_datagram_loss_under_impairment);
  g_test_add_func ("/quic/malformed-message-closes", test_malformed_message_closes);
  g_test_add_func ("/quic/oversized-message-closes", test_oversized_message_closes);
  g_test_add_func ("/quic/idle-timeout", test_idle_timeout);
  g_test_add_func ("/quic/keepalive-prevents-idle-timeout", test_keepalive_prevents_idle_timeout);
  g_test_add_func ("/quic/handshake-timeout", test_handshake_timeout);
  g_test_add_func ("/quic/cancel-connect", test_cancel_connect);
  g_test_add_func ("/quic/ipv6-loopback", test_ipv6_loopback);
  g_test_add_func ("/quic/dual-stack", test_dual_stack);
  g_test_add_func ("/quic/clean-close", test_clean_close);
  g_test_add_func ("/quic/round-trip-under-a-millisecond", test_round_trip_under_a_millisecond);
  g_test_add_func ("/quic/datagram-queue-drops-oldest", test_datagram_queue_drops_oldest);
  g_test_add_func ("/quic/bind-refuses-bad-impairment", test_bind_refuses_bad_impairment);

  return g_test_run ();
}
