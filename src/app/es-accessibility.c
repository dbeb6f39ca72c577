/* es-accessibility.c
 *
 * GTK 4.8 reports every widget of a stack as visible to AT-SPI, on the
 * pages it does not show too, and gives them no SHOWING state: a screen
 * reader's review then reads out the onboarding's other steps or the call
 * page behind the contacts. Later GTK versions mark such pages hidden; this
 * does the same for the stacks of this app.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsAccessibility"

#include "es-accessibility.h"

static void
mark_pages (GtkWidget *stack)
{
  g_autoptr(GListModel) pages = NULL;
  GtkWidget *visible;
  guint n;

  if (GTK_IS_STACK (stack))
    {
      pages = G_LIST_MODEL (gtk_stack_get_pages (GTK_STACK (stack)));
      visible = gtk_stack_get_visible_child (GTK_STACK (stack));
    }
  else
    {
      pages = G_LIST_MODEL (adw_view_stack_get_pages (ADW_VIEW_STACK (stack)));
      visible = adw_view_stack_get_visible_child (ADW_VIEW_STACK (stack));
    }
  n = g_list_model_get_n_items (pages);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GObject) page = g_list_model_get_item (pages, i);
      GtkWidget *child = GTK_IS_STACK (stack) ? gtk_stack_page_get_child (GTK_STACK_PAGE (page))
                                              : adw_view_stack_page_get_child (ADW_VIEW_STACK_PAGE (page));
      gboolean hidden = child != visible;

      if (GTK_IS_ACCESSIBLE (page))
        gtk_accessible_update_state (GTK_ACCESSIBLE (page), GTK_ACCESSIBLE_STATE_HIDDEN, hidden, -1);
      gtk_accessible_update_state (GTK_ACCESSIBLE (child), GTK_ACCESSIBLE_STATE_HIDDEN, hidden, -1);
    }
}

void
es_accessibility_follow_stack (GtkWidget *stack)
{
  g_return_if_fail (GTK_IS_STACK (stack) || ADW_IS_VIEW_STACK (stack));

  g_signal_connect (stack, "notify::visible-child", G_CALLBACK (mark_pages), NULL);
  mark_pages (stack);
}
