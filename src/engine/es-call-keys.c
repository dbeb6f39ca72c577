/* es-call-keys.c
 *
 * protocol.md §3. Each side holds one X25519 key pair for one call. The
 * transcript hashes both signed bodies, which carry both identity keys and
 * both ephemeral keys, and salts the HKDF over the shared secret: the media
 * keys are bound to the identities that signed. HKDF comes from GnuTLS, as
 * in es-identity.c (libsodium 1.0.18 has none).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsCallKeys"

#include "es-call-keys.h"

#include <gnutls/crypto.h>
#include <sodium.h>
#include <string.h>

#include "es-error.h"
#include "es-hex.h"
#include "es-json.h"
#include "es-mnemonic.h"
#include "es-signed-envelope.h"

#define TRANSCRIPT_LABEL     "earshot-call-v1"
#define LABEL_CALLER_TO_CALLEE "earshot media caller to callee"
#define LABEL_CALLEE_TO_CALLER "earshot media callee to caller"
#define SAFETY_SALT          "earshot-safety-v1"
#define SAFETY_INFO          "words"
#define SAFETY_SIZE          8
#define BITS_PER_WORD        11

typedef enum {
  CALLER_TO_CALLEE,
  CALLEE_TO_CALLER,
  N_MEDIA_KEYS,
} MediaKey;

/* Secrets live in sodium_malloc'd memory: guarded pages, locked, wiped on free. */
typedef struct
{
  guint8 secret_key[ES_X25519_KEY_SIZE];
  guint8 shared[crypto_scalarmult_BYTES];
  guint8 prk[32];
  guint8 media_keys[N_MEDIA_KEYS][ES_MEDIA_KEY_SIZE];
} Secrets;

struct _EsCallKeys
{
  GObject parent_instance;

  EsCallRole role;
  Secrets *secrets;
  guint8 public_key[ES_X25519_KEY_SIZE];
  gboolean has_secret_key;
  gboolean derived;
  gboolean taken[N_MEDIA_KEYS];
  guint8 transcript_hash[ES_TRANSCRIPT_HASH_SIZE];
  const char *safety_words[ES_SAFETY_WORD_COUNT + 1];
};

G_DEFINE_FINAL_TYPE (EsCallKeys, es_call_keys, G_TYPE_OBJECT)

static void
es_call_keys_finalize (GObject *object)
{
  EsCallKeys *self = ES_CALL_KEYS (object);

  sodium_free (self->secrets);

  G_OBJECT_CLASS (es_call_keys_parent_class)->finalize (object);
}

static void
es_call_keys_class_init (EsCallKeysClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = es_call_keys_finalize;
}

static void
es_call_keys_init (EsCallKeys *self)
{
  if (sodium_init () < 0)
    g_error ("libsodium failed to initialise");
  self->secrets = sodium_malloc (sizeof (Secrets));
  g_assert (self->secrets != NULL);
}

EsCallKeys *
es_call_keys_new_from_secret_key (EsCallRole    role,
                                  const guint8 *secret_key)
{
  EsCallKeys *self;

  g_return_val_if_fail (role == ES_CALL_ROLE_CALLER || role == ES_CALL_ROLE_CALLEE, NULL);
  g_return_val_if_fail (secret_key != NULL, NULL);

  self = g_object_new (ES_TYPE_CALL_KEYS, NULL);
  self->role = role;
  memcpy (self->secrets->secret_key, secret_key, ES_X25519_KEY_SIZE);
  crypto_scalarmult_base (self->public_key, self->secrets->secret_key);
  self->has_secret_key = TRUE;
  return self;
}

EsCallKeys *
es_call_keys_new (EsCallRole role)
{
  guint8 secret_key[ES_X25519_KEY_SIZE];
  EsCallKeys *self;

  if (sodium_init () < 0)
    g_error ("libsodium failed to initialise");
  randombytes_buf (secret_key, sizeof secret_key);
  self = es_call_keys_new_from_secret_key (role, secret_key);
  sodium_memzero (secret_key, sizeof secret_key);
  return self;
}

EsCallRole
es_call_keys_get_role (EsCallKeys *self)
{
  g_return_val_if_fail (ES_IS_CALL_KEYS (self), ES_CALL_ROLE_CALLER);
  return self->role;
}

const guint8 *
es_call_keys_get_public_key (EsCallKeys *self)
{
  g_return_val_if_fail (ES_IS_CALL_KEYS (self), NULL);
  return self->public_key;
}

char *
es_call_keys_dup_public_key_hex (EsCallKeys *self)
{
  g_return_val_if_fail (ES_IS_CALL_KEYS (self), NULL);
  return es_hex_encode (self->public_key, sizeof self->public_key);
}

static gboolean
parse_ephemeral_key (JsonObject   *body,
                     const char   *which,
                     guint8       *key,
                     GError      **error)
{
  if (!es_hex_decode_exact (es_json_get_string (body, "ephemeral"), key, ES_X25519_KEY_SIZE))
    {
      g_set_error (error, ES_ERROR, ES_ERROR_PROTOCOL,
                   "the %s's “ephemeral” is not 64 lowercase hex digits", which);
      return FALSE;
    }
  return TRUE;
}

static void
hash_transcript (const char *call_id,
                 const char *offer_body,
                 const char *answer_body,
                 guint8     *digest)
{
  crypto_hash_sha256_state state;
  const guint8 zero = 0;

  crypto_hash_sha256_init (&state);
  /* sizeof counts the label's NUL: the separator of protocol.md §3. */
  crypto_hash_sha256_update (&state, (const guint8 *) TRANSCRIPT_LABEL, sizeof TRANSCRIPT_LABEL);
  crypto_hash_sha256_update (&state, (const guint8 *) call_id, strlen (call_id));
  crypto_hash_sha256_update (&state, &zero, 1);
  crypto_hash_sha256_update (&state, (const guint8 *) offer_body, strlen (offer_body));
  crypto_hash_sha256_update (&state, &zero, 1);
  crypto_hash_sha256_update (&state, (const guint8 *) answer_body, strlen (answer_body));
  crypto_hash_sha256_final (&state, digest);
}

static void
hkdf_extract (const guint8 *salt,
              gsize         salt_length,
              const guint8 *ikm,
              gsize         ikm_length,
              guint8       *prk)
{
  const gnutls_datum_t salt_datum = { (unsigned char *) salt, (unsigned int) salt_length };
  const gnutls_datum_t ikm_datum = { (unsigned char *) ikm, (unsigned int) ikm_length };

  if (gnutls_hkdf_extract (GNUTLS_MAC_SHA256, &ikm_datum, &salt_datum, prk) < 0)
    g_error ("HKDF-SHA256 extract failed");
}

static void
hkdf_expand (const guint8 *prk,
             const char   *info,
             guint8       *output,
             gsize         length)
{
  const gnutls_datum_t prk_datum = { (unsigned char *) prk, 32 };
  const gnutls_datum_t info_datum = { (unsigned char *) info, (unsigned int) strlen (info) };

  if (gnutls_hkdf_expand (GNUTLS_MAC_SHA256, &prk_datum, &info_datum, output, length) < 0)
    g_error ("HKDF-SHA256 expand failed");
}

/* The first ES_SAFETY_WORD_COUNT 11-bit groups, most significant bit first
 * as BIP39 reads its entropy. */
static void
pick_safety_words (EsCallKeys *self)
{
  guint8 prk[32];
  guint8 safety[SAFETY_SIZE];
  guint64 bits = 0;

  hkdf_extract ((const guint8 *) SAFETY_SALT, strlen (SAFETY_SALT),
                self->transcript_hash, sizeof self->transcript_hash, prk);
  hkdf_expand (prk, SAFETY_INFO, safety, sizeof safety);
  for (guint i = 0; i < SAFETY_SIZE; i++)
    bits = bits << 8 | safety[i];
  for (guint i = 0; i < ES_SAFETY_WORD_COUNT; i++)
    self->safety_words[i] = es_mnemonic_word ((bits >> (64 - BITS_PER_WORD * (i + 1))) & 0x7ff);
  self->safety_words[ES_SAFETY_WORD_COUNT] = NULL;
}

static gboolean
check_bodies (EsCallKeys  *self,
              const char  *offer_body,
              const char  *answer_body,
              guint8      *peer_public_key,
              GError     **error)
{
  g_autoptr(JsonObject) offer = es_json_from_string (offer_body, -1, error);
  g_autoptr(JsonObject) answer = NULL;
  gboolean caller = self->role == ES_CALL_ROLE_CALLER;
  guint8 own_public_key[ES_X25519_KEY_SIZE];

  if (offer == NULL)
    return FALSE;
  answer = es_json_from_string (answer_body, -1, error);
  if (answer == NULL)
    return FALSE;

  if (!parse_ephemeral_key (caller ? offer : answer, caller ? "offer" : "answer",
                            own_public_key, error) ||
      !parse_ephemeral_key (caller ? answer : offer, caller ? "answer" : "offer",
                            peer_public_key, error))
    return FALSE;

  if (memcmp (own_public_key, self->public_key, ES_X25519_KEY_SIZE) != 0)
    {
      g_set_error (error, ES_ERROR, ES_ERROR_INVALID_ARGUMENT,
                   "the %s carries another ephemeral key than this side's",
                   caller ? "offer" : "answer");
      return FALSE;
    }
  return TRUE;
}

gboolean
es_call_keys_derive (EsCallKeys  *self,
                     const char  *call_id,
                     const char  *offer_body,
                     const char  *answer_body,
                     GError     **error)
{
  guint8 peer_public_key[ES_X25519_KEY_SIZE];
  Secrets *secrets;

  g_return_val_if_fail (ES_IS_CALL_KEYS (self), FALSE);
  g_return_val_if_fail (call_id != NULL && offer_body != NULL && answer_body != NULL, FALSE);

  secrets = self->secrets;
  if (!self->has_secret_key)
    {
      g_set_error_literal (error, ES_ERROR, ES_ERROR_FAILED,
                           "the keys of this call were already derived");
      return FALSE;
    }
  if (!es_signed_envelope_is_valid_call_id (call_id))
    {
      g_set_error_literal (error, ES_ERROR, ES_ERROR_INVALID_ARGUMENT,
                           "a call id is 32 lowercase hex digits");
      return FALSE;
    }
  if (!check_bodies (self, offer_body, answer_body, peer_public_key, error))
    return FALSE;

  /* libsodium refuses an all-zero result, which is what every low-order
   * point gives: a peer could otherwise force a known shared secret. */
  if (crypto_scalarmult (secrets->shared, secrets->secret_key, peer_public_key) != 0)
    {
      g_set_error_literal (error, ES_ERROR, ES_ERROR_PROTOCOL,
                           "the peer's ephemeral key is a low-order point");
      return FALSE;
    }

  hash_transcript (call_id, offer_body, answer_body, self->transcript_hash);
  hkdf_extract (self->transcript_hash, sizeof self->transcript_hash,
                secrets->shared, sizeof secrets->shared, secrets->prk);
  hkdf_expand (secrets->prk, LABEL_CALLER_TO_CALLEE,
               secrets->media_keys[CALLER_TO_CALLEE], ES_MEDIA_KEY_SIZE);
  hkdf_expand (secrets->prk, LABEL_CALLEE_TO_CALLER,
               secrets->media_keys[CALLEE_TO_CALLER], ES_MEDIA_KEY_SIZE);
  pick_safety_words (self);

  /* An ephemeral key serves one call: nothing but the media keys survives. */
  sodium_memzero (secrets->secret_key, sizeof secrets->secret_key);
  sodium_memzero (secrets->shared, sizeof secrets->shared);
  sodium_memzero (secrets->prk, sizeof secrets->prk);
  self->has_secret_key = FALSE;
  self->derived = TRUE;
  return TRUE;
}

gboolean
es_call_keys_is_derived (EsCallKeys *self)
{
  g_return_val_if_fail (ES_IS_CALL_KEYS (self), FALSE);
  return self->derived;
}

const guint8 *
es_call_keys_get_transcript_hash (EsCallKeys *self)
{
  g_return_val_if_fail (ES_IS_CALL_KEYS (self), NULL);
  g_return_val_if_fail (self->derived, NULL);
  return self->transcript_hash;
}

const char * const *
es_call_keys_get_safety_words (EsCallKeys *self)
{
  g_return_val_if_fail (ES_IS_CALL_KEYS (self), NULL);
  g_return_val_if_fail (self->derived, NULL);
  return self->safety_words;
}

gboolean
es_call_keys_take_media_key (EsCallKeys       *self,
                             EsMediaDirection  direction,
                             guint8           *key)
{
  gboolean sending = direction == ES_MEDIA_DIRECTION_SENDING;
  gboolean caller;
  MediaKey which;

  g_return_val_if_fail (ES_IS_CALL_KEYS (self), FALSE);
  g_return_val_if_fail (key != NULL, FALSE);

  caller = self->role == ES_CALL_ROLE_CALLER;
  which = caller == sending ? CALLER_TO_CALLEE : CALLEE_TO_CALLER;
  if (!self->derived || self->taken[which])
    return FALSE;

  memcpy (key, self->secrets->media_keys[which], ES_MEDIA_KEY_SIZE);
  sodium_memzero (self->secrets->media_keys[which], ES_MEDIA_KEY_SIZE);
  self->taken[which] = TRUE;
  return TRUE;
}
