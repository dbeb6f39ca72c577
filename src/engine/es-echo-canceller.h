/* es-echo-canceller.h: echo cancellation, noise suppression and gain control
 * for the microphone
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  ES_ECHO_CANCELLER_ECHO  = 1 << 0,   /* remove the far end heard back */
  ES_ECHO_CANCELLER_NOISE = 1 << 1,   /* suppress steady background noise */
  ES_ECHO_CANCELLER_GAIN  = 1 << 2,   /* bring speech to a steady level */
} EsEchoCancellerFlags;

#define ES_ECHO_CANCELLER_ALL \
  (ES_ECHO_CANCELLER_ECHO | ES_ECHO_CANCELLER_NOISE | ES_ECHO_CANCELLER_GAIN)

typedef struct
{
  int delay_median_ms;     /* the echo delay it found, -1 while it has none */
  gboolean echo;           /* the last captured frame held echo */
} EsEchoCancellerStats;

typedef struct _EsEchoCanceller EsEchoCanceller;

/* 48 kHz mono 16-bit, in ES_AUDIO_FRAME_SAMPLES frames (es-audio-backend.h).
 * Everything but new() and free() runs on the audio thread, and none of it
 * allocates: the far end and the microphone are processed in the order the
 * sound goes, render() for each frame just before it is played. */
EsEchoCanceller *es_echo_canceller_new           (EsEchoCancellerFlags   flags,
                                                  GError               **error);
void             es_echo_canceller_free          (EsEchoCanceller       *self);
EsEchoCancellerFlags es_echo_canceller_get_flags (EsEchoCanceller       *self);

/* The far end: a frame the call is about to play. */
void             es_echo_canceller_render        (EsEchoCanceller       *self,
                                                  const gint16          *frame);
/* The near end: a captured frame, processed in place. */
void             es_echo_canceller_capture       (EsEchoCanceller       *self,
                                                  gint16                *frame);
/* How long a rendered sample takes to come back to capture() through the
 * speaker, the room and the microphone, as far as the backend knows
 * (its buffers and the devices' latency); the canceller searches around it. */
void             es_echo_canceller_set_delay_ms  (EsEchoCanceller       *self,
                                                  int                    delay_ms);
void             es_echo_canceller_get_stats     (EsEchoCanceller       *self,
                                                  EsEchoCancellerStats  *stats);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsEchoCanceller, es_echo_canceller_free)

G_END_DECLS
