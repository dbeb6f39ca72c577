/* es-contact-editor.c
 *
 * An address pasted under a name that already has another address is how
 * a changed key shows up (someone set up Earshot again, or someone is
 * pretending to be them): it is never silently merged. The user chooses,
 * and a replaced address carries the key-changed warning until safety
 * words are compared in a call.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsContactEditor"

#include "config.h"

#include "es-contact-editor.h"

#include <glib/gi18n.h>

#include "es-earshot-uri.h"

struct _EsContactEditor
{
  AdwMessageDialog parent_instance;

  EsApplication *application;
  EsContact *contact;            /* NULL when adding */
  AdwEntryRow *name_row;
  AdwEntryRow *address_row;
  GtkLabel *error_label;
};

G_DEFINE_FINAL_TYPE (EsContactEditor, es_contact_editor, ADW_TYPE_MESSAGE_DIALOG)

static void
show_error (EsContactEditor *self,
            const char      *message)
{
  gtk_label_set_text (self->error_label, message);
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), message != NULL);
}

static const char *
entry_text (AdwEntryRow *row)
{
  return gtk_editable_get_text (GTK_EDITABLE (row));
}

static void
on_change_address_response (AdwMessageDialog *dialog,
                            const char       *response,
                            EsContactEditor  *self)
{
  EsContactStore *contacts = es_application_get_contacts (self->application);
  EsContact *existing = g_object_get_data (G_OBJECT (dialog), "existing");
  const char *fingerprint = g_object_get_data (G_OBJECT (dialog), "fingerprint");
  g_autoptr(GError) error = NULL;

  if (g_str_equal (response, "replace"))
    {
      if (!es_contact_store_change_address (contacts, existing, fingerprint, &error))
        {
          show_error (self, error->message);
          gtk_window_present (GTK_WINDOW (self));
          return;
        }
    }
  else if (g_str_equal (response, "separate"))
    {
      if (es_contact_store_add (contacts, entry_text (self->name_row), fingerprint, &error) == NULL)
        {
          show_error (self, error->message);
          gtk_window_present (GTK_WINDOW (self));
          return;
        }
    }
  else
    {
      gtk_window_present (GTK_WINDOW (self));
      return;
    }
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
ask_about_changed_address (EsContactEditor *self,
                           EsContact       *existing,
                           const char      *fingerprint)
{
  GtkWindow *parent = gtk_window_get_transient_for (GTK_WINDOW (self));
  g_autofree char *heading = g_strdup_printf (_("“%s” Has Another Address"),
                                              es_contact_get_name (existing));
  GtkWidget *dialog = adw_message_dialog_new (parent, heading, NULL);

  adw_message_dialog_format_body (ADW_MESSAGE_DIALOG (dialog),
    _("Your contact “%s” has the address %s. If they set up Earshot again, their address "
      "changed; it could also be someone pretending to be them. Until you compare safety words "
      "in a call, the new address is not verified."),
    es_contact_get_name (existing), es_contact_get_fingerprint (existing));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "separate", _("Add _Separately"),
                                    "replace", _("_Replace Address"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "replace",
                                              ADW_RESPONSE_DESTRUCTIVE);
  g_object_set_data_full (G_OBJECT (dialog), "existing", g_object_ref (existing), g_object_unref);
  g_object_set_data_full (G_OBJECT (dialog), "fingerprint", g_strdup (fingerprint), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_change_address_response), self, 0);
  gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
  gtk_window_present (GTK_WINDOW (dialog));
}

static gboolean
add_contact (EsContactEditor *self)
{
  EsContactStore *contacts = es_application_get_contacts (self->application);
  g_autofree char *fingerprint = NULL;
  g_autoptr(GError) error = NULL;
  EsIdentity *own = es_identity_store_get_identity (es_application_get_identity_store (self->application));
  EsContact *same_name;

  if (!es_earshot_uri_parse (entry_text (self->address_row), &fingerprint, NULL, &error))
    {
      show_error (self, error->message);
      return FALSE;
    }
  if (own != NULL && g_str_equal (fingerprint, es_identity_get_fingerprint (own)))
    {
      show_error (self, _("This is your own address."));
      return FALSE;
    }
  same_name = es_contact_store_find_by_name (contacts, entry_text (self->name_row));
  if (same_name != NULL && !g_str_equal (es_contact_get_fingerprint (same_name), fingerprint))
    {
      ask_about_changed_address (self, same_name, fingerprint);
      return FALSE;
    }
  if (es_contact_store_add (contacts, entry_text (self->name_row), fingerprint, &error) == NULL)
    {
      show_error (self, error->message);
      return FALSE;
    }
  return TRUE;
}

static gboolean
save_contact (EsContactEditor *self)
{
  EsContactStore *contacts = es_application_get_contacts (self->application);
  g_autoptr(GError) error = NULL;

  if (!es_contact_store_rename (contacts, self->contact, entry_text (self->name_row), &error))
    {
      show_error (self, error->message);
      return FALSE;
    }
  return TRUE;
}

static void
on_remove_response (AdwMessageDialog *dialog,
                    const char       *response,
                    EsContactEditor  *self)
{
  EsContactStore *contacts = es_application_get_contacts (self->application);
  g_autoptr(GError) error = NULL;

  if (!g_str_equal (response, "remove"))
    {
      gtk_window_present (GTK_WINDOW (self));
      return;
    }
  if (!es_contact_store_remove (contacts, self->contact, &error))
    g_warning ("%s", error->message);
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
confirm_remove (EsContactEditor *self)
{
  GtkWindow *parent = gtk_window_get_transient_for (GTK_WINDOW (self));
  GtkWidget *dialog = adw_message_dialog_new (parent, _("Remove Contact?"), NULL);

  adw_message_dialog_format_body (ADW_MESSAGE_DIALOG (dialog),
                                  _("“%s” and their verification are removed. Your call history "
                                    "is kept."), es_contact_get_name (self->contact));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"), "remove", _("_Remove"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "remove",
                                              ADW_RESPONSE_DESTRUCTIVE);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_remove_response), self, 0);
  gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* A response hides the dialog (hide-on-close): a contact that cannot be
 * saved brings it back with the reason; everything else ends it. */
static void
on_save_activated (EsContactEditor *self)
{
  gboolean done = self->contact != NULL ? save_contact (self) : add_contact (self);

  if (done)
    gtk_window_destroy (GTK_WINDOW (self));
  else if (gtk_widget_get_visible (GTK_WIDGET (self->error_label)))
    gtk_window_present (GTK_WINDOW (self));
}

static void
es_contact_editor_response (AdwMessageDialog *dialog,
                            const char       *response)
{
  EsContactEditor *self = ES_CONTACT_EDITOR (dialog);

  if (g_str_equal (response, "save"))
    on_save_activated (self);
  else if (g_str_equal (response, "remove"))
    confirm_remove (self);
  else
    {
      if (g_str_equal (response, "call"))
        es_application_place_call (self->application, es_contact_get_fingerprint (self->contact));
      gtk_window_destroy (GTK_WINDOW (self));
    }
}

static void
on_fields_changed (EsContactEditor *self)
{
  g_autofree char *name = g_strstrip (g_strdup (entry_text (self->name_row)));
  gboolean complete = name[0] != '\0' &&
                      (self->contact != NULL || entry_text (self->address_row)[0] != '\0');

  show_error (self, NULL);
  adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (self), "save", complete);
}

static void
es_contact_editor_dispose (GObject *object)
{
  EsContactEditor *self = ES_CONTACT_EDITOR (object);

  g_clear_object (&self->application);
  g_clear_object (&self->contact);

  G_OBJECT_CLASS (es_contact_editor_parent_class)->dispose (object);
}

static void
es_contact_editor_class_init (EsContactEditorClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = es_contact_editor_dispose;
  ADW_MESSAGE_DIALOG_CLASS (klass)->response = es_contact_editor_response;
}

static GtkWidget *
build_fields (EsContactEditor *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  GtkWidget *list = gtk_list_box_new ();

  gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (list, "boxed-list");
  self->name_row = ADW_ENTRY_ROW (adw_entry_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->name_row), _("Name"));
  self->address_row = ADW_ENTRY_ROW (adw_entry_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->address_row),
                                 _("Address or earshot: link"));
  gtk_list_box_append (GTK_LIST_BOX (list), GTK_WIDGET (self->name_row));
  gtk_list_box_append (GTK_LIST_BOX (list), GTK_WIDGET (self->address_row));

  self->error_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->error_label, TRUE);
  gtk_label_set_xalign (self->error_label, 0);
  gtk_widget_add_css_class (GTK_WIDGET (self->error_label), "error");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), FALSE);

  gtk_box_append (GTK_BOX (box), list);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->error_label));
  g_signal_connect_swapped (self->name_row, "changed", G_CALLBACK (on_fields_changed), self);
  g_signal_connect_swapped (self->address_row, "changed", G_CALLBACK (on_fields_changed), self);
  g_signal_connect_swapped (self->name_row, "entry-activated", G_CALLBACK (on_save_activated), self);
  g_signal_connect_swapped (self->address_row, "entry-activated", G_CALLBACK (on_save_activated),
                            self);
  return box;
}

static void
es_contact_editor_init (EsContactEditor *self)
{
  gtk_window_set_hide_on_close (GTK_WINDOW (self), TRUE);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (self), build_fields (self));
}

static void
add_save_button (EsContactEditor *self,
                 const char      *label)
{
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (self), "save", label);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (self), "save",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (self), "save");
}

static EsContactEditor *
editor_new (GtkWindow     *parent,
            EsApplication *application,
            const char    *heading)
{
  EsContactEditor *self = g_object_new (ES_TYPE_CONTACT_EDITOR,
                                        "transient-for", parent,
                                        "modal", TRUE,
                                        "heading", heading,
                                        NULL);

  self->application = g_object_ref (application);
  return self;
}

void
es_contact_editor_present_new (GtkWindow     *parent,
                               EsApplication *application,
                               const char    *address,
                               const char    *name)
{
  EsContactEditor *self;

  if (es_application_get_contacts (application) == NULL)
    return;
  self = editor_new (parent, application, _("Add Contact"));
  adw_message_dialog_set_body (ADW_MESSAGE_DIALOG (self),
                               _("Paste the address or the earshot: link they shared with you."));
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (self), "cancel", _("_Cancel"));
  add_save_button (self, _("_Add"));
  gtk_editable_set_text (GTK_EDITABLE (self->address_row), address != NULL ? address : "");
  gtk_editable_set_text (GTK_EDITABLE (self->name_row), name != NULL ? name : "");
  on_fields_changed (self);
  gtk_window_present (GTK_WINDOW (self));
  gtk_widget_grab_focus (GTK_WIDGET (name == NULL ? self->name_row : self->address_row));
}

void
es_contact_editor_present_edit (GtkWindow     *parent,
                                EsApplication *application,
                                EsContact     *contact)
{
  EsContactEditor *self = editor_new (parent, application, es_contact_get_name (contact));
  g_autofree char *body = NULL;

  self->contact = g_object_ref (contact);
  if (es_contact_get_key_changed (contact))
    body = g_strdup_printf (_("Address %s\n\nTheir key changed since it was first seen. Compare "
                              "safety words in your next call."),
                            es_contact_get_fingerprint (contact));
  else if (es_contact_get_verified (contact))
    body = g_strdup_printf (_("Address %s\n\nVerified: you compared safety words."),
                            es_contact_get_fingerprint (contact));
  else
    body = g_strdup_printf (_("Address %s\n\nNot verified yet: compare safety words in a call."),
                            es_contact_get_fingerprint (contact));
  adw_message_dialog_set_body (ADW_MESSAGE_DIALOG (self), body);
  gtk_widget_set_visible (GTK_WIDGET (self->address_row), FALSE);
  gtk_editable_set_text (GTK_EDITABLE (self->name_row), es_contact_get_name (contact));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (self),
                                    "remove", _("_Remove"),
                                    "call", _("C_all"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (self), "remove",
                                              ADW_RESPONSE_DESTRUCTIVE);
  add_save_button (self, _("_Save"));
  gtk_window_present (GTK_WINDOW (self));
}
