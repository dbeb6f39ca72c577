/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "audio-test-support.h"

#include <math.h>

#include "es-audio-backend.h"
#include "es-wav-reader.h"
#include "es-wav-writer.h"

gint16 *
audio_test_load_speech (gsize *n_samples)
{
  const char *path = g_getenv ("EARSHOT_SPEECH_WAV");
  g_autoptr(EsWavReader) reader = NULL;
  g_autoptr(GError) error = NULL;
  gsize frames;
  gint16 *samples;

  if (path == NULL)
    {
      g_test_skip ("no speech signal: the build needs espeak-ng and sox "
                   "(apt-get install espeak-ng sox)");
      return NULL;
    }
  reader = es_wav_reader_new_for_path (path, &error);
  g_assert_no_error (error);
  frames = es_wav_reader_get_n_frames (reader);
  *n_samples = (frames + ES_AUDIO_FRAME_SAMPLES - 1) / ES_AUDIO_FRAME_SAMPLES *
               ES_AUDIO_FRAME_SAMPLES;
  samples = g_new0 (gint16, *n_samples);
  g_assert_cmpint (es_wav_reader_read (reader, samples, frames, &error), ==, frames);
  return samples;
}

gint16 *
audio_test_make_bursts (gsize n_samples,
                        guint on_ms,
                        guint off_ms)
{
  gint16 *samples = g_new0 (gint16, n_samples);
  gsize cycle = (gsize) (on_ms + off_ms) * ES_AUDIO_RATE / 1000;
  gsize on = (gsize) on_ms * ES_AUDIO_RATE / 1000;

  for (gsize i = 0; i < n_samples; i++)
    {
      double t = (double) i / ES_AUDIO_RATE;

      if (i % cycle < on)
        samples[i] = (gint16) (0.3 * 32767 * (0.6 * sin (2 * G_PI * 440 * t) +
                                              0.4 * sin (2 * G_PI * 660 * t)));
    }
  return samples;
}

double
audio_test_correlation (const gint16 *a,
                        const gint16 *b,
                        gsize         n,
                        gssize        lag)
{
  double ab = 0, aa = 0, bb = 0;

  for (gsize i = 0; i < n; i++)
    {
      gssize j = (gssize) i + lag;
      double x = a[i];
      double y = j >= 0 && (gsize) j < n ? b[j] : 0;

      ab += x * y;
      aa += x * x;
      bb += y * y;
    }
  return aa > 0 && bb > 0 ? ab / sqrt (aa * bb) : 0;
}

double
audio_test_snr_db (const gint16 *a,
                   const gint16 *b,
                   gsize         n)
{
  double signal = 0, noise = 0;

  for (gsize i = 0; i < n; i++)
    {
      signal += (double) a[i] * a[i];
      noise += ((double) a[i] - b[i]) * ((double) a[i] - b[i]);
    }
  return 10 * log10 ((signal + 1e-9) / (noise + 1e-9));
}

double
audio_test_rms (const gint16 *samples,
                gsize         n)
{
  double sum = 0;

  for (gsize i = 0; i < n; i++)
    sum += (double) samples[i] * samples[i];
  return n > 0 ? sqrt (sum / n) / 32768.0 : 0;
}

void
audio_test_write_wav (const char   *path,
                      const gint16 *samples,
                      gsize         n)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EsWavWriter) writer = es_wav_writer_new (path, &error);

  g_assert_no_error (error);
  g_assert_true (es_wav_writer_write (writer, samples, n, &error));
  g_assert_true (es_wav_writer_close (writer, &error));
  g_assert_no_error (error);
}
