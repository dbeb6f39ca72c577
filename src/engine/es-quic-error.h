/* es-quic-error.h: why a QUIC connection ended
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define ES_QUIC_ERROR (es_quic_error_quark ())

/* The GError code says what kind of close it was; the wire code (transport
 * error, application error or TLS alert number) and who closed are kept by
 * the connection: es_quic_connection_get_close_code() and _closed_by_peer(). */
typedef enum {
  ES_QUIC_ERROR_FAILED,             /* a local failure: socket, memory, endpoint shut down */
  ES_QUIC_ERROR_APPLICATION,        /* CONNECTION_CLOSE with an application error code */
  ES_QUIC_ERROR_TRANSPORT,          /* CONNECTION_CLOSE with a transport error code */
  ES_QUIC_ERROR_TLS_ALERT,          /* the TLS handshake failed with this alert */
  ES_QUIC_ERROR_IDLE_TIMEOUT,
  ES_QUIC_ERROR_HANDSHAKE_TIMEOUT,
  ES_QUIC_ERROR_CANCELLED,
  ES_QUIC_ERROR_PEER_VERIFICATION,  /* our own check refused the peer's certificate (pin
                                     * mismatch, no Ed25519 key, client not authorised); the
                                     * close code is the TLS alert we sent */
} EsQuicError;

/* Application error codes that Earshot sends (CONNECTION_CLOSE type 0x1d). */
typedef enum {
  ES_QUIC_APP_NO_ERROR = 0,
  ES_QUIC_APP_PROTOCOL_VIOLATION = 1,  /* malformed or oversized message */
  ES_QUIC_APP_GOING_AWAY = 2,          /* the program is shutting down */
  ES_QUIC_APP_REPLACED = 3,            /* a newer connection took this one's place */
  ES_QUIC_APP_REFUSED = 4,             /* authenticated, but not welcome */
  ES_QUIC_APP_RATE_LIMITED = 5,
  ES_QUIC_APP_CALL_ENDED = 6,          /* a direct path closed because its call ended */
} EsQuicAppError;

GQuark      es_quic_error_quark                (void);
/* Plain-words names for log lines and error messages: "going away",
 * "protocol violation", "bad certificate". Unknown codes give "unknown". */
const char *es_quic_app_error_to_string        (guint64 code);
const char *es_quic_transport_error_to_string  (guint64 code);
const char *es_quic_tls_alert_to_string        (guint8  alert);

G_END_DECLS
