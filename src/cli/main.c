/* earshot-cli: the Earshot engine without a GUI
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsCli"

#include <glib.h>
#include <locale.h>

#include "es-cli.h"

static const char summary[] =
  "Commands:\n"
  "  identity create | show | export-mnemonic | import   Manage your identity\n"
  "  listen [--auto-answer] [--play IN.wav] [--record OUT.wav] [--duration S]\n"
  "                                                      Wait for calls\n"
  "  call FINGERPRINT [--play IN.wav] [--record OUT.wav] [--duration S]\n"
  "                                                      Call an address\n"
  "  netcheck [--json]                                    What this network allows for calls\n"
  "\n"
  "Run “earshot-cli COMMAND --help” for a command's options.\n"
  "EARSHOT_HOME=DIR keeps all of this client's state in DIR.";

int
main (int    argc,
      char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  EsCliGlobalOptions global = { NULL };
  gboolean version = FALSE;
  const GOptionEntry entries[] = {
    { "relay", 0, 0, G_OPTION_ARG_STRING_ARRAY, &global.relays,
      "A relay (repeatable; the first is home); also EARSHOT_RELAY", "HOST:PORT#FP" },
    { "stun", 0, 0, G_OPTION_ARG_STRING_ARRAY, &global.stun,
      "An extra STUN server (repeatable); also EARSHOT_STUN", "HOST:PORT" },
    { "privacy", 0, 0, G_OPTION_ARG_NONE, &global.privacy,
      "Relay only: no address of this machine leaves it", NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL },
    { NULL }
  };
  int status;

  setlocale (LC_ALL, "");

  context = g_option_context_new ("COMMAND [OPTIONS…]");
  g_option_context_set_summary (context, "Earshot: peer-to-peer voice calls by cryptographic address.");
  g_option_context_set_description (context, summary);
  g_option_context_add_main_entries (context, entries, NULL);
  /* Options after the command word belong to the command. */
  g_option_context_set_strict_posix (context, TRUE);

  status = es_cli_parse_options (context, &argc, &argv);
  if (status != ES_CLI_EXIT_OK)
    return status;
  if (version)
    {
      g_print ("earshot-cli %s\n", PACKAGE_VERSION);
      return ES_CLI_EXIT_OK;
    }
  if (argc < 2)
    return es_cli_usage_error (context, "no command given");

  if (g_str_equal (argv[1], "identity"))
    status = es_cli_identity_main (argc - 1, argv + 1);
  else if (g_str_equal (argv[1], "listen"))
    status = es_cli_listen_main (&global, argc - 1, argv + 1);
  else if (g_str_equal (argv[1], "call"))
    status = es_cli_call_main (&global, argc - 1, argv + 1);
  else if (g_str_equal (argv[1], "netcheck"))
    status = es_cli_netcheck_main (&global, argc - 1, argv + 1);
  else
    status = es_cli_usage_error (context, "unknown command “%s”", argv[1]);

  g_strfreev (global.relays);
  g_strfreev (global.stun);
  return status;
}
