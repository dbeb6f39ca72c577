/* es-peer-pin.c
 *
 * The TLS handshake's verify callback is the only authority over who is on
 * the other end (GnuTLS checks no chain here), so the check is strict: one
 * certificate, an Ed25519 key in it, and that key's fingerprint or SPKI hash
 * equal to the pin.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsPeerPin"

#include "es-peer-pin.h"

#include <gnutls/abstract.h>
#include <gnutls/x509.h>
#include <sodium.h>
#include <string.h>

#include "es-error.h"
#include "es-hex.h"
#include "es-identity.h"

struct _EsPeerPin
{
  gatomicrefcount ref_count;
  EsPeerPinKind kind;
  guint8 value[ES_SPKI_SHA256_SIZE];
};

G_DEFINE_BOXED_TYPE (EsPeerPin, es_peer_pin, es_peer_pin_ref, es_peer_pin_unref)

static EsPeerPin *
peer_pin_new (EsPeerPinKind  kind,
              const guint8  *value,
              gsize          length)
{
  EsPeerPin *self = g_new0 (EsPeerPin, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->kind = kind;
  if (value != NULL)
    memcpy (self->value, value, length);
  return self;
}

EsPeerPin *
es_peer_pin_new_fingerprint (const guint8 *fingerprint)
{
  g_return_val_if_fail (fingerprint != NULL, NULL);
  return peer_pin_new (ES_PEER_PIN_FINGERPRINT, fingerprint, ES_FINGERPRINT_SIZE);
}

EsPeerPin *
es_peer_pin_new_spki_sha256 (const guint8 *digest)
{
  g_return_val_if_fail (digest != NULL, NULL);
  return peer_pin_new (ES_PEER_PIN_SPKI_SHA256, digest, ES_SPKI_SHA256_SIZE);
}

EsPeerPin *
es_peer_pin_new_trust_on_first_use (void)
{
  return peer_pin_new (ES_PEER_PIN_TRUST_ON_FIRST_USE, NULL, 0);
}

EsPeerPin *
es_peer_pin_ref (EsPeerPin *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
es_peer_pin_unref (EsPeerPin *self)
{
  g_return_if_fail (self != NULL);
  if (g_atomic_ref_count_dec (&self->ref_count))
    g_free (self);
}

EsPeerPinKind
es_peer_pin_get_kind (const EsPeerPin *self)
{
  return self->kind;
}

char *
es_peer_pin_to_string (const EsPeerPin *self)
{
  g_autofree char *hex = NULL;

  switch (self->kind)
    {
    case ES_PEER_PIN_FINGERPRINT:
      return es_fingerprint_to_string (self->value);
    case ES_PEER_PIN_SPKI_SHA256:
      hex = es_hex_encode (self->value, ES_SPKI_SHA256_SIZE);
      return g_strdup_printf ("spki-sha256:%s", hex);
    case ES_PEER_PIN_TRUST_ON_FIRST_USE:
    default:
      return g_strdup ("trust-on-first-use");
    }
}

gboolean
es_certificate_get_ed25519_key (const guint8 *certificate_der,
                                gsize         length,
                                guint8       *public_key,
                                GError      **error)
{
  gnutls_x509_crt_t certificate = NULL;
  const gnutls_datum_t der = { (unsigned char *) certificate_der, (unsigned int) length };
  gnutls_datum_t x = { NULL, 0 };
  gnutls_ecc_curve_t curve = GNUTLS_ECC_CURVE_INVALID;
  gboolean ok = FALSE;

  if (length > G_MAXUINT || gnutls_x509_crt_init (&certificate) < 0)
    goto out;
  if (gnutls_x509_crt_import (certificate, &der, GNUTLS_X509_FMT_DER) < 0)
    {
      g_set_error_literal (error, ES_ERROR, ES_ERROR_PROTOCOL,
                           "the peer's certificate does not parse");
      goto out;
    }
  if (gnutls_x509_crt_get_pk_algorithm (certificate, NULL) != GNUTLS_PK_EDDSA_ED25519 ||
      gnutls_x509_crt_get_pk_ecc_raw (certificate, &curve, &x, NULL) < 0 ||
      curve != GNUTLS_ECC_CURVE_ED25519 || x.size != ES_ED25519_PUBLIC_KEY_SIZE)
    {
      g_set_error_literal (error, ES_ERROR, ES_ERROR_PROTOCOL,
                           "the peer's certificate carries no Ed25519 key");
      goto out;
    }

  memcpy (public_key, x.data, ES_ED25519_PUBLIC_KEY_SIZE);
  ok = TRUE;

out:
  if (ok == FALSE && error != NULL && *error == NULL)
    g_set_error_literal (error, ES_ERROR, ES_ERROR_FAILED, "cannot read the peer's certificate");
  gnutls_free (x.data);
  if (certificate != NULL)
    gnutls_x509_crt_deinit (certificate);
  return ok;
}

/* SHA-256 of the certificate's SubjectPublicKeyInfo, as GnuTLS encodes it:
 * works for any key type, which interop tests against foreign servers need. */
static gboolean
certificate_spki_sha256 (const guint8 *certificate_der,
                         gsize         length,
                         guint8       *digest)
{
  gnutls_pubkey_t key = NULL;
  const gnutls_datum_t der = { (unsigned char *) certificate_der, (unsigned int) length };
  gnutls_datum_t spki = { NULL, 0 };
  gboolean ok;

  ok = length <= G_MAXUINT &&
       gnutls_pubkey_init (&key) >= 0 &&
       gnutls_pubkey_import_x509_raw (key, &der, GNUTLS_X509_FMT_DER, 0) >= 0 &&
       gnutls_pubkey_export2 (key, GNUTLS_X509_FMT_DER, &spki) >= 0;
  if (ok)
    crypto_hash_sha256 (digest, spki.data, spki.size);
  gnutls_free (spki.data);
  if (key != NULL)
    gnutls_pubkey_deinit (key);
  return ok;
}

gboolean
es_peer_pin_check (const EsPeerPin *self,
                   const guint8    *certificate_der,
                   gsize            length,
                   char           **peer_fingerprint,
                   GError         **error)
{
  guint8 public_key[ES_ED25519_PUBLIC_KEY_SIZE];
  guint8 fingerprint[ES_FINGERPRINT_SIZE];
  guint8 digest[ES_SPKI_SHA256_SIZE];
  gboolean has_ed25519;

  g_return_val_if_fail (self != NULL, FALSE);

  has_ed25519 = es_certificate_get_ed25519_key (certificate_der, length, public_key,
                                                self->kind == ES_PEER_PIN_SPKI_SHA256 ? NULL : error);

  if (self->kind == ES_PEER_PIN_SPKI_SHA256)
    {
      if (!certificate_spki_sha256 (certificate_der, length, digest) ||
          sodium_memcmp (digest, self->value, ES_SPKI_SHA256_SIZE) != 0)
        {
          g_set_error_literal (error, ES_ERROR, ES_ERROR_PROTOCOL,
                               "the peer's public key does not match the pinned SPKI hash");
          return FALSE;
        }
    }
  else
    {
      if (!has_ed25519)
        return FALSE;
      es_fingerprint_from_public_key (public_key, fingerprint);
      if (self->kind == ES_PEER_PIN_FINGERPRINT &&
          sodium_memcmp (fingerprint, self->value, ES_FINGERPRINT_SIZE) != 0)
        {
          g_autofree char *expected = es_fingerprint_to_string (self->value);
          g_autofree char *got = es_fingerprint_to_string (fingerprint);

          g_set_error (error, ES_ERROR, ES_ERROR_PROTOCOL,
                       "the peer is %s, not the pinned %s", got, expected);
          return FALSE;
        }
    }

  if (peer_fingerprint != NULL)
    *peer_fingerprint = has_ed25519 ? es_fingerprint_for_public_key (public_key) : NULL;
  return TRUE;
}
