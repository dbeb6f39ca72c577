/* The call sounds as synthesised, without PipeWire: lengths, loops that join
 * without a seam, no clicks at the edges, levels below the call's speech,
 * and the notes where they belong.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>

#include "es-audio-backend.h"
#include "es-tone-player.h"

#define MS (ES_AUDIO_RATE / 1000)

static gint16 *
render_all (EsTone  tone,
            gsize   n,
            gsize  *rendered)
{
  gint16 *samples = g_new0 (gint16, n);

  *rendered = es_tone_render (tone, 0, samples, n);
  return samples;
}

/* The strongest frequency of @n samples, by a plain DFT over 5 Hz steps. */
static double
dominant_hz (const gint16 *samples,
             gsize         n)
{
  double best_hz = 0, best = -1;

  for (double hz = 200; hz <= 2000; hz += 5)
    {
      double re = 0, im = 0;

      for (gsize i = 0; i < n; i++)
        {
          re += samples[i] * cos (2 * G_PI * hz * i / ES_AUDIO_RATE);
          im += samples[i] * sin (2 * G_PI * hz * i / ES_AUDIO_RATE);
        }
      if (re * re + im * im > best)
        {
          best = re * re + im * im;
          best_hz = hz;
        }
    }
  return best_hz;
}

static void
test_short_tones_end (void)
{
  const EsTone tones[] = { ES_TONE_CONNECTED, ES_TONE_ENDED };

  for (guint k = 0; k < G_N_ELEMENTS (tones); k++)
    {
      gsize length = es_tone_get_length (tones[k]);
      gsize rendered;
      g_autofree gint16 *samples = render_all (tones[k], length + 1000, &rendered);
      gint16 tail[10];

      g_assert_false (es_tone_loops (tones[k]));
      /* Short: under half a second, over a tenth. */
      g_assert_cmpuint (length, >, 100 * MS);
      g_assert_cmpuint (length, <, 600 * MS);
      g_assert_cmpuint (rendered, ==, length);
      /* Nothing is written past the end. */
      for (gsize i = length; i < length + 1000; i++)
        g_assert_cmpint (samples[i], ==, 0);
      g_assert_cmpuint (es_tone_render (tones[k], length, tail, G_N_ELEMENTS (tail)), ==, 0);
      g_assert_cmpuint (es_tone_render (tones[k], length - 4, tail, G_N_ELEMENTS (tail)), ==, 4);
    }
}

/* Rendered in odd pieces, as PipeWire asks, a tone is the same as in one
 * go, and a looping tone carries on across its period without a seam. */
static void
test_pieces_and_loops (void)
{
  const EsTone tones[] = { ES_TONE_RING, ES_TONE_RINGBACK };

  for (guint k = 0; k < G_N_ELEMENTS (tones); k++)
    {
      gsize period = es_tone_get_length (tones[k]);
      gsize n = 2 * period + 777, rendered, at = 0;
      g_autofree gint16 *whole = render_all (tones[k], n, &rendered);
      g_autofree gint16 *pieces = g_new0 (gint16, n);
      const gsize sizes[] = { 512, 960, 441, 1, 1024 };

      g_assert_true (es_tone_loops (tones[k]));
      g_assert_cmpuint (rendered, ==, n);
      for (guint i = 0; at < n; i++)
        {
          gsize size = MIN (sizes[i % G_N_ELEMENTS (sizes)], n - at);

          g_assert_cmpuint (es_tone_render (tones[k], at, pieces + at, size), ==, size);
          at += size;
        }
      for (gsize i = 0; i < n; i++)
        g_assert_cmpint (pieces[i], ==, whole[i]);
      for (gsize i = 0; i + period < n; i++)
        g_assert_cmpint (whole[i], ==, whole[i + period]);
    }
}

/* Each note starts and ends at silence (no click), and no sample is louder
 * than -6 dBFS: the sounds sit below speech and never clip. */
static void
test_no_clicks_no_clipping (void)
{
  for (EsTone tone = ES_TONE_RING; tone <= ES_TONE_ENDED; tone++)
    {
      gsize length = es_tone_get_length (tone), rendered;
      g_autofree gint16 *samples = render_all (tone, length, &rendered);
      int peak = 0, biggest_step = 0;

      for (gsize i = 0; i < length; i++)
        {
          peak = MAX (peak, ABS (samples[i]));
          if (i > 0)
            biggest_step = MAX (biggest_step, ABS (samples[i] - samples[i - 1]));
        }
      g_assert_cmpint (peak, <, 32768 / 2);
      g_assert_cmpint (peak, >, 32768 / 16);
      g_assert_cmpint (ABS (samples[0]), <, 200);
      g_assert_cmpint (ABS (samples[length - 1]), <, 200);
      /* The steepest step of a 1.6 kHz sine at this level, with its
       * overtones: a click would be a jump far beyond it. */
      g_assert_cmpint (biggest_step, <, 6000);
    }
}

static void
test_notes (void)
{
  gsize rendered;
  g_autofree gint16 *ringback = render_all (ES_TONE_RINGBACK, 5000 * MS, &rendered);
  g_autofree gint16 *connected = render_all (ES_TONE_CONNECTED, 400 * MS, &rendered);
  g_autofree gint16 *ended = render_all (ES_TONE_ENDED, 600 * MS, &rendered);
  g_autofree gint16 *ring = render_all (ES_TONE_RING, 3000 * MS, &rendered);
  gsize loud = 0;

  /* Ringback: 425 Hz for one second, then four seconds of silence. */
  g_assert_cmpfloat (dominant_hz (ringback + 100 * MS, 100 * MS), ==, 425);
  for (gsize i = 1000 * MS; i < 5000 * MS; i++)
    g_assert_cmpint (ringback[i], ==, 0);
  /* Connected rises: C6 then G6. Ended falls: G5, E5, C5. */
  g_assert_cmpfloat (fabs (dominant_hz (connected, 100 * MS) - 1046.5), <, 5);
  g_assert_cmpfloat (fabs (dominant_hz (connected + 140 * MS, 100 * MS) - 1568), <, 5);
  g_assert_cmpfloat (fabs (dominant_hz (ended, 100 * MS) - 784), <, 5);
  g_assert_cmpfloat (fabs (dominant_hz (ended + 300 * MS, 100 * MS) - 523.25), <, 5);
  /* Ring: starts on E5, silent in the second half of its period. */
  g_assert_cmpfloat (fabs (dominant_hz (ring, 100 * MS) - 659.26), <, 5);
  for (gsize i = 2000 * MS; i < 3000 * MS; i++)
    loud += ring[i] != 0;
  g_assert_cmpuint (loud, ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/tone/short-tones-end", test_short_tones_end);
  g_test_add_func ("/tone/pieces-and-loops", test_pieces_and_loops);
  g_test_add_func ("/tone/no-clicks-no-clipping", test_no_clicks_no_clipping);
  g_test_add_func ("/tone/notes", test_notes);

  return g_test_run ();
}
