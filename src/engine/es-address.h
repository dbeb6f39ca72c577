/* es-address.h: socket addresses as people and events write them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* "192.0.2.1:4433" or "[2001:db8::1]:4433" (DESIGN §10.5); an IPv4-mapped
 * IPv6 address is written as the IPv4 address it is. */
char               *es_address_to_string       (GInetSocketAddress *address);
/* Numeric addresses only: "IP:PORT" or "[IPv6]:PORT". */
GInetSocketAddress *es_address_parse           (const char         *text,
                                                GError            **error);
/* "HOST:PORT" (an IPv4 address or an RFC 1123 host name) or "[IPv6]:PORT";
 * port 0–65535. */
gboolean            es_address_split_host_port (const char         *text,
                                                char              **host,
                                                guint16            *port,
                                                GError            **error);
/* The IPv4 address inside an IPv4-mapped IPv6 one, or a new reference. */
GInetSocketAddress *es_address_unmap           (GInetSocketAddress *address);

G_END_DECLS
