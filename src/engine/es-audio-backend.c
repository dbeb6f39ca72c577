/* es-audio-backend.c
 *
 * A call moves audio without knowing whether it comes from WAV files
 * (EsAudioWav, headless use and tests) or from the sound server
 * (EsAudioPipewire). The backend owns the audio clock: it pushes each captured
 * 20 ms frame to the call, and pulls each 20 ms of playback from the call when
 * the output needs it, so that the jitter buffer's playout follows the clock
 * of the device that plays it.
 *
 * Threading contract:
 *
 * - start(), stop() and the "error" signal belong to the main context, the
 *   thread-default GMainContext of the caller of start() (the engine's).
 * - The capture and playback functions run on the backend's audio thread,
 *   one call at a time and never both at once. For EsAudioWav that thread is
 *   the one running the main context above; for EsAudioPipewire it is
 *   PipeWire's real-time data thread. So the functions must return quickly,
 *   never block, take no lock that another thread may hold for long and
 *   touch no main-context object: data crosses to the main context through a
 *   lock-free ring or g_main_context_invoke(). A call written that way works
 *   with every backend.
 * - Once stop() returns, neither function runs again, and @user_data may go.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsAudioBackend"

#include "es-audio-backend.h"

G_DEFINE_INTERFACE (EsAudioBackend, es_audio_backend, G_TYPE_OBJECT)

static void
es_audio_backend_default_init (EsAudioBackendInterface *iface)
{
  /**
   * EsAudioBackend::error:
   * @error: what went wrong
   *
   * The backend met an error it cannot recover from (a recording that can no
   * longer be written, a device that went away) and stopped that direction.
   * Emitted on the main context.
   */
  g_signal_new ("error", G_TYPE_FROM_INTERFACE (iface), G_SIGNAL_RUN_LAST,
                0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

/**
 * es_audio_backend_start:
 * @capture: (nullable): receives each captured frame
 * @playback: (nullable): fills each frame to be played; without it the
 *   backend plays silence
 *
 * Starts the audio clock. See the threading contract above.
 */
gboolean
es_audio_backend_start (EsAudioBackend      *self,
                        EsAudioCaptureFunc   capture,
                        EsAudioPlaybackFunc  playback,
                        gpointer             user_data,
                        GError             **error)
{
  g_return_val_if_fail (ES_IS_AUDIO_BACKEND (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return ES_AUDIO_BACKEND_GET_IFACE (self)->start (self, capture, playback, user_data, error);
}

/**
 * es_audio_backend_stop:
 *
 * Stops the audio clock and finishes what the backend writes. Stopping a
 * backend that is not running does nothing.
 */
void
es_audio_backend_stop (EsAudioBackend *self)
{
  g_return_if_fail (ES_IS_AUDIO_BACKEND (self));

  ES_AUDIO_BACKEND_GET_IFACE (self)->stop (self);
}
