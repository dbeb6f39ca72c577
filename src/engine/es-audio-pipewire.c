/* es-audio-pipewire.c
 *
 * A call's live audio: one capture and one playback pw_stream, 48 kHz mono
 * S16, media.role Communication, asking for a 20 ms quantum.
 *
 * Threads. PipeWire objects live on this backend's own pw_thread_loop, and
 * every call into them holds its lock. The streams are
 * PW_STREAM_FLAG_RT_PROCESS, so their process callbacks run on PipeWire's
 * real-time data thread; they call the call's capture and playback
 * functions directly there (the backend threading contract, es-audio-
 * backend.c), through preallocated frame adapters, since PipeWire's buffers
 * are whatever the graph's quantum makes. Nothing on that thread allocates,
 * locks or touches a main-context object: the data thread's state is its
 * own, and the few figures others read (xruns, levels) are atomics. Stream
 * and server events arrive on the loop thread and reach the main context
 * through g_main_context_invoke().
 *
 * The echo canceller sits on the data thread too: each frame the call hands
 * over for playback is its far-end reference, each captured frame is
 * cleaned before the call sees it. Both streams run on the same data
 * thread, one callback at a time, so the canceller needs no lock.
 *
 * Devices. NULL means the default; WirePlumber links such a stream to the
 * default device and moves it when the default changes. A named device is
 * checked against the registry here and pinned (target.object, with
 * node.dont-reconnect): if it goes away, that is an "error", not a silent
 * move to another device.
 *
 * Xruns. The stream's time says how far the device's clock moved between
 * two cycles; when it moved on by clearly more than the audio the stream
 * carried, audio was lost (capture) or a gap was played (playback).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsAudioPipewire"

#include "es-audio-pipewire.h"

#include <errno.h>
#include <math.h>
#include <spa/param/audio/format-utils.h>

#include "es-enums.h"
#include "es-error.h"
#include "es-frame-adapter.h"
#include "es-pipewire-private.h"

#define CAPTURE_NODE_NAME "earshot-call-input"
#define PLAYBACK_NODE_NAME "earshot-call-output"
/* A cycle longer than this many times the audio it carried skipped one. */
#define XRUN_FACTOR 1.5
/* Past this, the stream's clock changed (a move to another device), and a
 * jump says nothing about lost audio. */
#define CLOCK_CHANGE_US (2 * G_USEC_PER_SEC)

typedef struct
{
  char *name;
  EsAudioDirection direction;
} Device;

/* One direction of the call's audio. */
typedef struct
{
  EsAudioPipewire *self;
  EsAudioDirection direction;
  const char *name;           /* the device asked for; NULL: the default */
  guint32 device_id;          /* its registry id when named */

  /* Loop thread. */
  struct pw_stream *stream;
  struct spa_hook listener;
  gboolean failed;            /* its error has been reported */

  /* Data thread. */
  EsFrameAdapter *adapter;
  gboolean have_ticks;
  guint64 last_ticks;
  guint64 last_samples;       /* what the previous cycle carried */
  gint64 device_delay_us;

  /* Any thread, atomically. */
  gint xruns;
  gint level;                 /* float bits: RMS of the last frame */
} Direction;

struct _EsAudioPipewire
{
  GObject parent_instance;

  char *input_name;
  char *output_name;
  EsEchoCancellerFlags processing;

  struct pw_thread_loop *loop;
  struct pw_context *context;
  struct pw_core *core;
  struct spa_hook core_listener;
  struct pw_registry *registry;
  struct spa_hook registry_listener;
  GHashTable *devices;        /* registry id → Device; under the loop's lock */
  int sync_seq;
  gboolean synced;
  gboolean server_lost;

  Direction capture;
  Direction playback;
  EsEchoCanceller *canceller;

  /* Set by start() before the streams exist, read by the data thread. */
  EsAudioCaptureFunc capture_func;
  EsAudioPlaybackFunc playback_func;
  gpointer user_data;
  gint running;               /* atomic: the call's functions may run */
  gint64 cycle_us;            /* data thread: when the current cycle began */

  /* Main context. */
  GMainContext *main_context;
  gboolean started;
  gint generation;            /* atomic: one per start(), so late errors are dropped */
};

static void es_audio_pipewire_backend_init (EsAudioBackendInterface *iface);
static void es_audio_pipewire_initable_init (GInitableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (EsAudioPipewire, es_audio_pipewire, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (ES_TYPE_AUDIO_BACKEND,
                                                      es_audio_pipewire_backend_init)
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE,
                                                      es_audio_pipewire_initable_init))

enum {
  PROP_0,
  PROP_INPUT_NAME,
  PROP_OUTPUT_NAME,
  PROP_PROCESSING,
  PROP_CAPTURE_OVERRUNS,
  PROP_PLAYBACK_UNDERRUNS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void es_audio_pipewire_stop (EsAudioBackend *backend);

static void
device_free (Device *device)
{
  g_free (device->name);
  g_free (device);
}

/* ---- Levels, shared as float bits --------------------------------------- */

static void
store_level (gint         *level,
             const gint16 *frame)
{
  union { float f; gint i; } bits;
  double sum = 0;

  for (guint i = 0; i < ES_AUDIO_FRAME_SAMPLES; i++)
    sum += (double) frame[i] * frame[i];
  bits.f = (float) (sqrt (sum / ES_AUDIO_FRAME_SAMPLES) / 32768.0);
  g_atomic_int_set (level, bits.i);
}

static double
load_level (gint *level)
{
  union { float f; gint i; } bits;

  bits.i = g_atomic_int_get (level);
  return bits.f;
}

/* ---- Errors: loop thread → main context ---------------------------------- */

typedef struct
{
  EsAudioPipewire *self;
  GError *error;
  gint generation;
} ErrorReport;

static void
error_report_free (gpointer data)
{
  ErrorReport *report = data;

  g_object_unref (report->self);
  g_error_free (report->error);
  g_free (report);
}

static gboolean
emit_error (gpointer data)
{
  ErrorReport *report = data;

  /* Only for the run it belongs to. */
  if (report->self->started && report->generation == g_atomic_int_get (&report->self->generation))
    g_signal_emit_by_name (report->self, "error", report->error);
  return G_SOURCE_REMOVE;
}

/* Loop thread (the object is alive: dispose stops the loop first). */
static void
report_error (EsAudioPipewire *self,
              GError          *error)
{
  ErrorReport *report;

  if (self->main_context == NULL)
    {
      g_error_free (error);
      return;
    }
  report = g_new0 (ErrorReport, 1);
  report->self = g_object_ref (self);
  report->error = error;
  report->generation = g_atomic_int_get (&self->generation);
  g_main_context_invoke_full (self->main_context, G_PRIORITY_DEFAULT, emit_error, report,
                              error_report_free);
}

static const char *
direction_noun (EsAudioDirection direction)
{
  return direction == ES_AUDIO_DIRECTION_INPUT ? "microphone" : "speaker";
}

static void
report_direction_failed (Direction  *direction,
                         const char *why)
{
  if (direction->failed)
    return;
  direction->failed = TRUE;
  report_error (direction->self,
                g_error_new (ES_ERROR, ES_ERROR_FAILED, "the call's %s stopped: %s",
                             direction_noun (direction->direction), why));
}

/* ---- Server and registry: loop thread ------------------------------------ */

static void
on_core_done (void     *data,
              uint32_t  id,
              int       seq)
{
  EsAudioPipewire *self = data;

  if (id == PW_ID_CORE && seq == self->sync_seq)
    {
      self->synced = TRUE;
      pw_thread_loop_signal (self->loop, FALSE);
    }
}

static void
on_core_error (void       *data,
               uint32_t    id,
               int         seq,
               int         res,
               const char *message)
{
  EsAudioPipewire *self = data;

  if (id != PW_ID_CORE || res != -EPIPE || self->server_lost)
    return;
  /* The connection is gone: the sound server stopped or crashed. */
  self->server_lost = TRUE;
  pw_thread_loop_signal (self->loop, FALSE);
  if (self->capture.stream != NULL || self->playback.stream != NULL)
    {
      self->capture.failed = self->playback.failed = TRUE;
      report_error (self, g_error_new_literal (ES_ERROR, ES_ERROR_FAILED,
                                               "the PipeWire sound server went away"));
    }
}

static const struct pw_core_events core_events = {
  PW_VERSION_CORE_EVENTS,
  .done = on_core_done,
  .error = on_core_error,
};

static void
on_registry_global (void                  *data,
                    uint32_t               id,
                    uint32_t               permissions,
                    const char            *type,
                    uint32_t               version,
                    const struct spa_dict *props)
{
  EsAudioPipewire *self = data;
  EsAudioDirection direction;
  Device *device;

  if (props == NULL || !g_str_equal (type, PW_TYPE_INTERFACE_Node) ||
      !es_pipewire_device_direction (props, &direction))
    return;
  device = g_new0 (Device, 1);
  device->name = g_strdup (spa_dict_lookup (props, PW_KEY_NODE_NAME));
  device->direction = direction;
  g_hash_table_replace (self->devices, GUINT_TO_POINTER (id), device);
}

static void
on_registry_global_remove (void     *data,
                           uint32_t  id)
{
  EsAudioPipewire *self = data;
  Direction *directions[] = { &self->capture, &self->playback };

  for (guint i = 0; i < G_N_ELEMENTS (directions); i++)
    {
      Direction *direction = directions[i];
      g_autofree char *why = NULL;

      if (direction->name == NULL || direction->device_id != id || direction->stream == NULL)
        continue;
      why = g_strdup_printf ("the %s “%s” went away", direction_noun (direction->direction),
                             direction->name);
      report_direction_failed (direction, why);
    }
  g_hash_table_remove (self->devices, GUINT_TO_POINTER (id));
}

static const struct pw_registry_events registry_events = {
  PW_VERSION_REGISTRY_EVENTS,
  .global = on_registry_global,
  .global_remove = on_registry_global_remove,
};

/* ---- Streams: data thread ------------------------------------------------ */

/* The stream's view of the device clock; FALSE before it has one. */
static gboolean
read_time (Direction      *direction,
           struct pw_time *time)
{
  if (pw_stream_get_time_n (direction->stream, time, sizeof *time) < 0 ||
      time->rate.denom == 0)
    return FALSE;
  direction->device_delay_us = time->delay * G_USEC_PER_SEC * time->rate.num / time->rate.denom;
  return TRUE;
}

/* Counts an xrun when the device clock moved on by clearly more than the
 * audio the stream carried over the same cycle. */
static void
check_xrun (Direction      *direction,
            struct pw_time *time,
            guint64         samples)
{
  gint64 moved_us, carried_us;

  if (direction->have_ticks && direction->last_samples > 0)
    {
      moved_us = (gint64) (time->ticks - direction->last_ticks) * G_USEC_PER_SEC *
                 time->rate.num / time->rate.denom;
      carried_us = (gint64) direction->last_samples * G_USEC_PER_SEC / ES_AUDIO_RATE;
      if (moved_us > carried_us * XRUN_FACTOR && moved_us < CLOCK_CHANGE_US)
        g_atomic_int_inc (&direction->xruns);
    }
  direction->have_ticks = TRUE;
  direction->last_ticks = time->ticks;
  direction->last_samples = samples;
}

/* Where the echo canceller should look for the far end in the microphone:
 * what playback has queued and the output's latency, plus the input's. */
static int
echo_delay_ms (EsAudioPipewire *self)
{
  gint64 queued_us = (gint64) es_frame_adapter_get_pending (self->playback.adapter) *
                     G_USEC_PER_SEC / ES_AUDIO_RATE;

  return (int) ((ABS (self->playback.device_delay_us) + queued_us +
                 ABS (self->capture.device_delay_us)) / 1000);
}

static void
on_captured_frame (gint16   *frame,
                   gpointer  data)
{
  EsAudioPipewire *self = data;

  if (self->canceller != NULL)
    {
      es_echo_canceller_set_delay_ms (self->canceller, echo_delay_ms (self));
      es_echo_canceller_capture (self->canceller, frame);
    }
  store_level (&self->capture.level, frame);
  if (self->capture_func != NULL)
    self->capture_func (frame, self->cycle_us, self->user_data);
}

static void
on_capture_process (void *data)
{
  Direction *capture = data;
  EsAudioPipewire *self = capture->self;
  gboolean running = g_atomic_int_get (&self->running);
  struct pw_buffer *buffer;
  struct pw_time time;
  guint64 samples = 0;

  self->cycle_us = g_get_monotonic_time ();
  /* Several buffers are waiting when the thread was late: take them all. */
  while ((buffer = pw_stream_dequeue_buffer (capture->stream)) != NULL)
    {
      struct spa_data *d = &buffer->buffer->datas[0];
      guint32 offset = MIN (d->chunk->offset, d->maxsize);
      guint32 size = MIN (d->chunk->size, d->maxsize - offset);

      if (running && d->data != NULL)
        es_frame_adapter_push (capture->adapter, SPA_PTROFF (d->data, offset, gint16),
                               size / sizeof (gint16), on_captured_frame, self);
      samples += size / sizeof (gint16);
      pw_stream_queue_buffer (capture->stream, buffer);
    }
  if (running && read_time (capture, &time))
    check_xrun (capture, &time, samples);
}

static void
on_playback_frame (gint16   *frame,
                   gpointer  data)
{
  EsAudioPipewire *self = data;

  if (self->playback_func != NULL)
    self->playback_func (frame, self->cycle_us, self->user_data);
  if (self->canceller != NULL)
    es_echo_canceller_render (self->canceller, frame);
  store_level (&self->playback.level, frame);
}

static void
on_playback_process (void *data)
{
  Direction *playback = data;
  EsAudioPipewire *self = playback->self;
  struct pw_buffer *buffer;
  struct spa_data *d;
  struct pw_time time;
  guint64 samples;

  self->cycle_us = g_get_monotonic_time ();
  buffer = pw_stream_dequeue_buffer (playback->stream);
  if (buffer == NULL)
    {
      /* No buffer to fill this cycle: the device plays a gap. */
      if (g_atomic_int_get (&self->running))
        g_atomic_int_inc (&playback->xruns);
      return;
    }
  d = &buffer->buffer->datas[0];
  if (d->data == NULL)
    {
      pw_stream_queue_buffer (playback->stream, buffer);
      return;
    }
  samples = d->maxsize / sizeof (gint16);
  /* PipeWire says how much the graph wants (0.3.49 on); else one frame. */
  samples = MIN (samples, buffer->requested > 0 ? buffer->requested : ES_AUDIO_FRAME_SAMPLES);

  if (g_atomic_int_get (&self->running))
    {
      es_frame_adapter_pull (playback->adapter, d->data, samples, on_playback_frame, self);
      if (read_time (playback, &time))
        check_xrun (playback, &time, samples);
    }
  else
    memset (d->data, 0, samples * sizeof (gint16));

  d->chunk->offset = 0;
  d->chunk->stride = sizeof (gint16);
  d->chunk->size = (guint32) (samples * sizeof (gint16));
  buffer->size = samples;
  pw_stream_queue_buffer (playback->stream, buffer);
}

/* ---- Streams: loop thread ------------------------------------------------ */

static void
on_stream_state_changed (void                 *data,
                         enum pw_stream_state  old,
                         enum pw_stream_state  state,
                         const char           *error)
{
  Direction *direction = data;

  g_debug ("%s stream: %s → %s%s%s", direction_noun (direction->direction),
           pw_stream_state_as_string (old), pw_stream_state_as_string (state),
           error != NULL ? ": " : "", error != NULL ? error : "");
  if (state == PW_STREAM_STATE_ERROR)
    report_direction_failed (direction, error != NULL ? error : "PipeWire reported an error");
  else if (state == PW_STREAM_STATE_UNCONNECTED && old != PW_STREAM_STATE_UNCONNECTED)
    report_direction_failed (direction, "PipeWire disconnected it");
}

static const struct pw_stream_events capture_events = {
  PW_VERSION_STREAM_EVENTS,
  .state_changed = on_stream_state_changed,
  .process = on_capture_process,
};

static const struct pw_stream_events playback_events = {
  PW_VERSION_STREAM_EVENTS,
  .state_changed = on_stream_state_changed,
  .process = on_playback_process,
};

/* With the loop's lock held. */
static gboolean
open_stream (EsAudioPipewire               *self,
             Direction                     *direction,
             const struct pw_stream_events *events,
             GError                       **error)
{
  gboolean input = direction->direction == ES_AUDIO_DIRECTION_INPUT;
  struct pw_properties *props;
  guint8 pod_buffer[1024];
  struct spa_pod_builder builder = SPA_POD_BUILDER_INIT (pod_buffer, sizeof pod_buffer);
  const struct spa_pod *params[1];
  int res;

  props = es_pipewire_stream_properties (input ? "Capture" : "Playback", "Communication",
                                         input ? CAPTURE_NODE_NAME : PLAYBACK_NODE_NAME,
                                         input ? "Earshot call: microphone"
                                               : "Earshot call",
                                         direction->name);
  direction->stream = pw_stream_new (self->core, input ? CAPTURE_NODE_NAME : PLAYBACK_NODE_NAME,
                                     props);
  if (direction->stream == NULL)
    {
      es_pipewire_set_error (error, -errno, "cannot create a PipeWire stream");
      return FALSE;
    }
  direction->failed = FALSE;
  /* A new stream's clock, maybe another device's. */
  direction->have_ticks = FALSE;
  pw_stream_add_listener (direction->stream, &direction->listener, events, direction);

  params[0] = es_pipewire_build_format (&builder);
  res = pw_stream_connect (direction->stream, input ? PW_DIRECTION_INPUT : PW_DIRECTION_OUTPUT,
                           PW_ID_ANY,
                           PW_STREAM_FLAG_AUTOCONNECT | PW_STREAM_FLAG_MAP_BUFFERS |
                           PW_STREAM_FLAG_RT_PROCESS,
                           params, G_N_ELEMENTS (params));
  if (res < 0)
    {
      es_pipewire_set_error (error, res, "cannot connect a PipeWire stream");
      return FALSE;
    }
  return TRUE;
}

static void
close_stream (Direction *direction)
{
  if (direction->stream == NULL)
    return;
  spa_hook_remove (&direction->listener);
  pw_stream_destroy (direction->stream);
  direction->stream = NULL;
}

/* ---- The backend interface: main context --------------------------------- */

static int
wait_for_running_cycle (struct spa_loop *loop,
                        bool             async,
                        uint32_t         seq,
                        const void      *data,
                        size_t           size,
                        void            *user_data)
{
  /* Nothing to do: running on the data thread means its cycle is over. */
  return 0;
}

static gboolean
es_audio_pipewire_start (EsAudioBackend      *backend,
                         EsAudioCaptureFunc   capture,
                         EsAudioPlaybackFunc  playback,
                         gpointer             user_data,
                         GError             **error)
{
  EsAudioPipewire *self = ES_AUDIO_PIPEWIRE (backend);
  gboolean ok;

  if (self->started)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_BUSY,
                           "the PipeWire audio backend is already running");
      return FALSE;
    }

  self->capture_func = capture;
  self->playback_func = playback;
  self->user_data = user_data;
  g_clear_pointer (&self->main_context, g_main_context_unref);
  self->main_context = g_main_context_ref_thread_default ();

  pw_thread_loop_lock (self->loop);
  if (self->server_lost)
    {
      g_set_error_literal (error, ES_ERROR, ES_ERROR_FAILED,
                           "the PipeWire sound server went away");
      ok = FALSE;
    }
  else
    {
      Direction *directions[] = { &self->capture, &self->playback };

      for (guint i = 0; i < G_N_ELEMENTS (directions); i++)
        {
          es_frame_adapter_reset (directions[i]->adapter);
          g_atomic_int_set (&directions[i]->xruns, 0);
          g_atomic_int_set (&directions[i]->level, 0);
        }
      g_atomic_int_set (&self->running, 1);
      ok = open_stream (self, &self->capture, &capture_events, error) &&
           open_stream (self, &self->playback, &playback_events, error);
    }
  if (!ok)
    {
      g_atomic_int_set (&self->running, 0);
      close_stream (&self->capture);
      close_stream (&self->playback);
    }
  pw_thread_loop_unlock (self->loop);

  self->started = ok;
  return ok;
}

static void
es_audio_pipewire_stop (EsAudioBackend *backend)
{
  EsAudioPipewire *self = ES_AUDIO_PIPEWIRE (backend);

  if (!self->started)
    return;
  self->started = FALSE;
  g_atomic_int_inc (&self->generation);

  /* After this round trip through the data thread no cycle still uses the
   * call's functions, and none will: the contract's "once stop() returns". */
  g_atomic_int_set (&self->running, 0);
  pw_data_loop_invoke (pw_context_get_data_loop (self->context), wait_for_running_cycle, 0,
                       NULL, 0, true, NULL);

  pw_thread_loop_lock (self->loop);
  close_stream (&self->capture);
  close_stream (&self->playback);
  pw_thread_loop_unlock (self->loop);

  self->capture_func = NULL;
  self->playback_func = NULL;
  self->user_data = NULL;
}

static void
es_audio_pipewire_backend_init (EsAudioBackendInterface *iface)
{
  iface->start = es_audio_pipewire_start;
  iface->stop = es_audio_pipewire_stop;
}

/* ---- Construction: connect, list the devices, check the names ------------ */

/* With the loop's lock held: waits until the server has told us everything
 * that existed when we asked. */
static gboolean
sync_with_server (EsAudioPipewire  *self,
                  GError          **error)
{
  struct timespec deadline;

  self->synced = FALSE;
  self->sync_seq = pw_core_sync (self->core, PW_ID_CORE, self->sync_seq);
  pw_thread_loop_get_time (self->loop, &deadline, ES_PIPEWIRE_TIMEOUT_S * SPA_NSEC_PER_SEC);
  while (!self->synced && !self->server_lost)
    if (pw_thread_loop_timed_wait_full (self->loop, &deadline) != 0)
      break;

  if (self->synced)
    return TRUE;
  g_set_error (error, ES_ERROR, ES_ERROR_FAILED, self->server_lost
               ? "the PipeWire sound server closed the connection"
               : "the PipeWire sound server did not answer within %d s", ES_PIPEWIRE_TIMEOUT_S);
  return FALSE;
}

/* With the loop's lock held: the registry id of the device named @name. */
static gboolean
find_device (EsAudioPipewire   *self,
             EsAudioDirection   direction,
             const char        *name,
             guint32           *id,
             GError           **error)
{
  g_autoptr(GString) known = g_string_new (NULL);
  gboolean wrong_way = FALSE;
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, self->devices);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      Device *device = value;

      if (device->direction != direction)
        {
          wrong_way |= g_str_equal (device->name, name);
          continue;
        }
      if (g_str_equal (device->name, name))
        {
          *id = GPOINTER_TO_UINT (key);
          return TRUE;
        }
      g_string_append_printf (known, "%s%s", known->len > 0 ? ", " : "", device->name);
    }

  if (wrong_way)
    g_set_error (error, ES_ERROR, ES_ERROR_NOT_FOUND, "“%s” is not a %s", name,
                 direction_noun (direction));
  else
    g_set_error (error, ES_ERROR, ES_ERROR_NOT_FOUND, "no %s named “%s” (%s: %s)",
                 direction_noun (direction), name,
                 direction == ES_AUDIO_DIRECTION_INPUT ? "microphones" : "speakers",
                 known->len > 0 ? known->str : "none");
  return FALSE;
}

static gboolean
find_named_device (EsAudioPipewire  *self,
                   Direction        *direction,
                   GError          **error)
{
  return direction->name == NULL ||
         find_device (self, direction->direction, direction->name, &direction->device_id, error);
}

static gboolean
es_audio_pipewire_initable_init_impl (GInitable     *initable,
                                      GCancellable  *cancellable,
                                      GError       **error)
{
  EsAudioPipewire *self = ES_AUDIO_PIPEWIRE (initable);
  gboolean ok;
  int res;

  es_pipewire_init ();
  self->capture.name = self->input_name;
  self->playback.name = self->output_name;

  if (self->processing != 0)
    {
      self->canceller = es_echo_canceller_new (self->processing, error);
      if (self->canceller == NULL)
        return FALSE;
    }

  self->loop = pw_thread_loop_new ("earshot-audio", NULL);
  /* client-rt.conf: real-time priority for the data thread where allowed. */
  self->context = pw_context_new (pw_thread_loop_get_loop (self->loop),
                                  pw_properties_new (PW_KEY_CONFIG_NAME, "client-rt.conf", NULL),
                                  0);
  if (self->context == NULL)
    {
      es_pipewire_set_error (error, -errno, "cannot set up PipeWire");
      return FALSE;
    }
  res = pw_thread_loop_start (self->loop);
  if (res < 0)
    {
      es_pipewire_set_error (error, res, "cannot start PipeWire's thread");
      return FALSE;
    }

  pw_thread_loop_lock (self->loop);
  self->core = es_pipewire_connect (self->context, error);
  ok = self->core != NULL;
  if (ok)
    {
      pw_core_add_listener (self->core, &self->core_listener, &core_events, self);
      self->registry = pw_core_get_registry (self->core, PW_VERSION_REGISTRY, 0);
      pw_registry_add_listener (self->registry, &self->registry_listener, &registry_events, self);
      ok = sync_with_server (self, error) &&
           find_named_device (self, &self->capture, error) &&
           find_named_device (self, &self->playback, error);
    }
  pw_thread_loop_unlock (self->loop);
  return ok;
}

static void
es_audio_pipewire_initable_init (GInitableIface *iface)
{
  iface->init = es_audio_pipewire_initable_init_impl;
}

EsAudioPipewire *
es_audio_pipewire_new (const char  *input_name,
                       const char  *output_name,
                       GError     **error)
{
  return g_initable_new (ES_TYPE_AUDIO_PIPEWIRE, NULL, error,
                         "input-name", input_name,
                         "output-name", output_name,
                         NULL);
}

/* ---- GObject ------------------------------------------------------------- */

static void
es_audio_pipewire_dispose (GObject *object)
{
  EsAudioPipewire *self = ES_AUDIO_PIPEWIRE (object);

  es_audio_pipewire_stop (ES_AUDIO_BACKEND (self));

  /* After the loop thread stops, nothing refers to this object from it. */
  if (self->loop != NULL)
    {
      pw_thread_loop_lock (self->loop);
      es_pipewire_destroy_registry (&self->registry, &self->registry_listener);
      es_pipewire_disconnect (&self->core, &self->core_listener);
      pw_thread_loop_unlock (self->loop);
      pw_thread_loop_stop (self->loop);
    }
  g_clear_pointer (&self->context, pw_context_destroy);
  g_clear_pointer (&self->loop, pw_thread_loop_destroy);

  G_OBJECT_CLASS (es_audio_pipewire_parent_class)->dispose (object);
}

static void
es_audio_pipewire_finalize (GObject *object)
{
  EsAudioPipewire *self = ES_AUDIO_PIPEWIRE (object);

  g_clear_pointer (&self->canceller, es_echo_canceller_free);
  es_frame_adapter_free (self->capture.adapter);
  es_frame_adapter_free (self->playback.adapter);
  g_hash_table_unref (self->devices);
  g_clear_pointer (&self->main_context, g_main_context_unref);
  g_free (self->input_name);
  g_free (self->output_name);

  G_OBJECT_CLASS (es_audio_pipewire_parent_class)->finalize (object);
}

static void
es_audio_pipewire_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  EsAudioPipewire *self = ES_AUDIO_PIPEWIRE (object);

  switch (prop_id)
    {
    case PROP_INPUT_NAME:
      g_value_set_string (value, self->input_name);
      break;
    case PROP_OUTPUT_NAME:
      g_value_set_string (value, self->output_name);
      break;
    case PROP_PROCESSING:
      g_value_set_flags (value, self->processing);
      break;
    case PROP_CAPTURE_OVERRUNS:
      g_value_set_uint (value, es_audio_pipewire_get_capture_overruns (self));
      break;
    case PROP_PLAYBACK_UNDERRUNS:
      g_value_set_uint (value, es_audio_pipewire_get_playback_underruns (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
es_audio_pipewire_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  EsAudioPipewire *self = ES_AUDIO_PIPEWIRE (object);

  switch (prop_id)
    {
    case PROP_INPUT_NAME:
      self->input_name = g_value_dup_string (value);
      break;
    case PROP_OUTPUT_NAME:
      self->output_name = g_value_dup_string (value);
      break;
    case PROP_PROCESSING:
      self->processing = g_value_get_flags (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
es_audio_pipewire_class_init (EsAudioPipewireClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = es_audio_pipewire_dispose;
  object_class->finalize = es_audio_pipewire_finalize;
  object_class->get_property = es_audio_pipewire_get_property;
  object_class->set_property = es_audio_pipewire_set_property;

  /* Changed later by es_audio_pipewire_set_device() only. */
  properties[PROP_INPUT_NAME] =
    g_param_spec_string ("input-name", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_EXPLICIT_NOTIFY |
                         G_PARAM_STATIC_STRINGS);
  properties[PROP_OUTPUT_NAME] =
    g_param_spec_string ("output-name", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_EXPLICIT_NOTIFY |
                         G_PARAM_STATIC_STRINGS);
  properties[PROP_PROCESSING] =
    g_param_spec_flags ("processing", NULL, NULL, ES_TYPE_ECHO_CANCELLER_FLAGS,
                        ES_ECHO_CANCELLER_ALL,
                        G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CAPTURE_OVERRUNS] =
    g_param_spec_uint ("capture-overruns", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PLAYBACK_UNDERRUNS] =
    g_param_spec_uint ("playback-underruns", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
es_audio_pipewire_init (EsAudioPipewire *self)
{
  self->devices = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) device_free);
  self->capture.self = self;
  self->capture.direction = ES_AUDIO_DIRECTION_INPUT;
  self->capture.adapter = es_frame_adapter_new (ES_AUDIO_FRAME_SAMPLES);
  self->playback.self = self;
  self->playback.direction = ES_AUDIO_DIRECTION_OUTPUT;
  self->playback.adapter = es_frame_adapter_new (ES_AUDIO_FRAME_SAMPLES);
}

/* ---- Changing device mid-call ------------------------------------------- */

/**
 * es_audio_pipewire_set_device:
 * @direction: the microphone or the speaker
 * @name: (nullable): a device's node name, or NULL for the default
 *
 * Moves that direction to another device, at once if running (a new stream
 * on the new device; the call goes on), and for later starts. An unknown
 * name is an error and changes nothing.
 */
gboolean
es_audio_pipewire_set_device (EsAudioPipewire   *self,
                              EsAudioDirection   direction,
                              const char        *name,
                              GError           **error)
{
  gboolean input = direction == ES_AUDIO_DIRECTION_INPUT;
  Direction *which = input ? &self->capture : &self->playback;
  char **field = input ? &self->input_name : &self->output_name;
  guint32 id = SPA_ID_INVALID;
  gboolean ok = TRUE;

  g_return_val_if_fail (ES_IS_AUDIO_PIPEWIRE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  pw_thread_loop_lock (self->loop);
  if (self->server_lost)
    {
      g_set_error_literal (error, ES_ERROR, ES_ERROR_FAILED, "the PipeWire sound server went away");
      ok = FALSE;
    }
  else if (name != NULL)
    ok = find_device (self, direction, name, &id, error);
  if (ok)
    {
      g_free (*field);
      *field = g_strdup (name);
      which->name = *field;
      which->device_id = id;
      if (which->stream != NULL)
        {
          close_stream (which);
          /* Its stream is gone, so the data thread no longer touches the
           * capture adapter; playback keeps what it holds and plays it on. */
          if (input)
            es_frame_adapter_reset (which->adapter);
          ok = open_stream (self, which, input ? &capture_events : &playback_events, error);
        }
    }
  pw_thread_loop_unlock (self->loop);

  if (ok)
    g_object_notify_by_pspec (G_OBJECT (self),
                              properties[input ? PROP_INPUT_NAME : PROP_OUTPUT_NAME]);
  return ok;
}

/* ---- Getters ------------------------------------------------------------- */

const char *
es_audio_pipewire_get_input_name (EsAudioPipewire *self)
{
  g_return_val_if_fail (ES_IS_AUDIO_PIPEWIRE (self), NULL);
  return self->input_name;
}

const char *
es_audio_pipewire_get_output_name (EsAudioPipewire *self)
{
  g_return_val_if_fail (ES_IS_AUDIO_PIPEWIRE (self), NULL);
  return self->output_name;
}

EsEchoCancellerFlags
es_audio_pipewire_get_processing (EsAudioPipewire *self)
{
  g_return_val_if_fail (ES_IS_AUDIO_PIPEWIRE (self), 0);
  return self->processing;
}

guint
es_audio_pipewire_get_capture_overruns (EsAudioPipewire *self)
{
  g_return_val_if_fail (ES_IS_AUDIO_PIPEWIRE (self), 0);
  return (guint) g_atomic_int_get (&self->capture.xruns);
}

guint
es_audio_pipewire_get_playback_underruns (EsAudioPipewire *self)
{
  g_return_val_if_fail (ES_IS_AUDIO_PIPEWIRE (self), 0);
  return (guint) g_atomic_int_get (&self->playback.xruns);
}

double
es_audio_pipewire_get_input_level (EsAudioPipewire *self)
{
  g_return_val_if_fail (ES_IS_AUDIO_PIPEWIRE (self), 0);
  return load_level (&self->capture.level);
}

double
es_audio_pipewire_get_output_level (EsAudioPipewire *self)
{
  g_return_val_if_fail (ES_IS_AUDIO_PIPEWIRE (self), 0);
  return load_level (&self->playback.level);
}

static guint32
stream_node_id (EsAudioPipewire *self,
                Direction       *direction)
{
  guint32 id = 0;

  if (self->loop == NULL)
    return 0;
  pw_thread_loop_lock (self->loop);
  if (direction->stream != NULL)
    id = pw_stream_get_node_id (direction->stream);
  pw_thread_loop_unlock (self->loop);
  return id == SPA_ID_INVALID ? 0 : id;
}

guint32
es_audio_pipewire_get_capture_node_id (EsAudioPipewire *self)
{
  g_return_val_if_fail (ES_IS_AUDIO_PIPEWIRE (self), 0);
  return stream_node_id (self, &self->capture);
}

guint32
es_audio_pipewire_get_playback_node_id (EsAudioPipewire *self)
{
  g_return_val_if_fail (ES_IS_AUDIO_PIPEWIRE (self), 0);
  return stream_node_id (self, &self->playback);
}
