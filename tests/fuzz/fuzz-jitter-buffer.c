/* Fuzz target: the jitter buffer, which takes sequence numbers, timestamps
 * and Opus payloads from the peer. The input is a small program of packet
 * arrivals and 20 ms pulls on a clock that only moves forward, so that the
 * fuzzer explores loss, reordering, duplicates, timestamp jumps and wraps,
 * frame durations and damaged payloads, while these stay true:
 *   - every insert has exactly one outcome, and the counters add up;
 *   - every pull fills a block and says what made it;
 *   - the target delay stays within its bounds.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <stdint.h>

#include "es-audio-backend.h"
#include "es-jitter-buffer.h"
#include "es-opus-packet.h"

#define MAX_PAYLOAD 64
#define MAX_TARGET_MS 500.0

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

typedef struct
{
  const uint8_t *data;
  size_t size;
  size_t offset;
} Reader;

static guint
read_byte (Reader *reader)
{
  return reader->offset < reader->size ? reader->data[reader->offset++] : 0;
}

static guint32
read_le32 (Reader *reader)
{
  guint32 value = read_byte (reader);

  value |= (guint32) read_byte (reader) << 8;
  value |= (guint32) read_byte (reader) << 16;
  return value | (guint32) read_byte (reader) << 24;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(EsOpusDecoder) decoder = es_opus_decoder_new ();
  g_autoptr(EsJitterBuffer) buffer = es_jitter_buffer_new (decoder);
  Reader reader = { data, size, 0 };
  guint64 sequence = 0, accepted = 0, duplicates = 0;
  guint32 timestamp = 0;
  gint64 now = 1000000;
  EsJitterBufferStats stats;

  while (reader.offset < reader.size)
    {
      guint op = read_byte (&reader);

      if (op & 1)
        {
          gint16 pcm[ES_AUDIO_FRAME_SAMPLES];
          EsJitterBufferPlayout what;

          now += (op >> 1) * 1000;
          what = es_jitter_buffer_pull (buffer, pcm, now);
          g_assert_cmpuint (what, !=, 0);
          g_assert_cmpuint (what, <, ES_JITTER_BUFFER_DROPPED << 1);
        }
      else
        {
          guint8 payload[MAX_PAYLOAD];
          guint length = read_byte (&reader) % MAX_PAYLOAD;
          EsJitterBufferInsertResult result;

          /* Mostly small steps, sometimes jumps of any size. */
          sequence += (op & 2) ? (guint64) read_le32 (&reader)
                               : (guint64) (gint64) (gint8) read_byte (&reader);
          timestamp += (op & 4) ? read_le32 (&reader)
                                : (guint32) (gint8) read_byte (&reader) * ES_OPUS_SAMPLES_STEP;
          for (guint i = 0; i < length; i++)
            payload[i] = (guint8) read_byte (&reader);
          result = es_jitter_buffer_insert (buffer, sequence, timestamp, payload, length,
                                            now - (gint64) ((op >> 3) * 2000));
          if (es_opus_packet_get_samples (payload, length) < 0)
            g_assert_cmpint (result, ==, ES_JITTER_BUFFER_INVALID);
          accepted += result == ES_JITTER_BUFFER_ACCEPTED;
          duplicates += result == ES_JITTER_BUFFER_DUPLICATE;
        }

      es_jitter_buffer_get_stats (buffer, &stats);
      g_assert_cmpuint (stats.received, ==, accepted);
      g_assert_cmpuint (stats.duplicates, ==, duplicates);
      g_assert_true (stats.target_delay_ms >= 0 && stats.target_delay_ms <= MAX_TARGET_MS);
      g_assert_true (isfinite (stats.current_delay_ms));
      g_assert_true (stats.concealed_ms >= 0 && stats.recovered_ms >= 0);
    }
  return 0;
}
