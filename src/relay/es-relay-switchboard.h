/* es-relay-switchboard.h: call signalling and media forwarding
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "es-relay-metrics.h"
#include "es-relay-registry.h"

G_BEGIN_DECLS

#define ES_TYPE_RELAY_SWITCHBOARD (es_relay_switchboard_get_type ())

G_DECLARE_FINAL_TYPE (EsRelaySwitchboard, es_relay_switchboard, ES, RELAY_SWITCHBOARD, GObject)

/* Signals:
 *   forwarding (EsRelayClient *from, EsRelayClient *to, JsonObject *message):
 *     a party's signed message is about to be forwarded to the other party.
 *     The relay cannot read or forge what matters in it: the parties verify
 *     every signature, which the tests prove with a relay that alters it here.
 */

EsRelaySwitchboard *es_relay_switchboard_new             (EsRelayRegistry       *registry,
                                                          EsRelayMetrics        *metrics,
                                                          const EsRelaySettings *settings);
/* Whether a message type is about a call (and so for the switchboard). */
gboolean            es_relay_switchboard_handles         (const char            *type);
void                es_relay_switchboard_handle_message  (EsRelaySwitchboard    *self,
                                                          EsRelayClient         *from,
                                                          const char            *type,
                                                          JsonObject            *message);
void                es_relay_switchboard_handle_datagram (EsRelaySwitchboard    *self,
                                                          EsRelayClient         *from,
                                                          GBytes                *datagram);
/* The client's connection ended: end its calls and tell the other parties. */
void                es_relay_switchboard_client_gone     (EsRelaySwitchboard    *self,
                                                          EsRelayClient         *client);
void                es_relay_switchboard_count_calls     (EsRelaySwitchboard    *self,
                                                          guint                 *ringing,
                                                          guint                 *active);

G_END_DECLS
