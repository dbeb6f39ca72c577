/* es-pcp.h: the Port Control Protocol (RFC 6887), messages and client
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "es-gateway-exchange.h"
#include "es-port-mapping.h"

G_BEGIN_DECLS

#define ES_PCP_SERVER_PORT  5351
#define ES_PCP_CLIENT_PORT  5350   /* where servers multicast ANNOUNCE */
#define ES_PCP_VERSION      2
#define ES_PCP_MAX_SIZE     1100
#define ES_PCP_PROTOCOL_UDP 17

typedef enum {
  ES_PCP_OP_ANNOUNCE = 0,
  ES_PCP_OP_MAP = 1,
  ES_PCP_OP_PEER = 2,
} EsPcpOpcode;

typedef enum {
  ES_PCP_RESULT_SUCCESS = 0,
  ES_PCP_RESULT_UNSUPP_VERSION = 1,
  ES_PCP_RESULT_NOT_AUTHORIZED = 2,
  ES_PCP_RESULT_MALFORMED_REQUEST = 3,
  ES_PCP_RESULT_UNSUPP_OPCODE = 4,
  ES_PCP_RESULT_UNSUPP_OPTION = 5,
  ES_PCP_RESULT_MALFORMED_OPTION = 6,
  ES_PCP_RESULT_NETWORK_FAILURE = 7,
  ES_PCP_RESULT_NO_RESOURCES = 8,
  ES_PCP_RESULT_UNSUPP_PROTOCOL = 9,
  ES_PCP_RESULT_USER_EX_QUOTA = 10,
  ES_PCP_RESULT_CANNOT_PROVIDE_EXTERNAL = 11,
  ES_PCP_RESULT_ADDRESS_MISMATCH = 12,
  ES_PCP_RESULT_EXCESSIVE_REMOTE_PEERS = 13,
} EsPcpResult;

/* A parsed answer. The MAP fields are set when has_map_payload. */
typedef struct
{
  EsPcpOpcode opcode;
  guint8 result;
  guint32 lifetime_s;         /* granted; on an error, how long not to retry */
  guint32 epoch;
  gboolean has_map_payload;
  guint8 nonce[ES_PORT_MAP_NONCE_SIZE];
  guint8 protocol;
  guint16 internal_port;
  guint16 external_port;
  guint8 external_address[16]; /* IPv4 as ::ffff:a.b.c.d */
} EsPcpResponse;

/* RFC 6887 §8.1.1: IRT 3 s, doubling with ±10 % jitter, MRT 1024 s, no
 * limit on the count. */
extern const EsRetransmitSchedule es_pcp_schedule;

/* client: this machine's address as the server sees it (IPv4 or IPv6);
 * suggested_external: NULL for "any address of the family of client". */
GBytes       *es_pcp_build_map_request      (GInetAddress       *client,
                                             const guint8        nonce[ES_PORT_MAP_NONCE_SIZE],
                                             guint16             internal_port,
                                             GInetAddress       *suggested_external,
                                             guint16             suggested_external_port,
                                             guint32             lifetime_s);
/* ES_ERROR_PROTOCOL when it is not a well-formed PCP answer (size, version,
 * options); a result code other than success is parsed, not an error. */
gboolean      es_pcp_parse_response         (const guint8       *data,
                                             gsize               length,
                                             EsPcpResponse      *response,
                                             GError            **error);
const char   *es_pcp_result_to_string       (guint8              result);
/* The address in a 16-byte PCP field (IPv4-mapped becomes IPv4). */
GInetAddress *es_pcp_address_from_bytes     (const guint8        bytes[16]);
/* RFC 6887 §8.5: FALSE when the server's epoch shows that it lost its
 * mappings since the last answer (times from g_get_monotonic_time ()). */
gboolean      es_pcp_epoch_is_continuous    (guint32             previous_epoch,
                                             gint64              previous_time,
                                             guint32             epoch,
                                             gint64              time);

/* A MAP request for UDP internal_port, from this machine's address toward
 * gateway; budget_ms 0 follows the RFC schedule until cancelled. The
 * mapping carries the nonce (keep it to refresh or release) and the epoch.
 * Errors: the server's result code as ES_ERROR_PROTOCOL, or the exchange's. */
void           es_pcp_map_async             (GInetSocketAddress  *gateway,
                                             const guint8         nonce[ES_PORT_MAP_NONCE_SIZE],
                                             guint16              internal_port,
                                             guint16              suggested_external_port,
                                             guint32              lifetime_s,
                                             guint                budget_ms,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
EsPortMapping *es_pcp_map_finish            (GAsyncResult        *result,
                                             GError             **error);
/* Deletes a mapping (MAP with lifetime 0 and the mapping's nonce). */
void           es_pcp_release_async         (GInetSocketAddress  *gateway,
                                             const EsPortMapping *mapping,
                                             guint                budget_ms,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
gboolean       es_pcp_release_finish        (GAsyncResult        *result,
                                             GError             **error);

G_END_DECLS
