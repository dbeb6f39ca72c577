/* es-relay-server.h: the rendezvous and fallback server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "es-identity.h"
#include "es-relay-settings.h"
#include "es-relay-switchboard.h"

G_BEGIN_DECLS

#define ES_TYPE_RELAY_SERVER (es_relay_server_get_type ())

G_DECLARE_FINAL_TYPE (EsRelayServer, es_relay_server, ES, RELAY_SERVER, GObject)

/* Signals:
 *   client-registered (EsRelayClient *client): a client registered.
 *   drained (): after es_relay_server_shutdown(), every client was told and
 *     every connection has closed.
 */

EsRelayServer      *es_relay_server_new                (EsIdentity            *identity,
                                                        const EsRelaySettings *settings);
/* One UDP port for QUIC and STUN. */
gboolean            es_relay_server_start              (EsRelayServer         *self,
                                                        GInetSocketAddress    *listen,
                                                        GError               **error);
GInetSocketAddress *es_relay_server_get_local_address  (EsRelayServer         *self);
/* Other relays this one tells its clients about: "HOST:PORT#FP" and region. */
void                es_relay_server_add_known_relay    (EsRelayServer         *self,
                                                        const char            *relay,
                                                        const char            *region);
/* Where this relay runs (--region), told to clients in "registered"; NULL: not said. */
void                es_relay_server_set_region         (EsRelayServer         *self,
                                                        const char            *region);
EsRelaySwitchboard *es_relay_server_get_switchboard    (EsRelayServer         *self);
EsRelayRegistry    *es_relay_server_get_registry       (EsRelayServer         *self);
char               *es_relay_server_render_metrics     (EsRelayServer         *self);
/* Sends a message to every device of an identity; FALSE when none is here. */
gboolean            es_relay_server_send_to            (EsRelayServer         *self,
                                                        const char            *fingerprint,
                                                        JsonObject            *message);
void                es_relay_server_shutdown           (EsRelayServer         *self);

G_END_DECLS
