/* es-fingerprint.h: the user's address, a fingerprint of an Ed25519 key
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* First 16 bytes of SHA-256 of the Ed25519 public key (DESIGN §4). */
#define ES_FINGERPRINT_SIZE 16
/* "xxxx:xxxx:xxxx:xxxx:xxxx:xxxx:xxxx:xxxx" */
#define ES_FINGERPRINT_TEXT_LENGTH 39
#define ES_ED25519_PUBLIC_KEY_SIZE 32

void      es_fingerprint_from_public_key (const guint8 *public_key,
                                          guint8       *fingerprint);
char     *es_fingerprint_to_string       (const guint8 *fingerprint);
gboolean  es_fingerprint_parse           (const char   *text,
                                          guint8       *fingerprint,
                                          GError      **error);
char     *es_fingerprint_normalize       (const char   *text,
                                          GError      **error);
char     *es_fingerprint_for_public_key  (const guint8 *public_key);

G_END_DECLS
