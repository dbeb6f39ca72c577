/* es-opus-packet.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsOpusPacket"

#include "es-opus-packet.h"

#include <opus.h>

#include "es-audio-backend.h"

/* TOC configurations 16 to 31 are CELT-only: no SILK layer, so no LBRR. */
#define FIRST_CELT_ONLY_CONFIG 16
#define MAX_FRAMES_PER_PACKET 48

gint
es_opus_packet_get_samples (const guint8 *packet,
                            gsize         size)
{
  int samples;

  g_return_val_if_fail (packet != NULL || size == 0, -1);

  if (size == 0 || size > ES_OPUS_MAX_PACKET_SIZE)
    return -1;
  samples = opus_packet_get_nb_samples (packet, (opus_int32) size, ES_AUDIO_RATE);
  if (samples <= 0 || samples > ES_OPUS_MAX_PACKET_SAMPLES)
    return -1;
  return samples;
}

gboolean
es_opus_packet_has_fec (const guint8 *packet,
                        gsize         size)
{
  const guint8 *frames[MAX_FRAMES_PER_PACKET];
  opus_int16 sizes[MAX_FRAMES_PER_PACKET];
  int n_silk_frames;

  g_return_val_if_fail (packet != NULL || size == 0, FALSE);

  if (es_opus_packet_get_samples (packet, size) < 0 || (packet[0] >> 3) >= FIRST_CELT_ONLY_CONFIG)
    return FALSE;
  if (opus_packet_parse (packet, (opus_int32) size, NULL, frames, sizes, NULL) < 1 ||
      sizes[0] == 0)
    return FALSE;

  /* The FEC for the previous packet is in the first frame. Its SILK header
   * starts with one VAD flag per 20 ms SILK frame (one for 10 ms), then the
   * LBRR flag; the range coder stores these equiprobable first bits as they
   * are, most significant bit first (RFC 6716 §4.2.3). */
  n_silk_frames = MAX (1, opus_packet_get_samples_per_frame (packet, ES_AUDIO_RATE) /
                          ES_AUDIO_FRAME_SAMPLES);
  return (frames[0][0] >> (7 - n_silk_frames)) & 1;
}
