/* es-gateway-exchange.h: one request to the gateway, resent until answered
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* When to resend: the first wait is initial_ms, each next one twice the
 * last, at most max_interval_ms; at most max_sends sends (0: until the
 * budget or the caller's cancellable ends it). jitter: each wait is scaled
 * by a random factor in [0.9, 1.1] (RFC 6887 §8.1.1). */
typedef struct
{
  guint initial_ms;
  guint max_interval_ms;
  guint max_sends;
  gboolean jitter;
} EsRetransmitSchedule;

typedef enum {
  ES_GATEWAY_ANSWER_IGNORE,   /* not an answer to this request: keep waiting */
  ES_GATEWAY_ANSWER_ACCEPT,   /* the answer: the exchange is over */
} EsGatewayAnswer;

/* Called for each datagram from the gateway. IGNORE with an error says why
 * (wrong size, wrong nonce): the last such reason is part of the timeout
 * error, so a gateway that only ever answers nonsense is reported as such. */
typedef EsGatewayAnswer (*EsGatewayAnswerFunc) (const guint8  *data,
                                                gsize          length,
                                                gpointer       user_data,
                                                GError       **error);

/* Sends request from a new UDP socket connected to gateway (so only the
 * gateway's datagrams reach it) and completes with the first accepted
 * answer. Fails with G_IO_ERROR_TIMED_OUT when the schedule or budget_ms
 * (0: no budget) runs out, G_IO_ERROR_CONNECTION_REFUSED when the gateway
 * says nothing listens there (ICMP port unreachable), or the socket's error.
 * The local address the gateway sees is available with
 * es_gateway_exchange_local_address() before any answer. */
void     es_gateway_exchange_async  (GInetSocketAddress          *gateway,
                                     GBytes                      *request,
                                     const EsRetransmitSchedule  *schedule,
                                     guint                        budget_ms,
                                     EsGatewayAnswerFunc          check,
                                     gpointer                     check_data,
                                     GCancellable                *cancellable,
                                     GAsyncReadyCallback          callback,
                                     gpointer                     user_data);
GBytes  *es_gateway_exchange_finish (GAsyncResult                *result,
                                     GError                     **error);

/* The address of this machine on the path to gateway (the source address a
 * request to it carries), found by connecting a UDP socket: nothing is sent. */
GInetAddress *es_gateway_exchange_local_address (GInetSocketAddress  *gateway,
                                                 GError             **error);

G_END_DECLS
