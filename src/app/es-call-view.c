/* es-call-view.c
 *
 * Everything here follows the call's own signals: state-changed for the
 * words under the name, stats (once a second) for the path line, and a one
 * second timer for the clock only while the call is active, so an idle app
 * wakes for nothing.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsCallView"

#include "config.h"

#include "es-call-view.h"

#include <glib/gi18n.h>

#include "es-adaptive-quality.h"
#include "es-candidate.h"
#include "es-contact-editor.h"
#include "es-format.h"

/* Long enough to read how the call ended, short enough not to be in the way. */
#define END_DISPLAY_MS 2500

struct _EsCallView
{
  AdwBin parent_instance;

  EsApplication *application;
  EsCall *call;
  EsContact *contact;
  guint clock_id;
  guint end_id;
  GSimpleActionGroup *actions;   /* call.input, call.output */

  AdwWindowTitle *window_title;
  AdwAvatar *avatar;
  GtkLabel *name_label;
  GtkLabel *address_label;
  GtkLabel *state_label;
  GtkWidget *key_warning;
  GtkWidget *path_box;
  GtkImage *path_icon;
  GtkLabel *path_label;
  GtkWidget *safety_box;
  GtkLabel *safety_words;
  GtkButton *verify_button;
  GtkWidget *verified_label;
  GtkWidget *mute_button;
  GtkWidget *device_button;
  GtkWidget *hangup_button;
};

G_DEFINE_FINAL_TYPE (EsCallView, es_call_view, ADW_TYPE_BIN)

enum {
  DONE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* ---- The path line ------------------------------------------------------------- */

static GSocketFamily
path_family (EsCall   *call,
             EsEngine *engine)
{
  const EsCandidate *direct = es_call_get_direct_remote (call);
  EsSignalChannel *channel = engine != NULL ? es_engine_get_signal_channel (engine) : NULL;
  EsQuicConnection *connection = channel != NULL ? es_signal_channel_get_connection (channel) : NULL;
  GInetSocketAddress *address = NULL;

  if (direct != NULL)
    return es_candidate_is_ipv6 (direct) ? G_SOCKET_FAMILY_IPV6 : G_SOCKET_FAMILY_IPV4;
  if (connection != NULL)
    address = es_quic_connection_get_remote_address (connection);
  if (address == NULL)
    return G_SOCKET_FAMILY_INVALID;
  return g_inet_address_get_family (g_inet_socket_address_get_address (address));
}

/* In words, from the bit rate of the tier the call runs at (tier 0 is the best). */
static const char *
tier_words (guint tier)
{
  const EsQualityTier *quality = tier < ES_QUALITY_N_TIERS ? es_quality_tier_get (tier) : NULL;

  if (quality == NULL)
    return _("Unknown quality");
  if (quality->bitrate >= 32000)
    return _("HD voice");
  if (quality->bitrate >= 16000)
    return _("Good quality");
  if (quality->bitrate >= 10000)
    return _("Reduced quality");
  return _("Low bandwidth");
}

/* "Relay · IPv4 · 24 ms · 0 % loss · Good quality", from the call's stats. */
static char *
describe_path (EsCall   *call,
               EsEngine *engine)
{
  g_autoptr(GString) text = g_string_new (NULL);
  gboolean direct = g_strcmp0 (es_call_get_path_kind (call), "direct") == 0;
  GSocketFamily family = path_family (call, engine);
  EsCallStats stats;

  es_call_get_stats (call, &stats);
  g_string_append (text, direct ? _("Direct") : _("Relay"));
  if (family == G_SOCKET_FAMILY_IPV4)
    g_string_append_printf (text, " · %s", _("IPv4"));
  else if (family == G_SOCKET_FAMILY_IPV6)
    g_string_append_printf (text, " · %s", _("IPv6"));
  if (stats.rtt_ms > 0)
    {
      g_string_append (text, " · ");
      /* TRANSLATORS: the round-trip time of the call's path */
      g_string_append_printf (text, _("%.0f ms"), stats.rtt_ms);
    }
  if (es_call_get_state (call) == ES_CALL_STATE_ACTIVE)
    {
      g_string_append (text, " · ");
      /* TRANSLATORS: packet loss of the call, in percent */
      g_string_append_printf (text, _("%.0f %% loss"), stats.media.loss_pct);
      g_string_append_printf (text, " · %s", tier_words (stats.media.tier));
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static void
update_path (EsCallView *self)
{
  g_autofree char *text = NULL;
  gboolean direct;

  if (self->call == NULL || es_call_get_state (self->call) < ES_CALL_STATE_CONNECTING)
    {
      gtk_widget_set_visible (self->path_box, FALSE);
      return;
    }
  direct = g_strcmp0 (es_call_get_path_kind (self->call), "direct") == 0;
  text = describe_path (self->call, es_application_get_engine (self->application));
  gtk_label_set_text (self->path_label, text);
  gtk_image_set_from_icon_name (self->path_icon, direct ? "network-wired-symbolic"
                                                        : "network-server-symbolic");
  gtk_widget_set_tooltip_text (self->path_box,
                               direct ? _("Your computers talk to each other directly")
                                      : _("The call goes through your relay, end-to-end encrypted"));
  gtk_widget_set_visible (self->path_box, TRUE);
}

/* ---- State ---------------------------------------------------------------------- */

static void
update_clock (EsCallView *self)
{
  gint64 since = es_call_get_active_since (self->call);
  g_autofree char *text = es_format_duration ((guint) ((g_get_monotonic_time () - since) /
                                                       G_USEC_PER_SEC));

  gtk_label_set_text (self->state_label, text);
}

static gboolean
on_clock_tick (gpointer data)
{
  update_clock (data);
  return G_SOURCE_CONTINUE;
}

static void
update_safety (EsCallView *self)
{
  const char * const *words = es_call_get_safety_words (self->call);
  gboolean verified = self->contact != NULL && es_contact_get_verified (self->contact);
  g_autofree char *text = NULL;

  gtk_widget_set_visible (self->safety_box, words != NULL);
  if (words == NULL)
    return;
  text = g_strjoinv (" · ", (char **) words);
  gtk_label_set_text (self->safety_words, text);
  gtk_widget_set_visible (self->verified_label, verified);
  gtk_widget_set_visible (GTK_WIDGET (self->verify_button), !verified);
  gtk_button_set_label (self->verify_button, self->contact != NULL ? _("_Mark as Verified")
                                                                   : _("_Add to Contacts"));
  /* GTK 4.8 would read the mnemonic's underscore out loud. */
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->verify_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  self->contact != NULL ? _("Mark as Verified")
                                                        : _("Add to Contacts"), -1);
  gtk_widget_set_visible (self->key_warning,
                          self->contact != NULL && es_contact_get_key_changed (self->contact));
}

static gboolean
on_end_shown (gpointer data)
{
  EsCallView *self = data;

  self->end_id = 0;
  g_signal_emit (self, signals[DONE], 0);
  return G_SOURCE_REMOVE;
}

static void
show_state (EsCallView *self)
{
  EsCallState state = es_call_get_state (self->call);
  gboolean outgoing = es_call_is_outgoing (self->call);
  g_autofree char *ended = NULL;

  g_clear_handle_id (&self->clock_id, g_source_remove);
  switch (state)
    {
    case ES_CALL_STATE_DIALING:
      gtk_label_set_text (self->state_label, _("Calling…"));
      break;
    case ES_CALL_STATE_RINGING:
      gtk_label_set_text (self->state_label, outgoing ? _("Ringing…") : _("Incoming call"));
      break;
    case ES_CALL_STATE_CONNECTING:
      gtk_label_set_text (self->state_label, _("Connecting…"));
      break;
    case ES_CALL_STATE_ACTIVE:
      update_clock (self);
      self->clock_id = g_timeout_add_seconds (1, on_clock_tick, self);
      break;
    case ES_CALL_STATE_ENDED:
    default:
      ended = es_format_end_reason (es_call_get_end_reason (self->call), outgoing);
      gtk_label_set_text (self->state_label, ended);
      g_clear_handle_id (&self->end_id, g_source_remove);
      self->end_id = g_timeout_add (END_DISPLAY_MS, on_end_shown, self);
      break;
    }
  gtk_widget_set_sensitive (self->mute_button, state != ES_CALL_STATE_ENDED);
  gtk_widget_set_sensitive (self->hangup_button, state != ES_CALL_STATE_ENDED);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->hangup_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  state < ES_CALL_STATE_CONNECTING && outgoing ? _("Cancel call")
                                                                               : _("Hang up"),
                                  -1);
  update_safety (self);
  update_path (self);
}

static void
on_state_changed (EsCall      *call,
                  EsCallState  state,
                  EsCallState  old_state,
                  EsCallView  *self)
{
  show_state (self);
}

static void
on_stats (EsCall     *call,
          EsCallView *self)
{
  update_path (self);
}

static void
on_contact_changed (EsCallView *self)
{
  update_safety (self);
}

static void
on_verify_clicked (EsCallView *self)
{
  EsContactStore *contacts = es_application_get_contacts (self->application);
  g_autoptr(GError) error = NULL;
  GtkWindow *window = GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self)));

  if (self->contact == NULL)
    {
      es_contact_editor_present_new (window, self->application, es_call_get_peer (self->call),
                                     NULL);
      return;
    }
  if (!es_contact_store_set_verified (contacts, self->contact, TRUE, &error))
    g_warning ("%s", error->message);
}

/* ---- Devices ----------------------------------------------------------------------- */

/* call.input and call.output hold the chosen node names ("" is the system
 * default): the menu shows them as radio items, as GNOME's menus do. */
static void
on_device_chosen (GSimpleAction *action,
                  GVariant      *value,
                  gpointer       data)
{
  EsCallView *self = data;
  GSettings *settings = es_application_get_settings (self->application);
  gboolean input = g_str_equal (g_action_get_name (G_ACTION (action)), "input");
  const char *name = g_variant_get_string (value, NULL);
  g_autofree char *other = g_settings_get_string (settings, input ? "audio-output" : "audio-input");
  g_autoptr(GError) error = NULL;

  if (!es_application_choose_audio (self->application, input ? name : other,
                                    input ? other : name, &error))
    {
      GtkWidget *toplevel = GTK_WIDGET (gtk_widget_get_root (GTK_WIDGET (self)));
      GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (toplevel),
                                                  _("Cannot Use This Device"), error->message);

      adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
      gtk_window_present (GTK_WINDOW (dialog));
      return;
    }
  g_simple_action_set_state (action, value);
}

/* Menu labels take "_" for a mnemonic; a device's name keeps its own. */
static char *
menu_label (const char *text)
{
  g_auto(GStrv) parts = g_strsplit (text, "_", -1);

  return g_strjoinv ("__", parts);
}

static GMenu *
device_section (EsAudioDeviceMonitor *monitor,
                EsAudioDirection      direction)
{
  GMenu *section = g_menu_new ();
  const char *action = direction == ES_AUDIO_DIRECTION_INPUT ? "call.input" : "call.output";
  guint n = g_list_model_get_n_items (G_LIST_MODEL (monitor));
  g_autoptr(GMenuItem) system = g_menu_item_new (_("System default"), NULL);

  g_menu_item_set_action_and_target (system, action, "s", "");
  g_menu_append_item (section, system);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(EsAudioDevice) device = g_list_model_get_item (G_LIST_MODEL (monitor), i);
      g_autoptr(GMenuItem) item = NULL;
      g_autofree char *label = NULL;

      if (es_audio_device_get_direction (device) != direction)
        continue;
      label = menu_label (es_audio_device_get_description (device));
      item = g_menu_item_new (label, NULL);
      g_menu_item_set_action_and_target (item, action, "s", es_audio_device_get_name (device));
      g_menu_append_item (section, item);
    }
  return section;
}

/* Made each time it opens, so it lists the devices there are now. */
static void
create_device_menu (GtkMenuButton *button,
                    gpointer       data)
{
  EsCallView *self = data;
  GSettings *settings = es_application_get_settings (self->application);
  g_autoptr(GError) error = NULL;
  EsAudioDeviceMonitor *monitor = es_application_get_device_monitor (self->application, &error);
  g_autoptr(GMenu) menu = g_menu_new ();
  g_autoptr(GMenu) inputs = NULL;
  g_autoptr(GMenu) outputs = NULL;
  g_autofree char *input = g_settings_get_string (settings, "audio-input");
  g_autofree char *output = g_settings_get_string (settings, "audio-output");

  if (monitor == NULL)
    {
      g_autoptr(GMenuItem) item = g_menu_item_new (error->message, "call.none");

      g_menu_append_item (menu, item);
      gtk_menu_button_set_menu_model (button, G_MENU_MODEL (menu));
      return;
    }
  g_simple_action_set_state (G_SIMPLE_ACTION (g_action_map_lookup_action (G_ACTION_MAP (self->actions),
                                                                          "input")),
                             g_variant_new_string (input));
  g_simple_action_set_state (G_SIMPLE_ACTION (g_action_map_lookup_action (G_ACTION_MAP (self->actions),
                                                                          "output")),
                             g_variant_new_string (output));
  inputs = device_section (monitor, ES_AUDIO_DIRECTION_INPUT);
  outputs = device_section (monitor, ES_AUDIO_DIRECTION_OUTPUT);
  g_menu_append_section (menu, _("Microphone"), G_MENU_MODEL (inputs));
  g_menu_append_section (menu, _("Speaker"), G_MENU_MODEL (outputs));
  gtk_menu_button_set_menu_model (button, G_MENU_MODEL (menu));
}

/* ---- Who ------------------------------------------------------------------------- */

static void
show_peer (EsCallView *self)
{
  const char *peer = es_call_get_peer (self->call);
  EsContactStore *contacts = es_application_get_contacts (self->application);
  EsContact *contact = contacts != NULL ? es_contact_store_lookup (contacts, peer) : NULL;
  g_autofree char *short_address = es_format_short_address (peer);
  const char *name;

  if (self->contact != NULL)
    g_signal_handlers_disconnect_by_data (self->contact, self);
  g_set_object (&self->contact, contact);
  if (contact != NULL)
    {
      g_signal_connect_swapped (contact, "notify", G_CALLBACK (on_contact_changed), self);
      name = es_contact_get_name (contact);
    }
  else if (es_call_is_outgoing (self->call))
    name = short_address;        /* whom one dialled, if not whose name */
  else
    name = _("Unknown Caller");
  gtk_label_set_text (self->name_label, name);
  adw_avatar_set_text (self->avatar, contact != NULL ? name : NULL);
  gtk_label_set_text (self->address_label, peer);
  adw_window_title_set_title (self->window_title, name);
}

static void
on_contacts_changed (EsCallView *self)
{
  if (self->call != NULL)
    {
      show_peer (self);
      update_safety (self);
    }
}

static void
forget_call (EsCallView *self)
{
  g_clear_handle_id (&self->clock_id, g_source_remove);
  g_clear_handle_id (&self->end_id, g_source_remove);
  if (self->call != NULL)
    g_signal_handlers_disconnect_by_data (self->call, self);
  g_clear_object (&self->call);
  if (self->contact != NULL)
    g_signal_handlers_disconnect_by_data (self->contact, self);
  g_clear_object (&self->contact);
}

void
es_call_view_set_call (EsCallView *self,
                       EsCall     *call)
{
  g_return_if_fail (ES_IS_CALL_VIEW (self));

  if (call == self->call)
    return;
  forget_call (self);
  self->call = g_object_ref (call);
  g_signal_connect (call, "state-changed", G_CALLBACK (on_state_changed), self);
  g_signal_connect (call, "stats", G_CALLBACK (on_stats), self);
  g_signal_connect_swapped (call, "path-changed", G_CALLBACK (update_path), self);
  show_peer (self);
  show_state (self);
}

gboolean
es_call_view_is_showing_end (EsCallView *self)
{
  return self->end_id != 0;
}

void
es_call_view_set_application (EsCallView    *self,
                              EsApplication *application)
{
  EsContactStore *contacts = es_application_get_contacts (application);

  g_set_object (&self->application, application);
  if (contacts != NULL)
    g_signal_connect_object (contacts, "changed", G_CALLBACK (on_contacts_changed), self,
                             G_CONNECT_SWAPPED);
}

/* ---- GObject ------------------------------------------------------------------------ */

static void
es_call_view_dispose (GObject *object)
{
  EsCallView *self = ES_CALL_VIEW (object);

  forget_call (self);
  g_clear_object (&self->application);
  g_clear_object (&self->actions);
  gtk_widget_dispose_template (GTK_WIDGET (self), ES_TYPE_CALL_VIEW);

  G_OBJECT_CLASS (es_call_view_parent_class)->dispose (object);
}

static void
es_call_view_class_init (EsCallViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = es_call_view_dispose;

  signals[DONE] = g_signal_new ("done", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/earshot/Earshot/es-call-view.ui");
  gtk_widget_class_bind_template_child (widget_class, EsCallView, window_title);
  gtk_widget_class_bind_template_child (widget_class, EsCallView, avatar);
  gtk_widget_class_bind_template_child (widget_class, EsCallView, name_label);
  gtk_widget_class_bind_template_child (widget_class, EsCallView, address_label);
  gtk_widget_class_bind_template_child (widget_class, EsCallView, state_label);
  gtk_widget_class_bind_template_child (widget_class, EsCallView, key_warning);
  gtk_widget_class_bind_template_child (widget_class, EsCallView, path_box);
  gtk_widget_class_bind_template_child (widget_class, EsCallView, path_icon);
  gtk_widget_class_bind_template_child (widget_class, EsCallView, path_label);
  gtk_widget_class_bind_template_child (widget_class, EsCallView, safety_box);
  gtk_widget_class_bind_template_child (widget_class, EsCallView, safety_words);
  gtk_widget_class_bind_template_child (widget_class, EsCallView, verify_button);
  gtk_widget_class_bind_template_child (widget_class, EsCallView, verified_label);
  gtk_widget_class_bind_template_child (widget_class, EsCallView, mute_button);
  gtk_widget_class_bind_template_child (widget_class, EsCallView, device_button);
  gtk_widget_class_bind_template_child (widget_class, EsCallView, hangup_button);
  gtk_widget_class_bind_template_callback (widget_class, on_verify_clicked);
}

/* The button shows what is: a crossed-out microphone while muted. */
static void
on_mute_toggled (EsCallView *self)
{
  gboolean muted = gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (self->mute_button));

  gtk_button_set_icon_name (GTK_BUTTON (self->mute_button),
                            muted ? "microphone-sensitivity-muted-symbolic"
                                  : "audio-input-microphone-symbolic");
  gtk_widget_set_tooltip_text (self->mute_button, muted ? _("Unmute (Ctrl+Shift+M)")
                                                        : _("Mute (Ctrl+Shift+M)"));
}

static void
es_call_view_init (EsCallView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  g_signal_connect_swapped (self->mute_button, "toggled", G_CALLBACK (on_mute_toggled), self);
  const GActionEntry entries[] = {
    { "input", NULL, "s", "''", on_device_chosen },
    { "output", NULL, "s", "''", on_device_chosen },
  };

  self->actions = g_simple_action_group_new ();
  g_action_map_add_action_entries (G_ACTION_MAP (self->actions), entries, G_N_ELEMENTS (entries),
                                   self);
  gtk_widget_insert_action_group (GTK_WIDGET (self), "call", G_ACTION_GROUP (self->actions));
  gtk_menu_button_set_create_popup_func (GTK_MENU_BUTTON (self->device_button),
                                         create_device_menu, self, NULL);
}
