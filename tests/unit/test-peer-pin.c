/* Pins: what a peer's certificate must carry to be accepted.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <gnutls/x509.h>
#include <string.h>

#include "es-error.h"
#include "es-identity.h"
#include "es-peer-pin.h"

static GBytes *
ecdsa_certificate (void)
{
  gnutls_x509_privkey_t key;
  gnutls_x509_crt_t certificate;
  gnutls_datum_t der;
  GBytes *bytes;

  g_assert_cmpint (gnutls_x509_privkey_init (&key), ==, 0);
  g_assert_cmpint (gnutls_x509_privkey_generate (key, GNUTLS_PK_ECDSA,
                                                 GNUTLS_CURVE_TO_BITS (GNUTLS_ECC_CURVE_SECP256R1),
                                                 0), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_init (&certificate), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_set_version (certificate, 3), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_set_key (certificate, key), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_set_serial (certificate, "\x01", 1), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_set_activation_time (certificate, 1577836800), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_set_expiration_time (certificate, 1893456000), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_sign2 (certificate, certificate, key, GNUTLS_DIG_SHA256, 0), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_export2 (certificate, GNUTLS_X509_FMT_DER, &der), ==, 0);
  bytes = g_bytes_new (der.data, der.size);
  gnutls_free (der.data);
  gnutls_x509_crt_deinit (certificate);
  gnutls_x509_privkey_deinit (key);
  return bytes;
}

static gboolean
check (EsPeerPin *pin,
       GBytes    *der,
       char     **fingerprint,
       GError   **error)
{
  return es_peer_pin_check (pin, g_bytes_get_data (der, NULL), g_bytes_get_size (der),
                            fingerprint, error);
}

static void
test_fingerprint_pin (void)
{
  g_autoptr(EsIdentity) peer = es_identity_new_random ();
  g_autoptr(EsIdentity) other = es_identity_new_random ();
  g_autoptr(GBytes) peer_der = es_identity_get_certificate_der (peer);
  g_autoptr(GBytes) other_der = es_identity_get_certificate_der (other);
  guint8 fingerprint[ES_FINGERPRINT_SIZE];
  g_autoptr(EsPeerPin) pin = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *seen = NULL;

  g_assert_true (es_fingerprint_parse (es_identity_get_fingerprint (peer), fingerprint, NULL));
  pin = es_peer_pin_new_fingerprint (fingerprint);

  g_assert_true (check (pin, peer_der, &seen, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (seen, ==, es_identity_get_fingerprint (peer));

  g_assert_false (check (pin, other_der, NULL, &error));
  g_assert_error (error, ES_ERROR, ES_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, es_identity_get_fingerprint (other)));
  g_assert_nonnull (strstr (error->message, es_identity_get_fingerprint (peer)));
}

static void
test_trust_on_first_use_learns_fingerprint (void)
{
  g_autoptr(EsIdentity) peer = es_identity_new_random ();
  g_autoptr(GBytes) der = es_identity_get_certificate_der (peer);
  g_autoptr(EsPeerPin) pin = es_peer_pin_new_trust_on_first_use ();
  g_autofree char *seen = NULL;

  g_assert_true (check (pin, der, &seen, NULL));
  g_assert_cmpstr (seen, ==, es_identity_get_fingerprint (peer));
}

static void
test_certificate_without_ed25519_refused (void)
{
  g_autoptr(GBytes) der = ecdsa_certificate ();
  g_autoptr(EsPeerPin) tofu = es_peer_pin_new_trust_on_first_use ();
  guint8 zero[ES_FINGERPRINT_SIZE] = { 0 };
  g_autoptr(EsPeerPin) pin = es_peer_pin_new_fingerprint (zero);
  g_autoptr(GError) error = NULL;

  g_assert_false (check (tofu, der, NULL, &error));
  g_assert_error (error, ES_ERROR, ES_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, "no Ed25519 key"));
  g_clear_error (&error);
  g_assert_false (check (pin, der, NULL, &error));
  g_assert_error (error, ES_ERROR, ES_ERROR_PROTOCOL);
}

static void
test_garbage_refused (void)
{
  g_autoptr(EsPeerPin) tofu = es_peer_pin_new_trust_on_first_use ();
  static const char text[] = "\x30\x82\x01\x00 not a certificate";
  g_autoptr(GBytes) garbage = g_bytes_new_static (text, sizeof text - 1);
  g_autoptr(GError) error = NULL;

  g_assert_false (check (tofu, garbage, NULL, &error));
  g_assert_error (error, ES_ERROR, ES_ERROR_PROTOCOL);
}

static void
test_spki_pin (void)
{
  g_autoptr(EsIdentity) peer = es_identity_new_random ();
  g_autoptr(GBytes) der = es_identity_get_certificate_der (peer);
  g_autoptr(GBytes) foreign = ecdsa_certificate ();
  guint8 digest[ES_SPKI_SHA256_SIZE];
  g_autoptr(EsPeerPin) pin = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *seen = NULL;

  es_identity_spki_sha256 (es_identity_get_public_key (peer), digest);
  pin = es_peer_pin_new_spki_sha256 (digest);
  g_assert_true (check (pin, der, &seen, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (seen, ==, es_identity_get_fingerprint (peer));

  g_assert_false (check (pin, foreign, NULL, &error));
  g_assert_error (error, ES_ERROR, ES_ERROR_PROTOCOL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/peer-pin/fingerprint", test_fingerprint_pin);
  g_test_add_func ("/peer-pin/trust-on-first-use", test_trust_on_first_use_learns_fingerprint);
  g_test_add_func ("/peer-pin/without-ed25519", test_certificate_without_ed25519_refused);
  g_test_add_func ("/peer-pin/garbage", test_garbage_refused);
  g_test_add_func ("/peer-pin/spki", test_spki_pin);
  return g_test_run ();
}
