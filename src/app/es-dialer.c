/* es-dialer.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsDialer"

#include "config.h"

#include "es-dialer.h"

#include <glib/gi18n.h>

#include "es-contact-editor.h"
#include "es-earshot-uri.h"

struct _EsDialer
{
  AdwMessageDialog parent_instance;

  EsApplication *application;
  char *link_name;               /* the name an opened link carried */
  AdwEntryRow *address_row;
  GtkLabel *error_label;
};

G_DEFINE_FINAL_TYPE (EsDialer, es_dialer, ADW_TYPE_MESSAGE_DIALOG)

/* The address typed so far, checked; NULL (and the reason shown) if wrong. */
static char *
checked_address (EsDialer *self)
{
  g_autofree char *fingerprint = NULL;
  g_autoptr(GError) error = NULL;

  if (!es_earshot_uri_parse (gtk_editable_get_text (GTK_EDITABLE (self->address_row)),
                             &fingerprint, NULL, &error))
    {
      gtk_label_set_text (self->error_label, error->message);
      gtk_widget_set_visible (GTK_WIDGET (self->error_label), TRUE);
      return NULL;
    }
  return g_steal_pointer (&fingerprint);
}

static void
finish (EsDialer   *self,
        const char *response)
{
  g_autofree char *fingerprint = checked_address (self);
  GtkWindow *parent = gtk_window_get_transient_for (GTK_WINDOW (self));

  if (fingerprint == NULL)
    {
      /* Shown again with the reason; the response hid it. */
      gtk_window_present (GTK_WINDOW (self));
      return;
    }
  if (g_str_equal (response, "call"))
    es_application_place_call (self->application, fingerprint);
  else
    es_contact_editor_present_new (parent, self->application, fingerprint, self->link_name);
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
es_dialer_response (AdwMessageDialog *dialog,
                    const char       *response)
{
  EsDialer *self = ES_DIALER (dialog);

  if (g_str_equal (response, "call") || g_str_equal (response, "add"))
    finish (self, response);
  else
    gtk_window_destroy (GTK_WINDOW (self));
}

static void
on_address_activated (EsDialer *self)
{
  g_autofree char *fingerprint = checked_address (self);

  if (fingerprint == NULL)
    return;
  es_application_place_call (self->application, fingerprint);
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
on_address_changed (EsDialer *self)
{
  gboolean typed = gtk_editable_get_text (GTK_EDITABLE (self->address_row))[0] != '\0';

  gtk_widget_set_visible (GTK_WIDGET (self->error_label), FALSE);
  adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (self), "call", typed);
  adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (self), "add",
                                           typed && es_application_get_contacts (self->application)
                                                      != NULL);
}

static void
es_dialer_dispose (GObject *object)
{
  EsDialer *self = ES_DIALER (object);

  g_clear_object (&self->application);
  g_clear_pointer (&self->link_name, g_free);

  G_OBJECT_CLASS (es_dialer_parent_class)->dispose (object);
}

static void
es_dialer_class_init (EsDialerClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = es_dialer_dispose;
  ADW_MESSAGE_DIALOG_CLASS (klass)->response = es_dialer_response;
}

static void
es_dialer_init (EsDialer *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  GtkWidget *list = gtk_list_box_new ();

  gtk_window_set_hide_on_close (GTK_WINDOW (self), TRUE);
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (list, "boxed-list");
  self->address_row = ADW_ENTRY_ROW (adw_entry_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->address_row),
                                 _("Address or earshot: link"));
  gtk_list_box_append (GTK_LIST_BOX (list), GTK_WIDGET (self->address_row));
  self->error_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->error_label, TRUE);
  gtk_label_set_xalign (self->error_label, 0);
  gtk_widget_add_css_class (GTK_WIDGET (self->error_label), "error");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), FALSE);
  gtk_box_append (GTK_BOX (box), list);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->error_label));
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (self), box);

  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (self),
                                    "cancel", _("_Cancel"),
                                    "add", _("_Add to Contacts"),
                                    "call", _("C_all"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (self), "call",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (self), "call");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (self), "cancel");
  g_signal_connect_swapped (self->address_row, "changed", G_CALLBACK (on_address_changed), self);
  g_signal_connect_swapped (self->address_row, "entry-activated",
                            G_CALLBACK (on_address_activated), self);
}

void
es_dialer_present (GtkWindow     *parent,
                   EsApplication *application,
                   const char    *address,
                   const char    *name)
{
  EsDialer *self = g_object_new (ES_TYPE_DIALER,
                                 "transient-for", parent,
                                 "modal", TRUE,
                                 "heading", _("New Call"),
                                 NULL);
  g_autofree char *body = NULL;

  self->application = g_object_ref (application);
  self->link_name = g_strdup (name);
  if (name != NULL)
    body = g_strdup_printf (_("A link to “%s”. Call them, or add them to your contacts."), name);
  adw_message_dialog_set_body (ADW_MESSAGE_DIALOG (self),
                               body != NULL ? body
                                            : _("Enter the address of the person to call, or paste "
                                                "the earshot: link they shared."));
  gtk_editable_set_text (GTK_EDITABLE (self->address_row), address != NULL ? address : "");
  on_address_changed (self);
  gtk_window_present (GTK_WINDOW (self));
  gtk_widget_grab_focus (GTK_WIDGET (self->address_row));
}
