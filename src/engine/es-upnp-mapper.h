/* es-upnp-mapper.h: UPnP IGD port mapping (gupnp-igd) and availability probe
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "es-port-mapping.h"

G_BEGIN_DECLS

#define ES_TYPE_UPNP_MAPPER (es_upnp_mapper_get_type ())

G_DECLARE_FINAL_TYPE (EsUpnpMapper, es_upnp_mapper, ES, UPNP_MAPPER, GObject)

/* Signals:
 *   mapped (EsPortMapping *mapping): an IGD made the mapping; again when
 *     the IGD's external address changes (gupnp-igd follows it and renews
 *     the lease at half its duration by itself).
 *   failed (GError *error): an IGD refused the mapping.
 *
 * SSDP goes out only on IPv4 interfaces in EARSHOT_INTERFACES, when set.
 * Must be used from the thread-default GMainContext it was created on. */

EsUpnpMapper *es_upnp_mapper_new            (void);
/* Asks every IGD that answers to forward UDP internal_port of local_ip (the
 * address the LAN knows this machine by), suggesting the same external port. */
void          es_upnp_mapper_map            (EsUpnpMapper        *self,
                                             GInetAddress        *local_ip,
                                             guint16              internal_port,
                                             guint32              lifetime_s);
/* Deletes the mapping (DeletePortMapping) and completes when the IGD has
 * answered, or after budget_ms; the mapper maps nothing afterwards. */
void          es_upnp_mapper_release_async  (EsUpnpMapper        *self,
                                             guint                budget_ms,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
gboolean      es_upnp_mapper_release_finish (EsUpnpMapper        *self,
                                             GAsyncResult        *result,
                                             GError             **error);

/* What Earshot reads of an IGD's answers (GetExternalIPAddress, gupnp-igd's
 * report of a mapping): an IPv4 address peers can reach, in dotted form.
 * "0.0.0.0" (an IGD whose WAN link is down), loopback, multicast, broadcast,
 * IPv6 and anything else fail with ES_ERROR_PROTOCOL. */
GInetAddress  *es_upnp_parse_external_address (const char         *text,
                                               GError            **error);
/* The mapping a report of gupnp-igd describes; the port must be 1-65535. */
EsPortMapping *es_upnp_mapping_from_report    (const char         *external_ip,
                                               guint               external_port,
                                               guint16             internal_port,
                                               guint32             lifetime_s,
                                               GError            **error);

/* Netcheck: finds an IGD (WANIPConnection or WANPPPConnection) with a GUPnP
 * control point and asks its external address, changing nothing. Completes
 * with that address, or G_IO_ERROR_TIMED_OUT after budget_ms. */
void          es_upnp_probe_async           (guint                budget_ms,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
GInetAddress *es_upnp_probe_finish          (GAsyncResult        *result,
                                             GError             **error);

G_END_DECLS
