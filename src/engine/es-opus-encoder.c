/* es-opus-encoder.c
 *
 * Opus in its VoIP application and voice signal mode, 48 kHz mono. The
 * defaults are the call's fixed tier, 24 kbit/s in 20 ms frames; each setting
 * is a property so that the adaptive quality can move the tier during a call
 * and the change takes effect at the next frame boundary.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsOpusEncoder"

#include "es-opus-encoder.h"

#include <gio/gio.h>
#include <opus.h>

#include "es-audio-backend.h"
#include "es-opus-packet.h"

struct _EsOpusEncoder
{
  GObject parent_instance;

  OpusEncoder *encoder;
  guint bitrate;
  guint frame_ms;
  gboolean fec;
  guint expected_loss;
  gboolean dtx;
  guint complexity;
};

G_DEFINE_FINAL_TYPE (EsOpusEncoder, es_opus_encoder, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_BITRATE,
  PROP_FRAME_MS,
  PROP_FEC,
  PROP_EXPECTED_LOSS,
  PROP_DTX,
  PROP_COMPLEXITY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
es_opus_encoder_finalize (GObject *object)
{
  EsOpusEncoder *self = ES_OPUS_ENCODER (object);

  g_clear_pointer (&self->encoder, opus_encoder_destroy);

  G_OBJECT_CLASS (es_opus_encoder_parent_class)->finalize (object);
}

static void
es_opus_encoder_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  EsOpusEncoder *self = ES_OPUS_ENCODER (object);

  switch (prop_id)
    {
    case PROP_BITRATE:
      g_value_set_uint (value, self->bitrate);
      break;
    case PROP_FRAME_MS:
      g_value_set_uint (value, self->frame_ms);
      break;
    case PROP_FEC:
      g_value_set_boolean (value, self->fec);
      break;
    case PROP_EXPECTED_LOSS:
      g_value_set_uint (value, self->expected_loss);
      break;
    case PROP_DTX:
      g_value_set_boolean (value, self->dtx);
      break;
    case PROP_COMPLEXITY:
      g_value_set_uint (value, self->complexity);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
es_opus_encoder_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  EsOpusEncoder *self = ES_OPUS_ENCODER (object);

  switch (prop_id)
    {
    case PROP_BITRATE:
      es_opus_encoder_set_bitrate (self, g_value_get_uint (value));
      break;
    case PROP_FRAME_MS:
      es_opus_encoder_set_frame_ms (self, g_value_get_uint (value));
      break;
    case PROP_FEC:
      es_opus_encoder_set_fec (self, g_value_get_boolean (value), self->expected_loss);
      break;
    case PROP_EXPECTED_LOSS:
      es_opus_encoder_set_fec (self, self->fec, g_value_get_uint (value));
      break;
    case PROP_DTX:
      es_opus_encoder_set_dtx (self, g_value_get_boolean (value));
      break;
    case PROP_COMPLEXITY:
      es_opus_encoder_set_complexity (self, g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
es_opus_encoder_class_init (EsOpusEncoderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = es_opus_encoder_finalize;
  object_class->get_property = es_opus_encoder_get_property;
  object_class->set_property = es_opus_encoder_set_property;

  properties[PROP_BITRATE] =
    g_param_spec_uint ("bitrate", NULL, NULL, ES_OPUS_MIN_BITRATE, ES_OPUS_MAX_BITRATE,
                       ES_OPUS_DEFAULT_BITRATE, flags);
  properties[PROP_FRAME_MS] =
    g_param_spec_uint ("frame-ms", NULL, NULL, 10, 60, ES_OPUS_DEFAULT_FRAME_MS, flags);
  properties[PROP_FEC] =
    g_param_spec_boolean ("fec", NULL, NULL, FALSE, flags);
  properties[PROP_EXPECTED_LOSS] =
    g_param_spec_uint ("expected-loss", NULL, NULL, 0, 100, 0, flags);
  properties[PROP_DTX] =
    g_param_spec_boolean ("dtx", NULL, NULL, FALSE, flags);
  properties[PROP_COMPLEXITY] =
    g_param_spec_uint ("complexity", NULL, NULL, 0, 10, ES_OPUS_DEFAULT_COMPLEXITY, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
es_opus_encoder_init (EsOpusEncoder *self)
{
  int status = OPUS_OK;

  self->encoder = opus_encoder_create (ES_AUDIO_RATE, 1, OPUS_APPLICATION_VOIP, &status);
  /* With these constant arguments only memory can be short: fatal, as in GLib. */
  if (status != OPUS_OK)
    g_error ("cannot create an Opus encoder: %s", opus_strerror (status));

  self->bitrate = ES_OPUS_DEFAULT_BITRATE;
  self->frame_ms = ES_OPUS_DEFAULT_FRAME_MS;
  self->complexity = ES_OPUS_DEFAULT_COMPLEXITY;
  opus_encoder_ctl (self->encoder, OPUS_SET_SIGNAL (OPUS_SIGNAL_VOICE));
  opus_encoder_ctl (self->encoder, OPUS_SET_BITRATE (self->bitrate));
  opus_encoder_ctl (self->encoder, OPUS_SET_COMPLEXITY (self->complexity));
  opus_encoder_ctl (self->encoder, OPUS_SET_INBAND_FEC (0));
  opus_encoder_ctl (self->encoder, OPUS_SET_DTX (0));
}

EsOpusEncoder *
es_opus_encoder_new (void)
{
  return g_object_new (ES_TYPE_OPUS_ENCODER, NULL);
}

void
es_opus_encoder_set_bitrate (EsOpusEncoder *self,
                             guint          bits_per_second)
{
  g_return_if_fail (ES_IS_OPUS_ENCODER (self));
  g_return_if_fail (bits_per_second >= ES_OPUS_MIN_BITRATE &&
                    bits_per_second <= ES_OPUS_MAX_BITRATE);

  if (self->bitrate == bits_per_second)
    return;
  self->bitrate = bits_per_second;
  opus_encoder_ctl (self->encoder, OPUS_SET_BITRATE ((opus_int32) bits_per_second));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BITRATE]);
}

guint
es_opus_encoder_get_bitrate (EsOpusEncoder *self)
{
  g_return_val_if_fail (ES_IS_OPUS_ENCODER (self), 0);
  return self->bitrate;
}

void
es_opus_encoder_set_frame_ms (EsOpusEncoder *self,
                              guint          frame_ms)
{
  g_return_if_fail (ES_IS_OPUS_ENCODER (self));
  g_return_if_fail (frame_ms == 10 || frame_ms == 20 || frame_ms == 40 || frame_ms == 60);

  if (self->frame_ms == frame_ms)
    return;
  /* Opus takes the frame size from each encode call, so nothing to tell it. */
  self->frame_ms = frame_ms;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FRAME_MS]);
}

guint
es_opus_encoder_get_frame_ms (EsOpusEncoder *self)
{
  g_return_val_if_fail (ES_IS_OPUS_ENCODER (self), 0);
  return self->frame_ms;
}

guint
es_opus_encoder_get_frame_samples (EsOpusEncoder *self)
{
  g_return_val_if_fail (ES_IS_OPUS_ENCODER (self), 0);
  return self->frame_ms * (ES_AUDIO_RATE / 1000);
}

void
es_opus_encoder_set_fec (EsOpusEncoder *self,
                         gboolean       enabled,
                         guint          expected_loss_pct)
{
  g_return_if_fail (ES_IS_OPUS_ENCODER (self));
  g_return_if_fail (expected_loss_pct <= 100);

  enabled = !!enabled;
  /* Opus sizes its FEC from the expected loss and sends none at 0 %. */
  opus_encoder_ctl (self->encoder, OPUS_SET_INBAND_FEC (enabled));
  opus_encoder_ctl (self->encoder, OPUS_SET_PACKET_LOSS_PERC ((opus_int32) expected_loss_pct));
  if (self->fec != enabled)
    {
      self->fec = enabled;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FEC]);
    }
  if (self->expected_loss != expected_loss_pct)
    {
      self->expected_loss = expected_loss_pct;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EXPECTED_LOSS]);
    }
}

gboolean
es_opus_encoder_get_fec (EsOpusEncoder *self)
{
  g_return_val_if_fail (ES_IS_OPUS_ENCODER (self), FALSE);
  return self->fec;
}

guint
es_opus_encoder_get_expected_loss (EsOpusEncoder *self)
{
  g_return_val_if_fail (ES_IS_OPUS_ENCODER (self), 0);
  return self->expected_loss;
}

void
es_opus_encoder_set_dtx (EsOpusEncoder *self,
                         gboolean       enabled)
{
  g_return_if_fail (ES_IS_OPUS_ENCODER (self));

  enabled = !!enabled;
  if (self->dtx == enabled)
    return;
  self->dtx = enabled;
  opus_encoder_ctl (self->encoder, OPUS_SET_DTX (enabled));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DTX]);
}

gboolean
es_opus_encoder_get_dtx (EsOpusEncoder *self)
{
  g_return_val_if_fail (ES_IS_OPUS_ENCODER (self), FALSE);
  return self->dtx;
}

void
es_opus_encoder_set_complexity (EsOpusEncoder *self,
                                guint          complexity)
{
  g_return_if_fail (ES_IS_OPUS_ENCODER (self));
  g_return_if_fail (complexity <= 10);

  if (self->complexity == complexity)
    return;
  self->complexity = complexity;
  opus_encoder_ctl (self->encoder, OPUS_SET_COMPLEXITY ((opus_int32) complexity));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COMPLEXITY]);
}

guint
es_opus_encoder_get_complexity (EsOpusEncoder *self)
{
  g_return_val_if_fail (ES_IS_OPUS_ENCODER (self), 0);
  return self->complexity;
}

guint
es_opus_encoder_get_lookahead (EsOpusEncoder *self)
{
  opus_int32 lookahead = 0;

  g_return_val_if_fail (ES_IS_OPUS_ENCODER (self), 0);

  opus_encoder_ctl (self->encoder, OPUS_GET_LOOKAHEAD (&lookahead));
  return (guint) lookahead;
}

gssize
es_opus_encoder_encode (EsOpusEncoder *self,
                        const gint16  *pcm,
                        guint8        *packet,
                        gsize          max_size,
                        GError       **error)
{
  opus_int32 size;

  g_return_val_if_fail (ES_IS_OPUS_ENCODER (self), -1);
  g_return_val_if_fail (pcm != NULL, -1);
  g_return_val_if_fail (packet != NULL, -1);
  g_return_val_if_fail (error == NULL || *error == NULL, -1);

  size = opus_encode (self->encoder, pcm, (int) es_opus_encoder_get_frame_samples (self),
                      packet, (opus_int32) MIN (max_size, G_MAXINT32));
  if (size < 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Opus cannot encode the frame: %s",
                   opus_strerror (size));
      return -1;
    }
  return size;
}
