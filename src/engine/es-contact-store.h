/* es-contact-store.h: contacts with pinned keys, and call history (contacts.db)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "es-call-record.h"
#include "es-call.h"
#include "es-contact.h"

G_BEGIN_DECLS

/* What a call's key says about a contact (es_contact_store_check_key). */
typedef enum {
  ES_CONTACT_KEY_UNKNOWN_CONTACT,  /* not in the address book */
  ES_CONTACT_KEY_PINNED,           /* first key seen for this contact: now pinned */
  ES_CONTACT_KEY_MATCHES,          /* the pinned key */
  ES_CONTACT_KEY_CHANGED,          /* not the pinned key: the contact is flagged */
} EsContactKeyCheck;

#define ES_TYPE_CONTACT_STORE (es_contact_store_get_type ())

G_DECLARE_FINAL_TYPE (EsContactStore, es_contact_store, ES, CONTACT_STORE, GObject)

/* Signals:
 *   changed (): contacts or history changed (the list models say what).
 */

EsContactStore *es_contact_store_new            (const char      *path);
/* contacts.db in the data directory (DESIGN §10.1). */
EsContactStore *es_contact_store_new_default    (void);
/* Opens or creates the database. A file that is not an Earshot database,
 * or one made by a newer version, is an error naming the file; it is never
 * replaced. */
gboolean        es_contact_store_open           (EsContactStore  *self,
                                                 GError         **error);
const char     *es_contact_store_get_path       (EsContactStore  *self);

/* EsContact, sorted by name. */
GListModel     *es_contact_store_get_contacts   (EsContactStore  *self);
/* EsCallRecord, newest first. */
GListModel     *es_contact_store_get_history    (EsContactStore  *self);

EsContact      *es_contact_store_lookup         (EsContactStore  *self,
                                                 const char      *fingerprint);
/* Another contact with this name (case-insensitive), if any: adding an
 * address under a known name is how a changed key shows. */
EsContact      *es_contact_store_find_by_name   (EsContactStore  *self,
                                                 const char      *name);
/* Names are trimmed; an empty name, an invalid address or an address that
 * already is a contact is an error. */
EsContact      *es_contact_store_add            (EsContactStore  *self,
                                                 const char      *name,
                                                 const char      *fingerprint,
                                                 GError         **error);
gboolean        es_contact_store_rename         (EsContactStore  *self,
                                                 EsContact       *contact,
                                                 const char      *name,
                                                 GError         **error);
/* Marks the safety words compared (or not); clears the key-changed warning. */
gboolean        es_contact_store_set_verified   (EsContactStore  *self,
                                                 EsContact       *contact,
                                                 gboolean         verified,
                                                 GError         **error);
/* The person has a new address (a new identity): the old key pin and the
 * verification go, and the contact carries the key-changed warning until
 * safety words are compared again. */
gboolean        es_contact_store_change_address (EsContactStore  *self,
                                                 EsContact       *contact,
                                                 const char      *fingerprint,
                                                 GError         **error);
gboolean        es_contact_store_remove         (EsContactStore  *self,
                                                 EsContact       *contact,
                                                 GError         **error);
/* Trust on first use of the full key behind a contact's address. */
EsContactKeyCheck es_contact_store_check_key    (EsContactStore  *self,
                                                 const char      *fingerprint,
                                                 const guint8    *public_key,
                                                 GError         **error);

gboolean        es_contact_store_add_record     (EsContactStore  *self,
                                                 EsCallRecord    *record,
                                                 GError         **error);
gboolean        es_contact_store_clear_history  (EsContactStore  *self,
                                                 GError         **error);
/* Writes the call to the history when it ends, and checks the peer's key
 * against its pin once the call has one. */
void            es_contact_store_track_call     (EsContactStore  *self,
                                                 EsCall          *call);

G_END_DECLS
