/* es-opus-packetizer.h: captured audio into the packets a call sends
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

#include "es-packet-ring.h"

G_BEGIN_DECLS

#define ES_TYPE_OPUS_PACKETIZER (es_opus_packetizer_get_type ())

G_DECLARE_FINAL_TYPE (EsOpusPacketizer, es_opus_packetizer, ES, OPUS_PACKETIZER, GObject)

/* Lives on the audio thread: no locks, no allocation after creation. */
EsOpusPacketizer *es_opus_packetizer_new      (guint             tier);
/* The issue-4 baseline the benchmarks compare against: one tier, no FEC, no
 * DTX, no redundancy, whatever is asked. */
EsOpusPacketizer *es_opus_packetizer_new_fixed (guint            bitrate);
/* Takes effect at the next packet boundary, so a change is never heard. */
void              es_opus_packetizer_set_tier (EsOpusPacketizer *self,
                                               guint             tier,
                                               guint             expected_loss_pct);
guint             es_opus_packetizer_get_tier (EsOpusPacketizer *self);
/* Feeds one 20 ms frame (ES_AUDIO_FRAME_SAMPLES) captured at @timestamp (in
 * 48 kHz samples); TRUE when a packet is ready in @packet: its timestamp,
 * tier, flags (redundancy, after silence) and payload. Silence under DTX
 * gives no packet. */
gboolean          es_opus_packetizer_push     (EsOpusPacketizer *self,
                                               const gint16     *frame,
                                               guint32           timestamp,
                                               EsPacket         *packet);

G_END_DECLS
