/* End-to-end media encryption: AEAD, replay window, ratchet (protocol.md
 * §3-§4).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "es-call-keys.h"
#include "es-error.h"
#include "es-media-cipher.h"

#define CALL_ID "0123456789abcdef0123456789abcdef"

/* From tests/vectors/call-keys-vector.py (Python `cryptography`:
 * ChaCha20-Poly1305 and HKDF-Expand over OpenSSL): the caller-to-callee key
 * of the call-keys vector, its first ratchet step, and two frames sealed
 * with a step every 16 frames. */
#define VECTOR_KEY     "711a94bdfe09a57ffd4396a5f563a72ec45158b4fabb6fc54524646a5054cf27"
#define VECTOR_FRAME_0 "10000000000000000000000003c002005aacfe6b33974641c6cf99462c332fe2" \
                       "cc7abf105bcbdd25878cc3953ad6a5"
#define VECTOR_FRAME_17 "1001000000000000001100003fc00201e4f05cf693bdaea659d17422e348290f" \
                        "335a9a50400dcd37d60f3d9448"

typedef struct
{
  EsMediaCipher *sealer;
  EsMediaCipher *opener;
} Fixture;

static void
from_hex (const char *hex,
          guint8     *data)
{
  for (gsize i = 0; hex[2 * i] != '\0'; i++)
    data[i] = (guint8) (g_ascii_xdigit_value (hex[2 * i]) << 4 |
                        g_ascii_xdigit_value (hex[2 * i + 1]));
}

static char *
to_hex (GBytes *bytes)
{
  gsize length = 0;
  const guint8 *data = g_bytes_get_data (bytes, &length);
  GString *hex = g_string_new (NULL);

  for (gsize i = 0; i < length; i++)
    g_string_append_printf (hex, "%02x", data[i]);
  return g_string_free (hex, FALSE);
}

static gboolean
contains (const guint8 *haystack,
          gsize         length,
          const char   *needle,
          gsize         needle_length)
{
  for (gsize i = 0; i + needle_length <= length; i++)
    if (memcmp (haystack + i, needle, needle_length) == 0)
      return TRUE;
  return FALSE;
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  guint8 key[ES_MEDIA_CIPHER_KEY_SIZE];
  guint64 interval = GPOINTER_TO_SIZE (data);

  from_hex (VECTOR_KEY, key);
  fixture->sealer = es_media_cipher_new (ES_MEDIA_CIPHER_SEAL, key);
  fixture->opener = es_media_cipher_new (ES_MEDIA_CIPHER_OPEN, key);
  if (interval != 0)
    {
      es_media_cipher_set_ratchet_interval (fixture->sealer, interval);
      g_object_set (fixture->opener, "ratchet-interval", interval, NULL);
    }
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_clear_object (&fixture->sealer);
  g_clear_object (&fixture->opener);
}

static GBytes *
seal_audio (EsMediaCipher *sealer,
            const char    *text)
{
  guint64 sequence = es_media_cipher_get_next_sequence (sealer);

  return es_media_cipher_seal (sealer, ES_MEDIA_FRAME_AUDIO, (guint32) (sequence * 960), 2,
                               ES_MEDIA_FRAME_FLAG_NONE, (const guint8 *) text, strlen (text));
}

/* Seals count numbered frames: payload "frame N". */
static GPtrArray *
seal_frames (EsMediaCipher *sealer,
             guint          count)
{
  GPtrArray *frames = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

  for (guint i = 0; i < count; i++)
    {
      g_autofree char *text = g_strdup_printf ("frame %" G_GUINT64_FORMAT,
                                               es_media_cipher_get_next_sequence (sealer));
      g_ptr_array_add (frames, seal_audio (sealer, text));
    }
  return frames;
}

static gboolean
try_open (EsMediaCipher  *opener,
          GBytes         *frame,
          GError        **error)
{
  gsize length = 0;
  const guint8 *data = g_bytes_get_data (frame, &length);
  g_autoptr(GBytes) payload = es_media_cipher_open (opener, data, length, NULL, error);

  return payload != NULL;
}

static void
assert_opens (EsMediaCipher *opener,
              GBytes        *frame,
              guint64        sequence)
{
  gsize length = 0;
  const guint8 *data = g_bytes_get_data (frame, &length);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) payload = NULL;
  g_autofree char *expected = g_strdup_printf ("frame %" G_GUINT64_FORMAT, sequence);
  EsMediaFrameHeader header;

  payload = es_media_cipher_open (opener, data, length, &header, &error);
  g_assert_no_error (error);
  g_assert_nonnull (payload);
  g_assert_cmpuint (header.sequence, ==, sequence);
  g_assert_cmpmem (g_bytes_get_data (payload, NULL), g_bytes_get_size (payload),
                   expected, strlen (expected));
}

static void
assert_stats (EsMediaCipher *cipher,
              guint64        frames,
              guint64        malformed,
              guint64        replayed,
              guint64        too_old,
              guint64        failed_authentication)
{
  EsMediaCipherStats stats;

  es_media_cipher_get_stats (cipher, &stats);
  g_assert_cmpuint (stats.frames, ==, frames);
  g_assert_cmpuint (stats.malformed, ==, malformed);
  g_assert_cmpuint (stats.replayed, ==, replayed);
  g_assert_cmpuint (stats.too_old, ==, too_old);
  g_assert_cmpuint (stats.failed_authentication, ==, failed_authentication);
}

static void
test_known_answer (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GBytes) first = NULL;
  g_autoptr(GBytes) later = NULL;
  g_autoptr(GPtrArray) skipped = NULL;
  g_autofree char *first_hex = NULL;
  g_autofree char *later_hex = NULL;
  const char *text = "opus frame zero";
  g_autoptr(GBytes) payload = NULL;

  first = es_media_cipher_seal (fixture->sealer, ES_MEDIA_FRAME_AUDIO, 960, 2,
                                ES_MEDIA_FRAME_FLAG_NONE, (const guint8 *) text, strlen (text));
  first_hex = to_hex (first);
  g_assert_cmpstr (first_hex, ==, VECTOR_FRAME_0);

  skipped = seal_frames (fixture->sealer, 16);
  text = "opus frame 17";
  later = es_media_cipher_seal (fixture->sealer, ES_MEDIA_FRAME_AUDIO, 17 * 960, 2,
                                ES_MEDIA_FRAME_FLAG_REDUNDANCY,
                                (const guint8 *) text, strlen (text));
  later_hex = to_hex (later);
  g_assert_cmpstr (later_hex, ==, VECTOR_FRAME_17);

  g_assert_true (try_open (fixture->opener, first, NULL));
  payload = es_media_cipher_open (fixture->opener, g_bytes_get_data (later, NULL),
                                  g_bytes_get_size (later), NULL, NULL);
  g_assert_cmpmem (g_bytes_get_data (payload, NULL), g_bytes_get_size (payload),
                   text, strlen (text));
}

static void
test_round_trip (Fixture       *fixture,
                 gconstpointer  data)
{
  static const struct {
    EsMediaFrameKind kind;
    EsMediaFrameFlags flags;
  } frames[] = {
    { ES_MEDIA_FRAME_AUDIO, ES_MEDIA_FRAME_FLAG_NONE },
    { ES_MEDIA_FRAME_QUALITY_REPORT, ES_MEDIA_FRAME_FLAG_NONE },
    { ES_MEDIA_FRAME_AUDIO, ES_MEDIA_FRAME_FLAG_REDUNDANCY | ES_MEDIA_FRAME_FLAG_AFTER_SILENCE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (frames); i++)
    {
      g_autofree guint8 *payload = g_malloc (i * 100);
      g_autoptr(GBytes) frame = NULL;
      g_autoptr(GBytes) opened = NULL;
      g_autoptr(GError) error = NULL;
      EsMediaFrameHeader header;

      for (guint j = 0; j < i * 100; j++)
        payload[j] = (guint8) (j * 7 + i);
      frame = es_media_cipher_seal (fixture->sealer, frames[i].kind, 1000 + i, (guint8) i,
                                    frames[i].flags, payload, i * 100);
      g_assert_cmpuint (g_bytes_get_size (frame), ==, ES_MEDIA_FRAME_MIN_SIZE + i * 100);

      opened = es_media_cipher_open (fixture->opener, g_bytes_get_data (frame, NULL),
                                     g_bytes_get_size (frame), &header, &error);
      g_assert_no_error (error);
      g_assert_cmpmem (g_bytes_get_data (opened, NULL), g_bytes_get_size (opened),
                       payload, i * 100);
      g_assert_cmpint (header.kind, ==, frames[i].kind);
      g_assert_cmpuint (header.sequence, ==, i);
      g_assert_cmpuint (header.timestamp, ==, 1000 + i);
      g_assert_cmpuint (header.tier, ==, i);
      g_assert_cmpint (header.flags, ==, frames[i].flags);
    }
  g_assert_cmpuint (es_media_cipher_get_next_sequence (fixture->sealer), ==, 3);
  assert_stats (fixture->sealer, 3, 0, 0, 0, 0);
  assert_stats (fixture->opener, 3, 0, 0, 0, 0);
}

/* What the relay forwards is not the Opus frame: the payload appears
 * nowhere in the datagram, and another key cannot open it. */
static void
test_relay_cannot_read (Fixture       *fixture,
                        gconstpointer  data)
{
  const char *opus = "OggS-like Opus payload that must not be visible on the wire";
  g_autoptr(GBytes) frame = seal_audio (fixture->sealer, opus);
  gsize length = 0;
  const guint8 *bytes = g_bytes_get_data (frame, &length);
  guint8 other_key[ES_MEDIA_CIPHER_KEY_SIZE];
  g_autoptr(EsMediaCipher) stranger = NULL;
  g_autoptr(GError) error = NULL;

  /* Not even 4 bytes in a row of the clear payload. */
  for (gsize i = 0; i + 4 <= strlen (opus); i++)
    g_assert_false (contains (bytes, length, opus + i, 4));

  memset (other_key, 0x42, sizeof other_key);
  stranger = es_media_cipher_new (ES_MEDIA_CIPHER_OPEN, other_key);
  g_assert_false (try_open (stranger, frame, &error));
  g_assert_error (error, ES_ERROR, ES_ERROR_PROTOCOL);
  assert_stats (stranger, 0, 0, 0, 0, 1);
}

static void
test_replay_dropped (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(GPtrArray) frames = seal_frames (fixture->sealer, 3);
  g_autoptr(GError) error = NULL;

  assert_opens (fixture->opener, frames->pdata[0], 0);
  assert_opens (fixture->opener, frames->pdata[2], 2);
  g_assert_false (try_open (fixture->opener, frames->pdata[2], &error));
  g_assert_error (error, ES_ERROR, ES_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, "already"));
  g_clear_error (&error);
  g_assert_false (try_open (fixture->opener, frames->pdata[0], NULL));
  assert_opens (fixture->opener, frames->pdata[1], 1);
  g_assert_false (try_open (fixture->opener, frames->pdata[1], NULL));
  assert_stats (fixture->opener, 3, 0, 3, 0, 0);
}

static void
test_window_edges (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GPtrArray) frames = seal_frames (fixture->sealer, 2000);
  g_autoptr(GError) error = NULL;

  assert_opens (fixture->opener, frames->pdata[1500], 1500);
  /* [highest - 1023, highest] is inside; one further is too old. */
  assert_opens (fixture->opener, frames->pdata[1500 - 1023], 1500 - 1023);
  g_assert_false (try_open (fixture->opener, frames->pdata[1500 - 1024], &error));
  g_assert_nonnull (strstr (error->message, "older than the replay window"));
  g_assert_false (try_open (fixture->opener, frames->pdata[0], NULL));

  /* A jump further than the window forgets all of it. */
  assert_opens (fixture->opener, frames->pdata[1999], 1999);
  g_assert_false (try_open (fixture->opener, frames->pdata[1500 - 1023], NULL));
  assert_opens (fixture->opener, frames->pdata[1999 - 1023], 1999 - 1023);
  assert_opens (fixture->opener, frames->pdata[1998], 1998);
  g_assert_false (try_open (fixture->opener, frames->pdata[1998], NULL));
  assert_stats (fixture->opener, 5, 0, 1, 3, 0);
}

/* The bitmap is reused as the window moves: a slot freed by a step forward
 * must not still say "seen" for the sequence number that now owns it. */
static void
test_window_slots_reused (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(GPtrArray) frames = seal_frames (fixture->sealer, 1100);
  static const guint order[] = { 1, 1024, 1026, 1025, 1027, 5, 1030, 1029, 1028 };

  for (guint i = 0; i < G_N_ELEMENTS (order); i++)
    assert_opens (fixture->opener, frames->pdata[order[i]], order[i]);
  g_assert_false (try_open (fixture->opener, frames->pdata[1], NULL));
  g_assert_false (try_open (fixture->opener, frames->pdata[5], NULL));
  g_assert_false (try_open (fixture->opener, frames->pdata[1025], NULL));
  assert_stats (fixture->opener, G_N_ELEMENTS (order), 0, 1, 2, 0);
}

static void
shuffle (GPtrArray *array,
         guint32    seed)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);

  for (guint i = array->len - 1; i > 0; i--)
    {
      guint j = (guint) g_rand_int_range (rand, 0, (gint32) i + 1);
      gpointer swap = array->pdata[i];

      array->pdata[i] = array->pdata[j];
      array->pdata[j] = swap;
    }
}

static void
test_reordering_within_window (Fixture       *fixture,
                               gconstpointer  data)
{
  g_autoptr(GPtrArray) frames = seal_frames (fixture->sealer, 600);
  g_autoptr(GPtrArray) order = g_ptr_array_new ();

  for (guint i = 0; i < frames->len; i++)
    g_ptr_array_add (order, GUINT_TO_POINTER (i));
  shuffle (order, 7);
  for (guint i = 0; i < order->len; i++)
    {
      guint index = GPOINTER_TO_UINT (order->pdata[i]);

      assert_opens (fixture->opener, frames->pdata[index], index);
    }
  for (guint i = 0; i < frames->len; i++)
    g_assert_false (try_open (fixture->opener, frames->pdata[i], NULL));
  assert_stats (fixture->opener, 600, 0, 600, 0, 0);
}

/* Any single altered byte, header or ciphertext or tag, is refused, and no
 * refused frame moves the window: the genuine frames all open afterwards. */
static void
test_tampering_refused_without_state (Fixture       *fixture,
                                      gconstpointer  data)
{
  g_autoptr(GPtrArray) frames = seal_frames (fixture->sealer, 3);
  GBytes *genuine = frames->pdata[1];
  gsize length = 0;
  const guint8 *bytes = g_bytes_get_data (genuine, &length);
  g_autofree guint8 *copy = g_memdup2 (bytes, length);
  EsMediaCipherStats stats;
  guint attempts = 0;

  for (gsize i = 0; i < length; i++)
    for (guint bit = 0; bit < 8; bit++)
      {
        g_autoptr(GError) error = NULL;
        g_autoptr(GBytes) payload = NULL;

        copy[i] ^= (guint8) (1 << bit);
        payload = es_media_cipher_open (fixture->opener, copy, length, NULL, &error);
        g_assert_null (payload);
        g_assert_error (error, ES_ERROR, ES_ERROR_PROTOCOL);
        copy[i] ^= (guint8) (1 << bit);
        attempts++;
      }
  /* Truncated and extended frames. */
  for (gsize cut = 0; cut < length; cut++)
    {
      g_assert_null (es_media_cipher_open (fixture->opener, copy, cut, NULL, NULL));
      attempts++;
    }

  es_media_cipher_get_stats (fixture->opener, &stats);
  g_assert_cmpuint (stats.frames, ==, 0);
  g_assert_cmpuint (stats.replayed + stats.too_old, ==, 0);
  g_assert_cmpuint (stats.malformed + stats.failed_authentication, ==, attempts);
  g_assert_cmpuint (stats.failed_authentication, >, 0);

  assert_opens (fixture->opener, frames->pdata[2], 2);
  assert_opens (fixture->opener, frames->pdata[1], 1);
  assert_opens (fixture->opener, frames->pdata[0], 0);
}

/* The epoch byte must agree with the sequence number: a frame that says
 * otherwise is malformed before any key is tried. */
static void
test_epoch_byte_checked (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(GPtrArray) frames = seal_frames (fixture->sealer, 20);
  gsize length = 0;
  g_autofree guint8 *copy = g_memdup2 (g_bytes_get_data (frames->pdata[18], &length),
                                       g_bytes_get_size (frames->pdata[18]));
  g_autoptr(GError) error = NULL;

  g_assert_cmpuint (copy[1], ==, 1);
  copy[1] = 0;
  g_assert_null (es_media_cipher_open (fixture->opener, copy, length, NULL, &error));
  g_assert_error (error, ES_ERROR, ES_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, "says key epoch 0, its sequence gives 1"));
  assert_stats (fixture->opener, 0, 1, 0, 0, 0);
  assert_opens (fixture->opener, frames->pdata[18], 18);
}

/* A forger who knows the header format sends a frame far ahead: it must
 * not push the window past the genuine frames still to come. */
static void
test_forged_frame_does_not_move_window (Fixture       *fixture,
                                        gconstpointer  data)
{
  g_autoptr(GPtrArray) frames = seal_frames (fixture->sealer, 10);
  guint8 forged[ES_MEDIA_FRAME_MIN_SIZE + 20] = { 0 };
  const EsMediaFrameHeader header = { ES_MEDIA_FRAME_AUDIO, 0, 60000, 0, 0, 0 };

  es_media_frame_header_encode (&header, forged);
  assert_opens (fixture->opener, frames->pdata[0], 0);
  g_assert_null (es_media_cipher_open (fixture->opener, forged, sizeof forged, NULL, NULL));
  for (guint i = 1; i < frames->len; i++)
    assert_opens (fixture->opener, frames->pdata[i], i);
  assert_stats (fixture->opener, 10, 0, 0, 0, 1);
}

static void
test_garbage_never_crashes (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (11);
  guint8 buffer[200];
  EsMediaCipherStats stats;

  for (guint i = 0; i < 5000; i++)
    {
      gsize length = (gsize) g_rand_int_range (rand, 0, sizeof buffer);

      for (gsize j = 0; j < length; j++)
        buffer[j] = (guint8) g_rand_int (rand);
      if (length > 0 && i % 2 == 0)
        buffer[0] = 0x10; /* a valid version and kind, to get past the header */
      g_assert_null (es_media_cipher_open (fixture->opener, buffer, length, NULL, NULL));
    }
  es_media_cipher_get_stats (fixture->opener, &stats);
  g_assert_cmpuint (stats.frames, ==, 0);
  g_assert_cmpuint (stats.malformed + stats.replayed + stats.too_old +
                    stats.failed_authentication, ==, 5000);
}

/* With a step every 16 frames, a stream crossing several steps decrypts
 * with loss at each boundary and reordering across it. */
static void
test_ratchet_loss_and_reordering (Fixture       *fixture,
                                  gconstpointer  data)
{
  g_autoptr(GPtrArray) frames = seal_frames (fixture->sealer, 100);
  /* Lost: the last of epoch 0 and the first of epoch 1, the first two of
   * epoch 5. Reordered across a step, after the receiver has moved on: 47
   * after 48 and 49, 63 after 64. */
  static const guint delivery[] = {
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
    17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33,
    34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 48, 49, 47, 50,
    51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 64, 63, 65, 66, 67,
    68, 69, 70, 71, 72, 73, 74, 75, 76, 77, 78, 79,
    82, 83, 84, 85, 86, 87, 88, 89, 90, 91, 92, 93, 94, 95, 96, 97, 98, 99,
  };

  for (guint i = 0; i < frames->len; i++)
    {
      EsMediaFrameHeader header;

      g_assert_true (es_media_frame_header_parse (g_bytes_get_data (frames->pdata[i], NULL),
                                                  g_bytes_get_size (frames->pdata[i]),
                                                  &header, NULL));
      g_assert_cmpuint (header.epoch, ==, i / 16);
    }
  for (guint i = 0; i < G_N_ELEMENTS (delivery); i++)
    assert_opens (fixture->opener, frames->pdata[delivery[i]], delivery[i]);
  assert_stats (fixture->opener, G_N_ELEMENTS (delivery), 0, 0, 0, 0);
}

/* The receiver keeps only the previous epoch's key: once it has moved two
 * epochs on, a late frame of the old epoch no longer opens, even though it
 * is still inside the replay window. */
static void
test_ratchet_old_keys_gone (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autoptr(GPtrArray) frames = seal_frames (fixture->sealer, 64);
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < 40; i++)
    if (i != 20 && i != 30 && i != 31)
      assert_opens (fixture->opener, frames->pdata[i], i);
  /* Now in epoch 2: epoch 1 (frames 16-31) is the previous one. */
  assert_opens (fixture->opener, frames->pdata[30], 30);
  assert_opens (fixture->opener, frames->pdata[48], 48);
  /* Now in epoch 3: the key of epoch 1 is wiped. */
  g_assert_false (try_open (fixture->opener, frames->pdata[20], &error));
  g_assert_error (error, ES_ERROR, ES_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, "epoch 1 is gone"));
  g_assert_false (try_open (fixture->opener, frames->pdata[31], NULL));
  assert_stats (fixture->opener, 39, 0, 0, 2, 0);
}

/* A jump of a few epochs (a long outage) still decrypts; a frame claiming
 * to be further ahead than the receiver will derive is refused. */
static void
test_ratchet_bounded_lookahead (Fixture       *fixture,
                                gconstpointer  data)
{
  g_autoptr(GPtrArray) frames = seal_frames (fixture->sealer, 200);
  g_autoptr(GError) error = NULL;
  guint near = 16 * ES_MEDIA_CIPHER_MAX_EPOCHS_AHEAD + 15;
  guint far = near + 16 + 1;

  assert_opens (fixture->opener, frames->pdata[1], 1);
  g_assert_false (try_open (fixture->opener, frames->pdata[far], &error));
  g_assert_nonnull (strstr (error->message, "too far ahead"));
  assert_opens (fixture->opener, frames->pdata[near], near);
  /* Frames between are still reachable through the previous key only for
   * the epoch just before. */
  assert_opens (fixture->opener, frames->pdata[near - 16], near - 16);
  g_assert_false (try_open (fixture->opener, frames->pdata[near - 32], NULL));
  assert_opens (fixture->opener, frames->pdata[far], far);
  assert_stats (fixture->opener, 4, 0, 0, 1, 1);
}

/* With the real interval: frames reordered across the step open, and the
 * stream goes on well past it. */
static void
test_ratchet_default_interval (Fixture       *fixture,
                               gconstpointer  data)
{
  guint64 interval = ES_MEDIA_CIPHER_DEFAULT_RATCHET_INTERVAL;
  g_autoptr(GPtrArray) frames = NULL;
  guint64 sequence;

  g_assert_cmpuint (es_media_cipher_get_ratchet_interval (fixture->sealer), ==, interval);
  while (es_media_cipher_get_next_sequence (fixture->sealer) < interval - 2)
    g_bytes_unref (seal_audio (fixture->sealer, "skipped"));
  frames = seal_frames (fixture->sealer, 1100);
  sequence = interval - 2;

  assert_opens (fixture->opener, frames->pdata[0], sequence);
  assert_opens (fixture->opener, frames->pdata[2], interval);
  assert_opens (fixture->opener, frames->pdata[1], interval - 1);
  for (guint i = 3; i < frames->len; i++)
    assert_opens (fixture->opener, frames->pdata[i], sequence + i);
  assert_stats (fixture->opener, 1100, 0, 0, 0, 0);
}

static void
test_keys_from_a_call (void)
{
  g_autoptr(EsCallKeys) caller = es_call_keys_new (ES_CALL_ROLE_CALLER);
  g_autoptr(EsCallKeys) callee = es_call_keys_new (ES_CALL_ROLE_CALLEE);
  g_autofree char *caller_ephemeral = es_call_keys_dup_public_key_hex (caller);
  g_autofree char *callee_ephemeral = es_call_keys_dup_public_key_hex (callee);
  g_autofree char *offer = g_strdup_printf ("{\"ephemeral\":\"%s\"}", caller_ephemeral);
  g_autofree char *answer = g_strdup_printf ("{\"ephemeral\":\"%s\"}", callee_ephemeral);
  g_autoptr(EsMediaCipher) caller_sealer = NULL;
  g_autoptr(EsMediaCipher) callee_opener = NULL;
  g_autoptr(EsMediaCipher) callee_sealer = NULL;
  g_autoptr(EsMediaCipher) caller_opener = NULL;
  g_autoptr(EsMediaCipher) again = NULL;
  g_autoptr(GBytes) forward = NULL;
  g_autoptr(GBytes) backward = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_null (es_media_cipher_new_for_call (caller, ES_MEDIA_CIPHER_SEAL, &error));
  g_assert_error (error, ES_ERROR, ES_ERROR_FAILED);
  g_clear_error (&error);

  g_assert_true (es_call_keys_derive (caller, CALL_ID, offer, answer, NULL));
  g_assert_true (es_call_keys_derive (callee, CALL_ID, offer, answer, NULL));
  caller_sealer = es_media_cipher_new_for_call (caller, ES_MEDIA_CIPHER_SEAL, NULL);
  caller_opener = es_media_cipher_new_for_call (caller, ES_MEDIA_CIPHER_OPEN, NULL);
  callee_sealer = es_media_cipher_new_for_call (callee, ES_MEDIA_CIPHER_SEAL, NULL);
  callee_opener = es_media_cipher_new_for_call (callee, ES_MEDIA_CIPHER_OPEN, NULL);
  g_assert_nonnull (caller_sealer);
  g_assert_nonnull (callee_opener);

  forward = seal_audio (caller_sealer, "frame 0");
  backward = seal_audio (callee_sealer, "frame 0");
  assert_opens (callee_opener, forward, 0);
  assert_opens (caller_opener, backward, 0);
  /* Each direction has its own key: a frame reflected back does not open. */
  g_assert_false (try_open (caller_opener, forward, NULL));

  again = es_media_cipher_new_for_call (caller, ES_MEDIA_CIPHER_SEAL, &error);
  g_assert_null (again);
  g_assert_error (error, ES_ERROR, ES_ERROR_FAILED);
}

int
main (int argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func, interval) \
  g_test_add ("/media-cipher/" path, Fixture, GSIZE_TO_POINTER (interval), \
              fixture_set_up, func, fixture_tear_down)

  ADD ("known-answer", test_known_answer, 16);
  ADD ("round-trip", test_round_trip, 0);
  ADD ("relay-cannot-read", test_relay_cannot_read, 0);
  ADD ("replay-dropped", test_replay_dropped, 0);
  ADD ("window-edges", test_window_edges, 0);
  ADD ("window-slots-reused", test_window_slots_reused, 0);
  ADD ("reordering-within-window", test_reordering_within_window, 0);
  ADD ("tampering-refused-without-state", test_tampering_refused_without_state, 0);
  ADD ("forged-frame-does-not-move-window", test_forged_frame_does_not_move_window, 0);
  ADD ("epoch-byte-checked", test_epoch_byte_checked, 16);
  ADD ("garbage-never-crashes", test_garbage_never_crashes, 16);
  ADD ("ratchet/loss-and-reordering", test_ratchet_loss_and_reordering, 16);
  ADD ("ratchet/old-keys-gone", test_ratchet_old_keys_gone, 16);
  ADD ("ratchet/bounded-lookahead", test_ratchet_bounded_lookahead, 16);
  ADD ("ratchet/default-interval", test_ratchet_default_interval, 0);
#undef ADD
  g_test_add_func ("/media-cipher/keys-from-a-call", test_keys_from_a_call);

  return g_test_run ();
}
