/* es-incoming-call-dialog.h: the sheet over the window while a call rings
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "es-application.h"

G_BEGIN_DECLS

#define ES_TYPE_INCOMING_CALL_DIALOG (es_incoming_call_dialog_get_type ())

G_DECLARE_FINAL_TYPE (EsIncomingCallDialog, es_incoming_call_dialog, ES, INCOMING_CALL_DIALOG,
                      AdwMessageDialog)

/* Closes itself when the call stops ringing, whoever answered it. */
EsIncomingCallDialog *es_incoming_call_dialog_new      (EsApplication *application,
                                                        EsCall        *call,
                                                        GtkWindow     *parent);

G_END_DECLS
