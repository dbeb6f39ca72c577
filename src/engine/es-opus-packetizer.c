/* es-opus-packetizer.c
 *
 * The backend captures 20 ms at a time; a tier may send 40 or 60 ms
 * packets, so frames are gathered until a packet's worth is there. A tier
 * change waits for a packet boundary: the encoder is never reconfigured
 * half-way through a packet, and the decoder on the other side simply
 * follows what arrives. With DTX, Opus sends almost nothing during silence
 * (packets of two bytes or less need not be sent, RFC 6716 and the libopus
 * documentation); the next packet sent says so, so that the receiver hears
 * comfort noise instead of counting a loss. At the lowest tiers each packet
 * also carries the previous one, for heavy loss.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsOpusPacketizer"

#include "es-opus-packetizer.h"

#include <string.h>

#include "es-adaptive-quality.h"
#include "es-audio-backend.h"
#include "es-media-frame.h"
#include "es-opus-encoder.h"

#define MAX_PACKET_MS 60
#define MAX_SAMPLES (ES_AUDIO_RATE / 1000 * MAX_PACKET_MS)
/* Opus: a packet of two bytes or less is DTX and need not be sent. */
#define DTX_PACKET_SIZE 2
/* What one Opus packet may take, leaving room for the previous one. */
#define MAX_OPUS_PACKET 1275

struct _EsOpusPacketizer
{
  GObject parent_instance;

  EsOpusEncoder *encoder;
  gboolean fixed;
  guint tier;
  guint pending_tier;
  guint expected_loss;
  guint pending_loss;

  gint16 pcm[MAX_SAMPLES];
  guint n_samples;
  guint32 first_timestamp;
  gboolean after_silence;

  guint8 previous[MAX_OPUS_PACKET];
  gsize previous_length;
};

G_DEFINE_FINAL_TYPE (EsOpusPacketizer, es_opus_packetizer, G_TYPE_OBJECT)

static void
es_opus_packetizer_finalize (GObject *object)
{
  EsOpusPacketizer *self = ES_OPUS_PACKETIZER (object);

  g_clear_object (&self->encoder);

  G_OBJECT_CLASS (es_opus_packetizer_parent_class)->finalize (object);
}

static void
es_opus_packetizer_class_init (EsOpusPacketizerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = es_opus_packetizer_finalize;
}

static void
es_opus_packetizer_init (EsOpusPacketizer *self)
{
  self->encoder = es_opus_encoder_new ();
  es_opus_encoder_set_dtx (self->encoder, TRUE);
}

static void
apply_tier (EsOpusPacketizer *self)
{
  const EsQualityTier *tier = es_quality_tier_get (self->pending_tier);

  self->tier = self->pending_tier;
  self->expected_loss = self->pending_loss;
  es_opus_encoder_set_bitrate (self->encoder, tier->bitrate);
  es_opus_encoder_set_frame_ms (self->encoder, tier->frame_ms);
  es_opus_encoder_set_fec (self->encoder, tier->fec, self->expected_loss);
  if (!tier->redundancy)
    self->previous_length = 0;
}

EsOpusPacketizer *
es_opus_packetizer_new (guint tier)
{
  EsOpusPacketizer *self = g_object_new (ES_TYPE_OPUS_PACKETIZER, NULL);

  self->pending_tier = MIN (tier, ES_QUALITY_N_TIERS - 1);
  apply_tier (self);
  return self;
}

EsOpusPacketizer *
es_opus_packetizer_new_fixed (guint bitrate)
{
  EsOpusPacketizer *self = g_object_new (ES_TYPE_OPUS_PACKETIZER, NULL);

  self->fixed = TRUE;
  self->tier = self->pending_tier = 3;
  es_opus_encoder_set_bitrate (self->encoder, bitrate);
  es_opus_encoder_set_frame_ms (self->encoder, 20);
  es_opus_encoder_set_dtx (self->encoder, FALSE);
  return self;
}

void
es_opus_packetizer_set_tier (EsOpusPacketizer *self,
                             guint             tier,
                             guint             expected_loss_pct)
{
  if (self->fixed)
    return;
  self->pending_tier = MIN (tier, ES_QUALITY_N_TIERS - 1);
  self->pending_loss = MIN (expected_loss_pct, 100);
}

guint
es_opus_packetizer_get_tier (EsOpusPacketizer *self)
{
  return self->tier;
}

static void
fill_packet (EsOpusPacketizer *self,
             const guint8     *opus,
             gsize             length,
             EsPacket         *packet)
{
  const EsQualityTier *tier = es_quality_tier_get (self->tier);

  packet->timestamp = self->first_timestamp;
  packet->tier = (guint8) self->tier;
  packet->flags = self->after_silence ? ES_MEDIA_FRAME_FLAG_AFTER_SILENCE : 0;
  packet->redundant_length = 0;
  self->after_silence = FALSE;

  if (tier->redundancy && self->previous_length > 0 &&
      self->previous_length + length <= ES_PACKET_MAX_PAYLOAD)
    {
      packet->flags |= ES_MEDIA_FRAME_FLAG_REDUNDANCY;
      packet->redundant_length = (guint16) self->previous_length;
      memcpy (packet->data, self->previous, self->previous_length);
    }
  memcpy (packet->data + packet->redundant_length, opus, length);
  packet->length = (guint16) (packet->redundant_length + length);

  memcpy (self->previous, opus, length);
  self->previous_length = tier->redundancy ? length : 0;
}

gboolean
es_opus_packetizer_push (EsOpusPacketizer *self,
                         const gint16     *frame,
                         guint32           timestamp,
                         EsPacket         *packet)
{
  guint8 opus[MAX_OPUS_PACKET];
  gssize length;

  if (self->n_samples == 0)
    {
      if (self->pending_tier != self->tier || self->pending_loss != self->expected_loss)
        apply_tier (self);
      self->first_timestamp = timestamp;
    }
  memcpy (self->pcm + self->n_samples, frame, ES_AUDIO_FRAME_SAMPLES * sizeof (gint16));
  self->n_samples += ES_AUDIO_FRAME_SAMPLES;
  if (self->n_samples < es_opus_encoder_get_frame_samples (self->encoder))
    return FALSE;

  self->n_samples = 0;
  length = es_opus_encoder_encode (self->encoder, self->pcm, opus, sizeof opus, NULL);
  if (length < 0)
    return FALSE;
  if (length <= DTX_PACKET_SIZE)
    {
      /* Silence: nothing to send, and nothing to repeat after it. */
      self->after_silence = TRUE;
      self->previous_length = 0;
      return FALSE;
    }
  fill_packet (self, opus, (gsize) length, packet);
  return TRUE;
}
