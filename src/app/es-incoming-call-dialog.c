/* es-incoming-call-dialog.c
 *
 * Escape or the window's close button only puts the sheet away: the call
 * keeps ringing (and the notification can still answer it), because a stray
 * key should not turn someone away.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsIncomingCallDialog"

#include "config.h"

#include "es-incoming-call-dialog.h"

#include <glib/gi18n.h>

struct _EsIncomingCallDialog
{
  AdwMessageDialog parent_instance;

  EsApplication *application;
  EsCall *call;
};

G_DEFINE_FINAL_TYPE (EsIncomingCallDialog, es_incoming_call_dialog, ADW_TYPE_MESSAGE_DIALOG)

static void
on_call_state_changed (EsCall               *call,
                       EsCallState           state,
                       EsCallState           old_state,
                       EsIncomingCallDialog *self)
{
  if (state != ES_CALL_STATE_RINGING)
    gtk_window_destroy (GTK_WINDOW (self));
}

static void
es_incoming_call_dialog_response (AdwMessageDialog *dialog,
                                  const char       *response)
{
  EsIncomingCallDialog *self = ES_INCOMING_CALL_DIALOG (dialog);

  if (g_str_equal (response, "answer"))
    es_application_answer (self->application, self->call);
  else if (g_str_equal (response, "decline"))
    es_call_decline (self->call);
}

static void
es_incoming_call_dialog_dispose (GObject *object)
{
  EsIncomingCallDialog *self = ES_INCOMING_CALL_DIALOG (object);

  if (self->call != NULL)
    g_signal_handlers_disconnect_by_data (self->call, self);
  g_clear_object (&self->call);
  g_clear_object (&self->application);

  G_OBJECT_CLASS (es_incoming_call_dialog_parent_class)->dispose (object);
}

static void
es_incoming_call_dialog_class_init (EsIncomingCallDialogClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = es_incoming_call_dialog_dispose;
  ADW_MESSAGE_DIALOG_CLASS (klass)->response = es_incoming_call_dialog_response;
}

static void
es_incoming_call_dialog_init (EsIncomingCallDialog *self)
{
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (self),
                                    "decline", _("_Decline"),
                                    "answer", _("_Answer"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (self), "decline",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (self), "answer",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (self), "answer");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (self), "put-away");
}

EsIncomingCallDialog *
es_incoming_call_dialog_new (EsApplication *application,
                             EsCall        *call,
                             GtkWindow     *parent)
{
  const char *name = es_application_lookup_name (application, es_call_get_peer (call));
  g_autofree char *heading = NULL;
  g_autofree char *body = NULL;
  EsIncomingCallDialog *self;

  if (name != NULL)
    {
      heading = g_strdup_printf (_("%s Is Calling"), name);
      body = g_strdup_printf (_("Address %s"), es_call_get_peer (call));
    }
  else
    {
      heading = g_strdup (_("Incoming Call"));
      body = g_strdup_printf (_("From the address %s, not in your contacts."),
                              es_call_get_peer (call));
    }
  self = g_object_new (ES_TYPE_INCOMING_CALL_DIALOG,
                       "transient-for", parent,
                       "modal", TRUE,
                       "heading", heading,
                       "body", body,
                       NULL);
  self->application = g_object_ref (application);
  self->call = g_object_ref (call);
  g_signal_connect (call, "state-changed", G_CALLBACK (on_call_state_changed), self);
  return self;
}

