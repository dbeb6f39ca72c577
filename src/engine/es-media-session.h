/* es-media-session.h: a call's audio, encoded, encrypted and back
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "es-audio-backend.h"
#include "es-jitter-buffer.h"
#include "es-media-cipher.h"

G_BEGIN_DECLS

/* Sends one sealed frame on the call's current path. */
typedef gboolean (*EsMediaSendFunc) (const guint8 *frame,
                                     gsize         length,
                                     gpointer      user_data);

/* What one side tells the other once a second about what it receives. */
typedef struct
{
  gboolean valid;
  double loss_pct;
  double jitter_ms;
  double rtt_ms;             /* the sender's own leg */
  double kbps;
  double burst;              /* mean length of loss runs, in packets */
  double expected;           /* frames the sender numbered in that second */
  double received;           /* of which arrived */
} EsQualityReport;

typedef struct
{
  guint tier;                /* what this side sends: 0 is the best */
  double loss_pct;           /* of the peer's frames, over the last second */
  double jitter_ms;          /* RFC 3550 interarrival jitter of the peer's frames */
  double bitrate_kbps;       /* received, over the last second */
  guint64 frames_sent;
  guint64 frames_received;
  guint64 frames_duplicate;  /* a second copy, as when media switches paths */
  guint64 frames_rejected;   /* forged, altered or malformed: failed authentication */
  EsJitterBufferStats playout;
  EsQualityReport peer_report;  /* the last one the peer sent */
} EsMediaStats;

#define ES_TYPE_MEDIA_SESSION (es_media_session_get_type ())

G_DECLARE_FINAL_TYPE (EsMediaSession, es_media_session, ES, MEDIA_SESSION, GObject)

/* Signals:
 *   quality-report (EsQualityReport *report): the peer's report arrived (once a second).
 */

EsMediaSession *es_media_session_new           (EsMediaCipher    *sealer,
                                                EsMediaCipher    *opener,
                                                EsMediaSendFunc   send,
                                                gpointer          user_data);
gboolean        es_media_session_start         (EsMediaSession   *self,
                                                EsAudioBackend   *audio,
                                                GError          **error);
void            es_media_session_stop          (EsMediaSession   *self);
/* A frame that arrived on any path (main context). */
void            es_media_session_receive       (EsMediaSession   *self,
                                                const guint8     *frame,
                                                gsize             length);
/* Seals and sends this side's quality report; called once a second. */
void            es_media_session_send_report   (EsMediaSession   *self,
                                                double            rtt_ms);
/* Takes the measurements of the second that just ended. */
void            es_media_session_sample_stats  (EsMediaSession   *self,
                                                EsMediaStats     *stats);
gint64          es_media_session_get_last_receive_us (EsMediaSession *self);
/* Sends silence instead of what is captured (main context). */
void            es_media_session_set_muted     (EsMediaSession   *self,
                                                gboolean          muted);

G_END_DECLS
