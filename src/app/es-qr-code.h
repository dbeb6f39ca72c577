/* es-qr-code.h: an address as a QR code image
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Black modules on white with the standard four-module quiet zone, each
 * module @module_size pixels wide: phones read it off a dark-mode screen too. */
GdkTexture *es_qr_code_new_texture (const char  *text,
                                    int          module_size,
                                    GError     **error);

G_END_DECLS
