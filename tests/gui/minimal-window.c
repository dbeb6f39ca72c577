/* minimal-window.c: the baseline for the startup benchmark
 *
 * A libadwaita window with a header bar and a status page, nothing else:
 * what any libadwaita app costs on this machine. It says "first frame
 * drawn" on stderr when its first frame is painted, as earshot does with
 * G_MESSAGES_DEBUG=EsWindow.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <adwaita.h>

static void
on_first_frame_painted (GdkFrameClock *clock,
                        gpointer       data)
{
  g_signal_handlers_disconnect_by_func (clock, on_first_frame_painted, data);
  g_printerr ("first frame drawn\n");
}

static void
on_map (GtkWidget *window,
        gpointer   data)
{
  g_signal_connect (gtk_widget_get_frame_clock (window), "after-paint",
                    G_CALLBACK (on_first_frame_painted), NULL);
}

static void
on_activate (GtkApplication *application,
             gpointer        data)
{
  GtkWidget *window = adw_application_window_new (application);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *page = adw_status_page_new ();

  adw_status_page_set_title (ADW_STATUS_PAGE (page), "Baseline");
  adw_status_page_set_icon_name (ADW_STATUS_PAGE (page), "call-start-symbolic");
  gtk_widget_set_vexpand (page, TRUE);
  gtk_box_append (GTK_BOX (box), adw_header_bar_new ());
  gtk_box_append (GTK_BOX (box), page);
  adw_application_window_set_content (ADW_APPLICATION_WINDOW (window), box);
  gtk_window_set_default_size (GTK_WINDOW (window), 440, 660);
  g_signal_connect (window, "map", G_CALLBACK (on_map), NULL);
  gtk_window_present (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(AdwApplication) application =
    adw_application_new ("io.github.earshot.Baseline", G_APPLICATION_NON_UNIQUE);

  g_signal_connect (application, "activate", G_CALLBACK (on_activate), NULL);
  return g_application_run (G_APPLICATION (application), argc, argv);
}
