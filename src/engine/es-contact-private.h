/* es-contact-private.h: how EsContactStore builds and updates contacts
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "es-contact.h"

G_BEGIN_DECLS

EsContact *_es_contact_new                  (const char *fingerprint,
                                             const char *name,
                                             gint64      added);
void       _es_contact_set_fingerprint      (EsContact  *self,
                                             const char *fingerprint,
                                             const char *previous);
void       _es_contact_set_name             (EsContact  *self,
                                             const char *name);
void       _es_contact_set_verified         (EsContact  *self,
                                             gboolean    verified);
void       _es_contact_set_key_changed      (EsContact  *self,
                                             gboolean    key_changed);
void       _es_contact_set_public_key       (EsContact  *self,
                                             GBytes     *public_key,
                                             gint64      first_seen);

G_END_DECLS
