/* Fuzz target: the WAV reader (EsWavReader), which parses files a user
 * names on the command line and must never read past what a file holds or
 * allocate what it merely declares. For every input that parses, these stay
 * true:
 *   - the declared frames fit in the input;
 *   - reading hands out exactly the declared frames, then 0;
 *   - the format is one the reader converts.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdint.h>

#include "es-audio-backend.h"
#include "es-wav-reader.h"

/* Odd, so reads end at every place in the reader's internal blocks. */
#define READ_FRAMES 997

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GBytes) bytes = g_bytes_new (data, size);
  g_autoptr(GInputStream) stream = g_memory_input_stream_new_from_bytes (bytes);
  g_autoptr(GError) error = NULL;
  g_autoptr(EsWavReader) reader = es_wav_reader_new_for_stream (stream, "fuzz.wav", &error);
  gint16 samples[READ_FRAMES];
  guint64 total = 0;
  guint bits, bytes_per_frame;
  gssize n;

  if (reader == NULL)
    {
      g_assert_nonnull (error);
      g_assert_true (g_str_has_prefix (error->message, "fuzz.wav: "));
      return 0;
    }
  g_assert_no_error (error);

  bits = es_wav_reader_get_bits (reader);
  g_assert_cmpuint (es_wav_reader_get_channels (reader), >=, 1);
  g_assert_cmpuint (es_wav_reader_get_channels (reader), <=, ES_WAV_READER_MAX_CHANNELS);
  if (es_wav_reader_get_is_float (reader))
    g_assert_true (bits == 32 || bits == 64);
  else
    g_assert_true (bits == 8 || bits == 16 || bits == 24 || bits == 32);
  bytes_per_frame = es_wav_reader_get_channels (reader) * bits / 8;
  g_assert_cmpuint (es_wav_reader_get_n_frames (reader) * bytes_per_frame, <=, size);

  while ((n = es_wav_reader_read (reader, samples, READ_FRAMES, &error)) > 0)
    total += (guint64) n;
  g_assert_no_error (error);
  g_assert_cmpint (n, ==, 0);
  g_assert_cmpuint (total, ==, es_wav_reader_get_n_frames (reader));
  return 0;
}
