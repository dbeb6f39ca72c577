/* es-application.c
 *
 * The app is a thin shell over EsEngine (DESIGN §1): this object turns the
 * engine's state into what a person sees (a status in plain words, the call
 * on screen), and owns what outlives a window: the tray item, the
 * notifications, the suspend inhibitor and the hold that keeps the app
 * running in the background so that calls still ring.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsApplication"

#include "config.h"

#include "es-application.h"

#include <glib/gi18n.h>
#include <glib-unix.h>
#include <signal.h>

#include "es-app-enums.h"
#include "es-address.h"
#include "es-audio-pipewire.h"
#include "es-autostart.h"
#include "es-call-notifier.h"
#include "es-dialer.h"
#include "es-diagnostics-window.h"
#include "es-earshot-uri.h"
#include "es-error.h"
#include "es-preferences-window.h"
#include "es-relay-spec.h"
#include "es-tray-item.h"
#include "es-window.h"

struct _EsApplication
{
  AdwApplication parent_instance;

  GSettings *settings;
  char **relay_options;          /* --relay */
  gboolean start_hidden;         /* --background: started at login */

  EsIdentityStore *identity_store;
  EsContactStore *contacts;
  char *contacts_error;
  EsEngine *engine;
  EsAppStatus status;
  char *status_detail;

  EsCall *current_call;
  EsAudioBackend *call_audio;    /* the current call's microphone and speaker */
  EsCall *ringing_call;
  EsAudioDeviceMonitor *devices; /* made when first asked for */
  guint inhibit_cookie;
  gboolean held;
  gboolean restart_pending;      /* network settings changed during a call */

  EsTrayItem *tray;
  EsCallNotifier *notifier;
  EsAutostart *autostart;
  guint terminate_sources[2];    /* SIGTERM, SIGINT */
};

G_DEFINE_FINAL_TYPE (EsApplication, es_application, ADW_TYPE_APPLICATION)

enum {
  PROP_0,
  PROP_ENGINE,
  PROP_STATUS,
  PROP_STATUS_DETAIL,
  PROP_CURRENT_CALL,
  N_PROPS
};

enum {
  INCOMING_CALL,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void stop_engine (EsApplication *self);
static void show_error (EsApplication *self,
                        const char    *heading,
                        const char    *body);
static void set_call_audio (EsApplication  *self,
                            EsAudioBackend *audio);
static void start_engine (EsApplication *self);

/* ---- Status ------------------------------------------------------------------- */

static void
set_status (EsApplication *self,
            EsAppStatus    status,
            const char    *detail)
{
  gboolean detail_changed = g_strcmp0 (self->status_detail, detail) != 0;

  if (detail_changed)
    {
      g_free (self->status_detail);
      self->status_detail = g_strdup (detail);
    }
  if (self->status != status)
    {
      self->status = status;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS]);
    }
  if (detail_changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS_DETAIL]);
}

static char *
relay_display_name (EsSignalChannel *channel)
{
  return es_relay_spec_host_port (es_signal_channel_get_relay (channel));
}

/* The engine's reasons start with "relay HOST:PORT: ", which the status
 * already says. */
static const char *
without_relay_prefix (const char *reason,
                      const char *relay)
{
  g_autofree char *prefix = g_strdup_printf ("relay %s: ", relay);

  return g_str_has_prefix (reason, prefix) ? reason + strlen (prefix) : reason;
}

/* Every state says what is going on and, when something is wrong, what:
 * never an endless "Connecting…" (desktop-users.md). */
static void
on_channel_state_changed (EsSignalChannel *channel,
                          EsApplication   *self)
{
  g_autofree char *relay = relay_display_name (channel);
  const GError *error = es_signal_channel_get_error (channel);
  g_autofree char *detail = NULL;

  switch (es_signal_channel_get_state (channel))
    {
    case ES_SIGNAL_CHANNEL_REGISTERED:
      detail = g_strdup_printf (_("Online through %s"), relay);
      set_status (self, ES_APP_STATUS_ONLINE, detail);
      break;
    case ES_SIGNAL_CHANNEL_WAITING:
      detail = g_strdup_printf (_("Cannot reach the relay %s (%s). Trying again shortly."),
                                relay, error != NULL ? without_relay_prefix (error->message, relay)
                                                     : _("no answer"));
      set_status (self, ES_APP_STATUS_RETRYING, detail);
      break;
    case ES_SIGNAL_CHANNEL_FAILED:
      detail = g_strdup_printf (_("The relay %s cannot be trusted: %s"),
                                relay, error != NULL ? error->message : _("unknown error"));
      set_status (self, ES_APP_STATUS_FAILED, detail);
      break;
    case ES_SIGNAL_CHANNEL_CONNECTING:
    case ES_SIGNAL_CHANNEL_STOPPED:
    default:
      detail = g_strdup_printf (_("Connecting to the relay %s…"), relay);
      set_status (self, ES_APP_STATUS_CONNECTING, detail);
      break;
    }
}

/* ---- The call on screen ---------------------------------------------------------- */

static void
update_inhibit (EsApplication *self)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (self->current_call != NULL && self->inhibit_cookie == 0)
    /* A call must not end because the screen went idle (tdesktop#26008). */
    self->inhibit_cookie = gtk_application_inhibit (GTK_APPLICATION (self), window,
                                                    GTK_APPLICATION_INHIBIT_SUSPEND |
                                                    GTK_APPLICATION_INHIBIT_IDLE,
                                                    _("A call is in progress"));
  else if (self->current_call == NULL && self->inhibit_cookie != 0)
    {
      gtk_application_uninhibit (GTK_APPLICATION (self), self->inhibit_cookie);
      self->inhibit_cookie = 0;
    }
}

static void
reset_mute (EsApplication *self)
{
  GAction *mute = g_action_map_lookup_action (G_ACTION_MAP (self), "mute");

  g_simple_action_set_state (G_SIMPLE_ACTION (mute), g_variant_new_boolean (FALSE));
}

/* New relays or STUN servers take a new engine; a call in progress is not
 * cut for that, the change waits for it to end. */
static void
restart_when_idle (EsApplication *self)
{
  if (!self->restart_pending || self->current_call != NULL || self->ringing_call != NULL)
    return;
  self->restart_pending = FALSE;
  if (es_identity_store_get_identity (self->identity_store) != NULL)
    start_engine (self);
}

static void
set_current_call (EsApplication *self,
                  EsCall        *call)
{
  if (self->current_call == call)
    return;
  g_set_object (&self->current_call, call);
  if (call == NULL)
    set_call_audio (self, NULL);
  reset_mute (self);
  update_inhibit (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CURRENT_CALL]);
  restart_when_idle (self);
}

static void
on_call_state_changed (EsCall        *call,
                       EsCallState    state,
                       EsCallState    old_state,
                       EsApplication *self)
{
  if (state != ES_CALL_STATE_ENDED)
    return;
  g_signal_handlers_disconnect_by_data (call, self);
  if (call == self->ringing_call)
    g_clear_object (&self->ringing_call);
  if (call == self->current_call)
    set_current_call (self, NULL);
  restart_when_idle (self);
}

static void
follow_call (EsApplication *self,
             EsCall        *call)
{
  g_signal_connect_object (call, "state-changed", G_CALLBACK (on_call_state_changed), self, 0);
}

static void
on_call_added (EsEngine      *engine,
               EsCall        *call,
               EsApplication *self)
{
  if (self->contacts != NULL)
    es_contact_store_track_call (self->contacts, call);
}

static void
on_incoming_call (EsEngine      *engine,
                  EsCall        *call,
                  EsApplication *self)
{
  /* One call at a time; do not disturb turns calls away at once, so the
   * caller hears "busy" instead of a minute of ringing. The history keeps
   * them as missed. */
  if (self->current_call != NULL || self->ringing_call != NULL ||
      g_settings_get_boolean (self->settings, "do-not-disturb"))
    {
      es_call_decline_busy (call);
      return;
    }
  self->ringing_call = g_object_ref (call);
  follow_call (self, call);
  g_signal_emit (self, signals[INCOMING_CALL], 0, call);
}

static void
on_engine_notice (EsEngine      *engine,
                  const char    *text,
                  EsApplication *self)
{
  g_message ("%s", text);
}

static void
on_engine_refused (EsEngine      *engine,
                   GError        *error,
                   EsApplication *self)
{
  g_warning ("%s", error->message);
}

static void
on_call_audio_error (EsAudioBackend *audio,
                     GError         *error,
                     EsApplication  *self)
{
  g_autofree char *body = g_strdup_printf (_("%s. Choose another microphone or speaker with the "
                                             "audio button of the call."), error->message);

  show_error (self, _("The Call’s Audio Stopped"), body);
}

static void
set_call_audio (EsApplication  *self,
                EsAudioBackend *audio)
{
  if (self->call_audio != NULL)
    g_signal_handlers_disconnect_by_data (self->call_audio, self);
  g_set_object (&self->call_audio, audio);
  if (audio != NULL)
    g_signal_connect (audio, "error", G_CALLBACK (on_call_audio_error), self);
}

/* "" and NULL both mean the system's default device. */
static const char *
device_or_default (const char *name)
{
  return name != NULL && name[0] != '\0' ? name : NULL;
}

/* Calls need a microphone and a speaker: a call that cannot have them is
 * refused with the reason, never answered with silence. NULL or "" is the
 * system's default, which the call then follows. */
static EsAudioBackend *
open_call_audio (const char  *input,
                 const char  *output,
                 GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  EsAudioPipewire *audio = es_audio_pipewire_new (device_or_default (input),
                                                  device_or_default (output), &local_error);

  if (audio == NULL)
    {
      g_set_error (error, local_error->domain, local_error->code,
                   _("No microphone or speaker: %s"), local_error->message);
      return NULL;
    }
  return ES_AUDIO_BACKEND (audio);
}

static EsAudioBackend *
open_chosen_audio (EsApplication *self,
                   GError       **error)
{
  g_autofree char *input = g_settings_get_string (self->settings, "audio-input");
  g_autofree char *output = g_settings_get_string (self->settings, "audio-output");

  return open_call_audio (input, output, error);
}

/* The call goes on while only the device that changed gets a new stream:
 * its codec, jitter buffer and echo canceller keep their state, so nothing
 * is lost but the few milliseconds of the move. */
static gboolean
move_call_audio (EsApplication  *self,
                 const char     *input,
                 const char     *output,
                 GError        **error)
{
  EsAudioPipewire *audio = ES_AUDIO_PIPEWIRE (self->call_audio);

  if (g_strcmp0 (device_or_default (input), es_audio_pipewire_get_input_name (audio)) != 0 &&
      !es_audio_pipewire_set_device (audio, ES_AUDIO_DIRECTION_INPUT, device_or_default (input),
                                     error))
    return FALSE;
  return g_strcmp0 (device_or_default (output), es_audio_pipewire_get_output_name (audio)) == 0 ||
         es_audio_pipewire_set_device (audio, ES_AUDIO_DIRECTION_OUTPUT,
                                       device_or_default (output), error);
}

gboolean
es_application_choose_audio (EsApplication *self,
                             const char    *input,
                             const char    *output,
                             GError       **error)
{
  g_return_val_if_fail (ES_IS_APPLICATION (self), FALSE);

  if (self->call_audio != NULL && !move_call_audio (self, input, output, error))
    return FALSE;
  /* Remembered: the headset chosen now is the one people expect next time. */
  g_settings_set_string (self->settings, "audio-input", input != NULL ? input : "");
  g_settings_set_string (self->settings, "audio-output", output != NULL ? output : "");
  return TRUE;
}

EsAudioDeviceMonitor *
es_application_get_device_monitor (EsApplication *self,
                                   GError       **error)
{
  g_return_val_if_fail (ES_IS_APPLICATION (self), NULL);

  if (self->devices == NULL)
    self->devices = es_audio_device_monitor_new (error);
  return self->devices;
}

static void
show_error (EsApplication *self,
            const char    *heading,
            const char    *body)
{
  GtkWindow *window = es_application_present_window (self);

  es_window_show_error (ES_WINDOW (window), heading, body);
}

void
es_application_place_call (EsApplication *self,
                           const char    *fingerprint)
{
  g_autoptr(EsAudioBackend) audio = NULL;
  g_autoptr(EsCall) call = NULL;
  g_autoptr(GError) error = NULL;

  g_return_if_fail (ES_IS_APPLICATION (self));

  if (self->current_call != NULL)
    {
      show_error (self, _("Already in a Call"), _("Hang up first to call someone else."));
      return;
    }
  if (self->engine == NULL || self->status != ES_APP_STATUS_ONLINE)
    {
      show_error (self, _("Not Connected"), self->status_detail);
      return;
    }
  audio = open_chosen_audio (self, &error);
  if (audio != NULL)
    call = es_engine_place_call (self->engine, fingerprint, audio, &error);
  if (call == NULL)
    {
      show_error (self, _("Cannot Call"), error->message);
      return;
    }
  follow_call (self, call);
  set_call_audio (self, audio);
  set_current_call (self, call);
  es_application_present_window (self);
}

void
es_application_answer (EsApplication *self,
                       EsCall        *call)
{
  g_autoptr(EsAudioBackend) audio = NULL;
  g_autoptr(GError) error = NULL;

  g_return_if_fail (ES_IS_APPLICATION (self));

  if (call == NULL || es_call_get_state (call) != ES_CALL_STATE_RINGING ||
      es_call_is_outgoing (call))
    return;
  audio = open_chosen_audio (self, &error);
  if (audio == NULL)
    {
      es_call_decline (call);
      show_error (self, _("Cannot Answer"), error->message);
      return;
    }
  es_call_set_audio (call, audio);
  set_call_audio (self, audio);
  if (call == self->ringing_call)
    g_clear_object (&self->ringing_call);
  set_current_call (self, call);
  es_call_answer (call);
  es_application_present_window (self);
}

/* ---- Engine life ---------------------------------------------------------------- */

static void
update_hold (EsApplication *self)
{
  gboolean want = self->engine != NULL &&
                  g_settings_get_boolean (self->settings, "run-in-background");

  if (want && !self->held)
    g_application_hold (G_APPLICATION (self));
  else if (!want && self->held)
    g_application_release (G_APPLICATION (self));
  self->held = want;
}

GStrv
es_application_dup_relays (EsApplication *self)
{
  const char *from_env = g_getenv ("EARSHOT_RELAY");

  if (self->relay_options != NULL && self->relay_options[0] != NULL)
    return g_strdupv (self->relay_options);
  if (from_env != NULL && from_env[0] != '\0')
    return g_strsplit (from_env, ",", -1);
  return g_settings_get_strv (self->settings, "relays");
}

gboolean
es_application_relays_overridden (EsApplication *self)
{
  const char *from_env = g_getenv ("EARSHOT_RELAY");

  return (self->relay_options != NULL && self->relay_options[0] != NULL) ||
         (from_env != NULL && from_env[0] != '\0');
}

static gboolean
add_relays (EsApplication *self,
            EsEngine      *engine,
            GError       **error)
{
  g_auto(GStrv) relays = es_application_dup_relays (self);
  guint added = 0;

  for (guint i = 0; relays[i] != NULL; i++)
    {
      g_autoptr(EsRelaySpec) spec = NULL;
      g_autoptr(GError) local_error = NULL;
      g_autofree char *text = g_strstrip (g_strdup (relays[i]));

      if (text[0] == '\0')
        continue;
      spec = es_relay_spec_parse (text, &local_error);
      if (spec == NULL)
        {
          g_set_error (error, ES_ERROR, ES_ERROR_INVALID_ARGUMENT,
                       _("The relay “%s” is not valid: %s"), text, local_error->message);
          return FALSE;
        }
      es_engine_add_relay (engine, spec);
      added++;
    }
  if (added == 0)
    {
      g_set_error_literal (error, ES_ERROR, ES_ERROR_NOT_FOUND,
                           _("No relay is set. Add one in Preferences to make and take calls."));
      return FALSE;
    }
  return TRUE;
}

/* EARSHOT_STUN, else the settings; numeric HOST:PORT (DESIGN §8). */
static gboolean
add_stun_servers (EsApplication *self,
                  EsEngine      *engine,
                  GError       **error)
{
  const char *from_env = g_getenv ("EARSHOT_STUN");
  g_auto(GStrv) servers = from_env != NULL && from_env[0] != '\0'
                            ? g_strsplit (from_env, ",", -1)
                            : g_settings_get_strv (self->settings, "stun-servers");

  for (guint i = 0; servers[i] != NULL; i++)
    {
      g_autoptr(GInetSocketAddress) server = NULL;
      g_autoptr(GError) local_error = NULL;

      server = es_address_parse (servers[i], &local_error);
      if (server == NULL)
        {
          g_set_error (error, ES_ERROR, ES_ERROR_INVALID_ARGUMENT,
                       _("The STUN server “%s” is not valid: %s"), servers[i],
                       local_error->message);
          return FALSE;
        }
      es_engine_add_stun_server (engine, server);
    }
  return TRUE;
}

static void
stop_engine (EsApplication *self)
{
  EsSignalChannel *channel;

  if (self->engine == NULL)
    return;
  channel = es_engine_get_signal_channel (self->engine);
  if (channel != NULL)
    g_signal_handlers_disconnect_by_data (channel, self);
  es_engine_stop (self->engine);
  g_signal_handlers_disconnect_by_data (self->engine, self);
  g_clear_object (&self->ringing_call);
  set_current_call (self, NULL);
  g_clear_object (&self->engine);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ENGINE]);
}

static void
start_engine (EsApplication *self)
{
  EsIdentity *identity = es_identity_store_get_identity (self->identity_store);
  g_autoptr(EsEngine) engine = NULL;
  g_autoptr(GError) error = NULL;

  stop_engine (self);
  if (identity == NULL)
    return;

  engine = es_engine_new (identity);
  if (!add_relays (self, engine, &error))
    {
      set_status (self, g_error_matches (error, ES_ERROR, ES_ERROR_NOT_FOUND)
                          ? ES_APP_STATUS_NO_RELAY : ES_APP_STATUS_FAILED, error->message);
      return;
    }
  if (!add_stun_servers (self, engine, &error))
    {
      set_status (self, ES_APP_STATUS_FAILED, error->message);
      return;
    }
  es_engine_set_privacy (engine, g_settings_get_boolean (self->settings, "privacy-mode"));
  g_signal_connect (engine, "call-added", G_CALLBACK (on_call_added), self);
  g_signal_connect (engine, "incoming-call", G_CALLBACK (on_incoming_call), self);
  g_signal_connect (engine, "notice", G_CALLBACK (on_engine_notice), self);
  g_signal_connect (engine, "refused", G_CALLBACK (on_engine_refused), self);
  if (!es_engine_start (engine, &error))
    {
      g_autofree char *detail = g_strdup_printf (_("Calls cannot start: %s"), error->message);

      g_signal_handlers_disconnect_by_data (engine, self);
      set_status (self, ES_APP_STATUS_FAILED, detail);
      return;
    }
  self->engine = g_steal_pointer (&engine);
  g_signal_connect (es_engine_get_signal_channel (self->engine), "state-changed",
                    G_CALLBACK (on_channel_state_changed), self);
  on_channel_state_changed (es_engine_get_signal_channel (self->engine), self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ENGINE]);
  update_hold (self);
}

static void
load_identity (EsApplication *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EsIdentity) identity = NULL;

  if (!es_identity_store_exists (self->identity_store))
    {
      set_status (self, ES_APP_STATUS_NO_IDENTITY, NULL);
      return;
    }
  identity = es_identity_store_load (self->identity_store, NULL, &error);
  if (identity != NULL)
    {
      start_engine (self);
      return;
    }
  if (g_error_matches (error, ES_ERROR, ES_ERROR_PASSPHRASE_REQUIRED))
    set_status (self, ES_APP_STATUS_LOCKED, NULL);
  else
    /* A damaged identity is never replaced by a new one: an identity lost
     * is an address lost. */
    set_status (self, ES_APP_STATUS_FAILED, error->message);
}

gboolean
es_application_unlock (EsApplication *self,
                       const char    *passphrase,
                       GError       **error)
{
  g_autoptr(EsIdentity) identity = NULL;

  g_return_val_if_fail (ES_IS_APPLICATION (self), FALSE);

  identity = es_identity_store_load (self->identity_store, passphrase, error);
  if (identity == NULL)
    return FALSE;
  start_engine (self);
  return TRUE;
}

gboolean
es_application_set_identity (EsApplication *self,
                             EsIdentity    *identity,
                             GError       **error)
{
  g_return_val_if_fail (ES_IS_APPLICATION (self), FALSE);

  if (!es_identity_store_save (self->identity_store, identity, NULL,
                               ES_IDENTITY_STORE_SAVE_NONE, error))
    return FALSE;
  start_engine (self);
  return TRUE;
}

static void
open_contacts (EsApplication *self)
{
  g_autoptr(GError) error = NULL;

  self->contacts = es_contact_store_new_default ();
  if (!es_contact_store_open (self->contacts, &error))
    {
      /* Calls still work; the window says why contacts and history do not. */
      g_warning ("%s", error->message);
      self->contacts_error = g_strdup (error->message);
      g_clear_object (&self->contacts);
    }
}

/* ---- Actions ---------------------------------------------------------------------- */

static EsCall *
find_call (EsApplication *self,
           const char    *call_id)
{
  GListModel *calls = self->engine != NULL ? es_engine_get_calls (self->engine) : NULL;
  guint n = calls != NULL ? g_list_model_get_n_items (calls) : 0;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(EsCall) call = g_list_model_get_item (calls, i);

      if (g_strcmp0 (es_call_get_id (call), call_id) == 0)
        return call;
    }
  return NULL;
}

/* "" means the call the shortcut is about: the ringing one for answer and
 * decline, the one on screen (else the ringing one) for hang-up. */
static EsCall *
call_for_target (EsApplication *self,
                 GVariant      *parameter,
                 gboolean       prefer_current)
{
  const char *call_id = g_variant_get_string (parameter, NULL);

  if (call_id[0] != '\0')
    return find_call (self, call_id);
  if (prefer_current && self->current_call != NULL)
    return self->current_call;
  return self->ringing_call;
}

static void
answer_activated (GSimpleAction *action,
                  GVariant      *parameter,
                  gpointer       data)
{
  EsApplication *self = data;

  es_application_answer (self, call_for_target (self, parameter, FALSE));
}

static void
decline_activated (GSimpleAction *action,
                   GVariant      *parameter,
                   gpointer       data)
{
  EsApplication *self = data;
  EsCall *call = call_for_target (self, parameter, FALSE);

  if (call != NULL && !es_call_is_outgoing (call))
    es_call_decline (call);
}

static void
hangup_activated (GSimpleAction *action,
                  GVariant      *parameter,
                  gpointer       data)
{
  EsApplication *self = data;
  EsCall *call = call_for_target (self, parameter, TRUE);

  if (call != NULL)
    es_call_hangup (call);
}

static void
call_activated (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       data)
{
  EsApplication *self = data;
  g_autofree char *fingerprint = NULL;
  g_autoptr(GError) error = NULL;

  if (!es_earshot_uri_parse (g_variant_get_string (parameter, NULL), &fingerprint, NULL, &error))
    {
      show_error (self, _("Cannot Call"), error->message);
      return;
    }
  es_application_place_call (self, fingerprint);
}

static void
mute_changed (GSimpleAction *action,
              GVariant      *state,
              gpointer       data)
{
  EsApplication *self = data;

  g_simple_action_set_state (action, state);
  if (self->current_call != NULL)
    es_call_set_muted (self->current_call, g_variant_get_boolean (state));
}

static void
show_activated (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       data)
{
  es_application_present_window (data);
}

static void
new_call_activated (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       data)
{
  EsApplication *self = data;
  GtkWindow *window = es_application_present_window (self);

  es_dialer_present (window, self, NULL, NULL);
}

static void
preferences_activated (GSimpleAction *action,
                       GVariant      *parameter,
                       gpointer       data)
{
  EsApplication *self = data;
  GtkWindow *window = es_application_present_window (self);

  gtk_window_present (GTK_WINDOW (es_preferences_window_new (self, window)));
}

static void
diagnostics_activated (GSimpleAction *action,
                       GVariant      *parameter,
                       gpointer       data)
{
  EsApplication *self = data;
  GtkWindow *window = es_application_present_window (self);

  gtk_window_present (GTK_WINDOW (es_diagnostics_window_new (self, window)));
}

static void
about_activated (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       data)
{
  EsApplication *self = data;
  const char *developers[] = { _("The Earshot developers"), NULL };
  GtkWindow *window = es_application_present_window (self);

  adw_show_about_window (window,
                         "application-name", _("Earshot"),
                         "application-icon", APPLICATION_ID,
                         "version", PACKAGE_VERSION,
                         "comments", _("Private voice calls from your computer to theirs"),
                         "website", "https://github.com/earshot/earshot",
                         "issue-url", "https://github.com/earshot/earshot/issues",
                         "developers", developers,
                         "copyright", "© 2024 The Earshot developers",
                         "license-type", GTK_LICENSE_GPL_3_0,
                         "translator-credits", _("translator-credits"),
                         NULL);
}

static void
quit_activated (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       data)
{
  EsApplication *self = data;

  /* Hang up and leave the relay before the windows go. */
  stop_engine (self);
  update_hold (self);
  g_application_quit (G_APPLICATION (self));
}

/* Logging out or a service manager ends the app with SIGTERM: a call in
 * progress is hung up and the relay left, as with Quit, so the other side
 * hears "hangup" rather than waiting for a lost peer. */
static gboolean
on_terminate_signal (gpointer data)
{
  g_action_group_activate_action (G_ACTION_GROUP (data), "quit", NULL);
  return G_SOURCE_CONTINUE;
}

static void
watch_terminate_signals (EsApplication *self)
{
  self->terminate_sources[0] = g_unix_signal_add (SIGTERM, on_terminate_signal, self);
  self->terminate_sources[1] = g_unix_signal_add (SIGINT, on_terminate_signal, self);
}

static const GActionEntry app_actions[] = {
  { "answer", answer_activated, "s" },
  { "decline", decline_activated, "s" },
  { "hangup", hangup_activated, "s" },
  { "call", call_activated, "s" },
  { "mute", NULL, NULL, "false", mute_changed },
  { "show", show_activated },
  { "new-call", new_call_activated },
  { "preferences", preferences_activated },
  { "diagnostics", diagnostics_activated },
  { "about", about_activated },
  { "quit", quit_activated },
};

static void
set_accels (EsApplication *self)
{
  static const struct { const char *action; const char *accels[3]; } accels[] = {
    /* The keys Signal Desktop uses, which people already know. */
    { "app.answer('')", { "<Control><Shift>a", NULL } },
    { "app.decline('')", { "<Control><Shift>d", NULL } },
    { "app.hangup('')", { "<Control><Shift>e", NULL } },
    { "app.mute", { "<Control><Shift>m", NULL } },
    { "app.new-call", { "<Control>n", NULL } },
    { "app.preferences", { "<Control>comma", NULL } },
    { "app.quit", { "<Control>q", NULL } },
    { "win.add-contact", { "<Control><Shift>n", NULL } },
    { "win.search", { "<Control>f", NULL } },
    { "window.close", { "<Control>w", NULL } },
  };

  for (guint i = 0; i < G_N_ELEMENTS (accels); i++)
    gtk_application_set_accels_for_action (GTK_APPLICATION (self), accels[i].action,
                                           accels[i].accels);
}

static void
on_network_settings_changed (GSettings     *settings,
                             const char    *key,
                             EsApplication *self)
{
  self->restart_pending = TRUE;
  restart_when_idle (self);
}

static void
on_run_in_background_changed (GSettings     *settings,
                              const char    *key,
                              EsApplication *self)
{
  update_hold (self);
}

/* ---- GApplication ------------------------------------------------------------------ */

GtkWindow *
es_application_present_window (EsApplication *self)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (window == NULL)
    window = GTK_WINDOW (es_window_new (self));
  gtk_window_present (window);
  return window;
}

static void
es_application_activate (GApplication *application)
{
  EsApplication *self = ES_APPLICATION (application);

  /* Started at login: stay in the tray until someone calls or clicks. */
  if (self->start_hidden)
    {
      self->start_hidden = FALSE;
      if (self->held)
        return;
    }
  es_application_present_window (self);
}

static void
es_application_open (GApplication  *application,
                     GFile        **files,
                     int            n_files,
                     const char    *hint)
{
  EsApplication *self = ES_APPLICATION (application);

  for (int i = 0; i < n_files; i++)
    {
      g_autofree char *uri = g_file_get_uri (files[i]);
      g_autofree char *fingerprint = NULL;
      g_autofree char *name = NULL;
      g_autoptr(GError) error = NULL;
      GtkWindow *window = es_application_present_window (self);

      if (!es_earshot_uri_parse (uri, &fingerprint, &name, &error))
        es_window_show_error (ES_WINDOW (window), _("Cannot Open Link"), error->message);
      else
        es_dialer_present (window, self, fingerprint, name);
    }
}

static int
es_application_handle_local_options (GApplication *application,
                                     GVariantDict *options)
{
  EsApplication *self = ES_APPLICATION (application);
  g_autoptr(GError) error = NULL;

  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("earshot %s\n", PACKAGE_VERSION);
      return 0;
    }
  g_variant_dict_lookup (options, "relay", "^as", &self->relay_options);
  self->start_hidden = g_variant_dict_contains (options, "background");
  for (guint i = 0; self->relay_options != NULL && self->relay_options[i] != NULL; i++)
    {
      g_autoptr(EsRelaySpec) spec = es_relay_spec_parse (self->relay_options[i], &error);

      if (spec == NULL)
        {
          g_printerr ("earshot: --relay %s: %s\n", self->relay_options[i], error->message);
          return 2;
        }
    }

  if (!g_application_register (application, NULL, &error))
    {
      g_printerr ("earshot: %s\n", error->message);
      return 1;
    }
  /* A second start at login, or with options for the running instance:
   * the running one already does the work. */
  if (g_application_get_is_remote (application) && (self->start_hidden || self->relay_options))
    {
      if (self->relay_options != NULL)
        g_printerr ("earshot: already running; --relay applies when it starts\n");
      return self->start_hidden ? 0 : -1;
    }
  return -1;
}

static void
es_application_startup (GApplication *application)
{
  EsApplication *self = ES_APPLICATION (application);
  g_autoptr(GAction) do_not_disturb = NULL;

  G_APPLICATION_CLASS (es_application_parent_class)->startup (application);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions, G_N_ELEMENTS (app_actions),
                                   self);

  do_not_disturb = g_settings_create_action (self->settings, "do-not-disturb");
  g_action_map_add_action (G_ACTION_MAP (self), do_not_disturb);
  set_accels (self);
  gtk_window_set_default_icon_name (APPLICATION_ID);

  self->identity_store = es_identity_store_new_default ();
  open_contacts (self);
  self->notifier = es_call_notifier_new (self);
  self->tray = es_tray_item_new (self);
  self->autostart = es_autostart_new (self);
  g_signal_connect (self->settings, "changed::run-in-background",
                    G_CALLBACK (on_run_in_background_changed), self);
  g_signal_connect (self->settings, "changed::relays",
                    G_CALLBACK (on_network_settings_changed), self);
  g_signal_connect (self->settings, "changed::stun-servers",
                    G_CALLBACK (on_network_settings_changed), self);
  g_signal_connect (self->settings, "changed::privacy-mode",
                    G_CALLBACK (on_network_settings_changed), self);
  load_identity (self);
  watch_terminate_signals (self);
}

static void
es_application_shutdown (GApplication *application)
{
  EsApplication *self = ES_APPLICATION (application);

  for (guint i = 0; i < G_N_ELEMENTS (self->terminate_sources); i++)
    g_clear_handle_id (&self->terminate_sources[i], g_source_remove);
  stop_engine (self);
  g_clear_object (&self->tray);
  g_clear_object (&self->notifier);
  g_clear_object (&self->autostart);

  G_APPLICATION_CLASS (es_application_parent_class)->shutdown (application);
}

/* ---- GObject ---------------------------------------------------------------------- */

static void
es_application_finalize (GObject *object)
{
  EsApplication *self = ES_APPLICATION (object);

  g_clear_object (&self->settings);
  g_clear_object (&self->identity_store);
  g_clear_object (&self->contacts);
  g_clear_object (&self->current_call);
  g_clear_object (&self->call_audio);
  g_clear_object (&self->ringing_call);
  g_clear_object (&self->devices);
  g_strfreev (self->relay_options);
  g_free (self->status_detail);
  g_free (self->contacts_error);

  G_OBJECT_CLASS (es_application_parent_class)->finalize (object);
}

static void
es_application_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  EsApplication *self = ES_APPLICATION (object);

  switch (prop_id)
    {
    case PROP_ENGINE:
      g_value_set_object (value, self->engine);
      break;
    case PROP_STATUS:
      g_value_set_enum (value, self->status);
      break;
    case PROP_STATUS_DETAIL:
      g_value_set_string (value, self->status_detail);
      break;
    case PROP_CURRENT_CALL:
      g_value_set_object (value, self->current_call);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
es_application_class_init (EsApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);
  GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = es_application_finalize;
  object_class->get_property = es_application_get_property;
  app_class->startup = es_application_startup;
  app_class->shutdown = es_application_shutdown;
  app_class->activate = es_application_activate;
  app_class->open = es_application_open;
  app_class->handle_local_options = es_application_handle_local_options;

  properties[PROP_ENGINE] = g_param_spec_object ("engine", NULL, NULL, ES_TYPE_ENGINE, flags);
  properties[PROP_STATUS] = g_param_spec_enum ("status", NULL, NULL, ES_TYPE_APP_STATUS,
                                               ES_APP_STATUS_NO_IDENTITY, flags);
  properties[PROP_STATUS_DETAIL] = g_param_spec_string ("status-detail", NULL, NULL, NULL, flags);
  properties[PROP_CURRENT_CALL] = g_param_spec_object ("current-call", NULL, NULL, ES_TYPE_CALL,
                                                       flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[INCOMING_CALL] =
    g_signal_new ("incoming-call", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, ES_TYPE_CALL);
}

static void
es_application_init (EsApplication *self)
{
  const GOptionEntry options[] = {
    { "relay", 'r', 0, G_OPTION_ARG_STRING_ARRAY, NULL,
      N_("Use this relay (repeatable; the first is the home relay)"), "HOST:PORT#FINGERPRINT" },
    { "background", 0, 0, G_OPTION_ARG_NONE, NULL,
      N_("Start without a window, as at login"), NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Print the version and exit"), NULL },
    { NULL }
  };

  self->settings = g_settings_new (APPLICATION_ID);
  g_application_add_main_option_entries (G_APPLICATION (self), options);
  g_application_set_option_context_parameter_string (G_APPLICATION (self), _("[EARSHOT-LINK…]"));
}

EsApplication *
es_application_new (void)
{
  return g_object_new (ES_TYPE_APPLICATION,
                       "application-id", APPLICATION_ID,
                       "flags", G_APPLICATION_HANDLES_OPEN,
                       "resource-base-path", "/io/github/earshot/Earshot",
                       NULL);
}

/* ---- Accessors --------------------------------------------------------------------- */

GSettings *
es_application_get_settings (EsApplication *self)
{
  return self->settings;
}

EsIdentityStore *
es_application_get_identity_store (EsApplication *self)
{
  return self->identity_store;
}

EsContactStore *
es_application_get_contacts (EsApplication *self)
{
  return self->contacts;
}

const char *
es_application_get_contacts_error (EsApplication *self)
{
  return self->contacts_error;
}

EsEngine *
es_application_get_engine (EsApplication *self)
{
  return self->engine;
}

EsAppStatus
es_application_get_status (EsApplication *self)
{
  return self->status;
}

const char *
es_application_get_status_detail (EsApplication *self)
{
  return self->status_detail;
}

EsCall *
es_application_get_current_call (EsApplication *self)
{
  return self->current_call;
}

EsCall *
es_application_get_ringing_call (EsApplication *self)
{
  return self->ringing_call;
}

const char *
es_application_lookup_name (EsApplication *self,
                            const char    *fingerprint)
{
  EsContact *contact = self->contacts != NULL ? es_contact_store_lookup (self->contacts, fingerprint)
                                              : NULL;

  return contact != NULL ? es_contact_get_name (contact) : NULL;
}
