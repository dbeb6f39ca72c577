/* es-audio-pipewire.h: a call's audio from the microphone and to the speaker,
 * through PipeWire
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "es-audio-backend.h"
#include "es-audio-device.h"
#include "es-echo-canceller.h"

G_BEGIN_DECLS

#define ES_TYPE_AUDIO_PIPEWIRE (es_audio_pipewire_get_type ())

G_DECLARE_FINAL_TYPE (EsAudioPipewire, es_audio_pipewire, ES, AUDIO_PIPEWIRE, GObject)

/* Connects to the PipeWire server and checks the devices, named by their
 * node.name (EsAudioDevice's "name"). NULL means the default device, and
 * then the stream follows the default when the user changes it; a named
 * device is kept, and its disappearance is an error. The microphone goes
 * through echo cancellation, noise suppression and gain control (all of
 * ES_ECHO_CANCELLER_ALL; g_initable_new() with "processing" for fewer). */
EsAudioPipewire     *es_audio_pipewire_new                (const char       *input_name,
                                                           const char       *output_name,
                                                           GError          **error);

/* Another device for one direction, at once if running (the call goes on);
 * NULL for the default. An unknown name is an error that changes nothing.
 * "notify::input-name", "notify::output-name". */
gboolean             es_audio_pipewire_set_device         (EsAudioPipewire  *self,
                                                           EsAudioDirection  direction,
                                                           const char       *name,
                                                           GError          **error);
const char          *es_audio_pipewire_get_input_name     (EsAudioPipewire  *self);
const char          *es_audio_pipewire_get_output_name    (EsAudioPipewire  *self);
EsEchoCancellerFlags es_audio_pipewire_get_processing     (EsAudioPipewire  *self);

/* Times the device's clock ran on while the call's audio missed it, since
 * start: captured audio lost (overruns) and gaps played (underruns). Safe
 * to read at any time; "capture-overruns" and "playback-underruns" hold the
 * same figures, and are not notified (they change on the audio thread). */
guint                es_audio_pipewire_get_capture_overruns   (EsAudioPipewire *self);
guint                es_audio_pipewire_get_playback_underruns (EsAudioPipewire *self);

/* Root mean square level of the last 20 ms, from 0 to 1: captured (after
 * the echo canceller, what the peer hears) and played. Safe at any time;
 * for a level meter, which reads it at its own frame rate. */
double               es_audio_pipewire_get_input_level      (EsAudioPipewire *self);
double               es_audio_pipewire_get_output_level     (EsAudioPipewire *self);

/* PipeWire's ids of the call's two stream nodes while running, else 0: how
 * tools (pw-link, pw-dump, wpctl) find them. */
guint32              es_audio_pipewire_get_capture_node_id  (EsAudioPipewire *self);
guint32              es_audio_pipewire_get_playback_node_id (EsAudioPipewire *self);

G_END_DECLS
