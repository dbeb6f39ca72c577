/* es-media-cipher.h: end-to-end encryption of one direction of a call's media
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

#include "es-call-keys.h"
#include "es-media-frame.h"

G_BEGIN_DECLS

#define ES_MEDIA_CIPHER_KEY_SIZE                 32
#define ES_MEDIA_CIPHER_REPLAY_WINDOW            1024
#define ES_MEDIA_CIPHER_DEFAULT_RATCHET_INTERVAL (G_GUINT64_CONSTANT (1) << 16)
/* A receiver tries keys at most this many epochs ahead of its own. */
#define ES_MEDIA_CIPHER_MAX_EPOCHS_AHEAD         4

typedef enum {
  ES_MEDIA_CIPHER_SEAL,  /* this side's outgoing frames */
  ES_MEDIA_CIPHER_OPEN,  /* the peer's incoming frames */
} EsMediaCipherMode;

/* Every frame that does not open counts in exactly one of the drop counters. */
typedef struct
{
  guint64 frames;                  /* sealed, or opened successfully */
  guint64 malformed;               /* the header does not parse or contradicts itself */
  guint64 replayed;                /* a sequence number already opened */
  guint64 too_old;                 /* behind the replay window, or of a wiped epoch */
  guint64 failed_authentication;   /* forged, altered, or too far ahead to try */
} EsMediaCipherStats;

#define ES_TYPE_MEDIA_CIPHER (es_media_cipher_get_type ())

/* Property: "ratchet-interval" (guint64, frames per key epoch, default 2^16),
 * settable until the first frame; both ends of a direction must agree. */
G_DECLARE_FINAL_TYPE (EsMediaCipher, es_media_cipher, ES, MEDIA_CIPHER, GObject)

/* key: ES_MEDIA_CIPHER_KEY_SIZE bytes, epoch 0; copied into locked memory. */
EsMediaCipher *es_media_cipher_new                    (EsMediaCipherMode    mode,
                                                       const guint8        *key);
/* Takes the key of the matching direction out of keys (see
 * es_call_keys_take_media_key()): SEAL uses the sending key. */
EsMediaCipher *es_media_cipher_new_for_call           (EsCallKeys          *keys,
                                                       EsMediaCipherMode    mode,
                                                       GError             **error);

EsMediaCipherMode es_media_cipher_get_mode            (EsMediaCipher       *self);
guint64        es_media_cipher_get_ratchet_interval   (EsMediaCipher       *self);
void           es_media_cipher_set_ratchet_interval   (EsMediaCipher       *self,
                                                       guint64              interval);
/* Sealing side: the sequence number the next frame will carry. */
guint64        es_media_cipher_get_next_sequence      (EsMediaCipher       *self);
void           es_media_cipher_get_stats              (EsMediaCipher       *self,
                                                       EsMediaCipherStats  *stats);

/* Sealing side: a whole frame (header, ciphertext, tag). The cipher assigns
 * the sequence number itself, so that a nonce can never repeat. */
GBytes        *es_media_cipher_seal                   (EsMediaCipher       *self,
                                                       EsMediaFrameKind     kind,
                                                       guint32              timestamp,
                                                       guint8               tier,
                                                       EsMediaFrameFlags    flags,
                                                       const guint8        *payload,
                                                       gsize                length);
/* Opening side: the payload, or NULL with an ES_ERROR_PROTOCOL error and a
 * drop counted. Only an authentic frame moves the replay window or the
 * ratchet. header, if not NULL, receives the frame's header on success. */
GBytes        *es_media_cipher_open                   (EsMediaCipher       *self,
                                                       const guint8        *frame,
                                                       gsize                length,
                                                       EsMediaFrameHeader  *header,
                                                       GError             **error);

G_END_DECLS
