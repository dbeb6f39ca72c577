/* es-adaptive-quality.h: which Opus tier a call sends, from how it arrives
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* One way to send a call's audio. Tier 0 is the best (DESIGN §10.7). */
typedef struct
{
  guint bitrate;             /* Opus bit/s */
  guint frame_ms;            /* 20, 40 or 60 */
  gboolean fec;              /* Opus in-band FEC */
  gboolean redundancy;       /* each packet also carries the previous one */
} EsQualityTier;

#define ES_QUALITY_N_TIERS 8

const EsQualityTier *es_quality_tier_get (guint tier);

/* What the peer reported it received (docs/protocol.md §4 quality report),
 * and this side's own measure of the path. */
typedef struct
{
  double loss_pct;           /* over the last seconds: enough packets to mean something */
  double jitter_ms;
  double rtt_ms;
  gboolean bursty;           /* losses came in runs, not alone */
} EsQualityInput;

#define ES_TYPE_ADAPTIVE_QUALITY (es_adaptive_quality_get_type ())

G_DECLARE_FINAL_TYPE (EsAdaptiveQuality, es_adaptive_quality, ES, ADAPTIVE_QUALITY, GObject)

/* Signals:
 *   tier-changed (guint tier): the tier to send from the next packet on.
 */

EsAdaptiveQuality *es_adaptive_quality_new         (guint                 initial_tier);
/* One report a second; returns the tier to use from now on. */
guint              es_adaptive_quality_update      (EsAdaptiveQuality    *self,
                                                    const EsQualityInput *input);
guint              es_adaptive_quality_get_tier    (EsAdaptiveQuality    *self);
/* The loss the encoder should expect (for its FEC), in %. */
guint              es_adaptive_quality_get_expected_loss (EsAdaptiveQuality *self);

G_END_DECLS
