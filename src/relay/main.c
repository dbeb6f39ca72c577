/* earshot-relay: the rendezvous and fallback server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EarshotRelay"

#include <glib-unix.h>
#include <json-glib/json-glib.h>
#include <locale.h>
#include <stdio.h>

#include "es-address.h"
#include "es-error.h"
#include "es-identity-store.h"
#include "es-metrics-server.h"
#include "es-paths.h"
#include "es-relay-server.h"

#define EXIT_USAGE 2
#define DEFAULT_LISTEN "[::]:4433"
/* Clients get this long to hear "going away" before the process exits. */
#define SHUTDOWN_GRACE_MS 2000

typedef struct
{
  char *listen;
  char *identity;
  char *metrics;
  char *region;
  char **known_relays;
  int ring_timeout;
  gboolean version;
} Options;

static void
options_clear (Options *options)
{
  g_free (options->listen);
  g_free (options->identity);
  g_free (options->metrics);
  g_free (options->region);
  g_strfreev (options->known_relays);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Options, options_clear)

static int fail (const char *format, ...) G_GNUC_PRINTF (1, 2);

static int
fail (const char *format,
      ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_printerr ("earshot-relay: %s\n", message);
  return 1;
}

/* The relay's own identity: its fingerprint is what clients pin. Made on
 * first start, never silently replaced. */
static EsIdentity *
open_identity (const char *path,
               GError    **error)
{
  g_autofree char *default_path = es_paths_config_file ("relay-identity");
  g_autoptr(EsIdentityStore) store = es_identity_store_new (path != NULL ? path : default_path);
  g_autoptr(EsIdentity) identity = NULL;

  if (es_identity_store_exists (store))
    return es_identity_store_load (store, NULL, error);

  identity = es_identity_new_random ();
  if (!es_identity_store_save (store, identity, NULL, ES_IDENTITY_STORE_SAVE_NONE, error))
    return NULL;
  g_message ("created relay identity %s in %s", es_identity_get_fingerprint (identity),
             es_identity_store_get_path (store));
  return g_steal_pointer (&identity);
}

static void
print_ready (EsRelayServer   *server,
             EsIdentity      *identity,
             EsMetricsServer *metrics,
             const char      *region)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *listen = es_address_to_string (es_relay_server_get_local_address (server));
  g_autofree char *line = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "event");
  json_builder_add_string_value (builder, "relay-ready");
  json_builder_set_member_name (builder, "listen");
  json_builder_add_string_value (builder, listen);
  json_builder_set_member_name (builder, "fingerprint");
  json_builder_add_string_value (builder, es_identity_get_fingerprint (identity));
  json_builder_set_member_name (builder, "stun");
  json_builder_add_boolean_value (builder, TRUE);
  if (region != NULL)
    {
      json_builder_set_member_name (builder, "region");
      json_builder_add_string_value (builder, region);
    }
  if (metrics != NULL)
    {
      g_autoptr(GInetSocketAddress) address = es_metrics_server_dup_local_address (metrics);
      g_autofree char *text = es_address_to_string (address);

      json_builder_set_member_name (builder, "metrics");
      json_builder_add_string_value (builder, text);
    }
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  line = json_generator_to_data (generator, NULL);
  g_print ("%s\n", line);
  fflush (stdout);
}

typedef struct
{
  EsRelayServer *server;
  GMainLoop *loop;
} Running;

static gboolean
on_grace_over (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

/* Tells every client, then quits when all connections are closed, or after
 * a grace period if some peer never answers. */
static gboolean
on_stop_signal (gpointer data)
{
  Running *running = data;

  g_message ("shutting down");
  g_timeout_add (SHUTDOWN_GRACE_MS, on_grace_over, running->loop);
  es_relay_server_shutdown (running->server);
  return G_SOURCE_REMOVE;
}

static void
on_drained (EsRelayServer *server,
            GMainLoop     *loop)
{
  g_main_loop_quit (loop);
}

static char *
render_metrics (gpointer data)
{
  return es_relay_server_render_metrics (data);
}

static gboolean
add_known_relays (EsRelayServer *server,
                  char         **relays,
                  GError       **error)
{
  for (guint i = 0; relays != NULL && relays[i] != NULL; i++)
    {
      g_auto(GStrv) parts = g_strsplit (relays[i], "@", 2);

      if (strchr (parts[0], '#') == NULL)
        {
          g_set_error (error, ES_ERROR, ES_ERROR_INVALID_ARGUMENT,
                       "--known-relay %s: expected HOST:PORT#FINGERPRINT[@REGION]", relays[i]);
          return FALSE;
        }
      es_relay_server_add_known_relay (server, parts[0], parts[1]);
    }
  return TRUE;
}

static int
run (const Options *options)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EsIdentity) identity = NULL;
  g_autoptr(EsRelayServer) server = NULL;
  g_autoptr(EsMetricsServer) metrics = NULL;
  g_autoptr(GInetSocketAddress) listen = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  EsRelaySettings settings = ES_RELAY_SETTINGS_DEFAULT;
  Running running;

  listen = es_address_parse (options->listen, &error);
  if (listen == NULL)
    return fail ("--listen: %s", error->message);
  if (options->ring_timeout > 0)
    settings.ring_timeout_ms = (guint) options->ring_timeout * 1000;

  identity = open_identity (options->identity, &error);
  if (identity == NULL)
    return fail ("%s", error->message);

  server = es_relay_server_new (identity, &settings);
  if (!add_known_relays (server, options->known_relays, &error))
    return fail ("%s", error->message);
  es_relay_server_set_region (server, options->region);
  if (!es_relay_server_start (server, listen, &error))
    return fail ("cannot listen on %s: %s", options->listen, error->message);

  if (options->metrics != NULL)
    {
      g_autoptr(GInetSocketAddress) address = es_address_parse (options->metrics, &error);

      if (address == NULL)
        return fail ("--metrics: %s", error->message);
      metrics = es_metrics_server_new (render_metrics, server);
      if (!es_metrics_server_listen (metrics, address, &error))
        return fail ("cannot serve metrics on %s: %s", options->metrics, error->message);
    }

  running.server = server;
  running.loop = loop;
  g_unix_signal_add (SIGINT, on_stop_signal, &running);
  g_unix_signal_add (SIGTERM, on_stop_signal, &running);
  g_signal_connect (server, "drained", G_CALLBACK (on_drained), loop);

  print_ready (server, identity, metrics, options->region);
  g_main_loop_run (loop);
  return 0;
}

int
main (int    argc,
      char **argv)
{
  g_auto(Options) options = { NULL };
  g_autoptr(GOptionContext) context = g_option_context_new ("");
  g_autoptr(GError) error = NULL;
  const GOptionEntry entries[] = {
    { "listen", 0, 0, G_OPTION_ARG_STRING, &options.listen,
      "UDP address for QUIC and STUN (default [::]:4433; port 0 picks one)", "ADDR:PORT" },
    { "identity", 0, 0, G_OPTION_ARG_FILENAME, &options.identity,
      "The relay's identity file, created if absent", "FILE" },
    { "metrics", 0, 0, G_OPTION_ARG_STRING, &options.metrics,
      "Serve Prometheus metrics over HTTP on this address", "ADDR:PORT" },
    { "region", 0, 0, G_OPTION_ARG_STRING, &options.region, "A name for where this relay runs",
      "NAME" },
    { "ring-timeout", 0, 0, G_OPTION_ARG_INT, &options.ring_timeout,
      "Seconds an unanswered call rings (default 60)", "SECONDS" },
    { "known-relay", 0, 0, G_OPTION_ARG_STRING_ARRAY, &options.known_relays,
      "Another relay to tell clients about (repeatable)", "HOST:PORT#FP[@REGION]" },
    { "version", 0, 0, G_OPTION_ARG_NONE, &options.version, "Print the version and exit", NULL },
    { NULL }
  };

  setlocale (LC_ALL, "");
  g_option_context_set_summary (context,
    "The Earshot relay: introduces callers by address, serves STUN, and carries\n"
    "end-to-end encrypted calls when no direct path works. Stops cleanly on\n"
    "SIGINT or SIGTERM. EARSHOT_HOME=DIR keeps its identity in DIR.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("earshot-relay: %s\n", error->message);
      return EXIT_USAGE;
    }
  if (argc > 1)
    {
      g_printerr ("earshot-relay: unexpected argument “%s”\n", argv[1]);
      return EXIT_USAGE;
    }
  if (options.version)
    {
      g_print ("earshot-relay %s\n", PACKAGE_VERSION);
      return 0;
    }
  if (options.listen == NULL)
    options.listen = g_strdup (DEFAULT_LISTEN);
  if (options.ring_timeout < 0)
    {
      g_printerr ("earshot-relay: --ring-timeout must be positive\n");
      return EXIT_USAGE;
    }
  return run (&options);
}
