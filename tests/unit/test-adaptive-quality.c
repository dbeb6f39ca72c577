/* Choosing the tier: down fast, up slowly, no flapping.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>

#include "es-adaptive-quality.h"

static guint
feed (EsAdaptiveQuality *quality,
      double             loss,
      guint              reports)
{
  EsQualityInput input = { .loss_pct = loss, .jitter_ms = 5, .rtt_ms = 40 };
  guint tier = es_adaptive_quality_get_tier (quality);

  for (guint i = 0; i < reports; i++)
    tier = es_adaptive_quality_update (quality, &input);
  return tier;
}

static void
on_tier_changed (EsAdaptiveQuality *quality,
                 guint              tier,
                 guint             *changes)
{
  (*changes)++;
}

static void
test_tiers_span_the_range (void)
{
  g_assert_cmpuint (es_quality_tier_get (0)->bitrate, ==, 64000);
  g_assert_cmpuint (es_quality_tier_get (ES_QUALITY_N_TIERS - 1)->bitrate, <=, 6000);
  g_assert_cmpuint (es_quality_tier_get (ES_QUALITY_N_TIERS - 1)->frame_ms, >=, 40);
  for (guint i = 1; i < ES_QUALITY_N_TIERS; i++)
    g_assert_cmpuint (es_quality_tier_get (i)->bitrate, <, es_quality_tier_get (i - 1)->bitrate);
}

static void
test_climbs_slowly_on_a_clean_path (void)
{
  g_autoptr(EsAdaptiveQuality) quality = es_adaptive_quality_new (3);

  /* Not one step before the hold time... */
  g_assert_cmpuint (feed (quality, 0, 4), ==, 3);
  g_assert_cmpuint (feed (quality, 0, 1), ==, 2);
  /* ...then one step per hold time, up to the best. */
  g_assert_cmpuint (feed (quality, 0, 4), ==, 2);
  g_assert_cmpuint (feed (quality, 0, 1), ==, 1);
  g_assert_cmpuint (feed (quality, 0, 20), ==, 0);
}

static void
test_drops_at_once_and_recovers (void)
{
  g_autoptr(EsAdaptiveQuality) quality = es_adaptive_quality_new (0);
  guint tier;

  /* Heavy loss: the lowest tiers within one report. */
  g_assert_cmpuint (feed (quality, 30, 1), >=, 6);
  g_assert_true (es_quality_tier_get (es_adaptive_quality_get_tier (quality))->redundancy);
  g_assert_cmpuint (es_adaptive_quality_get_expected_loss (quality), ==, 30);

  /* Recovered: back up, one step at a time, all the way. */
  tier = es_adaptive_quality_get_tier (quality);
  for (guint step = 0; step < 200 && tier > 0; step++)
    {
      guint next = feed (quality, 0, 1);

      g_assert_cmpuint (next + 1, >=, tier);
      tier = next;
    }
  g_assert_cmpuint (tier, ==, 0);
}

static void
test_no_flapping_around_a_threshold (void)
{
  g_autoptr(EsAdaptiveQuality) quality = es_adaptive_quality_new (3);
  guint changes = 0;

  g_signal_connect (quality, "tier-changed", G_CALLBACK (on_tier_changed), &changes);
  /* Loss alternating just under and just over a tier bound. */
  for (guint i = 0; i < 120; i++)
    feed (quality, i % 2 ? 9.5 : 10.5, 1);
  g_assert_cmpuint (changes, <=, 2);
}

static void
test_bursts_and_congestion (void)
{
  g_autoptr(EsAdaptiveQuality) bursty = es_adaptive_quality_new (0);
  g_autoptr(EsAdaptiveQuality) congested = es_adaptive_quality_new (0);
  EsQualityInput burst = { .loss_pct = 8, .bursty = TRUE, .rtt_ms = 40 };
  EsQualityInput slow = { .loss_pct = 0, .rtt_ms = 600, .jitter_ms = 5 };

  g_assert_cmpuint (es_adaptive_quality_update (bursty, &burst), >=, 6);
  g_assert_cmpuint (es_adaptive_quality_update (congested, &slow), >=, 3);
}

static void
test_nonsense_input_is_the_worst_case (void)
{
  g_autoptr(EsAdaptiveQuality) quality = es_adaptive_quality_new (0);
  EsQualityInput input = { .loss_pct = NAN };

  g_assert_cmpuint (es_adaptive_quality_update (quality, &input), ==, ES_QUALITY_N_TIERS - 1);
  input.loss_pct = -5;
  g_assert_cmpuint (es_adaptive_quality_update (quality, &input), ==, ES_QUALITY_N_TIERS - 1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/adaptive-quality/tiers-span-the-range", test_tiers_span_the_range);
  g_test_add_func ("/adaptive-quality/climbs-slowly", test_climbs_slowly_on_a_clean_path);
  g_test_add_func ("/adaptive-quality/drops-at-once-and-recovers", test_drops_at_once_and_recovers);
  g_test_add_func ("/adaptive-quality/no-flapping", test_no_flapping_around_a_threshold);
  g_test_add_func ("/adaptive-quality/bursts-and-congestion", test_bursts_and_congestion);
  g_test_add_func ("/adaptive-quality/nonsense-input", test_nonsense_input_is_the_worst_case);
  return g_test_run ();
}
