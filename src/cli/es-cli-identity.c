/* es-cli-identity.c: earshot-cli identity create | show | export-mnemonic | import
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsCli"

#include "es-cli.h"

#include <json-glib/json-glib.h>
#include <sodium.h>
#include <string.h>

#include "es-error.h"
#include "es-hex.h"

typedef struct
{
  gboolean force;
  gboolean json;
  char *passphrase_file;
  char *mnemonic;
  char *hex;
} IdentityOptions;

static void
identity_options_clear (IdentityOptions *options)
{
  g_free (options->passphrase_file);
  if (options->mnemonic != NULL)
    sodium_memzero (options->mnemonic, strlen (options->mnemonic));
  g_free (options->mnemonic);
  if (options->hex != NULL)
    sodium_memzero (options->hex, strlen (options->hex));
  g_free (options->hex);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (IdentityOptions, identity_options_clear)

static int
save_identity (EsIdentityStore       *store,
               EsIdentity            *identity,
               const IdentityOptions *options,
               const char            *verb)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *passphrase = NULL;
  EsIdentityStoreSaveFlags flags = options->force ? ES_IDENTITY_STORE_SAVE_REPLACE
                                                  : ES_IDENTITY_STORE_SAVE_NONE;
  gboolean saved;

  if (options->passphrase_file != NULL)
    {
      passphrase = es_cli_read_secret_file (options->passphrase_file, "the passphrase", &error);
      if (passphrase == NULL)
        return es_cli_failure ("%s", error->message);
    }

  saved = es_identity_store_save (store, identity, passphrase, flags, &error);
  if (passphrase != NULL)
    sodium_memzero (passphrase, strlen (passphrase));
  if (!saved)
    {
      if (g_error_matches (error, ES_ERROR, ES_ERROR_EXISTS))
        return es_cli_failure ("%s (use --force to replace it; the old file is kept beside it)",
                               error->message);
      return es_cli_failure ("%s", error->message);
    }

  g_print ("%s\n", es_identity_get_fingerprint (identity));
  g_printerr ("%s identity %s in %s\n", verb, es_identity_get_fingerprint (identity),
              es_identity_store_get_path (store));
  return ES_CLI_EXIT_OK;
}

static int
identity_create (EsIdentityStore       *store,
                 const IdentityOptions *options)
{
  g_autoptr(EsIdentity) identity = es_identity_new_random ();
  int status = save_identity (store, identity, options, "Created");

  if (status == ES_CLI_EXIT_OK)
    g_printerr ("Write down your 24 recovery words: earshot-cli identity export-mnemonic\n");
  return status;
}

static int
identity_import (EsIdentityStore       *store,
                 const IdentityOptions *options)
{
  g_autoptr(EsIdentity) identity = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *secret = NULL;

  if (options->mnemonic != NULL)
    {
      secret = es_cli_read_secret_arg (options->mnemonic, "recovery words", &error);
      if (secret != NULL)
        identity = es_identity_new_from_mnemonic (secret, &error);
    }
  else
    {
      secret = es_cli_read_secret_arg (options->hex, "seed", &error);
      if (secret != NULL)
        identity = es_identity_new_from_hex (secret, &error);
    }
  if (secret != NULL)
    sodium_memzero (secret, strlen (secret));
  if (identity == NULL)
    return es_cli_failure ("cannot import: %s", error->message);

  return save_identity (store, identity, options, "Imported");
}

static void
print_identity_json (EsIdentityStore *store,
                     EsIdentity      *identity)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *created = g_date_time_format_iso8601 (es_identity_get_created (identity));
  g_autofree char *public_key = es_hex_encode (es_identity_get_public_key (identity),
                                              ES_ED25519_PUBLIC_KEY_SIZE);
  g_autofree char *text = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "fingerprint");
  json_builder_add_string_value (builder, es_identity_get_fingerprint (identity));
  json_builder_set_member_name (builder, "public_key");
  json_builder_add_string_value (builder, public_key);
  json_builder_set_member_name (builder, "created");
  json_builder_add_string_value (builder, created);
  json_builder_set_member_name (builder, "protected");
  json_builder_add_boolean_value (builder, es_identity_store_get_protected (store));
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, NULL);
  g_print ("%s\n", text);
}

static int
identity_show (EsIdentityStore       *store,
               const IdentityOptions *options)
{
  g_autoptr(EsIdentity) identity = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *created = NULL;

  identity = es_cli_open_identity (store, &error);
  if (identity == NULL)
    return es_cli_failure ("%s", error->message);

  if (options->json)
    {
      print_identity_json (store, identity);
      return ES_CLI_EXIT_OK;
    }

  created = g_date_time_format (es_identity_get_created (identity), "%Y-%m-%d %H:%M:%S UTC");
  g_print ("Address:   %s\n", es_identity_get_fingerprint (identity));
  g_print ("Created:   %s\n", created);
  g_print ("Protected: %s\n", es_identity_store_get_protected (store) ? "yes (passphrase)" : "no");
  g_print ("File:      %s\n", es_identity_store_get_path (store));
  return ES_CLI_EXIT_OK;
}

static int
identity_export_mnemonic (EsIdentityStore *store)
{
  g_autoptr(EsIdentity) identity = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *words = NULL;

  identity = es_cli_open_identity (store, &error);
  if (identity == NULL)
    return es_cli_failure ("%s", error->message);

  words = es_identity_export_mnemonic (identity);
  g_print ("%s\n", words);
  sodium_memzero (words, strlen (words));
  return ES_CLI_EXIT_OK;
}

static GOptionContext *
identity_option_context (const char      *command,
                         IdentityOptions *options)
{
  const GOptionEntry create_entries[] = {
    { "force", 0, 0, G_OPTION_ARG_NONE, &options->force,
      "Replace an existing identity (the old file is kept beside it)", NULL },
    { "passphrase-file", 0, 0, G_OPTION_ARG_FILENAME, &options->passphrase_file,
      "Protect the identity with the passphrase in FILE", "FILE" },
    { NULL }
  };
  const GOptionEntry import_entries[] = {
    { "mnemonic", 0, 0, G_OPTION_ARG_STRING, &options->mnemonic,
      "The 24 recovery words, in one argument (- reads them from standard input)", "WORDS" },
    { "hex", 0, 0, G_OPTION_ARG_STRING, &options->hex,
      "The seed as 64 hex digits (- reads it from standard input)", "HEX" },
    { NULL }
  };
  const GOptionEntry show_entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &options->json, "Print one JSON object", NULL },
    { NULL }
  };
  g_autofree char *parameter = g_strdup_printf ("identity %s", command);
  GOptionContext *context = g_option_context_new (parameter);

  if (g_str_equal (command, "create") || g_str_equal (command, "import"))
    g_option_context_add_main_entries (context, create_entries, NULL);
  if (g_str_equal (command, "import"))
    g_option_context_add_main_entries (context, import_entries, NULL);
  if (g_str_equal (command, "show"))
    g_option_context_add_main_entries (context, show_entries, NULL);
  return context;
}

static const char identity_summary[] =
  "Commands:\n"
  "  create [--force] [--passphrase-file FILE]   Make a new identity\n"
  "  show [--json]                               Print the address and details\n"
  "  export-mnemonic                             Print the 24 recovery words\n"
  "  import (--mnemonic WORDS | --hex HEX)       Restore an identity\n"
  "         [--force] [--passphrase-file FILE]\n"
  "\n"
  "The identity lives in $EARSHOT_HOME/identity (else $XDG_CONFIG_HOME/earshot/identity).\n"
  "A protected identity is opened with EARSHOT_PASSPHRASE_FILE=FILE or a prompt.";

int
es_cli_identity_main (int    argc,
                      char **argv)
{
  g_auto(IdentityOptions) options = { 0 };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(EsIdentityStore) store = NULL;
  const char *command;
  int status;

  if (argc < 2 || g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h"))
    {
      g_autoptr(GOptionContext) help = g_option_context_new ("identity COMMAND");

      g_option_context_set_description (help, identity_summary);
      if (argc < 2)
        return es_cli_usage_error (help, "identity needs a command");
      g_autofree char *text = g_option_context_get_help (help, TRUE, NULL);
      g_print ("%s", text);
      return ES_CLI_EXIT_OK;
    }

  command = argv[1];
  if (!g_str_equal (command, "create") && !g_str_equal (command, "show") &&
      !g_str_equal (command, "export-mnemonic") && !g_str_equal (command, "import"))
    return es_cli_usage_error (NULL, "unknown identity command “%s” (try --help)", command);

  context = identity_option_context (command, &options);
  argc--;
  argv++;
  status = es_cli_parse_options (context, &argc, &argv);
  if (status != ES_CLI_EXIT_OK)
    return status;
  if (argc > 1)
    return es_cli_usage_error (context, "unexpected argument “%s”", argv[1]);

  store = es_identity_store_new_default ();

  if (g_str_equal (command, "create"))
    return identity_create (store, &options);
  if (g_str_equal (command, "show"))
    return identity_show (store, &options);
  if (g_str_equal (command, "export-mnemonic"))
    return identity_export_mnemonic (store);

  if ((options.mnemonic == NULL) == (options.hex == NULL))
    return es_cli_usage_error (context, "import takes exactly one of --mnemonic and --hex");
  return identity_import (store, &options);
}
