/* rogue-relay: the real relay, turned against its users, for the security
 * tests of the calls suite. It shows that what a relay could do to a call
 * is refused by the parties:
 *
 *   --alter-answer        change the ephemeral key inside every call-answer
 *   --forge-offer-from FP when a client registers, send it a call-offer that
 *                         claims to come from FP (signed with the relay's key)
 *   --replay-media        forward every media datagram twice
 *   --tap FILE            write every media datagram it carries, in hex
 *   --log FILE            write every message it forwards between the parties
 *
 * Prints the relay-ready line of earshot-relay, then {"event":"tampered",...}
 * each time it does one of the above.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib-unix.h>
#include <sodium.h>
#include <stdio.h>

#include "es-address.h"
#include "es-hex.h"
#include "es-identity-store.h"
#include "es-json.h"
#include "es-relay-server.h"
#include "es-signed-envelope.h"

typedef struct
{
  EsRelayServer *server;
  EsIdentity *identity;
  gboolean alter_answer;
  gboolean replay_media;
  char *forge_from;
  FILE *tap;
  FILE *log;
} Rogue;

static void
report (const char *what)
{
  g_autoptr(JsonObject) event = es_json_new_event ("tampered");

  json_object_set_string_member (event, "what", what);
  es_json_print_line (event);
}

/* Swaps the ephemeral key for a key of the relay's choosing: the classic
 * man in the middle, which the signature over the body must defeat. */
static void
on_forwarding (EsRelaySwitchboard *switchboard,
               EsRelayClient      *from,
               EsRelayClient      *to,
               JsonObject         *message,
               Rogue              *rogue)
{
  const char *body = es_json_get_string (message, "body");
  g_autoptr(JsonObject) parsed = NULL;
  guint8 key[32];
  g_autofree char *ephemeral = NULL;
  g_autofree char *altered = NULL;

  if (rogue->log != NULL)
    {
      g_autofree char *line = es_json_to_string (message);

      fprintf (rogue->log, "%s\n", line);
      fflush (rogue->log);
    }
  if (!rogue->alter_answer || g_strcmp0 (es_json_get_string (message, "type"), "call-answer") != 0)
    return;
  parsed = es_json_from_string (body, -1, NULL);
  if (parsed == NULL)
    return;
  randombytes_buf (key, sizeof key);
  ephemeral = es_hex_encode (key, sizeof key);
  json_object_set_string_member (parsed, "ephemeral", ephemeral);
  altered = es_json_to_string (parsed);
  json_object_set_string_member (message, "body", altered);
  report ("answer");
}

static void
forge_offer (Rogue         *rogue,
             EsRelayClient *client)
{
  g_autoptr(JsonObject) body = json_object_new ();
  g_autoptr(EsSignedEnvelope) envelope = NULL;
  g_autoptr(JsonObject) message = NULL;
  g_autofree char *key = es_hex_encode (es_identity_get_public_key (rogue->identity), 32);
  guint8 call_id[16];
  g_autofree char *call_id_hex = NULL;

  randombytes_buf (call_id, sizeof call_id);
  call_id_hex = es_hex_encode (call_id, sizeof call_id);
  json_object_set_string_member (body, "to", es_relay_client_get_fingerprint (client));
  json_object_set_string_member (body, "key", key);
  json_object_set_int_member (body, "time", g_get_real_time () / 1000);
  envelope = es_signed_envelope_new (rogue->identity, "call-offer", call_id_hex, body, NULL);
  message = es_signed_envelope_to_json (envelope);
  /* The lie: the offer claims to be from someone else. */
  json_object_set_string_member (message, "from", rogue->forge_from);
  es_relay_client_send (client, message);
  report ("offer");
}

static void
on_media (EsQuicConnection *connection,
          GBytes           *datagram,
          EsRelayClient    *client)
{
  Rogue *rogue = g_object_get_data (G_OBJECT (client), "rogue");
  gsize length = 0;
  const guint8 *data = g_bytes_get_data (datagram, &length);

  if (rogue->tap != NULL)
    {
      g_autofree char *hex = es_hex_encode (data, length);

      fprintf (rogue->tap, "%s\n", hex);
      fflush (rogue->tap);
    }
  /* The switchboard has forwarded it once already: this is the copy. */
  if (rogue->replay_media)
    es_relay_switchboard_handle_datagram (es_relay_server_get_switchboard (rogue->server), client,
                                          datagram);
}

static void
on_client_registered (EsRelayServer *server,
                      EsRelayClient *client,
                      Rogue         *rogue)
{
  g_object_set_data (G_OBJECT (client), "rogue", rogue);
  if (rogue->replay_media || rogue->tap != NULL)
    g_signal_connect_after (es_relay_client_get_connection (client), "datagram-received",
                            G_CALLBACK (on_media), client);
  if (rogue->forge_from != NULL)
    forge_offer (rogue, client);
}

static gboolean
on_stop (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *listen = g_strdup ("127.0.0.1:0");
  g_autofree char *identity_path = NULL;
  g_autofree char *tap_path = NULL;
  g_autofree char *log_path = NULL;
  Rogue rogue = { 0 };
  const GOptionEntry entries[] = {
    { "listen", 0, 0, G_OPTION_ARG_STRING, &listen, NULL, NULL },
    { "identity", 0, 0, G_OPTION_ARG_FILENAME, &identity_path, NULL, NULL },
    { "alter-answer", 0, 0, G_OPTION_ARG_NONE, &rogue.alter_answer, NULL, NULL },
    { "replay-media", 0, 0, G_OPTION_ARG_NONE, &rogue.replay_media, NULL, NULL },
    { "forge-offer-from", 0, 0, G_OPTION_ARG_STRING, &rogue.forge_from, NULL, NULL },
    { "tap", 0, 0, G_OPTION_ARG_FILENAME, &tap_path, NULL, NULL },
    { "log", 0, 0, G_OPTION_ARG_FILENAME, &log_path, NULL, NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("");
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetSocketAddress) address = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(EsIdentityStore) store = NULL;
  EsRelaySettings settings = ES_RELAY_SETTINGS_DEFAULT;
  g_autofree char *local = NULL;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || identity_path == NULL)
    {
      g_printerr ("rogue-relay: %s\n", error != NULL ? error->message : "--identity is needed");
      return 2;
    }

  store = es_identity_store_new (identity_path);
  rogue.identity = es_identity_store_exists (store) ? es_identity_store_load (store, NULL, &error)
                                                    : es_identity_new_random ();
  if (rogue.identity == NULL ||
      (!es_identity_store_exists (store) &&
       !es_identity_store_save (store, rogue.identity, NULL, 0, &error)))
    {
      g_printerr ("rogue-relay: %s\n", error->message);
      return 1;
    }
  if (tap_path != NULL)
    rogue.tap = fopen (tap_path, "w");
  if (log_path != NULL)
    rogue.log = fopen (log_path, "w");

  rogue.server = es_relay_server_new (rogue.identity, &settings);
  g_signal_connect (es_relay_server_get_switchboard (rogue.server), "forwarding",
                    G_CALLBACK (on_forwarding), &rogue);
  g_signal_connect (rogue.server, "client-registered", G_CALLBACK (on_client_registered), &rogue);
  address = es_address_parse (listen, &error);
  if (address == NULL || !es_relay_server_start (rogue.server, address, &error))
    {
      g_printerr ("rogue-relay: %s\n", error->message);
      return 1;
    }

  local = es_address_to_string (es_relay_server_get_local_address (rogue.server));
  printf ("{\"event\":\"relay-ready\",\"listen\":\"%s\",\"fingerprint\":\"%s\",\"stun\":true}\n",
          local, es_identity_get_fingerprint (rogue.identity));
  fflush (stdout);

  g_unix_signal_add (SIGTERM, on_stop, loop);
  g_unix_signal_add (SIGINT, on_stop, loop);
  g_main_loop_run (loop);

  g_clear_object (&rogue.server);
  g_clear_object (&rogue.identity);
  g_free (rogue.forge_from);
  if (rogue.tap != NULL)
    fclose (rogue.tap);
  if (rogue.log != NULL)
    fclose (rogue.log);
  return 0;
}
