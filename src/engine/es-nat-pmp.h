/* es-nat-pmp.h: NAT-PMP (RFC 6886), messages and client
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "es-gateway-exchange.h"
#include "es-port-mapping.h"

G_BEGIN_DECLS

#define ES_NAT_PMP_SERVER_PORT   5351
#define ES_NAT_PMP_CLIENT_PORT   5350   /* where gateways multicast announcements */
#define ES_NAT_PMP_VERSION       0

typedef enum {
  ES_NAT_PMP_OP_EXTERNAL_ADDRESS = 0,
  ES_NAT_PMP_OP_MAP_UDP = 1,
  ES_NAT_PMP_OP_MAP_TCP = 2,
} EsNatPmpOpcode;

typedef enum {
  ES_NAT_PMP_RESULT_SUCCESS = 0,
  ES_NAT_PMP_RESULT_UNSUPPORTED_VERSION = 1,
  ES_NAT_PMP_RESULT_NOT_AUTHORIZED = 2,
  ES_NAT_PMP_RESULT_NETWORK_FAILURE = 3,
  ES_NAT_PMP_RESULT_OUT_OF_RESOURCES = 4,
  ES_NAT_PMP_RESULT_UNSUPPORTED_OPCODE = 5,
} EsNatPmpResult;

/* A parsed answer. For a result other than success only opcode, result and
 * epoch are meaningful (gateways may send just those 8 bytes). */
typedef struct
{
  EsNatPmpOpcode opcode;      /* of the request this answers */
  guint16 result;
  guint32 epoch;              /* seconds since the gateway's mappings began */
  guint8 external_address[4]; /* EXTERNAL_ADDRESS */
  guint16 internal_port;      /* MAP_* */
  guint16 external_port;      /* MAP_*; 0 when a mapping was deleted */
  guint32 lifetime_s;         /* MAP_* */
} EsNatPmpResponse;

/* RFC 6886 §3.1: 250 ms, doubling, nine sends. */
extern const EsRetransmitSchedule es_nat_pmp_schedule;

GBytes     *es_nat_pmp_build_external_address_request (void);
/* lifetime_s 0 deletes the mapping; the suggested port must then be 0. */
GBytes     *es_nat_pmp_build_map_request              (guint16            internal_port,
                                                       guint16            suggested_external_port,
                                                       guint32            lifetime_s);
/* Any answer a gateway sends, including an announcement (the external
 * address answer, multicast to port 5350). ES_ERROR_PROTOCOL when it is not
 * a NAT-PMP answer of the right size. */
gboolean    es_nat_pmp_parse_response                 (const guint8      *data,
                                                       gsize              length,
                                                       EsNatPmpResponse  *response,
                                                       GError           **error);
const char *es_nat_pmp_result_to_string               (guint16            result);
/* RFC 6886 §3.6: the gateway's epoch went forward about as fast as this
 * machine's clock since the last answer (times in microseconds of
 * g_get_monotonic_time ()); FALSE means it restarted and lost the mappings. */
gboolean    es_nat_pmp_epoch_is_continuous            (guint32            previous_epoch,
                                                       gint64             previous_time,
                                                       guint32            epoch,
                                                       gint64             time);

/* Asks for the external address and a UDP mapping of internal_port
 * together; budget_ms 0 runs the whole RFC schedule. Errors: the gateway's
 * result code as ES_ERROR_PROTOCOL with its meaning, or the exchange's. */
void           es_nat_pmp_map_async                   (GInetSocketAddress  *gateway,
                                                       guint16              internal_port,
                                                       guint16              suggested_external_port,
                                                       guint32              lifetime_s,
                                                       guint                budget_ms,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
EsPortMapping *es_nat_pmp_map_finish                  (GAsyncResult        *result,
                                                       GError             **error);
/* Deletes the UDP mapping of internal_port (a request with lifetime 0). */
void           es_nat_pmp_release_async               (GInetSocketAddress  *gateway,
                                                       guint16              internal_port,
                                                       guint                budget_ms,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
gboolean       es_nat_pmp_release_finish              (GAsyncResult        *result,
                                                       GError             **error);
/* The external address alone: what netcheck asks, changing nothing. */
void           es_nat_pmp_external_address_async      (GInetSocketAddress  *gateway,
                                                       guint                budget_ms,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
GInetAddress  *es_nat_pmp_external_address_finish     (GAsyncResult        *result,
                                                       GError             **error);

G_END_DECLS
