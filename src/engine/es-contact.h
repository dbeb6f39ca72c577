/* es-contact.h: someone in the address book, with the key pinned for them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define ES_TYPE_CONTACT (es_contact_get_type ())

G_DECLARE_FINAL_TYPE (EsContact, es_contact, ES, CONTACT, GObject)

/* Properties (read-only; EsContactStore changes them and notifies):
 *   fingerprint: the address, canonical form.
 *   name: what the user called them.
 *   verified: the safety words were compared in a call.
 *   key-changed: the address or key for this person changed since it was
 *     pinned, and nobody has compared safety words since: warn.
 *   added, first-seen: unix seconds (first-seen is 0 until a call pinned the key).
 */

const char   *es_contact_get_fingerprint  (EsContact *self);
const char   *es_contact_get_name         (EsContact *self);
gboolean      es_contact_get_verified     (EsContact *self);
gboolean      es_contact_get_key_changed  (EsContact *self);
/* The full Ed25519 key, once a call showed it; NULL before. */
GBytes       *es_contact_get_public_key   (EsContact *self);
gint64        es_contact_get_added        (EsContact *self);
gint64        es_contact_get_first_seen   (EsContact *self);
/* The address this contact had before its last change, or NULL. */
const char   *es_contact_get_previous_fingerprint (EsContact *self);

G_END_DECLS
