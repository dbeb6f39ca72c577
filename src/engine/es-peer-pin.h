/* es-peer-pin.h: what a peer's TLS certificate must carry to be accepted
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

#include "es-fingerprint.h"

G_BEGIN_DECLS

/* A pin is a fingerprint (DESIGN §4): the check takes the Ed25519 public key
 * from the presented certificate, computes its fingerprint and compares. A
 * certificate without an Ed25519 key fails. Interop tests against foreign
 * servers pin SHA-256 of the SubjectPublicKeyInfo instead. Trust on first use
 * accepts any Ed25519 key; the caller stores what it learnt. */
typedef enum {
  ES_PEER_PIN_FINGERPRINT,
  ES_PEER_PIN_SPKI_SHA256,
  ES_PEER_PIN_TRUST_ON_FIRST_USE,
} EsPeerPinKind;

#define ES_TYPE_PEER_PIN (es_peer_pin_get_type ())

typedef struct _EsPeerPin EsPeerPin;

GType       es_peer_pin_get_type                 (void) G_GNUC_CONST;
EsPeerPin  *es_peer_pin_new_fingerprint          (const guint8 *fingerprint);
EsPeerPin  *es_peer_pin_new_spki_sha256          (const guint8 *digest);
EsPeerPin  *es_peer_pin_new_trust_on_first_use   (void);
EsPeerPin  *es_peer_pin_ref                      (EsPeerPin    *self);
void        es_peer_pin_unref                    (EsPeerPin    *self);
EsPeerPinKind es_peer_pin_get_kind               (const EsPeerPin *self);
char       *es_peer_pin_to_string                (const EsPeerPin *self);

/* Checks a DER certificate against the pin. On success, *peer_fingerprint
 * (if not NULL) receives the fingerprint of the certificate's Ed25519 key,
 * or NULL for an SPKI pin on a non-Ed25519 certificate. */
gboolean    es_peer_pin_check                    (const EsPeerPin *self,
                                                  const guint8 *certificate_der,
                                                  gsize         length,
                                                  char        **peer_fingerprint,
                                                  GError      **error);
gboolean    es_certificate_get_ed25519_key       (const guint8 *certificate_der,
                                                  gsize         length,
                                                  guint8       *public_key,
                                                  GError      **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsPeerPin, es_peer_pin_unref)

G_END_DECLS
