/* es-earshot-uri.h: earshot: links, how an address is shared
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* "earshot:FINGERPRINT", optionally "?name=NAME" (percent-encoded UTF-8).
 * The fingerprint is written compactly (32 hex digits) so that the link
 * survives being pasted into chats that break text at colons. */
char     *es_earshot_uri_build (const char  *fingerprint,
                                const char  *name);
/* Takes a link or a bare address (with or without colons, any case,
 * surrounding space ignored). @fingerprint gets the canonical form; @name
 * the name the link carries, or NULL. */
gboolean  es_earshot_uri_parse (const char  *text,
                                char       **fingerprint,
                                char       **name,
                                GError     **error);

G_END_DECLS
