/* Probe sockets of EsQuicEndpoint (DESIGN §7, hard NAT): STUN on them is
 * reported with their id; a connection made or accepted over one runs over
 * it, keeps it open after its opener lets go, and closes it when it ends;
 * shutting the endpoint down closes them all.
 *
 * Every wait iterates the main context until a condition holds or a
 * deadline passes; nothing sleeps. Traffic goes to 127.0.0.1 only.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "es-fingerprint.h"
#include "es-quic-endpoint.h"
#include "es-stun.h"
#include "loopback-test-support.h"

#define WAIT_MS 10000

static GInetSocketAddress *
loopback (guint16 port)
{
  return G_INET_SOCKET_ADDRESS (g_inet_socket_address_new_from_string ("127.0.0.1", port));
}

static EsQuicEndpoint *
bound_endpoint (EsIdentity *identity)
{
  g_autoptr(EsQuicEndpoint) endpoint = es_quic_endpoint_new (identity, NULL);
  g_autoptr(GInetSocketAddress) local = loopback (0);
  g_autoptr(GError) error = NULL;

  g_assert_true (es_quic_endpoint_bind (endpoint, local, &error));
  g_assert_no_error (error);
  return g_steal_pointer (&endpoint);
}

/* A probe socket's address on 127.0.0.1 (it is bound to 0.0.0.0). */
static GInetSocketAddress *
probe_address (EsQuicEndpoint *endpoint,
               guint           probe)
{
  GInetSocketAddress *bound = es_quic_endpoint_get_probe_address (endpoint, probe);

  g_assert_nonnull (bound);
  return loopback (g_inet_socket_address_get_port (bound));
}

static EsPeerPin *
pin_for (EsIdentity *identity)
{
  guint8 fingerprint[ES_FINGERPRINT_SIZE];

  g_assert_true (es_fingerprint_parse (es_identity_get_fingerprint (identity), fingerprint, NULL));
  return es_peer_pin_new_fingerprint (fingerprint);
}

typedef struct
{
  guint probe;
  GInetSocketAddress *from;
  guint probe_packets;
  guint unhandled_packets;
} Heard;

static void
on_probe_packet (EsQuicEndpoint     *endpoint,
                 guint               probe,
                 GInetSocketAddress *from,
                 GBytes             *packet,
                 Heard              *heard)
{
  heard->probe = probe;
  g_set_object (&heard->from, from);
  heard->probe_packets++;
}

static void
on_unhandled_packet (EsQuicEndpoint     *endpoint,
                     GInetSocketAddress *from,
                     GBytes             *packet,
                     Heard              *heard)
{
  heard->unhandled_packets++;
}

static void
test_stun_on_probe_socket (void)
{
  g_autoptr(EsQuicEndpoint) endpoint = bound_endpoint (NULL);
  g_autoptr(EsStunRequest) request = es_stun_request_new (NULL, NULL);
  g_autoptr(GBytes) message = es_stun_request_get_message (request);
  g_autoptr(GSocket) peer = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                                          G_SOCKET_PROTOCOL_UDP, NULL);
  g_autoptr(GInetSocketAddress) any = loopback (0);
  g_autoptr(GInetSocketAddress) to = NULL;
  g_autoptr(GSocketAddress) peer_address = NULL;
  g_autoptr(GSocketAddress) sender = NULL;
  g_autoptr(GError) error = NULL;
  Heard heard = { 0 };
  guint first, second;
  char buffer[256];
  gssize length;

  g_signal_connect (endpoint, "probe-packet", G_CALLBACK (on_probe_packet), &heard);
  g_signal_connect (endpoint, "unhandled-packet", G_CALLBACK (on_unhandled_packet), &heard);
  first = es_quic_endpoint_open_probe_socket (endpoint, G_SOCKET_FAMILY_IPV4, &error);
  g_assert_no_error (error);
  second = es_quic_endpoint_open_probe_socket (endpoint, G_SOCKET_FAMILY_IPV4, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (first, !=, 0);
  g_assert_cmpuint (second, !=, first);
  g_assert_cmpuint (es_quic_endpoint_get_n_probe_sockets (endpoint), ==, 2);

  /* STUN to the second probe socket is reported with its id, not as the
   * endpoint's own. */
  g_assert_true (g_socket_bind (peer, G_SOCKET_ADDRESS (any), FALSE, &error));
  peer_address = g_socket_get_local_address (peer, &error);
  to = probe_address (endpoint, second);
  g_assert_cmpint (g_socket_send_to (peer, G_SOCKET_ADDRESS (to), g_bytes_get_data (message, NULL),
                                     g_bytes_get_size (message), NULL, &error), >, 0);
  WAIT_UNTIL (heard.probe_packets == 1, WAIT_MS);
  g_assert_cmpuint (heard.probe, ==, second);
  g_assert_cmpuint (heard.unhandled_packets, ==, 0);
  g_assert_cmpuint (g_inet_socket_address_get_port (heard.from), ==,
                    g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (peer_address)));

  /* What it sends leaves from its own port. */
  g_assert_true (es_quic_endpoint_send_raw_from (endpoint, second,
                                                 G_INET_SOCKET_ADDRESS (peer_address),
                                                 (const guint8 *) "ping", 4, &error));
  g_assert_no_error (error);
  g_socket_set_timeout (peer, 5);
  length = g_socket_receive_from (peer, &sender, buffer, sizeof buffer, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (length, ==, 4);
  g_assert_cmpuint (g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (sender)), ==,
                    g_inet_socket_address_get_port (to));

  /* Closed, it neither sends nor exists. */
  es_quic_endpoint_close_probe_socket (endpoint, second);
  g_assert_null (es_quic_endpoint_get_probe_address (endpoint, second));
  g_assert_false (es_quic_endpoint_send_raw_from (endpoint, second,
                                                  G_INET_SOCKET_ADDRESS (peer_address),
                                                  (const guint8 *) "ping", 4, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_clear_error (&error);
  g_assert_cmpuint (es_quic_endpoint_get_n_probe_sockets (endpoint), ==, 1);

  /* Shutting down closes the rest. */
  es_quic_endpoint_shutdown (endpoint);
  g_assert_cmpuint (es_quic_endpoint_get_n_probe_sockets (endpoint), ==, 0);
  g_assert_cmpuint (es_quic_endpoint_open_probe_socket (endpoint, G_SOCKET_FAMILY_IPV4, &error),
                    ==, 0);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_clear_object (&heard.from);
}

typedef struct
{
  EsQuicConnection *connection;
  char *datagram;
} Accepted;

static gboolean
authorize_all (EsQuicEndpoint     *endpoint,
               const char         *fingerprint,
               GInetSocketAddress *remote,
               gpointer            user_data)
{
  return TRUE;
}

static void
on_datagram (EsQuicConnection *connection,
             GBytes           *datagram,
             char            **text)
{
  gsize length = 0;
  const char *data = g_bytes_get_data (datagram, &length);

  g_free (*text);
  *text = g_strndup (data, length);
}

static void
on_incoming (EsQuicEndpoint   *endpoint,
             EsQuicConnection *connection,
             Accepted         *accepted)
{
  g_set_object (&accepted->connection, connection);
  g_signal_connect (connection, "datagram-received", G_CALLBACK (on_datagram), &accepted->datagram);
}

static void
send_text (EsQuicConnection *connection,
           const char       *text)
{
  g_assert_true (es_quic_connection_send_datagram (connection, (const guint8 *) text,
                                                   strlen (text)));
}

static void
test_connect_from_probe_socket (void)
{
  g_autoptr(EsIdentity) server_identity = es_identity_new_random ();
  g_autoptr(EsIdentity) client_identity = es_identity_new_random ();
  g_autoptr(EsQuicEndpoint) server = bound_endpoint (server_identity);
  g_autoptr(EsQuicEndpoint) client = bound_endpoint (client_identity);
  g_autoptr(EsPeerPin) pin = pin_for (server_identity);
  g_autoptr(GError) error = NULL;
  g_autofree char *client_heard = NULL;
  Accepted accepted = { 0 };
  LoopbackConnectOutcome outcome = { 0 };
  guint probe;

  es_quic_endpoint_set_authorize_func (server, authorize_all, NULL, NULL);
  g_signal_connect (server, "incoming-connection", G_CALLBACK (on_incoming), &accepted);
  probe = es_quic_endpoint_open_probe_socket (client, G_SOCKET_FAMILY_IPV4, &error);
  g_assert_no_error (error);

  es_quic_endpoint_connect_from_async (client, probe, es_quic_endpoint_get_local_address (server),
                                       pin, NULL, loopback_test_on_connected, &outcome);
  WAIT_UNTIL (outcome.done && accepted.connection != NULL, WAIT_MS);
  g_assert_no_error (outcome.error);
  /* The server sees the probe socket's port, not the endpoint's. */
  g_assert_cmpuint (g_inet_socket_address_get_port (es_quic_connection_get_remote_address (
                      accepted.connection)), ==,
                    g_inet_socket_address_get_port (es_quic_endpoint_get_probe_address (client,
                                                                                        probe)));
  g_assert_cmpuint (es_quic_endpoint_get_connection_probe (client, outcome.connection), ==, probe);
  g_assert_cmpuint (es_quic_endpoint_get_connection_probe (server, accepted.connection), ==, 0);

  /* The opener lets go: the connection keeps its socket and goes on. */
  es_quic_endpoint_close_probe_socket (client, probe);
  g_assert_cmpuint (es_quic_endpoint_get_n_probe_sockets (client), ==, 1);
  g_signal_connect (outcome.connection, "datagram-received", G_CALLBACK (on_datagram),
                    &client_heard);
  send_text (outcome.connection, "from the probe socket");
  send_text (accepted.connection, "to the probe socket");
  WAIT_UNTIL (g_strcmp0 (accepted.datagram, "from the probe socket") == 0 &&
              g_strcmp0 (client_heard, "to the probe socket") == 0, WAIT_MS);
  g_assert_false (es_quic_endpoint_send_raw_from (client, probe, es_quic_endpoint_get_local_address (server),
                                                  (const guint8 *) "x", 1, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_clear_error (&error);

  /* The connection ends, and with it the socket. */
  es_quic_connection_close (outcome.connection, ES_QUIC_APP_NO_ERROR, NULL);
  WAIT_UNTIL (es_quic_endpoint_get_n_probe_sockets (client) == 0, WAIT_MS);

  g_signal_handlers_disconnect_by_data (accepted.connection, &accepted.datagram);
  g_signal_handlers_disconnect_by_data (outcome.connection, &client_heard);
  g_clear_object (&outcome.connection);
  g_clear_object (&accepted.connection);
  g_free (accepted.datagram);
  es_quic_endpoint_shutdown (server);
  es_quic_endpoint_shutdown (client);
}

static void
test_accept_on_probe_socket (void)
{
  g_autoptr(EsIdentity) server_identity = es_identity_new_random ();
  g_autoptr(EsIdentity) client_identity = es_identity_new_random ();
  g_autoptr(EsQuicEndpoint) server = bound_endpoint (server_identity);
  g_autoptr(EsQuicEndpoint) client = bound_endpoint (client_identity);
  g_autoptr(EsPeerPin) pin = pin_for (server_identity);
  g_autoptr(GInetSocketAddress) to = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *client_heard = NULL;
  Accepted accepted = { 0 };
  LoopbackConnectOutcome outcome = { 0 };
  guint probe;

  es_quic_endpoint_set_authorize_func (server, authorize_all, NULL, NULL);
  g_signal_connect (server, "incoming-connection", G_CALLBACK (on_incoming), &accepted);
  probe = es_quic_endpoint_open_probe_socket (server, G_SOCKET_FAMILY_IPV4, &error);
  g_assert_no_error (error);
  to = probe_address (server, probe);

  /* A client that dials the probe socket is accepted over it, and what the
   * server sends comes back from the port it dialled. */
  es_quic_endpoint_connect_async (client, to, pin, NULL, loopback_test_on_connected, &outcome);
  WAIT_UNTIL (outcome.done && accepted.connection != NULL, WAIT_MS);
  g_assert_no_error (outcome.error);
  g_assert_cmpuint (es_quic_endpoint_get_connection_probe (server, accepted.connection), ==, probe);
  g_assert_cmpuint (g_inet_socket_address_get_port (es_quic_connection_get_remote_address (
                      outcome.connection)), ==, g_inet_socket_address_get_port (to));

  es_quic_endpoint_close_probe_socket (server, probe);
  g_signal_connect (outcome.connection, "datagram-received", G_CALLBACK (on_datagram),
                    &client_heard);
  send_text (accepted.connection, "over the probe socket");
  send_text (outcome.connection, "back");
  WAIT_UNTIL (g_strcmp0 (client_heard, "over the probe socket") == 0 &&
              g_strcmp0 (accepted.datagram, "back") == 0, WAIT_MS);

  /* Shutting down ends the connection and closes its socket. */
  es_quic_endpoint_shutdown (server);
  g_assert_cmpuint (es_quic_endpoint_get_n_probe_sockets (server), ==, 0);

  g_signal_handlers_disconnect_by_data (accepted.connection, &accepted.datagram);
  g_signal_handlers_disconnect_by_data (outcome.connection, &client_heard);
  g_clear_object (&outcome.connection);
  g_clear_object (&accepted.connection);
  g_free (accepted.datagram);
  es_quic_endpoint_shutdown (client);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/quic-probe-sockets/stun", test_stun_on_probe_socket);
  g_test_add_func ("/quic-probe-sockets/connect-from", test_connect_from_probe_socket);
  g_test_add_func ("/quic-probe-sockets/accept-on", test_accept_on_probe_socket);
  return g_test_run ();
}
