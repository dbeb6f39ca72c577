/* es-call-notifier.c
 *
 * A call rings as a sheet over the window when the window has the focus,
 * and otherwise as an urgent notification whose buttons answer or decline
 * it through the app's actions, so that it reaches someone whose window is
 * closed or behind others (element-web#32042). The notification goes away
 * the moment the call stops ringing, and a call nobody answered leaves a
 * "missed call" notification behind.
 *
 * It also plays the sounds of a call, since the notification portal plays
 * none: the ring tone (on the system's default speaker, where it is heard
 * across the room), and the ring-back, connected and ended sounds of the
 * call on screen (on the call's own speaker).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsCallNotifier"

#include "config.h"

#include "es-call-notifier.h"

#include <glib/gi18n.h>

#include "es-incoming-call-dialog.h"
#include "es-tone-player.h"
#include "es-window.h"

struct _EsCallNotifier
{
  GObject parent_instance;

  GApplication *application;     /* unowned: the application owns us */
  EsCall *ringing;
  GtkWindow *watched_window;
  EsIncomingCallDialog *sheet;
  gboolean notified;
  EsTonePlayer *ringer;
  EsTonePlayer *call_sounds;
  char *call_sounds_output;      /* the speaker call_sounds plays on */
  EsCall *sounding;              /* the call on screen whose sounds play */
};

G_DEFINE_FINAL_TYPE (EsCallNotifier, es_call_notifier, G_TYPE_OBJECT)

static char *
notification_id (EsCall     *call,
                 const char *what)
{
  return g_strdup_printf ("%s-%s", what, es_call_get_id (call));
}

static char *
caller_name (EsCallNotifier *self,
             EsCall         *call)
{
  const char *name = es_application_lookup_name (ES_APPLICATION (self->application),
                                                 es_call_get_peer (call));

  return g_strdup (name != NULL ? name : es_call_get_peer (call));
}

static void
send_ringing_notification (EsCallNotifier *self,
                           EsCall         *call)
{
  g_autoptr(GNotification) notification = NULL;
  g_autoptr(GIcon) icon = g_themed_icon_new ("call-incoming-symbolic");
  g_autofree char *name = caller_name (self, call);
  g_autofree char *title = g_strdup_printf (_("%s is calling"), name);
  g_autofree char *id = notification_id (call, "ringing");

  notification = g_notification_new (title);
  g_notification_set_body (notification, _("Incoming Earshot call"));
  g_notification_set_icon (notification, icon);
  g_notification_set_priority (notification, G_NOTIFICATION_PRIORITY_URGENT);
  g_notification_set_category (notification, "call.incoming");
  g_notification_set_default_action (notification, "app.show");
  g_notification_add_button_with_target (notification, _("Decline"), "app.decline", "s",
                                         es_call_get_id (call));
  g_notification_add_button_with_target (notification, _("Answer"), "app.answer", "s",
                                         es_call_get_id (call));
  g_application_send_notification (self->application, id, notification);
  self->notified = TRUE;
}

static void
send_missed_notification (EsCallNotifier *self,
                          EsCall         *call)
{
  g_autoptr(GNotification) notification = NULL;
  g_autofree char *name = caller_name (self, call);
  g_autofree char *title = g_strdup_printf (_("Missed call from %s"), name);
  g_autofree char *id = notification_id (call, "missed");

  notification = g_notification_new (title);
  g_notification_set_category (notification, "call.unanswered");
  g_notification_set_default_action (notification, "app.show");
  g_notification_add_button_with_target (notification, _("Call Back"), "app.call", "s",
                                         es_call_get_peer (call));
  g_application_send_notification (self->application, id, notification);
}

static void
show_sheet (EsCallNotifier *self,
            GtkWindow      *window)
{
  if (self->sheet != NULL)
    return;
  self->sheet = es_incoming_call_dialog_new (ES_APPLICATION (self->application), self->ringing,
                                             window);
  g_object_add_weak_pointer (G_OBJECT (self->sheet), (gpointer *) &self->sheet);
  gtk_window_present (GTK_WINDOW (self->sheet));
}

static void stop_watching_window (EsCallNotifier *self);

/* The window came to the front while the call rings: the sheet takes over. */
static void
on_window_active (GtkWindow      *window,
                  GParamSpec     *pspec,
                  EsCallNotifier *self)
{
  if (self->ringing != NULL && gtk_window_is_active (window))
    show_sheet (self, window);
}

static void
watch_window (EsCallNotifier *self,
              GtkWindow      *window)
{
  stop_watching_window (self);
  if (window == NULL)
    return;
  self->watched_window = window;
  g_object_add_weak_pointer (G_OBJECT (window), (gpointer *) &self->watched_window);
  g_signal_connect (window, "notify::is-active", G_CALLBACK (on_window_active), self);
}

static void
stop_watching_window (EsCallNotifier *self)
{
  if (self->watched_window == NULL)
    return;
  g_signal_handlers_disconnect_by_data (self->watched_window, self);
  g_object_remove_weak_pointer (G_OBJECT (self->watched_window),
                                (gpointer *) &self->watched_window);
  self->watched_window = NULL;
}

/* ---- Sounds ------------------------------------------------------------------ */

static void
play (EsTonePlayer *player,
      EsTone        tone)
{
  g_autoptr(GError) error = NULL;

  if (player != NULL && !es_tone_player_play (player, tone, &error))
    g_warning ("cannot play a call sound: %s", error->message);
}

static void
start_ring_tone (EsCallNotifier *self)
{
  GSettings *settings = es_application_get_settings (ES_APPLICATION (self->application));
  g_autoptr(GError) error = NULL;

  if (!g_settings_get_boolean (settings, "ring-tone"))
    return;
  if (self->ringer == NULL)
    self->ringer = es_tone_player_new (NULL, &error);
  if (self->ringer == NULL)
    {
      g_warning ("the call rings without a sound: %s", error->message);
      return;
    }
  play (self->ringer, ES_TONE_RING);
}

/* The call's sounds go where its audio goes; a new choice of speaker makes
 * a new player. */
static EsTonePlayer *
call_sounds (EsCallNotifier *self)
{
  GSettings *settings = es_application_get_settings (ES_APPLICATION (self->application));
  g_autofree char *output = g_settings_get_string (settings, "audio-output");
  g_autoptr(GError) error = NULL;

  if (self->call_sounds != NULL && g_strcmp0 (output, self->call_sounds_output) == 0)
    return self->call_sounds;
  g_clear_object (&self->call_sounds);
  g_free (self->call_sounds_output);
  self->call_sounds_output = g_strdup (output);
  self->call_sounds = es_tone_player_new (output[0] != '\0' ? output : NULL, &error);
  if (self->call_sounds == NULL)
    g_warning ("no call sounds: %s", error->message);
  return self->call_sounds;
}

static void
on_sounding_state_changed (EsCall         *call,
                           EsCallState     state,
                           EsCallState     old_state,
                           EsCallNotifier *self)
{
  switch (state)
    {
    case ES_CALL_STATE_RINGING:
      if (es_call_is_outgoing (call))
        play (call_sounds (self), ES_TONE_RINGBACK);
      break;
    case ES_CALL_STATE_CONNECTING:
      if (self->call_sounds != NULL)
        es_tone_player_stop (self->call_sounds);
      break;
    case ES_CALL_STATE_ACTIVE:
      play (call_sounds (self), ES_TONE_CONNECTED);
      break;
    case ES_CALL_STATE_ENDED:
      play (call_sounds (self), ES_TONE_ENDED);
      g_signal_handlers_disconnect_by_data (call, self);
      g_clear_object (&self->sounding);
      break;
    case ES_CALL_STATE_DIALING:
    default:
      break;
    }
}

static void
on_current_call_changed (EsApplication  *application,
                         GParamSpec     *pspec,
                         EsCallNotifier *self)
{
  EsCall *call = es_application_get_current_call (application);

  if (call == NULL || call == self->sounding)
    return;
  if (self->sounding != NULL)
    g_signal_handlers_disconnect_by_data (self->sounding, self);
  g_set_object (&self->sounding, call);
  g_signal_connect (call, "state-changed", G_CALLBACK (on_sounding_state_changed), self);
}

/* ---- Ringing ------------------------------------------------------------------ */

static void
stop_ringing (EsCallNotifier *self)
{
  g_autofree char *id = NULL;

  if (self->ringing == NULL)
    return;
  g_signal_handlers_disconnect_by_data (self->ringing, self);
  if (self->notified)
    {
      id = notification_id (self->ringing, "ringing");
      g_application_withdraw_notification (self->application, id);
    }
  self->notified = FALSE;
  if (self->ringer != NULL)
    es_tone_player_stop (self->ringer);
  stop_watching_window (self);
  g_clear_object (&self->ringing);
}

static void
on_call_state_changed (EsCall         *call,
                       EsCallState     state,
                       EsCallState     old_state,
                       EsCallNotifier *self)
{
  EsCallEndReason reason = es_call_get_end_reason (call);

  if (state == ES_CALL_STATE_RINGING)
    return;
  g_object_ref (call);
  stop_ringing (self);
  if (state == ES_CALL_STATE_ENDED &&
      (reason == ES_CALL_END_CANCELLED || reason == ES_CALL_END_TIMEOUT))
    send_missed_notification (self, call);
  g_object_unref (call);
}

static void
on_incoming_call (EsApplication  *application,
                  EsCall         *call,
                  EsCallNotifier *self)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (application));

  stop_ringing (self);
  self->ringing = g_object_ref (call);
  g_signal_connect (call, "state-changed", G_CALLBACK (on_call_state_changed), self);
  watch_window (self, window);
  start_ring_tone (self);
  if (window != NULL && gtk_window_is_active (window) && gtk_widget_get_visible (GTK_WIDGET (window)))
    show_sheet (self, window);
  else
    send_ringing_notification (self, call);
}

/* A window made while the call rings (from the tray, or the notification's
 * own click) gets the sheet too. */
static void
on_window_added (GtkApplication *application,
                 GtkWindow      *window,
                 EsCallNotifier *self)
{
  if (self->ringing != NULL && ES_IS_WINDOW (window))
    watch_window (self, window);
}

static void
es_call_notifier_dispose (GObject *object)
{
  EsCallNotifier *self = ES_CALL_NOTIFIER (object);

  stop_ringing (self);
  if (self->sounding != NULL)
    g_signal_handlers_disconnect_by_data (self->sounding, self);
  g_clear_object (&self->sounding);
  g_clear_object (&self->ringer);
  g_clear_object (&self->call_sounds);
  g_clear_pointer (&self->call_sounds_output, g_free);
  if (self->sheet != NULL)
    g_object_remove_weak_pointer (G_OBJECT (self->sheet), (gpointer *) &self->sheet);
  self->sheet = NULL;
  if (self->application != NULL)
    g_signal_handlers_disconnect_by_data (self->application, self);
  self->application = NULL;

  G_OBJECT_CLASS (es_call_notifier_parent_class)->dispose (object);
}

static void
es_call_notifier_class_init (EsCallNotifierClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = es_call_notifier_dispose;
}

static void
es_call_notifier_init (EsCallNotifier *self)
{
}

EsCallNotifier *
es_call_notifier_new (EsApplication *application)
{
  EsCallNotifier *self = g_object_new (ES_TYPE_CALL_NOTIFIER, NULL);

  self->application = G_APPLICATION (application);
  g_signal_connect (application, "incoming-call", G_CALLBACK (on_incoming_call), self);
  g_signal_connect (application, "window-added", G_CALLBACK (on_window_added), self);
  g_signal_connect (application, "notify::current-call", G_CALLBACK (on_current_call_changed),
                    self);
  return self;
}
