/* quic-peer: one side of a QUIC handshake with the engine's endpoint, for
 * interoperability tests against other QUIC programs (Debian's gtlsclient
 * and gtlsserver) and for benchmarks.
 *
 *   quic-peer pem DIR [--seed HEX]
 *       writes DIR/cert.pem and DIR/key.pem of an identity for the foreign
 *       program; prints {"event":"pem","fingerprint":..,"spki_sha256":..}
 *   quic-peer server [--listen ADDR:PORT] [--alpn A] [--allow FP]... [--seed HEX] [--once]
 *       prints {"event":"ready","port":N,"fingerprint":..}, then for each
 *       client that completes the handshake {"event":"incoming",...} and
 *       closes that connection with application error 0; with --once it
 *       exits 0 after the first
 *   quic-peer client --connect ADDR:PORT (--pin FP | --pin-spki HEX) [--alpn A]
 *       prints {"event":"connected",...} and exits 0, or
 *       {"event":"error","code":..,"message":..} and exits 1
 *
 * Every line is one JSON object, flushed when written. Exit 2 on usage
 * errors; every wait is bounded by --timeout (seconds, default 10).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gstdio.h>
#include <sodium.h>
#include <stdio.h>

#include "es-address.h"
#include "es-identity.h"
#include "es-json.h"
#include "es-quic-endpoint.h"

typedef struct
{
  GMainLoop *loop;
  EsQuicEndpoint *endpoint;
  char **allowed;
  guint timeout_id;
  int exit_code;
} Peer;

static char *option_listen = NULL;
static char *option_connect = NULL;
static char **option_alpn = NULL;
static char **option_allow = NULL;
static char *option_pin = NULL;
static char *option_pin_spki = NULL;
static char *option_seed = NULL;
static int option_timeout = 10;
static gboolean option_once = FALSE;

static const GOptionEntry entries[] = {
  { "listen", 0, 0, G_OPTION_ARG_STRING, &option_listen, "Address to listen on (server)", "ADDR:PORT" },
  { "connect", 0, 0, G_OPTION_ARG_STRING, &option_connect, "Server to connect to (client)", "ADDR:PORT" },
  { "alpn", 0, 0, G_OPTION_ARG_STRING_ARRAY, &option_alpn, "ALPN protocol (repeatable)", "NAME" },
  { "allow", 0, 0, G_OPTION_ARG_STRING_ARRAY, &option_allow, "Client fingerprint to accept", "FP" },
  { "pin", 0, 0, G_OPTION_ARG_STRING, &option_pin, "Server fingerprint to pin", "FP" },
  { "pin-spki", 0, 0, G_OPTION_ARG_STRING, &option_pin_spki, "SHA-256 of the server's SPKI", "HEX" },
  { "seed", 0, 0, G_OPTION_ARG_STRING, &option_seed, "Identity seed (64 hex digits)", "HEX" },
  { "timeout", 0, 0, G_OPTION_ARG_INT, &option_timeout, "Give up after this many seconds", "S" },
  { "once", 0, 0, G_OPTION_ARG_NONE, &option_once, "Exit after the first client (server)", NULL },
  { NULL }
};

static void
print_error (const char *code,
             const char *message)
{
  g_autoptr(JsonObject) event = es_json_new_event ("error");

  json_object_set_string_member (event, "code", code);
  json_object_set_string_member (event, "message", message);
  es_json_print_line (event);
}

static EsIdentity *
load_identity (GError **error)
{
  return option_seed != NULL ? es_identity_new_from_hex (option_seed, error)
                             : es_identity_new_random ();
}

static char *
spki_hex (EsIdentity *identity)
{
  guint8 digest[ES_SPKI_SHA256_SIZE];
  char hex[ES_SPKI_SHA256_SIZE * 2 + 1];

  es_identity_spki_sha256 (es_identity_get_public_key (identity), digest);
  sodium_bin2hex (hex, sizeof hex, digest, sizeof digest);
  return g_strdup (hex);
}

static int
run_pem (const char *directory)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EsIdentity) identity = load_identity (&error);
  g_autofree char *certificate = NULL;
  g_autofree char *key = NULL;
  g_autofree char *certificate_path = g_build_filename (directory, "cert.pem", NULL);
  g_autofree char *key_path = g_build_filename (directory, "key.pem", NULL);
  g_autofree char *spki = NULL;
  g_autoptr(JsonObject) event = es_json_new_event ("pem");

  if (identity == NULL ||
      !es_identity_export_tls_pem (identity, &certificate, &key, &error) ||
      !g_file_set_contents (certificate_path, certificate, -1, &error) ||
      !g_file_set_contents_full (key_path, key, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error))
    {
      print_error ("FAILED", error->message);
      return 1;
    }

  spki = spki_hex (identity);
  json_object_set_string_member (event, "fingerprint", es_identity_get_fingerprint (identity));
  json_object_set_string_member (event, "spki_sha256", spki);
  json_object_set_string_member (event, "certificate", certificate_path);
  json_object_set_string_member (event, "key", key_path);
  es_json_print_line (event);
  return 0;
}

static gboolean
on_timeout (gpointer user_data)
{
  Peer *peer = user_data;

  print_error ("TIMEOUT", "nothing happened in time");
  peer->timeout_id = 0;
  peer->exit_code = 1;
  g_main_loop_quit (peer->loop);
  return G_SOURCE_REMOVE;
}

static gboolean
authorize (EsQuicEndpoint     *endpoint,
           const char         *fingerprint,
           GInetSocketAddress *remote,
           gpointer            user_data)
{
  Peer *peer = user_data;

  return peer->allowed != NULL && g_strv_contains ((const char * const *) peer->allowed, fingerprint);
}

static void
on_incoming (EsQuicEndpoint   *endpoint,
             EsQuicConnection *connection,
             Peer             *peer)
{
  g_autoptr(JsonObject) event = es_json_new_event ("incoming");
  g_autofree char *remote = es_address_to_string (es_quic_connection_get_remote_address (connection));

  json_object_set_string_member (event, "fingerprint",
                                 es_quic_connection_get_peer_fingerprint (connection));
  json_object_set_string_member (event, "alpn", es_quic_connection_get_alpn (connection));
  json_object_set_string_member (event, "remote", remote);
  es_json_print_line (event);
  es_quic_connection_close (connection, ES_QUIC_APP_NO_ERROR, "interop test done");
  if (option_once)
    g_main_loop_quit (peer->loop);
}

static EsQuicEndpoint *
bind_endpoint (EsIdentity  *identity,
               const char  *address_text,
               GError     **error)
{
  g_autoptr(EsQuicEndpoint) endpoint = es_quic_endpoint_new (identity,
                                                             (const char * const *) option_alpn);
  g_autoptr(GInetSocketAddress) address = es_address_parse (address_text, error);

  if (address == NULL || !es_quic_endpoint_bind (endpoint, address, error))
    return NULL;
  return g_steal_pointer (&endpoint);
}

static int
run_server (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EsIdentity) identity = load_identity (&error);
  g_autoptr(JsonObject) event = es_json_new_event ("ready");
  Peer peer = { g_main_loop_new (NULL, FALSE), NULL, option_allow, 0, 0 };

  if (identity != NULL)
    peer.endpoint = bind_endpoint (identity, option_listen != NULL ? option_listen : "127.0.0.1:0",
                                   &error);
  if (peer.endpoint == NULL)
    {
      print_error ("FAILED", error->message);
      g_main_loop_unref (peer.loop);
      return 1;
    }

  es_quic_endpoint_set_authorize_func (peer.endpoint, authorize, &peer, NULL);
  g_signal_connect (peer.endpoint, "incoming-connection", G_CALLBACK (on_incoming), &peer);
  json_object_set_int_member (event, "port",
                              g_inet_socket_address_get_port (
                                es_quic_endpoint_get_local_address (peer.endpoint)));
  json_object_set_string_member (event, "fingerprint", es_identity_get_fingerprint (identity));
  es_json_print_line (event);

  peer.timeout_id = g_timeout_add_seconds (option_timeout, on_timeout, &peer);
  g_main_loop_run (peer.loop);
  g_clear_handle_id (&peer.timeout_id, g_source_remove);

  es_quic_endpoint_shutdown (peer.endpoint);
  g_object_unref (peer.endpoint);
  g_main_loop_unref (peer.loop);
  return peer.exit_code;
}

static const char *
error_code_name (const GError *error)
{
  static const char * const names[] = {
    "FAILED", "APPLICATION", "TRANSPORT", "TLS_ALERT", "IDLE_TIMEOUT", "HANDSHAKE_TIMEOUT",
    "CANCELLED", "PEER_VERIFICATION",
  };

  if (error->domain == ES_QUIC_ERROR && error->code >= 0 && (gsize) error->code < G_N_ELEMENTS (names))
    return names[error->code];
  return "FAILED";
}

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Peer *peer = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(EsQuicConnection) connection = es_quic_endpoint_connect_finish (ES_QUIC_ENDPOINT (source),
                                                                           result, &error);
  g_autoptr(JsonObject) event = es_json_new_event ("connected");

  if (connection == NULL)
    {
      print_error (error_code_name (error), error->message);
      peer->exit_code = 1;
    }
  else
    {
      const char *fingerprint = es_quic_connection_get_peer_fingerprint (connection);

      json_object_set_string_member (event, "alpn", es_quic_connection_get_alpn (connection));
      if (fingerprint != NULL)
        json_object_set_string_member (event, "peer_fingerprint", fingerprint);
      es_json_print_line (event);
      es_quic_connection_close (connection, ES_QUIC_APP_NO_ERROR, "interop test done");
    }
  g_main_loop_quit (peer->loop);
}

static EsPeerPin *
parse_pin (GError **error)
{
  guint8 value[ES_SPKI_SHA256_SIZE];
  size_t length = 0;

  if (option_pin != NULL)
    {
      if (!es_fingerprint_parse (option_pin, value, error))
        return NULL;
      return es_peer_pin_new_fingerprint (value);
    }
  if (option_pin_spki == NULL ||
      sodium_hex2bin (value, sizeof value, option_pin_spki, strlen (option_pin_spki),
                      NULL, &length, NULL) != 0 || length != sizeof value)
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           "client needs --pin FINGERPRINT or --pin-spki 64-HEX-DIGITS");
      return NULL;
    }
  return es_peer_pin_new_spki_sha256 (value);
}

static int
run_client (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EsIdentity) identity = NULL;
  g_autoptr(EsPeerPin) pin = NULL;
  g_autoptr(GInetSocketAddress) remote = NULL;
  Peer peer = { g_main_loop_new (NULL, FALSE), NULL, NULL, 0, 0 };

  if (option_connect == NULL || (pin = parse_pin (&error)) == NULL ||
      (remote = es_address_parse (option_connect, &error)) == NULL)
    {
      g_printerr ("quic-peer: %s\n", error != NULL ? error->message : "client needs --connect");
      g_main_loop_unref (peer.loop);
      return 2;
    }

  identity = load_identity (&error);
  if (identity != NULL)
    peer.endpoint = bind_endpoint (identity, g_inet_address_get_family (
                                     g_inet_socket_address_get_address (remote)) ==
                                   G_SOCKET_FAMILY_IPV6 ? "[::1]:0" : "127.0.0.1:0", &error);
  if (peer.endpoint == NULL)
    {
      print_error ("FAILED", error->message);
      g_main_loop_unref (peer.loop);
      return 1;
    }

  es_quic_endpoint_connect_async (peer.endpoint, remote, pin, NULL, on_connected, &peer);
  peer.timeout_id = g_timeout_add_seconds (option_timeout, on_timeout, &peer);
  g_main_loop_run (peer.loop);
  g_clear_handle_id (&peer.timeout_id, g_source_remove);

  es_quic_endpoint_shutdown (peer.endpoint);
  g_object_unref (peer.endpoint);
  g_main_loop_unref (peer.loop);
  return peer.exit_code;
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new ("pem DIR | server | client");
  g_autoptr(GError) error = NULL;
  int status;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || argc < 2)
    {
      g_printerr ("quic-peer: %s\n", error != NULL ? error->message : "which mode?");
      return 2;
    }

  if (g_str_equal (argv[1], "pem") && argc == 3)
    status = run_pem (argv[2]);
  else if (g_str_equal (argv[1], "server") && argc == 2)
    status = run_server ();
  else if (g_str_equal (argv[1], "client") && argc == 2)
    status = run_client ();
  else
    {
      g_printerr ("quic-peer: unknown mode or extra arguments\n");
      status = 2;
    }

  g_strfreev (option_alpn);
  g_strfreev (option_allow);
  g_free (option_listen);
  g_free (option_connect);
  g_free (option_pin);
  g_free (option_pin_spki);
  g_free (option_seed);
  return status;
}
