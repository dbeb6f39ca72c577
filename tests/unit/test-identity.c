/* Keys, address, signatures and the TLS certificate of an identity.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <gnutls/abstract.h>
#include <gnutls/x509.h>
#include <string.h>

#include "es-error.h"
#include "es-identity.h"
#include "es-mnemonic.h"
#include "es-peer-pin.h"

/* Computed with OpenSSL alone by tests/vectors/identity-vector.sh (HKDF from
 * `openssl kdf`, Ed25519 from `openssl pkey`, SHA-256 from `openssl dgst`),
 * which the cli suite also re-runs against random seeds. */
typedef struct
{
  const char *seed;
  const char *public_key;
  const char *fingerprint;
} Vector;

static const Vector vectors[] = {
  { "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
    "46705b2fa5f2e0d9917cd934f76c4442f8d8908c2dae9259922c0c52c106183d",
    "6871:1211:0e91:ecb3:09f6:6f51:d257:ccaa" },
  { "5555555555555555555555555555555555555555555555555555555555555555",
    "21ea6370aceef4cf61a6ced389fdb16915edb1e1ff078b27a75f1d20fce9471b",
    "eb6d:ce47:7a66:fd12:3a0b:39f9:874a:e69b" },
  { "0000000000000000000000000000000000000000000000000000000000000000",
    "a0132a15a473e4478c1399ff727b7afac413310884ad9f126b5610d4ceae94a8",
    "27ba:36eb:371e:ea99:e7d0:ee57:3165:e50e" },
};

static char *
to_hex (const guint8 *data,
        gsize         length)
{
  GString *hex = g_string_new (NULL);

  for (gsize i = 0; i < length; i++)
    g_string_append_printf (hex, "%02x", data[i]);
  return g_string_free (hex, FALSE);
}

static void
test_derivation_vectors (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (vectors); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(EsIdentity) identity = es_identity_new_from_hex (vectors[i].seed, &error);
      g_autofree char *public_key = NULL;

      g_assert_no_error (error);
      public_key = to_hex (es_identity_get_public_key (identity), ES_ED25519_PUBLIC_KEY_SIZE);
      g_assert_cmpstr (public_key, ==, vectors[i].public_key);
      g_assert_cmpstr (es_identity_get_fingerprint (identity), ==, vectors[i].fingerprint);
    }
}

static void
test_mnemonic_restores_same_address (void)
{
  g_autoptr(EsIdentity) identity = es_identity_new_random ();
  g_autofree char *words = es_identity_export_mnemonic (identity);
  g_autoptr(EsIdentity) restored = NULL;
  g_auto(GStrv) split = g_strsplit (words, " ", -1);
  g_autoptr(GError) error = NULL;

  g_assert_cmpuint (g_strv_length (split), ==, 24);
  restored = es_identity_new_from_mnemonic (words, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (es_identity_get_fingerprint (restored), ==,
                   es_identity_get_fingerprint (identity));
  g_assert_cmpmem (es_identity_get_seed (restored), ES_SEED_SIZE,
                   es_identity_get_seed (identity), ES_SEED_SIZE);
}

static void
test_hex_refused (void)
{
  const char *bad[] = {
    "",
    "00010203",
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1",
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f00",
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1g",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_null (es_identity_new_from_hex (bad[i], &error));
      g_assert_error (error, ES_ERROR, ES_ERROR_INVALID_ARGUMENT);
    }
}

static void
test_sign_and_verify (void)
{
  g_autoptr(EsIdentity) alice = es_identity_new_random ();
  g_autoptr(EsIdentity) bob = es_identity_new_random ();
  guint8 message[] = "call-offer from alice to bob";
  guint8 signature[ES_ED25519_SIGNATURE_SIZE];

  es_identity_sign (alice, message, sizeof message, signature);
  g_assert_true (es_identity_verify (es_identity_get_public_key (alice), message, sizeof message,
                                     signature));
  g_assert_false (es_identity_verify (es_identity_get_public_key (bob), message, sizeof message,
                                      signature));
  message[0] ^= 1;
  g_assert_false (es_identity_verify (es_identity_get_public_key (alice), message, sizeof message,
                                      signature));
}

static void
test_certificate_is_deterministic (void)
{
  g_autoptr(EsIdentity) first = es_identity_new_from_hex (vectors[0].seed, NULL);
  g_autoptr(EsIdentity) second = es_identity_new_from_hex (vectors[0].seed, NULL);
  g_autoptr(GBytes) der1 = es_identity_get_certificate_der (first);
  g_autoptr(GBytes) der2 = es_identity_get_certificate_der (second);

  g_assert_true (g_bytes_equal (der1, der2));
}

static void
test_certificate_carries_key (void)
{
  g_autoptr(EsIdentity) identity = es_identity_new_random ();
  g_autoptr(GBytes) der = es_identity_get_certificate_der (identity);
  guint8 public_key[ES_ED25519_PUBLIC_KEY_SIZE];
  g_autoptr(GError) error = NULL;

  g_assert_true (es_certificate_get_ed25519_key (g_bytes_get_data (der, NULL),
                                                 g_bytes_get_size (der), public_key, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (public_key, sizeof public_key,
                   es_identity_get_public_key (identity), ES_ED25519_PUBLIC_KEY_SIZE);
}

/* The SPKI pin computed from the raw key equals SHA-256 of what GnuTLS
 * itself exports as the certificate's SubjectPublicKeyInfo. */
static void
test_spki_pin_matches_gnutls (void)
{
  g_autoptr(EsIdentity) identity = es_identity_new_random ();
  g_autoptr(GBytes) der = es_identity_get_certificate_der (identity);
  const gnutls_datum_t datum = { (unsigned char *) g_bytes_get_data (der, NULL),
                                 (unsigned int) g_bytes_get_size (der) };
  gnutls_pubkey_t key;
  gnutls_datum_t spki;
  guint8 expected[ES_SPKI_SHA256_SIZE], computed[ES_SPKI_SHA256_SIZE];
  size_t size = sizeof expected;

  g_assert_cmpint (gnutls_pubkey_init (&key), ==, 0);
  g_assert_cmpint (gnutls_pubkey_import_x509_raw (key, &datum, GNUTLS_X509_FMT_DER, 0), ==, 0);
  g_assert_cmpint (gnutls_pubkey_export2 (key, GNUTLS_X509_FMT_DER, &spki), ==, 0);
  g_assert_cmpint (gnutls_fingerprint (GNUTLS_DIG_SHA256, &spki, expected, &size), ==, 0);
  es_identity_spki_sha256 (es_identity_get_public_key (identity), computed);
  g_assert_cmpmem (computed, sizeof computed, expected, sizeof expected);
  gnutls_free (spki.data);
  gnutls_pubkey_deinit (key);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/identity/derivation-vectors", test_derivation_vectors);
  g_test_add_func ("/identity/mnemonic-restores-same-address", test_mnemonic_restores_same_address);
  g_test_add_func ("/identity/hex-refused", test_hex_refused);
  g_test_add_func ("/identity/sign-and-verify", test_sign_and_verify);
  g_test_add_func ("/identity/certificate-is-deterministic", test_certificate_is_deterministic);
  g_test_add_func ("/identity/certificate-carries-key", test_certificate_carries_key);
  g_test_add_func ("/identity/spki-pin-matches-gnutls", test_spki_pin_matches_gnutls);
  return g_test_run ();
}
