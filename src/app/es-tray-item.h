/* es-tray-item.h: the tray icon (StatusNotifierItem with a dbusmenu)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "es-application.h"

G_BEGIN_DECLS

#define ES_TYPE_TRAY_ITEM (es_tray_item_get_type ())

G_DECLARE_FINAL_TYPE (EsTrayItem, es_tray_item, ES, TRAY_ITEM, GObject)

/* Exports itself on the application's session bus and registers with any
 * StatusNotifierWatcher, now or whenever one appears. */
EsTrayItem *es_tray_item_new            (EsApplication *application);

G_END_DECLS
