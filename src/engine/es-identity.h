/* es-identity.h: a user's keys, derived from a 32-byte seed
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>
#include <gnutls/gnutls.h>

#include "es-fingerprint.h"

G_BEGIN_DECLS

#define ES_SEED_SIZE 32
#define ES_ED25519_SIGNATURE_SIZE 64
#define ES_SPKI_SHA256_SIZE 32

#define ES_TYPE_IDENTITY (es_identity_get_type ())

G_DECLARE_FINAL_TYPE (EsIdentity, es_identity, ES, IDENTITY, GObject)

EsIdentity    *es_identity_new_random          (void);
EsIdentity    *es_identity_new_from_seed       (const guint8 *seed,
                                                GDateTime    *created);
EsIdentity    *es_identity_new_from_mnemonic   (const char   *words,
                                                GError      **error);
EsIdentity    *es_identity_new_from_hex        (const char   *hex,
                                                GError      **error);

const guint8  *es_identity_get_seed            (EsIdentity   *self);
const guint8  *es_identity_get_public_key      (EsIdentity   *self);
const char    *es_identity_get_fingerprint     (EsIdentity   *self);
GDateTime     *es_identity_get_created         (EsIdentity   *self);
char          *es_identity_export_mnemonic     (EsIdentity   *self);

void           es_identity_sign                (EsIdentity   *self,
                                                const guint8 *data,
                                                gsize         length,
                                                guint8       *signature);
gboolean       es_identity_verify              (const guint8 *public_key,
                                                const guint8 *data,
                                                gsize         length,
                                                const guint8 *signature);

gnutls_certificate_credentials_t
               es_identity_get_tls_credentials (EsIdentity   *self);
GBytes        *es_identity_get_certificate_der (EsIdentity   *self);
gboolean       es_identity_export_tls_pem      (EsIdentity   *self,
                                                char        **certificate_pem,
                                                char        **private_key_pem,
                                                GError      **error);
void           es_identity_spki_sha256         (const guint8 *public_key,
                                                guint8       *digest);

G_END_DECLS
