/* es-cli.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsCli"

#include "es-cli.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "es-error.h"

#define MAX_SECRET_LENGTH 4096

int
es_cli_usage_error (GOptionContext *context,
                    const char     *format,
                    ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  g_printerr ("earshot-cli: %s\n", message);
  if (context != NULL)
    {
      g_autofree char *help = g_option_context_get_help (context, TRUE, NULL);
      g_printerr ("\n%s", help);
    }
  return ES_CLI_EXIT_USAGE;
}

int
es_cli_failure (const char *format,
                ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  g_printerr ("earshot-cli: %s\n", message);
  return ES_CLI_EXIT_FAILURE;
}

/* Returns ES_CLI_EXIT_OK when parsing succeeded, else the exit code. */
int
es_cli_parse_options (GOptionContext *context,
                      int            *argc,
                      char         ***argv)
{
  g_autoptr(GError) error = NULL;

  if (!g_option_context_parse (context, argc, argv, &error))
    return es_cli_usage_error (context, "%s", error->message);
  return ES_CLI_EXIT_OK;
}

/* One secret per file; a single trailing newline is not part of it. */
static char *
strip_secret (char       *text,
              gsize       length,
              const char *what,
              const char *source,
              GError    **error)
{
  if (length != strlen (text) || length > MAX_SECRET_LENGTH)
    {
      sodium_memzero (text, length);
      g_free (text);
      g_set_error (error, ES_ERROR, ES_ERROR_INVALID_ARGUMENT,
                   "%s in %s is not a line of text", what, source);
      return NULL;
    }
  if (length > 0 && text[length - 1] == '\n')
    text[--length] = '\0';
  if (length > 0 && text[length - 1] == '\r')
    text[--length] = '\0';
  if (length == 0)
    {
      g_free (text);
      g_set_error (error, ES_ERROR, ES_ERROR_INVALID_ARGUMENT, "%s in %s is empty", what, source);
      return NULL;
    }
  return text;
}

char *
es_cli_read_secret_file (const char *path,
                         const char *what,
                         GError    **error)
{
  char *text = NULL;
  gsize length = 0;

  if (!g_file_get_contents (path, &text, &length, error))
    return NULL;
  return strip_secret (text, length, what, path, error);
}

/* "-" reads the secret from standard input, so that it needs not appear in
 * the process list or the shell history. */
char *
es_cli_read_secret_arg (const char *value,
                        const char *what,
                        GError    **error)
{
  g_autoptr(GString) text = NULL;
  char buffer[256];
  size_t n;

  if (g_strcmp0 (value, "-") != 0)
    return g_strdup (value);

  text = g_string_new (NULL);
  while ((n = fread (buffer, 1, sizeof buffer, stdin)) > 0 && text->len <= MAX_SECRET_LENGTH)
    g_string_append_len (text, buffer, n);
  sodium_memzero (buffer, sizeof buffer);
  g_strstrip (text->str);
  text->len = strlen (text->str);
  if (text->len == 0)
    {
      g_set_error (error, ES_ERROR, ES_ERROR_INVALID_ARGUMENT, "no %s on standard input", what);
      return NULL;
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static char *
prompt_passphrase (const char *path)
{
  struct termios saved, quiet;
  char line[MAX_SECRET_LENGTH + 2];
  char *passphrase = NULL;

  if (tcgetattr (STDIN_FILENO, &saved) != 0)
    return NULL;
  quiet = saved;
  quiet.c_lflag &= ~(tcflag_t) ECHO;
  g_printerr ("Passphrase for %s: ", path);
  tcsetattr (STDIN_FILENO, TCSAFLUSH, &quiet);
  if (fgets (line, sizeof line, stdin) != NULL)
    passphrase = strip_secret (g_strdup (line), strlen (line), "the passphrase", "the prompt", NULL);
  tcsetattr (STDIN_FILENO, TCSAFLUSH, &saved);
  g_printerr ("\n");
  sodium_memzero (line, sizeof line);
  return passphrase;
}

/* Opens the identity, asking for its passphrase the way DESIGN §10.4 says:
 * EARSHOT_PASSPHRASE_FILE, else a prompt on a terminal, else an error. */
EsIdentity *
es_cli_open_identity (EsIdentityStore *store,
                      GError         **error)
{
  g_autoptr(GError) local_error = NULL;
  const char *passphrase_file = g_getenv ("EARSHOT_PASSPHRASE_FILE");
  char *passphrase = NULL;
  EsIdentity *identity;

  identity = es_identity_store_load (store, NULL, &local_error);
  if (identity != NULL)
    return identity;
  if (!g_error_matches (local_error, ES_ERROR, ES_ERROR_PASSPHRASE_REQUIRED))
    {
      if (g_error_matches (local_error, ES_ERROR, ES_ERROR_NOT_FOUND))
        g_prefix_error (&local_error, "no identity yet (create one with "
                        "“earshot-cli identity create”): ");
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  if (passphrase_file != NULL && passphrase_file[0] != '\0')
    passphrase = es_cli_read_secret_file (passphrase_file, "the passphrase", error);
  else if (isatty (STDIN_FILENO))
    passphrase = prompt_passphrase (es_identity_store_get_path (store));
  else
    {
      g_set_error (error, ES_ERROR, ES_ERROR_PASSPHRASE_REQUIRED,
                   "identity file %s is protected by a passphrase: set "
                   "EARSHOT_PASSPHRASE_FILE to a file holding it, or run on a terminal",
                   es_identity_store_get_path (store));
      return NULL;
    }
  if (passphrase == NULL)
    {
      if (error != NULL && *error == NULL)
        g_set_error_literal (error, ES_ERROR, ES_ERROR_PASSPHRASE_REQUIRED, "no passphrase given");
      return NULL;
    }

  identity = es_identity_store_load (store, passphrase, error);
  sodium_memzero (passphrase, strlen (passphrase));
  g_free (passphrase);
  return identity;
}
