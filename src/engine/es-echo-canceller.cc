/* es-echo-canceller.cc
 *
 * The microphone's voice processing: webrtc-audio-processing 0.3 (Debian 12's
 * libwebrtc-audio-processing, a C++ library) behind a C interface.
 *
 * Why this and not PipeWire's echo-cancel module: that module is the same
 * library inside the sound server, and it would need virtual source and sink
 * nodes in the user's graph that our streams are routed through, with their
 * own buffering, and a server to test against. Earshot decodes the far end
 * itself, so it holds the exact reference, frame by frame, at the moment it
 * hands it to the device: in process, the canceller gets that reference with
 * no guessing, works the same with any backend, and is tested offline with
 * signals whose echo is known.
 *
 * Settings: the AEC (not the mobile AECM) with the extended filter and
 * delay-agnostic mode, so that it finds the echo's delay itself within a few
 * hundred milliseconds of the backend's estimate; a high-pass filter; noise
 * suppression; and the adaptive digital gain control with its limiter. The
 * analog gain control (ExperimentalAgc, on by default in this version) would
 * steer a microphone volume we do not own, so it is off.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsEchoCanceller"

#include "es-echo-canceller.h"

#include <cmath>
#include <memory>

#include <webrtc/modules/audio_processing/include/audio_processing.h>

#include "es-audio-backend.h"
#include "es-error.h"

/* The library works in 10 ms chunks: two per frame. */
#define CHUNK_SAMPLES (ES_AUDIO_RATE / 100)
#define CHUNKS_PER_FRAME (ES_AUDIO_FRAME_SAMPLES / CHUNK_SAMPLES)
/* What the library accepts as a stream delay. */
#define MAX_DELAY_MS 500
/* The gain control's target: peaks 3 dB below full scale, at most 9 dB of
 * gain added to quiet speech (the library's defaults, which WebRTC uses). */
#define AGC_TARGET_DBFS 3
#define AGC_COMPRESSION_DB 9

struct _EsEchoCanceller
{
  std::unique_ptr<webrtc::AudioProcessing> apm;
  webrtc::StreamConfig stream;
  EsEchoCancellerFlags flags;
  int delay_ms;
  float chunk[CHUNK_SAMPLES];
};

static bool
configure (EsEchoCanceller  *self,
           GError          **error)
{
  webrtc::AudioProcessing *apm = self->apm.get ();
  webrtc::EchoCancellation *aec = apm->echo_cancellation ();
  webrtc::NoiseSuppression *ns = apm->noise_suppression ();
  webrtc::GainControl *agc = apm->gain_control ();
  webrtc::ProcessingConfig processing = { { self->stream, self->stream,
                                            self->stream, self->stream } };
  bool echo = (self->flags & ES_ECHO_CANCELLER_ECHO) != 0;
  bool noise = (self->flags & ES_ECHO_CANCELLER_NOISE) != 0;
  bool gain = (self->flags & ES_ECHO_CANCELLER_GAIN) != 0;
  /* A braced list is evaluated in order: each setting after the one above. */
  const int results[] = {
    apm->Initialize (processing),
    apm->high_pass_filter ()->Enable (noise || gain),
    aec->enable_drift_compensation (false),
    aec->set_suppression_level (webrtc::EchoCancellation::kHighSuppression),
    aec->enable_delay_logging (echo),
    aec->Enable (echo),
    ns->set_level (webrtc::NoiseSuppression::kModerate),
    ns->Enable (noise),
    agc->set_mode (webrtc::GainControl::kAdaptiveDigital),
    agc->set_target_level_dbfs (AGC_TARGET_DBFS),
    agc->set_compression_gain_db (AGC_COMPRESSION_DB),
    agc->enable_limiter (true),
    agc->Enable (gain),
  };

  for (int result : results)
    if (result != webrtc::AudioProcessing::kNoError)
      {
        g_set_error (error, ES_ERROR, ES_ERROR_FAILED,
                     "cannot set up the echo canceller (webrtc-audio-processing error %d)",
                     result);
        return false;
      }
  return true;
}

EsEchoCanceller *
es_echo_canceller_new (EsEchoCancellerFlags   flags,
                       GError               **error)
{
  std::unique_ptr<EsEchoCanceller> self (new EsEchoCanceller ());
  webrtc::Config config;

  config.Set<webrtc::ExtendedFilter> (new webrtc::ExtendedFilter (true));
  config.Set<webrtc::DelayAgnostic> (new webrtc::DelayAgnostic (true));
  config.Set<webrtc::ExperimentalAgc> (new webrtc::ExperimentalAgc (false));
  self->apm.reset (webrtc::AudioProcessing::Create (config));
  if (!self->apm)
    {
      g_set_error_literal (error, ES_ERROR, ES_ERROR_FAILED,
                           "cannot create the echo canceller (webrtc-audio-processing)");
      return NULL;
    }
  self->stream = webrtc::StreamConfig (ES_AUDIO_RATE, 1, false);
  self->flags = flags;
  if (!configure (self.get (), error))
    return NULL;
  return self.release ();
}

void
es_echo_canceller_free (EsEchoCanceller *self)
{
  delete self;
}

EsEchoCancellerFlags
es_echo_canceller_get_flags (EsEchoCanceller *self)
{
  return self->flags;
}

static void
to_float (float        *out,
          const gint16 *in)
{
  for (int i = 0; i < CHUNK_SAMPLES; i++)
    out[i] = in[i] / 32768.0f;
}

static void
to_s16 (gint16      *out,
        const float *in)
{
  for (int i = 0; i < CHUNK_SAMPLES; i++)
    {
      long sample = lrintf (in[i] * 32768.0f);

      out[i] = (gint16) CLAMP (sample, G_MININT16, G_MAXINT16);
    }
}

void
es_echo_canceller_render (EsEchoCanceller *self,
                          const gint16    *frame)
{
  float *channels[1] = { self->chunk };

  if ((self->flags & ES_ECHO_CANCELLER_ECHO) == 0)
    return;
  for (int i = 0; i < CHUNKS_PER_FRAME; i++)
    {
      to_float (self->chunk, frame + i * CHUNK_SAMPLES);
      self->apm->ProcessReverseStream (channels, self->stream, self->stream, channels);
    }
}

void
es_echo_canceller_capture (EsEchoCanceller *self,
                           gint16          *frame)
{
  float *channels[1] = { self->chunk };

  for (int i = 0; i < CHUNKS_PER_FRAME; i++)
    {
      to_float (self->chunk, frame + i * CHUNK_SAMPLES);
      /* Set before every chunk: the library forgets it after each. */
      if (self->flags & ES_ECHO_CANCELLER_ECHO)
        self->apm->set_stream_delay_ms (self->delay_ms);
      self->apm->ProcessStream (channels, self->stream, self->stream, channels);
      to_s16 (frame + i * CHUNK_SAMPLES, self->chunk);
    }
}

void
es_echo_canceller_set_delay_ms (EsEchoCanceller *self,
                                int              delay_ms)
{
  self->delay_ms = CLAMP (delay_ms, 0, MAX_DELAY_MS);
}

void
es_echo_canceller_get_stats (EsEchoCanceller      *self,
                             EsEchoCancellerStats *stats)
{
  webrtc::EchoCancellation *aec = self->apm->echo_cancellation ();
  int median = -1, deviation = -1;

  stats->delay_median_ms = -1;
  stats->echo = FALSE;
  if (!aec->is_enabled ())
    return;
  stats->echo = aec->stream_has_echo ();
  if (aec->GetDelayMetrics (&median, &deviation) == webrtc::AudioProcessing::kNoError)
    stats->delay_median_ms = median;
}
