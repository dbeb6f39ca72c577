/* main.c: earshot, the desktop app
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "es-application.h"

/* Without its schema GSettings aborts; say what to do instead. */
static gboolean
have_schema (void)
{
  g_autoptr(GSettingsSchema) schema = NULL;
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();

  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, APPLICATION_ID, TRUE);
  return schema != NULL;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(EsApplication) application = NULL;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  if (!have_schema ())
    {
      g_printerr ("earshot: the settings schema %s is not installed; install Earshot, or run it "
                  "from the build directory with “meson devenv” (GSETTINGS_SCHEMA_DIR)\n",
                  APPLICATION_ID);
      return 1;
    }
  application = es_application_new ();
  return g_application_run (G_APPLICATION (application), argc, argv);
}
