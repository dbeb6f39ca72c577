/* es-port-mapping.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsPortMapping"

#include "es-port-mapping.h"

#include <string.h>

G_DEFINE_BOXED_TYPE (EsPortMapping, es_port_mapping, es_port_mapping_copy, es_port_mapping_free)

EsPortMapping *
es_port_mapping_new (EsPortMapProtocol   protocol,
                     GInetSocketAddress *external,
                     guint16             internal_port,
                     guint32             lifetime_s)
{
  EsPortMapping *self = g_new0 (EsPortMapping, 1);

  self->protocol = protocol;
  self->external = g_object_ref (external);
  self->internal_port = internal_port;
  self->lifetime_s = lifetime_s;
  self->granted_at = g_get_monotonic_time ();
  return self;
}

EsPortMapping *
es_port_mapping_copy (const EsPortMapping *self)
{
  EsPortMapping *copy = g_memdup2 (self, sizeof *self);

  copy->external = g_object_ref (self->external);
  return copy;
}

void
es_port_mapping_free (EsPortMapping *self)
{
  if (self == NULL)
    return;
  g_clear_object (&self->external);
  g_free (self);
}

const char *
es_port_map_protocol_to_string (EsPortMapProtocol protocol)
{
  switch (protocol)
    {
    case ES_PORT_MAP_PROTOCOL_NAT_PMP:
      return "nat-pmp";
    case ES_PORT_MAP_PROTOCOL_PCP:
      return "pcp";
    case ES_PORT_MAP_PROTOCOL_UPNP:
      return "upnp";
    case ES_PORT_MAP_PROTOCOL_NONE:
    default:
      return "none";
    }
}

gboolean
es_port_mapping_same_external (const EsPortMapping *a,
                               const EsPortMapping *b)
{
  return g_inet_socket_address_get_port (a->external) == g_inet_socket_address_get_port (b->external) &&
         g_inet_address_equal (g_inet_socket_address_get_address (a->external),
                               g_inet_socket_address_get_address (b->external));
}
