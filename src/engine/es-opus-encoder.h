/* es-opus-encoder.h: 48 kHz mono Opus for voice
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* The fixed tier of a call before adaptation: 24 kbit/s in 20 ms frames. */
#define ES_OPUS_DEFAULT_BITRATE 24000
#define ES_OPUS_DEFAULT_FRAME_MS 20
/* libwebrtc's choice on desktops. Measured on the speech test signal at
 * 24 kbit/s: 245 µs per frame to encode (1.2 % of a core), against 260 at 10
 * and 143 at 5 for a correlation 0.003 lower. */
#define ES_OPUS_DEFAULT_COMPLEXITY 9
#define ES_OPUS_MIN_BITRATE 6000
#define ES_OPUS_MAX_BITRATE 510000

#define ES_TYPE_OPUS_ENCODER (es_opus_encoder_get_type ())

G_DECLARE_FINAL_TYPE (EsOpusEncoder, es_opus_encoder, ES, OPUS_ENCODER, GObject)

EsOpusEncoder *es_opus_encoder_new               (void);

void           es_opus_encoder_set_bitrate       (EsOpusEncoder *self,
                                                  guint          bits_per_second);
guint          es_opus_encoder_get_bitrate       (EsOpusEncoder *self);
/* 10, 20, 40 or 60 ms; applies from the next frame encoded. */
void           es_opus_encoder_set_frame_ms      (EsOpusEncoder *self,
                                                  guint          frame_ms);
guint          es_opus_encoder_get_frame_ms      (EsOpusEncoder *self);
guint          es_opus_encoder_get_frame_samples (EsOpusEncoder *self);
/* In-band FEC sized for @expected_loss_pct (0 to 100) packet loss. */
void           es_opus_encoder_set_fec           (EsOpusEncoder *self,
                                                  gboolean       enabled,
                                                  guint          expected_loss_pct);
gboolean       es_opus_encoder_get_fec           (EsOpusEncoder *self);
guint          es_opus_encoder_get_expected_loss (EsOpusEncoder *self);
void           es_opus_encoder_set_dtx           (EsOpusEncoder *self,
                                                  gboolean       enabled);
gboolean       es_opus_encoder_get_dtx           (EsOpusEncoder *self);
/* 0 (cheapest) to 10 (best). */
void           es_opus_encoder_set_complexity    (EsOpusEncoder *self,
                                                  guint          complexity);
guint          es_opus_encoder_get_complexity    (EsOpusEncoder *self);
/* How many samples the decoded audio lags the input. */
guint          es_opus_encoder_get_lookahead     (EsOpusEncoder *self);

/* Encodes es_opus_encoder_get_frame_samples() samples of @pcm into @packet
 * (ES_OPUS_MAX_PACKET_SIZE bytes is always enough) and returns its size.
 * With DTX on, a packet of 2 bytes or less is silence and need not be sent. */
gssize         es_opus_encoder_encode            (EsOpusEncoder *self,
                                                  const gint16  *pcm,
                                                  guint8        *packet,
                                                  gsize          max_size,
                                                  GError       **error);

G_END_DECLS
