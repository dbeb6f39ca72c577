/* es-accessibility.h: what GTK 4.8 does not tell assistive technologies
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

/* Marks the pages @stack (a GtkStack or an AdwViewStack) does not show as
 * hidden, and keeps them so as it changes page. */
void es_accessibility_follow_stack (GtkWidget *stack);

G_END_DECLS
