/* es-identity.c
 *
 * The Ed25519 key is HKDF-SHA256 (empty salt, IKM = seed, info
 * "warzone-ed25519") used as the Ed25519 seed, so the same 24 words give the
 * same address as WarzonePhone. The TLS certificate is only a carrier for the
 * key: peers check the key's fingerprint, never the certificate's dates or
 * self-signature (DESIGN §4).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsIdentity"

#include "es-identity.h"

#include <gnutls/crypto.h>
#include <gnutls/x509.h>
#include <sodium.h>
#include <string.h>

#include "es-error.h"
#include "es-mnemonic.h"

#define HKDF_INFO_ED25519 "warzone-ed25519"
/* A fixed activation date keeps the certificate identical for one seed. */
#define CERTIFICATE_ACTIVATION 1577836800 /* 2020-01-01T00:00:00Z */

/* The DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410). */
static const guint8 ed25519_spki_prefix[] = {
  0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
};

/* Secrets live in sodium_malloc'd memory: guarded pages, locked, wiped on free. */
typedef struct
{
  guint8 seed[ES_SEED_SIZE];
  guint8 ed25519_seed[crypto_sign_SEEDBYTES];
  guint8 secret_key[crypto_sign_SECRETKEYBYTES];
} Secrets;

struct _EsIdentity
{
  GObject parent_instance;

  Secrets *secrets;
  guint8 public_key[crypto_sign_PUBLICKEYBYTES];
  char *fingerprint;
  GDateTime *created;

  gnutls_x509_privkey_t tls_key;
  gnutls_x509_crt_t tls_certificate;
  gnutls_certificate_credentials_t tls_credentials;
};

G_DEFINE_FINAL_TYPE (EsIdentity, es_identity, G_TYPE_OBJECT)

static void
es_identity_finalize (GObject *object)
{
  EsIdentity *self = ES_IDENTITY (object);

  if (self->tls_credentials != NULL)
    gnutls_certificate_free_credentials (self->tls_credentials);
  if (self->tls_certificate != NULL)
    gnutls_x509_crt_deinit (self->tls_certificate);
  if (self->tls_key != NULL)
    gnutls_x509_privkey_deinit (self->tls_key);
  sodium_free (self->secrets);
  g_free (self->fingerprint);
  g_clear_pointer (&self->created, g_date_time_unref);

  G_OBJECT_CLASS (es_identity_parent_class)->finalize (object);
}

static void
es_identity_class_init (EsIdentityClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = es_identity_finalize;
}

static void
es_identity_init (EsIdentity *self)
{
  if (sodium_init () < 0)
    g_error ("libsodium failed to initialise");
  self->secrets = sodium_malloc (sizeof (Secrets));
  g_assert (self->secrets != NULL);
}

static void
derive_ed25519_seed (const guint8 *seed,
                     guint8       *ed25519_seed)
{
  guint8 prk[32];
  const gnutls_datum_t ikm = { (unsigned char *) seed, ES_SEED_SIZE };
  const gnutls_datum_t salt = { (unsigned char *) "", 0 };
  const gnutls_datum_t prk_datum = { prk, sizeof prk };
  const gnutls_datum_t info = { (unsigned char *) HKDF_INFO_ED25519,
                                sizeof HKDF_INFO_ED25519 - 1 };

  if (gnutls_hkdf_extract (GNUTLS_MAC_SHA256, &ikm, &salt, prk) < 0 ||
      gnutls_hkdf_expand (GNUTLS_MAC_SHA256, &prk_datum, &info,
                          ed25519_seed, crypto_sign_SEEDBYTES) < 0)
    g_error ("HKDF-SHA256 failed");
  sodium_memzero (prk, sizeof prk);
}

/* A self-signed X.509 certificate carrying the Ed25519 key. Everything in it
 * is a function of the key, so it comes out the same for the same seed. */
static void
build_tls_certificate (EsIdentity *self)
{
  guint8 serial[ES_SPKI_SHA256_SIZE];
  const gnutls_datum_t x = { self->public_key, sizeof self->public_key };
  const gnutls_datum_t k = { self->secrets->ed25519_seed, crypto_sign_SEEDBYTES };
  int ret;

  ret = gnutls_x509_privkey_init (&self->tls_key);
  if (ret >= 0)
    ret = gnutls_x509_privkey_import_ecc_raw (self->tls_key, GNUTLS_ECC_CURVE_ED25519,
                                              &x, NULL, &k);
  if (ret >= 0)
    ret = gnutls_x509_crt_init (&self->tls_certificate);

  es_identity_spki_sha256 (self->public_key, serial);
  serial[0] &= 0x7f; /* a positive INTEGER */

  if (ret >= 0)
    ret = gnutls_x509_crt_set_version (self->tls_certificate, 3);
  if (ret >= 0)
    ret = gnutls_x509_crt_set_key (self->tls_certificate, self->tls_key);
  if (ret >= 0)
    ret = gnutls_x509_crt_set_serial (self->tls_certificate, serial, 16);
  if (ret >= 0)
    ret = gnutls_x509_crt_set_activation_time (self->tls_certificate, CERTIFICATE_ACTIVATION);
  if (ret >= 0)
    ret = gnutls_x509_crt_set_expiration_time (self->tls_certificate,
                                               GNUTLS_X509_NO_WELL_DEFINED_EXPIRATION);
  if (ret >= 0)
    ret = gnutls_x509_crt_set_dn_by_oid (self->tls_certificate, GNUTLS_OID_X520_COMMON_NAME, 0,
                                         self->fingerprint, strlen (self->fingerprint));
  if (ret >= 0)
    ret = gnutls_x509_crt_set_basic_constraints (self->tls_certificate, 0, -1);
  if (ret >= 0)
    ret = gnutls_x509_crt_set_key_usage (self->tls_certificate, GNUTLS_KEY_DIGITAL_SIGNATURE);
  if (ret >= 0)
    ret = gnutls_x509_crt_sign2 (self->tls_certificate, self->tls_certificate, self->tls_key,
                                 GNUTLS_DIG_SHA512, 0);
  if (ret >= 0)
    ret = gnutls_certificate_allocate_credentials (&self->tls_credentials);
  if (ret >= 0)
    ret = gnutls_certificate_set_x509_key (self->tls_credentials, &self->tls_certificate, 1,
                                           self->tls_key);
  if (ret < 0)
    g_error ("building the identity certificate failed: %s", gnutls_strerror (ret));
}

EsIdentity *
es_identity_new_from_seed (const guint8 *seed,
                           GDateTime    *created)
{
  EsIdentity *self;

  g_return_val_if_fail (seed != NULL, NULL);

  self = g_object_new (ES_TYPE_IDENTITY, NULL);
  memcpy (self->secrets->seed, seed, ES_SEED_SIZE);
  derive_ed25519_seed (seed, self->secrets->ed25519_seed);
  crypto_sign_seed_keypair (self->public_key, self->secrets->secret_key,
                            self->secrets->ed25519_seed);
  self->fingerprint = es_fingerprint_for_public_key (self->public_key);
  self->created = created != NULL ? g_date_time_ref (created) : g_date_time_new_now_utc ();
  build_tls_certificate (self);

  return self;
}

EsIdentity *
es_identity_new_random (void)
{
  guint8 seed[ES_SEED_SIZE];
  EsIdentity *self;

  if (sodium_init () < 0)
    g_error ("libsodium failed to initialise");
  randombytes_buf (seed, sizeof seed);
  self = es_identity_new_from_seed (seed, NULL);
  sodium_memzero (seed, sizeof seed);
  return self;
}

EsIdentity *
es_identity_new_from_mnemonic (const char *words,
                               GError    **error)
{
  guint8 seed[ES_SEED_SIZE];
  EsIdentity *self;

  if (!es_mnemonic_to_entropy (words, seed, error))
    return NULL;
  self = es_identity_new_from_seed (seed, NULL);
  sodium_memzero (seed, sizeof seed);
  return self;
}

EsIdentity *
es_identity_new_from_hex (const char *hex,
                          GError    **error)
{
  g_autofree char *trimmed = g_strstrip (g_strdup (hex));
  guint8 seed[ES_SEED_SIZE];
  size_t length = 0;
  EsIdentity *self;

  if (strlen (trimmed) != ES_SEED_SIZE * 2 ||
      sodium_hex2bin (seed, sizeof seed, trimmed, strlen (trimmed), NULL, &length, NULL) != 0 ||
      length != ES_SEED_SIZE)
    {
      g_set_error (error, ES_ERROR, ES_ERROR_INVALID_ARGUMENT,
                   "a seed is exactly 64 hex digits (got %zu characters)", strlen (trimmed));
      return NULL;
    }

  self = es_identity_new_from_seed (seed, NULL);
  sodium_memzero (seed, sizeof seed);
  sodium_memzero (trimmed, strlen (trimmed));
  return self;
}

const guint8 *
es_identity_get_seed (EsIdentity *self)
{
  g_return_val_if_fail (ES_IS_IDENTITY (self), NULL);
  return self->secrets->seed;
}

const guint8 *
es_identity_get_public_key (EsIdentity *self)
{
  g_return_val_if_fail (ES_IS_IDENTITY (self), NULL);
  return self->public_key;
}

const char *
es_identity_get_fingerprint (EsIdentity *self)
{
  g_return_val_if_fail (ES_IS_IDENTITY (self), NULL);
  return self->fingerprint;
}

GDateTime *
es_identity_get_created (EsIdentity *self)
{
  g_return_val_if_fail (ES_IS_IDENTITY (self), NULL);
  return self->created;
}

char *
es_identity_export_mnemonic (EsIdentity *self)
{
  g_return_val_if_fail (ES_IS_IDENTITY (self), NULL);
  return es_mnemonic_from_entropy (self->secrets->seed);
}

void
es_identity_sign (EsIdentity   *self,
                  const guint8 *data,
                  gsize         length,
                  guint8       *signature)
{
  g_return_if_fail (ES_IS_IDENTITY (self));
  crypto_sign_detached (signature, NULL, data, length, self->secrets->secret_key);
}

gboolean
es_identity_verify (const guint8 *public_key,
                    const guint8 *data,
                    gsize         length,
                    const guint8 *signature)
{
  return crypto_sign_verify_detached (signature, data, length, public_key) == 0;
}

gnutls_certificate_credentials_t
es_identity_get_tls_credentials (EsIdentity *self)
{
  g_return_val_if_fail (ES_IS_IDENTITY (self), NULL);
  return self->tls_credentials;
}

GBytes *
es_identity_get_certificate_der (EsIdentity *self)
{
  gnutls_datum_t der = { NULL, 0 };
  GBytes *bytes;

  g_return_val_if_fail (ES_IS_IDENTITY (self), NULL);

  if (gnutls_x509_crt_export2 (self->tls_certificate, GNUTLS_X509_FMT_DER, &der) < 0)
    g_error ("exporting the identity certificate failed");
  bytes = g_bytes_new (der.data, der.size);
  gnutls_free (der.data);
  return bytes;
}

/* For interoperability tests with third-party QUIC programs, which load
 * their key and certificate from PEM files. */
gboolean
es_identity_export_tls_pem (EsIdentity *self,
                            char      **certificate_pem,
                            char      **private_key_pem,
                            GError    **error)
{
  gnutls_datum_t certificate = { NULL, 0 };
  gnutls_datum_t key = { NULL, 0 };
  int ret;

  g_return_val_if_fail (ES_IS_IDENTITY (self), FALSE);

  ret = gnutls_x509_crt_export2 (self->tls_certificate, GNUTLS_X509_FMT_PEM, &certificate);
  if (ret >= 0)
    ret = gnutls_x509_privkey_export2_pkcs8 (self->tls_key, GNUTLS_X509_FMT_PEM, NULL,
                                             GNUTLS_PKCS_PLAIN, &key);
  if (ret < 0)
    {
      gnutls_free (certificate.data);
      g_set_error (error, ES_ERROR, ES_ERROR_FAILED,
                   "cannot export the TLS key: %s", gnutls_strerror (ret));
      return FALSE;
    }

  *certificate_pem = g_strndup ((const char *) certificate.data, certificate.size);
  *private_key_pem = g_strndup ((const char *) key.data, key.size);
  gnutls_free (certificate.data);
  gnutls_memset (key.data, 0, key.size);
  gnutls_free (key.data);
  return TRUE;
}

void
es_identity_spki_sha256 (const guint8 *public_key,
                         guint8       *digest)
{
  crypto_hash_sha256_state state;

  crypto_hash_sha256_init (&state);
  crypto_hash_sha256_update (&state, ed25519_spki_prefix, sizeof ed25519_spki_prefix);
  crypto_hash_sha256_update (&state, public_key, ES_ED25519_PUBLIC_KEY_SIZE);
  crypto_hash_sha256_final (&state, digest);
}
