/* es-pipewire-private.h: what EsAudioPipewire, EsAudioDeviceMonitor and
 * EsTonePlayer share about PipeWire
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <pipewire/pipewire.h>
#include <spa/pod/builder.h>

#include "es-audio-device.h"

G_BEGIN_DECLS

/* How long a round trip to the local server may take before it counts as
 * not answering. */
#define ES_PIPEWIRE_TIMEOUT_S 5

/* Once per process, before any other PipeWire call; thread-safe. */
void                   es_pipewire_init                (void);

/* A connection to the server in @loop's context, or NULL and @error. */
struct pw_core        *es_pipewire_connect             (struct pw_context     *context,
                                                        GError               **error);

/* Removes @core_listener and disconnects *@core, if any; clears it. Called
 * with the loop locked when a thread loop runs it. */
void                   es_pipewire_disconnect          (struct pw_core       **core,
                                                        struct spa_hook       *core_listener);
/* Removes @registry_listener and destroys *@registry, if any; clears it. */
void                   es_pipewire_destroy_registry    (struct pw_registry   **registry,
                                                        struct spa_hook       *registry_listener);

/* Whether a registry global is a device node a call can use, and which way.
 * Monitors of sinks are never microphones (mumble#4723). */
gboolean               es_pipewire_device_direction    (const struct spa_dict *props,
                                                        EsAudioDirection      *direction);
/* The most human name of a node: description, nick, else its name. */
const char            *es_pipewire_device_description  (const struct spa_dict *props);

/* The node name in a default.audio.sink/source metadata value, which is
 * JSON: {"name":"NODE"}. NULL when it is not that. */
char                  *es_pipewire_parse_default_name  (const char            *json);

/* Properties for one of Earshot's streams: media type and category, role,
 * the 20 ms latency, and the device to keep to (NULL: the default, which
 * the stream then follows). */
struct pw_properties  *es_pipewire_stream_properties   (const char            *category,
                                                        const char            *role,
                                                        const char            *node_name,
                                                        const char            *description,
                                                        const char            *target);

/* The call's format, 48 kHz mono S16, as an EnumFormat parameter. */
const struct spa_pod  *es_pipewire_build_format        (struct spa_pod_builder *builder);

/* A GError for a failed PipeWire call (@res a negative errno). */
void                   es_pipewire_set_error           (GError               **error,
                                                        int                    res,
                                                        const char            *what);

G_END_DECLS
