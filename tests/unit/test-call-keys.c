/* Per-call keys: X25519, the transcript, HKDF, the media keys by role and
 * the safety words (protocol.md §3).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <json-glib/json-glib.h>
#include <string.h>

#include "es-call-keys.h"
#include "es-error.h"

/* Computed by tests/vectors/call-keys-vector.py with Python's
 * `cryptography` (X25519, HKDF-Expand over OpenSSL) and the standard
 * library's HMAC-SHA256 (HKDF-Extract) and SHA-256, independently of
 * libsodium and GnuTLS, which Earshot uses. */
#define VECTOR_CALLER_SECRET "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"
#define VECTOR_CALLEE_SECRET "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
#define VECTOR_CALL_ID       "00112233445566778899aabbccddeeff"
#define VECTOR_OFFER \
  "{\"to\":\"6871:1211:0e91:ecb3:09f6:6f51:d257:ccaa\",\"ephemeral\":" \
  "\"79a631eede1bf9c98f12032cdeadd0e7a079398fc786b88cc846ec89af85a51a\",\"codecs\":[\"opus\"]}"
#define VECTOR_ANSWER \
  "{\"ephemeral\":\"605a725d2a4adfeeb1a29e17edd621c1b7593ee8cdbc44ac6c4ab6e2f805d23c\"," \
  "\"codec\":\"opus\"}"
#define VECTOR_TRANSCRIPT    "9061439fa1c7da3462f11299f33d440d3fe9d2c6d673bf3529ceb84ef52fcd2c"
#define VECTOR_CALLER_TO_CALLEE \
  "711a94bdfe09a57ffd4396a5f563a72ec45158b4fabb6fc54524646a5054cf27"
#define VECTOR_CALLEE_TO_CALLER \
  "81dc6309d57bfc5f144e7cc08753768d0ff64466107122832aec5c6329dbd72f"
#define VECTOR_SAFETY_WORDS  "cruise kite try repeat borrow"

#define CALL_ID "0123456789abcdef0123456789abcdef"

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
from_hex (const char *hex,
          guint8     *data)
{
  for (gsize i = 0; hex[2 * i] != '\0'; i++)
    data[i] = (guint8) (g_ascii_xdigit_value (hex[2 * i]) << 4 |
                        g_ascii_xdigit_value (hex[2 * i + 1]));
}

static char *
take_key_hex (EsCallKeys       *keys,
              EsMediaDirection  direction)
{
  guint8 key[ES_MEDIA_KEY_SIZE];

  g_assert_true (es_call_keys_take_media_key (keys, direction, key));
  return to_hex (key, sizeof key);
}

static char *
offer_body (EsCallKeys *caller)
{
  g_autofree char *ephemeral = es_call_keys_dup_public_key_hex (caller);

  return g_strdup_printf ("{\"to\":\"x\",\"ephemeral\":\"%s\",\"time\":1}", ephemeral);
}

static char *
answer_body (EsCallKeys *callee)
{
  g_autofree char *ephemeral = es_call_keys_dup_public_key_hex (callee);

  return g_strdup_printf ("{\"ephemeral\":\"%s\",\"codec\":\"opus\"}", ephemeral);
}

static EsCallKeys *
keys_from_hex (EsCallRole  role,
               const char *secret_hex)
{
  guint8 secret[ES_X25519_KEY_SIZE];

  from_hex (secret_hex, secret);
  return es_call_keys_new_from_secret_key (role, secret);
}

static void
assert_vector (EsCallKeys *keys)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *transcript = NULL;
  g_autofree char *words = NULL;
  g_autofree char *sending = NULL;
  g_autofree char *receiving = NULL;
  gboolean caller = es_call_keys_get_role (keys) == ES_CALL_ROLE_CALLER;

  g_assert_true (es_call_keys_derive (keys, VECTOR_CALL_ID, VECTOR_OFFER, VECTOR_ANSWER, &error));
  g_assert_no_error (error);

  transcript = to_hex (es_call_keys_get_transcript_hash (keys), ES_TRANSCRIPT_HASH_SIZE);
  g_assert_cmpstr (transcript, ==, VECTOR_TRANSCRIPT);
  words = g_strjoinv (" ", (char **) es_call_keys_get_safety_words (keys));
  g_assert_cmpstr (words, ==, VECTOR_SAFETY_WORDS);
  sending = take_key_hex (keys, ES_MEDIA_DIRECTION_SENDING);
  receiving = take_key_hex (keys, ES_MEDIA_DIRECTION_RECEIVING);
  g_assert_cmpstr (sending, ==, caller ? VECTOR_CALLER_TO_CALLEE : VECTOR_CALLEE_TO_CALLER);
  g_assert_cmpstr (receiving, ==, caller ? VECTOR_CALLEE_TO_CALLER : VECTOR_CALLER_TO_CALLEE);
}

static void
test_known_answer (void)
{
  g_autoptr(EsCallKeys) caller = keys_from_hex (ES_CALL_ROLE_CALLER, VECTOR_CALLER_SECRET);
  g_autoptr(EsCallKeys) callee = keys_from_hex (ES_CALL_ROLE_CALLEE, VECTOR_CALLEE_SECRET);
  g_autofree char *caller_public = es_call_keys_dup_public_key_hex (caller);

  g_assert_cmpstr (caller_public, ==,
                   "79a631eede1bf9c98f12032cdeadd0e7a079398fc786b88cc846ec89af85a51a");
  assert_vector (caller);
  assert_vector (callee);
}

static void
derive_pair (EsCallKeys *caller,
             EsCallKeys *callee,
             const char *call_id)
{
  g_autofree char *offer = offer_body (caller);
  g_autofree char *answer = answer_body (callee);
  g_autoptr(GError) error = NULL;

  g_assert_true (es_call_keys_derive (caller, call_id, offer, answer, &error));
  g_assert_no_error (error);
  g_assert_true (es_call_keys_derive (callee, call_id, offer, answer, &error));
  g_assert_no_error (error);
}

static void
test_both_sides_agree (void)
{
  g_autoptr(EsCallKeys) caller = es_call_keys_new (ES_CALL_ROLE_CALLER);
  g_autoptr(EsCallKeys) callee = es_call_keys_new (ES_CALL_ROLE_CALLEE);
  g_autofree char *caller_sends = NULL;
  g_autofree char *caller_receives = NULL;
  g_autofree char *callee_sends = NULL;
  g_autofree char *callee_receives = NULL;
  const char * const *caller_words;
  const char * const *callee_words;

  derive_pair (caller, callee, CALL_ID);

  g_assert_cmpmem (es_call_keys_get_transcript_hash (caller), ES_TRANSCRIPT_HASH_SIZE,
                   es_call_keys_get_transcript_hash (callee), ES_TRANSCRIPT_HASH_SIZE);
  caller_words = es_call_keys_get_safety_words (caller);
  callee_words = es_call_keys_get_safety_words (callee);
  g_assert_cmpuint (g_strv_length ((char **) caller_words), ==, ES_SAFETY_WORD_COUNT);
  g_assert_true (g_strv_equal ((const char * const *) caller_words, callee_words));

  caller_sends = take_key_hex (caller, ES_MEDIA_DIRECTION_SENDING);
  caller_receives = take_key_hex (caller, ES_MEDIA_DIRECTION_RECEIVING);
  callee_sends = take_key_hex (callee, ES_MEDIA_DIRECTION_SENDING);
  callee_receives = take_key_hex (callee, ES_MEDIA_DIRECTION_RECEIVING);
  g_assert_cmpstr (caller_sends, ==, callee_receives);
  g_assert_cmpstr (callee_sends, ==, caller_receives);
  g_assert_cmpstr (caller_sends, !=, caller_receives);
}

/* Same key pairs, another call id: nothing derived is the same. */
static void
test_transcript_changes_everything (void)
{
  g_autoptr(EsCallKeys) caller_a = keys_from_hex (ES_CALL_ROLE_CALLER, VECTOR_CALLER_SECRET);
  g_autoptr(EsCallKeys) callee_a = keys_from_hex (ES_CALL_ROLE_CALLEE, VECTOR_CALLEE_SECRET);
  g_autoptr(EsCallKeys) caller_b = keys_from_hex (ES_CALL_ROLE_CALLER, VECTOR_CALLER_SECRET);
  g_autoptr(EsCallKeys) callee_b = keys_from_hex (ES_CALL_ROLE_CALLEE, VECTOR_CALLEE_SECRET);
  g_autofree char *key_a = NULL;
  g_autofree char *key_b = NULL;
  g_autofree char *words_a = NULL;
  g_autofree char *words_b = NULL;

  derive_pair (caller_a, callee_a, CALL_ID);
  derive_pair (caller_b, callee_b, "fedcba9876543210fedcba9876543210");

  g_assert_true (memcmp (es_call_keys_get_transcript_hash (caller_a),
                         es_call_keys_get_transcript_hash (caller_b),
                         ES_TRANSCRIPT_HASH_SIZE) != 0);
  key_a = take_key_hex (caller_a, ES_MEDIA_DIRECTION_SENDING);
  key_b = take_key_hex (caller_b, ES_MEDIA_DIRECTION_SENDING);
  g_assert_cmpstr (key_a, !=, key_b);
  words_a = g_strjoinv (" ", (char **) es_call_keys_get_safety_words (caller_a));
  words_b = g_strjoinv (" ", (char **) es_call_keys_get_safety_words (caller_b));
  g_assert_cmpstr (words_a, !=, words_b);
}

/* A body altered anywhere (here one byte the relay might "normalise")
 * gives other keys and other words. */
static void
test_body_byte_changes_keys (void)
{
  g_autoptr(EsCallKeys) caller = keys_from_hex (ES_CALL_ROLE_CALLER, VECTOR_CALLER_SECRET);
  g_autoptr(EsCallKeys) callee = keys_from_hex (ES_CALL_ROLE_CALLEE, VECTOR_CALLEE_SECRET);
  g_autoptr(GError) error = NULL;
  g_autofree char *altered = g_strdup (VECTOR_ANSWER);
  g_autofree char *caller_key = NULL;
  g_autofree char *callee_key = NULL;

  *strstr (altered, "opus") = 'O';
  g_assert_true (es_call_keys_derive (caller, VECTOR_CALL_ID, VECTOR_OFFER, VECTOR_ANSWER, &error));
  g_assert_true (es_call_keys_derive (callee, VECTOR_CALL_ID, VECTOR_OFFER, altered, &error));
  g_assert_no_error (error);
  caller_key = take_key_hex (caller, ES_MEDIA_DIRECTION_SENDING);
  callee_key = take_key_hex (callee, ES_MEDIA_DIRECTION_RECEIVING);
  g_assert_cmpstr (caller_key, !=, callee_key);
  g_assert_false (g_strv_equal (es_call_keys_get_safety_words (caller),
                                es_call_keys_get_safety_words (callee)));
}

/* Points of small order on Curve25519 (and their non-canonical encodings):
 * X25519 with any of them gives zero whatever the secret. */
static const char * const low_order_points[] = {
  "0000000000000000000000000000000000000000000000000000000000000000",
  "0100000000000000000000000000000000000000000000000000000000000000",
  "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
  "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
  "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
};

static void
test_low_order_peer_key_refused (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (low_order_points); i++)
    {
      g_autoptr(EsCallKeys) caller = es_call_keys_new (ES_CALL_ROLE_CALLER);
      g_autoptr(GError) error = NULL;
      g_autofree char *offer = offer_body (caller);
      g_autofree char *answer = g_strdup_printf ("{\"ephemeral\":\"%s\"}", low_order_points[i]);
      guint8 key[ES_MEDIA_KEY_SIZE];

      g_assert_false (es_call_keys_derive (caller, CALL_ID, offer, answer, &error));
      g_assert_error (error, ES_ERROR, ES_ERROR_PROTOCOL);
      g_assert_nonnull (strstr (error->message, "low-order"));
      g_assert_false (es_call_keys_is_derived (caller));
      g_assert_false (es_call_keys_take_media_key (caller, ES_MEDIA_DIRECTION_SENDING, key));
    }
}

static void
test_bodies_must_carry_the_keys (void)
{
  g_autoptr(EsCallKeys) caller = es_call_keys_new (ES_CALL_ROLE_CALLER);
  g_autoptr(EsCallKeys) other = es_call_keys_new (ES_CALL_ROLE_CALLER);
  g_autoptr(EsCallKeys) callee = es_call_keys_new (ES_CALL_ROLE_CALLEE);
  g_autofree char *offer = offer_body (caller);
  g_autofree char *other_offer = offer_body (other);
  g_autofree char *answer = answer_body (callee);
  g_autofree char *upper = g_ascii_strup (answer, -1);
  struct {
    const char *call_id;
    const char *offer;
    const char *answer;
    GQuark domain;
    int code;
  } cases[] = {
    { CALL_ID, other_offer, answer, ES_ERROR, ES_ERROR_INVALID_ARGUMENT },
    { CALL_ID, offer, "{\"ephemeral\":\"abcd\"}", ES_ERROR, ES_ERROR_PROTOCOL },
    { CALL_ID, offer, "{\"ephemeral\":5}", ES_ERROR, ES_ERROR_PROTOCOL },
    { CALL_ID, offer, "{}", ES_ERROR, ES_ERROR_PROTOCOL },
    { CALL_ID, offer, "[1]", ES_ERROR, ES_ERROR_PROTOCOL },
    { CALL_ID, offer, "{\"ephemeral\":", ES_ERROR, ES_ERROR_PROTOCOL },
    { CALL_ID, offer, upper, ES_ERROR, ES_ERROR_PROTOCOL },
    { "0123", offer, answer, ES_ERROR, ES_ERROR_INVALID_ARGUMENT },
    { "0123456789ABCDEF0123456789ABCDEF", offer, answer, ES_ERROR, ES_ERROR_INVALID_ARGUMENT },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_false (es_call_keys_derive (caller, cases[i].call_id, cases[i].offer,
                                           cases[i].answer, &error));
      g_assert_error (error, cases[i].domain, cases[i].code);
      g_assert_false (es_call_keys_is_derived (caller));
    }
}

static void
test_once_only (void)
{
  g_autoptr(EsCallKeys) caller = es_call_keys_new (ES_CALL_ROLE_CALLER);
  g_autoptr(EsCallKeys) callee = es_call_keys_new (ES_CALL_ROLE_CALLEE);
  g_autofree char *offer = offer_body (caller);
  g_autofree char *answer = answer_body (callee);
  g_autoptr(GError) error = NULL;
  guint8 key[ES_MEDIA_KEY_SIZE];
  guint8 again[ES_MEDIA_KEY_SIZE];

  g_assert_false (es_call_keys_take_media_key (caller, ES_MEDIA_DIRECTION_SENDING, key));
  derive_pair (caller, callee, CALL_ID);

  /* The ephemeral secret is gone: a second derivation is impossible. */
  g_assert_false (es_call_keys_derive (caller, CALL_ID, offer, answer, &error));
  g_assert_error (error, ES_ERROR, ES_ERROR_FAILED);

  /* A media key can be taken once: afterwards only its cipher holds it. */
  g_assert_true (es_call_keys_take_media_key (caller, ES_MEDIA_DIRECTION_SENDING, key));
  memset (again, 0x55, sizeof again);
  g_assert_false (es_call_keys_take_media_key (caller, ES_MEDIA_DIRECTION_SENDING, again));
  g_assert_true (es_call_keys_take_media_key (caller, ES_MEDIA_DIRECTION_RECEIVING, again));
  g_assert_true (memcmp (key, again, sizeof key) != 0);
}

int
main (int argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/call-keys/known-answer", test_known_answer);
  g_test_add_func ("/call-keys/both-sides-agree", test_both_sides_agree);
  g_test_add_func ("/call-keys/transcript-changes-everything", test_transcript_changes_everything);
  g_test_add_func ("/call-keys/body-byte-changes-keys", test_body_byte_changes_keys);
  g_test_add_func ("/call-keys/low-order-peer-key-refused", test_low_order_peer_key_refused);
  g_test_add_func ("/call-keys/bodies-must-carry-the-keys", test_bodies_must_carry_the_keys);
  g_test_add_func ("/call-keys/once-only", test_once_only);

  return g_test_run ();
}
