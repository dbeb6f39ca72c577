/* es-address-dialog.h: one's own address, as text, link and QR code
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "es-application.h"

G_BEGIN_DECLS

#define ES_TYPE_ADDRESS_DIALOG (es_address_dialog_get_type ())

G_DECLARE_FINAL_TYPE (EsAddressDialog, es_address_dialog, ES, ADDRESS_DIALOG, AdwWindow)

EsAddressDialog *es_address_dialog_new (EsApplication *application,
                                        GtkWindow     *parent);

G_END_DECLS
