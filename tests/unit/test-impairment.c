/* The test-only impairment: its grammar, its determinism, and that what it
 * does over many packets matches what it was asked for.
 *
 * The statistical checks use fixed seeds, so they are reproducible; the
 * tolerances are still chosen as if the seeds were random (at least five
 * standard deviations of the estimate, worked out beside each check), so
 * that a correct model passes for any seed and a wrong one (loss applied
 * twice, bursts of the wrong length, jitter in the wrong unit) fails.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <string.h>

#include "es-error.h"
#include "es-impairment.h"

static const guint32 seeds[] = { 1, 2, 12345 };

typedef struct
{
  guint packets;
  guint lost;
  guint bursts;
  guint duplicated;
  guint reordered;
  double delay_sum_ms;
  double delay_min_ms;
  double delay_max_ms;
  guint delays;
} Sample;

static Sample
run (const char *spec,
     guint       packets)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EsImpairment) impairment = es_impairment_new_from_string (spec, &error);
  Sample sample = { packets, 0, 0, 0, 0, 0, G_MAXDOUBLE, -G_MAXDOUBLE, 0 };
  gboolean previous_lost = FALSE;

  g_assert_no_error (error);
  for (guint i = 0; i < packets; i++)
    {
      gint64 delays[ES_IMPAIRMENT_MAX_COPIES];
      guint copies = es_impairment_next (impairment, delays);

      g_assert_cmpuint (copies, <=, ES_IMPAIRMENT_MAX_COPIES);
      if (copies == 0)
        {
          sample.lost++;
          if (!previous_lost)
            sample.bursts++;
        }
      previous_lost = copies == 0;
      if (copies == 2)
        sample.duplicated++;
      for (guint c = 0; c < copies; c++)
        {
          double ms = delays[c] / 1000.0;

          sample.delay_sum_ms += ms;
          sample.delay_min_ms = MIN (sample.delay_min_ms, ms);
          sample.delay_max_ms = MAX (sample.delay_max_ms, ms);
          sample.delays++;
          if (c == 0 && ms > 50)
            sample.reordered++;
        }
    }
  return sample;
}

static void
assert_parse_error (const char *spec,
                    const char *expected_words)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EsImpairment) impairment = es_impairment_new_from_string (spec, &error);

  g_assert_null (impairment);
  g_assert_error (error, ES_ERROR, ES_ERROR_INVALID_ARGUMENT);
  if (strstr (error->message, expected_words) == NULL)
    g_error ("“%s”: expected “%s” in “%s”", spec, expected_words, error->message);
}

static void
test_grammar (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EsImpairment) full = NULL;
  g_autoptr(EsImpairment) spaced = NULL;
  g_autofree char *text = NULL;
  g_autofree char *spaced_text = NULL;

  full = es_impairment_new_from_string ("loss=5,burst=3,delay=40,jitter=10,reorder=1,dup=0.5,seed=7",
                                        &error);
  g_assert_no_error (error);
  text = es_impairment_to_string (full);
  g_assert_cmpstr (text, ==,
                   "loss=5,burst=3,delay=40,jitter=10,reorder=1,dup=0.5,from=0,until=0,seed=7");

  spaced = es_impairment_new_from_string (" delay = 25 , seed=3", &error);
  g_assert_no_error (error);
  spaced_text = es_impairment_to_string (spaced);
  g_assert_cmpstr (spaced_text, ==,
                   "loss=0,burst=1,delay=25,jitter=0,reorder=0,dup=0,from=0,until=0,seed=3");
}

static void
test_errors_name_the_key (void)
{
  assert_parse_error ("loss=5,latency=40", "unknown key “latency”");
  assert_parse_error ("loss=abc", "loss=abc");
  assert_parse_error ("loss=101", "loss=101");
  assert_parse_error ("loss=-1", "loss=-1");
  assert_parse_error ("delay=", "delay=");
  assert_parse_error ("jitter=nan", "jitter=nan");
  assert_parse_error ("burst=0.5", "burst=0.5");
  assert_parse_error ("seed=-3", "seed=-3");
  assert_parse_error ("seed=4294967296", "seed=4294967296");
  assert_parse_error ("loss=5,loss=6", "loss is given twice");
  assert_parse_error ("loss", "“loss” is not KEY=VALUE");
  assert_parse_error ("loss=5,", "is not KEY=VALUE");
  assert_parse_error ("loss=90,burst=2", "burst=2 is too short for loss=90");
  assert_parse_error ("loss=5,from=10,until=5", "until=5 must come after from=10");
}

/* from= and until= confine the impairment to a time window. */
static void
test_time_window (void)
{
  g_autoptr(EsImpairment) later = es_impairment_new_from_string ("loss=100,from=3600,seed=1", NULL);
  g_autoptr(EsImpairment) now = es_impairment_new_from_string ("loss=100,until=3600,seed=1", NULL);
  gint64 delays[ES_IMPAIRMENT_MAX_COPIES];

  for (guint i = 0; i < 100; i++)
    {
      g_assert_cmpuint (es_impairment_next (later, delays), ==, 1);
      g_assert_cmpint (delays[0], ==, 0);
      g_assert_cmpuint (es_impairment_next (now, delays), ==, 0);
    }
}

static void
test_environment (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EsImpairment) impairment = NULL;

  g_unsetenv ("EARSHOT_IMPAIR");
  g_assert_null (es_impairment_new_from_env (&error));
  g_assert_no_error (error);

  g_setenv ("EARSHOT_IMPAIR", "", TRUE);
  g_assert_null (es_impairment_new_from_env (&error));
  g_assert_no_error (error);

  g_setenv ("EARSHOT_IMPAIR", "loss=5,seed=1", TRUE);
  impairment = es_impairment_new_from_env (&error);
  g_assert_no_error (error);
  g_assert_nonnull (impairment);

  g_setenv ("EARSHOT_IMPAIR", "los=5", TRUE);
  g_assert_null (es_impairment_new_from_env (&error));
  g_assert_error (error, ES_ERROR, ES_ERROR_INVALID_ARGUMENT);
  g_assert_true (g_str_has_prefix (error->message, "EARSHOT_IMPAIR: "));
  g_assert_nonnull (strstr (error->message, "“los”"));
  g_unsetenv ("EARSHOT_IMPAIR");
}

static void
test_deterministic_for_a_seed (void)
{
  const char *spec = "loss=20,burst=3,delay=10,jitter=5,reorder=5,dup=5,seed=99";
  g_autoptr(EsImpairment) a = es_impairment_new_from_string (spec, NULL);
  g_autoptr(EsImpairment) b = es_impairment_new_from_string (spec, NULL);
  g_autoptr(EsImpairment) other = es_impairment_new_from_string (
    "loss=20,burst=3,delay=10,jitter=5,reorder=5,dup=5,seed=100", NULL);
  gboolean differs = FALSE;

  for (guint i = 0; i < 10000; i++)
    {
      gint64 delays_a[ES_IMPAIRMENT_MAX_COPIES] = { 0 };
      gint64 delays_b[ES_IMPAIRMENT_MAX_COPIES] = { 0 };
      gint64 delays_other[ES_IMPAIRMENT_MAX_COPIES] = { 0 };
      guint copies_a = es_impairment_next (a, delays_a);
      guint copies_b = es_impairment_next (b, delays_b);
      guint copies_other = es_impairment_next (other, delays_other);

      g_assert_cmpuint (copies_a, ==, copies_b);
      for (guint c = 0; c < copies_a; c++)
        g_assert_cmpint (delays_a[c], ==, delays_b[c]);
      differs |= copies_a != copies_other || (copies_a > 0 && delays_a[0] != delays_other[0]);
    }
  g_assert_true (differs);
}

static void
test_random_loss (void)
{
  for (gsize s = 0; s < G_N_ELEMENTS (seeds); s++)
    {
      g_autofree char *spec = g_strdup_printf ("loss=10,seed=%u", seeds[s]);
      Sample sample = run (spec, 100000);
      double rate = (double) sample.lost / sample.packets;
      double burst = (double) sample.lost / sample.bursts;

      /* Binomial: sd = sqrt(0.1 × 0.9 / 1e5) = 0.095 %; ±0.6 % is 6 sd. */
      g_assert_cmpfloat_with_epsilon (rate, 0.10, 0.006);
      /* Independent losses: geometric bursts of mean 1 / (1 − p) = 1.111,
       * variance p / (1 − p)² = 0.123 over ~9000 bursts: sd 0.004. */
      g_assert_cmpfloat_with_epsilon (burst, 1 / 0.9, 0.03);
    }
}

static void
test_burst_loss (void)
{
  for (gsize s = 0; s < G_N_ELEMENTS (seeds); s++)
    {
      g_autofree char *spec = g_strdup_printf ("loss=10,burst=4,seed=%u", seeds[s]);
      Sample sample = run (spec, 200000);
      double rate = (double) sample.lost / sample.packets;
      double burst = (double) sample.lost / sample.bursts;

      /* ~5000 bursts of geometric length (mean 4, variance 12), their count
       * itself random: sd of the lost count ≈ 375 of 20000, 0.19 % of the
       * packets; ±1 % is over 5 sd. */
      g_assert_cmpfloat_with_epsilon (rate, 0.10, 0.01);
      /* sd of the mean burst = sqrt(12 / 5000) = 0.05; ±0.3 is 6 sd. A
       * model without memory would give 1.11, far outside. */
      g_assert_cmpfloat_with_epsilon (burst, 4.0, 0.3);
    }
}

static void
test_delay_and_jitter (void)
{
  for (gsize s = 0; s < G_N_ELEMENTS (seeds); s++)
    {
      g_autofree char *spec = g_strdup_printf ("delay=40,jitter=10,seed=%u", seeds[s]);
      Sample sample = run (spec, 20000);

      g_assert_cmpuint (sample.lost, ==, 0);
      /* Uniform on [30, 50] ms: the extremes are reached within 0.1 ms
       * (each side has a 1e-4 chance per packet to land that close). */
      g_assert_cmpfloat (sample.delay_min_ms, >=, 30.0);
      g_assert_cmpfloat (sample.delay_max_ms, <=, 50.0);
      g_assert_cmpfloat (sample.delay_min_ms, <, 30.1);
      g_assert_cmpfloat (sample.delay_max_ms, >, 49.9);
      /* sd of the mean = 10 / sqrt(3) / sqrt(20000) = 0.04 ms. */
      g_assert_cmpfloat_with_epsilon (sample.delay_sum_ms / sample.delays, 40.0, 0.25);
    }
}

static void
test_reorder_and_duplicate (void)
{
  for (gsize s = 0; s < G_N_ELEMENTS (seeds); s++)
    {
      g_autofree char *spec = g_strdup_printf ("delay=40,jitter=10,reorder=10,dup=5,seed=%u",
                                               seeds[s]);
      Sample sample = run (spec, 50000);

      /* Reordered packets are held ES_IMPAIRMENT_REORDER_MS + 2 × jitter
       * longer (65–85 ms here), every other copy stays within 30–50 ms:
       * counting first copies over 50 ms counts exactly the reordered ones.
       * Binomial sd 0.13 % (reorder) and 0.1 % (dup); ±1 % is 7 sd. */
      g_assert_cmpfloat_with_epsilon ((double) sample.reordered / sample.packets, 0.10, 0.01);
      g_assert_cmpfloat_with_epsilon ((double) sample.duplicated / sample.packets, 0.05, 0.01);
      g_assert_cmpfloat (sample.delay_max_ms, <=, 40 + 10 + ES_IMPAIRMENT_REORDER_MS + 20);
      g_assert_cmpfloat (sample.delay_min_ms, >=, 30);
    }
}

static void
test_extremes (void)
{
  Sample all = run ("loss=100,seed=1", 1000);
  Sample none = run ("loss=0,dup=0,seed=1", 1000);

  g_assert_cmpuint (all.lost, ==, 1000);
  g_assert_cmpuint (none.lost, ==, 0);
  g_assert_cmpuint (none.duplicated, ==, 0);
  g_assert_cmpfloat (none.delay_max_ms, ==, 0);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/impairment/grammar", test_grammar);
  g_test_add_func ("/impairment/errors-name-the-key", test_errors_name_the_key);
  g_test_add_func ("/impairment/environment", test_environment);
  g_test_add_func ("/impairment/time-window", test_time_window);
  g_test_add_func ("/impairment/deterministic-for-a-seed", test_deterministic_for_a_seed);
  g_test_add_func ("/impairment/random-loss", test_random_loss);
  g_test_add_func ("/impairment/burst-loss", test_burst_loss);
  g_test_add_func ("/impairment/delay-and-jitter", test_delay_and_jitter);
  g_test_add_func ("/impairment/reorder-and-duplicate", test_reorder_and_duplicate);
  g_test_add_func ("/impairment/extremes", test_extremes);

  return g_test_run ();
}
