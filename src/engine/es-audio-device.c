/* es-audio-device.c
 *
 * One entry of EsAudioDeviceMonitor's list: a PipeWire audio node that can
 * serve as a call's microphone or speaker. The monitor owns the state; the
 * UI binds to the properties.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsAudioDevice"

#include "es-audio-device.h"

#include "es-enums.h"

struct _EsAudioDevice
{
  GObject parent_instance;

  char *name;
  char *description;
  EsAudioDirection direction;
  gboolean is_default;
};

G_DEFINE_FINAL_TYPE (EsAudioDevice, es_audio_device, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_NAME,
  PROP_DESCRIPTION,
  PROP_DIRECTION,
  PROP_IS_DEFAULT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
es_audio_device_finalize (GObject *object)
{
  EsAudioDevice *self = ES_AUDIO_DEVICE (object);

  g_free (self->name);
  g_free (self->description);

  G_OBJECT_CLASS (es_audio_device_parent_class)->finalize (object);
}

static void
es_audio_device_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  EsAudioDevice *self = ES_AUDIO_DEVICE (object);

  switch (prop_id)
    {
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case PROP_DESCRIPTION:
      g_value_set_string (value, self->description);
      break;
    case PROP_DIRECTION:
      g_value_set_enum (value, self->direction);
      break;
    case PROP_IS_DEFAULT:
      g_value_set_boolean (value, self->is_default);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
es_audio_device_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  EsAudioDevice *self = ES_AUDIO_DEVICE (object);

  switch (prop_id)
    {
    case PROP_NAME:
      self->name = g_value_dup_string (value);
      break;
    case PROP_DESCRIPTION:
      es_audio_device_set_description (self, g_value_get_string (value));
      break;
    case PROP_DIRECTION:
      self->direction = g_value_get_enum (value);
      break;
    case PROP_IS_DEFAULT:
      es_audio_device_set_is_default (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
es_audio_device_class_init (EsAudioDeviceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = es_audio_device_finalize;
  object_class->get_property = es_audio_device_get_property;
  object_class->set_property = es_audio_device_set_property;

  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_DESCRIPTION] =
    g_param_spec_string ("description", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_DIRECTION] =
    g_param_spec_enum ("direction", NULL, NULL, ES_TYPE_AUDIO_DIRECTION,
                       ES_AUDIO_DIRECTION_INPUT,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_IS_DEFAULT] =
    g_param_spec_boolean ("is-default", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
es_audio_device_init (EsAudioDevice *self)
{
}

EsAudioDevice *
es_audio_device_new (const char       *name,
                     const char       *description,
                     EsAudioDirection  direction)
{
  g_return_val_if_fail (name != NULL, NULL);

  return g_object_new (ES_TYPE_AUDIO_DEVICE,
                       "name", name,
                       "description", description,
                       "direction", direction,
                       NULL);
}

const char *
es_audio_device_get_name (EsAudioDevice *self)
{
  g_return_val_if_fail (ES_IS_AUDIO_DEVICE (self), NULL);
  return self->name;
}

const char *
es_audio_device_get_description (EsAudioDevice *self)
{
  g_return_val_if_fail (ES_IS_AUDIO_DEVICE (self), NULL);
  return self->description;
}

EsAudioDirection
es_audio_device_get_direction (EsAudioDevice *self)
{
  g_return_val_if_fail (ES_IS_AUDIO_DEVICE (self), ES_AUDIO_DIRECTION_INPUT);
  return self->direction;
}

gboolean
es_audio_device_get_is_default (EsAudioDevice *self)
{
  g_return_val_if_fail (ES_IS_AUDIO_DEVICE (self), FALSE);
  return self->is_default;
}

void
es_audio_device_set_is_default (EsAudioDevice *self,
                                gboolean       is_default)
{
  g_return_if_fail (ES_IS_AUDIO_DEVICE (self));

  is_default = !!is_default;
  if (self->is_default == is_default)
    return;
  self->is_default = is_default;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_IS_DEFAULT]);
}

void
es_audio_device_set_description (EsAudioDevice *self,
                                 const char    *description)
{
  g_return_if_fail (ES_IS_AUDIO_DEVICE (self));

  /* Without a description, people see the node's name. */
  if (description == NULL || description[0] == '\0')
    description = self->name;
  if (g_strcmp0 (self->description, description) == 0)
    return;
  g_free (self->description);
  self->description = g_strdup (description);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DESCRIPTION]);
}
