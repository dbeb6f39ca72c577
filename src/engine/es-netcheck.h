/* es-netcheck.h: what this network allows, for calls (DESIGN §8, §10.6)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "es-quic-endpoint.h"
#include "es-relay-spec.h"
#include "es-signal-channel.h"

G_BEGIN_DECLS

#define ES_TYPE_NETCHECK (es_netcheck_get_type ())

G_DECLARE_FINAL_TYPE (EsNetcheck, es_netcheck, ES, NETCHECK, GObject)

/* Signals:
 *   progress (const char *what): a part of the check finished.
 *   finished (JsonObject *report): the same report run_finish returns.
 *
 * Every probe runs at once. STUN that describes the call path goes from
 * the endpoint's own socket (send_raw, "unhandled-packet"): public
 * addresses, mapping behaviour, relay round trips. The filtering test
 * (RFC 5780 CHANGE-REQUEST), the port allocation samples and the hairpin
 * probe use fresh sockets, as those tests require. NAT-PMP, PCP and UPnP
 * are asked through EsPortMapper with a budget of one second each. The
 * whole check takes about a second and never more than three. */

/* endpoint: bound; its socket is the call socket. */
EsNetcheck *es_netcheck_new            (EsQuicEndpoint      *endpoint);
/* Measured for round-trip time (STUN on its QUIC port, which also counts
 * as a STUN destination). */
void        es_netcheck_add_relay      (EsNetcheck          *self,
                                        const EsRelaySpec   *relay);
/* The relays that @channel's relay lists when it registers (DESIGN §10.5)
 * are measured too, and each relay's region reported; the check waits at
 * most a second for a channel still connecting. */
void        es_netcheck_follow_relay_list (EsNetcheck       *self,
                                        EsSignalChannel     *channel);
/* HOST:PORT or [IPv6]:PORT; a name is resolved to all its addresses. */
gboolean    es_netcheck_add_stun_server (EsNetcheck         *self,
                                        const char          *host_port,
                                        GError             **error);
/* Once per object. Never fails but for cancellation: what cannot be
 * measured is reported as unknown, with the reason. */
void        es_netcheck_run_async      (EsNetcheck          *self,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data);
JsonObject *es_netcheck_run_finish     (EsNetcheck          *self,
                                        GAsyncResult        *result,
                                        GError             **error);

/* The report in plain words, several lines, for people. */
char       *es_netcheck_describe       (JsonObject          *report);

G_END_DECLS
