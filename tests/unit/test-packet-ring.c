/* The lock-free ring between the audio thread and the main context.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <poll.h>
#include <string.h>

#include "es-packet-ring.h"

static void
test_fifo_and_full (void)
{
  g_autoptr(EsPacketRing) ring = es_packet_ring_new (5, FALSE);
  EsPacket packet = { 0 };

  /* Capacity rounds up to 8. */
  for (guint i = 0; i < 8; i++)
    {
      packet.sequence = i;
      packet.length = (guint16) (i + 1);
      packet.data[i] = (guint8) i;
      g_assert_true (es_packet_ring_push (ring, &packet));
    }
  g_assert_false (es_packet_ring_push (ring, &packet));
  g_assert_cmpuint (es_packet_ring_get_overflows (ring), ==, 1);

  for (guint i = 0; i < 8; i++)
    {
      g_assert_true (es_packet_ring_pop (ring, &packet));
      g_assert_cmpuint (packet.sequence, ==, i);
      g_assert_cmpuint (packet.length, ==, i + 1);
      g_assert_cmpuint (packet.data[i], ==, i);
    }
  g_assert_false (es_packet_ring_pop (ring, &packet));
}

typedef struct
{
  EsPacketRing *ring;
  guint count;
} Producer;

static gpointer
produce (gpointer data)
{
  Producer *producer = data;
  EsPacket packet = { .length = 8 };

  for (guint i = 0; i < producer->count;)
    {
      packet.sequence = i;
      memcpy (packet.data, &packet.sequence, sizeof packet.sequence);
      if (es_packet_ring_push (producer->ring, &packet))
        i++;
      else
        g_thread_yield ();
    }
  return NULL;
}

/* A producer thread and this consumer: every packet arrives once, in order,
 * with the bytes that were written before it was published. */
static void
test_threads (void)
{
  g_autoptr(EsPacketRing) ring = es_packet_ring_new (64, TRUE);
  Producer producer = { ring, 200000 };
  GThread *thread = g_thread_new ("producer", produce, &producer);
  EsPacket packet;
  guint64 expected = 0;

  while (expected < producer.count)
    {
      struct pollfd pfd = { es_packet_ring_get_fd (ring), POLLIN, 0 };

      if (!es_packet_ring_pop (ring, &packet))
        {
          g_assert_cmpint (poll (&pfd, 1, 1000), >=, 0);
          es_packet_ring_acknowledge (ring);
          continue;
        }
      g_assert_cmpuint (packet.sequence, ==, expected);
      g_assert_cmpmem (packet.data, 8, &expected, 8);
      expected++;
    }
  g_thread_join (thread);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/packet-ring/fifo-and-full", test_fifo_and_full);
  g_test_add_func ("/packet-ring/threads", test_threads);
  return g_test_run ();
}
