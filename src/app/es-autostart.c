/* es-autostart.c
 *
 * Inside Flatpak the app may not write ~/.config/autostart, and asks the
 * Background portal instead, which also lets it keep running without a
 * window. Outside a sandbox it writes the plain XDG autostart file itself:
 * the portal cannot tell which app a host process is.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsAutostart"

#include "config.h"

#include "es-autostart.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <libportal-gtk4/portal-gtk4.h>

struct _EsAutostart
{
  GObject parent_instance;

  EsApplication *application;    /* unowned: the application owns us */
  XdpPortal *portal;
  GCancellable *cancellable;
};

G_DEFINE_FINAL_TYPE (EsAutostart, es_autostart, G_TYPE_OBJECT)

/* Where the plain autostart file goes outside a sandbox. */
static char *
autostart_file_path (void)
{
  return g_build_filename (g_get_user_config_dir (), "autostart", APPLICATION_ID ".desktop", NULL);
}

static char *
own_command (void)
{
  g_autofree char *program = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *quoted = g_shell_quote (program != NULL ? program : "earshot");

  return g_strdup_printf ("%s --background", quoted);
}

static gboolean
write_autostart_file (GError **error)
{
  g_autofree char *path = autostart_file_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *command = own_command ();
  g_autoptr(GKeyFile) file = g_key_file_new ();
  g_autofree char *contents = NULL;

  g_key_file_set_string (file, "Desktop Entry", "Type", "Application");
  g_key_file_set_string (file, "Desktop Entry", "Name", "Earshot");
  g_key_file_set_string (file, "Desktop Entry", "Comment",
                         "Start Earshot in the background so that calls ring");
  g_key_file_set_string (file, "Desktop Entry", "Exec", command);
  g_key_file_set_string (file, "Desktop Entry", "Icon", APPLICATION_ID);
  g_key_file_set_boolean (file, "Desktop Entry", "NoDisplay", TRUE);
  g_key_file_set_boolean (file, "Desktop Entry", "X-GNOME-Autostart-enabled", TRUE);
  contents = g_key_file_to_data (file, NULL, NULL);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   "cannot create %s: %s", dir, g_strerror (saved_errno));
      return FALSE;
    }
  return g_file_set_contents (path, contents, -1, error);
}

static gboolean
remove_autostart_file (GError **error)
{
  g_autofree char *path = autostart_file_path ();

  if (g_unlink (path) != 0 && errno != ENOENT)
    {
      int saved_errno = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   "cannot remove %s: %s", path, g_strerror (saved_errno));
      return FALSE;
    }
  return TRUE;
}

static void
on_background_requested (GObject      *source,
                         GAsyncResult *result,
                         gpointer      data)
{
  g_autoptr(GError) error = NULL;

  if (!xdp_portal_request_background_finish (XDP_PORTAL (source), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_warning ("the Background portal refused to start Earshot at login: %s", error->message);
}

static void
request_from_portal (EsAutostart *self,
                     gboolean     autostart)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self->application));
  g_autoptr(GPtrArray) command = g_ptr_array_new ();
  XdpParent *parent = window != NULL ? xdp_parent_new_gtk (window) : NULL;

  g_ptr_array_add (command, (gpointer) "earshot");
  g_ptr_array_add (command, (gpointer) "--background");
  g_ptr_array_add (command, NULL);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  xdp_portal_request_background (self->portal, parent,
                                 _("Earshot starts at login so that calls ring"), command,
                                 autostart ? XDP_BACKGROUND_FLAG_AUTOSTART
                                           : XDP_BACKGROUND_FLAG_NONE,
                                 self->cancellable, on_background_requested, self);
  g_clear_pointer (&parent, xdp_parent_free);
}

static void
on_setting_changed (GSettings   *settings,
                    const char  *key,
                    EsAutostart *self)
{
  gboolean autostart = g_settings_get_boolean (settings, "start-in-background");
  g_autoptr(GError) error = NULL;

  if (xdp_portal_running_under_sandbox ())
    {
      if (self->portal == NULL)
        self->portal = xdp_portal_new ();
      request_from_portal (self, autostart);
      return;
    }
  if (!(autostart ? write_autostart_file (&error) : remove_autostart_file (&error)))
    g_warning ("%s", error->message);
}

static void
es_autostart_dispose (GObject *object)
{
  EsAutostart *self = ES_AUTOSTART (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->portal);
  if (self->application != NULL)
    g_signal_handlers_disconnect_by_data (es_application_get_settings (self->application), self);
  self->application = NULL;

  G_OBJECT_CLASS (es_autostart_parent_class)->dispose (object);
}

static void
es_autostart_class_init (EsAutostartClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = es_autostart_dispose;
}

static void
es_autostart_init (EsAutostart *self)
{
}

EsAutostart *
es_autostart_new (EsApplication *application)
{
  EsAutostart *self = g_object_new (ES_TYPE_AUTOSTART, NULL);

  self->application = application;
  g_signal_connect (es_application_get_settings (application), "changed::start-in-background",
                    G_CALLBACK (on_setting_changed), self);
  return self;
}
