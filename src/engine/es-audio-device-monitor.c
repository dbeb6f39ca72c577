/* es-audio-device-monitor.c
 *
 * The list of microphones and speakers for the preferences and the in-call
 * device picker, from PipeWire's registry (nodes come and go: hot-plug) and
 * the "default" metadata that WirePlumber keeps (default.audio.source,
 * default.audio.sink: what the system's sound settings chose).
 *
 * No thread: PipeWire's loop runs inside the GLib main context (its fd is
 * watched there and the loop iterated when it is readable), so every event
 * arrives where the UI reads the list.
 *
 * A sink's monitor is never listed as a microphone (mumble#4723), and when
 * the default source is a sink's monitor, which WirePlumber picks when there
 * is no real microphone, no input is the default.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsAudioDeviceMonitor"

#include "es-audio-device-monitor.h"

#include <errno.h>
#include <glib-unix.h>

#include "es-error.h"
#include "es-pipewire-private.h"

/* After pipewire.h (in es-pipewire-private.h), which it needs. */
#include <pipewire/extensions/metadata.h>

#define DEFAULT_SOURCE_KEY "default.audio.source"
#define DEFAULT_SINK_KEY "default.audio.sink"

struct _EsAudioDeviceMonitor
{
  GObject parent_instance;

  struct pw_loop *loop;
  GSource *loop_source;
  struct pw_context *context;
  struct pw_core *core;
  struct spa_hook core_listener;
  struct pw_registry *registry;
  struct spa_hook registry_listener;
  struct pw_metadata *metadata;
  struct spa_hook metadata_listener;
  guint32 metadata_id;
  int sync_seq;
  gboolean synced;
  gboolean server_lost;

  GPtrArray *devices;         /* EsAudioDevice, in the order they appeared */
  GArray *ids;                /* registry id of each, same order */
  char *default_names[2];     /* by EsAudioDirection */
};

static void es_audio_device_monitor_list_model_init (GListModelInterface *iface);
static void es_audio_device_monitor_initable_init (GInitableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (EsAudioDeviceMonitor, es_audio_device_monitor, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL,
                                                      es_audio_device_monitor_list_model_init)
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE,
                                                      es_audio_device_monitor_initable_init))

enum {
  CHANGED,
  ERROR,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* ---- GListModel ---------------------------------------------------------- */

static GType
es_audio_device_monitor_get_item_type (GListModel *model)
{
  return ES_TYPE_AUDIO_DEVICE;
}

static guint
es_audio_device_monitor_get_n_items (GListModel *model)
{
  return ES_AUDIO_DEVICE_MONITOR (model)->devices->len;
}

static gpointer
es_audio_device_monitor_get_item (GListModel *model,
                                  guint       position)
{
  EsAudioDeviceMonitor *self = ES_AUDIO_DEVICE_MONITOR (model);

  if (position >= self->devices->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->devices, position));
}

static void
es_audio_device_monitor_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = es_audio_device_monitor_get_item_type;
  iface->get_n_items = es_audio_device_monitor_get_n_items;
  iface->get_item = es_audio_device_monitor_get_item;
}

/* ---- The list ------------------------------------------------------------ */

static void
update_defaults (EsAudioDeviceMonitor *self)
{
  for (guint i = 0; i < self->devices->len; i++)
    {
      EsAudioDevice *device = g_ptr_array_index (self->devices, i);
      const char *default_name = self->default_names[es_audio_device_get_direction (device)];

      es_audio_device_set_is_default (device, g_strcmp0 (es_audio_device_get_name (device),
                                                         default_name) == 0);
    }
}

static gboolean
find_position (EsAudioDeviceMonitor *self,
               guint32               id,
               guint                *position)
{
  for (guint i = 0; i < self->ids->len; i++)
    if (g_array_index (self->ids, guint32, i) == id)
      {
        *position = i;
        return TRUE;
      }
  return FALSE;
}

static void
add_device (EsAudioDeviceMonitor  *self,
            guint32                id,
            const struct spa_dict *props)
{
  EsAudioDirection direction;
  EsAudioDevice *device;
  guint position;

  if (!es_pipewire_device_direction (props, &direction) || find_position (self, id, &position))
    return;
  device = es_audio_device_new (spa_dict_lookup (props, PW_KEY_NODE_NAME),
                                es_pipewire_device_description (props), direction);
  es_audio_device_set_is_default (device, g_strcmp0 (es_audio_device_get_name (device),
                                                     self->default_names[direction]) == 0);
  g_ptr_array_add (self->devices, device);
  g_array_append_val (self->ids, id);
  g_list_model_items_changed (G_LIST_MODEL (self), self->devices->len - 1, 0, 1);
  g_signal_emit (self, signals[CHANGED], 0);
}

static void
remove_device (EsAudioDeviceMonitor *self,
               guint32               id)
{
  guint position;

  if (!find_position (self, id, &position))
    return;
  g_ptr_array_remove_index (self->devices, position);
  g_array_remove_index (self->ids, position);
  g_list_model_items_changed (G_LIST_MODEL (self), position, 1, 0);
  g_signal_emit (self, signals[CHANGED], 0);
}

static void
clear_devices (EsAudioDeviceMonitor *self)
{
  guint n = self->devices->len;

  if (n == 0)
    return;
  g_ptr_array_set_size (self->devices, 0);
  g_array_set_size (self->ids, 0);
  g_list_model_items_changed (G_LIST_MODEL (self), 0, n, 0);
}

/* ---- PipeWire events, on the main context --------------------------------- */

static int
on_metadata_property (void       *data,
                      uint32_t    subject,
                      const char *key,
                      const char *type,
                      const char *value)
{
  EsAudioDeviceMonitor *self = data;
  EsAudioDirection direction;

  if (subject != PW_ID_CORE)
    return 0;
  if (key == NULL)
    {
      /* Everything was cleared. */
      g_clear_pointer (&self->default_names[ES_AUDIO_DIRECTION_INPUT], g_free);
      g_clear_pointer (&self->default_names[ES_AUDIO_DIRECTION_OUTPUT], g_free);
    }
  else if (g_str_equal (key, DEFAULT_SOURCE_KEY) || g_str_equal (key, DEFAULT_SINK_KEY))
    {
      direction = g_str_equal (key, DEFAULT_SOURCE_KEY) ? ES_AUDIO_DIRECTION_INPUT
                                                        : ES_AUDIO_DIRECTION_OUTPUT;
      g_free (self->default_names[direction]);
      self->default_names[direction] = es_pipewire_parse_default_name (value);
    }
  else
    return 0;
  update_defaults (self);
  g_signal_emit (self, signals[CHANGED], 0);
  return 0;
}

static const struct pw_metadata_events metadata_events = {
  PW_VERSION_METADATA_EVENTS,
  .property = on_metadata_property,
};

static void
unbind_metadata (EsAudioDeviceMonitor *self)
{
  if (self->metadata == NULL)
    return;
  spa_hook_remove (&self->metadata_listener);
  pw_proxy_destroy ((struct pw_proxy *) self->metadata);
  self->metadata = NULL;
}

static void
bind_metadata (EsAudioDeviceMonitor *self,
               guint32               id)
{
  unbind_metadata (self);
  self->metadata = pw_registry_bind (self->registry, id, PW_TYPE_INTERFACE_Metadata,
                                     PW_VERSION_METADATA, 0);
  if (self->metadata == NULL)
    return;
  self->metadata_id = id;
  pw_metadata_add_listener (self->metadata, &self->metadata_listener, &metadata_events, self);
}

static void
on_registry_global (void                  *data,
                    uint32_t               id,
                    uint32_t               permissions,
                    const char            *type,
                    uint32_t               version,
                    const struct spa_dict *props)
{
  EsAudioDeviceMonitor *self = data;

  if (props == NULL)
    return;
  if (g_str_equal (type, PW_TYPE_INTERFACE_Node))
    add_device (self, id, props);
  else if (g_str_equal (type, PW_TYPE_INTERFACE_Metadata) &&
           g_strcmp0 (spa_dict_lookup (props, PW_KEY_METADATA_NAME), "default") == 0)
    bind_metadata (self, id);
}

static void
on_registry_global_remove (void     *data,
                           uint32_t  id)
{
  EsAudioDeviceMonitor *self = data;

  if (self->metadata != NULL && id == self->metadata_id)
    unbind_metadata (self);
  remove_device (self, id);
}

static const struct pw_registry_events registry_events = {
  PW_VERSION_REGISTRY_EVENTS,
  .global = on_registry_global,
  .global_remove = on_registry_global_remove,
};

static void
on_core_done (void     *data,
              uint32_t  id,
              int       seq)
{
  EsAudioDeviceMonitor *self = data;

  if (id == PW_ID_CORE && seq == self->sync_seq)
    self->synced = TRUE;
}

static void
on_core_error (void       *data,
               uint32_t    id,
               int         seq,
               int         res,
               const char *message)
{
  EsAudioDeviceMonitor *self = data;
  g_autoptr(GError) error = NULL;

  if (id != PW_ID_CORE || res != -EPIPE || self->server_lost)
    return;
  self->server_lost = TRUE;
  clear_devices (self);
  error = g_error_new_literal (ES_ERROR, ES_ERROR_FAILED, "the PipeWire sound server went away");
  g_signal_emit (self, signals[ERROR], 0, error);
  g_signal_emit (self, signals[CHANGED], 0);
}

static const struct pw_core_events core_events = {
  PW_VERSION_CORE_EVENTS,
  .done = on_core_done,
  .error = on_core_error,
};

static void
iterate (EsAudioDeviceMonitor *self,
         int                   timeout_ms)
{
  pw_loop_enter (self->loop);
  pw_loop_iterate (self->loop, timeout_ms);
  pw_loop_leave (self->loop);
}

static gboolean
on_pipewire_ready (int          fd,
                   GIOCondition condition,
                   gpointer     data)
{
  /* A handler may drop the last reference to the monitor. */
  g_autoptr(EsAudioDeviceMonitor) self = g_object_ref (data);

  iterate (self, 0);
  return G_SOURCE_CONTINUE;
}

/* ---- Construction -------------------------------------------------------- */

/* Waits until the server has sent every event from before the request
 * (and the ones they caused, such as the metadata's properties). */
static gboolean
roundtrip (EsAudioDeviceMonitor  *self,
           GError               **error)
{
  gint64 deadline = g_get_monotonic_time () + ES_PIPEWIRE_TIMEOUT_S * G_USEC_PER_SEC;

  self->synced = FALSE;
  self->sync_seq = pw_core_sync (self->core, PW_ID_CORE, self->sync_seq);
  while (!self->synced && !self->server_lost)
    {
      gint64 remaining_ms = (deadline - g_get_monotonic_time ()) / 1000;

      if (remaining_ms <= 0)
        {
          g_set_error (error, ES_ERROR, ES_ERROR_FAILED,
                       "the PipeWire sound server did not answer within %d s",
                       ES_PIPEWIRE_TIMEOUT_S);
          return FALSE;
        }
      iterate (self, (int) remaining_ms);
    }
  if (self->server_lost)
    {
      g_set_error_literal (error, ES_ERROR, ES_ERROR_FAILED,
                           "the PipeWire sound server closed the connection");
      return FALSE;
    }
  return TRUE;
}

static gboolean
es_audio_device_monitor_initable_init_impl (GInitable     *initable,
                                            GCancellable  *cancellable,
                                            GError       **error)
{
  EsAudioDeviceMonitor *self = ES_AUDIO_DEVICE_MONITOR (initable);

  es_pipewire_init ();
  self->loop = pw_loop_new (NULL);
  if (self->loop == NULL)
    {
      es_pipewire_set_error (error, -errno, "cannot set up PipeWire");
      return FALSE;
    }
  self->context = pw_context_new (self->loop, NULL, 0);
  if (self->context == NULL)
    {
      es_pipewire_set_error (error, -errno, "cannot set up PipeWire");
      return FALSE;
    }
  self->core = es_pipewire_connect (self->context, error);
  if (self->core == NULL)
    return FALSE;
  pw_core_add_listener (self->core, &self->core_listener, &core_events, self);
  self->registry = pw_core_get_registry (self->core, PW_VERSION_REGISTRY, 0);
  pw_registry_add_listener (self->registry, &self->registry_listener, &registry_events, self);

  /* The devices and the metadata object, then the metadata's values. */
  if (!roundtrip (self, error) || !roundtrip (self, error))
    return FALSE;

  self->loop_source = g_unix_fd_source_new (pw_loop_get_fd (self->loop), G_IO_IN);
  g_source_set_callback (self->loop_source, G_SOURCE_FUNC (on_pipewire_ready), self, NULL);
  g_source_set_name (self->loop_source, "[earshot] PipeWire device monitor");
  g_source_attach (self->loop_source, g_main_context_get_thread_default ());
  return TRUE;
}

static void
es_audio_device_monitor_initable_init (GInitableIface *iface)
{
  iface->init = es_audio_device_monitor_initable_init_impl;
}

EsAudioDeviceMonitor *
es_audio_device_monitor_new (GError **error)
{
  return g_initable_new (ES_TYPE_AUDIO_DEVICE_MONITOR, NULL, error, NULL);
}

/* ---- Lookups ------------------------------------------------------------- */

EsAudioDevice *
es_audio_device_monitor_lookup (EsAudioDeviceMonitor *self,
                                const char           *name,
                                EsAudioDirection      direction)
{
  g_return_val_if_fail (ES_IS_AUDIO_DEVICE_MONITOR (self), NULL);

  for (guint i = 0; i < self->devices->len; i++)
    {
      EsAudioDevice *device = g_ptr_array_index (self->devices, i);

      if (es_audio_device_get_direction (device) == direction &&
          g_strcmp0 (es_audio_device_get_name (device), name) == 0)
        return device;
    }
  return NULL;
}

EsAudioDevice *
es_audio_device_monitor_get_default (EsAudioDeviceMonitor *self,
                                     EsAudioDirection      direction)
{
  g_return_val_if_fail (ES_IS_AUDIO_DEVICE_MONITOR (self), NULL);

  if (self->default_names[direction] == NULL)
    return NULL;
  return es_audio_device_monitor_lookup (self, self->default_names[direction], direction);
}

/* ---- GObject ------------------------------------------------------------- */

static void
es_audio_device_monitor_dispose (GObject *object)
{
  EsAudioDeviceMonitor *self = ES_AUDIO_DEVICE_MONITOR (object);

  if (self->loop_source != NULL)
    g_source_destroy (self->loop_source);
  g_clear_pointer (&self->loop_source, g_source_unref);
  unbind_metadata (self);
  es_pipewire_destroy_registry (&self->registry, &self->registry_listener);
  es_pipewire_disconnect (&self->core, &self->core_listener);
  g_clear_pointer (&self->context, pw_context_destroy);
  g_clear_pointer (&self->loop, pw_loop_destroy);

  G_OBJECT_CLASS (es_audio_device_monitor_parent_class)->dispose (object);
}

static void
es_audio_device_monitor_finalize (GObject *object)
{
  EsAudioDeviceMonitor *self = ES_AUDIO_DEVICE_MONITOR (object);

  g_ptr_array_unref (self->devices);
  g_array_unref (self->ids);
  g_free (self->default_names[ES_AUDIO_DIRECTION_INPUT]);
  g_free (self->default_names[ES_AUDIO_DIRECTION_OUTPUT]);

  G_OBJECT_CLASS (es_audio_device_monitor_parent_class)->finalize (object);
}

static void
es_audio_device_monitor_class_init (EsAudioDeviceMonitorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = es_audio_device_monitor_dispose;
  object_class->finalize = es_audio_device_monitor_finalize;

  signals[CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[ERROR] =
    g_signal_new ("error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
es_audio_device_monitor_init (EsAudioDeviceMonitor *self)
{
  self->devices = g_ptr_array_new_with_free_func (g_object_unref);
  self->ids = g_array_new (FALSE, FALSE, sizeof (guint32));
  self->metadata_id = SPA_ID_INVALID;
}
