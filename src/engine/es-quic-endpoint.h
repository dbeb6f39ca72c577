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
  guint64 handshake_failures;     /* pin mismatch, unauthorised client, timeout, TLS error,
                                   * in either role; not a cancelled connect */
  guint64 packets_received;
  guint64 packets_sent;
  guint64 packets_dropped;        /* not QUIC for a known or acceptable connection, nor STUN;
                                   * too long to read; refused by the kernel on sending */
  guint64 packets_impaired;       /* dropped by EARSHOT_IMPAIR */
} EsQuicEndpointStats;

#define ES_TYPE_QUIC_ENDPOINT (es_quic_endpoint_get_type ())

/* Properties: "idle-timeout" (ms, default 30000), "keepalive-interval" (ms,
 * default 10000; 0 = none), "handshake-timeout" (ms, default 5000),
 * "datagram-queue-length" (default 64), "coalesce-datagrams" (default TRUE:
 * several DATAGRAM frames share a packet when they fit; FALSE sends one per
 * packet, for measurements). They apply to connections made afterwards.
 * Construct-only: "identity" (EsIdentity, may be NULL), "alpn" (GStrv).
 *
 * Everything runs on the thread-default GMainContext of the thread that
 * created the endpoint; neither the endpoint nor its connections may be
 * used from other threads.
 *
 * Lifetime: the endpoint keeps every connection alive until it has closed
 * and its closing or draining period is over (then it becomes CLOSED), and
 * every connection keeps its endpoint alive. Dropping all references to a
 * live connection does not close it: close it, or shut the endpoint down.
 *
 * Signals:
 *   incoming-connection (EsQuicConnection *connection): a client completed the
 *     handshake and was authorised (server role). Connect to the
 *     connection's signals here: messages that arrived with the handshake
 *     are delivered right after.
 *   unhandled-packet (GInetSocketAddress *from, GBytes *packet): a STUN packet
 *     (first two bits 00, magic cookie 0x2112A442 at bytes 4-7) arrived on
 *     the socket. QUIC never sees it.
 *   probe-packet (guint probe, GInetSocketAddress *from, GBytes *packet): the
 *     same, on the probe socket @probe.
 *
 * EsQuicConnection signals:
 *   established (): the handshake completed and the peer was checked (on a
 *     client, after connect_async's callback has run).
 *   message-received (gint64 stream_id, JsonObject *message): on any
 *     bidirectional stream, opened by either side.
 *   datagram-received (GBytes *datagram)
 *   delivered (): every message sent on a stream is acknowledged by the peer.
 *   closed (GError *reason): emitted once, as soon as the connection stops
 *     being usable (it is then CLOSING); the reason is never NULL. See
 *     es-quic-error.h for the codes.
 */

G_DECLARE_FINAL_TYPE (EsQuicEndpoint, es_quic_endpoint, ES, QUIC_ENDPOINT, GObject)

/* Server role: decides whether a client whose certificate carries this
 * Ed25519 identity may connect. Called during the TLS handshake, from inside
 * the QUIC stack: it must decide and return, without calling into the
 * endpoint or its connections. Returning FALSE aborts the handshake (the
 * client sees TLS alert 42, bad_certificate). A client without a
 * certificate never gets this far (TLS alert 116, certificate_required). */
typedef gboolean (*EsQuicAuthorizeFunc) (EsQuicEndpoint     *endpoint,
                                         const char         *peer_fingerprint,
                                         GInetSocketAddress *remote,
                                         gpointer            user_data);

/* alpn: NULL for { "earshot/1" }; in order of preference.
 * identity: NULL makes an anonymous endpoint: a client that presents no
 * certificate (a server that requires one refuses it) and never accepts
 * connections. */
EsQuicEndpoint     *es_quic_endpoint_new                (EsIdentity          *identity,
                                                         const char * const  *alpn);
/* Binds the socket. "::" binds dual-stack (IPv4 and IPv6 on one socket);
 * IPv4 peers are then reported as plain IPv4 addresses, never v4-mapped.
 * Port 0 picks a free port. Also reads EARSHOT_IMPAIR: a malformed value
 * fails with ES_ERROR_INVALID_ARGUMENT naming the key. */
gboolean            es_quic_endpoint_bind               (EsQuicEndpoint      *self,
                                                         GInetSocketAddress  *address,
                                                         GError             **error);
/* The bound address with the real port (transfer none), or NULL before
 * es_quic_endpoint_bind(). */
GInetSocketAddress *es_quic_endpoint_get_local_address  (EsQuicEndpoint      *self);
/* (transfer none); NULL for an anonymous endpoint. */
EsIdentity         *es_quic_endpoint_get_identity       (EsQuicEndpoint      *self);

/* Setting a function makes the endpoint accept incoming connections; NULL
 * stops it (established connections stay). Not on an anonymous endpoint. */
void                es_quic_endpoint_set_authorize_func (EsQuicEndpoint      *self,
                                                         EsQuicAuthorizeFunc  func,
                                                         gpointer             user_data,
                                                         GDestroyNotify       destroy);

/* Client role: completes when the server has confirmed the handshake
 * (HANDSHAKE_DONE) and its certificate matched the pin. Fails with the
 * ES_QUIC_ERROR the connection closed with (the server's key is not the
 * pinned one: ES_QUIC_ERROR_PEER_VERIFICATION, message "TLS alert 42 (bad
 * certificate): the server's key does not match ..."; the server refused
 * us: ES_QUIC_ERROR_TLS_ALERT), or G_IO_ERROR_CANCELLED. The socket must be
 * able to reach @remote: an IPv4-only socket cannot reach IPv6. */
void                es_quic_endpoint_connect_async      (EsQuicEndpoint      *self,
                                                         GInetSocketAddress  *remote,
                                                         EsPeerPin           *pin,
                                                         GCancellable        *cancellable,
                                                         GAsyncReadyCallback  callback,
                                                         gpointer             user_data);
/* The same, presenting @identity (NULL: the endpoint's own) rather than the
 * endpoint's: many clients, each with its own identity, can then share one
 * socket (a load generator's simulated clients). Finish it with
 * es_quic_endpoint_connect_finish(). */
void                es_quic_endpoint_connect_as_async   (EsQuicEndpoint      *self,
                                                         EsIdentity          *identity,
                                                         GInetSocketAddress  *remote,
                                                         EsPeerPin           *pin,
                                                         GCancellable        *cancellable,
                                                         GAsyncReadyCallback  callback,
                                                         gpointer             user_data);
EsQuicConnection   *es_quic_endpoint_connect_finish     (EsQuicEndpoint      *self,
                                                         GAsyncResult        *result,
                                                         GError             **error);

/* Sends a packet that is not QUIC (STUN, probes) from the endpoint's socket,
 * at once (impaired like every other packet under EARSHOT_IMPAIR). */
gboolean            es_quic_endpoint_send_raw           (EsQuicEndpoint      *self,
                                                         GInetSocketAddress  *to,
                                                         const guint8        *data,
                                                         gsize                length,
                                                         GError             **error);

/* Probe sockets (DESIGN §7, hard NAT): extra UDP sockets of the endpoint,
 * bound to any address of @family on a port of the system's choosing, for
 * punching through NATs that give every socket its own random port. STUN
 * arriving on one is emitted as "probe-packet"; QUIC arriving on one is
 * handled as on the endpoint's own socket (an incoming connection is
 * authorised alike), and a connection made or accepted over a probe socket
 * stays on it. Returns the socket's id (never 0), or 0 with an error. */
guint               es_quic_endpoint_open_probe_socket  (EsQuicEndpoint      *self,
                                                         GSocketFamily        family,
                                                         GError             **error);
/* The opener lets go: the socket closes at once, or when the last
 * connection over it is gone. Closing an unknown or closed id does nothing. */
void                es_quic_endpoint_close_probe_socket (EsQuicEndpoint      *self,
                                                         guint                probe);
/* (transfer none), or NULL when it is closed. */
GInetSocketAddress *es_quic_endpoint_get_probe_address  (EsQuicEndpoint      *self,
                                                         guint                probe);
/* es_quic_endpoint_send_raw() from a probe socket (0: the endpoint's own);
 * G_IO_ERROR_CLOSED when it was closed. */
gboolean            es_quic_endpoint_send_raw_from      (EsQuicEndpoint      *self,
                                                         guint                probe,
                                                         GInetSocketAddress  *to,
                                                         const guint8        *data,
                                                         gsize                length,
                                                         GError             **error);
/* es_quic_endpoint_connect_async() over a probe socket, with the endpoint's
 * identity; the connection keeps the socket open. Finish it with
 * es_quic_endpoint_connect_finish(). */
void                es_quic_endpoint_connect_from_async (EsQuicEndpoint      *self,
                                                         guint                probe,
                                                         GInetSocketAddress  *remote,
                                                         EsPeerPin           *pin,
                                                         GCancellable        *cancellable,
                                                         GAsyncReadyCallback  callback,
                                                         gpointer             user_data);
/* The probe socket a connection runs over, 0 for the endpoint's own. */
guint               es_quic_endpoint_get_connection_probe (EsQuicEndpoint    *self,
                                                           EsQuicConnection  *connection);
/* Probe sockets still open, including those kept by connections. */
guint               es_quic_endpoint_get_n_probe_sockets (EsQuicEndpoint     *self);

/* Closes every connection with ES_QUIC_APP_GOING_AWAY (each emits "closed"
 * and becomes CLOSED at once: nothing is read any more, so there is no
 * closing period), closes the probe sockets and stops reading and
 * accepting. Raw packets can still be sent from the endpoint's own socket.
 * Dispose does this too. */
void                es_quic_endpoint_shutdown           (EsQuicEndpoint      *self);
/* Connections the endpoint holds, including those still closing. */
guint               es_quic_endpoint_get_n_connections  (EsQuicEndpoint      *self);
void                es_quic_endpoint_get_stats          (EsQuicEndpoint      *self,
                                                         EsQuicEndpointStats *stats);

G_END_DECLS
