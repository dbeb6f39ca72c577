/* es-signal-channel.h: the long-lived connection to a relay
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "es-quic-endpoint.h"
#include "es-relay-pins.h"
#include "es-relay-spec.h"

G_BEGIN_DECLS

typedef enum {
  ES_SIGNAL_CHANNEL_STOPPED,
  ES_SIGNAL_CHANNEL_CONNECTING,
  ES_SIGNAL_CHANNEL_REGISTERED,
  ES_SIGNAL_CHANNEL_WAITING,      /* lost or unreachable; retrying after a backoff */
  ES_SIGNAL_CHANNEL_FAILED,       /* the relay's key is not the pinned one: never retried */
} EsSignalChannelState;

#define ES_TYPE_SIGNAL_CHANNEL (es_signal_channel_get_type ())

G_DECLARE_FINAL_TYPE (EsSignalChannel, es_signal_channel, ES, SIGNAL_CHANNEL, GObject)

/* Signals:
 *   state-changed (): the "state" property changed; es_signal_channel_get_error()
 *     says why when it is WAITING or FAILED.
 *   message (const char *type, JsonObject *message): a message from the relay
 *     or, through it, from a peer. Not emitted for "registered" and "pong".
 *   notice (const char *text): something the user should know that is not an
 *     error, such as a relay trusted on first use.
 */

EsSignalChannel     *es_signal_channel_new                 (EsQuicEndpoint    *endpoint,
                                                            const EsRelaySpec *relay,
                                                            EsRelayPins       *pins);
void                 es_signal_channel_start               (EsSignalChannel   *self);
void                 es_signal_channel_stop                (EsSignalChannel   *self);
EsSignalChannelState es_signal_channel_get_state           (EsSignalChannel   *self);
const GError        *es_signal_channel_get_error           (EsSignalChannel   *self);
const EsRelaySpec   *es_signal_channel_get_relay           (EsSignalChannel   *self);
/* Once registered: */
const char          *es_signal_channel_get_relay_fingerprint (EsSignalChannel *self);
const char          *es_signal_channel_get_observed        (EsSignalChannel   *self);
JsonArray           *es_signal_channel_get_known_relays    (EsSignalChannel   *self);
/* Where the relay says it runs (its --region), or NULL. */
const char          *es_signal_channel_get_region          (EsSignalChannel   *self);
EsQuicConnection    *es_signal_channel_get_connection      (EsSignalChannel   *self);
gboolean             es_signal_channel_send                (EsSignalChannel   *self,
                                                            JsonObject        *message,
                                                            GError           **error);
/* Backoff bounds (ms), 1 s and 30 s by default; tests shorten them. */
void                 es_signal_channel_set_backoff         (EsSignalChannel   *self,
                                                            guint              initial_ms,
                                                            guint              max_ms);

G_END_DECLS
