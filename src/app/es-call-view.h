/* es-call-view.h: the call on screen
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "es-application.h"

G_BEGIN_DECLS

#define ES_TYPE_CALL_VIEW (es_call_view_get_type ())

G_DECLARE_FINAL_TYPE (EsCallView, es_call_view, ES, CALL_VIEW, AdwBin)

/* Signals:
 *   done (): the call ended and its outcome has been shown long enough.
 */

void      es_call_view_set_application (EsCallView    *self,
                                        EsApplication *application);
void      es_call_view_set_call        (EsCallView    *self,
                                        EsCall        *call);
/* TRUE while an ended call's outcome is on screen. */
gboolean  es_call_view_is_showing_end  (EsCallView    *self);

G_END_DECLS
