/* es-packet-ring.c
 *
 * A single-producer single-consumer ring of fixed-size slots. The audio
 * thread may be PipeWire's real-time thread, which must never wait for a
 * lock or allocate; so slots are preallocated and the two indices are
 * published with atomic operations (GLib's are full barriers: a slot's bytes
 * are written before the index that makes them visible).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsPacketRing"

#include "es-packet-ring.h"

#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct _EsPacketRing
{
  EsPacket *slots;
  guint mask;
  guint head;          /* next slot the producer writes; only it stores */
  guint tail;          /* next slot the consumer reads; only it stores */
  int event_fd;
  guint64 overflows;
};

EsPacketRing *
es_packet_ring_new (guint    capacity,
                    gboolean notify)
{
  EsPacketRing *self = g_new0 (EsPacketRing, 1);
  guint size = 1;

  while (size < capacity)
    size <<= 1;
  self->slots = g_new0 (EsPacket, size);
  self->mask = size - 1;
  self->event_fd = notify ? eventfd (0, EFD_NONBLOCK | EFD_CLOEXEC) : -1;
  if (notify && self->event_fd < 0)
    g_error ("eventfd failed: %s", g_strerror (errno));
  return self;
}

void
es_packet_ring_free (EsPacketRing *self)
{
  if (self->event_fd >= 0)
    close (self->event_fd);
  g_free (self->slots);
  g_free (self);
}

gboolean
es_packet_ring_push (EsPacketRing   *self,
                     const EsPacket *packet)
{
  guint head = (guint) g_atomic_int_get ((gint *) &self->head);
  guint tail = (guint) g_atomic_int_get ((gint *) &self->tail);
  EsPacket *slot;
  guint64 one = 1;

  if (head - tail > self->mask)
    {
      self->overflows++;
      return FALSE;
    }

  slot = &self->slots[head & self->mask];
  memcpy (slot, packet, G_STRUCT_OFFSET (EsPacket, data));
  slot->length = MIN (packet->length, ES_PACKET_MAX_PAYLOAD);
  memcpy (slot->data, packet->data, slot->length);
  g_atomic_int_set ((gint *) &self->head, (gint) (head + 1));

  if (self->event_fd >= 0 && write (self->event_fd, &one, sizeof one) < 0 && errno != EAGAIN)
    g_warning ("cannot wake the main context: %s", g_strerror (errno));
  return TRUE;
}

gboolean
es_packet_ring_pop (EsPacketRing *self,
                    EsPacket     *packet)
{
  guint tail = (guint) g_atomic_int_get ((gint *) &self->tail);
  guint head = (guint) g_atomic_int_get ((gint *) &self->head);
  const EsPacket *slot;

  if (tail == head)
    return FALSE;
  slot = &self->slots[tail & self->mask];
  memcpy (packet, slot, G_STRUCT_OFFSET (EsPacket, data) + slot->length);
  g_atomic_int_set ((gint *) &self->tail, (gint) (tail + 1));
  return TRUE;
}

int
es_packet_ring_get_fd (EsPacketRing *self)
{
  return self->event_fd;
}

void
es_packet_ring_acknowledge (EsPacketRing *self)
{
  guint64 count;

  if (self->event_fd >= 0 && read (self->event_fd, &count, sizeof count) < 0 && errno != EAGAIN)
    g_warning ("cannot read the ring's event: %s", g_strerror (errno));
}

guint64
es_packet_ring_get_overflows (EsPacketRing *self)
{
  return self->overflows;
}
