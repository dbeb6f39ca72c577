/* es-identity-store.h: the identity file
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

#include "es-identity.h"

G_BEGIN_DECLS

#define ES_TYPE_IDENTITY_STORE (es_identity_store_get_type ())

G_DECLARE_FINAL_TYPE (EsIdentityStore, es_identity_store, ES, IDENTITY_STORE, GObject)

typedef enum {
  ES_IDENTITY_STORE_SAVE_NONE    = 0,
  ES_IDENTITY_STORE_SAVE_REPLACE = 1 << 0, /* keeps the old file as identity.replaced-TIME */
} EsIdentityStoreSaveFlags;

EsIdentityStore *es_identity_store_new          (const char       *path);
EsIdentityStore *es_identity_store_new_default  (void);
const char      *es_identity_store_get_path     (EsIdentityStore  *self);
gboolean         es_identity_store_exists       (EsIdentityStore  *self);
gboolean         es_identity_store_get_protected (EsIdentityStore *self);
EsIdentity      *es_identity_store_get_identity (EsIdentityStore  *self);
EsIdentity      *es_identity_store_load         (EsIdentityStore  *self,
                                                 const char       *passphrase,
                                                 GError          **error);
gboolean         es_identity_store_save         (EsIdentityStore  *self,
                                                 EsIdentity       *identity,
                                                 const char       *passphrase,
                                                 EsIdentityStoreSaveFlags flags,
                                                 GError          **error);

G_END_DECLS
