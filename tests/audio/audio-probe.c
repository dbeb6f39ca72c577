/* audio-probe: drives the engine's PipeWire classes for the audio suite and
 * reports what they do as JSON lines (one object per line, flushed), so that
 * test_pipewire.py can check it against the graph it sees itself.
 *
 *   audio-probe stream [--input NAME] [--output NAME] [--tone HZ]
 *                      [--stall-ms MS] [--seconds S]
 *       EsAudioPipewire started with a capture function that measures and a
 *       playback function that plays a sine; every 100 ms a "status" line
 *       (node ids, levels, xrun counters), an "error" line per "error"
 *       signal. --stall-ms blocks the real-time thread once, a second in, to
 *       cause an xrun on purpose. Standard input takes "input NAME" and
 *       "output NAME" (NAME "default" for the default) to move mid-stream;
 *       each answers "moved" or "error".
 *   audio-probe tone ring|ringback|connected|ended [--output NAME] [--seconds S]
 *       EsTonePlayer; "playing", then "finished" when a short sound ends.
 *   audio-probe devices [--seconds S]
 *       EsAudioDeviceMonitor; a "devices" line with the whole list whenever
 *       it changes.
 *
 * Runs until --seconds pass (default 30) or SIGTERM/SIGINT. A device that
 * cannot be opened is an "error" line and exit status 1.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib-unix.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdio.h>

#include "es-audio-device-monitor.h"
#include "es-audio-pipewire.h"
#include "es-enums.h"
#include "es-tone-player.h"

#define STATUS_INTERVAL_MS 100
#define STALL_AFTER_US G_USEC_PER_SEC

static char *input_name;
static char *output_name;
static double tone_hz = 440;
static int stall_ms;
static int seconds = 30;

static const GOptionEntry options[] = {
  { "input", 0, 0, G_OPTION_ARG_STRING, &input_name, "Microphone (node name)", "NAME" },
  { "output", 0, 0, G_OPTION_ARG_STRING, &output_name, "Speaker (node name)", "NAME" },
  { "tone", 0, 0, G_OPTION_ARG_DOUBLE, &tone_hz, "Frequency to play", "HZ" },
  { "stall-ms", 0, 0, G_OPTION_ARG_INT, &stall_ms, "Block the audio thread once", "MS" },
  { "seconds", 0, 0, G_OPTION_ARG_INT, &seconds, "Run this long", "S" },
  { NULL }
};

static GMainLoop *loop;
static guint commands_id;

static void
emit (JsonBuilder *builder)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = json_builder_get_root (builder);
  g_autofree char *text = NULL;

  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, NULL);
  printf ("%s\n", text);
  fflush (stdout);
}

static void
emit_event (const char *event,
            const char *message)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "event");
  json_builder_add_string_value (builder, event);
  if (message != NULL)
    {
      json_builder_set_member_name (builder, "message");
      json_builder_add_string_value (builder, message);
    }
  json_builder_end_object (builder);
  emit (builder);
}

static void
on_error (GObject *source,
          GError  *error,
          gpointer data)
{
  emit_event ("error", error->message);
}

static gboolean
on_stop (gpointer data)
{
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

/* ---- stream ------------------------------------------------------------- */

typedef struct
{
  /* Audio thread. */
  double phase;
  gint64 first_capture_us;
  gboolean stalled;
  guint64 frames_captured;     /* atomic */
} Probe;

static void
on_capture (const gint16 *frame,
            gint64        time_us,
            gpointer      data)
{
  Probe *probe = data;

  if (probe->first_capture_us == 0)
    probe->first_capture_us = time_us;
  /* Deliberately against the threading contract: the fault under test. */
  if (stall_ms > 0 && !probe->stalled && time_us - probe->first_capture_us > STALL_AFTER_US)
    {
      probe->stalled = TRUE;
      g_usleep ((gulong) stall_ms * 1000);
    }
  g_atomic_pointer_add (&probe->frames_captured, 1);
}

static void
on_playback (gint16  *frame,
             gint64   time_us,
             gpointer data)
{
  Probe *probe = data;

  for (guint i = 0; i < ES_AUDIO_FRAME_SAMPLES; i++)
    {
      frame[i] = (gint16) (0.25 * 32767 * sin (probe->phase));
      probe->phase = fmod (probe->phase + 2 * G_PI * tone_hz / ES_AUDIO_RATE, 2 * G_PI);
    }
}

static gboolean
on_status (gpointer data)
{
  EsAudioPipewire *audio = data;
  Probe *probe = g_object_get_data (G_OBJECT (audio), "probe");
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "event");
  json_builder_add_string_value (builder, "status");
  json_builder_set_member_name (builder, "capture_node");
  json_builder_add_int_value (builder, es_audio_pipewire_get_capture_node_id (audio));
  json_builder_set_member_name (builder, "playback_node");
  json_builder_add_int_value (builder, es_audio_pipewire_get_playback_node_id (audio));
  json_builder_set_member_name (builder, "input_level");
  json_builder_add_double_value (builder, es_audio_pipewire_get_input_level (audio));
  json_builder_set_member_name (builder, "output_level");
  json_builder_add_double_value (builder, es_audio_pipewire_get_output_level (audio));
  json_builder_set_member_name (builder, "frames_captured");
  json_builder_add_int_value (builder, (gint64) g_atomic_pointer_get (&probe->frames_captured));
  json_builder_set_member_name (builder, "capture_overruns");
  json_builder_add_int_value (builder, es_audio_pipewire_get_capture_overruns (audio));
  json_builder_set_member_name (builder, "playback_underruns");
  json_builder_add_int_value (builder, es_audio_pipewire_get_playback_underruns (audio));
  json_builder_end_object (builder);
  emit (builder);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_command (GIOChannel   *channel,
            GIOCondition  condition,
            gpointer      data)
{
  EsAudioPipewire *audio = data;
  g_autofree char *line = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) words = NULL;
  const char *name;

  if (g_io_channel_read_line (channel, &line, NULL, NULL, NULL) != G_IO_STATUS_NORMAL)
    {
      commands_id = 0;
      return G_SOURCE_REMOVE;
    }
  words = g_strsplit (g_strstrip (line), " ", 2);
  if (g_strv_length (words) != 2 ||
      (!g_str_equal (words[0], "input") && !g_str_equal (words[0], "output")))
    {
      emit_event ("error", "commands are: input NAME, output NAME");
      return G_SOURCE_CONTINUE;
    }
  name = g_str_equal (words[1], "default") ? NULL : words[1];
  if (es_audio_pipewire_set_device (audio, g_str_equal (words[0], "input")
                                             ? ES_AUDIO_DIRECTION_INPUT
                                             : ES_AUDIO_DIRECTION_OUTPUT, name, &error))
    emit_event ("moved", words[1]);
  else
    emit_event ("error", error->message);
  return G_SOURCE_CONTINUE;
}

static int
run_stream (void)
{
  g_autoptr(EsAudioPipewire) audio = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree Probe *probe = g_new0 (Probe, 1);
  g_autoptr(GIOChannel) commands = g_io_channel_unix_new (0);
  guint status_id;

  audio = es_audio_pipewire_new (input_name, output_name, &error);
  if (audio == NULL)
    {
      emit_event ("error", error->message);
      return 1;
    }
  g_object_set_data (G_OBJECT (audio), "probe", probe);
  g_signal_connect (audio, "error", G_CALLBACK (on_error), NULL);
  if (!es_audio_backend_start (ES_AUDIO_BACKEND (audio), on_capture, on_playback, probe, &error))
    {
      emit_event ("error", error->message);
      return 1;
    }
  emit_event ("started", NULL);
  status_id = g_timeout_add (STATUS_INTERVAL_MS, on_status, audio);
  commands_id = g_io_add_watch (commands, G_IO_IN | G_IO_HUP, on_command, audio);
  g_main_loop_run (loop);
  g_source_remove (status_id);
  g_clear_handle_id (&commands_id, g_source_remove);
  es_audio_backend_stop (ES_AUDIO_BACKEND (audio));
  on_status (audio);
  emit_event ("stopped", NULL);
  return 0;
}

/* ---- tone ----------------------------------------------------------------- */

static void
on_tone_finished (EsTonePlayer *player,
                  gpointer      data)
{
  emit_event ("finished", NULL);
}

static int
run_tone (const char *name)
{
  g_autoptr(EsTonePlayer) player = NULL;
  g_autoptr(GError) error = NULL;
  GEnumClass *tones = g_type_class_ref (ES_TYPE_TONE);
  GEnumValue *tone = g_enum_get_value_by_nick (tones, name);

  g_type_class_unref (tones);
  if (tone == NULL)
    {
      emit_event ("error", "tones are: ring, ringback, connected, ended");
      return 2;
    }
  player = es_tone_player_new (output_name, &error);
  if (player == NULL || !es_tone_player_play (player, tone->value, &error))
    {
      emit_event ("error", error->message);
      return 1;
    }
  g_signal_connect (player, "finished", G_CALLBACK (on_tone_finished), NULL);
  g_signal_connect (player, "error", G_CALLBACK (on_error), NULL);
  emit_event ("playing", NULL);
  g_main_loop_run (loop);
  es_tone_player_stop (player);
  emit_event ("stopped", NULL);
  return 0;
}

/* ---- devices ---------------------------------------------------------------- */

static void
emit_devices (GListModel *devices)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "event");
  json_builder_add_string_value (builder, "devices");
  json_builder_set_member_name (builder, "devices");
  json_builder_begin_array (builder);
  for (guint i = 0; i < g_list_model_get_n_items (devices); i++)
    {
      g_autoptr(EsAudioDevice) device = g_list_model_get_item (devices, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "name");
      json_builder_add_string_value (builder, es_audio_device_get_name (device));
      json_builder_set_member_name (builder, "description");
      json_builder_add_string_value (builder, es_audio_device_get_description (device));
      json_builder_set_member_name (builder, "direction");
      json_builder_add_string_value (builder,
                                     es_audio_device_get_direction (device) ==
                                     ES_AUDIO_DIRECTION_INPUT ? "input" : "output");
      json_builder_set_member_name (builder, "is_default");
      json_builder_add_boolean_value (builder, es_audio_device_get_is_default (device));
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  emit (builder);
}

static void
on_devices_changed (EsAudioDeviceMonitor *monitor,
                    gpointer              data)
{
  emit_devices (G_LIST_MODEL (monitor));
}

static int
run_devices (void)
{
  g_autoptr(EsAudioDeviceMonitor) monitor = NULL;
  g_autoptr(GError) error = NULL;

  monitor = es_audio_device_monitor_new (&error);
  if (monitor == NULL)
    {
      emit_event ("error", error->message);
      return 1;
    }
  g_signal_connect (monitor, "changed", G_CALLBACK (on_devices_changed), NULL);
  g_signal_connect (monitor, "error", G_CALLBACK (on_error), NULL);
  emit_devices (G_LIST_MODEL (monitor));
  g_main_loop_run (loop);
  return 0;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = g_option_context_new ("stream|tone NAME|devices");
  g_autoptr(GError) error = NULL;
  int result;

  g_option_context_add_main_entries (context, options, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || argc < 2)
    {
      g_printerr ("%s\n", error != NULL ? error->message : "which command?");
      return 2;
    }

  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGTERM, on_stop, NULL);
  g_unix_signal_add (SIGINT, on_stop, NULL);
  g_timeout_add_seconds ((guint) seconds, on_stop, NULL);

  if (g_str_equal (argv[1], "stream"))
    result = run_stream ();
  else if (g_str_equal (argv[1], "tone") && argc == 3)
    result = run_tone (argv[2]);
  else if (g_str_equal (argv[1], "devices"))
    result = run_devices ();
  else
    {
      g_printerr ("usage: audio-probe stream|tone NAME|devices\n");
      result = 2;
    }
  g_main_loop_unref (loop);
  return result;
}
