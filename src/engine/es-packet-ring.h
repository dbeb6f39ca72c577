/* es-packet-ring.h: hands packets between the audio thread and the main
 * context without locks
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Larger than any Opus packet a call sends (with redundancy). */
#define ES_PACKET_MAX_PAYLOAD 1500

typedef struct
{
  guint64 sequence;
  guint32 timestamp;
  gint64 time_us;
  guint8 tier;
  guint8 flags;              /* EsMediaFrameFlags */
  guint16 redundant_length;  /* with the redundancy flag: data holds that much of the
                              * previous packet, then the current one */
  guint16 length;
  guint8 data[ES_PACKET_MAX_PAYLOAD];
} EsPacket;

typedef struct _EsPacketRing EsPacketRing;

/* One producer thread and one consumer thread; capacity is rounded up to a
 * power of two. With notify, the producer also wakes a main-context source
 * (es_packet_ring_get_fd() becomes readable). */
EsPacketRing *es_packet_ring_new      (guint               capacity,
                                       gboolean            notify);
void          es_packet_ring_free     (EsPacketRing       *self);
/* Producer: copies the packet in; FALSE (and counted) when the ring is full. */
gboolean      es_packet_ring_push     (EsPacketRing       *self,
                                       const EsPacket     *packet);
/* Consumer: copies the oldest packet out; FALSE when empty. */
gboolean      es_packet_ring_pop      (EsPacketRing       *self,
                                       EsPacket           *packet);
int           es_packet_ring_get_fd   (EsPacketRing       *self);
/* Consumer: clears the wake-up after draining. */
void          es_packet_ring_acknowledge (EsPacketRing    *self);
guint64       es_packet_ring_get_overflows (EsPacketRing  *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsPacketRing, es_packet_ring_free)

G_END_DECLS
