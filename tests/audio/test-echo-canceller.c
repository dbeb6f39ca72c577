/* The echo canceller without PipeWire: the far end's speech comes back into
 * the microphone delayed and attenuated, over a little room noise, and must
 * leave at least 20 dB quieter once the canceller has converged; the user's
 * own voice, while the far end is silent, must pass.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <string.h>

#include "audio-test-support.h"
#include "es-audio-backend.h"
#include "es-echo-canceller.h"

/* The echo path: how loud the far end comes back (-12 dB, a laptop speaker
 * a little away from its microphone) and over what noise floor. */
#define ECHO_GAIN 0.25
#define NOISE_DBFS -65.0
/* The figure: echo attenuated by at least 20 dB after convergence. */
#define MIN_ERLE_DB 20.0
/* How many times the speech plays: the canceller converges during the first
 * pass, and ERLE is measured over the whole of the last. */
#define PASSES 3
/* webrtc-audio-processing 0.3 delays what it lets through (about 14 ms at
 * 48 kHz, measured: the echo canceller's blocks and the noise suppressor's
 * overlapping windows); the near-end check looks for the voice up to this. */
#define MAX_PROCESSING_DELAY_MS 30

typedef struct
{
  gint16 *far;             /* what the call plays */
  gint16 *mic;             /* what the microphone hears */
  gint16 *out;             /* what the canceller lets through */
  gsize n;
} Signals;

static void
signals_clear (Signals *signals)
{
  g_free (signals->far);
  g_free (signals->mic);
  g_free (signals->out);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Signals, signals_clear)

/* Gaussian noise from a fixed seed, so that every run hears the same room. */
static double
noise_sample (GRand *rand,
              double rms)
{
  double u1 = g_rand_double_range (rand, 1e-12, 1.0);
  double u2 = g_rand_double (rand);

  return rms * sqrt (-2 * log (u1)) * cos (2 * G_PI * u2);
}

static gint16
clamp_sample (double value)
{
  return (gint16) CLAMP (lrint (value), G_MININT16, G_MAXINT16);
}

/* A small room: the direct sound, then reflections from the desk and the
 * walls over the next 20 ms (delay in ms after the direct sound, gain). */
static const struct { double ms, gain; } room[] = {
  { 0.0, 1.0 }, { 2.5, 0.45 }, { 6.0, -0.3 }, { 11.0, 0.2 }, { 19.0, -0.1 },
};

static double
echo_of (const gint16 *speech,
         gsize         n_speech,
         gsize         i,
         gsize         delay)
{
  double echo = 0;

  for (guint k = 0; k < G_N_ELEMENTS (room); k++)
    {
      gsize lag = delay + (gsize) (room[k].ms * ES_AUDIO_RATE / 1000);

      if (i >= lag)
        echo += room[k].gain * speech[(i - lag) % n_speech];
    }
  return ECHO_GAIN * echo;
}

/* The far end plays @speech @passes times; the microphone hears it
 * @delay_ms later through the room, plus noise. */
static gboolean
make_echo (Signals *signals,
           guint    delay_ms,
           guint    passes)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);
  g_autofree gint16 *speech = NULL;
  gsize n_speech = 0, delay = (gsize) delay_ms * ES_AUDIO_RATE / 1000;
  double noise_rms = 32768 * pow (10, NOISE_DBFS / 20);

  speech = audio_test_load_speech (&n_speech);
  if (speech == NULL)
    return FALSE;
  signals->n = n_speech * passes;
  signals->far = g_new0 (gint16, signals->n);
  signals->mic = g_new0 (gint16, signals->n);
  signals->out = g_new0 (gint16, signals->n);
  for (gsize i = 0; i < signals->n; i++)
    {
      signals->far[i] = speech[i % n_speech];
      signals->mic[i] = clamp_sample (echo_of (speech, n_speech, i, delay) +
                                      noise_sample (rand, noise_rms));
    }
  return TRUE;
}

/* Frame by frame, in the order sound goes: each far-end frame is rendered
 * before the microphone frame that follows it is captured. */
static void
run_canceller (EsEchoCanceller *canceller,
               Signals         *signals,
               int              delay_estimate_ms)
{
  es_echo_canceller_set_delay_ms (canceller, delay_estimate_ms);
  memcpy (signals->out, signals->mic, signals->n * sizeof *signals->mic);
  for (gsize at = 0; at + ES_AUDIO_FRAME_SAMPLES <= signals->n; at += ES_AUDIO_FRAME_SAMPLES)
    {
      es_echo_canceller_render (canceller, signals->far + at);
      es_echo_canceller_capture (canceller, signals->out + at);
    }
}

static double
energy (const gint16 *samples,
        gsize         n)
{
  double sum = 0;

  for (gsize i = 0; i < n; i++)
    sum += (double) samples[i] * samples[i];
  return sum;
}

/* Echo return loss enhancement over [from, to): how much less energy leaves
 * the canceller than came into it from the microphone. Summed over a whole
 * pass of the speech, so the loud parts of the echo dominate and the pauses
 * between sentences (only noise, little energy either way) barely count. */
static double
erle_db (const Signals *signals,
         gsize          from,
         gsize          to)
{
  return 10 * log10 (energy (signals->mic + from, to - from) /
                     MAX (energy (signals->out + from, to - from), 1.0));
}

static void
check_echo_removed (guint                delay_ms,
                    int                  delay_estimate_ms,
                    EsEchoCancellerFlags flags)
{
  g_auto(Signals) signals = { 0 };
  g_autoptr(EsEchoCanceller) canceller = NULL;
  g_autoptr(GError) error = NULL;
  EsEchoCancellerStats stats;
  gsize pass;
  double erle, first_erle;

  if (!make_echo (&signals, delay_ms, PASSES))
    return;
  canceller = es_echo_canceller_new (flags, &error);
  g_assert_no_error (error);
  run_canceller (canceller, &signals, delay_estimate_ms);

  pass = signals.n / PASSES;
  first_erle = erle_db (&signals, 0, pass);
  erle = erle_db (&signals, signals.n - pass, signals.n);
  es_echo_canceller_get_stats (canceller, &stats);
  g_test_message ("echo %u ms late (estimate %d ms), flags 0x%x: ERLE %.1f dB in the first "
                  "pass, %.1f dB in the last; the delay the canceller found: %d ms",
                  delay_ms, delay_estimate_ms, flags, first_erle, erle, stats.delay_median_ms);
  g_assert_cmpfloat (erle, >=, MIN_ERLE_DB);
  /* It found an echo path (where exactly is its own estimate). */
  g_assert_cmpint (stats.delay_median_ms, >=, 0);
}

/* The backend's estimate is right. */
static void
test_echo_30ms (void)
{
  check_echo_removed (30, 30, ES_ECHO_CANCELLER_ALL);
}

static void
test_echo_100ms (void)
{
  check_echo_removed (100, 100, ES_ECHO_CANCELLER_ALL);
}

/* The backend knows its buffers but not the room or the hardware: the
 * canceller finds the rest itself. */
static void
test_echo_60ms_estimated_low (void)
{
  check_echo_removed (60, 20, ES_ECHO_CANCELLER_ALL);
}

/* The canceller alone, without noise suppression and gain control. */
static void
test_echo_only (void)
{
  check_echo_removed (60, 60, ES_ECHO_CANCELLER_ECHO);
}

/* The lag, up to MAX_PROCESSING_DELAY_MS, at which @out best matches @in;
 * returns that correlation. */
static double
best_correlation (const gint16 *in,
                  const gint16 *out,
                  gsize         n,
                  gssize       *best_lag)
{
  double best = -1;

  for (gssize lag = 0; lag <= MAX_PROCESSING_DELAY_MS * ES_AUDIO_RATE / 1000; lag++)
    {
      double correlation = audio_test_correlation (in, out, n, lag);

      if (correlation > best)
        {
          best = correlation;
          *best_lag = lag;
        }
    }
  return best;
}

/* After the canceller has learnt the echo path, the far end falls silent
 * and the user speaks: the voice goes through, not much quieter (the gain
 * control may make it louder) and still the same voice. */
static void
test_near_end_passes (void)
{
  g_autoptr(EsEchoCanceller) canceller = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (11);
  g_auto(Signals) signals = { 0 };
  gsize half, n;
  gssize lag = 0;
  double level_db, correlation;

  if (!make_echo (&signals, 60, 2))
    return;
  half = signals.n / 2;
  n = signals.n - half;
  /* Second half: the far end is silent, its echo has died away, and the
   * microphone hears the user (the same speech, at a normal level). */
  memset (signals.far + half, 0, n * sizeof *signals.far);
  for (gsize i = 0; i < n; i++)
    signals.mic[half + i] = clamp_sample (0.5 * signals.far[i] +
                                          noise_sample (rand, 32768 * pow (10, NOISE_DBFS / 20)));

  canceller = es_echo_canceller_new (ES_ECHO_CANCELLER_ALL, &error);
  g_assert_no_error (error);
  run_canceller (canceller, &signals, 60);

  level_db = 10 * log10 (energy (signals.out + half, n) / energy (signals.mic + half, n));
  correlation = best_correlation (signals.mic + half, signals.out + half, n, &lag);
  g_test_message ("near end alone after convergence: level %+.1f dB, correlation %.3f "
                  "%.1f ms later", level_db, correlation, lag * 1000.0 / ES_AUDIO_RATE);
  g_assert_cmpfloat (level_db, >, -3.0);
  g_assert_cmpfloat (correlation, >, 0.9);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/echo-canceller/echo-30ms", test_echo_30ms);
  g_test_add_func ("/echo-canceller/echo-100ms", test_echo_100ms);
  g_test_add_func ("/echo-canceller/echo-60ms-estimated-low", test_echo_60ms_estimated_low);
  g_test_add_func ("/echo-canceller/echo-only", test_echo_only);
  g_test_add_func ("/echo-canceller/near-end-passes", test_near_end_passes);

  return g_test_run ();
}
