/* es-adaptive-quality.c
 *
 * The receiver knows how a call arrives; the sender chooses how to send it.
 * Each side reports once a second what it received (loss, jitter, RTT), and
 * the other side picks its tier from that report: down at once when the
 * network gets worse, up one step at a time and only after the network has
 * stayed clearly better for a while, so that the tier does not flap around a
 * threshold. Loss is the loss of the last seconds, not since the call began.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsAdaptiveQuality"

#include "es-adaptive-quality.h"

#include <math.h>

/* From 64 kbit/s to 6 kbit/s (DESIGN §6). In-band FEC from tier 2 on
 * (libopus spends bits on it only when it expects loss), 20 ms frames as long
 * as they pay (a lost 60 ms packet is 60 ms of concealment), and at the two
 * lowest tiers longer frames, whose packets cost less header, each carrying
 * the previous one again for heavy loss. */
static const EsQualityTier tiers[ES_QUALITY_N_TIERS] = {
  { 64000, 20, FALSE, FALSE },
  { 48000, 20, FALSE, FALSE },
  { 32000, 20, TRUE,  FALSE },
  { 24000, 20, TRUE,  FALSE },
  { 16000, 20, TRUE,  FALSE },
  { 12000, 20, TRUE,  FALSE },
  { 10000, 40, TRUE,  TRUE  },
  {  6000, 60, TRUE,  TRUE  },
};

/* The worst loss (%) each tier is chosen for. Going back up needs the loss
 * under half of the better tier's bound (hysteresis). */
static const double max_loss_for_tier[ES_QUALITY_N_TIERS] = {
  1.0, 2.0, 3.0, 10.0, 15.0, 20.0, 35.0, 100.0,
};

/* A path this slow or this jittery is congested: send less. */
#define CONGESTED_RTT_MS 400.0
#define CONGESTED_JITTER_MS 60.0
#define CONGESTED_TIER 3
/* Bursts defeat FEC (it rebuilds one frame from the next): longer frames
 * and redundancy do better. */
#define BURSTY_MIN_LOSS 5.0
#define BURSTY_TIER 6
/* Reports that must all be good before one step up, and the quiet time after
 * any change. */
#define UP_HOLD_REPORTS 5

struct _EsAdaptiveQuality
{
  GObject parent_instance;

  guint tier;
  guint good_reports;
  double expected_loss;
};

G_DEFINE_FINAL_TYPE (EsAdaptiveQuality, es_adaptive_quality, G_TYPE_OBJECT)

enum {
  TIER_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
es_adaptive_quality_class_init (EsAdaptiveQualityClass *klass)
{
  signals[TIER_CHANGED] =
    g_signal_new ("tier-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
}

static void
es_adaptive_quality_init (EsAdaptiveQuality *self)
{
}

const EsQualityTier *
es_quality_tier_get (guint tier)
{
  g_return_val_if_fail (tier < ES_QUALITY_N_TIERS, &tiers[ES_QUALITY_N_TIERS - 1]);
  return &tiers[tier];
}

EsAdaptiveQuality *
es_adaptive_quality_new (guint initial_tier)
{
  EsAdaptiveQuality *self = g_object_new (ES_TYPE_ADAPTIVE_QUALITY, NULL);

  self->tier = MIN (initial_tier, ES_QUALITY_N_TIERS - 1);
  return self;
}

/* The best tier these conditions allow. */
static guint
tier_for (const EsQualityInput *input,
          double                loss)
{
  guint tier = 0;

  while (tier < ES_QUALITY_N_TIERS - 1 && loss > max_loss_for_tier[tier])
    tier++;
  if (input->rtt_ms > CONGESTED_RTT_MS || input->jitter_ms > CONGESTED_JITTER_MS)
    tier = MAX (tier, CONGESTED_TIER);
  if (input->bursty && loss >= BURSTY_MIN_LOSS)
    tier = MAX (tier, BURSTY_TIER);
  return tier;
}

static void
set_tier (EsAdaptiveQuality *self,
          guint              tier)
{
  if (tier == self->tier)
    return;
  g_debug ("tier %u → %u", self->tier, tier);
  self->tier = tier;
  self->good_reports = 0;
  g_signal_emit (self, signals[TIER_CHANGED], 0, tier);
}

guint
es_adaptive_quality_update (EsAdaptiveQuality    *self,
                            const EsQualityInput *input)
{
  double loss = isfinite (input->loss_pct) ? CLAMP (input->loss_pct, 0, 100) : 100;
  guint allowed = tier_for (input, loss);

  self->expected_loss = loss;
  if (allowed > self->tier)
    {
      /* Down at once, all the way. */
      set_tier (self, allowed);
      return self->tier;
    }

  /* Up one step, and only when the loss is well under the better tier's
   * bound and has stayed there. */
  if (self->tier > 0 && allowed < self->tier && loss <= max_loss_for_tier[self->tier - 1] / 2)
    self->good_reports++;
  else
    self->good_reports = 0;
  if (self->good_reports >= UP_HOLD_REPORTS)
    set_tier (self, self->tier - 1);
  return self->tier;
}

guint
es_adaptive_quality_get_tier (EsAdaptiveQuality *self)
{
  return self->tier;
}

guint
es_adaptive_quality_get_expected_loss (EsAdaptiveQuality *self)
{
  return (guint) ceil (MIN (self->expected_loss, 100));
}
