/* es-history-page.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsHistoryPage"

#include "config.h"

#include "es-history-page.h"

#include <glib/gi18n.h>

#include "es-accessibility.h"
#include "es-format.h"

struct _EsHistoryPage
{
  AdwBin parent_instance;

  EsApplication *application;

  GtkStack *stack;
  AdwStatusPage *empty_page;
  GtkListBox *list;
};

G_DEFINE_FINAL_TYPE (EsHistoryPage, es_history_page, ADW_TYPE_BIN)

static void
update_page (EsHistoryPage *self)
{
  EsContactStore *contacts = es_application_get_contacts (self->application);
  guint n = contacts != NULL ? g_list_model_get_n_items (es_contact_store_get_history (contacts)) : 0;

  gtk_stack_set_visible_child_name (self->stack, n > 0 ? "list" : "empty");
}

static const char *
outcome_icon (EsCallRecord *record)
{
  switch (es_call_record_get_outcome (record))
    {
    case ES_CALL_OUTCOME_MISSED:
      return "call-missed-symbolic";
    case ES_CALL_OUTCOME_ANSWERED:
    case ES_CALL_OUTCOME_DECLINED:
    case ES_CALL_OUTCOME_ANSWERED_ELSEWHERE:
    case ES_CALL_OUTCOME_NOT_ANSWERED:
    default:
      return es_call_record_get_outgoing (record) ? "call-outgoing-symbolic"
                                                  : "call-incoming-symbolic";
    }
}

static void
on_call_back_clicked (GtkButton     *button,
                      EsHistoryPage *self)
{
  EsCallRecord *record = g_object_get_data (G_OBJECT (button), "record");

  es_application_place_call (self->application, es_call_record_get_peer (record));
}

static GtkWidget *
create_row (gpointer item,
            gpointer data)
{
  EsHistoryPage *self = data;
  EsCallRecord *record = item;
  const char *name = es_application_lookup_name (self->application,
                                                 es_call_record_get_peer (record));
  g_autofree char *address = es_format_short_address (es_call_record_get_peer (record));
  g_autofree char *summary = es_format_record_summary (record);
  g_autofree char *when = es_format_when (es_call_record_get_started (record));
  g_autofree char *subtitle = g_strdup_printf ("%s · %s", summary, when);
  g_autofree char *call_label = g_strdup_printf (_("Call back %s"), name != NULL ? name : address);
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *icon = gtk_image_new_from_icon_name (outcome_icon (record));
  GtkWidget *call = gtk_button_new_from_icon_name ("call-start-symbolic");

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), name != NULL ? name : address);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_accessible_update_property (GTK_ACCESSIBLE (icon), GTK_ACCESSIBLE_PROPERTY_LABEL, summary, -1);
  if (es_call_record_get_outcome (record) == ES_CALL_OUTCOME_MISSED)
    gtk_widget_add_css_class (icon, "error");
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), icon);

  gtk_widget_set_valign (call, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (call, "flat");
  gtk_widget_set_tooltip_text (call, _("Call Back"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (call), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  call_label, -1);
  g_object_set_data_full (G_OBJECT (call), "record", g_object_ref (record), g_object_unref);
  g_signal_connect (call, "clicked", G_CALLBACK (on_call_back_clicked), self);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), call);
  return row;
}

static void
on_clear_response (AdwMessageDialog *dialog,
                   const char       *response,
                   EsHistoryPage    *self)
{
  EsContactStore *contacts = es_application_get_contacts (self->application);
  g_autoptr(GError) error = NULL;

  if (g_str_equal (response, "clear") && contacts != NULL &&
      !es_contact_store_clear_history (contacts, &error))
    g_warning ("%s", error->message);
}

static void
on_clear_clicked (EsHistoryPage *self)
{
  GtkWindow *window = GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self)));
  GtkWidget *dialog = adw_message_dialog_new (window, _("Clear Call History?"),
                                              _("The list of recent calls is deleted. "
                                                "Contacts are kept."));

  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"), "clear", _("_Clear"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "clear",
                                              ADW_RESPONSE_DESTRUCTIVE);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_clear_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Names come from contacts: a contact added or renamed renames its calls. */
static void
on_contacts_changed (EsHistoryPage *self)
{
  EsContactStore *contacts = es_application_get_contacts (self->application);

  gtk_list_box_bind_model (self->list, es_contact_store_get_history (contacts), create_row, self,
                           NULL);
  update_page (self);
}

void
es_history_page_set_application (EsHistoryPage *self,
                                 EsApplication *application)
{
  EsContactStore *contacts = es_application_get_contacts (application);

  g_set_object (&self->application, application);
  if (contacts == NULL)
    {
      adw_status_page_set_description (self->empty_page,
                                       es_application_get_contacts_error (application));
      update_page (self);
      return;
    }
  g_signal_connect_object (contacts, "changed", G_CALLBACK (on_contacts_changed), self,
                           G_CONNECT_SWAPPED);
  on_contacts_changed (self);
}

static void
es_history_page_dispose (GObject *object)
{
  EsHistoryPage *self = ES_HISTORY_PAGE (object);

  if (self->list != NULL)
    gtk_list_box_bind_model (self->list, NULL, NULL, NULL, NULL);
  g_clear_object (&self->application);
  gtk_widget_dispose_template (GTK_WIDGET (self), ES_TYPE_HISTORY_PAGE);

  G_OBJECT_CLASS (es_history_page_parent_class)->dispose (object);
}

static void
es_history_page_class_init (EsHistoryPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = es_history_page_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/earshot/Earshot/es-history-page.ui");
  gtk_widget_class_bind_template_child (widget_class, EsHistoryPage, stack);
  gtk_widget_class_bind_template_child (widget_class, EsHistoryPage, empty_page);
  gtk_widget_class_bind_template_child (widget_class, EsHistoryPage, list);
  gtk_widget_class_bind_template_callback (widget_class, on_clear_clicked);
}

static void
es_history_page_init (EsHistoryPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  es_accessibility_follow_stack (GTK_WIDGET (self->stack));
}
