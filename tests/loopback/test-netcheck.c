/* EsNetcheck on loopback: two small STUN servers (127.0.0.1 and 127.0.0.2)
 * answer from this process, so the report's contract (DESIGN §8, §10.6) and
 * the mapping verdict can be checked in every build, sanitizers included.
 * Also the RFC 5780 pieces of es-stun that netcheck relies on.
 *
 * Waits iterate the main context until the check completes or a deadline
 * passes; nothing sleeps. Traffic goes to 127.0.0.0/8 only.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define _GNU_SOURCE /* memmem() */

#include <string.h>

#include "es-address.h"
#include "es-netcheck.h"
#include "es-stun.h"

#define CHECK_WAIT_MS 5000

typedef struct
{
  GSocket *socket;
  GSource *source;
  char *address;     /* "IP:PORT" */
  guint answered;
} StunServer;

static gboolean
on_request (GSocket      *socket,
            GIOCondition  condition,
            gpointer      data)
{
  StunServer *server = data;
  g_autoptr(GSocketAddress) from = NULL;
  g_autoptr(GBytes) response = NULL;
  guint8 buffer[1500];
  gssize length;

  length = g_socket_receive_from (socket, &from, (char *) buffer, sizeof buffer, NULL, NULL);
  if (length > 0 &&
      es_stun_answer_binding_request (buffer, (gsize) length, G_INET_SOCKET_ADDRESS (from),
                                      NULL, NULL, &response, NULL))
    {
      g_socket_send_to (socket, from, g_bytes_get_data (response, NULL),
                        g_bytes_get_size (response), NULL, NULL);
      server->answered++;
    }
  return G_SOURCE_CONTINUE;
}

static StunServer *
stun_server_new (const char *ip)
{
  StunServer *server = g_new0 (StunServer, 1);
  g_autoptr(GInetAddress) address = g_inet_address_new_from_string (ip);
  g_autoptr(GSocketAddress) bind_address = g_inet_socket_address_new (address, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  server->socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                                 G_SOCKET_PROTOCOL_UDP, NULL);
  g_assert_true (g_socket_bind (server->socket, bind_address, FALSE, NULL));
  g_socket_set_blocking (server->socket, FALSE);
  bound = g_socket_get_local_address (server->socket, NULL);
  server->address = es_address_to_string (G_INET_SOCKET_ADDRESS (bound));
  server->source = g_socket_create_source (server->socket, G_IO_IN, NULL);
  g_source_set_callback (server->source, (GSourceFunc) (GCallback) on_request, server, NULL);
  g_source_attach (server->source, NULL);
  return server;
}

static void
stun_server_free (StunServer *server)
{
  g_source_destroy (server->source);
  g_source_unref (server->source);
  g_object_unref (server->socket);
  g_free (server->address);
  g_free (server);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (StunServer, stun_server_free)

static EsQuicEndpoint *
bound_endpoint (void)
{
  EsQuicEndpoint *endpoint = es_quic_endpoint_new (NULL, NULL);
  g_autoptr(GInetAddress) any = g_inet_address_new_any (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (any, 0);

  g_assert_true (es_quic_endpoint_bind (endpoint, G_INET_SOCKET_ADDRESS (address), NULL));
  return endpoint;
}

static void
on_done (GObject      *source,
         GAsyncResult *result,
         gpointer      data)
{
  JsonObject **report = data;
  g_autoptr(GError) error = NULL;

  *report = es_netcheck_run_finish (ES_NETCHECK (source), result, &error);
  g_assert_no_error (error);
}

static gboolean
set_true (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

static JsonObject *
run_check (EsNetcheck *netcheck)
{
  JsonObject *report = NULL;
  gboolean expired = FALSE;
  guint timeout_id = g_timeout_add (CHECK_WAIT_MS, set_true, &expired);

  es_netcheck_run_async (netcheck, NULL, on_done, &report);
  while (report == NULL && !expired)
    g_main_context_iteration (NULL, TRUE);
  g_assert_nonnull (report);
  g_source_remove (timeout_id);
  return report;
}

static void
assert_port_map (JsonObject *report,
                 const char *member)
{
  JsonObject *probe = json_object_get_object_member (report, member);

  g_assert_nonnull (probe);
  g_assert_false (json_object_get_boolean_member (probe, "available"));
  g_assert_true (json_object_get_null_member (probe, "external"));
  g_assert_true (json_object_get_null_member (probe, "ms"));
  /* The test environment has EARSHOT_PORTMAP=off: the report says so. */
  g_assert_nonnull (strstr (json_object_get_string_member (probe, "error"), "EARSHOT_PORTMAP"));
}

static void
test_two_servers (void)
{
  g_autoptr(StunServer) first = stun_server_new ("127.0.0.1");
  g_autoptr(StunServer) second = stun_server_new ("127.0.0.2");
  g_autoptr(EsQuicEndpoint) endpoint = bound_endpoint ();
  g_autoptr(EsNetcheck) netcheck = es_netcheck_new (endpoint);
  g_autoptr(JsonObject) report = NULL;
  g_autofree char *relay_text = g_strdup_printf ("%s#%s", first->address,
                                                 "0000:1111:2222:3333:4444:5555:6666:7777");
  g_autoptr(EsRelaySpec) relay = es_relay_spec_parse (relay_text, NULL);
  JsonArray *relays;
  JsonObject *measured;

  g_assert_nonnull (relay);
  es_netcheck_add_relay (netcheck, relay);
  g_assert_true (es_netcheck_add_stun_server (netcheck, second->address, NULL));
  report = run_check (netcheck);

  g_assert_true (json_object_get_boolean_member (report, "udp_v4"));
  g_assert_false (json_object_get_boolean_member (report, "udp_v6"));
  g_assert_cmpstr (json_object_get_string_member (report, "public_v4"), ==, "127.0.0.1");
  g_assert_true (json_object_get_null_member (report, "public_v6"));
  /* Loopback has no NAT: one address and port for both destinations. */
  g_assert_cmpstr (json_object_get_string_member (report, "mapping"), ==, "endpoint-independent");
  g_assert_cmpstr (json_object_get_string_member (report, "port_allocation"), ==, "preserving");
  /* A server without RFC 5780 cannot show the filtering. */
  g_assert_cmpstr (json_object_get_string_member (report, "filtering"), ==, "unknown");
  g_assert_nonnull (strstr (json_object_get_string_member (report, "filtering_note"), "RFC 5780"));
  g_assert_true (json_object_has_member (report, "hairpin"));
  assert_port_map (report, "nat_pmp");
  assert_port_map (report, "pcp");
  assert_port_map (report, "upnp");
  /* EARSHOT_INTERFACES=lo: the default route is on another interface. */
  g_assert_true (json_object_get_null_member (report, "gateway"));
  relays = json_object_get_array_member (report, "relays");
  g_assert_cmpuint (json_array_get_length (relays), ==, 1);
  measured = json_array_get_object_element (relays, 0);
  g_assert_cmpstr (json_object_get_string_member (measured, "relay"), ==, relay_text);
  g_assert_cmpint (json_node_get_value_type (json_object_get_member (measured, "rtt_ms")), ==,
                   G_TYPE_DOUBLE);
  g_assert_cmpstr (json_object_get_string_member (report, "preferred_relay"), ==, relay_text);
  g_assert_false (json_object_get_boolean_member (report, "udp_blocked"));
  g_assert_cmpint (json_object_get_int_member (report, "duration_ms"), <, CHECK_WAIT_MS);
  g_assert_nonnull (strstr (json_object_get_string_member (report, "summary"), "direct"));
  g_assert_cmpuint (first->answered, >, 0);
  g_assert_cmpuint (second->answered, >, 0);
}

static void
test_one_destination (void)
{
  g_autoptr(StunServer) only = stun_server_new ("127.0.0.1");
  g_autoptr(EsQuicEndpoint) endpoint = bound_endpoint ();
  g_autoptr(EsNetcheck) netcheck = es_netcheck_new (endpoint);
  g_autoptr(JsonObject) report = NULL;
  g_autofree char *text = NULL;

  g_assert_true (es_netcheck_add_stun_server (netcheck, only->address, NULL));
  report = run_check (netcheck);
  g_assert_true (json_object_get_boolean_member (report, "udp_v4"));
  g_assert_cmpstr (json_object_get_string_member (report, "mapping"), ==, "unknown");
  g_assert_nonnull (strstr (json_object_get_string_member (report, "mapping_note"),
                            "two STUN destinations"));
  text = es_netcheck_describe (report);
  g_assert_nonnull (strstr (text, "Mapping: unknown"));
}

static void
test_silence (void)
{
  g_autoptr(StunServer) deaf = stun_server_new ("127.0.0.1");
  g_autoptr(EsQuicEndpoint) endpoint = bound_endpoint ();
  g_autoptr(EsNetcheck) netcheck = es_netcheck_new (endpoint);
  g_autoptr(JsonObject) report = NULL;
  g_autoptr(GError) error = NULL;

  /* A server that never answers: a bounded wait, then "blocked". */
  g_source_destroy (deaf->source);
  g_assert_true (es_netcheck_add_stun_server (netcheck, deaf->address, NULL));
  g_assert_false (es_netcheck_add_stun_server (netcheck, "no-port", &error));
  g_assert_nonnull (error);
  report = run_check (netcheck);
  g_assert_true (json_object_get_boolean_member (report, "udp_blocked"));
  g_assert_false (json_object_get_boolean_member (report, "udp_v4"));
  g_assert_nonnull (strstr (json_object_get_string_member (report, "summary"), "blocked"));
}

/* RFC 5780 §7.2: CHANGE-REQUEST with the change-IP (0x4) and change-port
 * (0x2) flags; §7.4: OTHER-ADDRESS read back from an answer. */
static void
test_stun_rfc5780 (void)
{
  g_autoptr(EsStunRequest) both = es_stun_request_new_change (TRUE, TRUE);
  g_autoptr(EsStunRequest) port = es_stun_request_new_change (FALSE, TRUE);
  g_autoptr(GBytes) both_message = es_stun_request_get_message (both);
  g_autoptr(GBytes) port_message = es_stun_request_get_message (port);
  static const guint8 change_both[] = { 0x00, 0x03, 0x00, 0x04, 0x00, 0x00, 0x00, 0x06 };
  static const guint8 change_port[] = { 0x00, 0x03, 0x00, 0x04, 0x00, 0x00, 0x00, 0x02 };
  /* A Binding success with OTHER-ADDRESS 198.51.100.100:3479 and no more. */
  static const guint8 answer[] = {
    0x01, 0x01, 0x00, 0x0c, 0x21, 0x12, 0xa4, 0x42,
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
    0x80, 0x2c, 0x00, 0x08, 0x00, 0x01, 0x0d, 0x97, 198, 51, 100, 100,
  };
  g_autoptr(GInetSocketAddress) other = es_stun_response_get_other_address (answer, sizeof answer);
  g_autofree char *text = es_address_to_string (other);
  gsize length = 0;
  const guint8 *data = g_bytes_get_data (both_message, &length);

  g_assert_nonnull (memmem (data, length, change_both, sizeof change_both));
  data = g_bytes_get_data (port_message, &length);
  g_assert_nonnull (memmem (data, length, change_port, sizeof change_port));
  g_assert_cmpstr (text, ==, "198.51.100.100:3479");
  g_assert_null (es_stun_response_get_other_address (answer, 20));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/netcheck/two-servers", test_two_servers);
  g_test_add_func ("/netcheck/one-destination", test_one_destination);
  g_test_add_func ("/netcheck/silence", test_silence);
  g_test_add_func ("/netcheck/stun-rfc5780", test_stun_rfc5780);

  return g_test_run ();
}
