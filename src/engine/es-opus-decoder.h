/* es-opus-decoder.h: decodes, conceals and recovers 48 kHz mono Opus
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define ES_TYPE_OPUS_DECODER (es_opus_decoder_get_type ())

G_DECLARE_FINAL_TYPE (EsOpusDecoder, es_opus_decoder, ES, OPUS_DECODER, GObject)

EsOpusDecoder *es_opus_decoder_new     (void);

/* Decodes one packet into @pcm (room for @max_samples) and returns how many
 * samples it made, or -1 with @error set for a packet that is not Opus. */
gint           es_opus_decoder_decode  (EsOpusDecoder *self,
                                        const guint8  *packet,
                                        gsize          size,
                                        gint16        *pcm,
                                        guint          max_samples,
                                        GError       **error);
/* Makes up @n_samples of audio that never arrived (packet loss
 * concealment). @n_samples is a multiple of ES_OPUS_SAMPLES_STEP, at most
 * ES_OPUS_MAX_PACKET_SAMPLES. */
void           es_opus_decoder_conceal (EsOpusDecoder *self,
                                        gint16        *pcm,
                                        guint          n_samples);
/* Rebuilds the @n_samples just before @next_packet from the in-band FEC it
 * carries (the last frame from FEC, anything before it concealed). Returns
 * FALSE, having concealed all of it instead, when @next_packet has no FEC. */
gboolean       es_opus_decoder_recover (EsOpusDecoder *self,
                                        const guint8  *next_packet,
                                        gsize          size,
                                        gint16        *pcm,
                                        guint          n_samples);

G_END_DECLS
