/* es-opus-decoder.c
 *
 * The three things a receiver does with Opus, kept apart so that the jitter
 * buffer chooses: decode a packet that arrived; conceal one that did not
 * (Opus PLC, which extrapolates from what came before); or, when the packet
 * after the missing one is already here, rebuild the missing one from the
 * low-bitrate copy that packet carries (in-band FEC, decode_fec = 1).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsOpusDecoder"

#include "es-opus-decoder.h"

#include <gio/gio.h>
#include <opus.h>
#include <string.h>

#include "es-audio-backend.h"
#include "es-opus-packet.h"

struct _EsOpusDecoder
{
  GObject parent_instance;

  OpusDecoder *decoder;
};

G_DEFINE_FINAL_TYPE (EsOpusDecoder, es_opus_decoder, G_TYPE_OBJECT)

static void
es_opus_decoder_finalize (GObject *object)
{
  EsOpusDecoder *self = ES_OPUS_DECODER (object);

  g_clear_pointer (&self->decoder, opus_decoder_destroy);

  G_OBJECT_CLASS (es_opus_decoder_parent_class)->finalize (object);
}

static void
es_opus_decoder_class_init (EsOpusDecoderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = es_opus_decoder_finalize;
}

static void
es_opus_decoder_init (EsOpusDecoder *self)
{
  int status = OPUS_OK;

  self->decoder = opus_decoder_create (ES_AUDIO_RATE, 1, &status);
  /* With these constant arguments only memory can be short: fatal, as in GLib. */
  if (status != OPUS_OK)
    g_error ("cannot create an Opus decoder: %s", opus_strerror (status));
}

EsOpusDecoder *
es_opus_decoder_new (void)
{
  return g_object_new (ES_TYPE_OPUS_DECODER, NULL);
}

gint
es_opus_decoder_decode (EsOpusDecoder *self,
                        const guint8  *packet,
                        gsize          size,
                        gint16        *pcm,
                        guint          max_samples,
                        GError       **error)
{
  gint samples;

  g_return_val_if_fail (ES_IS_OPUS_DECODER (self), -1);
  g_return_val_if_fail (packet != NULL || size == 0, -1);
  g_return_val_if_fail (pcm != NULL, -1);
  g_return_val_if_fail (error == NULL || *error == NULL, -1);

  samples = es_opus_packet_get_samples (packet, size);
  if (samples > 0 && (guint) samples <= max_samples)
    samples = opus_decode (self->decoder, packet, (opus_int32) size, pcm, samples, 0);
  else if (samples > 0)
    samples = OPUS_BUFFER_TOO_SMALL;
  else
    samples = OPUS_INVALID_PACKET;

  if (samples < 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "cannot decode an Opus packet of %" G_GSIZE_FORMAT " bytes: %s",
                   size, opus_strerror (samples));
      return -1;
    }
  return samples;
}

static gboolean
is_valid_duration (guint n_samples)
{
  return n_samples > 0 && n_samples <= ES_OPUS_MAX_PACKET_SAMPLES &&
         n_samples % ES_OPUS_SAMPLES_STEP == 0;
}

void
es_opus_decoder_conceal (EsOpusDecoder *self,
                         gint16        *pcm,
                         guint          n_samples)
{
  g_return_if_fail (ES_IS_OPUS_DECODER (self));
  g_return_if_fail (pcm != NULL);
  g_return_if_fail (is_valid_duration (n_samples));

  /* Opus refuses nothing else in PLC; silence is the safe answer if it did. */
  if (opus_decode (self->decoder, NULL, 0, pcm, (int) n_samples, 0) != (int) n_samples)
    memset (pcm, 0, n_samples * sizeof *pcm);
}

gboolean
es_opus_decoder_recover (EsOpusDecoder *self,
                         const guint8  *next_packet,
                         gsize          size,
                         gint16        *pcm,
                         guint          n_samples)
{
  g_return_val_if_fail (ES_IS_OPUS_DECODER (self), FALSE);
  g_return_val_if_fail (next_packet != NULL || size == 0, FALSE);
  g_return_val_if_fail (pcm != NULL, FALSE);
  g_return_val_if_fail (is_valid_duration (n_samples), FALSE);

  if (!es_opus_packet_has_fec (next_packet, size) ||
      n_samples < (guint) es_opus_packet_get_samples (next_packet, size) ||
      opus_decode (self->decoder, next_packet, (opus_int32) size, pcm, (int) n_samples, 1) !=
      (int) n_samples)
    {
      es_opus_decoder_conceal (self, pcm, n_samples);
      return FALSE;
    }
  return TRUE;
}
