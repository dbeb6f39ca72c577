/* bench-echo-canceller: what the microphone's processing costs per 20 ms
 * frame, next to what every call already spends on the same frame (Opus at
 * 24 kbit/s), measured in the same run on the same speech.
 *
 *   bench-echo-canceller SPEECH.wav
 *
 * Prints one JSON object: microseconds per frame for each configuration
 * (thread CPU time, so that other processes do not count).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdio.h>
#include <time.h>

#include "es-audio-backend.h"
#include "es-echo-canceller.h"
#include "es-opus-encoder.h"
#include "es-wav-reader.h"

/* Enough frames for a stable figure: a minute of audio. */
#define FRAMES 3000

static double
thread_cpu_us (void)
{
  struct timespec now;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &now);
  return now.tv_sec * 1e6 + now.tv_nsec / 1e3;
}

/* The far end is the speech, the microphone hears it back 60 ms later at
 * a quarter of its level, as in the echo test. */
static double
canceller_us_per_frame (EsEchoCancellerFlags  flags,
                        const gint16         *speech,
                        gsize                 n)
{
  g_autoptr(EsEchoCanceller) canceller = es_echo_canceller_new (flags, NULL);
  gint16 mic[ES_AUDIO_FRAME_SAMPLES];
  gsize delay = 60 * ES_AUDIO_RATE / 1000, frames = n / ES_AUDIO_FRAME_SAMPLES;
  double start;

  es_echo_canceller_set_delay_ms (canceller, 60);
  start = thread_cpu_us ();
  for (gsize k = 0; k < FRAMES; k++)
    {
      gsize at = (k % frames) * ES_AUDIO_FRAME_SAMPLES;

      for (gsize i = 0; i < ES_AUDIO_FRAME_SAMPLES; i++)
        mic[i] = at + i >= delay ? speech[at + i - delay] / 4 : 0;
      es_echo_canceller_render (canceller, speech + at);
      es_echo_canceller_capture (canceller, mic);
    }
  return (thread_cpu_us () - start) / FRAMES;
}

static double
opus_us_per_frame (const gint16 *speech,
                   gsize         n)
{
  g_autoptr(EsOpusEncoder) encoder = es_opus_encoder_new ();
  guint8 packet[1500];
  gsize frames = n / ES_AUDIO_FRAME_SAMPLES;
  double start;

  es_opus_encoder_set_bitrate (encoder, 24000);
  start = thread_cpu_us ();
  for (gsize k = 0; k < FRAMES; k++)
    es_opus_encoder_encode (encoder, speech + (k % frames) * ES_AUDIO_FRAME_SAMPLES, packet,
                            sizeof packet, NULL);
  return (thread_cpu_us () - start) / FRAMES;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(EsWavReader) reader = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree gint16 *speech = NULL;
  gsize n;

  if (argc != 2)
    {
      g_printerr ("usage: bench-echo-canceller SPEECH.wav\n");
      return 2;
    }
  reader = es_wav_reader_new_for_path (argv[1], &error);
  if (reader == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  n = es_wav_reader_get_n_frames (reader);
  speech = g_new0 (gint16, n);
  if (es_wav_reader_read (reader, speech, n, &error) != (gssize) n)
    {
      g_printerr ("%s\n", error != NULL ? error->message : "short read");
      return 1;
    }

  printf ("{\"frame_ms\":%d,\"opus_encode_us\":%.1f,\"echo_only_us\":%.1f,"
          "\"echo_noise_gain_us\":%.1f}\n", ES_AUDIO_FRAME_MS, opus_us_per_frame (speech, n),
          canceller_us_per_frame (ES_ECHO_CANCELLER_ECHO, speech, n),
          canceller_us_per_frame (ES_ECHO_CANCELLER_ALL, speech, n));
  return 0;
}
