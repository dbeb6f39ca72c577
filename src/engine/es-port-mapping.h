/* es-port-mapping.h: a port mapping a gateway granted
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum {
  ES_PORT_MAP_PROTOCOL_NONE,
  ES_PORT_MAP_PROTOCOL_NAT_PMP,
  ES_PORT_MAP_PROTOCOL_PCP,
  ES_PORT_MAP_PROTOCOL_UPNP,
} EsPortMapProtocol;

#define ES_PORT_MAP_NONCE_SIZE 12

typedef struct
{
  EsPortMapProtocol protocol;
  GInetSocketAddress *external;     /* what peers dial */
  guint16 internal_port;
  guint32 lifetime_s;               /* granted; 0 for a released mapping */
  gint64 granted_at;                /* g_get_monotonic_time () of the answer */
  /* NAT-PMP and PCP: the gateway's epoch (seconds since its state began). */
  guint32 epoch;
  /* PCP: the nonce that owns the mapping (RFC 6887 §11.1). */
  guint8 nonce[ES_PORT_MAP_NONCE_SIZE];
} EsPortMapping;

#define ES_TYPE_PORT_MAPPING (es_port_mapping_get_type ())

GType          es_port_mapping_get_type          (void) G_GNUC_CONST;
EsPortMapping *es_port_mapping_new               (EsPortMapProtocol    protocol,
                                                  GInetSocketAddress  *external,
                                                  guint16              internal_port,
                                                  guint32              lifetime_s);
EsPortMapping *es_port_mapping_copy              (const EsPortMapping *self);
void           es_port_mapping_free              (EsPortMapping       *self);
/* "nat-pmp", "pcp", "upnp" or "none". */
const char    *es_port_map_protocol_to_string    (EsPortMapProtocol    protocol);
/* The same external address and port. */
gboolean       es_port_mapping_same_external     (const EsPortMapping *a,
                                                  const EsPortMapping *b);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsPortMapping, es_port_mapping_free)

G_END_DECLS
