/* es-window.h: the main window
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "es-application.h"

G_BEGIN_DECLS

#define ES_TYPE_WINDOW (es_window_get_type ())

G_DECLARE_FINAL_TYPE (EsWindow, es_window, ES, WINDOW, AdwApplicationWindow)

EsWindow *es_window_new                 (EsApplication *application);
/* A modal message with one button. */
void      es_window_show_error          (EsWindow      *self,
                                         const char    *heading,
                                         const char    *body);

G_END_DECLS
