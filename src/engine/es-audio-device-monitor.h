/* es-audio-device-monitor.h: the microphones and speakers there are, as they
 * come and go
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "es-audio-device.h"

G_BEGIN_DECLS

#define ES_TYPE_AUDIO_DEVICE_MONITOR (es_audio_device_monitor_get_type ())

G_DECLARE_FINAL_TYPE (EsAudioDeviceMonitor, es_audio_device_monitor, ES, AUDIO_DEVICE_MONITOR,
                      GObject)

/* A GListModel of EsAudioDevice, inputs and outputs in the order PipeWire
 * made them, kept current on the caller's thread-default main context
 * (hot-plug: "items-changed"; a new default: the devices' "is-default").
 * Connects to PipeWire and returns with the list as it is now; "changed"
 * follows any change to the list or the defaults; "error" (a GError) says
 * the sound server went away, and the list is then empty. */
EsAudioDeviceMonitor *es_audio_device_monitor_new         (GError               **error);

/* The device that is the default for @direction, or NULL. */
EsAudioDevice        *es_audio_device_monitor_get_default (EsAudioDeviceMonitor  *self,
                                                           EsAudioDirection       direction);
/* The device named @name (node.name) for @direction, or NULL. */
EsAudioDevice        *es_audio_device_monitor_lookup      (EsAudioDeviceMonitor  *self,
                                                           const char            *name,
                                                           EsAudioDirection       direction);

G_END_DECLS
