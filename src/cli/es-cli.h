/* es-cli.h: shared pieces of earshot-cli's commands
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "es-identity-store.h"

G_BEGIN_DECLS

/* Exit codes (DESIGN §8). */
enum {
  ES_CLI_EXIT_OK = 0,
  ES_CLI_EXIT_FAILURE = 1,
  ES_CLI_EXIT_USAGE = 2,
};

int         es_cli_usage_error       (GOptionContext  *context,
                                      const char      *format,
                                      ...) G_GNUC_PRINTF (2, 3);
int         es_cli_failure           (const char      *format,
                                      ...) G_GNUC_PRINTF (1, 2);
int         es_cli_parse_options     (GOptionContext  *context,
                                      int             *argc,
                                      char          ***argv);
char       *es_cli_read_secret_file  (const char      *path,
                                      const char      *what,
                                      GError         **error);
char       *es_cli_read_secret_arg   (const char      *value,
                                      const char      *what,
                                      GError         **error);
EsIdentity *es_cli_open_identity     (EsIdentityStore *store,
                                      GError         **error);

/* Options that come before the command word. */
typedef struct
{
  char **relays;
  char **stun;
  gboolean privacy;
} EsCliGlobalOptions;

int         es_cli_identity_main     (int              argc,
                                      char           **argv);
int         es_cli_listen_main       (const EsCliGlobalOptions *global,
                                      int              argc,
                                      char           **argv);
int         es_cli_call_main         (const EsCliGlobalOptions *global,
                                      int              argc,
                                      char           **argv);
int         es_cli_netcheck_main     (const EsCliGlobalOptions *global,
                                      int              argc,
                                      char           **argv);

G_END_DECLS
