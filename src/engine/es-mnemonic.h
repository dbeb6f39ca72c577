/* es-mnemonic.h: BIP39 words for a 32-byte seed
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define ES_MNEMONIC_ENTROPY_SIZE 32
#define ES_MNEMONIC_WORD_COUNT   24

char     *es_mnemonic_from_entropy (const guint8 *entropy);
gboolean  es_mnemonic_to_entropy   (const char   *words,
                                    guint8       *entropy,
                                    GError      **error);
const char *es_mnemonic_word       (guint         index);
int         es_mnemonic_word_index (const char   *word);

G_END_DECLS
