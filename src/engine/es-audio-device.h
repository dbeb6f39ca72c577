/* es-audio-device.h: a microphone or speaker the sound server offers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

typedef enum {
  ES_AUDIO_DIRECTION_INPUT,     /* a microphone: audio sources */
  ES_AUDIO_DIRECTION_OUTPUT,    /* a speaker or headphones: audio sinks */
} EsAudioDirection;

#define ES_TYPE_AUDIO_DEVICE (es_audio_device_get_type ())

G_DECLARE_FINAL_TYPE (EsAudioDevice, es_audio_device, ES, AUDIO_DEVICE, GObject)

EsAudioDevice   *es_audio_device_new             (const char       *name,
                                                  const char       *description,
                                                  EsAudioDirection  direction);

/* PipeWire's node.name: what EsAudioPipewire and EsTonePlayer take. */
const char      *es_audio_device_get_name        (EsAudioDevice    *self);
/* The name to show people. */
const char      *es_audio_device_get_description (EsAudioDevice    *self);
EsAudioDirection es_audio_device_get_direction   (EsAudioDevice    *self);
/* Whether it is the system's default for its direction; "notify::is-default". */
gboolean         es_audio_device_get_is_default  (EsAudioDevice    *self);
void             es_audio_device_set_is_default  (EsAudioDevice    *self,
                                                  gboolean          is_default);
void             es_audio_device_set_description (EsAudioDevice    *self,
                                                  const char       *description);

G_END_DECLS
