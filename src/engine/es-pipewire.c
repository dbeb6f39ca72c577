/* es-pipewire.c
 *
 * Small pieces of PipeWire knowledge the audio classes share: which nodes
 * are devices a person would pick, how WirePlumber writes the defaults, and
 * the properties and format of Earshot's streams.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsPipewire"

#include "es-pipewire-private.h"

#include <errno.h>
#include <json-glib/json-glib.h>
#include <spa/param/audio/format-utils.h>

#include "es-audio-backend.h"
#include "es-error.h"

/* 20 ms at the call's rate: PipeWire's quantum when nothing asks for less
 * (with power-of-two quanta it rounds down, to 512 frames at 48 kHz). */
#define NODE_LATENCY "960/48000"
G_STATIC_ASSERT (ES_AUDIO_FRAME_SAMPLES == 960 && ES_AUDIO_RATE == 48000);

void
es_pipewire_init (void)
{
  static gsize initialized = 0;

  if (g_once_init_enter (&initialized))
    {
      pw_init (NULL, NULL);
      g_once_init_leave (&initialized, 1);
    }
}

void
es_pipewire_set_error (GError     **error,
                       int          res,
                       const char  *what)
{
  g_set_error (error, ES_ERROR, ES_ERROR_FAILED, "%s: %s", what,
               g_strerror (res < 0 ? -res : res));
}

void
es_pipewire_disconnect (struct pw_core  **core,
                        struct spa_hook  *core_listener)
{
  if (*core == NULL)
    return;
  spa_hook_remove (core_listener);
  pw_core_disconnect (*core);
  *core = NULL;
}

void
es_pipewire_destroy_registry (struct pw_registry **registry,
                              struct spa_hook     *registry_listener)
{
  if (*registry == NULL)
    return;
  spa_hook_remove (registry_listener);
  pw_proxy_destroy ((struct pw_proxy *) *registry);
  *registry = NULL;
}

struct pw_core *
es_pipewire_connect (struct pw_context  *context,
                     GError            **error)
{
  struct pw_core *core = pw_context_connect (context, NULL, 0);

  if (core == NULL)
    {
      int saved = errno;

      g_set_error (error, ES_ERROR, ES_ERROR_FAILED,
                   "cannot connect to the PipeWire sound server: %s (is PipeWire running "
                   "for this user, with XDG_RUNTIME_DIR set?)", g_strerror (saved));
    }
  return core;
}

static gboolean
is_true (const char *value)
{
  return value != NULL && (g_str_equal (value, "true") || g_str_equal (value, "1"));
}

/* A sink's monitor is what the sink plays, not a microphone. PipeWire's own
 * sinks do not show theirs as nodes, but bridges and loopbacks can. */
static gboolean
is_monitor (const struct spa_dict *props)
{
  const char *name = spa_dict_lookup (props, PW_KEY_NODE_NAME);

  return is_true (spa_dict_lookup (props, PW_KEY_STREAM_CAPTURE_SINK)) ||
         g_strcmp0 (spa_dict_lookup (props, PW_KEY_DEVICE_CLASS), "monitor") == 0 ||
         (name != NULL && g_str_has_suffix (name, ".monitor"));
}

gboolean
es_pipewire_device_direction (const struct spa_dict *props,
                              EsAudioDirection      *direction)
{
  const char *media_class = spa_dict_lookup (props, PW_KEY_MEDIA_CLASS);

  if (media_class == NULL || spa_dict_lookup (props, PW_KEY_NODE_NAME) == NULL)
    return FALSE;
  if (g_str_equal (media_class, "Audio/Sink"))
    {
      *direction = ES_AUDIO_DIRECTION_OUTPUT;
      return TRUE;
    }
  /* Audio/Source/Virtual: filters such as a noise-cancelling source. */
  if ((g_str_equal (media_class, "Audio/Source") ||
       g_str_equal (media_class, "Audio/Source/Virtual")) && !is_monitor (props))
    {
      *direction = ES_AUDIO_DIRECTION_INPUT;
      return TRUE;
    }
  return FALSE;
}

const char *
es_pipewire_device_description (const struct spa_dict *props)
{
  const char *keys[] = { PW_KEY_NODE_DESCRIPTION, PW_KEY_NODE_NICK, PW_KEY_NODE_NAME };

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      const char *value = spa_dict_lookup (props, keys[i]);

      if (value != NULL && value[0] != '\0')
        return value;
    }
  return NULL;
}

char *
es_pipewire_parse_default_name (const char *json)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;
  JsonObject *object;
  JsonNode *name;

  if (json == NULL || !json_parser_load_from_data (parser, json, -1, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  object = json_node_get_object (root);
  name = json_object_get_member (object, "name");
  if (name == NULL || !JSON_NODE_HOLDS_VALUE (name) ||
      json_node_get_value_type (name) != G_TYPE_STRING)
    return NULL;
  return g_strdup (json_node_get_string (name));
}

struct pw_properties *
es_pipewire_stream_properties (const char *category,
                               const char *role,
                               const char *node_name,
                               const char *description,
                               const char *target)
{
  struct pw_properties *props =
    pw_properties_new (PW_KEY_MEDIA_TYPE, "Audio",
                       PW_KEY_MEDIA_CATEGORY, category,
                       PW_KEY_MEDIA_ROLE, role,
                       PW_KEY_MEDIA_NAME, description,
                       PW_KEY_NODE_NAME, node_name,
                       PW_KEY_NODE_DESCRIPTION, description,
                       PW_KEY_NODE_LATENCY, NODE_LATENCY,
                       PW_KEY_APP_NAME, "Earshot",
                       PW_KEY_APP_ID, "io.github.earshot.Earshot",
                       PW_KEY_APP_ICON_NAME, "io.github.earshot.Earshot",
                       NULL);

  if (target != NULL)
    {
      pw_properties_set (props, PW_KEY_TARGET_OBJECT, target);
      /* A device the person chose: if it goes, tell them rather than
       * quietly moving the call elsewhere. */
      pw_properties_set (props, PW_KEY_NODE_DONT_RECONNECT, "true");
    }
  return props;
}

const struct spa_pod *
es_pipewire_build_format (struct spa_pod_builder *builder)
{
  struct spa_audio_info_raw info = {
    .format = SPA_AUDIO_FORMAT_S16,
    .rate = ES_AUDIO_RATE,
    .channels = 1,
    .position = { SPA_AUDIO_CHANNEL_MONO },
  };

  return spa_format_audio_raw_build (builder, SPA_PARAM_EnumFormat, &info);
}
