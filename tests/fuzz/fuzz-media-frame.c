/* Fuzz target: media frames (protocol.md §4). The input is both a raw frame
 * for the header parser and a small program that drives a sealer and an
 * opener sharing a fixed key, with a ratchet step every 16 frames, so that
 * the fuzzer explores loss, duplication, reordering, tampering and raw
 * garbage across key epochs, while these stay true:
 *   - a header that parses encodes back to the same 16 bytes;
 *   - an opened frame is one that was sealed, with its payload, once;
 *   - a frame with any bit altered never opens;
 *   - every refused frame counts in exactly one drop counter.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdint.h>
#include <string.h>

#include "es-media-cipher.h"

#define RATCHET_INTERVAL 16
#define SLOTS            8
#define MAX_SKIP         64

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

typedef enum {
  OP_SEAL,     /* n, then n payload bytes: seal and keep in the next slot */
  OP_DELIVER,  /* slot: open a kept frame (again, maybe) */
  OP_TAMPER,   /* slot, bit (2 bytes): open a kept frame with one bit flipped */
  OP_SKIP,     /* n: seal n frames that are lost */
  OP_RAW,      /* n, then n bytes: open them as they are */
  N_OPS
} Op;

typedef struct
{
  const uint8_t *data;
  size_t size;
  size_t offset;
} Reader;

typedef struct
{
  EsMediaCipher *sealer;
  EsMediaCipher *opener;
  GBytes *frames[SLOTS];
  GBytes *payloads[SLOTS];
  guint next_slot;
  GHashTable *opened;  /* sequence numbers that opened */
  guint64 attempts;
} Session;

static guint
read_byte (Reader *reader)
{
  return reader->offset < reader->size ? reader->data[reader->offset++] : 0;
}

static GBytes *
read_bytes (Reader *reader,
            guint   wanted)
{
  gsize length = MIN (wanted, reader->size - reader->offset);
  GBytes *bytes = g_bytes_new (reader->data + reader->offset, length);

  reader->offset += length;
  return bytes;
}

static void
check_header_round_trip (const uint8_t *data,
                         size_t         size)
{
  EsMediaFrameHeader header;
  guint8 encoded[ES_MEDIA_FRAME_HEADER_SIZE];

  if (!es_media_frame_header_parse (data, size, &header, NULL))
    return;
  es_media_frame_header_encode (&header, encoded);
  g_assert_cmpmem (encoded, sizeof encoded, data, ES_MEDIA_FRAME_HEADER_SIZE);
}

static GBytes *
open_frame (Session      *session,
            const guint8 *frame,
            gsize         length,
            guint64      *sequence)
{
  EsMediaFrameHeader header;
  GBytes *payload;

  session->attempts++;
  payload = es_media_cipher_open (session->opener, frame, length, &header, NULL);
  if (payload == NULL)
    return NULL;
  g_assert_false (g_hash_table_contains (session->opened, &header.sequence));
  *sequence = header.sequence;
  g_hash_table_add (session->opened, g_memdup2 (&header.sequence, sizeof header.sequence));
  return payload;
}

static void
seal (Session *session,
      GBytes  *payload)
{
  guint slot = session->next_slot++ % SLOTS;

  g_clear_pointer (&session->frames[slot], g_bytes_unref);
  g_clear_pointer (&session->payloads[slot], g_bytes_unref);
  session->payloads[slot] = g_bytes_ref (payload);
  session->frames[slot] = es_media_cipher_seal (session->sealer, ES_MEDIA_FRAME_AUDIO, 0, 0,
                                                ES_MEDIA_FRAME_FLAG_NONE,
                                                g_bytes_get_data (payload, NULL),
                                                g_bytes_get_size (payload));
}

static void
deliver (Session *session,
         guint    slot)
{
  g_autoptr(GBytes) payload = NULL;
  guint64 sequence = 0;

  if (session->frames[slot] == NULL)
    return;
  payload = open_frame (session, g_bytes_get_data (session->frames[slot], NULL),
                        g_bytes_get_size (session->frames[slot]), &sequence);
  if (payload != NULL)
    g_assert_true (g_bytes_equal (payload, session->payloads[slot]));
}

static void
tamper (Session *session,
        guint    slot,
        guint    bit)
{
  gsize length;
  g_autofree guint8 *copy = NULL;
  g_autoptr(GBytes) payload = NULL;
  guint64 sequence = 0;

  if (session->frames[slot] == NULL)
    return;
  length = g_bytes_get_size (session->frames[slot]);
  copy = g_memdup2 (g_bytes_get_data (session->frames[slot], NULL), length);
  copy[(bit / 8) % length] ^= (guint8) (1 << (bit % 8));
  payload = open_frame (session, copy, length, &sequence);
  g_assert_null (payload);
}

static void
run (Session *session,
     Reader  *reader)
{
  while (reader->offset < reader->size)
    {
      Op op = read_byte (reader) % N_OPS;
      g_autoptr(GBytes) bytes = NULL;
      g_autoptr(GBytes) payload = NULL;
      guint64 sequence = 0;
      guint slot;
      guint bit;

      switch (op)
        {
        case OP_SEAL:
          bytes = read_bytes (reader, read_byte (reader));
          seal (session, bytes);
          break;
        case OP_DELIVER:
          deliver (session, read_byte (reader) % SLOTS);
          break;
        case OP_TAMPER:
          slot = read_byte (reader) % SLOTS;
          bit = read_byte (reader) << 8;
          bit |= read_byte (reader);
          tamper (session, slot, bit);
          break;
        case OP_SKIP:
          for (guint n = read_byte (reader) % MAX_SKIP; n > 0; n--)
            g_bytes_unref (es_media_cipher_seal (session->sealer, ES_MEDIA_FRAME_AUDIO, 0, 0,
                                                 ES_MEDIA_FRAME_FLAG_NONE, NULL, 0));
          break;
        case OP_RAW:
        case N_OPS:
        default:
          bytes = read_bytes (reader, read_byte (reader));
          payload = open_frame (session, g_bytes_get_data (bytes, NULL),
                                g_bytes_get_size (bytes), &sequence);
          break;
        }
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  guint8 key[ES_MEDIA_CIPHER_KEY_SIZE];
  Session session = { 0 };
  Reader reader = { data, size, 0 };
  EsMediaCipherStats stats;

  check_header_round_trip (data, size);

  memset (key, 0x5a, sizeof key);
  session.sealer = es_media_cipher_new (ES_MEDIA_CIPHER_SEAL, key);
  session.opener = es_media_cipher_new (ES_MEDIA_CIPHER_OPEN, key);
  es_media_cipher_set_ratchet_interval (session.sealer, RATCHET_INTERVAL);
  es_media_cipher_set_ratchet_interval (session.opener, RATCHET_INTERVAL);
  session.opened = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);

  run (&session, &reader);

  es_media_cipher_get_stats (session.opener, &stats);
  g_assert_cmpuint (stats.frames, ==, g_hash_table_size (session.opened));
  g_assert_cmpuint (stats.frames + stats.malformed + stats.replayed + stats.too_old +
                    stats.failed_authentication, ==, session.attempts);

  for (guint i = 0; i < SLOTS; i++)
    {
      g_clear_pointer (&session.frames[i], g_bytes_unref);
      g_clear_pointer (&session.payloads[i], g_bytes_unref);
    }
  g_hash_table_unref (session.opened);
  g_object_unref (session.sealer);
  g_object_unref (session.opener);
  return 0;
}
