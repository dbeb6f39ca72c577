/* es-autostart.h: starting at login, in the background
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "es-application.h"

G_BEGIN_DECLS

#define ES_TYPE_AUTOSTART (es_autostart_get_type ())

G_DECLARE_FINAL_TYPE (EsAutostart, es_autostart, ES, AUTOSTART, GObject)

/* Follows the "start-in-background" setting. */
EsAutostart *es_autostart_new (EsApplication *application);

G_END_DECLS
