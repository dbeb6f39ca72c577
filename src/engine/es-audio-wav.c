/* es-audio-wav.c
 *
 * WAV files as a call's audio: the input is captured in real time and what
 * the call plays is recorded, 20 ms at a time, on a media clock that runs on
 * the main context. Period n is due n + 1 periods after start, counted from
 * the start and not from the previous tick, so late wake-ups never add up to
 * drift; a period that comes late still runs (several at once if need be),
 * so the recording's length equals the wall-clock time of the call, with
 * silence wherever nothing was played.
 *
 * After the end of the input it captures silence and sets "input-ended".
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsAudioWav"

#include "es-audio-wav.h"

#include <string.h>

#include "es-wav-reader.h"
#include "es-wav-writer.h"

#define PERIOD_US (ES_AUDIO_FRAME_MS * G_TIME_SPAN_MILLISECOND)
/* Periods run in one main-loop dispatch when far behind (after a stall), so
 * that catching up never starves the network. The rest run next iteration. */
#define MAX_PERIODS_PER_DISPATCH 10

struct _EsAudioWav
{
  GObject parent_instance;

  char *input_path;
  char *output_path;
  EsWavReader *reader;
  EsWavWriter *writer;
  guint64 input_frames;
  gboolean input_ended;

  EsAudioCaptureFunc capture;
  EsAudioPlaybackFunc playback;
  gpointer user_data;
  gboolean running;
  gboolean finished;
  gint64 start_us;
  guint64 n_periods;
  GSource *clock_source;
};

static void es_audio_wav_backend_init (EsAudioBackendInterface *iface);
static void es_audio_wav_initable_init (GInitableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (EsAudioWav, es_audio_wav, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (ES_TYPE_AUDIO_BACKEND,
                                                      es_audio_wav_backend_init)
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE,
                                                      es_audio_wav_initable_init))

enum {
  PROP_0,
  PROP_INPUT_PATH,
  PROP_OUTPUT_PATH,
  PROP_INPUT_ENDED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
es_audio_wav_stop (EsAudioBackend *backend);

static void
es_audio_wav_dispose (GObject *object)
{
  es_audio_wav_stop (ES_AUDIO_BACKEND (object));

  G_OBJECT_CLASS (es_audio_wav_parent_class)->dispose (object);
}

static void
es_audio_wav_finalize (GObject *object)
{
  EsAudioWav *self = ES_AUDIO_WAV (object);

  g_clear_pointer (&self->reader, es_wav_reader_free);
  g_clear_pointer (&self->writer, es_wav_writer_free);
  g_free (self->input_path);
  g_free (self->output_path);

  G_OBJECT_CLASS (es_audio_wav_parent_class)->finalize (object);
}

static void
es_audio_wav_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  EsAudioWav *self = ES_AUDIO_WAV (object);

  switch (prop_id)
    {
    case PROP_INPUT_PATH:
      g_value_set_string (value, self->input_path);
      break;
    case PROP_OUTPUT_PATH:
      g_value_set_string (value, self->output_path);
      break;
    case PROP_INPUT_ENDED:
      g_value_set_boolean (value, self->input_ended);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
es_audio_wav_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  EsAudioWav *self = ES_AUDIO_WAV (object);

  switch (prop_id)
    {
    case PROP_INPUT_PATH:
      self->input_path = g_value_dup_string (value);
      break;
    case PROP_OUTPUT_PATH:
      self->output_path = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
es_audio_wav_class_init (EsAudioWavClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = es_audio_wav_dispose;
  object_class->finalize = es_audio_wav_finalize;
  object_class->get_property = es_audio_wav_get_property;
  object_class->set_property = es_audio_wav_set_property;

  properties[PROP_INPUT_PATH] =
    g_param_spec_string ("input-path", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_OUTPUT_PATH] =
    g_param_spec_string ("output-path", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_INPUT_ENDED] =
    g_param_spec_boolean ("input-ended", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
es_audio_wav_init (EsAudioWav *self)
{
}

static gboolean
es_audio_wav_initable_init_impl (GInitable     *initable,
                                 GCancellable  *cancellable,
                                 GError       **error)
{
  EsAudioWav *self = ES_AUDIO_WAV (initable);

  if (self->input_path != NULL)
    {
      self->reader = es_wav_reader_new_for_path (self->input_path, error);
      if (self->reader == NULL)
        return FALSE;
    }
  if (self->output_path != NULL)
    {
      self->writer = es_wav_writer_new (self->output_path, error);
      if (self->writer == NULL)
        return FALSE;
    }
  return TRUE;
}

static void
es_audio_wav_initable_init (GInitableIface *iface)
{
  iface->init = es_audio_wav_initable_init_impl;
}

EsAudioWav *
es_audio_wav_new (const char  *input_path,
                  const char  *output_path,
                  GError     **error)
{
  return g_initable_new (ES_TYPE_AUDIO_WAV, NULL, error,
                         "input-path", input_path,
                         "output-path", output_path,
                         NULL);
}

const char *
es_audio_wav_get_input_path (EsAudioWav *self)
{
  g_return_val_if_fail (ES_IS_AUDIO_WAV (self), NULL);
  return self->input_path;
}

const char *
es_audio_wav_get_output_path (EsAudioWav *self)
{
  g_return_val_if_fail (ES_IS_AUDIO_WAV (self), NULL);
  return self->output_path;
}

gboolean
es_audio_wav_get_input_ended (EsAudioWav *self)
{
  g_return_val_if_fail (ES_IS_AUDIO_WAV (self), FALSE);
  return self->input_ended;
}

guint64
es_audio_wav_get_n_periods (EsAudioWav *self)
{
  g_return_val_if_fail (ES_IS_AUDIO_WAV (self), 0);
  return self->n_periods;
}

static void
set_input_ended (EsAudioWav *self)
{
  if (self->input_ended)
    return;
  self->input_ended = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_INPUT_ENDED]);
}

static void
report_error (EsAudioWav *self,
              GError     *error)
{
  g_signal_emit_by_name (self, "error", error);
}

/* Fills @frame with the next 20 ms of input, silence past its end. */
static void
read_input (EsAudioWav *self,
            gint16     *frame)
{
  g_autoptr(GError) error = NULL;
  gssize n = 0;

  if (self->reader != NULL)
    n = es_wav_reader_read (self->reader, frame, ES_AUDIO_FRAME_SAMPLES, &error);
  if (n < 0)
    {
      g_clear_pointer (&self->reader, es_wav_reader_free);
      n = 0;
    }
  memset (frame + n, 0, (ES_AUDIO_FRAME_SAMPLES - n) * sizeof *frame);
  self->input_frames += n;

  if (error != NULL)
    report_error (self, error);
  if (self->input_path != NULL &&
      (self->reader == NULL || self->input_frames == es_wav_reader_get_n_frames (self->reader)))
    set_input_ended (self);
}

static void
record_output (EsAudioWav   *self,
               const gint16 *frame)
{
  g_autoptr(GError) error = NULL;

  if (self->writer == NULL || es_wav_writer_write (self->writer, frame, ES_AUDIO_FRAME_SAMPLES,
                                                   &error))
    return;
  /* Closed with the size of what was written, the file stays playable. */
  es_wav_writer_close (self->writer, NULL);
  g_clear_pointer (&self->writer, es_wav_writer_free);
  report_error (self, error);
}

static void
run_period (EsAudioWav *self)
{
  gint16 frame[ES_AUDIO_FRAME_SAMPLES];
  gint64 deadline = self->start_us + (gint64) (self->n_periods + 1) * PERIOD_US;

  self->n_periods++;

  read_input (self, frame);
  if (self->capture != NULL)
    self->capture (frame, deadline, self->user_data);

  memset (frame, 0, sizeof frame);
  if (self->running && self->playback != NULL)
    self->playback (frame, deadline, self->user_data);
  if (self->running)
    record_output (self, frame);
}

static guint
run_due_periods (EsAudioWav *self,
                 gint64      now_us,
                 guint       max_periods)
{
  guint ran = 0;

  /* A callback may stop the backend; nothing runs after that. */
  while (self->running && ran < max_periods &&
         self->start_us + (gint64) (self->n_periods + 1) * PERIOD_US <= now_us)
    {
      run_period (self);
      ran++;
    }
  return ran;
}

guint
es_audio_wav_advance (EsAudioWav *self,
                      gint64      now_us)
{
  g_autoptr(EsAudioWav) hold = NULL;

  g_return_val_if_fail (ES_IS_AUDIO_WAV (self), 0);

  /* A callback may drop the last reference to the backend. */
  hold = g_object_ref (self);
  return run_due_periods (self, now_us, G_MAXUINT);
}

static gboolean
on_clock_due (gpointer user_data)
{
  /* A callback may drop the last reference to the backend. */
  g_autoptr(EsAudioWav) self = g_object_ref (user_data);

  run_due_periods (self, g_get_monotonic_time (), MAX_PERIODS_PER_DISPATCH);
  if (!self->running)
    return G_SOURCE_REMOVE;
  g_source_set_ready_time (self->clock_source,
                           self->start_us + (gint64) (self->n_periods + 1) * PERIOD_US);
  return G_SOURCE_CONTINUE;
}

static gboolean
clock_source_dispatch (GSource     *source,
                       GSourceFunc  callback,
                       gpointer     user_data)
{
  return callback (user_data);
}

static GSourceFuncs clock_source_funcs = {
  .dispatch = clock_source_dispatch,
};

static gboolean
begin (EsAudioWav          *self,
       EsAudioCaptureFunc   capture,
       EsAudioPlaybackFunc  playback,
       gpointer             user_data,
       gint64               start_us,
       GError             **error)
{
  if (self->running || self->finished)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_BUSY,
                   "the WAV audio backend %s", self->running ? "is already running"
                                                             : "has already run");
      return FALSE;
    }
  self->capture = capture;
  self->playback = playback;
  self->user_data = user_data;
  self->start_us = start_us;
  self->running = TRUE;
  return TRUE;
}

gboolean
es_audio_wav_start_manual (EsAudioWav          *self,
                           EsAudioCaptureFunc   capture,
                           EsAudioPlaybackFunc  playback,
                           gpointer             user_data,
                           gint64               start_us,
                           GError             **error)
{
  g_return_val_if_fail (ES_IS_AUDIO_WAV (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return begin (self, capture, playback, user_data, start_us, error);
}

static gboolean
es_audio_wav_start (EsAudioBackend      *backend,
                    EsAudioCaptureFunc   capture,
                    EsAudioPlaybackFunc  playback,
                    gpointer             user_data,
                    GError             **error)
{
  EsAudioWav *self = ES_AUDIO_WAV (backend);

  if (!begin (self, capture, playback, user_data, g_get_monotonic_time (), error))
    return FALSE;

  self->clock_source = g_source_new (&clock_source_funcs, sizeof (GSource));
  g_source_set_name (self->clock_source, "[earshot] WAV media clock");
  g_source_set_priority (self->clock_source, G_PRIORITY_HIGH);
  g_source_set_callback (self->clock_source, on_clock_due, self, NULL);
  g_source_set_ready_time (self->clock_source, self->start_us + PERIOD_US);
  g_source_attach (self->clock_source, g_main_context_get_thread_default ());
  return TRUE;
}

static void
es_audio_wav_stop (EsAudioBackend *backend)
{
  EsAudioWav *self = ES_AUDIO_WAV (backend);
  g_autoptr(GError) error = NULL;

  if (!self->running)
    return;
  self->running = FALSE;
  self->finished = TRUE;
  self->capture = NULL;
  self->playback = NULL;
  self->user_data = NULL;
  if (self->clock_source != NULL)
    {
      g_source_destroy (self->clock_source);
      g_clear_pointer (&self->clock_source, g_source_unref);
    }
  if (self->writer != NULL && !es_wav_writer_close (self->writer, &error))
    report_error (self, error);
}

static void
es_audio_wav_backend_init (EsAudioBackendInterface *iface)
{
  iface->start = es_audio_wav_start;
  iface->stop = es_audio_wav_stop;
}
