/* Parsing and writing the user's address.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "es-error.h"
#include "es-fingerprint.h"

static const char canonical[] = "6871:1211:0e91:ecb3:09f6:6f51:d257:ccaa";

static void
test_accepts_written_forms (void)
{
  const char *forms[] = {
    "6871:1211:0e91:ecb3:09f6:6f51:d257:ccaa",
    "6871:1211:0E91:ECB3:09F6:6F51:D257:CCAA",
    "687112110e91ecb309f66f51d257ccaa",
    "687112110E91ECB309F66F51D257CCAA",
  };

  for (guint i = 0; i < G_N_ELEMENTS (forms); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *normal = es_fingerprint_normalize (forms[i], &error);

      g_assert_no_error (error);
      g_assert_cmpstr (normal, ==, canonical);
    }
}

static void
test_refuses_malformed (void)
{
  const char *bad[] = {
    "",
    "6871:1211:0e91:ecb3:09f6:6f51:d257:cca",      /* one digit short */
    "6871:1211:0e91:ecb3:09f6:6f51:d257:ccaa0",    /* one digit long */
    "687112110e91ecb309f66f51d257ccaa00",
    "6871:1211:0e91:ecb3:09f6:6f51:d257:ccag",     /* not hex */
    "68711:211:0e91:ecb3:09f6:6f51:d257:ccaa",     /* colons in the wrong place */
    ":6871:1211:0e91:ecb3:09f6:6f51:d257:ccaa",
    "6871:1211:0e91:ecb3:09f6:6f51:d257:ccaa:",
    "6871::1211:0e91:ecb3:09f6:6f51:d257:ccaa",
    "6871 1211 0e91 ecb3 09f6 6f51 d257 ccaa",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      guint8 fingerprint[ES_FINGERPRINT_SIZE];

      g_assert_false (es_fingerprint_parse (bad[i], fingerprint, &error));
      g_assert_error (error, ES_ERROR, ES_ERROR_INVALID_ARGUMENT);
      g_assert_nonnull (strstr (error->message, "not an Earshot address"));
    }
}

/* SHA-256 of the key, first 16 bytes: the key is the vector of
 * tests/vectors/identity-vector.sh. */
static void
test_from_public_key (void)
{
  static const guint8 public_key[ES_ED25519_PUBLIC_KEY_SIZE] = {
    0x46, 0x70, 0x5b, 0x2f, 0xa5, 0xf2, 0xe0, 0xd9, 0x91, 0x7c, 0xd9, 0x34, 0xf7, 0x6c, 0x44, 0x42,
    0xf8, 0xd8, 0x90, 0x8c, 0x2d, 0xae, 0x92, 0x59, 0x92, 0x2c, 0x0c, 0x52, 0xc1, 0x06, 0x18, 0x3d,
  };
  g_autofree char *text = es_fingerprint_for_public_key (public_key);

  g_assert_cmpstr (text, ==, canonical);
  g_assert_cmpuint (strlen (text), ==, ES_FINGERPRINT_TEXT_LENGTH);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/fingerprint/accepts-written-forms", test_accepts_written_forms);
  g_test_add_func ("/fingerprint/refuses-malformed", test_refuses_malformed);
  g_test_add_func ("/fingerprint/from-public-key", test_from_public_key);
  return g_test_run ();
}
