/* es-audio-backend.h: where a call's audio comes from and goes to
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* The call's audio format: 48 kHz mono signed 16-bit, in 20 ms frames. */
#define ES_AUDIO_RATE 48000
#define ES_AUDIO_FRAME_MS 20
#define ES_AUDIO_FRAME_SAMPLES (ES_AUDIO_RATE / 1000 * ES_AUDIO_FRAME_MS)

/* One captured frame of ES_AUDIO_FRAME_SAMPLES samples; @time_us is the
 * media clock's time for it, in g_get_monotonic_time()'s clock. */
typedef void (*EsAudioCaptureFunc)  (const gint16 *frame,
                                     gint64        time_us,
                                     gpointer      user_data);
/* Fills @frame with the next ES_AUDIO_FRAME_SAMPLES samples to be heard;
 * @time_us is when the backend asks (g_get_monotonic_time()'s clock), the
 * moment by which a jitter buffer must have that audio. */
typedef void (*EsAudioPlaybackFunc) (gint16       *frame,
                                     gint64        time_us,
                                     gpointer      user_data);

#define ES_TYPE_AUDIO_BACKEND (es_audio_backend_get_type ())

G_DECLARE_INTERFACE (EsAudioBackend, es_audio_backend, ES, AUDIO_BACKEND, GObject)

struct _EsAudioBackendInterface
{
  GTypeInterface g_iface;

  gboolean (*start) (EsAudioBackend      *self,
                     EsAudioCaptureFunc   capture,
                     EsAudioPlaybackFunc  playback,
                     gpointer             user_data,
                     GError             **error);
  void     (*stop)  (EsAudioBackend      *self);
};

gboolean es_audio_backend_start (EsAudioBackend      *self,
                                 EsAudioCaptureFunc   capture,
                                 EsAudioPlaybackFunc  playback,
                                 gpointer             user_data,
                                 GError             **error);
void     es_audio_backend_stop  (EsAudioBackend      *self);

G_END_DECLS
