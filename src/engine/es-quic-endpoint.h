/* es-quic-endpoint.h: one UDP socket, many QUIC connections
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "es-identity.h"
#include "es-peer-pin.h"
#include "es-quic-connection.h"

G_BEGIN_DECLS

#define ES_QUIC_DEFAULT_ALPN "earshot/1"

typedef struct
{
  guint64 connections_accepted;
  guint64 handshake_failures;     /* pin mismatch, unauthorised client, timeout, TLS error */
  guint64 packets_received;
  guint64 packets_sent;
  guint64 packets_dropped;        /* not QUIC for a known or acceptable connection, nor STUN */
  guint64 packets_impaired;       /* dropped by EARSHOT_IMPAIR */
} EsQuicEndpointStats;

#define ES_TYPE_QUIC_ENDPOINT (es_quic_endpoint_get_type ())

/* Properties: "idle-timeout" (ms, default 30000), "keepalive-interval" (ms,
 * default 10000; 0 = none), "handshake-timeout" (ms, default 5000),
 * "datagram-queue-length" (default 64).
 *
 * Signals:
 *   incoming-connection (EsQuicConnection *connection): a client completed the
 *     handshake and was authorised (server role).
 *   unhandled-packet (GInetSocketAddress *from, GBytes *packet): a STUN packet
 *     (magic cookie 0x2112A442 at bytes 4-7) arrived on the socket.
 *
 * EsQuicConnection signals:
 *   established (): the handshake completed and the peer was checked.
 *   message-received (gint64 stream_id, JsonObject *message)
 *   datagram-received (GBytes *datagram)
 *   closed (GError *reason): emitted once; the reason is never NULL.
 */

G_DECLARE_FINAL_TYPE (EsQuicEndpoint, es_quic_endpoint, ES, QUIC_ENDPOINT, GObject)

/* Server role: decides whether a client whose certificate carries this
 * Ed25519 identity may connect. Called during the TLS handshake; returning
 * FALSE aborts it (the client sees TLS alert 42, bad_certificate). */
typedef gboolean (*EsQuicAuthorizeFunc) (EsQuicEndpoint     *endpoint,
                                         const char         *peer_fingerprint,
                                         GInetSocketAddress *remote,
                                         gpointer            user_data);

/* alpn: NULL for { "earshot/1" }. */
EsQuicEndpoint     *es_quic_endpoint_new                (EsIdentity          *identity,
                                                         const char * const  *alpn);
/* Binds the socket. "::" binds dual-stack (IPv4 and IPv6 on one socket);
 * port 0 picks a free port. Also reads EARSHOT_IMPAIR. */
gboolean            es_quic_endpoint_bind               (EsQuicEndpoint      *self,
                                                         GInetSocketAddress  *address,
                                                         GError             **error);
GInetSocketAddress *es_quic_endpoint_get_local_address  (EsQuicEndpoint      *self);
EsIdentity         *es_quic_endpoint_get_identity       (EsQuicEndpoint      *self);

/* Setting a function makes the endpoint accept incoming connections; NULL
 * stops it (established connections stay). */
void                es_quic_endpoint_set_authorize_func (EsQuicEndpoint      *self,
                                                         EsQuicAuthorizeFunc  func,
                                                         gpointer             user_data,
                                                         GDestroyNotify       destroy);

/* Client role: completes when the server has confirmed the handshake
 * (HANDSHAKE_DONE) and its certificate matched the pin. */
void                es_quic_endpoint_connect_async      (EsQuicEndpoint      *self,
                                                         GInetSocketAddress  *remote,
                                                         EsPeerPin           *pin,
                                                         GCancellable        *cancellable,
                                                         GAsyncReadyCallback  callback,
                                                         gpointer             user_data);
EsQuicConnection   *es_quic_endpoint_connect_finish     (EsQuicEndpoint      *self,
                                                         GAsyncResult        *result,
                                                         GError             **error);

/* Sends a packet that is not QUIC (STUN, probes) from the endpoint's socket. */
gboolean            es_quic_endpoint_send_raw           (EsQuicEndpoint      *self,
                                                         GInetSocketAddress  *to,
                                                         const guint8        *data,
                                                         gsize                length,
                                                         GError             **error);

/* Closes every connection with ES_QUIC_APP_GOING_AWAY and stops reading. */
void                es_quic_endpoint_shutdown           (EsQuicEndpoint      *self);
guint               es_quic_endpoint_get_n_connections  (EsQuicEndpoint      *self);
void                es_quic_endpoint_get_stats          (EsQuicEndpoint      *self,
                                                         EsQuicEndpointStats *stats);

G_END_DECLS
