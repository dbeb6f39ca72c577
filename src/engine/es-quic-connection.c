/* es-quic-connection.c
 *
 * One ngtcp2 connection with its GnuTLS session. ngtcp2 must not be called
 * back into from its own callbacks (nor from GnuTLS's), so the callbacks here
 * only record what happened: decoded messages, datagrams and the end of the
 * handshake go into an event queue that is delivered once ngtcp2 has
 * returned, and anything to send is left for the flush that follows. That
 * way a signal handler may do anything, including closing the connection or
 * shutting the endpoint down.
 *
 * The endpoint holds a reference to every connection until its closing or
 * draining period is over, and every connection holds one to its endpoint,
 * so neither disappears under the other while packets still flow.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsQuicConnection"

#include "es-quic-connection-private.h"

#include <gnutls/crypto.h>
#include <ngtcp2/ngtcp2_crypto.h>
#include <ngtcp2/ngtcp2_crypto_gnutls.h>
#include <string.h>

#include "es-enums.h"
#include "es-error.h"
#include "es-message-codec.h"
#include "es-ngtcp2-compat.h"
#include "es-quic-stream.h"
#include "es-udp-socket.h"

/* The client's first destination ID is random and only lives until the
 * server picks its own; RFC 9000 asks for at least 8 bytes. */
#define INITIAL_DCID_LENGTH 16
/* Messages are at most 64 KiB; a stream window of four of them, a
 * connection window of sixteen, extended as the decoder consumes data. */
#define STREAM_WINDOW (256 * 1024)
#define CONNECTION_WINDOW (1024 * 1024)
#define MAX_BIDI_STREAMS 100
/* HTTP/3 peers (the interop tests' gtlsclient and gtlsserver) refuse to
 * start without three unidirectional streams; Earshot ignores their data. */
#define MAX_UNI_STREAMS 3
/* DATAGRAM frames up to a whole packet. */
#define MAX_DATAGRAM_FRAME_SIZE ES_UDP_MAX_PACKET_SIZE
/* Type byte and a two-byte length: a DATAGRAM frame's overhead in a packet
 * shorter than 16 KiB. */
#define DATAGRAM_FRAME_OVERHEAD 3
/* Short header: flags, destination ID, packet number (≤ 4), AEAD tag. */
#define SHORT_HEADER_OVERHEAD(dcid_length) (1 + (dcid_length) + 4 + 16)
/* A flush yields to the main loop after this many packets. */
#define MAX_PACKETS_PER_FLUSH 64
#define MAX_STREAM_VECTORS 8
/* Enough to explain, short enough to fit any CONNECTION_CLOSE packet. */
#define MAX_REASON_PHRASE 200

typedef enum {
  EVENT_HANDSHAKE_DONE,
  EVENT_MESSAGE,
  EVENT_DATAGRAM,
  EVENT_DELIVERED,
  EVENT_REMOTE_ADDRESS,
} EventKind;

typedef struct
{
  EventKind kind;
  gint64 stream_id;
  JsonObject *message;
  GBytes *datagram;
} Event;

struct _EsQuicConnection
{
  GObject parent_instance;

  EsQuicEndpoint *endpoint;
  EsQuicProbe *probe;               /* the endpoint's probe socket it runs over, or NULL */
  EsQuicConnectionSettings settings;
  gboolean is_server;
  EsQuicConnectionState state;

  ngtcp2_conn *conn;
  gnutls_session_t session;
  ngtcp2_crypto_conn_ref conn_ref;
  GArray *cids;                     /* ngtcp2_cid routed here by the endpoint */
  EsTimer timer;
  gboolean flush_pending;

  EsPeerPin *pin;                   /* client role */
  EsIdentity *identity;             /* client role: presented instead of the endpoint's */
  char *peer_fingerprint;
  char *alpn;
  struct sockaddr_storage remote;
  socklen_t remote_length;
  GInetSocketAddress *remote_address;
  /* Why our certificate check refused the peer, for the close message. */
  char *refusal;

  GTask *connect_task;
  GSource *cancel_source;

  GHashTable *streams;              /* &EsQuicStream.id → EsQuicStream */
  GQueue sendable;                  /* EsQuicStream * with bytes not yet given to ngtcp2 */
  GQueue datagrams;                 /* GBytes * waiting for a packet */
  guint64 next_datagram_id;

  GQueue events;                    /* Event * waiting for ngtcp2 to return */
  GError *protocol_error;           /* a callback found a malformed message */
  gboolean stateless_reset;

  GBytes *close_packet;             /* resent when the peer keeps talking */
  GError *close_error;
  guint64 close_code;
  gboolean closed_by_peer;
  gboolean closed_emitted;

  EsQuicStats stats;
};

G_DEFINE_FINAL_TYPE (EsQuicConnection, es_quic_connection, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_STATE,
  PROP_REMOTE_ADDRESS,
  N_PROPS
};

enum {
  ESTABLISHED,
  MESSAGE_RECEIVED,
  DATAGRAM_RECEIVED,
  DELIVERED,
  CLOSED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void on_timer (EsTimer  *timer,
                      gpointer  user_data);

/* Streams */

static EsQuicStream *
lookup_stream (EsQuicConnection *self,
               gint64            stream_id)
{
  return g_hash_table_lookup (self->streams, &stream_id);
}

static EsQuicStream *
add_stream (EsQuicConnection *self,
            gint64            stream_id)
{
  EsQuicStream *stream = es_quic_stream_new (stream_id, ngtcp2_is_bidi_stream (stream_id));

  g_hash_table_insert (self->streams, &stream->id, stream);
  return stream;
}

static void
mark_sendable (EsQuicConnection *self,
               EsQuicStream     *stream)
{
  if (stream->sendable || !es_quic_stream_has_unsent (stream))
    return;
  stream->sendable = TRUE;
  g_queue_push_tail (&self->sendable, stream);
}

static void
remove_stream (EsQuicConnection *self,
               gint64            stream_id)
{
  EsQuicStream *stream = lookup_stream (self, stream_id);

  if (stream == NULL)
    return;
  if (stream->sendable)
    g_queue_remove (&self->sendable, stream);
  g_hash_table_remove (self->streams, &stream_id);
}

/* Events */

static void
event_free (Event *event)
{
  g_clear_pointer (&event->message, json_object_unref);
  g_clear_pointer (&event->datagram, g_bytes_unref);
  g_free (event);
}

static void
push_event (EsQuicConnection *self,
            EventKind         kind,
            gint64            stream_id,
            JsonObject       *message,
            GBytes           *datagram)
{
  Event *event = g_new0 (Event, 1);

  event->kind = kind;
  event->stream_id = stream_id;
  event->message = message;
  event->datagram = datagram;
  g_queue_push_tail (&self->events, event);
}

/* State */

static gboolean
is_open (EsQuicConnection *self)
{
  return self->state == ES_QUIC_CONNECTION_STATE_CONNECTING ||
         self->state == ES_QUIC_CONNECTION_STATE_CONNECTED;
}

static void
set_state (EsQuicConnection      *self,
           EsQuicConnectionState  state)
{
  if (self->state == state)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

static void
request_flush (EsQuicConnection *self)
{
  if (self->flush_pending || !is_open (self))
    return;
  self->flush_pending = TRUE;
  _es_quic_endpoint_request_flush (self->endpoint, self);
}

/* The peer moved (a NAT rebinding) and ngtcp2 validated its new address. */
static void
update_remote_address (EsQuicConnection *self)
{
  const ngtcp2_path *path = ngtcp2_conn_get_path (self->conn);

  if (self->remote_address != NULL && path->remote.addrlen == self->remote_length &&
      memcmp (path->remote.addr, &self->remote, self->remote_length) == 0)
    return;

  memcpy (&self->remote, path->remote.addr, path->remote.addrlen);
  self->remote_length = path->remote.addrlen;
  g_clear_object (&self->remote_address);
  self->remote_address = es_udp_address_from_native ((struct sockaddr *) &self->remote,
                                                     self->remote_length);
  push_event (self, EVENT_REMOTE_ADDRESS, -1, NULL, NULL);
}

static void
snapshot_path_statistics (EsQuicConnection *self)
{
  es_ngtcp2_conn_info info;

  es_ngtcp2_conn_get_conn_info (self->conn, &info);
  /* Until the first RTT sample, ngtcp2 reports its 333 ms guess. */
  if (info.min_rtt != UINT64_MAX)
    {
      self->stats.smoothed_rtt_us = info.smoothed_rtt / NGTCP2_MICROSECONDS;
      self->stats.rtt_variance_us = info.rttvar / NGTCP2_MICROSECONDS;
      self->stats.min_rtt_us = info.min_rtt / NGTCP2_MICROSECONDS;
      self->stats.latest_rtt_us = info.latest_rtt / NGTCP2_MICROSECONDS;
    }
  self->stats.congestion_window = info.cwnd;
  self->stats.bytes_in_flight = info.bytes_in_flight;
}

/* Closing */

static void
destroy_cancel_source (EsQuicConnection *self)
{
  if (self->cancel_source == NULL)
    return;
  g_source_destroy (self->cancel_source);
  g_clear_pointer (&self->cancel_source, g_source_unref);
}

static void
release_resources (EsQuicConnection *self)
{
  if (self->conn != NULL)
    snapshot_path_statistics (self);

  for (guint i = 0; self->cids != NULL && i < self->cids->len; i++)
    _es_quic_endpoint_unregister_cid (self->endpoint, &g_array_index (self->cids, ngtcp2_cid, i));
  g_clear_pointer (&self->cids, g_array_unref);
  es_timer_queue_cancel (_es_quic_endpoint_get_timers (self->endpoint), &self->timer);

  destroy_cancel_source (self);
  g_queue_clear (&self->sendable);
  g_clear_pointer (&self->streams, g_hash_table_unref);
  g_queue_clear_full (&self->datagrams, (GDestroyNotify) g_bytes_unref);
  g_queue_clear_full (&self->events, (GDestroyNotify) event_free);
  g_clear_pointer (&self->close_packet, g_bytes_unref);

  g_clear_pointer (&self->conn, ngtcp2_conn_del);
  g_clear_pointer (&self->session, gnutls_deinit);
}

static void
complete_connect_task (EsQuicConnection *self)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->connect_task);

  destroy_cancel_source (self);
  if (task == NULL)
    return;
  if (self->close_error == NULL)
    g_task_return_pointer (task, g_object_ref (self), g_object_unref);
  else if (g_error_matches (self->close_error, ES_QUIC_ERROR, ES_QUIC_ERROR_CANCELLED))
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "%s",
                             self->close_error->message);
  else
    g_task_return_error (task, g_error_copy (self->close_error));
}

/* Records why the connection ends; the first reason wins. */
static void
record_close (EsQuicConnection *self,
              GError           *reason,
              guint64           code,
              gboolean          by_peer)
{
  if (self->close_error != NULL)
    {
      g_error_free (reason);
      return;
    }
  self->close_error = reason;
  self->close_code = code;
  self->closed_by_peer = by_peer;

  if (self->state == ES_QUIC_CONNECTION_STATE_CONNECTING &&
      !g_error_matches (reason, ES_QUIC_ERROR, ES_QUIC_ERROR_CANCELLED))
    _es_quic_endpoint_handshake_failed (self->endpoint);
  g_debug ("connection %p: %s", self, reason->message);
}

static void
emit_closed_if_pending (EsQuicConnection *self)
{
  if (self->close_error == NULL || self->closed_emitted)
    return;
  self->closed_emitted = TRUE;
  g_queue_clear_full (&self->events, (GDestroyNotify) event_free);
  complete_connect_task (self);
  g_signal_emit (self, signals[CLOSED], 0, self->close_error);
}

static void
drop_now (EsQuicConnection *self)
{
  set_state (self, ES_QUIC_CONNECTION_STATE_CLOSING);
  emit_closed_if_pending (self);
  _es_quic_endpoint_remove_connection (self->endpoint, self);
}

/* RFC 9000 §10.2: stay around for three PTOs to absorb (closing) or
 * answer (draining) what the peer still has in flight. */
static void
start_closing_period (EsQuicConnection *self)
{
  ngtcp2_duration pto = ngtcp2_conn_get_pto (self->conn);

  set_state (self, ES_QUIC_CONNECTION_STATE_CLOSING);
  es_timer_queue_schedule (_es_quic_endpoint_get_timers (self->endpoint), &self->timer,
                           es_timer_now () + 3 * pto);
}

static void
send_close_packet (EsQuicConnection *self)
{
  ngtcp2_addr remote = { (ngtcp2_sockaddr *) &self->remote, self->remote_length };

  if (self->close_packet != NULL)
    _es_quic_endpoint_send_packet (self->endpoint, self->probe, &remote,
                                   g_bytes_get_data (self->close_packet, NULL),
                                   g_bytes_get_size (self->close_packet));
}

/* Sends CONNECTION_CLOSE and keeps the packet to repeat it. */
static void
close_with (EsQuicConnection      *self,
            const es_ngtcp2_ccerr *ccerr,
            GError                *reason,
            guint64                code)
{
  ngtcp2_path_storage path;
  ngtcp2_pkt_info info = { 0 };
  gsize size;
  guint8 *buffer = _es_quic_endpoint_get_send_buffer (self->endpoint, &size);
  ngtcp2_ssize written;

  record_close (self, reason, code, FALSE);
  if (!is_open (self))
    return;

  /* A peer that is draining has closed already and must not hear more. */
  ngtcp2_path_storage_zero (&path);
  written = ngtcp2_conn_is_in_draining_period (self->conn) ? 0 :
            ngtcp2_conn_write_connection_close (self->conn, &path.path, &info, buffer, size,
                                                ccerr, es_timer_now ());
  if (written > 0)
    {
      self->close_packet = g_bytes_new (buffer, written);
      memcpy (&self->remote, path.path.remote.addr, path.path.remote.addrlen);
      self->remote_length = path.path.remote.addrlen;
      send_close_packet (self);
    }
  start_closing_period (self);
}

/* @phrase goes to the peer as the reason phrase of CONNECTION_CLOSE. */
static void
close_with_application_error (EsQuicConnection *self,
                              guint64           code,
                              const char       *phrase,
                              GError           *reason)
{
  es_ngtcp2_ccerr ccerr;
  gsize length = phrase != NULL ? MIN (strlen (phrase), MAX_REASON_PHRASE) : 0;

  es_ngtcp2_ccerr_default (&ccerr);
  es_ngtcp2_ccerr_set_application_error (&ccerr, code, (const uint8_t *) phrase, length);
  close_with (self, &ccerr, reason, code);
}

static char *
describe_peer_close (EsQuicConnection      *self,
                     const es_ngtcp2_ccerr *ccerr,
                     EsQuicError           *kind,
                     guint64               *code)
{
  g_autofree char *phrase = NULL;
  g_autofree char *what = NULL;

  if (self->stateless_reset)
    {
      *kind = ES_QUIC_ERROR_TRANSPORT;
      *code = 0;
      return g_strdup ("the peer reset the connection (stateless reset): it no longer knows it");
    }

  if (ccerr->type == ES_NGTCP2_CCERR_TYPE_APPLICATION)
    {
      *kind = ES_QUIC_ERROR_APPLICATION;
      *code = ccerr->error_code;
      what = g_strdup_printf ("application error %" G_GUINT64_FORMAT " (%s)",
                              ccerr->error_code, es_quic_app_error_to_string (ccerr->error_code));
    }
  else if ((ccerr->error_code & ~G_GUINT64_CONSTANT (0xff)) == NGTCP2_CRYPTO_ERROR)
    {
      guint8 alert = ccerr->error_code & 0xff;

      *kind = ES_QUIC_ERROR_TLS_ALERT;
      *code = alert;
      what = g_strdup_printf ("TLS alert %u (%s)", alert, es_quic_tls_alert_to_string (alert));
    }
  else
    {
      *kind = ES_QUIC_ERROR_TRANSPORT;
      *code = ccerr->error_code;
      what = g_strdup_printf ("transport error 0x%" G_GINT64_MODIFIER "x (%s)",
                              ccerr->error_code,
                              es_quic_transport_error_to_string (ccerr->error_code));
    }

  /* The reason phrase is the peer's: show it only if it is clean text. */
  if (ccerr->reasonlen > 0 && g_utf8_validate ((const char *) ccerr->reason, ccerr->reasonlen, NULL))
    {
      phrase = g_strndup ((const char *) ccerr->reason, ccerr->reasonlen);
      for (char *c = phrase; *c != '\0'; c++)
        if (g_ascii_iscntrl (*c))
          *c = ' ';
    }
  return g_strdup_printf ("the peer closed the connection: %s%s%s", what,
                          phrase != NULL ? ": " : "", phrase != NULL ? phrase : "");
}

static void
handle_peer_close (EsQuicConnection *self)
{
  es_ngtcp2_ccerr ccerr;
  EsQuicError kind;
  guint64 code;
  g_autofree char *message = NULL;

  es_ngtcp2_conn_get_ccerr (self->conn, &ccerr);
  message = describe_peer_close (self, &ccerr, &kind, &code);
  record_close (self, g_error_new_literal (ES_QUIC_ERROR, kind, message), code, TRUE);
  start_closing_period (self);
}

/* When our own certificate check refused the peer, the error says so
 * (ES_QUIC_ERROR_PEER_VERIFICATION): the caller may treat a key that is not
 * the pinned one differently from a handshake that merely failed. */
static void
handle_tls_failure (EsQuicConnection *self)
{
  guint8 alert = ngtcp2_conn_get_tls_alert (self->conn);
  const char *why = self->refusal;
  EsQuicError kind = self->refusal != NULL ? ES_QUIC_ERROR_PEER_VERIFICATION
                                           : ES_QUIC_ERROR_TLS_ALERT;
  es_ngtcp2_ccerr ccerr;

  if (alert == 0)
    alert = 80; /* internal_error: GnuTLS failed without naming an alert */
  if (why == NULL && alert == 116)
    why = "the client presented no certificate";
  if (why == NULL && alert == 120)
    why = "no application protocol (ALPN) in common";
  if (why == NULL)
    why = "the TLS handshake failed";

  es_ngtcp2_ccerr_default (&ccerr);
  es_ngtcp2_ccerr_set_tls_alert (&ccerr, alert, NULL, 0);
  close_with (self, &ccerr,
              g_error_new (ES_QUIC_ERROR, kind, "TLS alert %u (%s): %s",
                           alert, es_quic_tls_alert_to_string (alert), why),
              alert);
}

static void
handle_transport_failure (EsQuicConnection *self,
                          int               liberr)
{
  es_ngtcp2_ccerr ccerr;

  es_ngtcp2_ccerr_default (&ccerr);
  es_ngtcp2_ccerr_set_liberr (&ccerr, liberr, NULL, 0);
  close_with (self, &ccerr,
              g_error_new (ES_QUIC_ERROR, ES_QUIC_ERROR_TRANSPORT,
                           "we closed the connection: transport error 0x%" G_GINT64_MODIFIER "x (%s): %s",
                           ccerr.error_code, es_quic_transport_error_to_string (ccerr.error_code),
                           ngtcp2_strerror (liberr)),
              ccerr.error_code);
}

static void
handle_protocol_violation (EsQuicConnection *self)
{
  g_autoptr(GError) violation = g_steal_pointer (&self->protocol_error);

  close_with_application_error (self, ES_QUIC_APP_PROTOCOL_VIOLATION, "malformed message",
                                g_error_new (ES_QUIC_ERROR, ES_QUIC_ERROR_APPLICATION,
                                             "we closed the connection: application error %d "
                                             "(protocol violation): %s",
                                             ES_QUIC_APP_PROTOCOL_VIOLATION, violation->message));
}

static void
handle_ngtcp2_error (EsQuicConnection *self,
                     int               liberr)
{
  switch (liberr)
    {
    case NGTCP2_ERR_DRAINING:
      handle_peer_close (self);
      break;
    case NGTCP2_ERR_CRYPTO:
      handle_tls_failure (self);
      break;
    case NGTCP2_ERR_DROP_CONN:
    case NGTCP2_ERR_RETRY:
      record_close (self, g_error_new_literal (ES_QUIC_ERROR, ES_QUIC_ERROR_FAILED,
                                               "the peer's first packet was not acceptable"),
                    0, FALSE);
      drop_now (self);
      break;
    case NGTCP2_ERR_IDLE_CLOSE:
      record_close (self, g_error_new (ES_QUIC_ERROR, ES_QUIC_ERROR_IDLE_TIMEOUT,
                                       "nothing came from the peer for %u ms (idle timeout)",
                                       self->settings.idle_timeout_ms),
                    0, FALSE);
      drop_now (self);
      break;
    case NGTCP2_ERR_HANDSHAKE_TIMEOUT:
      record_close (self, g_error_new (ES_QUIC_ERROR, ES_QUIC_ERROR_HANDSHAKE_TIMEOUT,
                                       "the handshake did not complete within %u ms",
                                       self->settings.handshake_timeout_ms),
                    0, FALSE);
      drop_now (self);
      break;
    default:
      if (self->protocol_error != NULL)
        handle_protocol_violation (self);
      else
        handle_transport_failure (self, liberr);
      break;
    }
}

/* After ngtcp2 returns */

static void
dispatch_handshake_done (EsQuicConnection *self)
{
  set_state (self, ES_QUIC_CONNECTION_STATE_CONNECTED);
  if (self->is_server)
    _es_quic_endpoint_accepted (self->endpoint, self);
  else
    complete_connect_task (self);
  if (self->state == ES_QUIC_CONNECTION_STATE_CONNECTED)
    g_signal_emit (self, signals[ESTABLISHED], 0);
}

static void
dispatch_events (EsQuicConnection *self)
{
  Event *event;

  while (!self->closed_emitted && (event = g_queue_pop_head (&self->events)) != NULL)
    {
      switch (event->kind)
        {
        case EVENT_HANDSHAKE_DONE:
          dispatch_handshake_done (self);
          break;
        case EVENT_MESSAGE:
          g_signal_emit (self, signals[MESSAGE_RECEIVED], 0, event->stream_id, event->message);
          break;
        case EVENT_DATAGRAM:
          g_signal_emit (self, signals[DATAGRAM_RECEIVED], 0, event->datagram);
          break;
        case EVENT_DELIVERED:
          g_signal_emit (self, signals[DELIVERED], 0);
          break;
        case EVENT_REMOTE_ADDRESS:
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REMOTE_ADDRESS]);
          break;
        default:
          g_assert_not_reached ();
        }
      event_free (event);
    }
}

static void
after_ngtcp2_call (EsQuicConnection *self)
{
  dispatch_events (self);
  emit_closed_if_pending (self);
}

/* ngtcp2 callbacks: record, never write */

static ngtcp2_conn *
get_conn (ngtcp2_crypto_conn_ref *conn_ref)
{
  EsQuicConnection *self = conn_ref->user_data;

  return self->conn;
}

static void
generate_random (uint8_t                *dest,
                 size_t                  length,
                 const ngtcp2_rand_ctx  *rand_ctx)
{
  gnutls_rnd (GNUTLS_RND_NONCE, dest, length);
}

static int
on_get_new_connection_id (ngtcp2_conn *conn,
                          ngtcp2_cid  *cid,
                          uint8_t     *token,
                          size_t       cidlen,
                          void        *user_data)
{
  EsQuicConnection *self = user_data;

  g_assert (cidlen == ES_QUIC_CID_LENGTH);
  _es_quic_endpoint_issue_cid (self->endpoint, self, cid, token);
  g_array_append_val (self->cids, *cid);
  return 0;
}

static int
on_remove_connection_id (ngtcp2_conn      *conn,
                         const ngtcp2_cid *cid,
                         void             *user_data)
{
  EsQuicConnection *self = user_data;

  for (guint i = 0; i < self->cids->len; i++)
    if (ngtcp2_cid_eq (&g_array_index (self->cids, ngtcp2_cid, i), cid))
      {
        _es_quic_endpoint_unregister_cid (self->endpoint, cid);
        g_array_remove_index_fast (self->cids, i);
        break;
      }
  return 0;
}

static int
on_handshake_completed (ngtcp2_conn *conn,
                        void        *user_data)
{
  EsQuicConnection *self = user_data;
  gnutls_datum_t protocol = { NULL, 0 };

  if (gnutls_alpn_get_selected_protocol (self->session, &protocol) == 0)
    self->alpn = g_strndup ((const char *) protocol.data, protocol.size);

  /* A server knows the client's certificate was checked: it is accepted. A
   * client waits for HANDSHAKE_DONE, because the server checks the client's
   * certificate only after the client has finished. */
  if (self->is_server)
    push_event (self, EVENT_HANDSHAKE_DONE, -1, NULL, NULL);
  return 0;
}

static int
on_handshake_confirmed (ngtcp2_conn *conn,
                        void        *user_data)
{
  EsQuicConnection *self = user_data;

  if (!self->is_server)
    push_event (self, EVENT_HANDSHAKE_DONE, -1, NULL, NULL);
  return 0;
}

static int
decode_stream_data (EsQuicConnection *self,
                    EsQuicStream     *stream,
                    const uint8_t    *data,
                    size_t            length,
                    gboolean          fin)
{
  gboolean valid;
  JsonObject *message;

  valid = es_message_decoder_feed (stream->decoder, data, length, &self->protocol_error) &&
          (!fin || es_message_decoder_finish (stream->decoder, &self->protocol_error));

  /* The messages before a bad one are still delivered, in order. */
  while ((message = es_message_decoder_pop (stream->decoder)) != NULL)
    push_event (self, EVENT_MESSAGE, stream->id, message, NULL);
  return valid ? 0 : NGTCP2_ERR_CALLBACK_FAILURE;
}

static int
on_recv_stream_data (ngtcp2_conn   *conn,
                     uint32_t       flags,
                     int64_t        stream_id,
                     uint64_t       offset,
                     const uint8_t *data,
                     size_t         length,
                     void          *user_data,
                     void          *stream_user_data)
{
  EsQuicConnection *self = user_data;
  EsQuicStream *stream = lookup_stream (self, stream_id);

  if (stream == NULL && !ngtcp2_conn_is_local_stream (conn, stream_id))
    stream = add_stream (self, stream_id);

  if (stream != NULL && stream->decoder != NULL &&
      decode_stream_data (self, stream, data, length, flags & NGTCP2_STREAM_DATA_FLAG_FIN) != 0)
    return NGTCP2_ERR_CALLBACK_FAILURE;

  /* The data is consumed: give the peer its credit back. */
  ngtcp2_conn_extend_max_stream_offset (conn, stream_id, length);
  ngtcp2_conn_extend_max_offset (conn, length);
  return 0;
}

static int
on_acked_stream_data_offset (ngtcp2_conn *conn,
                             int64_t      stream_id,
                             uint64_t     offset,
                             uint64_t     length,
                             void        *user_data,
                             void        *stream_user_data)
{
  EsQuicConnection *self = user_data;
  EsQuicStream *stream = lookup_stream (self, stream_id);

  if (stream != NULL)
    es_quic_stream_acknowledged (stream, offset + length);
  if (!es_quic_connection_has_undelivered (self))
    push_event (self, EVENT_DELIVERED, -1, NULL, NULL);
  return 0;
}

static int
on_stream_close (ngtcp2_conn *conn,
                 uint32_t     flags,
                 int64_t      stream_id,
                 uint64_t     app_error_code,
                 void        *user_data,
                 void        *stream_user_data)
{
  EsQuicConnection *self = user_data;

  remove_stream (self, stream_id);
  if (!ngtcp2_conn_is_local_stream (conn, stream_id))
    {
      if (ngtcp2_is_bidi_stream (stream_id))
        ngtcp2_conn_extend_max_streams_bidi (conn, 1);
      else
        ngtcp2_conn_extend_max_streams_uni (conn, 1);
    }
  return 0;
}

static int
on_recv_datagram (ngtcp2_conn   *conn,
                  uint32_t       flags,
                  const uint8_t *data,
                  size_t         length,
                  void          *user_data)
{
  EsQuicConnection *self = user_data;

  self->stats.datagrams_received++;
  push_event (self, EVENT_DATAGRAM, -1, NULL, g_bytes_new (data, length));
  return 0;
}

static int
on_lost_datagram (ngtcp2_conn *conn,
                  uint64_t     datagram_id,
                  void        *user_data)
{
  EsQuicConnection *self = user_data;

  self->stats.datagrams_lost++;
  return 0;
}

static int
on_recv_stateless_reset (ngtcp2_conn                      *conn,
                         const ngtcp2_pkt_stateless_reset *reset,
                         void                             *user_data)
{
  EsQuicConnection *self = user_data;

  self->stateless_reset = TRUE;
  return 0;
}

static void
init_callbacks (ngtcp2_callbacks *callbacks,
                gboolean          is_server)
{
  memset (callbacks, 0, sizeof *callbacks);
  if (is_server)
    callbacks->recv_client_initial = ngtcp2_crypto_recv_client_initial_cb;
  else
    {
      callbacks->client_initial = ngtcp2_crypto_client_initial_cb;
      callbacks->recv_retry = ngtcp2_crypto_recv_retry_cb;
    }
  callbacks->recv_crypto_data = ngtcp2_crypto_recv_crypto_data_cb;
  callbacks->encrypt = ngtcp2_crypto_encrypt_cb;
  callbacks->decrypt = ngtcp2_crypto_decrypt_cb;
  callbacks->hp_mask = ngtcp2_crypto_hp_mask_cb;
  callbacks->update_key = ngtcp2_crypto_update_key_cb;
  callbacks->delete_crypto_aead_ctx = ngtcp2_crypto_delete_crypto_aead_ctx_cb;
  callbacks->delete_crypto_cipher_ctx = ngtcp2_crypto_delete_crypto_cipher_ctx_cb;
  callbacks->get_path_challenge_data = ngtcp2_crypto_get_path_challenge_data_cb;
  callbacks->version_negotiation = ngtcp2_crypto_version_negotiation_cb;
  callbacks->rand = generate_random;
  callbacks->get_new_connection_id = on_get_new_connection_id;
  callbacks->remove_connection_id = on_remove_connection_id;
  callbacks->handshake_completed = on_handshake_completed;
  callbacks->handshake_confirmed = on_handshake_confirmed;
  callbacks->recv_stream_data = on_recv_stream_data;
  callbacks->acked_stream_data_offset = on_acked_stream_data_offset;
  callbacks->stream_close = on_stream_close;
  callbacks->recv_datagram = on_recv_datagram;
  callbacks->lost_datagram = on_lost_datagram;
  callbacks->recv_stateless_reset = on_recv_stateless_reset;
}

/* TLS: the certificate check is the only authority (GnuTLS checks no chain
 * here), so it is strict: exactly one certificate, judged by its key. */

static void
refuse (EsQuicConnection *self,
        char             *why)
{
  g_free (self->refusal);
  self->refusal = why;
}

/* "the pinned fingerprint xxxx:…" or "the pinned SPKI hash 0a1b…" */
static char *
describe_pin (EsPeerPin *pin)
{
  g_autofree char *text = es_peer_pin_to_string (pin);

  if (es_peer_pin_get_kind (pin) == ES_PEER_PIN_SPKI_SHA256)
    return g_strdup_printf ("SPKI hash %s", strchr (text, ':') + 1);
  return g_strdup_printf ("fingerprint %s", text);
}

static int
check_server_certificate (EsQuicConnection     *self,
                          const gnutls_datum_t *certificate)
{
  g_autoptr(GError) error = NULL;
  guint8 public_key[ES_ED25519_PUBLIC_KEY_SIZE];
  g_autofree char *pinned = NULL;
  g_autofree char *actual = NULL;
  char *fingerprint = NULL;

  if (es_peer_pin_check (self->pin, certificate->data, certificate->size, &fingerprint, &error))
    {
      self->peer_fingerprint = fingerprint;
      return 0;
    }

  if (es_peer_pin_get_kind (self->pin) == ES_PEER_PIN_TRUST_ON_FIRST_USE)
    {
      refuse (self, g_strdup_printf ("the server's certificate is refused: %s", error->message));
      return -1;
    }
  pinned = describe_pin (self->pin);
  if (es_certificate_get_ed25519_key (certificate->data, certificate->size, public_key, NULL))
    actual = es_fingerprint_for_public_key (public_key);
  refuse (self, g_strdup_printf ("the server's key does not match the pinned %s%s%s", pinned,
                                 actual != NULL ? "; the server is " : "",
                                 actual != NULL ? actual : ""));
  return -1;
}

static int
check_client_certificate (EsQuicConnection     *self,
                          const gnutls_datum_t *certificate)
{
  guint8 public_key[ES_ED25519_PUBLIC_KEY_SIZE];
  g_autoptr(GError) error = NULL;
  g_autofree char *fingerprint = NULL;

  if (!es_certificate_get_ed25519_key (certificate->data, certificate->size, public_key, &error))
    {
      refuse (self, g_strdup_printf ("the client's certificate is refused: %s", error->message));
      return -1;
    }
  fingerprint = es_fingerprint_for_public_key (public_key);
  if (!_es_quic_endpoint_authorize (self->endpoint, fingerprint, self->remote_address))
    {
      refuse (self, g_strdup_printf ("the client %s is not authorised", fingerprint));
      return -1;
    }
  self->peer_fingerprint = g_steal_pointer (&fingerprint);
  return 0;
}

static int
verify_peer_certificate (gnutls_session_t session)
{
  ngtcp2_crypto_conn_ref *conn_ref = gnutls_session_get_ptr (session);
  EsQuicConnection *self = conn_ref->user_data;
  unsigned int count = 0;
  const gnutls_datum_t *certificates = gnutls_certificate_get_peers (session, &count);

  if (certificates == NULL || count != 1)
    {
      refuse (self, g_strdup_printf ("the peer presented %u certificates, not exactly one", count));
      return -1;
    }
  return self->is_server ? check_client_certificate (self, &certificates[0])
                         : check_server_certificate (self, &certificates[0]);
}

static gboolean
set_up_tls (EsQuicConnection *self,
            GError          **error)
{
  guint n_protocols = 0;
  const gnutls_datum_t *protocols = _es_quic_endpoint_get_alpn (self->endpoint, &n_protocols);
  /* No session tickets from a server: Earshot never resumes sessions. */
  unsigned int flags = self->is_server ? GNUTLS_SERVER | GNUTLS_NO_TICKETS : GNUTLS_CLIENT;
  int ret;

  ret = gnutls_init (&self->session, flags);
  if (ret == 0)
    ret = gnutls_priority_set (self->session, _es_quic_endpoint_get_priority (self->endpoint));
  if (ret == 0 && (self->is_server ? ngtcp2_crypto_gnutls_configure_server_session (self->session)
                                   : ngtcp2_crypto_gnutls_configure_client_session (self->session)) != 0)
    ret = GNUTLS_E_INTERNAL_ERROR;
  if (ret == 0)
    ret = gnutls_credentials_set (self->session, GNUTLS_CRD_CERTIFICATE,
                                  self->identity != NULL
                                  ? es_identity_get_tls_credentials (self->identity)
                                  : _es_quic_endpoint_get_credentials (self->endpoint));
  if (ret == 0)
    ret = gnutls_alpn_set_protocols (self->session, protocols, n_protocols,
                                     GNUTLS_ALPN_MANDATORY |
                                     (self->is_server ? GNUTLS_ALPN_SERVER_PRECEDENCE : 0));
  if (ret != 0)
    {
      g_set_error (error, ES_QUIC_ERROR, ES_QUIC_ERROR_FAILED,
                   "cannot set up TLS: %s", gnutls_strerror (ret));
      return FALSE;
    }

  if (self->is_server)
    gnutls_certificate_server_set_request (self->session, GNUTLS_CERT_REQUIRE);
  gnutls_session_set_verify_function (self->session, verify_peer_certificate);

  /* The crypto helper expects an ngtcp2_crypto_conn_ref here. */
  self->conn_ref.get_conn = get_conn;
  self->conn_ref.user_data = self;
  gnutls_session_set_ptr (self->session, &self->conn_ref);
  ngtcp2_conn_set_tls_native_handle (self->conn, self->session);
  return TRUE;
}

/* Creation */

static void
init_settings (EsQuicConnection *self,
               ngtcp2_settings  *settings)
{
  ngtcp2_settings_default (settings);
  settings->initial_ts = es_timer_now ();
  settings->handshake_timeout = (guint64) self->settings.handshake_timeout_ms * NGTCP2_MILLISECONDS;
}

static void
init_transport_params (EsQuicConnection        *self,
                       ngtcp2_transport_params *params)
{
  ngtcp2_transport_params_default (params);
  params->initial_max_stream_data_bidi_local = STREAM_WINDOW;
  params->initial_max_stream_data_bidi_remote = STREAM_WINDOW;
  params->initial_max_stream_data_uni = STREAM_WINDOW;
  params->initial_max_data = CONNECTION_WINDOW;
  params->initial_max_streams_bidi = MAX_BIDI_STREAMS;
  params->initial_max_streams_uni = MAX_UNI_STREAMS;
  params->max_idle_timeout = (guint64) self->settings.idle_timeout_ms * NGTCP2_MILLISECONDS;
  params->max_udp_payload_size = ES_UDP_MAX_PACKET_SIZE;
  params->max_datagram_frame_size = MAX_DATAGRAM_FRAME_SIZE;
}

static EsQuicConnection *
connection_new (EsQuicEndpoint                 *endpoint,
                const ngtcp2_path              *path,
                gboolean                        is_server,
                const EsQuicConnectionSettings *settings)
{
  EsQuicConnection *self = g_object_new (ES_TYPE_QUIC_CONNECTION, NULL);

  self->endpoint = g_object_ref (endpoint);
  self->probe = path->user_data;
  self->is_server = is_server;
  self->settings = *settings;
  es_timer_init (&self->timer, on_timer, self);
  memcpy (&self->remote, path->remote.addr, path->remote.addrlen);
  self->remote_length = path->remote.addrlen;
  self->remote_address = es_udp_address_from_native ((struct sockaddr *) &self->remote,
                                                     self->remote_length);
  return self;
}

static gboolean
finish_setup (EsQuicConnection *self,
              GError          **error)
{
  if (!set_up_tls (self, error))
    return FALSE;
  if (self->settings.keepalive_interval_ms > 0)
    ngtcp2_conn_set_keep_alive_timeout (self->conn, (guint64) self->settings.keepalive_interval_ms *
                                                    NGTCP2_MILLISECONDS);
  return TRUE;
}

static gboolean
check_ngtcp2 (int      liberr,
              GError **error)
{
  if (liberr == 0)
    return TRUE;
  g_set_error (error, ES_QUIC_ERROR, ES_QUIC_ERROR_FAILED,
               "cannot create a QUIC connection: %s", ngtcp2_strerror (liberr));
  return FALSE;
}

EsQuicConnection *
_es_quic_connection_new_client (EsQuicEndpoint                 *endpoint,
                                const ngtcp2_path              *path,
                                EsPeerPin                      *pin,
                                EsIdentity                     *identity,
                                const EsQuicConnectionSettings *settings,
                                GError                        **error)
{
  g_autoptr(EsQuicConnection) self = connection_new (endpoint, path, FALSE, settings);
  ngtcp2_callbacks callbacks;
  ngtcp2_settings ngtcp2_settings;
  ngtcp2_transport_params params;
  ngtcp2_cid dcid, scid;

  self->pin = es_peer_pin_ref (pin);
  self->identity = identity != NULL ? g_object_ref (identity) : NULL;

  dcid.datalen = INITIAL_DCID_LENGTH;
  gnutls_rnd (GNUTLS_RND_NONCE, dcid.data, dcid.datalen);
  _es_quic_endpoint_issue_cid (endpoint, self, &scid, NULL);
  g_array_append_val (self->cids, scid);

  init_callbacks (&callbacks, FALSE);
  init_settings (self, &ngtcp2_settings);
  init_transport_params (self, &params);
  if (!check_ngtcp2 (ngtcp2_conn_client_new (&self->conn, &dcid, &scid, path, NGTCP2_PROTO_VER_V1,
                                             &callbacks, &ngtcp2_settings, &params, NULL, self),
                     error) ||
      !finish_setup (self, error))
    return NULL;
  return g_steal_pointer (&self);
}

EsQuicConnection *
_es_quic_connection_new_server (EsQuicEndpoint                 *endpoint,
                                const ngtcp2_path              *path,
                                const ngtcp2_pkt_hd            *initial,
                                const EsQuicConnectionSettings *settings,
                                GError                        **error)
{
  g_autoptr(EsQuicConnection) self = connection_new (endpoint, path, TRUE, settings);
  ngtcp2_callbacks callbacks;
  ngtcp2_settings ngtcp2_settings;
  ngtcp2_transport_params params;
  ngtcp2_cid scid;

  init_callbacks (&callbacks, TRUE);
  init_settings (self, &ngtcp2_settings);
  init_transport_params (self, &params);

  /* The client's Initials keep using the ID it chose until it learns ours:
   * route both here. */
  _es_quic_endpoint_register_cid (endpoint, &initial->dcid, self);
  g_array_append_val (self->cids, initial->dcid);
  _es_quic_endpoint_issue_cid (endpoint, self, &scid, params.stateless_reset_token);
  g_array_append_val (self->cids, scid);
  params.stateless_reset_token_present = 1;
  ES_NGTCP2_SET_ORIGINAL_DCID (&params, &initial->dcid);

  if (!check_ngtcp2 (ngtcp2_conn_server_new (&self->conn, &initial->scid, &scid, path,
                                             initial->version, &callbacks, &ngtcp2_settings,
                                             &params, NULL, self),
                     error) ||
      !finish_setup (self, error))
    return NULL;
  return g_steal_pointer (&self);
}

/* Timer, reading and writing */

static void
handle_timer (EsQuicConnection *self)
{
  int rv;

  if (self->state == ES_QUIC_CONNECTION_STATE_CLOSING)
    {
      _es_quic_endpoint_remove_connection (self->endpoint, self);
      return;
    }
  if (!is_open (self))
    return;

  rv = ngtcp2_conn_handle_expiry (self->conn, es_timer_now ());
  if (rv != 0)
    handle_ngtcp2_error (self, rv);
  after_ngtcp2_call (self);
  _es_quic_connection_flush (self);
}

/* The handlers of what happens may drop every other reference. */
static void
on_timer (EsTimer  *timer,
          gpointer  user_data)
{
  EsQuicConnection *self = g_object_ref (user_data);

  handle_timer (self);
  g_object_unref (self);
}

static void
update_timer (EsQuicConnection *self)
{
  if (!is_open (self))
    return;
  es_timer_queue_schedule (_es_quic_endpoint_get_timers (self->endpoint), &self->timer,
                           ngtcp2_conn_get_expiry (self->conn));
}

static void
receive_packet (EsQuicConnection  *self,
                const ngtcp2_path *path,
                const guint8      *data,
                gsize              length)
{
  ngtcp2_pkt_info info = { 0 };
  int rv;

  if (self->state == ES_QUIC_CONNECTION_STATE_CLOSING)
    {
      /* The peer has not seen our CONNECTION_CLOSE yet (RFC 9000 §10.2.1). */
      send_close_packet (self);
      return;
    }
  if (!is_open (self))
    return;

  self->stats.packets_received++;
  self->stats.bytes_received += length;
  rv = ngtcp2_conn_read_pkt (self->conn, path, &info, data, length, es_timer_now ());
  if (rv != 0)
    handle_ngtcp2_error (self, rv);
  else
    update_remote_address (self);
  after_ngtcp2_call (self);
  request_flush (self);
}

void
_es_quic_connection_receive (EsQuicConnection  *self,
                             const ngtcp2_path *path,
                             const guint8      *data,
                             gsize              length)
{
  g_object_ref (self);
  receive_packet (self, path, data, length);
  g_object_unref (self);
}

static EsQuicStream *
next_sendable_stream (EsQuicConnection *self)
{
  EsQuicStream *stream;

  while ((stream = g_queue_peek_head (&self->sendable)) != NULL)
    {
      if (es_quic_stream_has_unsent (stream))
        return stream;
      stream->sendable = FALSE;
      g_queue_pop_head (&self->sendable);
    }
  return NULL;
}

/* One call that may add frames to the packet being built. Returns what
 * ngtcp2 returned: a packet length, 0, or an error. */
static ngtcp2_ssize
write_datagram (EsQuicConnection *self,
                ngtcp2_path      *path,
                guint8           *buffer,
                gsize             size,
                ngtcp2_tstamp     now)
{
  GBytes *datagram = g_queue_peek_head (&self->datagrams);
  gsize length = 0;
  const guint8 *data = g_bytes_get_data (datagram, &length);
  ngtcp2_vec vector = { (uint8_t *) data, length };
  ngtcp2_pkt_info info = { 0 };
  int accepted = 0;
  ngtcp2_ssize written;

  written = ngtcp2_conn_writev_datagram (self->conn, path, &info, buffer, size, &accepted,
                                         self->settings.coalesce_datagrams ?
                                         NGTCP2_WRITE_DATAGRAM_FLAG_MORE : 0,
                                         self->next_datagram_id, &vector, 1, now);
  /* Decide on accepted, not on the length: a full packet may come back
   * without the datagram, which then goes into the next one. */
  if (accepted)
    {
      g_bytes_unref (g_queue_pop_head (&self->datagrams));
      self->next_datagram_id++;
      self->stats.datagrams_sent++;
    }
  return written;
}

static ngtcp2_ssize
write_stream (EsQuicConnection *self,
              EsQuicStream     *stream,
              GQueue           *blocked,
              ngtcp2_path      *path,
              guint8           *buffer,
              gsize             size,
              ngtcp2_tstamp     now)
{
  ngtcp2_vec vectors[MAX_STREAM_VECTORS];
  gsize count = es_quic_stream_unsent_vectors (stream, vectors, G_N_ELEMENTS (vectors));
  ngtcp2_pkt_info info = { 0 };
  ngtcp2_ssize consumed = -1;
  ngtcp2_ssize written;

  written = ngtcp2_conn_writev_stream (self->conn, path, &info, buffer, size, &consumed,
                                       NGTCP2_WRITE_STREAM_FLAG_MORE, stream->id,
                                       vectors, count, now);
  if (consumed > 0)
    es_quic_stream_sent (stream, consumed);

  switch (written)
    {
    case NGTCP2_ERR_STREAM_DATA_BLOCKED:
    case NGTCP2_ERR_STREAM_SHUT_WR:
    case NGTCP2_ERR_STREAM_NOT_FOUND:
      /* Flow control (or the stream's end): try again after the peer's next
       * packet; other streams may still fill this one. */
      g_queue_pop_head (&self->sendable);
      g_queue_push_tail (blocked, stream);
      return NGTCP2_ERR_WRITE_MORE;
    default:
      /* Round robin between streams, one packet at a time. */
      if (written > 0 && g_queue_peek_head (&self->sendable) == stream)
        g_queue_push_tail (&self->sendable, g_queue_pop_head (&self->sendable));
      return written;
    }
}

static void
drop_oversized_datagrams (EsQuicConnection *self,
                          gsize             max_size)
{
  GBytes *first;

  /* The path may have shrunk since they were queued. */
  while ((first = g_queue_peek_head (&self->datagrams)) != NULL &&
         g_bytes_get_size (first) > max_size)
    {
      g_bytes_unref (g_queue_pop_head (&self->datagrams));
      self->stats.datagrams_dropped++;
    }
}

static void
write_packets (EsQuicConnection *self)
{
  ngtcp2_path_storage path;
  GQueue blocked = G_QUEUE_INIT;
  gsize size = 0;
  guint8 *buffer = _es_quic_endpoint_get_send_buffer (self->endpoint, &size);
  ngtcp2_tstamp now = es_timer_now ();
  guint packets = 0;
  EsQuicStream *stream;

  self->flush_pending = FALSE;
  if (!is_open (self))
    return;

  _es_quic_endpoint_cork (self->endpoint);
  size = MIN (size, ngtcp2_conn_get_max_tx_udp_payload_size (self->conn));
  drop_oversized_datagrams (self, es_quic_connection_get_max_datagram_size (self));
  ngtcp2_path_storage_zero (&path);

  while (packets < MAX_PACKETS_PER_FLUSH)
    {
      ngtcp2_ssize written;

      if (self->state == ES_QUIC_CONNECTION_STATE_CONNECTED && !g_queue_is_empty (&self->datagrams))
        written = write_datagram (self, &path.path, buffer, size, now);
      else if ((stream = next_sendable_stream (self)) != NULL)
        written = write_stream (self, stream, &blocked, &path.path, buffer, size, now);
      else
        written = ngtcp2_conn_write_pkt (self->conn, &path.path, NULL, buffer, size, now);

      if (written == NGTCP2_ERR_WRITE_MORE)
        continue;
      if (written < 0)
        {
          handle_ngtcp2_error (self, (int) written);
          break;
        }
      if (written == 0)
        break;

      self->stats.packets_sent++;
      self->stats.bytes_sent += written;
      _es_quic_endpoint_send_packet (self->endpoint, self->probe, &path.path.remote, buffer,
                                     written);
      packets++;
    }

  while ((stream = g_queue_pop_head (&blocked)) != NULL)
    g_queue_push_tail (&self->sendable, stream);
  _es_quic_endpoint_uncork (self->endpoint);

  if (!is_open (self))
    return;
  if (es_ngtcp2_conn_may_pace (self->conn))
    ngtcp2_conn_update_pkt_tx_time (self->conn, now);
  if (packets == MAX_PACKETS_PER_FLUSH)
    request_flush (self);
  update_timer (self);
}

void
_es_quic_connection_flush (EsQuicConnection *self)
{
  g_object_ref (self);
  write_packets (self);
  g_object_unref (self);
}

static gboolean
on_cancelled (GCancellable *cancellable,
              gpointer      user_data)
{
  EsQuicConnection *self = g_object_ref (user_data);

  g_clear_pointer (&self->cancel_source, g_source_unref);
  if (is_open (self))
    {
      close_with_application_error (self, ES_QUIC_APP_NO_ERROR, "cancelled",
                                    g_error_new_literal (ES_QUIC_ERROR, ES_QUIC_ERROR_CANCELLED,
                                                         "the connection attempt was cancelled"));
      emit_closed_if_pending (self);
    }
  g_object_unref (self);
  return G_SOURCE_REMOVE;
}

void
_es_quic_connection_start (EsQuicConnection *self,
                           GTask            *task)
{
  GCancellable *cancellable = g_task_get_cancellable (task);

  self->connect_task = g_object_ref (task);
  if (cancellable != NULL)
    {
      self->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (self->cancel_source, G_SOURCE_FUNC (on_cancelled), self, NULL);
      g_source_attach (self->cancel_source, _es_quic_endpoint_get_context (self->endpoint));
    }
  request_flush (self);
}

void
_es_quic_connection_detach (EsQuicConnection *self)
{
  release_resources (self);
  set_state (self, ES_QUIC_CONNECTION_STATE_CLOSED);
}

/* GObject */

static void
es_quic_connection_finalize (GObject *object)
{
  EsQuicConnection *self = ES_QUIC_CONNECTION (object);

  release_resources (self);
  g_clear_pointer (&self->pin, es_peer_pin_unref);
  g_clear_object (&self->identity);
  g_free (self->peer_fingerprint);
  g_free (self->alpn);
  g_free (self->refusal);
  g_clear_object (&self->remote_address);
  g_clear_error (&self->protocol_error);
  g_clear_error (&self->close_error);
  g_clear_object (&self->endpoint);

  G_OBJECT_CLASS (es_quic_connection_parent_class)->finalize (object);
}

static void
es_quic_connection_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  EsQuicConnection *self = ES_QUIC_CONNECTION (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_REMOTE_ADDRESS:
      g_value_set_object (value, self->remote_address);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
es_quic_connection_class_init (EsQuicConnectionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = es_quic_connection_finalize;
  object_class->get_property = es_quic_connection_get_property;

  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL,
                       ES_TYPE_QUIC_CONNECTION_STATE, ES_QUIC_CONNECTION_STATE_CONNECTING,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_REMOTE_ADDRESS] =
    g_param_spec_object ("remote-address", NULL, NULL, G_TYPE_INET_SOCKET_ADDRESS,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[ESTABLISHED] =
    g_signal_new ("established", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[MESSAGE_RECEIVED] =
    g_signal_new ("message-received", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_INT64, JSON_TYPE_OBJECT);
  signals[DATAGRAM_RECEIVED] =
    g_signal_new ("datagram-received", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_BYTES);
  signals[DELIVERED] =
    g_signal_new ("delivered", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[CLOSED] =
    g_signal_new ("closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
es_quic_connection_init (EsQuicConnection *self)
{
  self->state = ES_QUIC_CONNECTION_STATE_CONNECTING;
  self->cids = g_array_new (FALSE, FALSE, sizeof (ngtcp2_cid));
  self->streams = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL,
                                         (GDestroyNotify) es_quic_stream_free);
  g_queue_init (&self->sendable);
  g_queue_init (&self->datagrams);
  g_queue_init (&self->events);
}

/* Public API */

EsQuicEndpoint *
es_quic_connection_get_endpoint (EsQuicConnection *self)
{
  g_return_val_if_fail (ES_IS_QUIC_CONNECTION (self), NULL);
  return self->endpoint;
}

EsQuicConnectionState
es_quic_connection_get_state (EsQuicConnection *self)
{
  g_return_val_if_fail (ES_IS_QUIC_CONNECTION (self), ES_QUIC_CONNECTION_STATE_CLOSED);
  return self->state;
}

gboolean
es_quic_connection_is_server (EsQuicConnection *self)
{
  g_return_val_if_fail (ES_IS_QUIC_CONNECTION (self), FALSE);
  return self->is_server;
}

const char *
es_quic_connection_get_peer_fingerprint (EsQuicConnection *self)
{
  g_return_val_if_fail (ES_IS_QUIC_CONNECTION (self), NULL);
  return self->peer_fingerprint;
}

GInetSocketAddress *
es_quic_connection_get_remote_address (EsQuicConnection *self)
{
  g_return_val_if_fail (ES_IS_QUIC_CONNECTION (self), NULL);
  return self->remote_address;
}

const char *
es_quic_connection_get_alpn (EsQuicConnection *self)
{
  g_return_val_if_fail (ES_IS_QUIC_CONNECTION (self), NULL);
  return self->alpn;
}

static gboolean
check_connected (EsQuicConnection *self,
                 GError          **error)
{
  if (self->state == ES_QUIC_CONNECTION_STATE_CONNECTED)
    return TRUE;
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                       self->state == ES_QUIC_CONNECTION_STATE_CONNECTING ?
                       "the QUIC connection is not established yet" :
                       "the QUIC connection is closed");
  return FALSE;
}

gint64
es_quic_connection_open_stream (EsQuicConnection *self,
                                GError          **error)
{
  int64_t stream_id = -1;
  int rv;

  g_return_val_if_fail (ES_IS_QUIC_CONNECTION (self), -1);

  if (!check_connected (self, error))
    return -1;
  rv = ngtcp2_conn_open_bidi_stream (self->conn, &stream_id, NULL);
  if (rv != 0)
    {
      g_set_error (error, G_IO_ERROR,
                   rv == NGTCP2_ERR_STREAM_ID_BLOCKED ? G_IO_ERROR_WOULD_BLOCK : G_IO_ERROR_FAILED,
                   "cannot open a stream: %s", rv == NGTCP2_ERR_STREAM_ID_BLOCKED ?
                   "the peer allows no more for now" : ngtcp2_strerror (rv));
      return -1;
    }
  add_stream (self, stream_id);
  return stream_id;
}

gboolean
es_quic_connection_send_message (EsQuicConnection *self,
                                 gint64            stream_id,
                                 JsonObject       *message,
                                 GError          **error)
{
  g_autoptr(GBytes) bytes = NULL;
  EsQuicStream *stream;

  g_return_val_if_fail (ES_IS_QUIC_CONNECTION (self), FALSE);
  g_return_val_if_fail (message != NULL, FALSE);

  if (!check_connected (self, error))
    return FALSE;
  stream = lookup_stream (self, stream_id);
  if (stream == NULL || stream->decoder == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "there is no open bidirectional stream %" G_GINT64_FORMAT, stream_id);
      return FALSE;
    }
  bytes = es_message_encode (message, error);
  if (bytes == NULL)
    return FALSE;

  es_quic_stream_queue (stream, bytes);
  mark_sendable (self, stream);
  request_flush (self);
  return TRUE;
}

void
_es_quic_connection_send_stream_bytes (EsQuicConnection *self,
                                       gint64            stream_id,
                                       GBytes           *bytes)
{
  EsQuicStream *stream = lookup_stream (self, stream_id);

  g_return_if_fail (stream != NULL);
  es_quic_stream_queue (stream, bytes);
  mark_sendable (self, stream);
  request_flush (self);
}

gsize
es_quic_connection_get_max_datagram_size (EsQuicConnection *self)
{
  const ngtcp2_transport_params *remote;
  gsize frame_limit, packet_limit;
  gsize overhead;

  g_return_val_if_fail (ES_IS_QUIC_CONNECTION (self), 0);

  if (self->state != ES_QUIC_CONNECTION_STATE_CONNECTED)
    return 0;
  remote = ngtcp2_conn_get_remote_transport_params (self->conn);
  if (remote == NULL || remote->max_datagram_frame_size <= DATAGRAM_FRAME_OVERHEAD)
    return 0;

  frame_limit = MIN (remote->max_datagram_frame_size, G_MAXSIZE) - DATAGRAM_FRAME_OVERHEAD;
  overhead = SHORT_HEADER_OVERHEAD (ngtcp2_conn_get_dcid (self->conn)->datalen) +
             DATAGRAM_FRAME_OVERHEAD;
  packet_limit = ngtcp2_conn_get_path_max_tx_udp_payload_size (self->conn) - overhead;
  return MIN (frame_limit, packet_limit);
}

gboolean
es_quic_connection_send_datagram (EsQuicConnection *self,
                                  const guint8     *data,
                                  gsize             length)
{
  g_return_val_if_fail (ES_IS_QUIC_CONNECTION (self), FALSE);
  g_return_val_if_fail (data != NULL || length == 0, FALSE);

  if (length > es_quic_connection_get_max_datagram_size (self))
    return FALSE;

  if (self->datagrams.length >= self->settings.datagram_queue_length)
    {
      /* For live audio the newest frame matters most. */
      g_bytes_unref (g_queue_pop_head (&self->datagrams));
      self->stats.datagrams_dropped++;
    }
  g_queue_push_tail (&self->datagrams, g_bytes_new (data, length));
  request_flush (self);
  return TRUE;
}

void
es_quic_connection_get_stats (EsQuicConnection *self,
                              EsQuicStats      *stats)
{
  g_return_if_fail (ES_IS_QUIC_CONNECTION (self));
  g_return_if_fail (stats != NULL);

  if (self->conn != NULL)
    snapshot_path_statistics (self);
  *stats = self->stats;
}

void
es_quic_connection_close (EsQuicConnection *self,
                          guint64           app_error_code,
                          const char       *reason)
{
  g_return_if_fail (ES_IS_QUIC_CONNECTION (self));

  if (!is_open (self))
    return;

  g_object_ref (self);
  /* What was sent just before closing (a "hangup") goes out first, in
   * packets ahead of CONNECTION_CLOSE; once that is written, ngtcp2 sends
   * nothing else. */
  if (self->state == ES_QUIC_CONNECTION_STATE_CONNECTED)
    write_packets (self);
  close_with_application_error (self, app_error_code, reason,
                                g_error_new (ES_QUIC_ERROR, ES_QUIC_ERROR_APPLICATION,
                                             "we closed the connection: application error %"
                                             G_GUINT64_FORMAT " (%s)%s%s", app_error_code,
                                             es_quic_app_error_to_string (app_error_code),
                                             reason != NULL ? ": " : "",
                                             reason != NULL ? reason : ""));
  emit_closed_if_pending (self);
  g_object_unref (self);
}

/* A direct path between two callers is checked much more often than the
 * endpoint's default: its silence must be noticed within a second. */
void
es_quic_connection_set_keepalive_interval (EsQuicConnection *self,
                                           guint             interval_ms)
{
  g_return_if_fail (ES_IS_QUIC_CONNECTION (self));

  self->settings.keepalive_interval_ms = interval_ms;
  if (self->conn == NULL || !is_open (self))
    return;
  ngtcp2_conn_set_keep_alive_timeout (self->conn, interval_ms > 0
                                                    ? (guint64) interval_ms * NGTCP2_MILLISECONDS
                                                    : UINT64_MAX);
  update_timer (self);
}

/* Whether some message sent on a stream is not yet acknowledged. */
gboolean
es_quic_connection_has_undelivered (EsQuicConnection *self)
{
  GHashTableIter iter;
  EsQuicStream *stream;

  g_return_val_if_fail (ES_IS_QUIC_CONNECTION (self), FALSE);

  g_hash_table_iter_init (&iter, self->streams);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &stream))
    if (!g_queue_is_empty (&stream->chunks))
      return TRUE;
  return FALSE;
}

const GError *
es_quic_connection_get_close_error (EsQuicConnection *self)
{
  g_return_val_if_fail (ES_IS_QUIC_CONNECTION (self), NULL);
  return self->close_error;
}

guint64
es_quic_connection_get_close_code (EsQuicConnection *self)
{
  g_return_val_if_fail (ES_IS_QUIC_CONNECTION (self), 0);
  return self->close_code;
}

gboolean
es_quic_connection_get_closed_by_peer (EsQuicConnection *self)
{
  g_return_val_if_fail (ES_IS_QUIC_CONNECTION (self), FALSE);
  return self->closed_by_peer;
}
