/* es-diagnostics-window.h: the network check, in plain words
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "es-application.h"

G_BEGIN_DECLS

#define ES_TYPE_DIAGNOSTICS_WINDOW (es_diagnostics_window_get_type ())

G_DECLARE_FINAL_TYPE (EsDiagnosticsWindow, es_diagnostics_window, ES, DIAGNOSTICS_WINDOW,
                      AdwWindow)

EsDiagnosticsWindow *es_diagnostics_window_new (EsApplication *application,
                                                GtkWindow     *parent);

G_END_DECLS
