/* es-quic-connection.h: one QUIC connection of an EsQuicEndpoint
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "es-quic-error.h"

G_BEGIN_DECLS

/* The "state" property (read-only, notifies). CLOSING: "closed" has been
 * emitted, the endpoint still answers or absorbs the peer's last packets
 * for three PTOs; CLOSED: the endpoint has let go of it. */
typedef enum {
  ES_QUIC_CONNECTION_STATE_CONNECTING,
  ES_QUIC_CONNECTION_STATE_CONNECTED,
  ES_QUIC_CONNECTION_STATE_CLOSING,
  ES_QUIC_CONNECTION_STATE_CLOSED,
} EsQuicConnectionState;

/* RTT figures are 0 until the first sample. */
typedef struct
{
  guint64 smoothed_rtt_us;
  guint64 rtt_variance_us;
  guint64 min_rtt_us;
  guint64 latest_rtt_us;
  guint64 congestion_window;
  guint64 bytes_in_flight;
  guint64 bytes_sent;
  guint64 bytes_received;
  guint64 packets_sent;
  guint64 packets_received;
  guint64 datagrams_sent;
  guint64 datagrams_received;
  guint64 datagrams_lost;      /* sent, then declared lost by QUIC */
  guint64 datagrams_dropped;   /* never sent: the send queue was full (drop-oldest) */
} EsQuicStats;

#define ES_TYPE_QUIC_CONNECTION (es_quic_connection_get_type ())

G_DECLARE_FINAL_TYPE (EsQuicConnection, es_quic_connection, ES, QUIC_CONNECTION, GObject)

typedef struct _EsQuicEndpoint EsQuicEndpoint;

EsQuicEndpoint       *es_quic_connection_get_endpoint         (EsQuicConnection *self);
EsQuicConnectionState es_quic_connection_get_state            (EsQuicConnection *self);
gboolean              es_quic_connection_is_server            (EsQuicConnection *self);
/* The fingerprint of the peer's Ed25519 key, once the handshake checked it
 * (NULL for a server pinned by SPKI whose key is not Ed25519). */
const char           *es_quic_connection_get_peer_fingerprint (EsQuicConnection *self);
/* The peer's address on the current path (transfer none); IPv4 peers are
 * plain IPv4. */
GInetSocketAddress   *es_quic_connection_get_remote_address   (EsQuicConnection *self);
/* The negotiated protocol, once the handshake completed. */
const char           *es_quic_connection_get_alpn             (EsQuicConnection *self);

/* Opens a bidirectional stream for messages; returns its id, or -1 with
 * G_IO_ERROR_NOT_CONNECTED (not established or closed) or
 * G_IO_ERROR_WOULD_BLOCK (the peer allows no more streams for now). */
gint64                es_quic_connection_open_stream          (EsQuicConnection *self,
                                                               GError          **error);
/* Queues @message on a stream either side opened; it is sent reliably, in
 * order. Fails on a stream that does not exist and on a message that
 * es_message_encode() refuses. */
gboolean              es_quic_connection_send_message         (EsQuicConnection *self,
                                                               gint64            stream_id,
                                                               JsonObject       *message,
                                                               GError          **error);

/* Queues one DATAGRAM frame. The queue is bounded: when full, the oldest
 * queued datagram is dropped (and counted), because for live audio the newest
 * frame matters most. FALSE when the datagram can never fit: longer than
 * es_quic_connection_get_max_datagram_size(), which is 0 while the
 * connection is not established or when the peer takes no DATAGRAMs. */
gboolean              es_quic_connection_send_datagram        (EsQuicConnection *self,
                                                               const guint8     *data,
                                                               gsize             length);
gsize                 es_quic_connection_get_max_datagram_size (EsQuicConnection *self);

void                  es_quic_connection_get_stats            (EsQuicConnection *self,
                                                               EsQuicStats      *stats);

/* Whether a message sent on a stream still waits for the peer's
 * acknowledgement; "delivered" is emitted when the last one gets it. */
gboolean              es_quic_connection_has_undelivered      (EsQuicConnection *self);

/* Sends a PING after this much silence (0: never); overrides the
 * endpoint's "keepalive-interval" for this connection. */
void                  es_quic_connection_set_keepalive_interval (EsQuicConnection *self,
                                                                 guint             interval_ms);

/* Closes with an application error code (ES_QUIC_APP_*); @reason (may be
 * NULL) is sent to the peer as the reason phrase, so it must not hold
 * secrets. Messages and datagrams queued before are sent first, as far as
 * flow and congestion control allow (best effort: they are not resent if
 * lost). "closed" is emitted before this returns; closing a connection that
 * is already closing does nothing. */
void                  es_quic_connection_close                (EsQuicConnection *self,
                                                               guint64           app_error_code,
                                                               const char       *reason);
/* Why the connection ended; NULL while it is open. The code is the
 * application or transport error code, or the TLS alert number. */
const GError         *es_quic_connection_get_close_error      (EsQuicConnection *self);
guint64               es_quic_connection_get_close_code       (EsQuicConnection *self);
gboolean              es_quic_connection_get_closed_by_peer   (EsQuicConnection *self);

G_END_DECLS
