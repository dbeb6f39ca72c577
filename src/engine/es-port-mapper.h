/* es-port-mapper.h: keeps a port mapping for the call socket on the gateway
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "es-port-mapping.h"

G_BEGIN_DECLS

#define ES_PORT_MAPPER_DEFAULT_LIFETIME_S 7200
/* PCP wins over the others when its answer comes this soon after theirs. */
#define ES_PORT_MAPPER_PREFERENCE_WINDOW_MS 100

typedef enum {
  ES_PORT_MAP_PROTOCOLS_NAT_PMP = 1 << 0,
  ES_PORT_MAP_PROTOCOLS_PCP = 1 << 1,
  ES_PORT_MAP_PROTOCOLS_UPNP = 1 << 2,
  ES_PORT_MAP_PROTOCOLS_ALL = 0x7,
} EsPortMapProtocols;

#define ES_TYPE_PORT_MAPPER (es_port_mapper_get_type ())

G_DECLARE_FINAL_TYPE (EsPortMapper, es_port_mapper, ES, PORT_MAPPER, GObject)

/* Signals:
 *   mapping-changed (EsPortMapping *mapping): a mapping was made, its
 *     external address or port changed (a router restart, a new public
 *     address), or it was lost or released (NULL). The candidate gatherer
 *     offers mapping->external as the "mapped" candidate.
 *
 * The mapper asks NAT-PMP, PCP and UPnP IGD together; the first success
 * wins, PCP when it answers within ES_PORT_MAPPER_PREFERENCE_WINDOW_MS of
 * another (DESIGN §7). It then refreshes at half the granted lifetime
 * (gupnp-igd does so for UPnP), maps again when the gateway announces a
 * restart or a new address (NAT-PMP epoch, PCP ANNOUNCE on UDP 5350), and
 * starts over when a refresh fails. Requests may come from other sockets:
 * they name the internal port, and the mapping is for that port. */

EsPortMapper        *es_port_mapper_new            (guint16               internal_port);
/* Which protocols to try (default all); before es_port_mapper_start(). */
void                 es_port_mapper_set_protocols  (EsPortMapper         *self,
                                                    EsPortMapProtocols    protocols);
/* The lifetime asked for (default 7200 s); before es_port_mapper_start(). */
void                 es_port_mapper_set_lifetime   (EsPortMapper         *self,
                                                    guint32               lifetime_s);
/* FALSE with ES_ERROR_NOT_FOUND when there is no IPv4 default gateway (on an
 * interface EARSHOT_INTERFACES allows), ES_ERROR_FAILED when port mapping is
 * off (EARSHOT_PORTMAP=off). Otherwise mapping goes on in the background. */
gboolean             es_port_mapper_start          (EsPortMapper         *self,
                                                    GError              **error);
/* The current mapping, or NULL (transfer none). */
const EsPortMapping *es_port_mapper_get_mapping    (EsPortMapper         *self);
/* When the next refresh is due (g_get_monotonic_time () µs), 0 for none. */
gint64               es_port_mapper_get_refresh_time (EsPortMapper       *self);
/* Refreshes a NAT-PMP or PCP mapping now, as its timer would (gupnp-igd
 * keeps UPnP's own schedule); with no mapping yet, retries at once. */
void                 es_port_mapper_refresh        (EsPortMapper         *self);
/* Deletes the mapping on the gateway and stops; completes when the gateway
 * confirmed or after a few seconds at most (errors are for the log). */
void                 es_port_mapper_release_async  (EsPortMapper         *self,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
gboolean             es_port_mapper_release_finish (EsPortMapper         *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);

/* EARSHOT_PORTMAP is not "off". */
gboolean             es_port_mapper_is_enabled     (void);

/* Netcheck: does the gateway speak this protocol? Changes nothing lasting
 * (NAT-PMP: the external address request; PCP: a MAP of a throw-away port,
 * deleted at once; UPnP: GetExternalIPAddress), within budget_ms. */
typedef struct
{
  EsPortMapProtocol protocol;
  gboolean available;
  GInetAddress *external;   /* NULL when unknown */
  gint64 ms;                /* time to the answer; -1 without one */
  GError *error;            /* why not available, else NULL */
} EsPortMapProbe;

void                 es_port_mapper_probe_async    (EsPortMapProtocol     protocol,
                                                    guint                 budget_ms,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
/* Never fails: what went wrong is in the probe's error. */
EsPortMapProbe      *es_port_mapper_probe_finish   (GAsyncResult         *result);
void                 es_port_map_probe_free        (EsPortMapProbe       *probe);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsPortMapProbe, es_port_map_probe_free)

G_END_DECLS
