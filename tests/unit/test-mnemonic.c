/* BIP39 words for the seed.
 *
 * The vectors are BIP39's published English test vectors (trezor/python-mnemonic
 * vectors.json, 32-byte entropy) and one more computed with Debian's
 * python3-mnemonic: Mnemonic("english").to_mnemonic(bytes.fromhex(HEX)).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "es-error.h"
#include "es-mnemonic.h"

typedef struct
{
  const char *entropy_hex;
  const char *words;
} Vector;

static const Vector vectors[] = {
  { "0000000000000000000000000000000000000000000000000000000000000000",
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon "
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon "
    "abandon art" },
  { "7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f",
    "legal winner thank year wave sausage worth useful legal winner thank year wave sausage "
    "worth useful legal winner thank year wave sausage worth title" },
  { "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    "zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo "
    "zoo vote" },
  { "68a79eaca2324873eacc50cb9c6eca8cc68ea5d936f98787c60c7ebc74e6ce7c",
    "hamster diagram private dutch cause delay private meat slide toddler razor book happy "
    "fancy gospel tennis maple dilemma loan word shrug inflict delay length" },
  { "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
    "abandon amount liar amount expire adjust cage candy arch gather drum bullet absurd math "
    "era live bid rhythm alien crouch range attend journey unaware" },
};

static void
hex_to_bytes (const char *hex,
              guint8     *out)
{
  for (guint i = 0; i < ES_MNEMONIC_ENTROPY_SIZE; i++)
    out[i] = (guint8) (g_ascii_xdigit_value (hex[2 * i]) << 4 | g_ascii_xdigit_value (hex[2 * i + 1]));
}

static void
test_vectors (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (vectors); i++)
    {
      g_autoptr(GError) error = NULL;
      guint8 entropy[ES_MNEMONIC_ENTROPY_SIZE], decoded[ES_MNEMONIC_ENTROPY_SIZE];
      g_autofree char *words = NULL;

      hex_to_bytes (vectors[i].entropy_hex, entropy);
      words = es_mnemonic_from_entropy (entropy);
      g_assert_cmpstr (words, ==, vectors[i].words);

      g_assert_true (es_mnemonic_to_entropy (vectors[i].words, decoded, &error));
      g_assert_no_error (error);
      g_assert_cmpmem (decoded, sizeof decoded, entropy, sizeof entropy);
    }
}

static void
test_round_trip_random (void)
{
  for (guint n = 0; n < 200; n++)
    {
      guint8 entropy[ES_MNEMONIC_ENTROPY_SIZE], decoded[ES_MNEMONIC_ENTROPY_SIZE];
      g_autofree char *words = NULL;

      for (guint i = 0; i < sizeof entropy; i++)
        entropy[i] = (guint8) g_test_rand_int_range (0, 256);
      words = es_mnemonic_from_entropy (entropy);
      g_assert_true (es_mnemonic_to_entropy (words, decoded, NULL));
      g_assert_cmpmem (decoded, sizeof decoded, entropy, sizeof entropy);
    }
}

static void
test_tolerates_case_and_spacing (void)
{
  guint8 decoded[ES_MNEMONIC_ENTROPY_SIZE];
  g_autoptr(GError) error = NULL;

  g_assert_true (es_mnemonic_to_entropy (
    "  Legal WINNER thank year wave sausage worth useful legal winner thank year\n"
    "wave sausage worth useful legal winner thank year wave sausage worth title\n",
    decoded, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (decoded[0], ==, 0x7f);
}

static void
assert_refused (const char *words,
                const char *expected_fragment)
{
  g_autoptr(GError) error = NULL;
  guint8 decoded[ES_MNEMONIC_ENTROPY_SIZE];

  g_assert_false (es_mnemonic_to_entropy (words, decoded, &error));
  g_assert_error (error, ES_ERROR, ES_ERROR_INVALID_ARGUMENT);
  if (strstr (error->message, expected_fragment) == NULL)
    g_error ("“%s” does not mention “%s”", error->message, expected_fragment);
}

static void
test_wrong_word_position (void)
{
  assert_refused ("legal winner thank year wave sausage worth useful legal winner thank yeer "
                  "wave sausage worth useful legal winner thank year wave sausage worth title",
                  "word 12 (“yeer”) is not in the BIP39 English word list; did you mean “deer” or “year”?");
  assert_refused ("legal winner thank year wave sausage worth useful legal winner thank year "
                  "wave sausage worth useful legal winner thank year wave sausage worth qqqqqqqq",
                  "word 24 (“qqqqqqqq”) is not in the BIP39 English word list");
}

static void
test_checksum (void)
{
  /* A valid word in the wrong place: every word is in the list, the
   * checksum is not. */
  assert_refused ("legal winner thank year wave sausage worth useful legal winner thank year "
                  "wave sausage worth useful legal winner thank year wave sausage worth vote",
                  "checksum");
  assert_refused ("winner legal thank year wave sausage worth useful legal winner thank year "
                  "wave sausage worth useful legal winner thank year wave sausage worth title",
                  "checksum");
}

static void
test_word_count (void)
{
  assert_refused ("legal winner thank year", "expected 24 words, got 4");
  assert_refused ("", "expected 24 words, got 0");
  assert_refused ("zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo "
                  "zoo zoo zoo zoo vote zoo", "expected 24 words, got 25");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/mnemonic/vectors", test_vectors);
  g_test_add_func ("/mnemonic/round-trip-random", test_round_trip_random);
  g_test_add_func ("/mnemonic/case-and-spacing", test_tolerates_case_and_spacing);
  g_test_add_func ("/mnemonic/wrong-word-position", test_wrong_word_position);
  g_test_add_func ("/mnemonic/checksum", test_checksum);
  g_test_add_func ("/mnemonic/word-count", test_word_count);
  return g_test_run ();
}
