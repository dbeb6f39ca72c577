/* es-dialer.h: "New Call": an address or an earshot: link
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "es-application.h"

G_BEGIN_DECLS

#define ES_TYPE_DIALER (es_dialer_get_type ())

G_DECLARE_FINAL_TYPE (EsDialer, es_dialer, ES, DIALER, AdwMessageDialog)

/* @address and @name prefill it (an opened earshot: link). */
void es_dialer_present (GtkWindow     *parent,
                        EsApplication *application,
                        const char    *address,
                        const char    *name);

G_END_DECLS
