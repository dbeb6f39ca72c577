/* es-window.c
 *
 * One window, one page at a time: onboarding until there is an address, the
 * unlock page for a protected one, the contacts and recent calls otherwise,
 * and the call itself while there is one. The status bar under the header
 * says plainly when calls cannot ring and why.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsWindow"

#include "config.h"

#include "es-window.h"

#include <glib/gi18n.h>

#include "es-accessibility.h"
#include "es-address-dialog.h"
#include "es-call-view.h"
#include "es-contact-editor.h"
#include "es-contacts-page.h"
#include "es-history-page.h"
#include "es-onboarding.h"

struct _EsWindow
{
  AdwApplicationWindow parent_instance;

  EsApplication *application;

  GtkStack *main_stack;
  EsOnboarding *onboarding;
  AdwPasswordEntryRow *passphrase_row;
  GtkLabel *unlock_error;
  AdwStatusPage *problem_page;
  AdwViewStack *view_stack;
  GtkRevealer *status_revealer;
  GtkWidget *status_bar;
  GtkSpinner *status_spinner;
  GtkLabel *status_label;
  GtkWidget *status_button;
  GtkWidget *dnd_indicator;
  EsContactsPage *contacts_page;
  EsHistoryPage *history_page;
  EsCallView *call_view;
};

G_DEFINE_FINAL_TYPE (EsWindow, es_window, ADW_TYPE_APPLICATION_WINDOW)

/* ---- Pages ------------------------------------------------------------------- */

static void
show_status_bar (EsWindow   *self,
                 const char *text,
                 const char *style,
                 gboolean    busy,
                 gboolean    offer_preferences)
{
  const char *styles[] = { "warning", "error", NULL };

  for (guint i = 0; styles[i] != NULL; i++)
    gtk_widget_remove_css_class (self->status_bar, styles[i]);
  if (style != NULL)
    gtk_widget_add_css_class (self->status_bar, style);
  gtk_label_set_text (self->status_label, text);
  gtk_spinner_set_spinning (self->status_spinner, busy);
  gtk_widget_set_visible (GTK_WIDGET (self->status_spinner), busy);
  gtk_widget_set_visible (self->status_button, offer_preferences);
  gtk_revealer_set_reveal_child (self->status_revealer, TRUE);
}

static void
update_status_bar (EsWindow *self)
{
  const char *detail = es_application_get_status_detail (self->application);

  switch (es_application_get_status (self->application))
    {
    case ES_APP_STATUS_ONLINE:
      gtk_revealer_set_reveal_child (self->status_revealer, FALSE);
      gtk_spinner_set_spinning (self->status_spinner, FALSE);
      break;
    case ES_APP_STATUS_CONNECTING:
      show_status_bar (self, detail, NULL, TRUE, FALSE);
      break;
    case ES_APP_STATUS_RETRYING:
      show_status_bar (self, detail, "warning", TRUE, TRUE);
      break;
    case ES_APP_STATUS_NO_RELAY:
    case ES_APP_STATUS_FAILED:
      show_status_bar (self, detail, "error", FALSE, TRUE);
      break;
    case ES_APP_STATUS_NO_IDENTITY:
    case ES_APP_STATUS_LOCKED:
    default:
      break;
    }
}

static const char *
page_for_state (EsWindow *self)
{
  EsAppStatus status = es_application_get_status (self->application);
  gboolean have_identity =
    es_identity_store_get_identity (es_application_get_identity_store (self->application)) != NULL;

  if (status == ES_APP_STATUS_NO_IDENTITY)
    return "onboarding";
  if (status == ES_APP_STATUS_LOCKED)
    return "unlock";
  /* A damaged identity file: nothing works until the user deals with it,
   * and onboarding must not offer to overwrite it. */
  if (!have_identity)
    return "problem";
  if (es_application_get_current_call (self->application) != NULL)
    return "call";
  return "home";
}

static void
update_page (EsWindow *self)
{
  const char *page = page_for_state (self);
  const char *shown = gtk_stack_get_visible_child_name (self->main_stack);

  adw_status_page_set_description (self->problem_page,
                                   es_application_get_status_detail (self->application));
  update_status_bar (self);
  /* The call page lingers on its own to show how the call ended. */
  if (g_strcmp0 (shown, "call") == 0 && g_str_equal (page, "home") &&
      es_call_view_is_showing_end (self->call_view))
    return;
  gtk_stack_set_visible_child_name (self->main_stack, page);
}

static void
on_call_view_done (EsCallView *view,
                   EsWindow   *self)
{
  update_page (self);
}

static void
on_current_call_changed (EsApplication *application,
                         GParamSpec    *pspec,
                         EsWindow      *self)
{
  EsCall *call = es_application_get_current_call (application);

  if (call != NULL)
    es_call_view_set_call (self->call_view, call);
  update_page (self);
}

static void
on_status_changed (EsApplication *application,
                   GParamSpec    *pspec,
                   EsWindow      *self)
{
  update_page (self);
}

static void
on_unlock_clicked (EsWindow *self)
{
  g_autoptr(GError) error = NULL;
  const char *passphrase = gtk_editable_get_text (GTK_EDITABLE (self->passphrase_row));

  if (es_application_unlock (self->application, passphrase, &error))
    {
      gtk_editable_set_text (GTK_EDITABLE (self->passphrase_row), "");
      gtk_widget_set_visible (GTK_WIDGET (self->unlock_error), FALSE);
      return;
    }
  gtk_label_set_text (self->unlock_error, error->message);
  gtk_widget_set_visible (GTK_WIDGET (self->unlock_error), TRUE);
}

/* ---- Actions -------------------------------------------------------------------- */

static void
add_contact_activated (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  EsWindow *self = ES_WINDOW (widget);

  es_contact_editor_present_new (GTK_WINDOW (self), self->application, NULL, NULL);
}

static void
show_address_activated (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  EsWindow *self = ES_WINDOW (widget);

  gtk_window_present (GTK_WINDOW (es_address_dialog_new (self->application, GTK_WINDOW (self))));
}

static void
search_activated (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  EsWindow *self = ES_WINDOW (widget);

  if (!g_str_equal (gtk_stack_get_visible_child_name (self->main_stack), "home"))
    return;
  adw_view_stack_set_visible_child_name (self->view_stack, "contacts");
  es_contacts_page_focus_search (self->contacts_page);
}

static void
show_history_activated (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  EsWindow *self = ES_WINDOW (widget);

  adw_view_stack_set_visible_child_name (self->view_stack, "history");
}

/* ---- Public ------------------------------------------------------------------------- */

void
es_window_show_error (EsWindow   *self,
                      const char *heading,
                      const char *body)
{
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (self), heading, body);

  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));
}



/* ---- GObject ------------------------------------------------------------------------ */

/* Startup time is measured to the first frame on screen (bench: G_MESSAGES_DEBUG=EsWindow). */
static void
on_first_frame_painted (GdkFrameClock *clock,
                        EsWindow      *self)
{
  g_signal_handlers_disconnect_by_func (clock, on_first_frame_painted, self);
  g_debug ("first frame drawn");
}

static void
es_window_map (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (es_window_parent_class)->map (widget);
  g_signal_connect_object (gtk_widget_get_frame_clock (widget), "after-paint",
                           G_CALLBACK (on_first_frame_painted), widget, 0);
}

static void
es_window_dispose (GObject *object)
{
  EsWindow *self = ES_WINDOW (object);

  if (self->application != NULL)
    g_signal_handlers_disconnect_by_data (self->application, self);
  g_clear_object (&self->application);
  gtk_widget_dispose_template (GTK_WIDGET (self), ES_TYPE_WINDOW);

  G_OBJECT_CLASS (es_window_parent_class)->dispose (object);
}

static void
es_window_class_init (EsWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = es_window_dispose;
  widget_class->map = es_window_map;

  g_type_ensure (ES_TYPE_ONBOARDING);
  g_type_ensure (ES_TYPE_CONTACTS_PAGE);
  g_type_ensure (ES_TYPE_HISTORY_PAGE);
  g_type_ensure (ES_TYPE_CALL_VIEW);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/earshot/Earshot/es-window.ui");
  gtk_widget_class_bind_template_child (widget_class, EsWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, EsWindow, onboarding);
  gtk_widget_class_bind_template_child (widget_class, EsWindow, passphrase_row);
  gtk_widget_class_bind_template_child (widget_class, EsWindow, unlock_error);
  gtk_widget_class_bind_template_child (widget_class, EsWindow, problem_page);
  gtk_widget_class_bind_template_child (widget_class, EsWindow, view_stack);
  gtk_widget_class_bind_template_child (widget_class, EsWindow, status_revealer);
  gtk_widget_class_bind_template_child (widget_class, EsWindow, status_bar);
  gtk_widget_class_bind_template_child (widget_class, EsWindow, status_spinner);
  gtk_widget_class_bind_template_child (widget_class, EsWindow, status_label);
  gtk_widget_class_bind_template_child (widget_class, EsWindow, status_button);
  gtk_widget_class_bind_template_child (widget_class, EsWindow, dnd_indicator);
  gtk_widget_class_bind_template_child (widget_class, EsWindow, contacts_page);
  gtk_widget_class_bind_template_child (widget_class, EsWindow, history_page);
  gtk_widget_class_bind_template_child (widget_class, EsWindow, call_view);
  gtk_widget_class_bind_template_callback (widget_class, on_unlock_clicked);

  gtk_widget_class_install_action (widget_class, "win.add-contact", NULL, add_contact_activated);
  gtk_widget_class_install_action (widget_class, "win.show-address", NULL,
                                   show_address_activated);
  gtk_widget_class_install_action (widget_class, "win.search", NULL, search_activated);
  gtk_widget_class_install_action (widget_class, "win.show-history", NULL,
                                   show_history_activated);
}

static void
es_window_init (EsWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  es_accessibility_follow_stack (GTK_WIDGET (self->main_stack));
  es_accessibility_follow_stack (GTK_WIDGET (self->view_stack));
}

EsWindow *
es_window_new (EsApplication *application)
{
  EsWindow *self = g_object_new (ES_TYPE_WINDOW, "application", application, NULL);
  GSettings *settings = es_application_get_settings (application);

  self->application = g_object_ref (application);
  es_onboarding_set_application (self->onboarding, application);
  es_contacts_page_set_application (self->contacts_page, application);
  es_history_page_set_application (self->history_page, application);
  es_call_view_set_application (self->call_view, application);
  g_signal_connect (self->call_view, "done", G_CALLBACK (on_call_view_done), self);

  g_settings_bind (settings, "do-not-disturb", self->dnd_indicator, "visible",
                   G_SETTINGS_BIND_GET);
  g_settings_bind (settings, "window-width", self, "default-width", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "window-height", self, "default-height", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "window-maximized", self, "maximized", G_SETTINGS_BIND_DEFAULT);

  g_signal_connect (application, "notify::status", G_CALLBACK (on_status_changed), self);
  g_signal_connect (application, "notify::status-detail", G_CALLBACK (on_status_changed), self);
  g_signal_connect (application, "notify::current-call", G_CALLBACK (on_current_call_changed),
                    self);
  on_current_call_changed (application, NULL, self);
  return self;
}
