/* es_quic_endpoint_connect_as_async(): clients with identities of their own
 * on one socket, as the relay load generator runs them. The server must
 * see each client's own key, and each connection must carry its own
 * traffic.
 *
 * Every wait iterates the main context until a condition holds or a
 * deadline passes; nothing sleeps. Traffic goes to 127.0.0.1 only.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "es-fingerprint.h"
#include "es-quic-endpoint.h"
#include "loopback-test-support.h"

#define WAIT_MS 10000
#define N_CLIENTS 3

typedef struct
{
  GPtrArray *incoming;         /* EsQuicConnection */
  GPtrArray *authorized;       /* fingerprints, as the authorize function saw them */
  GHashTable *datagrams;       /* peer fingerprint → payload it sent (char *) */
} Server;

static gboolean
authorize (EsQuicEndpoint     *endpoint,
           const char         *fingerprint,
           GInetSocketAddress *remote,
           gpointer            user_data)
{
  Server *server = user_data;

  g_ptr_array_add (server->authorized, g_strdup (fingerprint));
  return TRUE;
}

static void
on_datagram (EsQuicConnection *connection,
             GBytes           *datagram,
             Server           *server)
{
  gsize length = 0;
  const char *data = g_bytes_get_data (datagram, &length);

  g_hash_table_insert (server->datagrams,
                       g_strdup (es_quic_connection_get_peer_fingerprint (connection)),
                       g_strndup (data, length));
}

static void
on_incoming (EsQuicEndpoint   *endpoint,
             EsQuicConnection *connection,
             Server           *server)
{
  g_ptr_array_add (server->incoming, g_object_ref (connection));
  g_signal_connect (connection, "datagram-received", G_CALLBACK (on_datagram), server);
}

static EsQuicEndpoint *
bound_endpoint (EsIdentity *identity)
{
  g_autoptr(EsQuicEndpoint) endpoint = es_quic_endpoint_new (identity, NULL);
  g_autoptr(GInetSocketAddress) local =
    G_INET_SOCKET_ADDRESS (g_inet_socket_address_new_from_string ("127.0.0.1", 0));
  g_autoptr(GError) error = NULL;

  g_assert_true (es_quic_endpoint_bind (endpoint, local, &error));
  g_assert_no_error (error);
  return g_steal_pointer (&endpoint);
}

static gboolean
all_done (const LoopbackConnectOutcome *outcomes)
{
  for (guint i = 0; i < N_CLIENTS; i++)
    if (!outcomes[i].done)
      return FALSE;
  return TRUE;
}

static void
test_clients_with_own_identities_share_a_socket (void)
{
  g_autoptr(EsIdentity) server_identity = es_identity_new_random ();
  g_autoptr(EsIdentity) endpoint_identity = es_identity_new_random ();
  g_autoptr(EsQuicEndpoint) server_endpoint = bound_endpoint (server_identity);
  g_autoptr(EsQuicEndpoint) client_endpoint = bound_endpoint (endpoint_identity);
  EsIdentity *identities[N_CLIENTS] = { es_identity_new_random (), es_identity_new_random (), NULL };
  LoopbackConnectOutcome outcomes[N_CLIENTS] = { { 0 } };
  Server server = {
    g_ptr_array_new_with_free_func (g_object_unref),
    g_ptr_array_new_with_free_func (g_free),
    g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free),
  };
  guint8 fingerprint[ES_FINGERPRINT_SIZE];
  g_autoptr(EsPeerPin) pin = NULL;
  guint16 client_port = g_inet_socket_address_get_port (
    es_quic_endpoint_get_local_address (client_endpoint));

  g_assert_true (es_fingerprint_parse (es_identity_get_fingerprint (server_identity), fingerprint,
                                       NULL));
  pin = es_peer_pin_new_fingerprint (fingerprint);
  es_quic_endpoint_set_authorize_func (server_endpoint, authorize, &server, NULL);
  g_signal_connect (server_endpoint, "incoming-connection", G_CALLBACK (on_incoming), &server);

  /* Two clients with identities of their own and one (NULL) presenting the
   * endpoint's, all from the same socket. */
  identities[2] = g_object_ref (endpoint_identity);
  for (guint i = 0; i < N_CLIENTS; i++)
    es_quic_endpoint_connect_as_async (client_endpoint, i < 2 ? identities[i] : NULL,
                                       es_quic_endpoint_get_local_address (server_endpoint),
                                       pin, NULL, loopback_test_on_connected, &outcomes[i]);
  WAIT_UNTIL (all_done (outcomes) && server.incoming->len == N_CLIENTS, WAIT_MS);

  for (guint i = 0; i < N_CLIENTS; i++)
    {
      const char *expected = es_identity_get_fingerprint (identities[i]);
      g_autofree char *payload = g_strdup_printf ("from client %u", i);

      g_assert_no_error (outcomes[i].error);
      g_assert_nonnull (outcomes[i].connection);
      /* The server authenticated the key this client presented. */
      g_assert_true (g_ptr_array_find_with_equal_func (server.authorized, expected, g_str_equal,
                                                       NULL));
      g_assert_true (es_quic_connection_send_datagram (outcomes[i].connection,
                                                       (const guint8 *) payload,
                                                       strlen (payload)));
    }
  g_assert_cmpuint (es_quic_endpoint_get_n_connections (client_endpoint), ==, N_CLIENTS);
  for (guint i = 0; i < N_CLIENTS; i++)
    g_assert_cmpuint (g_inet_socket_address_get_port (
                        es_quic_connection_get_remote_address (g_ptr_array_index (server.incoming, i))),
                      ==, client_port);

  /* Each connection carried its own client's datagram. */
  WAIT_UNTIL (g_hash_table_size (server.datagrams) == N_CLIENTS, WAIT_MS);
  for (guint i = 0; i < N_CLIENTS; i++)
    {
      g_autofree char *payload = g_strdup_printf ("from client %u", i);

      g_assert_cmpstr (g_hash_table_lookup (server.datagrams,
                                            es_identity_get_fingerprint (identities[i])), ==,
                       payload);
    }

  for (guint i = 0; i < N_CLIENTS; i++)
    {
      es_quic_connection_close (outcomes[i].connection, ES_QUIC_APP_NO_ERROR, NULL);
      g_clear_object (&outcomes[i].connection);
      g_clear_object (&identities[i]);
    }
  for (guint i = 0; i < server.incoming->len; i++)
    g_signal_handlers_disconnect_by_data (g_ptr_array_index (server.incoming, i), &server);
  es_quic_endpoint_shutdown (server_endpoint);
  es_quic_endpoint_shutdown (client_endpoint);
  g_ptr_array_unref (server.incoming);
  g_ptr_array_unref (server.authorized);
  g_hash_table_unref (server.datagrams);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/quic/clients-with-own-identities-share-a-socket",
                   test_clients_with_own_identities_share_a_socket);

  return g_test_run ();
}
