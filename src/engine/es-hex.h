/* es-hex.h: keys written as hex in messages
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Decodes exactly size bytes written as 2 × size lowercase hex digits, the
 * only form a sender writes; anything else is FALSE and bytes is untouched. */
gboolean es_hex_decode_exact (const char *hex,
                              guint8     *bytes,
                              gsize       size);

/* Lowercase hex, as every hex member of the protocol is written. */
char    *es_hex_encode       (const guint8 *bytes,
                              gsize         size);

G_END_DECLS
