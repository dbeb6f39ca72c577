/* es-cli-netcheck.c: earshot-cli netcheck (DESIGN §8, §10.6)
 *
 * Runs from a socket bound like the engine's call socket (dual-stack, any
 * port), so what it reports is what a call from this machine would meet.
 * Needs no identity of the user's: to learn the relays the home relay lists
 * (DESIGN §10.5), it registers there under a throwaway identity that no one
 * can call, and only with a relay whose key it knows (given with #FP, or
 * pinned before), so that no stranger can make it probe other addresses.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsCli"

#include "es-cli.h"

#include "es-json.h"
#include "es-netcheck.h"
#include "es-relay-pins.h"

typedef struct
{
  GMainLoop *loop;
  JsonObject *report;
  GError *error;
} Run;

/* --relay, else EARSHOT_RELAY=SPEC,...; none is fine for netcheck. The
 * first is the home relay (a copy in *home). */
static gboolean
add_relays (EsNetcheck               *netcheck,
            const EsCliGlobalOptions *global,
            EsRelaySpec             **home,
            GError                  **error)
{
  g_auto(GStrv) from_env = NULL;
  char **texts = global->relays;

  if (texts == NULL && g_getenv ("EARSHOT_RELAY") != NULL && g_getenv ("EARSHOT_RELAY")[0] != '\0')
    texts = from_env = g_strsplit (g_getenv ("EARSHOT_RELAY"), ",", -1);
  for (guint i = 0; texts != NULL && texts[i] != NULL; i++)
    {
      g_autoptr(EsRelaySpec) relay = es_relay_spec_parse (texts[i], error);

      if (relay == NULL)
        return FALSE;
      es_netcheck_add_relay (netcheck, relay);
      if (i == 0)
        *home = es_relay_spec_copy (relay);
    }
  return TRUE;
}

/* The home relay with its key: given, or pinned by an earlier run of the
 * client (read only: netcheck pins nothing). NULL when it is not known. */
static EsRelaySpec *
pinned_home (const EsRelaySpec *home)
{
  g_autoptr(EsRelayPins) pins = NULL;
  g_autofree char *host_port = NULL;
  EsRelaySpec *pinned;
  const char *fingerprint;

  if (home->fingerprint != NULL)
    return es_relay_spec_copy (home);
  pins = es_relay_pins_new_default ();
  host_port = es_relay_spec_host_port (home);
  if (!es_relay_pins_load (pins, NULL) ||
      (fingerprint = es_relay_pins_lookup (pins, host_port)) == NULL)
    return NULL;
  pinned = es_relay_spec_copy (home);
  pinned->fingerprint = g_strdup (fingerprint);
  return pinned;
}

/* Registers at the home relay to hear which relays it lists. */
static EsSignalChannel *
follow_relay_list (EsNetcheck        *netcheck,
                   EsQuicEndpoint    *endpoint,
                   const EsRelaySpec *home)
{
  g_autoptr(EsRelaySpec) pinned = home != NULL ? pinned_home (home) : NULL;
  EsSignalChannel *channel;

  if (pinned == NULL)
    return NULL;
  channel = es_signal_channel_new (endpoint, pinned, NULL);
  es_netcheck_follow_relay_list (netcheck, channel);
  es_signal_channel_start (channel);
  return channel;
}

/* --stun, else EARSHOT_STUN=HOST:PORT,... */
static gboolean
add_stun_servers (EsNetcheck               *netcheck,
                  const EsCliGlobalOptions *global,
                  GError                  **error)
{
  g_auto(GStrv) from_env = NULL;
  char **texts = global->stun;

  if (texts == NULL && g_getenv ("EARSHOT_STUN") != NULL && g_getenv ("EARSHOT_STUN")[0] != '\0')
    texts = from_env = g_strsplit (g_getenv ("EARSHOT_STUN"), ",", -1);
  for (guint i = 0; texts != NULL && texts[i] != NULL; i++)
    if (!es_netcheck_add_stun_server (netcheck, g_strstrip (texts[i]), error))
      return FALSE;
  return TRUE;
}

/* Dual-stack like the engine's socket; IPv4 only where the host has no IPv6. */
static EsQuicEndpoint *
open_call_socket (EsIdentity *identity,
                  GError    **error)
{
  g_autoptr(EsQuicEndpoint) endpoint = es_quic_endpoint_new (identity, NULL);
  g_autoptr(GInetAddress) any6 = g_inet_address_new_any (G_SOCKET_FAMILY_IPV6);
  g_autoptr(GSocketAddress) dual = g_inet_socket_address_new (any6, 0);
  g_autoptr(GInetAddress) any4 = g_inet_address_new_any (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) v4 = g_inet_socket_address_new (any4, 0);

  if (es_quic_endpoint_bind (endpoint, G_INET_SOCKET_ADDRESS (dual), NULL))
    return g_steal_pointer (&endpoint);
  g_clear_object (&endpoint);
  endpoint = es_quic_endpoint_new (identity, NULL);
  if (!es_quic_endpoint_bind (endpoint, G_INET_SOCKET_ADDRESS (v4), error))
    return NULL;
  return g_steal_pointer (&endpoint);
}

static void
on_finished (GObject      *source,
             GAsyncResult *result,
             gpointer      data)
{
  Run *run = data;

  run->report = es_netcheck_run_finish (ES_NETCHECK (source), result, &run->error);
  g_main_loop_quit (run->loop);
}

int
es_cli_netcheck_main (const EsCliGlobalOptions *global,
                      int                       argc,
                      char                    **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new ("— what this network allows for calls");
  g_autoptr(EsIdentity) throwaway = es_identity_new_random ();
  g_autoptr(EsQuicEndpoint) endpoint = NULL;
  g_autoptr(EsNetcheck) netcheck = NULL;
  g_autoptr(EsRelaySpec) home = NULL;
  g_autoptr(EsSignalChannel) channel = NULL;
  g_autoptr(GError) error = NULL;
  gboolean json = FALSE;
  Run run = { NULL };
  int status;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print one JSON object (DESIGN §10.6)", NULL },
    { NULL }
  };

  g_option_context_set_summary (context,
    "Measures UDP over IPv4 and IPv6, the public addresses, how the NAT maps and filters,\n"
    "how it picks ports, hairpinning, NAT-PMP/PCP/UPnP, the gateway and every relay's\n"
    "round trip. Give STUN servers with --stun (before the command) or EARSHOT_STUN;\n"
    "a server with two addresses (RFC 5780) also shows the NAT's filtering.");
  g_option_context_add_main_entries (context, entries, NULL);
  status = es_cli_parse_options (context, &argc, &argv);
  if (status != ES_CLI_EXIT_OK)
    return status;
  if (argc > 1)
    return es_cli_usage_error (context, "unexpected argument “%s”", argv[1]);

  endpoint = open_call_socket (throwaway, &error);
  if (endpoint == NULL)
    return es_cli_failure ("cannot open a UDP socket: %s", error->message);
  netcheck = es_netcheck_new (endpoint);
  if (!add_relays (netcheck, global, &home, &error) || !add_stun_servers (netcheck, global, &error))
    return es_cli_usage_error (context, "%s", error->message);
  channel = follow_relay_list (netcheck, endpoint, home);

  run.loop = g_main_loop_new (NULL, FALSE);
  es_netcheck_run_async (netcheck, NULL, on_finished, &run);
  g_main_loop_run (run.loop);
  g_main_loop_unref (run.loop);
  if (channel != NULL)
    es_signal_channel_stop (channel);
  if (run.report == NULL)
    {
      status = es_cli_failure ("netcheck failed: %s", run.error->message);
      g_error_free (run.error);
      return status;
    }

  if (json)
    {
      g_autofree char *text = es_json_write (run.report, &error);

      if (text == NULL)
        status = es_cli_failure ("cannot write the report: %s", error->message);
      else
        g_print ("%s\n", text);
    }
  else
    {
      g_autofree char *text = es_netcheck_describe (run.report);

      g_print ("%s", text);
    }
  json_object_unref (run.report);
  return status;
}
