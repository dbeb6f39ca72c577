/* es-quic-stream.h: the bytes of one QUIC stream of an EsQuicConnection
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <ngtcp2/ngtcp2.h>

#include "es-message-codec.h"

G_BEGIN_DECLS

/* What is queued to send (kept until the peer acknowledges it: ngtcp2 does
 * not copy stream data) and the decoder of what arrives. */
typedef struct
{
  gint64 id;                   /* first: the key of the connection's table */
  EsMessageDecoder *decoder;   /* NULL for a unidirectional stream: drained, ignored */
  GQueue chunks;               /* GBytes *, from the first unacknowledged byte on */
  guint64 chunks_offset;       /* stream offset of the first byte of the first chunk */
  guint64 sent_offset;         /* bytes before this went to ngtcp2 */
  guint64 end_offset;          /* bytes queued so far */
  gboolean sendable;           /* in the connection's queue of streams to write */
} EsQuicStream;

EsQuicStream *es_quic_stream_new             (gint64        id,
                                              gboolean      carries_messages);
void          es_quic_stream_free            (EsQuicStream *self);
void          es_quic_stream_queue           (EsQuicStream *self,
                                              GBytes       *bytes);
gboolean      es_quic_stream_has_unsent      (EsQuicStream *self);
/* The bytes not yet given to ngtcp2, as vectors into the queued chunks. */
gsize         es_quic_stream_unsent_vectors  (EsQuicStream *self,
                                              ngtcp2_vec   *vectors,
                                              gsize         max_vectors);
/* ngtcp2 took @length more bytes. */
void          es_quic_stream_sent            (EsQuicStream *self,
                                              gsize         length);
/* The peer acknowledged everything before @end: those chunks can go. */
void          es_quic_stream_acknowledged    (EsQuicStream *self,
                                              guint64       end);

G_END_DECLS
