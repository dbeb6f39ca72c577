/* es-quic-error.c
 *
 * Names for the three kinds of numbers a QUIC connection can end with, so
 * that a closed connection explains itself in plain words.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsQuicError"

#include "es-quic-error.h"

G_DEFINE_QUARK (es-quic-error-quark, es_quic_error)

const char *
es_quic_app_error_to_string (guint64 code)
{
  switch (code)
    {
    case ES_QUIC_APP_NO_ERROR:
      return "no error";
    case ES_QUIC_APP_PROTOCOL_VIOLATION:
      return "protocol violation";
    case ES_QUIC_APP_GOING_AWAY:
      return "going away";
    case ES_QUIC_APP_REPLACED:
      return "replaced";
    case ES_QUIC_APP_REFUSED:
      return "refused";
    case ES_QUIC_APP_RATE_LIMITED:
      return "rate limited";
    case ES_QUIC_APP_CALL_ENDED:
      return "call ended";
    default:
      return "unknown";
    }
}

/* RFC 9000 §20.1. */
const char *
es_quic_transport_error_to_string (guint64 code)
{
  static const char * const names[] = {
    "no error",
    "internal error",
    "connection refused",
    "flow control error",
    "stream limit error",
    "stream state error",
    "final size error",
    "frame encoding error",
    "transport parameter error",
    "connection ID limit error",
    "protocol violation",
    "invalid token",
    "application error",
    "crypto buffer exceeded",
    "key update error",
    "AEAD limit reached",
    "no viable path",
  };

  if (code < G_N_ELEMENTS (names))
    return names[code];
  return "unknown";
}

/* RFC 8446 §6 and the registry entries TLS 1.3 peers send. */
const char *
es_quic_tls_alert_to_string (guint8 alert)
{
  switch (alert)
    {
    case 0: return "close notify";
    case 10: return "unexpected message";
    case 20: return "bad record MAC";
    case 22: return "record overflow";
    case 40: return "handshake failure";
    case 42: return "bad certificate";
    case 43: return "unsupported certificate";
    case 44: return "certificate revoked";
    case 45: return "certificate expired";
    case 46: return "certificate unknown";
    case 47: return "illegal parameter";
    case 48: return "unknown CA";
    case 49: return "access denied";
    case 50: return "decode error";
    case 51: return "decrypt error";
    case 70: return "protocol version";
    case 71: return "insufficient security";
    case 80: return "internal error";
    case 86: return "inappropriate fallback";
    case 90: return "user canceled";
    case 109: return "missing extension";
    case 110: return "unsupported extension";
    case 112: return "unrecognized name";
    case 113: return "bad certificate status response";
    case 115: return "unknown PSK identity";
    case 116: return "certificate required";
    case 120: return "no application protocol";
    default: return "unknown";
    }
}
