/* es-call-keys.h: one call's ephemeral key pair and the keys derived from it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define ES_X25519_KEY_SIZE       32
#define ES_TRANSCRIPT_HASH_SIZE  32
#define ES_MEDIA_KEY_SIZE        32
#define ES_SAFETY_WORD_COUNT     5

typedef enum {
  ES_CALL_ROLE_CALLER,
  ES_CALL_ROLE_CALLEE,
} EsCallRole;

/* Relative to this side: sending is caller→callee for the caller. */
typedef enum {
  ES_MEDIA_DIRECTION_SENDING,
  ES_MEDIA_DIRECTION_RECEIVING,
} EsMediaDirection;

#define ES_TYPE_CALL_KEYS (es_call_keys_get_type ())

G_DECLARE_FINAL_TYPE (EsCallKeys, es_call_keys, ES, CALL_KEYS, GObject)

/* A fresh random X25519 key pair; never reuse one for another call. */
EsCallKeys         *es_call_keys_new                 (EsCallRole        role);
/* For test vectors: a given X25519 secret key (32 bytes). */
EsCallKeys         *es_call_keys_new_from_secret_key (EsCallRole        role,
                                                      const guint8     *secret_key);

EsCallRole          es_call_keys_get_role            (EsCallKeys       *self);
const guint8       *es_call_keys_get_public_key      (EsCallKeys       *self);
/* 64 lowercase hex digits: the "ephemeral" member of this side's body. */
char               *es_call_keys_dup_public_key_hex  (EsCallKeys       *self);

/* protocol.md §3, once per call, from the exact body texts of the verified
 * offer and answer envelopes. The peer's ephemeral key is read from its own
 * signed body and this side's body must carry this side's public key, so the
 * keys can only come from what both signed. Wipes the ephemeral secret.
 * Refuses a low-order peer key (an all-zero shared secret). */
gboolean            es_call_keys_derive              (EsCallKeys       *self,
                                                      const char       *call_id,
                                                      const char       *offer_body,
                                                      const char       *answer_body,
                                                      GError          **error);
gboolean            es_call_keys_is_derived          (EsCallKeys       *self);

/* After es_call_keys_derive(). */
const guint8       *es_call_keys_get_transcript_hash (EsCallKeys       *self);
/* ES_SAFETY_WORD_COUNT BIP39 English words, NULL-terminated; static strings. */
const char * const *es_call_keys_get_safety_words    (EsCallKeys       *self);
/* Copies the media key of one direction to key (ES_MEDIA_KEY_SIZE bytes) and
 * wipes this object's copy, so that the media cipher's ratchet is the only
 * holder and forward secrecy holds. FALSE when not derived or already taken. */
gboolean            es_call_keys_take_media_key      (EsCallKeys       *self,
                                                      EsMediaDirection  direction,
                                                      guint8           *key);

G_END_DECLS
