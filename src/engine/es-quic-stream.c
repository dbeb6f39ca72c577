/* es-quic-stream.c
 *
 * Outgoing bytes are a queue of immutable chunks (encoded messages): ngtcp2
 * keeps pointers into what it was given until the peer acknowledges it, so
 * nothing may move, and acknowledged chunks are released from the front.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsQuicStream"

#include "es-quic-stream.h"

EsQuicStream *
es_quic_stream_new (gint64   id,
                    gboolean carries_messages)
{
  EsQuicStream *self = g_new0 (EsQuicStream, 1);

  self->id = id;
  self->decoder = carries_messages ? es_message_decoder_new () : NULL;
  g_queue_init (&self->chunks);
  return self;
}

void
es_quic_stream_free (EsQuicStream *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->decoder, es_message_decoder_free);
  g_queue_clear_full (&self->chunks, (GDestroyNotify) g_bytes_unref);
  g_free (self);
}

void
es_quic_stream_queue (EsQuicStream *self,
                      GBytes       *bytes)
{
  g_queue_push_tail (&self->chunks, g_bytes_ref (bytes));
  self->end_offset += g_bytes_get_size (bytes);
}

gboolean
es_quic_stream_has_unsent (EsQuicStream *self)
{
  return self->sent_offset < self->end_offset;
}

gsize
es_quic_stream_unsent_vectors (EsQuicStream *self,
                               ngtcp2_vec   *vectors,
                               gsize         max_vectors)
{
  guint64 position = self->chunks_offset;
  gsize count = 0;

  for (GList *link = self->chunks.head; link != NULL && count < max_vectors; link = link->next)
    {
      gsize size = 0;
      const guint8 *data = g_bytes_get_data (link->data, &size);
      guint64 end = position + size;

      if (end > self->sent_offset)
        {
          gsize skip = self->sent_offset > position ? self->sent_offset - position : 0;

          vectors[count].base = (uint8_t *) data + skip;
          vectors[count].len = size - skip;
          count++;
        }
      position = end;
    }
  return count;
}

void
es_quic_stream_sent (EsQuicStream *self,
                     gsize         length)
{
  self->sent_offset += length;
}

void
es_quic_stream_acknowledged (EsQuicStream *self,
                             guint64       end)
{
  GBytes *first;

  while ((first = g_queue_peek_head (&self->chunks)) != NULL &&
         self->chunks_offset + g_bytes_get_size (first) <= end)
    {
      self->chunks_offset += g_bytes_get_size (first);
      g_bytes_unref (g_queue_pop_head (&self->chunks));
    }
}
