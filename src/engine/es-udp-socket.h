/* es-udp-socket.h: the endpoint's UDP socket: dual-stack, batched, impairable
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <sys/socket.h>

#include "es-impairment.h"
#include "es-timer-queue.h"

G_BEGIN_DECLS

/* Larger datagrams are dropped; the endpoint tells QUIC peers so with the
 * max_udp_payload_size transport parameter. */
#define ES_UDP_MAX_PACKET_SIZE 2048
/* Datagrams read with one recvmmsg() call. */
#define ES_UDP_BATCH_SIZE 32

typedef struct _EsUdpSocket EsUdpSocket;

typedef struct
{
  /* IPv4 peers of a dual-stack socket appear as AF_INET, never v4-mapped. */
  struct sockaddr_storage from;
  socklen_t from_length;
  guint8 *data;
  gsize length;
} EsUdpPacket;

typedef struct
{
  guint64 received;
  guint64 sent;
  guint64 truncated;   /* longer than ES_UDP_MAX_PACKET_SIZE: dropped */
  guint64 impaired;    /* dropped by the impairment */
  guint64 send_errors; /* refused by the kernel (buffer full, no route) */
} EsUdpCounters;

/* Binds a non-blocking socket. "::" binds dual-stack (IPV6_V6ONLY off). */
EsUdpSocket        *es_udp_socket_new               (GInetSocketAddress     *address,
                                                     GError                **error);
void                es_udp_socket_free              (EsUdpSocket            *self);
int                 es_udp_socket_get_fd            (EsUdpSocket            *self);
/* The bound address with the real port (transfer none). */
GInetSocketAddress *es_udp_socket_get_local_address (EsUdpSocket            *self);
const struct sockaddr *
                    es_udp_socket_get_local_native  (EsUdpSocket            *self,
                                                     socklen_t              *length);
/* Whether the socket can send to @family (an AF_INET6 socket reaches IPv4
 * only when it is dual-stack). */
gboolean            es_udp_socket_can_reach         (EsUdpSocket            *self,
                                                     int                     family);

/* Applies @impairment (taken) to every packet sent from now on; delayed
 * packets wait on @timers. */
void                es_udp_socket_set_impairment    (EsUdpSocket            *self,
                                                     EsImpairment           *impairment,
                                                     EsTimerQueue           *timers);

/* Reads up to ES_UDP_BATCH_SIZE datagrams into *packets, an array owned by
 * the socket that stays valid until the next call; returns how many, 0 when
 * none is waiting. */
guint               es_udp_socket_receive           (EsUdpSocket            *self,
                                                     EsUdpPacket           **packets);
/* While corked (calls nest), packets are collected and sent together with
 * one sendmmsg() when the last cork is removed or the batch is full: in a
 * virtual machine the system call itself costs as much as the packet. */
void                es_udp_socket_cork              (EsUdpSocket            *self);
void                es_udp_socket_uncork            (EsUdpSocket            *self);
/* Corked, a failure to send is only known later: it is counted as a loss,
 * like a packet dropped on the way. */
gboolean            es_udp_socket_send              (EsUdpSocket            *self,
                                                     const struct sockaddr  *to,
                                                     socklen_t               to_length,
                                                     const guint8           *data,
                                                     gsize                   length,
                                                     GError                **error);
void                es_udp_socket_get_counters      (EsUdpSocket            *self,
                                                     EsUdpCounters          *counters);

/* Conversions; IPv4-mapped IPv6 addresses become plain IPv4. */
GInetSocketAddress *es_udp_address_from_native      (const struct sockaddr  *address,
                                                     socklen_t               length);
gboolean            es_udp_address_to_native        (GInetSocketAddress     *address,
                                                     struct sockaddr_storage *native,
                                                     socklen_t              *length,
                                                     GError                **error);

G_END_DECLS
