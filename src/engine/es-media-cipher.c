/* es-media-cipher.c
 *
 * protocol.md §3-§4: ChaCha20-Poly1305 (IETF) with the 16-byte clear header
 * as associated data and nonce = 4 zero bytes || 64-bit sequence number.
 *
 * The epoch of a frame is its sequence number divided by the ratchet
 * interval, so both ends know which key a frame needs without any state
 * travelling: the header's epoch byte is only a cross-check. The sender
 * steps its key forward and wipes the old one when the epoch changes. The
 * receiver holds the current epoch's key and the previous one (for frames
 * reordered across the step) and wipes the previous one as soon as the
 * replay window has moved past every sequence number it could open.
 *
 * Nothing a frame says changes any state before its tag has verified: a
 * forger can make the receiver count a drop and no more.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsMediaCipher"

#include "es-media-cipher.h"

#include <gnutls/crypto.h>
#include <sodium.h>
#include <string.h>

#include "es-error.h"

#define RATCHET_LABEL "earshot ratchet"
#define NONCE_SIZE    crypto_aead_chacha20poly1305_ietf_NPUBBYTES
#define WINDOW_WORDS  (ES_MEDIA_CIPHER_REPLAY_WINDOW / 64)

G_STATIC_ASSERT (crypto_aead_chacha20poly1305_ietf_KEYBYTES == ES_MEDIA_CIPHER_KEY_SIZE);
G_STATIC_ASSERT (crypto_aead_chacha20poly1305_ietf_ABYTES == ES_MEDIA_FRAME_TAG_SIZE);
G_STATIC_ASSERT (ES_MEDIA_KEY_SIZE == ES_MEDIA_CIPHER_KEY_SIZE);

/* Keys live in sodium_malloc'd memory: guarded pages, locked, wiped on free. */
typedef struct
{
  guint8 current[ES_MEDIA_CIPHER_KEY_SIZE];
  guint8 previous[ES_MEDIA_CIPHER_KEY_SIZE];
  /* Receiving side: the keys a frame of a later epoch needs, kept apart
   * until the frame has proved authentic. */
  guint8 candidate[ES_MEDIA_CIPHER_KEY_SIZE];
  guint8 candidate_previous[ES_MEDIA_CIPHER_KEY_SIZE];
} Keys;

typedef enum {
  WINDOW_NEW,
  WINDOW_REPLAYED,
  WINDOW_TOO_OLD,
} WindowVerdict;

struct _EsMediaCipher
{
  GObject parent_instance;

  EsMediaCipherMode mode;
  guint64 ratchet_interval;
  gboolean started;

  Keys *keys;
  guint64 epoch;          /* of keys->current */
  gboolean has_previous;  /* keys->previous holds epoch - 1 */

  guint64 next_sequence;  /* sealing side */

  gboolean has_highest;   /* opening side: the replay window */
  guint64 highest;
  guint64 window[WINDOW_WORDS];

  EsMediaCipherStats stats;
};

G_DEFINE_FINAL_TYPE (EsMediaCipher, es_media_cipher, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_RATCHET_INTERVAL,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
es_media_cipher_finalize (GObject *object)
{
  EsMediaCipher *self = ES_MEDIA_CIPHER (object);

  sodium_free (self->keys);

  G_OBJECT_CLASS (es_media_cipher_parent_class)->finalize (object);
}

static void
es_media_cipher_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  EsMediaCipher *self = ES_MEDIA_CIPHER (object);

  switch (prop_id)
    {
    case PROP_RATCHET_INTERVAL:
      g_value_set_uint64 (value, self->ratchet_interval);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
es_media_cipher_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  EsMediaCipher *self = ES_MEDIA_CIPHER (object);

  switch (prop_id)
    {
    case PROP_RATCHET_INTERVAL:
      es_media_cipher_set_ratchet_interval (self, g_value_get_uint64 (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
es_media_cipher_class_init (EsMediaCipherClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = es_media_cipher_finalize;
  object_class->get_property = es_media_cipher_get_property;
  object_class->set_property = es_media_cipher_set_property;

  properties[PROP_RATCHET_INTERVAL] =
    g_param_spec_uint64 ("ratchet-interval", NULL, NULL,
                         1, G_MAXUINT64, ES_MEDIA_CIPHER_DEFAULT_RATCHET_INTERVAL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
es_media_cipher_init (EsMediaCipher *self)
{
  if (sodium_init () < 0)
    g_error ("libsodium failed to initialise");
  self->keys = sodium_malloc (sizeof (Keys));
  g_assert (self->keys != NULL);
  self->ratchet_interval = ES_MEDIA_CIPHER_DEFAULT_RATCHET_INTERVAL;
}

EsMediaCipher *
es_media_cipher_new (EsMediaCipherMode  mode,
                     const guint8      *key)
{
  EsMediaCipher *self;

  g_return_val_if_fail (mode == ES_MEDIA_CIPHER_SEAL || mode == ES_MEDIA_CIPHER_OPEN, NULL);
  g_return_val_if_fail (key != NULL, NULL);

  self = g_object_new (ES_TYPE_MEDIA_CIPHER, NULL);
  self->mode = mode;
  memcpy (self->keys->current, key, ES_MEDIA_CIPHER_KEY_SIZE);
  return self;
}

EsMediaCipher *
es_media_cipher_new_for_call (EsCallKeys         *keys,
                              EsMediaCipherMode   mode,
                              GError            **error)
{
  EsMediaCipher *self;
  EsMediaDirection direction;

  g_return_val_if_fail (ES_IS_CALL_KEYS (keys), NULL);
  g_return_val_if_fail (mode == ES_MEDIA_CIPHER_SEAL || mode == ES_MEDIA_CIPHER_OPEN, NULL);

  self = g_object_new (ES_TYPE_MEDIA_CIPHER, NULL);
  self->mode = mode;
  direction = mode == ES_MEDIA_CIPHER_SEAL ? ES_MEDIA_DIRECTION_SENDING
                                           : ES_MEDIA_DIRECTION_RECEIVING;
  /* Straight into locked memory: the key never sits on the stack. */
  if (!es_call_keys_take_media_key (keys, direction, self->keys->current))
    {
      g_set_error_literal (error, ES_ERROR, ES_ERROR_FAILED,
                           "the call's media key is not derived or already in use");
      g_object_unref (self);
      return NULL;
    }
  return self;
}

EsMediaCipherMode
es_media_cipher_get_mode (EsMediaCipher *self)
{
  g_return_val_if_fail (ES_IS_MEDIA_CIPHER (self), ES_MEDIA_CIPHER_SEAL);
  return self->mode;
}

guint64
es_media_cipher_get_ratchet_interval (EsMediaCipher *self)
{
  g_return_val_if_fail (ES_IS_MEDIA_CIPHER (self), 0);
  return self->ratchet_interval;
}

void
es_media_cipher_set_ratchet_interval (EsMediaCipher *self,
                                      guint64        interval)
{
  g_return_if_fail (ES_IS_MEDIA_CIPHER (self));
  g_return_if_fail (interval > 0);
  /* The epoch of every frame is computed from it. */
  g_return_if_fail (!self->started);

  if (self->ratchet_interval == interval)
    return;
  self->ratchet_interval = interval;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RATCHET_INTERVAL]);
}

guint64
es_media_cipher_get_next_sequence (EsMediaCipher *self)
{
  g_return_val_if_fail (ES_IS_MEDIA_CIPHER (self), 0);
  return self->next_sequence;
}

void
es_media_cipher_get_stats (EsMediaCipher      *self,
                           EsMediaCipherStats *stats)
{
  g_return_if_fail (ES_IS_MEDIA_CIPHER (self));
  g_return_if_fail (stats != NULL);
  *stats = self->stats;
}

/* key[e+1] = HKDF-Expand(key[e], "earshot ratchet", 32) */
static void
ratchet_step (const guint8 *key,
              guint8       *next)
{
  const gnutls_datum_t prk = { (unsigned char *) key, ES_MEDIA_CIPHER_KEY_SIZE };
  const gnutls_datum_t info = { (unsigned char *) RATCHET_LABEL, sizeof RATCHET_LABEL - 1 };

  if (gnutls_hkdf_expand (GNUTLS_MAC_SHA256, &prk, &info, next, ES_MEDIA_CIPHER_KEY_SIZE) < 0)
    g_error ("HKDF-SHA256 expand failed");
}

static void
make_nonce (guint64  sequence,
            guint8  *nonce)
{
  memset (nonce, 0, NONCE_SIZE - 8);
  for (guint i = 0; i < 8; i++)
    nonce[NONCE_SIZE - 8 + i] = (guint8) (sequence >> (56 - 8 * i));
}

GBytes *
es_media_cipher_seal (EsMediaCipher      *self,
                      EsMediaFrameKind    kind,
                      guint32             timestamp,
                      guint8              tier,
                      EsMediaFrameFlags   flags,
                      const guint8       *payload,
                      gsize               length)
{
  Keys *keys;
  EsMediaFrameHeader header;
  guint8 nonce[NONCE_SIZE];
  guint64 epoch;
  guint8 *frame;
  unsigned long long sealed_length = 0;

  g_return_val_if_fail (ES_IS_MEDIA_CIPHER (self), NULL);
  g_return_val_if_fail (self->mode == ES_MEDIA_CIPHER_SEAL, NULL);
  g_return_val_if_fail (payload != NULL || length == 0, NULL);

  keys = self->keys;
  if (self->next_sequence == G_MAXUINT64)
    {
      g_critical ("the media sequence numbers are exhausted; a nonce would repeat");
      return NULL;
    }

  epoch = self->next_sequence / self->ratchet_interval;
  for (; self->epoch < epoch; self->epoch++)
    {
      ratchet_step (keys->current, keys->candidate);
      memcpy (keys->current, keys->candidate, ES_MEDIA_CIPHER_KEY_SIZE);
      sodium_memzero (keys->candidate, ES_MEDIA_CIPHER_KEY_SIZE);
    }

  header = (EsMediaFrameHeader) {
    .kind = kind,
    .epoch = (guint8) epoch,
    .sequence = self->next_sequence,
    .timestamp = timestamp,
    .tier = tier,
    .flags = flags,
  };
  frame = g_malloc (ES_MEDIA_FRAME_MIN_SIZE + length);
  es_media_frame_header_encode (&header, frame);
  make_nonce (header.sequence, nonce);
  crypto_aead_chacha20poly1305_ietf_encrypt (frame + ES_MEDIA_FRAME_HEADER_SIZE, &sealed_length,
                                             payload, length,
                                             frame, ES_MEDIA_FRAME_HEADER_SIZE,
                                             NULL, nonce, keys->current);

  self->started = TRUE;
  self->next_sequence++;
  self->stats.frames++;
  return g_bytes_new_take (frame, ES_MEDIA_FRAME_HEADER_SIZE + sealed_length);
}

static WindowVerdict
window_check (EsMediaCipher *self,
              guint64        sequence)
{
  guint64 bit = sequence % ES_MEDIA_CIPHER_REPLAY_WINDOW;

  if (!self->has_highest || sequence > self->highest)
    return WINDOW_NEW;
  if (self->highest - sequence >= ES_MEDIA_CIPHER_REPLAY_WINDOW)
    return WINDOW_TOO_OLD;
  if (self->window[bit / 64] & (G_GUINT64_CONSTANT (1) << (bit % 64)))
    return WINDOW_REPLAYED;
  return WINDOW_NEW;
}

static void
window_set (EsMediaCipher *self,
            guint64        sequence,
            gboolean       seen)
{
  guint64 bit = sequence % ES_MEDIA_CIPHER_REPLAY_WINDOW;
  guint64 mask = G_GUINT64_CONSTANT (1) << (bit % 64);

  if (seen)
    self->window[bit / 64] |= mask;
  else
    self->window[bit / 64] &= ~mask;
}

/* The bitmap is circular: bit s % 1024 stands for the one sequence number s
 * inside [highest - 1023, highest]. Moving up forgets what falls out. */
static void
window_accept (EsMediaCipher *self,
               guint64        sequence)
{
  if (!self->has_highest)
    {
      self->highest = sequence;
      self->has_highest = TRUE;
    }
  else if (sequence > self->highest)
    {
      if (sequence - self->highest >= ES_MEDIA_CIPHER_REPLAY_WINDOW)
        memset (self->window, 0, sizeof self->window);
      else
        for (guint64 s = self->highest + 1; s < sequence; s++)
          window_set (self, s, FALSE);
      self->highest = sequence;
    }
  window_set (self, sequence, TRUE);
}

static void
wipe_candidates (Keys *keys)
{
  sodium_memzero (keys->candidate, sizeof keys->candidate);
  sodium_memzero (keys->candidate_previous, sizeof keys->candidate_previous);
}

static void
wipe_previous (EsMediaCipher *self)
{
  sodium_memzero (self->keys->previous, sizeof self->keys->previous);
  self->has_previous = FALSE;
}

/* The key for a frame of epoch, or NULL with the drop counted. Keys of a
 * later epoch are derived into the candidates, nothing else changes. */
static const guint8 *
select_key (EsMediaCipher  *self,
            guint64         epoch,
            GError        **error)
{
  Keys *keys = self->keys;

  if (epoch == self->epoch)
    return keys->current;
  if (epoch + 1 == self->epoch && self->has_previous)
    return keys->previous;
  if (epoch < self->epoch)
    {
      self->stats.too_old++;
      g_set_error (error, ES_ERROR, ES_ERROR_PROTOCOL,
                   "the key of epoch %" G_GUINT64_FORMAT " is gone", epoch);
      return NULL;
    }
  if (epoch - self->epoch > ES_MEDIA_CIPHER_MAX_EPOCHS_AHEAD)
    {
      self->stats.failed_authentication++;
      g_set_error (error, ES_ERROR, ES_ERROR_PROTOCOL,
                   "epoch %" G_GUINT64_FORMAT " is too far ahead of %" G_GUINT64_FORMAT,
                   epoch, self->epoch);
      return NULL;
    }

  memcpy (keys->candidate, keys->current, ES_MEDIA_CIPHER_KEY_SIZE);
  for (guint64 e = self->epoch; e < epoch; e++)
    {
      memcpy (keys->candidate_previous, keys->candidate, ES_MEDIA_CIPHER_KEY_SIZE);
      ratchet_step (keys->candidate_previous, keys->candidate);
    }
  return keys->candidate;
}

/* An authentic frame of epoch arrived: move to its epoch if it is later,
 * and forget the previous key once no frame could still need it. */
static void
commit (EsMediaCipher *self,
        guint64        epoch,
        guint64        sequence)
{
  Keys *keys = self->keys;

  window_accept (self, sequence);
  if (epoch > self->epoch)
    {
      memcpy (keys->previous, keys->candidate_previous, ES_MEDIA_CIPHER_KEY_SIZE);
      memcpy (keys->current, keys->candidate, ES_MEDIA_CIPHER_KEY_SIZE);
      self->has_previous = TRUE;
      self->epoch = epoch;
    }
  wipe_candidates (keys);

  if (self->has_previous &&
      self->highest - self->epoch * self->ratchet_interval >= ES_MEDIA_CIPHER_REPLAY_WINDOW)
    wipe_previous (self);
}

static gboolean
check_window (EsMediaCipher  *self,
              guint64         sequence,
              GError        **error)
{
  switch (window_check (self, sequence))
    {
    case WINDOW_REPLAYED:
      self->stats.replayed++;
      g_set_error (error, ES_ERROR, ES_ERROR_PROTOCOL,
                   "frame %" G_GUINT64_FORMAT " was already received", sequence);
      return FALSE;
    case WINDOW_TOO_OLD:
      self->stats.too_old++;
      g_set_error (error, ES_ERROR, ES_ERROR_PROTOCOL,
                   "frame %" G_GUINT64_FORMAT " is older than the replay window", sequence);
      return FALSE;
    case WINDOW_NEW:
    default:
      return TRUE;
    }
}

GBytes *
es_media_cipher_open (EsMediaCipher       *self,
                      const guint8        *frame,
                      gsize                length,
                      EsMediaFrameHeader  *header,
                      GError             **error)
{
  EsMediaFrameHeader parsed;
  guint8 nonce[NONCE_SIZE];
  const guint8 *key;
  guint64 epoch;
  g_autofree guint8 *payload = NULL;
  unsigned long long payload_length = 0;

  g_return_val_if_fail (ES_IS_MEDIA_CIPHER (self), NULL);
  g_return_val_if_fail (self->mode == ES_MEDIA_CIPHER_OPEN, NULL);
  g_return_val_if_fail (frame != NULL || length == 0, NULL);

  self->started = TRUE;
  if (!es_media_frame_header_parse (frame, length, &parsed, error))
    {
      self->stats.malformed++;
      return NULL;
    }
  epoch = parsed.sequence / self->ratchet_interval;
  if ((guint8) epoch != parsed.epoch)
    {
      self->stats.malformed++;
      g_set_error (error, ES_ERROR, ES_ERROR_PROTOCOL,
                   "frame %" G_GUINT64_FORMAT " says key epoch %u, its sequence gives %u",
                   parsed.sequence, parsed.epoch, (guint8) epoch);
      return NULL;
    }
  if (!check_window (self, parsed.sequence, error))
    return NULL;
  key = select_key (self, epoch, error);
  if (key == NULL)
    return NULL;

  make_nonce (parsed.sequence, nonce);
  payload = g_malloc (length - ES_MEDIA_FRAME_MIN_SIZE + 1);
  if (crypto_aead_chacha20poly1305_ietf_decrypt (payload, &payload_length, NULL,
                                                 frame + ES_MEDIA_FRAME_HEADER_SIZE,
                                                 length - ES_MEDIA_FRAME_HEADER_SIZE,
                                                 frame, ES_MEDIA_FRAME_HEADER_SIZE,
                                                 nonce, key) != 0)
    {
      wipe_candidates (self->keys);
      self->stats.failed_authentication++;
      g_set_error (error, ES_ERROR, ES_ERROR_PROTOCOL,
                   "frame %" G_GUINT64_FORMAT " does not authenticate", parsed.sequence);
      return NULL;
    }

  commit (self, epoch, parsed.sequence);
  self->stats.frames++;
  if (header != NULL)
    *header = parsed;
  return g_bytes_new_take (g_steal_pointer (&payload), payload_length);
}
