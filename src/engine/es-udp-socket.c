/* es-udp-socket.c
 *
 * A plain POSIX socket rather than GSocket: recvmmsg() reads a whole batch
 * per wake-up, and the addresses go to ngtcp2 as struct sockaddr without a
 * GObject per packet. Addresses are normalised on the way in (IPv4-mapped
 * IPv6 becomes IPv4) and mapped back on the way out of a dual-stack socket,
 * so that every layer above sees one form for one peer.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsUdpSocket"
#define _GNU_SOURCE /* recvmmsg() */

#include "es-udp-socket.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

/* Room for bursts at benchmark rates; the kernel caps it at rmem_max. */
#define SOCKET_BUFFER_SIZE (4 * 1024 * 1024)

typedef struct
{
  guint64 due;
  struct sockaddr_storage to;
  socklen_t to_length;
  gsize length;
  guint8 data[];
} DelayedPacket;

struct _EsUdpSocket
{
  int fd;
  int family;
  gboolean dual_stack;
  struct sockaddr_storage local;
  socklen_t local_length;
  GInetSocketAddress *local_address;

  guint8 *buffers;
  struct mmsghdr messages[ES_UDP_BATCH_SIZE];
  struct iovec vectors[ES_UDP_BATCH_SIZE];
  EsUdpPacket packets[ES_UDP_BATCH_SIZE];

  guint corks;
  guint8 *outgoing;
  struct mmsghdr outgoing_messages[ES_UDP_BATCH_SIZE];
  struct iovec outgoing_vectors[ES_UDP_BATCH_SIZE];
  struct sockaddr_storage outgoing_addresses[ES_UDP_BATCH_SIZE];
  guint n_outgoing;

  EsImpairment *impairment;
  EsTimerQueue *timers;
  EsTimer delay_timer;
  GQueue delayed;   /* DelayedPacket *, earliest first */

  EsUdpCounters counters;
};

static void
unmap_native (struct sockaddr_storage *address,
              socklen_t               *length)
{
  struct sockaddr_in6 *in6 = (struct sockaddr_in6 *) address;
  struct sockaddr_in in = { 0 };

  if (address->ss_family != AF_INET6 || !IN6_IS_ADDR_V4MAPPED (&in6->sin6_addr))
    return;

  in.sin_family = AF_INET;
  in.sin_port = in6->sin6_port;
  memcpy (&in.sin_addr, &in6->sin6_addr.s6_addr[12], sizeof in.sin_addr);
  memset (address, 0, sizeof *address);
  memcpy (address, &in, sizeof in);
  *length = sizeof in;
}

static void
map_native (const struct sockaddr_in *in,
            struct sockaddr_in6      *in6)
{
  memset (in6, 0, sizeof *in6);
  in6->sin6_family = AF_INET6;
  in6->sin6_port = in->sin_port;
  in6->sin6_addr.s6_addr[10] = 0xff;
  in6->sin6_addr.s6_addr[11] = 0xff;
  memcpy (&in6->sin6_addr.s6_addr[12], &in->sin_addr, sizeof in->sin_addr);
}

GInetSocketAddress *
es_udp_address_from_native (const struct sockaddr *address,
                            socklen_t              length)
{
  struct sockaddr_storage copy = { 0 };

  g_return_val_if_fail (length <= sizeof copy, NULL);

  memcpy (&copy, address, length);
  unmap_native (&copy, &length);
  return G_INET_SOCKET_ADDRESS (g_socket_address_new_from_native (&copy, length));
}

gboolean
es_udp_address_to_native (GInetSocketAddress      *address,
                          struct sockaddr_storage *native,
                          socklen_t               *length,
                          GError                 **error)
{
  gssize size = g_socket_address_get_native_size (G_SOCKET_ADDRESS (address));

  memset (native, 0, sizeof *native);
  if (size < 0 || !g_socket_address_to_native (G_SOCKET_ADDRESS (address), native,
                                               sizeof *native, error))
    return FALSE;
  *length = (socklen_t) size;
  unmap_native (native, length);
  return TRUE;
}

static void
set_buffer_sizes (int fd)
{
  int size = SOCKET_BUFFER_SIZE;

  /* Best effort: a smaller buffer only means earlier drops under load. */
  setsockopt (fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  setsockopt (fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
}

static gboolean
bind_socket (EsUdpSocket        *self,
             GInetSocketAddress *address,
             GError            **error)
{
  struct sockaddr_storage native;
  socklen_t length;
  int saved_errno;

  if (!es_udp_address_to_native (address, &native, &length, error))
    return FALSE;
  self->family = native.ss_family;

  self->fd = socket (self->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
  if (self->fd < 0)
    goto failed;

  if (self->family == AF_INET6)
    {
      int v6_only;

      self->dual_stack = g_inet_address_get_is_any (g_inet_socket_address_get_address (address));
      v6_only = !self->dual_stack;
      if (setsockopt (self->fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6_only, sizeof v6_only) != 0)
        goto failed;
    }
  set_buffer_sizes (self->fd);

  if (bind (self->fd, (struct sockaddr *) &native, length) != 0)
    goto failed;

  self->local_length = sizeof self->local;
  if (getsockname (self->fd, (struct sockaddr *) &self->local, &self->local_length) != 0)
    goto failed;
  self->local_address = es_udp_address_from_native ((struct sockaddr *) &self->local,
                                                    self->local_length);
  return TRUE;

failed:
  saved_errno = errno;
  {
    g_autofree char *text = g_socket_connectable_to_string (G_SOCKET_CONNECTABLE (address));

    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                 "cannot bind a UDP socket to %s: %s", text, g_strerror (saved_errno));
  }
  return FALSE;
}

static void
prepare_buffers (EsUdpSocket *self)
{
  self->buffers = g_malloc (ES_UDP_BATCH_SIZE * ES_UDP_MAX_PACKET_SIZE);
  self->outgoing = g_malloc (ES_UDP_BATCH_SIZE * ES_UDP_MAX_PACKET_SIZE);
  for (guint i = 0; i < ES_UDP_BATCH_SIZE; i++)
    {
      self->outgoing_vectors[i].iov_base = self->outgoing + i * ES_UDP_MAX_PACKET_SIZE;
      self->outgoing_messages[i].msg_hdr.msg_iov = &self->outgoing_vectors[i];
      self->outgoing_messages[i].msg_hdr.msg_iovlen = 1;
      self->outgoing_messages[i].msg_hdr.msg_name = &self->outgoing_addresses[i];

      self->vectors[i].iov_base = self->buffers + i * ES_UDP_MAX_PACKET_SIZE;
      self->vectors[i].iov_len = ES_UDP_MAX_PACKET_SIZE;
      self->messages[i].msg_hdr.msg_iov = &self->vectors[i];
      self->messages[i].msg_hdr.msg_iovlen = 1;
      self->messages[i].msg_hdr.msg_name = &self->packets[i].from;
    }
}

EsUdpSocket *
es_udp_socket_new (GInetSocketAddress *address,
                   GError            **error)
{
  EsUdpSocket *self;

  g_return_val_if_fail (G_IS_INET_SOCKET_ADDRESS (address), NULL);

  self = g_new0 (EsUdpSocket, 1);
  self->fd = -1;
  g_queue_init (&self->delayed);
  if (!bind_socket (self, address, error))
    {
      es_udp_socket_free (self);
      return NULL;
    }
  prepare_buffers (self);
  return self;
}

void
es_udp_socket_free (EsUdpSocket *self)
{
  if (self == NULL)
    return;
  if (self->timers != NULL)
    es_timer_queue_cancel (self->timers, &self->delay_timer);
  g_queue_clear_full (&self->delayed, g_free);
  g_clear_pointer (&self->impairment, es_impairment_free);
  g_clear_object (&self->local_address);
  if (self->fd >= 0)
    close (self->fd);
  g_free (self->buffers);
  g_free (self->outgoing);
  g_free (self);
}

int
es_udp_socket_get_fd (EsUdpSocket *self)
{
  return self->fd;
}

GInetSocketAddress *
es_udp_socket_get_local_address (EsUdpSocket *self)
{
  return self->local_address;
}

const struct sockaddr *
es_udp_socket_get_local_native (EsUdpSocket *self,
                                socklen_t   *length)
{
  *length = self->local_length;
  return (const struct sockaddr *) &self->local;
}

gboolean
es_udp_socket_can_reach (EsUdpSocket *self,
                         int          family)
{
  return family == self->family || (family == AF_INET && self->dual_stack);
}

guint
es_udp_socket_receive (EsUdpSocket  *self,
                       EsUdpPacket **packets)
{
  guint kept = 0;
  int count;

  for (guint i = 0; i < ES_UDP_BATCH_SIZE; i++)
    self->messages[i].msg_hdr.msg_namelen = sizeof (struct sockaddr_storage);

  count = recvmmsg (self->fd, self->messages, ES_UDP_BATCH_SIZE, MSG_DONTWAIT, NULL);
  if (count <= 0)
    return 0;

  for (int i = 0; i < count; i++)
    {
      struct msghdr *header = &self->messages[i].msg_hdr;
      EsUdpPacket *packet = &self->packets[kept];

      self->counters.received++;
      if (header->msg_flags & MSG_TRUNC)
        {
          self->counters.truncated++;
          continue;
        }
      /* Compact the kept packets to the front; buffers stay where they are. */
      if ((guint) i != kept)
        memcpy (&packet->from, &self->packets[i].from, header->msg_namelen);
      packet->from_length = header->msg_namelen;
      packet->data = self->vectors[i].iov_base;
      packet->length = self->messages[i].msg_len;
      unmap_native (&packet->from, &packet->from_length);
      kept++;
    }

  *packets = self->packets;
  return kept;
}

/* The address as this socket's family wants it: a dual-stack socket sends
 * to IPv4 peers through IPv4-mapped addresses. */
static socklen_t
socket_address (EsUdpSocket             *self,
                const struct sockaddr   *to,
                socklen_t                to_length,
                struct sockaddr_storage *storage)
{
  if (self->family == AF_INET6 && to->sa_family == AF_INET)
    {
      map_native ((const struct sockaddr_in *) to, (struct sockaddr_in6 *) storage);
      return sizeof (struct sockaddr_in6);
    }
  memcpy (storage, to, to_length);
  return to_length;
}

static void
send_batch (EsUdpSocket *self)
{
  guint done = 0;

  while (done < self->n_outgoing)
    {
      int sent = sendmmsg (self->fd, self->outgoing_messages + done, self->n_outgoing - done, 0);

      if (sent < 0 && errno == EINTR)
        continue;
      if (sent <= 0)
        {
          /* The first unsent packet is refused; the rest may still go. */
          self->counters.send_errors++;
          done++;
          continue;
        }
      self->counters.sent += sent;
      done += sent;
    }
  self->n_outgoing = 0;
}

static void
add_to_batch (EsUdpSocket           *self,
              const struct sockaddr *to,
              socklen_t              to_length,
              const guint8          *data,
              gsize                  length)
{
  guint index = self->n_outgoing++;
  struct msghdr *header = &self->outgoing_messages[index].msg_hdr;

  header->msg_namelen = socket_address (self, to, to_length, &self->outgoing_addresses[index]);
  memcpy (self->outgoing_vectors[index].iov_base, data, length);
  self->outgoing_vectors[index].iov_len = length;
  if (self->n_outgoing == ES_UDP_BATCH_SIZE)
    send_batch (self);
}

static gboolean
transmit (EsUdpSocket           *self,
          const struct sockaddr *to,
          socklen_t              to_length,
          const guint8          *data,
          gsize                  length,
          GError               **error)
{
  struct sockaddr_storage address;
  ssize_t sent;

  if (self->corks > 0 && length <= ES_UDP_MAX_PACKET_SIZE)
    {
      add_to_batch (self, to, to_length, data, length);
      return TRUE;
    }

  to_length = socket_address (self, to, to_length, &address);
  do
    sent = sendto (self->fd, data, length, 0, (struct sockaddr *) &address, to_length);
  while (sent < 0 && errno == EINTR);

  if (sent < 0)
    {
      int saved_errno = errno;

      self->counters.send_errors++;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "cannot send a UDP packet: %s", g_strerror (saved_errno));
      return FALSE;
    }
  self->counters.sent++;
  return TRUE;
}

void
es_udp_socket_cork (EsUdpSocket *self)
{
  self->corks++;
}

void
es_udp_socket_uncork (EsUdpSocket *self)
{
  g_return_if_fail (self->corks > 0);

  if (--self->corks == 0 && self->n_outgoing > 0)
    send_batch (self);
}

static void
schedule_delayed (EsUdpSocket *self)
{
  DelayedPacket *first = g_queue_peek_head (&self->delayed);

  es_timer_queue_schedule (self->timers, &self->delay_timer,
                           first != NULL ? first->due : ES_TIMER_NEVER);
}

static void
send_due_packets (EsTimer  *timer,
                  gpointer  user_data)
{
  EsUdpSocket *self = user_data;
  guint64 now = es_timer_now ();
  DelayedPacket *packet;

  while ((packet = g_queue_peek_head (&self->delayed)) != NULL && packet->due <= now)
    {
      g_autoptr(GError) error = NULL;

      g_queue_pop_head (&self->delayed);
      if (!transmit (self, (struct sockaddr *) &packet->to, packet->to_length,
                     packet->data, packet->length, &error))
        g_debug ("a delayed packet was lost: %s", error->message);
      g_free (packet);
    }
  schedule_delayed (self);
}

static void
enqueue_delayed (EsUdpSocket           *self,
                 guint64                due,
                 const struct sockaddr *to,
                 socklen_t              to_length,
                 const guint8          *data,
                 gsize                  length)
{
  DelayedPacket *packet = g_malloc (sizeof (DelayedPacket) + length);
  GList *later;

  packet->due = due;
  memcpy (&packet->to, to, to_length);
  packet->to_length = to_length;
  packet->length = length;
  memcpy (packet->data, data, length);

  /* Most packets get about the same delay, so the right place is near the
   * tail; equal times keep the order they were sent in. */
  for (later = self->delayed.tail; later != NULL; later = later->prev)
    if (((DelayedPacket *) later->data)->due <= due)
      break;
  if (later == NULL)
    g_queue_push_head (&self->delayed, packet);
  else
    g_queue_insert_after (&self->delayed, later, packet);
  schedule_delayed (self);
}

void
es_udp_socket_set_impairment (EsUdpSocket  *self,
                              EsImpairment *impairment,
                              EsTimerQueue *timers)
{
  g_clear_pointer (&self->impairment, es_impairment_free);
  self->impairment = impairment;
  self->timers = timers;
  es_timer_init (&self->delay_timer, send_due_packets, self);
}

gboolean
es_udp_socket_send (EsUdpSocket           *self,
                    const struct sockaddr *to,
                    socklen_t              to_length,
                    const guint8          *data,
                    gsize                  length,
                    GError               **error)
{
  gint64 delays_us[ES_IMPAIRMENT_MAX_COPIES];
  guint copies;

  if (self->impairment == NULL)
    return transmit (self, to, to_length, data, length, error);

  copies = es_impairment_next (self->impairment, delays_us);
  if (copies == 0)
    self->counters.impaired++;
  for (guint i = 0; i < copies; i++)
    {
      if (delays_us[i] > 0)
        enqueue_delayed (self, es_timer_now () + (guint64) delays_us[i] * 1000,
                         to, to_length, data, length);
      else if (!transmit (self, to, to_length, data, length, error))
        return FALSE;
    }
  return TRUE;
}

void
es_udp_socket_get_counters (EsUdpSocket   *self,
                            EsUdpCounters *counters)
{
  *counters = self->counters;
}
