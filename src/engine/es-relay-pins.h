/* es-relay-pins.h: relay keys learnt by trust on first use (relays.json)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define ES_TYPE_RELAY_PINS (es_relay_pins_get_type ())

G_DECLARE_FINAL_TYPE (EsRelayPins, es_relay_pins, ES, RELAY_PINS, GObject)

EsRelayPins *es_relay_pins_new          (const char  *path);
EsRelayPins *es_relay_pins_new_default  (void);
const char  *es_relay_pins_get_path     (EsRelayPins *self);
/* A missing file is an empty store; a damaged one is an error naming it. */
gboolean     es_relay_pins_load         (EsRelayPins *self,
                                         GError     **error);
/* The fingerprint first seen at HOST:PORT, or NULL. */
const char  *es_relay_pins_lookup       (EsRelayPins *self,
                                         const char  *host_port);
gboolean     es_relay_pins_remember     (EsRelayPins *self,
                                         const char  *host_port,
                                         const char  *fingerprint,
                                         GError     **error);

G_END_DECLS
