/* es-history-page.h: recent calls
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "es-application.h"

G_BEGIN_DECLS

#define ES_TYPE_HISTORY_PAGE (es_history_page_get_type ())

G_DECLARE_FINAL_TYPE (EsHistoryPage, es_history_page, ES, HISTORY_PAGE, AdwBin)

void es_history_page_set_application (EsHistoryPage *self,
                                      EsApplication *application);

G_END_DECLS
