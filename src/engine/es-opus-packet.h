/* es-opus-packet.h: what an Opus packet says about itself
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The longest packet Opus makes: 120 ms at 48 kHz. */
#define ES_OPUS_MAX_PACKET_SAMPLES 5760
/* Durations that the decoder can conceal or recover come in 2.5 ms steps. */
#define ES_OPUS_SAMPLES_STEP 120
/* The largest packet handled: more than one network datagram carries. */
#define ES_OPUS_MAX_PACKET_SIZE 1500

/* The packet's duration in 48 kHz samples, or -1 if it is not valid Opus. */
gint     es_opus_packet_get_samples (const guint8 *packet,
                                     gsize         size);
/* Whether the packet carries in-band FEC (LBRR) for the packet before it. */
gboolean es_opus_packet_has_fec     (const guint8 *packet,
                                     gsize         size);

G_END_DECLS
