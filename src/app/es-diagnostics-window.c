/* es-diagnostics-window.c
 *
 * Runs the engine's netcheck and shows the report as advice. The last
 * report is kept in the data directory and shown, with its time, when the
 * window opens, so a problem seen yesterday can still be compared or copied.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsDiagnosticsWindow"

#include "config.h"

#include "es-diagnostics-window.h"

#include <errno.h>
#include <glib/gi18n.h>

#include "es-accessibility.h"
#include "es-format.h"
#include "es-latency-chart.h"
#include "es-netcheck-text.h"
#include "es-paths.h"

#define LAST_REPORT_FILE "netcheck.json"

struct _EsDiagnosticsWindow
{
  AdwWindow parent_instance;

  EsApplication *application;
  GCancellable *cancellable;
  JsonObject *report;
  gint64 checked_at;

  AdwToastOverlay *toast_overlay;
  GtkWidget *run_button;
  GtkWidget *copy_button;
  GtkStack *stack;
  AdwStatusPage *intro_page;
  GtkSpinner *spinner;
  GtkLabel *summary_label;
  GtkLabel *checked_label;
  AdwActionRow *nat_row;
  AdwActionRow *ipv4_row;
  AdwActionRow *ipv6_row;
  AdwActionRow *mapping_row;
  AdwActionRow *hairpin_row;
  EsLatencyChart *chart;
};

G_DEFINE_FINAL_TYPE (EsDiagnosticsWindow, es_diagnostics_window, ADW_TYPE_WINDOW)

/* ---- Showing a report --------------------------------------------------------- */

static void
set_subtitle (AdwActionRow *row,
              const char   *text)
{
  adw_action_row_set_subtitle (row, text != NULL ? text : _("Unknown"));
}

static void
show_report (EsDiagnosticsWindow *self)
{
  JsonObject *report = self->report;
  g_autofree char *nat = es_netcheck_text_nat (report);
  g_autofree char *ipv6 = es_netcheck_text_ipv6 (report);
  g_autofree char *mapping = es_netcheck_text_port_mapping (report);
  g_autofree char *hairpin = es_netcheck_text_hairpin (report);
  g_autofree char *when = es_format_when (self->checked_at);
  g_autofree char *checked = g_strdup_printf (_("Checked %s"), when);
  g_autofree char *headline = es_netcheck_text_headline (report);
  JsonNode *relays = json_object_get_member (report, "relays");

  gtk_label_set_text (self->summary_label, headline);
  gtk_label_set_text (self->checked_label, checked);
  set_subtitle (self->nat_row, nat);
  set_subtitle (self->ipv4_row,
                json_object_get_string_member_with_default (report, "public_v4",
                                                            _("None found")));
  set_subtitle (self->ipv6_row, ipv6);
  set_subtitle (self->mapping_row, mapping);
  set_subtitle (self->hairpin_row, hairpin);
  es_latency_chart_set_relays (self->chart, relays != NULL && JSON_NODE_HOLDS_ARRAY (relays)
                                              ? json_node_get_array (relays) : NULL);
  gtk_widget_set_sensitive (self->copy_button, TRUE);
  gtk_stack_set_visible_child_name (self->stack, "report");
}

/* ---- Keeping the last one -------------------------------------------------------- */

static char *
last_report_path (void)
{
  return es_paths_data_file (LAST_REPORT_FILE);
}

static void
save_report (EsDiagnosticsWindow *self)
{
  g_autofree char *path = last_report_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "checked");
  json_builder_add_int_value (builder, self->checked_at);
  json_builder_set_member_name (builder, "report");
  json_builder_add_value (builder, json_node_init_object (json_node_alloc (), self->report));
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, NULL);
  if (g_mkdir_with_parents (dir, 0700) != 0 ||
      !g_file_set_contents_full (path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error))
    g_warning ("the network report was not kept: %s",
               error != NULL ? error->message : g_strerror (errno));
}

/* A report file that does not read is ignored: it is only a convenience. */
static void
load_last_report (EsDiagnosticsWindow *self)
{
  g_autofree char *path = last_report_path ();
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;
  JsonObject *saved;
  JsonNode *report;

  if (!json_parser_load_from_file (parser, path, NULL))
    return;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return;
  saved = json_node_get_object (root);
  report = json_object_get_member (saved, "report");
  if (report == NULL || !JSON_NODE_HOLDS_OBJECT (report))
    return;
  self->report = json_object_ref (json_node_get_object (report));
  self->checked_at = json_object_get_int_member_with_default (saved, "checked", 0);
  show_report (self);
}

/* ---- Running ------------------------------------------------------------------------ */

static void
set_running (EsDiagnosticsWindow *self,
             gboolean             running)
{
  gtk_spinner_set_spinning (self->spinner, running);
  gtk_widget_set_sensitive (self->run_button, !running);
  if (running)
    gtk_stack_set_visible_child_name (self->stack, "running");
}

static void
on_netcheck_done (GObject      *source,
                  GAsyncResult *result,
                  gpointer      data)
{
  EsDiagnosticsWindow *self = data;
  g_autoptr(JsonObject) report = NULL;
  g_autoptr(GError) error = NULL;

  report = es_engine_run_netcheck_finish (ES_ENGINE (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  set_running (self, FALSE);
  if (report == NULL)
    {
      g_autofree char *message = g_strdup_printf (_("The check failed: %s"), error->message);

      adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (message));
      gtk_stack_set_visible_child_name (self->stack, self->report != NULL ? "report" : "intro");
      return;
    }
  g_clear_pointer (&self->report, json_object_unref);
  self->report = g_steal_pointer (&report);
  self->checked_at = g_get_real_time () / G_USEC_PER_SEC;
  save_report (self);
  show_report (self);
}

static void
on_run_clicked (EsDiagnosticsWindow *self)
{
  EsEngine *engine = es_application_get_engine (self->application);

  if (engine == NULL)
    {
      adw_toast_overlay_add_toast (self->toast_overlay,
                                   adw_toast_new (es_application_get_status_detail (self->application)));
      return;
    }
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  set_running (self, TRUE);
  /* On the engine's own call socket, with its relays and STUN servers:
   * what it finds is what calls get. */
  es_engine_run_netcheck_async (engine, self->cancellable, on_netcheck_done, self);
}

static void
on_copy_clicked (EsDiagnosticsWindow *self)
{
  g_autofree char *text = NULL;

  if (self->report == NULL)
    return;
  text = es_netcheck_text_report (self->report, self->checked_at);
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)), text);
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (_("Report copied")));
}

/* ---- GObject ------------------------------------------------------------------------- */

static void
es_diagnostics_window_dispose (GObject *object)
{
  EsDiagnosticsWindow *self = ES_DIAGNOSTICS_WINDOW (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->application);
  g_clear_pointer (&self->report, json_object_unref);
  gtk_widget_dispose_template (GTK_WIDGET (self), ES_TYPE_DIAGNOSTICS_WINDOW);

  G_OBJECT_CLASS (es_diagnostics_window_parent_class)->dispose (object);
}

static void
es_diagnostics_window_class_init (EsDiagnosticsWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = es_diagnostics_window_dispose;

  g_type_ensure (ES_TYPE_LATENCY_CHART);
  gtk_widget_class_set_template_from_resource (widget_class,
    "/io/github/earshot/Earshot/es-diagnostics-window.ui");
  gtk_widget_class_bind_template_child (widget_class, EsDiagnosticsWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, EsDiagnosticsWindow, run_button);
  gtk_widget_class_bind_template_child (widget_class, EsDiagnosticsWindow, copy_button);
  gtk_widget_class_bind_template_child (widget_class, EsDiagnosticsWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, EsDiagnosticsWindow, intro_page);
  gtk_widget_class_bind_template_child (widget_class, EsDiagnosticsWindow, spinner);
  gtk_widget_class_bind_template_child (widget_class, EsDiagnosticsWindow, summary_label);
  gtk_widget_class_bind_template_child (widget_class, EsDiagnosticsWindow, checked_label);
  gtk_widget_class_bind_template_child (widget_class, EsDiagnosticsWindow, nat_row);
  gtk_widget_class_bind_template_child (widget_class, EsDiagnosticsWindow, ipv4_row);
  gtk_widget_class_bind_template_child (widget_class, EsDiagnosticsWindow, ipv6_row);
  gtk_widget_class_bind_template_child (widget_class, EsDiagnosticsWindow, mapping_row);
  gtk_widget_class_bind_template_child (widget_class, EsDiagnosticsWindow, hairpin_row);
  gtk_widget_class_bind_template_child (widget_class, EsDiagnosticsWindow, chart);
  gtk_widget_class_bind_template_callback (widget_class, on_run_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_copy_clicked);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
es_diagnostics_window_init (EsDiagnosticsWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  es_accessibility_follow_stack (GTK_WIDGET (self->stack));
}

EsDiagnosticsWindow *
es_diagnostics_window_new (EsApplication *application,
                           GtkWindow     *parent)
{
  EsDiagnosticsWindow *self = g_object_new (ES_TYPE_DIAGNOSTICS_WINDOW,
                                            "transient-for", parent,
                                            NULL);

  self->application = g_object_ref (application);
  load_last_report (self);
  return self;
}
