/* es-contacts-page.c
 *
 * The rows bind to the contacts themselves, so a rename or a verification
 * shows at once; the list filters as one types, by name or by address.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsContactsPage"

#include "config.h"

#include "es-contacts-page.h"

#include <glib/gi18n.h>
#include <string.h>

#include "es-accessibility.h"
#include "es-contact-editor.h"
#include "es-format.h"

struct _EsContactsPage
{
  AdwBin parent_instance;

  EsApplication *application;
  GtkFilterListModel *filtered;
  GtkCustomFilter *filter;
  char *query;                   /* casefolded */

  GtkStack *stack;
  AdwStatusPage *unavailable_page;
  GtkSearchEntry *search_entry;
  GtkListBox *list;
  GtkWidget *no_results;
};

G_DEFINE_FINAL_TYPE (EsContactsPage, es_contacts_page, ADW_TYPE_BIN)

static gboolean
matches_query (gpointer item,
               gpointer data)
{
  EsContactsPage *self = data;
  EsContact *contact = item;
  g_autofree char *name = NULL;
  g_autofree char *typed_hex = NULL;
  g_autoptr(GString) address_hex = NULL;

  if (self->query == NULL || self->query[0] == '\0')
    return TRUE;
  name = g_utf8_casefold (es_contact_get_name (contact), -1);
  if (strstr (name, self->query) != NULL)
    return TRUE;
  /* An address matches with or without its colons. */
  address_hex = g_string_new (NULL);
  for (const char *p = es_contact_get_fingerprint (contact); *p != '\0'; p++)
    if (*p != ':')
      g_string_append_c (address_hex, *p);
  typed_hex = g_strdelimit (g_strdup (self->query), ":", ' ');
  g_strstrip (typed_hex);
  return typed_hex[0] != '\0' && strstr (address_hex->str, typed_hex) != NULL;
}

static void
update_page (EsContactsPage *self)
{
  EsContactStore *contacts = es_application_get_contacts (self->application);
  guint total = contacts != NULL ? g_list_model_get_n_items (es_contact_store_get_contacts (contacts))
                                 : 0;
  guint shown = self->filtered != NULL ? g_list_model_get_n_items (G_LIST_MODEL (self->filtered)) : 0;

  if (contacts == NULL)
    gtk_stack_set_visible_child_name (self->stack, "unavailable");
  else if (total == 0)
    gtk_stack_set_visible_child_name (self->stack, "empty");
  else
    gtk_stack_set_visible_child_name (self->stack, "list");
  gtk_widget_set_visible (self->no_results, total > 0 && shown == 0);
}

static void
on_search_changed (EsContactsPage *self)
{
  g_free (self->query);
  self->query = g_utf8_casefold (gtk_editable_get_text (GTK_EDITABLE (self->search_entry)), -1);
  g_strstrip (self->query);
  gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
  update_page (self);
}

static void
on_call_clicked (GtkButton      *button,
                 EsContactsPage *self)
{
  EsContact *contact = g_object_get_data (G_OBJECT (button), "contact");

  es_application_place_call (self->application, es_contact_get_fingerprint (contact));
}

static void
update_row (GtkWidget *row,
            GParamSpec *pspec,
            EsContact *contact)
{
  GtkWidget *status = g_object_get_data (G_OBJECT (row), "status-icon");
  GtkWidget *call = g_object_get_data (G_OBJECT (row), "call-button");
  g_autofree char *address = es_format_short_address (es_contact_get_fingerprint (contact));
  g_autofree char *call_label = g_strdup_printf (_("Call %s"), es_contact_get_name (contact));

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), es_contact_get_name (contact));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), address);
  adw_avatar_set_text (g_object_get_data (G_OBJECT (row), "avatar"), es_contact_get_name (contact));
  gtk_accessible_update_property (GTK_ACCESSIBLE (call), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  call_label, -1);
  if (es_contact_get_key_changed (contact))
    {
      gtk_image_set_from_icon_name (GTK_IMAGE (status), "dialog-warning-symbolic");
      gtk_widget_set_tooltip_text (status, _("Their key changed: compare safety words"));
      gtk_accessible_update_property (GTK_ACCESSIBLE (status), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      _("Key changed"), -1);
      gtk_widget_add_css_class (status, "warning");
      gtk_widget_set_visible (status, TRUE);
    }
  else if (es_contact_get_verified (contact))
    {
      gtk_image_set_from_icon_name (GTK_IMAGE (status), "emblem-ok-symbolic");
      gtk_widget_set_tooltip_text (status, _("Verified: you compared safety words"));
      gtk_accessible_update_property (GTK_ACCESSIBLE (status), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      _("Verified"), -1);
      gtk_widget_remove_css_class (status, "warning");
      gtk_widget_set_visible (status, TRUE);
    }
  else
    gtk_widget_set_visible (status, FALSE);
}

static GtkWidget *
create_row (gpointer item,
            gpointer data)
{
  EsContactsPage *self = data;
  EsContact *contact = item;
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *avatar = adw_avatar_new (36, NULL, TRUE);
  GtkWidget *status = gtk_image_new ();
  GtkWidget *call = gtk_button_new_from_icon_name ("call-start-symbolic");

  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), avatar);
  gtk_widget_set_valign (call, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (call, "flat");
  gtk_widget_set_tooltip_text (call, _("Call"));
  g_object_set_data_full (G_OBJECT (call), "contact", g_object_ref (contact), g_object_unref);
  g_signal_connect (call, "clicked", G_CALLBACK (on_call_clicked), self);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), status);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), call);

  g_object_set_data (G_OBJECT (row), "avatar", avatar);
  g_object_set_data (G_OBJECT (row), "status-icon", status);
  g_object_set_data (G_OBJECT (row), "call-button", call);
  g_object_set_data_full (G_OBJECT (row), "contact", g_object_ref (contact), g_object_unref);
  g_signal_connect_object (contact, "notify", G_CALLBACK (update_row), row, G_CONNECT_SWAPPED);
  update_row (row, NULL, contact);
  return row;
}

static void
on_row_activated (GtkListBox     *list,
                  GtkListBoxRow  *row,
                  EsContactsPage *self)
{
  EsContact *contact = g_object_get_data (G_OBJECT (row), "contact");

  es_contact_editor_present_edit (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                                  self->application, contact);
}

void
es_contacts_page_focus_search (EsContactsPage *self)
{
  if (g_str_equal (gtk_stack_get_visible_child_name (self->stack), "list"))
    gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

void
es_contacts_page_set_application (EsContactsPage *self,
                                  EsApplication  *application)
{
  EsContactStore *contacts = es_application_get_contacts (application);

  g_set_object (&self->application, application);
  if (contacts == NULL)
    {
      adw_status_page_set_description (self->unavailable_page,
                                       es_application_get_contacts_error (application));
      update_page (self);
      return;
    }
  self->filter = gtk_custom_filter_new (matches_query, self, NULL);
  self->filtered = gtk_filter_list_model_new (g_object_ref (es_contact_store_get_contacts (contacts)),
                                              GTK_FILTER (g_object_ref (self->filter)));
  gtk_list_box_bind_model (self->list, G_LIST_MODEL (self->filtered), create_row, self, NULL);
  g_signal_connect_object (self->filtered, "items-changed", G_CALLBACK (update_page), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect (self->list, "row-activated", G_CALLBACK (on_row_activated), self);
  update_page (self);
}

static void
es_contacts_page_dispose (GObject *object)
{
  EsContactsPage *self = ES_CONTACTS_PAGE (object);

  if (self->list != NULL)
    gtk_list_box_bind_model (self->list, NULL, NULL, NULL, NULL);
  g_clear_object (&self->filtered);
  g_clear_object (&self->filter);
  g_clear_object (&self->application);
  g_clear_pointer (&self->query, g_free);
  gtk_widget_dispose_template (GTK_WIDGET (self), ES_TYPE_CONTACTS_PAGE);

  G_OBJECT_CLASS (es_contacts_page_parent_class)->dispose (object);
}

static void
es_contacts_page_class_init (EsContactsPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = es_contacts_page_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/earshot/Earshot/es-contacts-page.ui");
  gtk_widget_class_bind_template_child (widget_class, EsContactsPage, stack);
  gtk_widget_class_bind_template_child (widget_class, EsContactsPage, unavailable_page);
  gtk_widget_class_bind_template_child (widget_class, EsContactsPage, search_entry);
  gtk_widget_class_bind_template_child (widget_class, EsContactsPage, list);
  gtk_widget_class_bind_template_child (widget_class, EsContactsPage, no_results);
  gtk_widget_class_bind_template_callback (widget_class, on_search_changed);
}

static void
es_contacts_page_init (EsContactsPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  es_accessibility_follow_stack (GTK_WIDGET (self->stack));
}
