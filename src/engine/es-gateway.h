/* es-gateway.h: the default gateway, from the kernel's routing table
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct
{
  GInetAddress *address;
  char *interface;        /* the interface the default route leaves through */
  guint32 metric;
} EsGateway;

/* The default route with the lowest metric in the text of /proc/net/route
 * (IPv4) or /proc/net/ipv6_route (IPv6). Only routes that are up and go
 * through a gateway count. When allowed_interfaces is not NULL, routes
 * through other interfaces are skipped. NULL with ES_ERROR_NOT_FOUND when
 * there is none, ES_ERROR_DAMAGED when the text is not a routing table. */
EsGateway *es_gateway_parse_ipv4_routes (const char         *text,
                                         const char * const *allowed_interfaces,
                                         GError            **error);
EsGateway *es_gateway_parse_ipv6_routes (const char         *text,
                                         const char * const *allowed_interfaces,
                                         GError            **error);

/* Reads this machine's routing table for the family (G_SOCKET_FAMILY_IPV4
 * or _IPV6), limited to the interfaces in EARSHOT_INTERFACES when it is set. */
EsGateway *es_gateway_find_default      (GSocketFamily       family,
                                         GError            **error);

/* address:port, with the interface as the scope of an IPv6 link-local
 * gateway (fe80::1 means nothing without it). */
GInetSocketAddress *es_gateway_socket_address (const EsGateway *self,
                                               guint16          port);

/* EARSHOT_INTERFACES split on commas, or NULL when unset or empty. */
char     **es_gateway_allowed_interfaces (void);

void       es_gateway_free              (EsGateway          *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsGateway, es_gateway_free)

G_END_DECLS
