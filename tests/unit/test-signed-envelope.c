/* Signed envelopes between the two parties of a call (protocol.md §2.2):
 * what the relay carries but must not be able to forge or alter.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <sodium.h>
#include <string.h>

#include "es-error.h"
#include "es-json.h"
#include "es-signed-envelope.h"
#include "es-strict-json.h"

#define CALL_ID "0123456789abcdef0123456789abcdef"

static const char base64_alphabet[] =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

typedef struct
{
  EsIdentity *alice;
  EsIdentity *bob;
  EsIdentity *mallory;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  fixture->alice = es_identity_new_random ();
  fixture->bob = es_identity_new_random ();
  fixture->mallory = es_identity_new_random ();
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_clear_object (&fixture->alice);
  g_clear_object (&fixture->bob);
  g_clear_object (&fixture->mallory);
}

static char *
to_hex (const guint8 *data,
        gsize         length)
{
  GString *hex = g_string_new (NULL);

  for (gsize i = 0; i < length; i++)
    g_string_append_printf (hex, "%02x", data[i]);
  return g_string_free (hex, FALSE);
}

/* The body of a call-offer from `from` to `to`, carrying key's public key. */
static JsonObject *
offer_body (EsIdentity *key,
            EsIdentity *to)
{
  JsonObject *body = json_object_new ();
  g_autofree char *key_hex = to_hex (es_identity_get_public_key (key),
                                     ES_ED25519_PUBLIC_KEY_SIZE);

  json_object_set_string_member (body, "to", es_identity_get_fingerprint (to));
  json_object_set_string_member (body, "key", key_hex);
  json_object_set_string_member (body, "ephemeral", "00");
  json_object_set_int_member (body, "generation", 0);
  return body;
}

static JsonObject *
candidates_body (void)
{
  JsonObject *body = json_object_new ();

  json_object_set_int_member (body, "generation", 3);
  json_object_set_string_member (body, "note", "ünïcødé \"quoted\" \\ / \t");
  return body;
}

/* What the peer receives: the message serialised and read back. */
static JsonObject *
over_the_wire (JsonObject *message)
{
  g_autofree char *text = es_json_to_string (message);
  g_autoptr(GError) error = NULL;
  JsonObject *received = es_json_from_string (text, -1, &error);

  g_assert_no_error (error);
  return received;
}

static EsSignedEnvelope *
sign (EsIdentity *identity,
      const char *type,
      JsonObject *body)
{
  g_autoptr(GError) error = NULL;
  EsSignedEnvelope *envelope = es_signed_envelope_new (identity, type, CALL_ID, body, &error);

  g_assert_no_error (error);
  g_assert_nonnull (envelope);
  return envelope;
}

static EsSignedEnvelope *
receive (JsonObject *message,
         GError    **error)
{
  g_autoptr(JsonObject) received = over_the_wire (message);

  return es_signed_envelope_parse (received, error);
}

static void
test_round_trip (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(JsonObject) body = candidates_body ();
  g_autoptr(EsSignedEnvelope) sent = sign (fixture->alice, "candidates", body);
  g_autoptr(JsonObject) message = es_signed_envelope_to_json (sent);
  g_autoptr(EsSignedEnvelope) received = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GList) members = json_object_get_members (message);
  gint64 generation = 0;

  /* The members of protocol.md §2.2, in order. */
  g_assert_cmpuint (g_list_length (members), ==, 6);
  g_assert_cmpstr (g_list_nth_data (members, 0), ==, "type");
  g_assert_cmpstr (g_list_nth_data (members, 5), ==, "sig");
  g_assert_null (es_signed_envelope_get_to (sent));

  received = receive (message, &error);
  g_assert_no_error (error);
  g_assert_true (es_signed_envelope_verify (received, es_identity_get_public_key (fixture->alice),
                                            &error));
  g_assert_no_error (error);

  g_assert_cmpstr (es_signed_envelope_get_message_type (received), ==, "candidates");
  g_assert_cmpstr (es_signed_envelope_get_call_id (received), ==, CALL_ID);
  g_assert_cmpstr (es_signed_envelope_get_from (received), ==,
                   es_identity_get_fingerprint (fixture->alice));
  g_assert_cmpstr (es_signed_envelope_get_body_text (received), ==,
                   es_signed_envelope_get_body_text (sent));
  g_assert_true (es_json_get_int (es_signed_envelope_get_body (received), "generation",
                                  &generation));
  g_assert_cmpint (generation, ==, 3);
  g_assert_cmpstr (es_json_get_string (es_signed_envelope_get_body (received), "note"), ==,
                   "ünïcødé \"quoted\" \\ / \t");
}

static void
test_offer_carries_to_and_key (Fixture       *fixture,
                               gconstpointer  data)
{
  g_autoptr(JsonObject) body = offer_body (fixture->alice, fixture->bob);
  g_autoptr(EsSignedEnvelope) sent = sign (fixture->alice, "call-offer", body);
  g_autoptr(JsonObject) message = es_signed_envelope_to_json (sent);
  g_autoptr(EsSignedEnvelope) received = NULL;
  g_autoptr(GError) error = NULL;
  guint8 key[ES_ED25519_PUBLIC_KEY_SIZE];
  g_autofree char *digest = NULL;
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);

  g_assert_cmpstr (es_json_get_string (message, "to"), ==,
                   es_identity_get_fingerprint (fixture->bob));

  received = receive (message, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (es_signed_envelope_get_to (received), ==,
                   es_identity_get_fingerprint (fixture->bob));
  g_assert_true (es_signed_envelope_verify_body_key (received, key, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (key, sizeof key, es_identity_get_public_key (fixture->alice),
                   ES_ED25519_PUBLIC_KEY_SIZE);

  /* The answer's "offer" member: SHA-256 of the exact body bytes. */
  g_checksum_update (checksum, (const guchar *) es_signed_envelope_get_body_text (received), -1);
  digest = es_signed_envelope_dup_body_sha256_hex (received);
  g_assert_cmpstr (digest, ==, g_checksum_get_string (checksum));
}

static void
assert_verify_fails (JsonObject   *message,
                     const guint8 *public_key,
                     const char   *reason)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EsSignedEnvelope) received = receive (message, &error);

  g_assert_no_error (error);
  g_assert_false (es_signed_envelope_verify (received, public_key, &error));
  g_assert_error (error, ES_ERROR, ES_ERROR_PROTOCOL);
  g_assert_cmpstr (error->message, ==, reason);
}

/* Every member the signature covers, changed to another valid value, makes
 * the envelope fail; "from" fails by not matching the key. */
static void
test_tampering_refused (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(JsonObject) body = candidates_body ();
  g_autoptr(EsSignedEnvelope) sent = sign (fixture->alice, "candidates", body);
  const guint8 *alice_key = es_identity_get_public_key (fixture->alice);
  const guint8 *bob_key = es_identity_get_public_key (fixture->bob);
  g_autofree char *body_text = g_strdup (es_signed_envelope_get_body_text (sent));
  g_autoptr(JsonObject) message = NULL;
  guint8 signature[ES_ED25519_SIGNATURE_SIZE];
  char signature_text[sodium_base64_ENCODED_LEN (ES_ED25519_SIGNATURE_SIZE,
                                                 sodium_base64_VARIANT_ORIGINAL)];

  message = es_signed_envelope_to_json (sent);
  json_object_set_string_member (message, "type", "hangup");
  assert_verify_fails (message, alice_key, "signature does not verify");
  g_clear_pointer (&message, json_object_unref);

  message = es_signed_envelope_to_json (sent);
  json_object_set_string_member (message, "call_id", "0123456789abcdef0123456789abcde0");
  assert_verify_fails (message, alice_key, "signature does not verify");
  g_clear_pointer (&message, json_object_unref);

  message = es_signed_envelope_to_json (sent);
  json_object_set_string_member (message, "from", es_identity_get_fingerprint (fixture->bob));
  assert_verify_fails (message, alice_key, "from does not match the key");
  assert_verify_fails (message, bob_key, "signature does not verify");
  g_clear_pointer (&message, json_object_unref);

  /* One byte of the body, still valid JSON: 3 → 4. */
  message = es_signed_envelope_to_json (sent);
  *strchr (body_text, '3') = '4';
  json_object_set_string_member (message, "body", body_text);
  assert_verify_fails (message, alice_key, "signature does not verify");
  g_clear_pointer (&message, json_object_unref);

  /* One bit of the signature, still canonical base64 of 64 bytes. */
  message = es_signed_envelope_to_json (sent);
  g_assert_cmpint (sodium_base642bin (signature, sizeof signature,
                                      es_json_get_string (message, "sig"),
                                      strlen (es_json_get_string (message, "sig")), NULL, NULL,
                                      NULL, sodium_base64_VARIANT_ORIGINAL), ==, 0);
  for (guint i = 0; i < sizeof signature; i += 9)
    {
      signature[i] ^= 0x01;
      sodium_bin2base64 (signature_text, sizeof signature_text, signature, sizeof signature,
                         sodium_base64_VARIANT_ORIGINAL);
      json_object_set_string_member (message, "sig", signature_text);
      assert_verify_fails (message, alice_key, "signature does not verify");
      signature[i] ^= 0x01;
    }
  g_clear_pointer (&message, json_object_unref);

  /* The untouched message still verifies: the failures above are the edits. */
  message = es_signed_envelope_to_json (sent);
  {
    g_autoptr(EsSignedEnvelope) received = receive (message, NULL);

    g_assert_true (es_signed_envelope_verify (received, alice_key, NULL));
  }
}

/* Mallory claims to be Alice calling Bob. With her own key in the body, the
 * key does not give Alice's fingerprint; with Alice's key in the body, her
 * signature does not verify under it. Either way Bob refuses. */
static void
test_forged_offer (Fixture       *fixture,
                   gconstpointer  data)
{
  const char *alice = es_identity_get_fingerprint (fixture->alice);
  g_autoptr(JsonObject) own_key = offer_body (fixture->mallory, fixture->bob);
  g_autoptr(JsonObject) stolen_key = offer_body (fixture->alice, fixture->bob);
  g_autoptr(EsSignedEnvelope) first = sign (fixture->mallory, "call-offer", own_key);
  g_autoptr(EsSignedEnvelope) second = sign (fixture->mallory, "call-offer", stolen_key);
  g_autoptr(JsonObject) message = NULL;
  g_autoptr(EsSignedEnvelope) received = NULL;
  g_autoptr(GError) error = NULL;
  guint8 key[ES_ED25519_PUBLIC_KEY_SIZE];

  message = es_signed_envelope_to_json (first);
  json_object_set_string_member (message, "from", alice);
  received = receive (message, &error);
  g_assert_no_error (error);
  g_assert_false (es_signed_envelope_verify_body_key (received, key, &error));
  g_assert_error (error, ES_ERROR, ES_ERROR_PROTOCOL);
  g_assert_cmpstr (error->message, ==, "from does not match the key");
  g_clear_error (&error);
  g_clear_pointer (&received, es_signed_envelope_unref);
  g_clear_pointer (&message, json_object_unref);

  message = es_signed_envelope_to_json (second);
  json_object_set_string_member (message, "from", alice);
  received = receive (message, &error);
  g_assert_no_error (error);
  g_assert_false (es_signed_envelope_verify_body_key (received, key, &error));
  g_assert_error (error, ES_ERROR, ES_ERROR_PROTOCOL);
  g_assert_cmpstr (error->message, ==, "signature does not verify");
  g_clear_error (&error);

  /* Bob, who knows Alice's key already, refuses it too. */
  g_assert_false (es_signed_envelope_verify (received, es_identity_get_public_key (fixture->alice),
                                             &error));
  g_assert_cmpstr (error->message, ==, "signature does not verify");
}

typedef enum {
  REMOVE,
  SET_STRING,
  SET_INT,
  SET_DOUBLE,
  SET_NULL,
} EditKind;

typedef struct
{
  const char *member;
  EditKind kind;
  const char *text;
  gint64 number;
  const char *reason;
} Edit;

static void
apply_edit (JsonObject *message,
            const Edit *edit)
{
  switch (edit->kind)
    {
    case REMOVE:
      json_object_remove_member (message, edit->member);
      break;
    case SET_STRING:
      json_object_set_string_member (message, edit->member, edit->text);
      break;
    case SET_INT:
      json_object_set_int_member (message, edit->member, edit->number);
      break;
    case SET_DOUBLE:
      json_object_set_double_member (message, edit->member, (double) edit->number);
      break;
    case SET_NULL:
    default:
      json_object_set_null_member (message, edit->member);
      break;
    }
}

static void
assert_parse_refuses (EsSignedEnvelope *sent,
                      const Edit       *edits,
                      gsize             n_edits)
{
  for (gsize i = 0; i < n_edits; i++)
    {
      g_autoptr(JsonObject) message = es_signed_envelope_to_json (sent);
      g_autoptr(EsSignedEnvelope) received = NULL;
      g_autoptr(GError) error = NULL;

      apply_edit (message, &edits[i]);
      received = receive (message, &error);
      if (received != NULL)
        g_error ("edit %zu (%s) was accepted", i, edits[i].member);
      g_assert_error (error, ES_ERROR, ES_ERROR_PROTOCOL);
      if (strstr (error->message, edits[i].reason) == NULL)
        g_error ("edit %zu (%s): “%s” does not say “%s”", i, edits[i].member, error->message,
                 edits[i].reason);
    }
}

static void
test_malformed_refused (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(JsonObject) body = candidates_body ();
  g_autoptr(EsSignedEnvelope) sent = sign (fixture->alice, "candidates", body);
  g_autofree char *big = g_strnfill (ES_SIGNED_ENVELOPE_MAX_BODY_SIZE, ' ');
  g_autofree char *big_body = NULL;
  g_autofree char *deep_open = NULL;
  g_autofree char *deep_close = NULL;
  g_autofree char *deep_body = NULL;
  const char *alice = es_identity_get_fingerprint (fixture->alice);
  g_autofree char *alice_upper = g_ascii_strup (alice, -1);
  g_auto(GStrv) groups = g_strsplit (alice, ":", -1);
  g_autofree char *alice_bare = g_strjoinv ("", groups);
  const char *sig = NULL;
  g_autofree char *sig_stray_bits = NULL;
  g_autofree char *sig_short = NULL;
  g_autofree char *sig_long = NULL;
  g_autofree char *sig_no_padding = NULL;
  g_autoptr(JsonObject) message = es_signed_envelope_to_json (sent);

  memcpy (big, "{}", 2);
  big_body = g_strconcat (big, " ", NULL);
  /* One level deeper than es-strict-json.h allows. */
  deep_open = g_strnfill (ES_STRICT_JSON_MAX_DEPTH, '[');
  deep_close = g_strnfill (ES_STRICT_JSON_MAX_DEPTH, ']');
  deep_body = g_strconcat ("{\"a\":", deep_open, deep_close, "}", NULL);
  sig = es_json_get_string (message, "sig");
  /* 64 bytes end "xx==": the character before the padding has 4 unused
   * bits that must be zero. */
  sig_stray_bits = g_strdup (sig);
  sig_stray_bits[85] = base64_alphabet[strchr (base64_alphabet, sig[85]) - base64_alphabet + 1];
  sig_short = g_strndup (sig, 84);
  sig_long = g_strconcat (sig, "AAAA", NULL);
  sig_no_padding = g_strndup (sig, 86);

  {
    const Edit edits[] = {
      { "type", REMOVE, NULL, 0, "“type” is missing or not a string" },
      { "type", SET_INT, NULL, 7, "“type” is missing or not a string" },
      { "type", SET_STRING, "", 0, "“type” is not" },
      { "type", SET_STRING, "Hangup", 0, "“type” is not" },
      { "type", SET_STRING, "-hangup", 0, "“type” is not" },
      { "type", SET_STRING, "hang up", 0, "“type” is not" },
      { "type", SET_STRING, "a23456789012345678901234567890123", 0, "“type” is not" },
      { "v", REMOVE, NULL, 0, "“v” is not the integer 1" },
      { "v", SET_INT, NULL, 2, "“v” is not the integer 1" },
      { "v", SET_DOUBLE, NULL, 1, "“v” is not the integer 1" },
      { "v", SET_STRING, "1", 0, "“v” is not the integer 1" },
      { "call_id", REMOVE, NULL, 0, "“call_id” is missing" },
      { "call_id", SET_NULL, NULL, 0, "“call_id” is missing" },
      { "call_id", SET_STRING, "0123456789abcdef", 0, "“call_id” is not 32 lowercase hex" },
      { "call_id", SET_STRING, "0123456789ABCDEF0123456789ABCDEF", 0, "“call_id” is not" },
      { "call_id", SET_STRING, "0123456789abcdef0123456789abcdeg", 0, "“call_id” is not" },
      { "call_id", SET_STRING, "0123456789abcdef0123456789abcdef0", 0, "“call_id” is not" },
      { "from", REMOVE, NULL, 0, "“from” is missing" },
      { "from", SET_STRING, alice_upper, 0, "“from” is not a fingerprint in its written form" },
      { "from", SET_STRING, alice_bare, 0, "“from” is not a fingerprint in its written form" },
      { "from", SET_STRING, "alice", 0, "“from” is not a fingerprint" },
      { "to", SET_STRING, alice, 0, "unexpected member “to”" },
      { "relay", SET_STRING, "hello", 0, "unexpected member “relay”" },
      { "body", REMOVE, NULL, 0, "“body” is missing" },
      { "body", SET_INT, NULL, 1, "“body” is missing or not a string" },
      { "body", SET_STRING, "{\"a\":", 0, "the body is not JSON" },
      { "body", SET_STRING, "[1,2]", 0, "the body is not a JSON object" },
      { "body", SET_STRING, "\"text\"", 0, "the body is not a JSON object" },
      { "body", SET_STRING, "", 0, "the body is not" },
      { "body", SET_STRING, "{\"to\":\"a\",\"x\":1,\"to\":\"b\"}", 0, "member “to” twice" },
      { "body", SET_STRING, "{\"n\":{\"k\":1,\"k\":2}}", 0, "member “k” twice" },
      { "body", SET_STRING, "{\"reason\":\"hangup\"}{\"reason\":\"busy\"}", 0,
        "the body has more after the object" },
      { "body", SET_STRING, deep_body, 0, "the body nests deeper than" },
      { "body", SET_STRING, "{\"reason\":\"hang\\u0000up\"}", 0, "\\u0000" },
      { "body", SET_STRING, big_body, 0, "larger than" },
      { "sig", REMOVE, NULL, 0, "“sig” is missing" },
      { "sig", SET_STRING, "not base64!", 0, "not base64 of 64 bytes" },
      { "sig", SET_STRING, sig_short, 0, "not base64 of 64 bytes" },
      { "sig", SET_STRING, sig_long, 0, "not base64 of 64 bytes" },
      { "sig", SET_STRING, sig_no_padding, 0, "not base64 of 64 bytes" },
      { "sig", SET_STRING, sig_stray_bits, 0, "not base64 of 64 bytes" },
    };

    assert_parse_refuses (sent, edits, G_N_ELEMENTS (edits));
  }
}

static void
test_malformed_offer_refused (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autoptr(JsonObject) body = offer_body (fixture->alice, fixture->bob);
  g_autoptr(EsSignedEnvelope) sent = sign (fixture->alice, "call-offer", body);
  g_autofree char *bob_upper = g_ascii_strup (es_identity_get_fingerprint (fixture->bob), -1);
  const Edit edits[] = {
    { "to", REMOVE, NULL, 0, "“to” is missing" },
    { "to", SET_STRING, es_identity_get_fingerprint (fixture->mallory), 0,
      "outer “to” differs from the signed one" },
    { "to", SET_STRING, bob_upper, 0, "“to” is not a fingerprint in its written form" },
    { "body", SET_STRING, "{\"key\":\"00\"}", 0, "outer “to” differs" },
  };
  g_autoptr(JsonObject) no_key = json_object_new ();
  g_autoptr(EsSignedEnvelope) keyless = NULL;
  g_autoptr(GError) error = NULL;
  guint8 key[ES_ED25519_PUBLIC_KEY_SIZE];

  assert_parse_refuses (sent, edits, G_N_ELEMENTS (edits));

  json_object_set_string_member (no_key, "to", es_identity_get_fingerprint (fixture->bob));
  json_object_set_string_member (no_key, "key", "ABCD");
  keyless = sign (fixture->alice, "call-offer", no_key);
  g_assert_false (es_signed_envelope_verify_body_key (keyless, key, &error));
  g_assert_error (error, ES_ERROR, ES_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, "“key” is not 64 lowercase hex digits"));
}

static void
test_building_refusals (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(JsonObject) body = candidates_body ();
  g_autoptr(JsonObject) bad_to = json_object_new ();
  struct {
    const char *type;
    const char *call_id;
    JsonObject *body;
  } cases[] = {
    { "Call-Offer", CALL_ID, body },
    { "", CALL_ID, body },
    { "hangup", "0123", body },
    { "hangup", "0123456789ABCDEF0123456789ABCDEF", body },
    { "call-offer", CALL_ID, body },
    { "call-offer", CALL_ID, bad_to },
  };

  json_object_set_string_member (bad_to, "to", "0123");
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_null (es_signed_envelope_new (fixture->alice, cases[i].type, cases[i].call_id,
                                             cases[i].body, &error));
      g_assert_error (error, ES_ERROR, ES_ERROR_INVALID_ARGUMENT);
    }
}

static void
test_check_key (Fixture       *fixture,
                gconstpointer  data)
{
  const guint8 *key = es_identity_get_public_key (fixture->alice);
  g_autofree char *upper = g_ascii_strup (es_identity_get_fingerprint (fixture->alice), -1);
  g_autoptr(GError) error = NULL;

  g_assert_true (es_signed_envelope_check_key (es_identity_get_fingerprint (fixture->alice),
                                               key, &error));
  g_assert_no_error (error);
  /* A person may type it in capitals: it is the same address. */
  g_assert_true (es_signed_envelope_check_key (upper, key, NULL));
  g_assert_false (es_signed_envelope_check_key (es_identity_get_fingerprint (fixture->bob),
                                                key, &error));
  g_assert_error (error, ES_ERROR, ES_ERROR_PROTOCOL);
  g_assert_cmpstr (error->message, ==, "from does not match the key");
  g_clear_error (&error);
  g_assert_false (es_signed_envelope_check_key ("nonsense", key, &error));
  g_assert_error (error, ES_ERROR, ES_ERROR_INVALID_ARGUMENT);

  g_assert_true (es_signed_envelope_is_valid_call_id (CALL_ID));
  g_assert_false (es_signed_envelope_is_valid_call_id (NULL));
  g_assert_false (es_signed_envelope_is_valid_call_id (""));
  g_assert_false (es_signed_envelope_is_valid_call_id ("0123456789abcdef0123456789abcdeF"));
}

int
main (int argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/signed-envelope/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("round-trip", test_round_trip);
  ADD ("offer-carries-to-and-key", test_offer_carries_to_and_key);
  ADD ("tampering-refused", test_tampering_refused);
  ADD ("forged-offer", test_forged_offer);
  ADD ("malformed-refused", test_malformed_refused);
  ADD ("malformed-offer-refused", test_malformed_offer_refused);
  ADD ("building-refusals", test_building_refusals);
  ADD ("check-key", test_check_key);
#undef ADD

  return g_test_run ();
}
