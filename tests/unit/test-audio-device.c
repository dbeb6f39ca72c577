/* What the device list shows, without a sound server: which PipeWire nodes
 * count as microphones and speakers (never a sink's monitor), the defaults
 * as WirePlumber writes them, and the device objects the UI binds to.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "es-audio-device.h"
#include "es-pipewire-private.h"

static gboolean
classify (EsAudioDirection *direction,
          ...)
{
  struct spa_dict_item items[8];
  struct spa_dict dict;
  guint n = 0;
  va_list args;
  const char *key;

  va_start (args, direction);
  while ((key = va_arg (args, const char *)) != NULL && n < G_N_ELEMENTS (items))
    {
      items[n] = SPA_DICT_ITEM_INIT (key, va_arg (args, const char *));
      n++;
    }
  va_end (args);
  dict = SPA_DICT_INIT (items, n);
  return es_pipewire_device_direction (&dict, direction);
}

static void
test_which_nodes_are_devices (void)
{
  EsAudioDirection direction;

  g_assert_true (classify (&direction, "media.class", "Audio/Sink",
                           "node.name", "alsa_output.pci-0000_00_1f.3.analog-stereo", NULL));
  g_assert_cmpint (direction, ==, ES_AUDIO_DIRECTION_OUTPUT);
  g_assert_true (classify (&direction, "media.class", "Audio/Source",
                           "node.name", "alsa_input.usb-headset.mono-fallback", NULL));
  g_assert_cmpint (direction, ==, ES_AUDIO_DIRECTION_INPUT);
  /* A filter's source, such as a noise-cancelling microphone. */
  g_assert_true (classify (&direction, "media.class", "Audio/Source/Virtual",
                           "node.name", "rnnoise_source", NULL));
  g_assert_cmpint (direction, ==, ES_AUDIO_DIRECTION_INPUT);

  /* Not devices: streams, video, nameless nodes. */
  g_assert_false (classify (&direction, "media.class", "Stream/Output/Audio",
                            "node.name", "Firefox", NULL));
  g_assert_false (classify (&direction, "media.class", "Video/Source",
                            "node.name", "v4l2_input.webcam", NULL));
  g_assert_false (classify (&direction, "media.class", "Audio/Sink", NULL));
  g_assert_false (classify (&direction, "node.name", "no-class", NULL));

  /* A sink's monitor is not a microphone, however it is presented
   * (mumble#4723). */
  g_assert_false (classify (&direction, "media.class", "Audio/Source",
                            "node.name", "alsa_output.analog-stereo.monitor", NULL));
  g_assert_false (classify (&direction, "media.class", "Audio/Source",
                            "node.name", "loopback-capture", "stream.capture.sink", "true", NULL));
  g_assert_false (classify (&direction, "media.class", "Audio/Source",
                            "node.name", "bridge", "device.class", "monitor", NULL));
}

static void
test_description (void)
{
  struct spa_dict_item full[] = {
    SPA_DICT_ITEM_INIT ("node.name", "alsa_output.usb"),
    SPA_DICT_ITEM_INIT ("node.nick", "Headset"),
    SPA_DICT_ITEM_INIT ("node.description", "USB Headset Analog Stereo"),
  };
  struct spa_dict_item bare[] = {
    SPA_DICT_ITEM_INIT ("node.name", "alsa_output.usb"),
    SPA_DICT_ITEM_INIT ("node.description", ""),
  };
  struct spa_dict full_dict = SPA_DICT_INIT_ARRAY (full);
  struct spa_dict bare_dict = SPA_DICT_INIT_ARRAY (bare);

  g_assert_cmpstr (es_pipewire_device_description (&full_dict), ==, "USB Headset Analog Stereo");
  g_assert_cmpstr (es_pipewire_device_description (&bare_dict), ==, "alsa_output.usb");
}

static void
test_default_name (void)
{
  g_autofree char *name = es_pipewire_parse_default_name ("{\"name\":\"alsa_output.usb\"}");
  g_autofree char *spaced = es_pipewire_parse_default_name ("{ \"name\": \"x y\" }");

  g_assert_cmpstr (name, ==, "alsa_output.usb");
  g_assert_cmpstr (spaced, ==, "x y");
  /* What is not that shape names nothing. */
  g_assert_null (es_pipewire_parse_default_name (NULL));
  g_assert_null (es_pipewire_parse_default_name (""));
  g_assert_null (es_pipewire_parse_default_name ("alsa_output.usb"));
  g_assert_null (es_pipewire_parse_default_name ("{\"name\":3}"));
  g_assert_null (es_pipewire_parse_default_name ("[\"name\"]"));
  g_assert_null (es_pipewire_parse_default_name ("{\"nom\":\"x\"}"));
}

static void
on_notify (GObject    *object,
           GParamSpec *pspec,
           guint      *count)
{
  (*count)++;
}

static void
test_device_object (void)
{
  g_autoptr(EsAudioDevice) device = es_audio_device_new ("alsa_input.usb", NULL,
                                                         ES_AUDIO_DIRECTION_INPUT);
  guint defaults = 0, descriptions = 0;

  g_assert_cmpstr (es_audio_device_get_name (device), ==, "alsa_input.usb");
  /* Without a description, people see the name. */
  g_assert_cmpstr (es_audio_device_get_description (device), ==, "alsa_input.usb");
  g_assert_cmpint (es_audio_device_get_direction (device), ==, ES_AUDIO_DIRECTION_INPUT);
  g_assert_false (es_audio_device_get_is_default (device));

  g_signal_connect (device, "notify::is-default", G_CALLBACK (on_notify), &defaults);
  g_signal_connect (device, "notify::description", G_CALLBACK (on_notify), &descriptions);
  es_audio_device_set_is_default (device, TRUE);
  es_audio_device_set_is_default (device, TRUE);
  es_audio_device_set_description (device, "USB Headset");
  es_audio_device_set_description (device, "USB Headset");
  g_assert_true (es_audio_device_get_is_default (device));
  g_assert_cmpstr (es_audio_device_get_description (device), ==, "USB Headset");
  /* Notified on change only. */
  g_assert_cmpuint (defaults, ==, 1);
  g_assert_cmpuint (descriptions, ==, 1);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/audio-device/which-nodes-are-devices", test_which_nodes_are_devices);
  g_test_add_func ("/audio-device/description", test_description);
  g_test_add_func ("/audio-device/default-name", test_default_name);
  g_test_add_func ("/audio-device/device-object", test_device_object);

  return g_test_run ();
}
