/* es-tone-player.c
 *
 * The sounds of a call, synthesised here rather than shipped as recordings:
 * a soft rising arpeggio for an incoming call, the European ringback (425
 * Hz, one second in five, ITU-T E.180) for the caller, two rising notes when
 * the call connects and three falling ones when it ends. Each note has a
 * short raised-cosine attack and release, so nothing clicks.
 *
 * Played through one pw_stream at a time on the player's own pw_thread_loop;
 * the ring tone with media.role Notification (so that the session manager
 * treats it like other alerts), the rest with Communication, like the call.
 * The samples are made on PipeWire's data thread (PW_STREAM_FLAG_RT_PROCESS:
 * synthesis allocates nothing). Not for latency: with the process callback
 * on the loop thread, PipeWire 0.3.65 queues calls to it that can outlive a
 * destroyed stream, which crashed when a tone was stopped. The end of a short
 * tone reaches the loop thread through pw_loop_invoke(), the main context
 * ("finished", "error") through g_main_context_invoke().
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsTonePlayer"

#include "es-tone-player.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "es-audio-backend.h"
#include "es-audio-device-monitor.h"
#include "es-error.h"
#include "es-pipewire-private.h"

#define SAMPLES_PER_MS (ES_AUDIO_RATE / 1000)
#define ATTACK_MS 5.0
#define RELEASE_MS 15.0
/* A note's fundamental peaks at -13 dBFS; with overtones and overlapping
 * notes the sounds stay under -6 dBFS, below the call's speech. */
#define NOTE_AMPLITUDE 0.22
/* Silence played after a short tone before it counts as heard: more than
 * the output's buffering, so that stopping then cuts nothing. */
#define TAIL_MS 100

typedef struct
{
  guint start_ms;
  guint length_ms;
  double hz;
  double decay_ms;     /* exponential decay; 0 for a steady tone */
  gboolean pure;       /* a sine, without the bell-like overtones */
} Note;

typedef struct
{
  const Note *notes;
  guint n_notes;
  guint period_ms;     /* looping tones; 0 for a short one */
} ToneShape;

/* E major arpeggio, twice, every three seconds. */
static const Note ring_notes[] = {
  { 0, 420, 659.26, 180, FALSE }, { 120, 420, 830.61, 180, FALSE },
  { 240, 420, 987.77, 180, FALSE }, { 360, 520, 1318.51, 220, FALSE },
  { 1000, 420, 659.26, 180, FALSE }, { 1120, 420, 830.61, 180, FALSE },
  { 1240, 420, 987.77, 180, FALSE }, { 1360, 520, 1318.51, 220, FALSE },
};
static const Note ringback_notes[] = {
  { 0, 1000, 425.0, 0, TRUE },
};
static const Note connected_notes[] = {
  { 0, 130, 1046.50, 90, FALSE }, { 110, 240, 1567.98, 110, FALSE },
};
static const Note ended_notes[] = {
  { 0, 160, 783.99, 100, FALSE }, { 140, 160, 659.26, 100, FALSE },
  { 280, 280, 523.25, 140, FALSE },
};

static const ToneShape tones[] = {
  [ES_TONE_RING] = { ring_notes, G_N_ELEMENTS (ring_notes), 3000 },
  [ES_TONE_RINGBACK] = { ringback_notes, G_N_ELEMENTS (ringback_notes), 5000 },
  [ES_TONE_CONNECTED] = { connected_notes, G_N_ELEMENTS (connected_notes), 0 },
  [ES_TONE_ENDED] = { ended_notes, G_N_ELEMENTS (ended_notes), 0 },
};

/* ---- Synthesis ------------------------------------------------------------ */

static const ToneShape *
shape_of (EsTone tone)
{
  g_return_val_if_fail ((guint) tone < G_N_ELEMENTS (tones), &tones[ES_TONE_ENDED]);
  return &tones[tone];
}

gboolean
es_tone_loops (EsTone tone)
{
  return shape_of (tone)->period_ms > 0;
}

gsize
es_tone_get_length (EsTone tone)
{
  const ToneShape *shape = shape_of (tone);
  guint end_ms = shape->period_ms;

  for (guint i = 0; i < shape->n_notes && shape->period_ms == 0; i++)
    end_ms = MAX (end_ms, shape->notes[i].start_ms + shape->notes[i].length_ms);
  return (gsize) end_ms * SAMPLES_PER_MS;
}

/* Raised-cosine ramps at both ends, times the decay. */
static double
envelope (const Note *note,
          double      t_ms)
{
  double gain = note->decay_ms > 0 ? exp (-t_ms / note->decay_ms) : 1.0;
  double to_end = note->length_ms - t_ms;

  if (t_ms < ATTACK_MS)
    gain *= 0.5 - 0.5 * cos (G_PI * t_ms / ATTACK_MS);
  if (to_end < RELEASE_MS)
    gain *= 0.5 - 0.5 * cos (G_PI * MAX (to_end, 0) / RELEASE_MS);
  return gain;
}

static double
note_sample (const Note *note,
             double      t_ms)
{
  double phase = 2 * G_PI * note->hz * t_ms / 1000.0;
  double value = sin (phase);

  if (!note->pure)
    value += 0.35 * sin (2 * phase) + 0.12 * sin (3 * phase);
  return NOTE_AMPLITUDE * envelope (note, t_ms) * value;
}

gsize
es_tone_render (EsTone   tone,
                guint64  position,
                gint16  *samples,
                gsize    n_samples)
{
  const ToneShape *shape = shape_of (tone);
  guint64 length = es_tone_get_length (tone);
  gsize n = n_samples;

  if (shape->period_ms == 0)
    n = position >= length ? 0 : (gsize) MIN ((guint64) n_samples, length - position);
  for (gsize i = 0; i < n; i++)
    {
      guint64 at = shape->period_ms > 0 ? (position + i) % length : position + i;
      double t_ms = (double) at / SAMPLES_PER_MS;
      double value = 0;

      for (guint k = 0; k < shape->n_notes; k++)
        {
          const Note *note = &shape->notes[k];

          if (t_ms >= note->start_ms && t_ms < note->start_ms + note->length_ms)
            value += note_sample (note, t_ms - note->start_ms);
        }
      samples[i] = (gint16) CLAMP (lrint (value * 32767), G_MININT16, G_MAXINT16);
    }
  return n;
}

/* ---- The player ------------------------------------------------------------ */

struct _EsTonePlayer
{
  GObject parent_instance;

  char *output_name;

  struct pw_thread_loop *loop;
  struct pw_context *context;
  struct pw_core *core;
  struct spa_hook core_listener;

  /* Loop thread, or under the loop's lock. */
  struct pw_stream *stream;
  struct spa_hook stream_listener;
  gboolean server_lost;

  /* Data thread (set before the stream connects). */
  EsTone tone;
  guint64 position;
  gint stream_generation;
  gboolean ended;

  /* Main context. */
  GMainContext *main_context;
  gboolean playing;
  gint generation;      /* atomic: one per play(), so late events are dropped */
};

static void es_tone_player_initable_init (GInitableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (EsTonePlayer, es_tone_player, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE,
                                                      es_tone_player_initable_init))

enum {
  PROP_0,
  PROP_OUTPUT_NAME,
  PROP_PLAYING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  FINISHED,
  ERROR,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* ---- Loop thread → main context ----------------------------------------- */

typedef struct
{
  EsTonePlayer *self;
  GError *error;         /* NULL: the short tone finished */
  gint generation;
} Event;

static void
event_free (gpointer data)
{
  Event *event = data;

  g_object_unref (event->self);
  g_clear_error (&event->error);
  g_free (event);
}

static void
close_stream (EsTonePlayer *self)
{
  if (self->stream == NULL)
    return;
  spa_hook_remove (&self->stream_listener);
  pw_stream_destroy (self->stream);
  self->stream = NULL;
}

static void
set_playing (EsTonePlayer *self,
             gboolean      playing)
{
  if (self->playing == playing)
    return;
  self->playing = playing;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PLAYING]);
}

static gboolean
deliver_event (gpointer data)
{
  Event *event = data;
  EsTonePlayer *self = event->self;

  if (event->generation != g_atomic_int_get (&self->generation) || !self->playing)
    return G_SOURCE_REMOVE;
  es_tone_player_stop (self);
  if (event->error != NULL)
    g_signal_emit (self, signals[ERROR], 0, event->error);
  else
    g_signal_emit (self, signals[FINISHED], 0);
  return G_SOURCE_REMOVE;
}

/* Loop thread. */
static void
post_event (EsTonePlayer *self,
            GError       *error,
            gint          generation)
{
  Event *event = g_new0 (Event, 1);

  event->self = g_object_ref (self);
  event->error = error;
  event->generation = generation;
  g_main_context_invoke_full (self->main_context, G_PRIORITY_DEFAULT, deliver_event, event,
                              event_free);
}

/* ---- Stream and server: loop thread --------------------------------------- */

/* Loop thread: a short tone has been played to its end. */
static int
on_tone_ended (struct spa_loop *loop,
               bool             async,
               uint32_t         seq,
               const void      *data,
               size_t           size,
               void            *user_data)
{
  const gint *generation = data;

  post_event (user_data, NULL, *generation);
  return 0;
}

/* Data thread. */
static void
on_process (void *data)
{
  EsTonePlayer *self = data;
  struct pw_buffer *buffer = pw_stream_dequeue_buffer (self->stream);
  struct spa_data *d;
  gsize wanted, n;

  if (buffer == NULL)
    return;
  d = &buffer->buffer->datas[0];
  if (d->data == NULL)
    {
      pw_stream_queue_buffer (self->stream, buffer);
      return;
    }
  wanted = d->maxsize / sizeof (gint16);
  wanted = MIN (wanted, buffer->requested > 0 ? buffer->requested : ES_AUDIO_FRAME_SAMPLES);
  n = es_tone_render (self->tone, self->position, d->data, wanted);
  memset ((gint16 *) d->data + n, 0, (wanted - n) * sizeof (gint16));
  self->position += wanted;
  d->chunk->offset = 0;
  d->chunk->stride = sizeof (gint16);
  d->chunk->size = (guint32) (wanted * sizeof (gint16));
  buffer->size = wanted;
  pw_stream_queue_buffer (self->stream, buffer);

  if (!es_tone_loops (self->tone) && !self->ended &&
      self->position >= es_tone_get_length (self->tone) + TAIL_MS * SAMPLES_PER_MS)
    {
      self->ended = TRUE;
      pw_loop_invoke (pw_thread_loop_get_loop (self->loop), on_tone_ended, 0,
                      &self->stream_generation, sizeof self->stream_generation, false, self);
    }
}

static void
on_state_changed (void                 *data,
                  enum pw_stream_state  old,
                  enum pw_stream_state  state,
                  const char           *error)
{
  EsTonePlayer *self = data;

  if (state == PW_STREAM_STATE_ERROR)
    post_event (self, g_error_new (ES_ERROR, ES_ERROR_FAILED, "the call sounds stopped: %s",
                                   error != NULL ? error : "PipeWire reported an error"),
                self->stream_generation);
}

static const struct pw_stream_events stream_events = {
  PW_VERSION_STREAM_EVENTS,
  .state_changed = on_state_changed,
  .process = on_process,
};

static void
on_core_error (void       *data,
               uint32_t    id,
               int         seq,
               int         res,
               const char *message)
{
  EsTonePlayer *self = data;

  if (id != PW_ID_CORE || res != -EPIPE || self->server_lost)
    return;
  self->server_lost = TRUE;
  if (self->stream != NULL)
    post_event (self, g_error_new_literal (ES_ERROR, ES_ERROR_FAILED,
                                           "the PipeWire sound server went away"),
                self->stream_generation);
}

static const struct pw_core_events core_events = {
  PW_VERSION_CORE_EVENTS,
  .error = on_core_error,
};

/* ---- Playing: main context ------------------------------------------------ */

/* With the loop's lock held. */
static gboolean
open_stream (EsTonePlayer  *self,
             EsTone         tone,
             GError       **error)
{
  guint8 pod_buffer[1024];
  struct spa_pod_builder builder = SPA_POD_BUILDER_INIT (pod_buffer, sizeof pod_buffer);
  const struct spa_pod *params[1];
  struct pw_properties *props;
  int res;

  props = es_pipewire_stream_properties ("Playback",
                                         tone == ES_TONE_RING ? "Notification" : "Communication",
                                         "earshot-call-sounds", "Earshot call sounds",
                                         self->output_name);
  self->stream = pw_stream_new (self->core, "earshot-call-sounds", props);
  if (self->stream == NULL)
    {
      es_pipewire_set_error (error, -errno, "cannot create a PipeWire stream");
      return FALSE;
    }
  self->tone = tone;
  self->position = 0;
  self->ended = FALSE;
  self->stream_generation = g_atomic_int_get (&self->generation);
  pw_stream_add_listener (self->stream, &self->stream_listener, &stream_events, self);
  params[0] = es_pipewire_build_format (&builder);
  res = pw_stream_connect (self->stream, PW_DIRECTION_OUTPUT, PW_ID_ANY,
                           PW_STREAM_FLAG_AUTOCONNECT | PW_STREAM_FLAG_MAP_BUFFERS |
                           PW_STREAM_FLAG_RT_PROCESS,
                           params, G_N_ELEMENTS (params));
  if (res < 0)
    {
      es_pipewire_set_error (error, res, "cannot connect a PipeWire stream");
      close_stream (self);
      return FALSE;
    }
  return TRUE;
}

gboolean
es_tone_player_play (EsTonePlayer  *self,
                     EsTone         tone,
                     GError       **error)
{
  gboolean ok;

  g_return_val_if_fail (ES_IS_TONE_PLAYER (self), FALSE);
  g_return_val_if_fail ((guint) tone < G_N_ELEMENTS (tones), FALSE);

  es_tone_player_stop (self);
  g_clear_pointer (&self->main_context, g_main_context_unref);
  self->main_context = g_main_context_ref_thread_default ();

  pw_thread_loop_lock (self->loop);
  if (self->server_lost)
    {
      g_set_error_literal (error, ES_ERROR, ES_ERROR_FAILED, "the PipeWire sound server went away");
      ok = FALSE;
    }
  else
    ok = open_stream (self, tone, error);
  pw_thread_loop_unlock (self->loop);

  set_playing (self, ok);
  return ok;
}

void
es_tone_player_stop (EsTonePlayer *self)
{
  g_return_if_fail (ES_IS_TONE_PLAYER (self));

  g_atomic_int_inc (&self->generation);
  if (self->loop != NULL)
    {
      pw_thread_loop_lock (self->loop);
      close_stream (self);
      pw_thread_loop_unlock (self->loop);
    }
  set_playing (self, FALSE);
}

gboolean
es_tone_player_get_playing (EsTonePlayer *self)
{
  g_return_val_if_fail (ES_IS_TONE_PLAYER (self), FALSE);
  return self->playing;
}

/* ---- Construction ---------------------------------------------------------- */

/* A named speaker must exist; the device monitor knows which do. */
static gboolean
check_output (const char  *name,
              GError     **error)
{
  g_autoptr(EsAudioDeviceMonitor) monitor = NULL;

  if (name == NULL)
    return TRUE;
  monitor = es_audio_device_monitor_new (error);
  if (monitor == NULL)
    return FALSE;
  if (es_audio_device_monitor_lookup (monitor, name, ES_AUDIO_DIRECTION_OUTPUT) != NULL)
    return TRUE;
  g_set_error (error, ES_ERROR, ES_ERROR_NOT_FOUND, "no speaker named “%s”", name);
  return FALSE;
}

static gboolean
es_tone_player_initable_init_impl (GInitable     *initable,
                                   GCancellable  *cancellable,
                                   GError       **error)
{
  EsTonePlayer *self = ES_TONE_PLAYER (initable);
  int res;

  es_pipewire_init ();
  if (!check_output (self->output_name, error))
    return FALSE;
  self->loop = pw_thread_loop_new ("earshot-tones", NULL);
  self->context = pw_context_new (pw_thread_loop_get_loop (self->loop), NULL, 0);
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
  if (self->core != NULL)
    pw_core_add_listener (self->core, &self->core_listener, &core_events, self);
  pw_thread_loop_unlock (self->loop);
  return self->core != NULL;
}

static void
es_tone_player_initable_init (GInitableIface *iface)
{
  iface->init = es_tone_player_initable_init_impl;
}

EsTonePlayer *
es_tone_player_new (const char  *output_name,
                    GError     **error)
{
  return g_initable_new (ES_TYPE_TONE_PLAYER, NULL, error, "output-name", output_name, NULL);
}

/* ---- GObject ----------------------------------------------------------------- */

static void
es_tone_player_dispose (GObject *object)
{
  EsTonePlayer *self = ES_TONE_PLAYER (object);

  if (self->loop != NULL)
    {
      pw_thread_loop_lock (self->loop);
      close_stream (self);
      es_pipewire_disconnect (&self->core, &self->core_listener);
      pw_thread_loop_unlock (self->loop);
      /* After this, nothing on the loop thread refers to the player. */
      pw_thread_loop_stop (self->loop);
    }
  g_clear_pointer (&self->context, pw_context_destroy);
  g_clear_pointer (&self->loop, pw_thread_loop_destroy);

  G_OBJECT_CLASS (es_tone_player_parent_class)->dispose (object);
}

static void
es_tone_player_finalize (GObject *object)
{
  EsTonePlayer *self = ES_TONE_PLAYER (object);

  g_clear_pointer (&self->main_context, g_main_context_unref);
  g_free (self->output_name);

  G_OBJECT_CLASS (es_tone_player_parent_class)->finalize (object);
}

static void
es_tone_player_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  EsTonePlayer *self = ES_TONE_PLAYER (object);

  switch (prop_id)
    {
    case PROP_OUTPUT_NAME:
      g_value_set_string (value, self->output_name);
      break;
    case PROP_PLAYING:
      g_value_set_boolean (value, self->playing);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
es_tone_player_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  EsTonePlayer *self = ES_TONE_PLAYER (object);

  switch (prop_id)
    {
    case PROP_OUTPUT_NAME:
      self->output_name = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
es_tone_player_class_init (EsTonePlayerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = es_tone_player_dispose;
  object_class->finalize = es_tone_player_finalize;
  object_class->get_property = es_tone_player_get_property;
  object_class->set_property = es_tone_player_set_property;

  properties[PROP_OUTPUT_NAME] =
    g_param_spec_string ("output-name", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PLAYING] =
    g_param_spec_boolean ("playing", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[FINISHED] =
    g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[ERROR] =
    g_signal_new ("error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
es_tone_player_init (EsTonePlayer *self)
{
}
