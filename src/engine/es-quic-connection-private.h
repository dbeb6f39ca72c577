/* es-quic-connection-private.h: what EsQuicEndpoint and EsQuicConnection
 * ask of each other
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gnutls/gnutls.h>
#include <ngtcp2/ngtcp2.h>

#include "es-peer-pin.h"
#include "es-quic-connection.h"
#include "es-quic-endpoint.h"
#include "es-timer-queue.h"

G_BEGIN_DECLS

/* Every connection ID this endpoint issues has this length, so that short
 * header packets (which carry no length) can be routed by it. */
#define ES_QUIC_CID_LENGTH 8

/* One of the endpoint's probe sockets (es_quic_endpoint_open_probe_socket). A
 * connection made or accepted over one gets it as the user_data of the path
 * it is created with, and sends over it for as long as it lives; NULL is the
 * endpoint's own socket. */
typedef struct _EsQuicProbe EsQuicProbe;

/* The endpoint's properties at the moment a connection is made. */
typedef struct
{
  guint idle_timeout_ms;
  guint keepalive_interval_ms;
  guint handshake_timeout_ms;
  guint datagram_queue_length;
  gboolean coalesce_datagrams;
} EsQuicConnectionSettings;

/* Endpoint → connection */
/* @identity: presented instead of the endpoint's, or NULL */
EsQuicConnection *_es_quic_connection_new_client   (EsQuicEndpoint                 *endpoint,
                                                    const ngtcp2_path              *path,
                                                    EsPeerPin                      *pin,
                                                    EsIdentity                     *identity,
                                                    const EsQuicConnectionSettings *settings,
                                                    GError                        **error);
EsQuicConnection *_es_quic_connection_new_server   (EsQuicEndpoint                 *endpoint,
                                                    const ngtcp2_path              *path,
                                                    const ngtcp2_pkt_hd            *initial,
                                                    const EsQuicConnectionSettings *settings,
                                                    GError                        **error);
/* Client role: @task completes with the connection once the handshake is
 * confirmed, or with the reason it closed. */
void              _es_quic_connection_start        (EsQuicConnection               *self,
                                                    GTask                          *task);
void              _es_quic_connection_receive      (EsQuicConnection               *self,
                                                    const ngtcp2_path              *path,
                                                    const guint8                   *data,
                                                    gsize                           length);
void              _es_quic_connection_flush        (EsQuicConnection               *self);
/* For tests: queues @bytes on an open stream as they are, so that a test can
 * send what es_message_encode() refuses to. */
void              _es_quic_connection_send_stream_bytes (EsQuicConnection          *self,
                                                         gint64                     stream_id,
                                                         GBytes                    *bytes);
/* The endpoint lets go of the connection: its connection IDs, timer, TLS
 * and QUIC state are released and it becomes CLOSED. */
void              _es_quic_connection_detach       (EsQuicConnection               *self);

/* Connection → endpoint */
GMainContext     *_es_quic_endpoint_get_context    (EsQuicEndpoint                 *self);
EsTimerQueue     *_es_quic_endpoint_get_timers     (EsQuicEndpoint                 *self);
gnutls_certificate_credentials_t
                  _es_quic_endpoint_get_credentials (EsQuicEndpoint                *self);
gnutls_priority_t _es_quic_endpoint_get_priority   (EsQuicEndpoint                 *self);
const gnutls_datum_t *
                  _es_quic_endpoint_get_alpn       (EsQuicEndpoint                 *self,
                                                    guint                          *n_protocols);
/* A new, registered connection ID of ES_QUIC_CID_LENGTH bytes routed to
 * @connection, and its stateless reset token (may be NULL). */
void              _es_quic_endpoint_issue_cid      (EsQuicEndpoint                 *self,
                                                    EsQuicConnection               *connection,
                                                    ngtcp2_cid                     *cid,
                                                    guint8                         *token);
void              _es_quic_endpoint_register_cid   (EsQuicEndpoint                 *self,
                                                    const ngtcp2_cid               *cid,
                                                    EsQuicConnection               *connection);
void              _es_quic_endpoint_unregister_cid (EsQuicEndpoint                 *self,
                                                    const ngtcp2_cid               *cid);
gboolean          _es_quic_endpoint_authorize      (EsQuicEndpoint                 *self,
                                                    const char                     *fingerprint,
                                                    GInetSocketAddress             *remote);
/* Packets sent between these two calls leave in one system call. */
void              _es_quic_endpoint_cork           (EsQuicEndpoint                 *self);
void              _es_quic_endpoint_uncork         (EsQuicEndpoint                 *self);
guint8           *_es_quic_endpoint_get_send_buffer (EsQuicEndpoint                *self,
                                                    gsize                          *size);
void              _es_quic_endpoint_send_packet    (EsQuicEndpoint                 *self,
                                                    EsQuicProbe                    *probe,
                                                    const ngtcp2_addr              *remote,
                                                    const guint8                   *data,
                                                    gsize                           length);
/* @connection has something to send: it is flushed after the current
 * batch of packets, or on the next main loop iteration. */
void              _es_quic_endpoint_request_flush  (EsQuicEndpoint                 *self,
                                                    EsQuicConnection               *connection);
/* A server-role connection completed its handshake and was authorised. */
void              _es_quic_endpoint_accepted       (EsQuicEndpoint                 *self,
                                                    EsQuicConnection               *connection);
void              _es_quic_endpoint_handshake_failed (EsQuicEndpoint               *self);
/* The closing or draining period is over, or there is none: drop it. */
void              _es_quic_endpoint_remove_connection (EsQuicEndpoint              *self,
                                                       EsQuicConnection            *connection);

G_END_DECLS
