/* es-jitter-buffer.h: adaptive, timestamp-driven playout of received audio
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

#include "es-opus-decoder.h"

G_BEGIN_DECLS

#define ES_TYPE_JITTER_BUFFER (es_jitter_buffer_get_type ())

G_DECLARE_FINAL_TYPE (EsJitterBuffer, es_jitter_buffer, ES, JITTER_BUFFER, GObject)

typedef enum {
  ES_JITTER_BUFFER_ACCEPTED,
  ES_JITTER_BUFFER_DUPLICATE,   /* that sequence number was seen before */
  ES_JITTER_BUFFER_LATE,        /* its audio was already due: too late to play */
  ES_JITTER_BUFFER_INVALID,     /* not an Opus packet */
  ES_JITTER_BUFFER_OVERFLOW,    /* the buffer holds as many packets as it may */
} EsJitterBufferInsertResult;

/* What made one pulled block; several may apply. */
typedef enum {
  ES_JITTER_BUFFER_WAITING   = 1 << 0,  /* silence while the buffer first fills */
  ES_JITTER_BUFFER_DECODED   = 1 << 1,  /* audio that arrived */
  ES_JITTER_BUFFER_CONCEALED = 1 << 2,  /* audio made up for what was missing (PLC) */
  ES_JITTER_BUFFER_RECOVERED = 1 << 3,  /* a lost frame rebuilt from the next one's FEC */
  ES_JITTER_BUFFER_INSERTED  = 1 << 4,  /* a quiet block repeated to grow the delay */
  ES_JITTER_BUFFER_DROPPED   = 1 << 5,  /* a quiet block skipped to shrink the delay */
} EsJitterBufferPlayout;

typedef struct
{
  guint64 received;          /* packets accepted */
  guint64 late;              /* arrived after their audio was due, dropped */
  guint64 lost;              /* never arrived by the time the next one played */
  guint64 duplicates;        /* dropped */
  double  concealed_ms;      /* audio made up with PLC */
  double  silence_ms;        /* comfort noise while the sender was silent (DTX) */
  double  recovered_ms;      /* audio rebuilt from FEC */
  double  inserted_ms;       /* quiet audio repeated to grow the delay */
  double  dropped_ms;        /* quiet audio skipped to shrink the delay */
  double  current_delay_ms;  /* of the last block pulled */
  double  target_delay_ms;
} EsJitterBufferStats;

EsJitterBuffer             *es_jitter_buffer_new       (EsOpusDecoder  *decoder);

/* @timestamp counts 48 kHz samples of the sender's clock (it may wrap);
 * @arrival_us is the receiver's g_get_monotonic_time() when it arrived. */
EsJitterBufferInsertResult  es_jitter_buffer_insert    (EsJitterBuffer *self,
                                                        guint64         sequence,
                                                        guint32         timestamp,
                                                        const guint8   *payload,
                                                        gsize           size,
                                                        gint64          arrival_us);
/* Fills @pcm with the next ES_AUDIO_FRAME_SAMPLES samples to play; @now_us
 * is the time of the pull, in the clock of the arrival times. */
typedef enum {
  ES_JITTER_BUFFER_PACKET_NONE = 0,
  /* The first packet after the sender paused for silence (Opus DTX): the gap
   * before it is comfort noise, not loss. */
  ES_JITTER_BUFFER_PACKET_AFTER_SILENCE = 1 << 0,
  /* The next packet carries a copy of this one: worth waiting one frame for,
   * as for in-band FEC. */
  ES_JITTER_BUFFER_PACKET_COPY_FOLLOWS = 1 << 1,
} EsJitterBufferPacketFlags;

EsJitterBufferInsertResult  es_jitter_buffer_insert_with_flags (EsJitterBuffer *self,
                                                                guint64         sequence,
                                                                guint32         timestamp,
                                                                EsJitterBufferPacketFlags flags,
                                                                const guint8   *payload,
                                                                gsize           size,
                                                                gint64          arrival_us);
EsJitterBufferPlayout       es_jitter_buffer_pull      (EsJitterBuffer *self,
                                                        gint16         *pcm,
                                                        gint64          now_us);
void                        es_jitter_buffer_get_stats (EsJitterBuffer *self,
                                                        EsJitterBufferStats *stats);

G_END_DECLS
