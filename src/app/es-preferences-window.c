/* es-preferences-window.c
 *
 * Everything is a GSettings key and applies at once; relays, STUN servers
 * and privacy restart the engine, which the application defers until no
 * call is in progress. Lists of servers are checked as they are added, so
 * the settings never hold an address the engine would refuse.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsPreferencesWindow"

#include "config.h"

#include "es-preferences-window.h"

#include <glib/gi18n.h>

#include "es-address.h"
#include "es-relay-spec.h"

typedef gboolean (*CheckFunc) (const char *text, GError **error);

typedef struct
{
  EsPreferencesWindow *window;
  AdwPreferencesGroup *group;
  const char *key;
  CheckFunc check;
  gboolean first_is_home;
  GPtrArray *rows;
  AdwEntryRow *add_row;
} ServerList;

struct _EsPreferencesWindow
{
  AdwPreferencesWindow parent_instance;

  EsApplication *application;
  GSettings *settings;
  ServerList relays;
  ServerList stun;

  AdwEntryRow *name_row;
  GtkWidget *dnd_switch;
  GtkWidget *background_switch;
  GtkWidget *autostart_switch;
  AdwPreferencesGroup *devices_group;
  AdwComboRow *input_row;
  AdwComboRow *output_row;
  GPtrArray *input_names;        /* node names, in the order of input_row's items */
  GPtrArray *output_names;
  gboolean filling_devices;
  GtkWidget *ring_switch;
  AdwPreferencesGroup *relays_group;
  AdwPreferencesGroup *stun_group;
  GtkWidget *privacy_switch;
};

G_DEFINE_FINAL_TYPE (EsPreferencesWindow, es_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

static gboolean
check_relay (const char  *text,
             GError     **error)
{
  g_autoptr(EsRelaySpec) spec = es_relay_spec_parse (text, error);

  return spec != NULL;
}

static gboolean
check_stun (const char  *text,
            GError     **error)
{
  g_autoptr(GInetSocketAddress) address = es_address_parse (text, error);

  return address != NULL;
}

/* ---- Server lists ------------------------------------------------------------ */

static void fill_list (ServerList *list);

static void
on_remove_clicked (GtkButton  *button,
                   ServerList *list)
{
  const char *value = g_object_get_data (G_OBJECT (button), "value");
  g_auto(GStrv) values = g_settings_get_strv (list->window->settings, list->key);
  g_autoptr(GStrvBuilder) kept = g_strv_builder_new ();
  g_auto(GStrv) result = NULL;

  for (guint i = 0; values[i] != NULL; i++)
    if (!g_str_equal (values[i], value))
      g_strv_builder_add (kept, values[i]);
  result = g_strv_builder_end (kept);
  g_settings_set_strv (list->window->settings, list->key, (const char * const *) result);
  fill_list (list);
}

static void
on_add_applied (AdwEntryRow *row,
                ServerList  *list)
{
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (row))));
  g_auto(GStrv) values = g_settings_get_strv (list->window->settings, list->key);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) result = NULL;
  g_autoptr(GError) error = NULL;

  if (text[0] == '\0')
    return;
  if (!list->check (text, &error))
    {
      gtk_widget_add_css_class (GTK_WIDGET (row), "error");
      adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (list->window),
                                        adw_toast_new (error->message));
      return;
    }
  gtk_widget_remove_css_class (GTK_WIDGET (row), "error");
  g_strv_builder_addv (builder, (const char **) values);
  if (!g_strv_contains ((const char * const *) values, text))
    g_strv_builder_add (builder, text);
  result = g_strv_builder_end (builder);
  g_settings_set_strv (list->window->settings, list->key, (const char * const *) result);
  gtk_editable_set_text (GTK_EDITABLE (row), "");
  fill_list (list);
}

static void
fill_list (ServerList *list)
{
  g_auto(GStrv) values = g_settings_get_strv (list->window->settings, list->key);

  for (guint i = 0; i < list->rows->len; i++)
    adw_preferences_group_remove (list->group, list->rows->pdata[i]);
  g_ptr_array_set_size (list->rows, 0);

  for (guint i = 0; values[i] != NULL; i++)
    {
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *remove = gtk_button_new_from_icon_name ("user-trash-symbolic");
      g_autofree char *label = g_strdup_printf (_("Remove %s"), values[i]);

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), values[i]);
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      gtk_widget_add_css_class (row, "monospace");
      if (i == 0 && list->first_is_home)
        adw_action_row_set_subtitle (ADW_ACTION_ROW (row), _("Home relay"));
      gtk_widget_set_valign (remove, GTK_ALIGN_CENTER);
      gtk_widget_add_css_class (remove, "flat");
      gtk_widget_set_tooltip_text (remove, _("Remove"));
      gtk_accessible_update_property (GTK_ACCESSIBLE (remove), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      label, -1);
      g_object_set_data_full (G_OBJECT (remove), "value", g_strdup (values[i]), g_free);
      g_signal_connect (remove, "clicked", G_CALLBACK (on_remove_clicked), list);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), remove);
      adw_preferences_group_add (list->group, row);
      g_ptr_array_add (list->rows, row);
    }
  /* The entry stays last. */
  g_object_ref (list->add_row);
  adw_preferences_group_remove (list->group, GTK_WIDGET (list->add_row));
  adw_preferences_group_add (list->group, GTK_WIDGET (list->add_row));
  g_object_unref (list->add_row);
}

static void
set_up_list (EsPreferencesWindow *self,
             ServerList          *list,
             AdwPreferencesGroup *group,
             const char          *key,
             CheckFunc            check,
             const char          *add_title,
             gboolean             first_is_home)
{
  list->window = self;
  list->group = group;
  list->key = key;
  list->check = check;
  list->first_is_home = first_is_home;
  list->rows = g_ptr_array_new ();
  list->add_row = ADW_ENTRY_ROW (adw_entry_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (list->add_row), add_title);
  adw_entry_row_set_show_apply_button (list->add_row, TRUE);
  g_signal_connect (list->add_row, "apply", G_CALLBACK (on_add_applied), list);
  adw_preferences_group_add (group, GTK_WIDGET (list->add_row));
  fill_list (list);
}

/* ---- Sound ---------------------------------------------------------------------- */

static void
fill_device_row (EsPreferencesWindow  *self,
                 AdwComboRow          *row,
                 GPtrArray            *names,
                 EsAudioDeviceMonitor *monitor,
                 EsAudioDirection      direction,
                 const char           *key)
{
  g_autoptr(GtkStringList) labels = gtk_string_list_new (NULL);
  g_autofree char *chosen = g_settings_get_string (self->settings, key);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (monitor));
  guint selected = 0;

  g_ptr_array_set_size (names, 0);
  gtk_string_list_append (labels, _("System default"));
  g_ptr_array_add (names, g_strdup (""));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(EsAudioDevice) device = g_list_model_get_item (G_LIST_MODEL (monitor), i);

      if (es_audio_device_get_direction (device) != direction)
        continue;
      if (g_str_equal (es_audio_device_get_name (device), chosen))
        selected = names->len;
      gtk_string_list_append (labels, es_audio_device_get_description (device));
      g_ptr_array_add (names, g_strdup (es_audio_device_get_name (device)));
    }
  /* A chosen device that is unplugged stays chosen, and is said to be away. */
  if (chosen[0] != '\0' && selected == 0)
    {
      g_autofree char *away = g_strdup_printf (_("%s (not connected)"), chosen);

      selected = names->len;
      gtk_string_list_append (labels, away);
      g_ptr_array_add (names, g_strdup (chosen));
    }
  adw_combo_row_set_model (row, G_LIST_MODEL (labels));
  adw_combo_row_set_selected (row, selected);
}

static void
fill_devices (EsPreferencesWindow *self)
{
  g_autoptr(GError) error = NULL;
  EsAudioDeviceMonitor *monitor = es_application_get_device_monitor (self->application, &error);

  gtk_widget_set_sensitive (GTK_WIDGET (self->input_row), monitor != NULL);
  gtk_widget_set_sensitive (GTK_WIDGET (self->output_row), monitor != NULL);
  if (monitor == NULL)
    {
      adw_preferences_group_set_description (self->devices_group, error->message);
      return;
    }
  self->filling_devices = TRUE;
  fill_device_row (self, self->input_row, self->input_names, monitor, ES_AUDIO_DIRECTION_INPUT,
                   "audio-input");
  fill_device_row (self, self->output_row, self->output_names, monitor, ES_AUDIO_DIRECTION_OUTPUT,
                   "audio-output");
  self->filling_devices = FALSE;
}

static void
on_device_selected (EsPreferencesWindow *self)
{
  guint input = adw_combo_row_get_selected (self->input_row);
  guint output = adw_combo_row_get_selected (self->output_row);
  g_autoptr(GError) error = NULL;

  if (self->filling_devices || input >= self->input_names->len ||
      output >= self->output_names->len)
    return;
  if (!es_application_choose_audio (self->application, self->input_names->pdata[input],
                                    self->output_names->pdata[output], &error))
    adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self), adw_toast_new (error->message));
}

/* ---- General -------------------------------------------------------------------- */

static void
on_name_applied (EsPreferencesWindow *self)
{
  g_autofree char *name = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->name_row))));

  g_settings_set_string (self->settings, "display-name", name);
}

static void
es_preferences_window_dispose (GObject *object)
{
  EsPreferencesWindow *self = ES_PREFERENCES_WINDOW (object);

  g_clear_pointer (&self->relays.rows, g_ptr_array_unref);
  g_clear_pointer (&self->input_names, g_ptr_array_unref);
  g_clear_pointer (&self->output_names, g_ptr_array_unref);
  g_clear_pointer (&self->stun.rows, g_ptr_array_unref);
  g_clear_object (&self->settings);
  g_clear_object (&self->application);
  gtk_widget_dispose_template (GTK_WIDGET (self), ES_TYPE_PREFERENCES_WINDOW);

  G_OBJECT_CLASS (es_preferences_window_parent_class)->dispose (object);
}

static void
es_preferences_window_class_init (EsPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = es_preferences_window_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
    "/io/github/earshot/Earshot/es-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, EsPreferencesWindow, name_row);
  gtk_widget_class_bind_template_child (widget_class, EsPreferencesWindow, dnd_switch);
  gtk_widget_class_bind_template_child (widget_class, EsPreferencesWindow, background_switch);
  gtk_widget_class_bind_template_child (widget_class, EsPreferencesWindow, autostart_switch);
  gtk_widget_class_bind_template_child (widget_class, EsPreferencesWindow, devices_group);
  gtk_widget_class_bind_template_child (widget_class, EsPreferencesWindow, input_row);
  gtk_widget_class_bind_template_child (widget_class, EsPreferencesWindow, output_row);
  gtk_widget_class_bind_template_child (widget_class, EsPreferencesWindow, ring_switch);
  gtk_widget_class_bind_template_child (widget_class, EsPreferencesWindow, relays_group);
  gtk_widget_class_bind_template_child (widget_class, EsPreferencesWindow, stun_group);
  gtk_widget_class_bind_template_child (widget_class, EsPreferencesWindow, privacy_switch);
  gtk_widget_class_bind_template_callback (widget_class, on_name_applied);
}

static void
es_preferences_window_init (EsPreferencesWindow *self)
{
  self->input_names = g_ptr_array_new_with_free_func (g_free);
  self->output_names = g_ptr_array_new_with_free_func (g_free);
  gtk_widget_init_template (GTK_WIDGET (self));
}

EsPreferencesWindow *
es_preferences_window_new (EsApplication *application,
                           GtkWindow     *parent)
{
  EsPreferencesWindow *self = g_object_new (ES_TYPE_PREFERENCES_WINDOW,
                                            "transient-for", parent,
                                            NULL);
  g_autofree char *name = NULL;

  self->application = g_object_ref (application);
  self->settings = g_object_ref (es_application_get_settings (application));
  name = g_settings_get_string (self->settings, "display-name");
  gtk_editable_set_text (GTK_EDITABLE (self->name_row), name);
  g_settings_bind (self->settings, "do-not-disturb", self->dnd_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "run-in-background", self->background_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "start-in-background", self->autostart_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "privacy-mode", self->privacy_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);

  g_settings_bind (self->settings, "ring-tone", self->ring_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  fill_devices (self);
  g_signal_connect_swapped (self->input_row, "notify::selected", G_CALLBACK (on_device_selected),
                            self);
  g_signal_connect_swapped (self->output_row, "notify::selected", G_CALLBACK (on_device_selected),
                            self);
  if (es_application_get_device_monitor (application, NULL) != NULL)
    g_signal_connect_object (es_application_get_device_monitor (application, NULL), "changed",
                             G_CALLBACK (fill_devices), self, G_CONNECT_SWAPPED);

  set_up_list (self, &self->relays, self->relays_group, "relays", check_relay, _("Add relay"),
               TRUE);
  set_up_list (self, &self->stun, self->stun_group, "stun-servers", check_stun,
               _("Add STUN server"), FALSE);
  if (es_application_relays_overridden (application))
    adw_preferences_group_set_description (self->relays_group,
      _("Earshot was started with a relay given on its command line or in EARSHOT_RELAY, "
        "which it uses instead of these until it is started without one."));
  return self;
}
