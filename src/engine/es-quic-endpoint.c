/* es-quic-endpoint.c
 *
 * One UDP socket carries everything: the relay connection, direct calls in
 * both roles, STUN and punch probes (DESIGN §7). Packets are routed by
 * destination connection ID; every ID this endpoint issues is
 * ES_QUIC_CID_LENGTH bytes long, so that short headers, which carry no
 * length, can be routed too. STUN is recognised by its magic cookie before
 * QUIC sees anything, because ngtcp2 0.12 greases the QUIC fixed bit and
 * first-byte demultiplexing (RFC 9443) cannot be trusted.
 *
 * Three sources run on the endpoint's main context: the socket (a batch of
 * recvmmsg() reads per wake-up, then one flush of every connection that has
 * something to send), one timerfd for all connection timers and delayed
 * (impaired) packets, and a flush source woken when the application sends.
 *
 * Probe sockets (hard NAT, DESIGN §7) are extra sockets the endpoint owns:
 * a birthday attack opens hundreds, and the one that reaches the peer
 * carries the direct connection. One epoll set watches them all, so that
 * they cost the main loop one file descriptor. A probe socket lives while
 * its opener holds it or a connection runs over it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsQuicEndpoint"

#include "es-quic-endpoint.h"

#include <errno.h>
#include <glib-unix.h>
#include <gnutls/crypto.h>
#include <ngtcp2/ngtcp2_crypto.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "es-byte-order.h"
#include "es-error.h"
#include "es-quic-connection-private.h"
#include "es-stun.h"
#include "es-timer-queue.h"
#include "es-udp-socket.h"

/* TLS 1.3 only, the AEADs QUIC defines, the two groups every peer has.
 * Parsed once per endpoint rather than once per handshake. */
#define TLS_PRIORITY \
  "NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:" \
  "+CHACHA20-POLY1305:+AES-128-CCM:-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1:" \
  "%DISABLE_TLS13_COMPAT_MODE"

/* Batches of ES_UDP_BATCH_SIZE read per wake-up before yielding to the
 * other sources of the main loop. */
#define MAX_BATCHES_PER_DISPATCH 4
#define RESET_SECRET_SIZE 32
/* A stateless reset is always shorter than the packet that caused it, so
 * two endpoints cannot reset each other forever (RFC 9000 §10.3.3). */
#define MIN_STATELESS_RESET_SIZE (1 + NGTCP2_MIN_STATELESS_RESET_RANDLEN + \
                                  NGTCP2_STATELESS_RESET_TOKENLEN)
#define MAX_STATELESS_RESET_SIZE 43
/* Probe sockets reported ready by one epoll_wait(). */
#define MAX_PROBE_EVENTS 64

struct _EsQuicProbe
{
  guint id;
  EsUdpSocket *socket;
  /* The opener (until es_quic_endpoint_close_probe_socket), each
   * connection over it, and a batch of its packets being handled. */
  guint holders;
  gboolean opened;
};

struct _EsQuicEndpoint
{
  GObject parent_instance;

  EsIdentity *identity;
  char **alpn;
  gnutls_datum_t *alpn_protocols;
  gnutls_certificate_credentials_t anonymous_credentials;
  gnutls_priority_t priority;
  GMainContext *context;

  guint idle_timeout_ms;
  guint keepalive_interval_ms;
  guint handshake_timeout_ms;
  guint datagram_queue_length;
  gboolean coalesce_datagrams;

  EsUdpSocket *socket;
  EsTimerQueue *timers;
  GSource *read_source;
  GSource *flush_source;
  GPtrArray *flush_queue;       /* EsQuicConnection * (ref) with something to send */
  guint8 reset_secret[RESET_SECRET_SIZE];
  guint8 send_buffer[ES_UDP_MAX_PACKET_SIZE];

  GHashTable *connections;      /* EsQuicConnection * (ref), until drained */
  GHashTable *cids;             /* ngtcp2_cid * → EsQuicConnection * */

  GHashTable *probes;           /* id → EsQuicProbe * (owned) */
  GHashTable *connection_probes; /* EsQuicConnection * → EsQuicProbe *, over probe sockets */
  guint next_probe_id;
  int probe_epoll;              /* -1 until the first probe socket */
  GSource *probe_source;

  EsQuicAuthorizeFunc authorize;
  gpointer authorize_data;
  GDestroyNotify authorize_destroy;

  gboolean shut_down;
  gboolean reading;             /* in on_socket_readable(): its packets are in use */
  EsQuicEndpointStats stats;
};

G_DEFINE_FINAL_TYPE (EsQuicEndpoint, es_quic_endpoint, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_IDENTITY,
  PROP_ALPN,
  PROP_IDLE_TIMEOUT,
  PROP_KEEPALIVE_INTERVAL,
  PROP_HANDSHAKE_TIMEOUT,
  PROP_DATAGRAM_QUEUE_LENGTH,
  PROP_COALESCE_DATAGRAMS,
  N_PROPS
};

enum {
  INCOMING_CONNECTION,
  UNHANDLED_PACKET,
  PROBE_PACKET,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* Connection IDs as hash table keys */

static guint
cid_hash (gconstpointer key)
{
  const ngtcp2_cid *cid = key;
  guint hash = 5381;

  for (gsize i = 0; i < cid->datalen; i++)
    hash = hash * 33 + cid->data[i];
  return hash;
}

static gboolean
cid_equal (gconstpointer a,
           gconstpointer b)
{
  return ngtcp2_cid_eq (a, b);
}

/* Connection → endpoint */

GMainContext *
_es_quic_endpoint_get_context (EsQuicEndpoint *self)
{
  return self->context;
}

EsTimerQueue *
_es_quic_endpoint_get_timers (EsQuicEndpoint *self)
{
  return self->timers;
}

gnutls_certificate_credentials_t
_es_quic_endpoint_get_credentials (EsQuicEndpoint *self)
{
  return self->identity != NULL ? es_identity_get_tls_credentials (self->identity)
                                : self->anonymous_credentials;
}

gnutls_priority_t
_es_quic_endpoint_get_priority (EsQuicEndpoint *self)
{
  return self->priority;
}

const gnutls_datum_t *
_es_quic_endpoint_get_alpn (EsQuicEndpoint *self,
                            guint          *n_protocols)
{
  *n_protocols = g_strv_length (self->alpn);
  return self->alpn_protocols;
}

void
_es_quic_endpoint_register_cid (EsQuicEndpoint   *self,
                                const ngtcp2_cid *cid,
                                EsQuicConnection *connection)
{
  g_hash_table_insert (self->cids, g_memdup2 (cid, sizeof *cid), connection);
}

void
_es_quic_endpoint_unregister_cid (EsQuicEndpoint   *self,
                                  const ngtcp2_cid *cid)
{
  g_hash_table_remove (self->cids, cid);
}

static void
stateless_reset_token (EsQuicEndpoint   *self,
                       const ngtcp2_cid *cid,
                       guint8           *token)
{
  if (ngtcp2_crypto_generate_stateless_reset_token (token, self->reset_secret,
                                                    sizeof self->reset_secret, cid) != 0)
    g_error ("cannot derive a stateless reset token");
}

void
_es_quic_endpoint_issue_cid (EsQuicEndpoint   *self,
                             EsQuicConnection *connection,
                             ngtcp2_cid       *cid,
                             guint8           *token)
{
  /* Unused, and never with the STUN cookie where a short header carries
   * bytes 4–7, so that demultiplexing cannot mistake our own packets. */
  do
    {
      cid->datalen = ES_QUIC_CID_LENGTH;
      gnutls_rnd (GNUTLS_RND_NONCE, cid->data, cid->datalen);
    }
  while (g_hash_table_contains (self->cids, cid) ||
         es_read_be32 (cid->data + 3) == ES_STUN_MAGIC_COOKIE);

  _es_quic_endpoint_register_cid (self, cid, connection);
  if (token != NULL)
    stateless_reset_token (self, cid, token);
}

gboolean
_es_quic_endpoint_authorize (EsQuicEndpoint     *self,
                             const char         *fingerprint,
                             GInetSocketAddress *remote)
{
  return self->authorize != NULL &&
         self->authorize (self, fingerprint, remote, self->authorize_data);
}

void
_es_quic_endpoint_cork (EsQuicEndpoint *self)
{
  es_udp_socket_cork (self->socket);
}

void
_es_quic_endpoint_uncork (EsQuicEndpoint *self)
{
  es_udp_socket_uncork (self->socket);
}

guint8 *
_es_quic_endpoint_get_send_buffer (EsQuicEndpoint *self,
                                   gsize          *size)
{
  *size = sizeof self->send_buffer;
  return self->send_buffer;
}

void
_es_quic_endpoint_send_packet (EsQuicEndpoint    *self,
                               EsQuicProbe       *probe,
                               const ngtcp2_addr *remote,
                               const guint8      *data,
                               gsize              length)
{
  EsUdpSocket *socket = probe != NULL ? probe->socket : self->socket;
  g_autoptr(GError) error = NULL;

  /* A lost packet is QUIC's business: it will be detected and resent. */
  if (!es_udp_socket_send (socket, remote->addr, remote->addrlen, data, length, &error))
    g_debug ("a QUIC packet was not sent: %s", error->message);
}

void
_es_quic_endpoint_request_flush (EsQuicEndpoint   *self,
                                 EsQuicConnection *connection)
{
  g_ptr_array_add (self->flush_queue, g_object_ref (connection));
}

void
_es_quic_endpoint_accepted (EsQuicEndpoint   *self,
                            EsQuicConnection *connection)
{
  self->stats.connections_accepted++;
  g_signal_emit (self, signals[INCOMING_CONNECTION], 0, connection);
}

void
_es_quic_endpoint_handshake_failed (EsQuicEndpoint *self)
{
  self->stats.handshake_failures++;
}

static void release_probe (EsQuicEndpoint *self,
                           EsQuicProbe    *probe);

void
_es_quic_endpoint_remove_connection (EsQuicEndpoint   *self,
                                     EsQuicConnection *connection)
{
  EsQuicProbe *probe;

  /* Stolen, the table's reference lasts until the connection is detached. */
  if (!g_hash_table_steal (self->connections, connection))
    return;
  _es_quic_connection_detach (connection);
  /* Detached, it sends nothing more: its probe socket may go. */
  probe = g_hash_table_lookup (self->connection_probes, connection);
  if (probe != NULL)
    {
      g_hash_table_remove (self->connection_probes, connection);
      release_probe (self, probe);
    }
  g_object_unref (connection);
}

/* Receiving */

static void
flush_connections (EsQuicEndpoint *self)
{
  g_autoptr(GPtrArray) queue = g_steal_pointer (&self->flush_queue);

  self->flush_queue = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < queue->len; i++)
    _es_quic_connection_flush (g_ptr_array_index (queue, i));
}

/* The flush source is ready whenever a connection has asked to be flushed.
 * Asking is appending to an array; the main loop looks at it before it
 * polls. (A ready-time source would cost two eventfd writes per flush, one
 * to arm it and one to disarm it, each a system call.) */
typedef struct
{
  GSource source;
  EsQuicEndpoint *endpoint;
} FlushSource;

static gboolean
flush_source_prepare (GSource *source,
                      int     *timeout)
{
  FlushSource *flush = (FlushSource *) source;

  *timeout = -1;
  return flush->endpoint->flush_queue->len > 0;
}

static gboolean
flush_source_check (GSource *source)
{
  FlushSource *flush = (FlushSource *) source;

  return flush->endpoint->flush_queue->len > 0;
}

static gboolean
flush_source_dispatch (GSource    *source,
                       GSourceFunc callback,
                       gpointer    user_data)
{
  EsQuicEndpoint *self = ((FlushSource *) source)->endpoint;

  /* What the application queued on many connections since the last
   * iteration leaves in one sendmmsg(), as replies to a read batch do. */
  g_object_ref (self);
  es_udp_socket_cork (self->socket);
  flush_connections (self);
  es_udp_socket_uncork (self->socket);
  g_object_unref (self);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs flush_source_funcs = {
  .prepare = flush_source_prepare,
  .check = flush_source_check,
  .dispatch = flush_source_dispatch,
};

static gboolean
accepting (EsQuicEndpoint *self)
{
  return self->authorize != NULL && self->identity != NULL && !self->shut_down;
}

static EsQuicConnectionSettings
connection_settings (EsQuicEndpoint *self)
{
  EsQuicConnectionSettings settings = {
    .idle_timeout_ms = self->idle_timeout_ms,
    .keepalive_interval_ms = self->keepalive_interval_ms,
    .handshake_timeout_ms = self->handshake_timeout_ms,
    .datagram_queue_length = self->datagram_queue_length,
    .coalesce_datagrams = self->coalesce_datagrams,
  };

  return settings;
}

static void attach_probe (EsQuicEndpoint   *self,
                          EsQuicConnection *connection,
                          EsQuicProbe      *probe);

static void
accept_connection (EsQuicEndpoint    *self,
                   const ngtcp2_path *path,
                   const EsUdpPacket *packet)
{
  EsQuicConnectionSettings settings = connection_settings (self);
  g_autoptr(EsQuicConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  ngtcp2_pkt_hd header;

  if (!accepting (self) || ngtcp2_accept (&header, packet->data, packet->length) != 0)
    {
      self->stats.packets_dropped++;
      return;
    }

  connection = _es_quic_connection_new_server (self, path, &header, &settings, &error);
  if (connection == NULL)
    {
      g_warning ("cannot accept a QUIC connection: %s", error->message);
      self->stats.handshake_failures++;
      return;
    }
  g_hash_table_add (self->connections, g_object_ref (connection));
  attach_probe (self, connection, path->user_data);
  _es_quic_connection_receive (connection, path, packet->data, packet->length);
}

static void
send_stateless_reset (EsQuicEndpoint    *self,
                      const ngtcp2_path *path,
                      const ngtcp2_cid  *dcid,
                      gsize              received_length)
{
  guint8 token[NGTCP2_STATELESS_RESET_TOKENLEN];
  guint8 random[MAX_STATELESS_RESET_SIZE];
  guint8 packet[MAX_STATELESS_RESET_SIZE];
  gsize length = MIN (received_length - 1, MAX_STATELESS_RESET_SIZE);
  ngtcp2_ssize written;

  if (received_length <= MIN_STATELESS_RESET_SIZE)
    return;

  stateless_reset_token (self, dcid, token);
  gnutls_rnd (GNUTLS_RND_NONCE, random, sizeof random);
  written = ngtcp2_pkt_write_stateless_reset (packet, length, token, random,
                                              length - 1 - NGTCP2_STATELESS_RESET_TOKENLEN);
  if (written > 0)
    _es_quic_endpoint_send_packet (self, path->user_data, &path->remote, packet, written);
}

static void
emit_unhandled_packet (EsQuicEndpoint    *self,
                       const EsUdpPacket *packet)
{
  g_autoptr(GInetSocketAddress) from =
    es_udp_address_from_native ((struct sockaddr *) &packet->from, packet->from_length);
  g_autoptr(GBytes) bytes = g_bytes_new (packet->data, packet->length);

  g_signal_emit (self, signals[UNHANDLED_PACKET], 0, from, bytes);
}

static void
emit_probe_packet (EsQuicEndpoint    *self,
                   EsQuicProbe       *probe,
                   const EsUdpPacket *packet)
{
  g_autoptr(GInetSocketAddress) from =
    es_udp_address_from_native ((struct sockaddr *) &packet->from, packet->from_length);
  g_autoptr(GBytes) bytes = g_bytes_new (packet->data, packet->length);

  g_signal_emit (self, signals[PROBE_PACKET], 0, probe->id, from, bytes);
}

/* A connection stays on the socket it was made over: a packet for it that
 * arrives on another is not its peer's. */
static gboolean
arrived_on_its_socket (EsQuicEndpoint   *self,
                       EsQuicConnection *connection,
                       EsQuicProbe      *probe)
{
  if (g_hash_table_size (self->connection_probes) == 0)
    return probe == NULL;
  return g_hash_table_lookup (self->connection_probes, connection) == probe;
}

/* @probe: the probe socket the packet came in on, NULL for the endpoint's. */
static void
handle_packet (EsQuicEndpoint    *self,
               EsQuicProbe       *probe,
               const EsUdpPacket *packet)
{
  EsUdpSocket *socket = probe != NULL ? probe->socket : self->socket;
  ngtcp2_version_cid header;
  ngtcp2_cid dcid;
  ngtcp2_path path;
  EsQuicConnection *connection;

  if (es_stun_is_message (packet->data, packet->length))
    {
      if (probe != NULL)
        emit_probe_packet (self, probe, packet);
      else
        emit_unhandled_packet (self, packet);
      return;
    }

  if (ngtcp2_pkt_decode_version_cid (&header, packet->data, packet->length,
                                     ES_QUIC_CID_LENGTH) != 0 ||
      header.dcidlen > NGTCP2_MAX_CIDLEN)
    {
      self->stats.packets_dropped++;
      return;
    }
  ngtcp2_cid_init (&dcid, header.dcid, header.dcidlen);

  path.local.addr = (ngtcp2_sockaddr *) es_udp_socket_get_local_native (socket,
                                                                         &path.local.addrlen);
  path.remote.addr = (ngtcp2_sockaddr *) &packet->from;
  path.remote.addrlen = packet->from_length;
  path.user_data = probe;

  connection = g_hash_table_lookup (self->cids, &dcid);
  if (connection != NULL && !arrived_on_its_socket (self, connection, probe))
    self->stats.packets_dropped++;
  else if (connection != NULL)
    _es_quic_connection_receive (connection, &path, packet->data, packet->length);
  else if (packet->data[0] & 0x80)   /* long header */
    accept_connection (self, &path, packet);
  else
    {
      /* A short header for no connection of ours, most likely one that has
       * gone: tell the peer at once rather than leave it to time out. */
      send_stateless_reset (self, &path, &dcid, packet->length);
      self->stats.packets_dropped++;
    }
}

static gboolean
on_socket_readable (int          fd,
                    GIOCondition condition,
                    gpointer     user_data)
{
  EsQuicEndpoint *self = user_data;

  /* A main loop run from one of our own signal handlers must not read over
   * the batch being handled (the source may recurse, see attach_sources). */
  if (self->reading)
    return G_SOURCE_CONTINUE;

  g_object_ref (self);
  self->reading = TRUE;
  es_udp_socket_cork (self->socket);
  for (guint batch = 0; batch < MAX_BATCHES_PER_DISPATCH && !self->shut_down; batch++)
    {
      EsUdpPacket *packets = NULL;
      guint count = es_udp_socket_receive (self->socket, &packets);

      for (guint i = 0; i < count && !self->shut_down; i++)
        handle_packet (self, NULL, &packets[i]);
      if (count < ES_UDP_BATCH_SIZE)
        break;
    }
  flush_connections (self);
  es_udp_socket_uncork (self->socket);
  self->reading = FALSE;
  g_object_unref (self);
  return G_SOURCE_CONTINUE;
}

/* Probe sockets */

static void
hold_probe (EsQuicProbe *probe)
{
  probe->holders++;
}

static void
release_probe (EsQuicEndpoint *self,
               EsQuicProbe    *probe)
{
  g_assert (probe->holders > 0);
  if (--probe->holders > 0)
    return;
  epoll_ctl (self->probe_epoll, EPOLL_CTL_DEL, es_udp_socket_get_fd (probe->socket), NULL);
  g_hash_table_remove (self->probes, GUINT_TO_POINTER (probe->id));
}

static void
probe_free (EsQuicProbe *probe)
{
  es_udp_socket_free (probe->socket);
  g_free (probe);
}

static void
attach_probe (EsQuicEndpoint   *self,
              EsQuicConnection *connection,
              EsQuicProbe      *probe)
{
  if (probe == NULL)
    return;
  hold_probe (probe);
  g_hash_table_insert (self->connection_probes, connection, probe);
}

static void
read_probe (EsQuicEndpoint *self,
            EsQuicProbe    *probe)
{
  /* Held, so that a handler that closes it does not free the batch. */
  hold_probe (probe);
  for (guint batch = 0; batch < MAX_BATCHES_PER_DISPATCH && !self->shut_down; batch++)
    {
      EsUdpPacket *packets = NULL;
      guint count = es_udp_socket_receive (probe->socket, &packets);

      for (guint i = 0; i < count && !self->shut_down; i++)
        handle_packet (self, probe, &packets[i]);
      if (count < ES_UDP_BATCH_SIZE)
        break;
    }
  release_probe (self, probe);
}

static gboolean
on_probes_readable (int          fd,
                    GIOCondition condition,
                    gpointer     user_data)
{
  EsQuicEndpoint *self = user_data;
  struct epoll_event events[MAX_PROBE_EVENTS];
  int ready;

  if (self->reading)
    return G_SOURCE_CONTINUE;
  ready = epoll_wait (fd, events, G_N_ELEMENTS (events), 0);
  if (ready <= 0)
    return G_SOURCE_CONTINUE;

  g_object_ref (self);
  self->reading = TRUE;
  es_udp_socket_cork (self->socket);
  for (int i = 0; i < ready && !self->shut_down; i++)
    {
      /* By id: an earlier packet's handler may have closed this one. */
      EsQuicProbe *probe = g_hash_table_lookup (self->probes, GUINT_TO_POINTER (events[i].data.u32));

      if (probe != NULL)
        read_probe (self, probe);
    }
  flush_connections (self);
  es_udp_socket_uncork (self->socket);
  self->reading = FALSE;
  g_object_unref (self);
  return G_SOURCE_CONTINUE;
}

static gboolean
ensure_probe_epoll (EsQuicEndpoint *self,
                    GError        **error)
{
  int saved_errno;

  if (self->probe_epoll >= 0)
    return TRUE;
  self->probe_epoll = epoll_create1 (EPOLL_CLOEXEC);
  if (self->probe_epoll < 0)
    {
      saved_errno = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "cannot watch probe sockets: %s", g_strerror (saved_errno));
      return FALSE;
    }
  self->probe_source = g_unix_fd_source_new (self->probe_epoll, G_IO_IN);
  g_source_set_callback (self->probe_source, G_SOURCE_FUNC (on_probes_readable), self, NULL);
  g_source_set_static_name (self->probe_source, "EsQuicEndpoint probe sockets");
  g_source_attach (self->probe_source, self->context);
  return TRUE;
}

static EsQuicProbe *
lookup_probe (EsQuicEndpoint *self,
              guint           id,
              GError        **error)
{
  EsQuicProbe *probe = g_hash_table_lookup (self->probes, GUINT_TO_POINTER (id));

  if (probe == NULL || !probe->opened)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED, "probe socket %u is closed", id);
      return NULL;
    }
  return probe;
}

static void
close_probes (EsQuicEndpoint *self)
{
  g_autoptr(GList) probes = g_hash_table_get_values (self->probes);

  for (GList *l = probes; l != NULL; l = l->next)
    {
      EsQuicProbe *probe = l->data;

      if (probe->opened)
        {
          probe->opened = FALSE;
          release_probe (self, probe);
        }
    }
}

/* GObject */

static void
es_quic_endpoint_dispose (GObject *object)
{
  EsQuicEndpoint *self = ES_QUIC_ENDPOINT (object);

  es_quic_endpoint_shutdown (self);
  es_quic_endpoint_set_authorize_func (self, NULL, NULL, NULL);

  G_OBJECT_CLASS (es_quic_endpoint_parent_class)->dispose (object);
}

static void
es_quic_endpoint_finalize (GObject *object)
{
  EsQuicEndpoint *self = ES_QUIC_ENDPOINT (object);

  if (self->flush_source != NULL)
    g_source_destroy (self->flush_source);
  g_clear_pointer (&self->flush_source, g_source_unref);
  if (self->probe_source != NULL)
    g_source_destroy (self->probe_source);
  g_clear_pointer (&self->probe_source, g_source_unref);
  /* Connections were removed at shutdown, and with them their probes. */
  g_clear_pointer (&self->connection_probes, g_hash_table_unref);
  g_clear_pointer (&self->probes, g_hash_table_unref);
  if (self->probe_epoll >= 0)
    close (self->probe_epoll);
  g_clear_pointer (&self->flush_queue, g_ptr_array_unref);
  g_clear_pointer (&self->connections, g_hash_table_unref);
  g_clear_pointer (&self->cids, g_hash_table_unref);
  /* The socket's delayed packets wait on the timers: socket first. */
  g_clear_pointer (&self->socket, es_udp_socket_free);
  g_clear_pointer (&self->timers, es_timer_queue_free);
  if (self->anonymous_credentials != NULL)
    gnutls_certificate_free_credentials (self->anonymous_credentials);
  if (self->priority != NULL)
    gnutls_priority_deinit (self->priority);
  g_free (self->alpn_protocols);
  g_strfreev (self->alpn);
  g_clear_object (&self->identity);
  g_clear_pointer (&self->context, g_main_context_unref);
  gnutls_memset (self->reset_secret, 0, sizeof self->reset_secret);

  G_OBJECT_CLASS (es_quic_endpoint_parent_class)->finalize (object);
}

static void
es_quic_endpoint_constructed (GObject *object)
{
  EsQuicEndpoint *self = ES_QUIC_ENDPOINT (object);
  static const char * const default_alpn[] = { ES_QUIC_DEFAULT_ALPN, NULL };
  guint n_protocols;

  G_OBJECT_CLASS (es_quic_endpoint_parent_class)->constructed (object);

  if (self->alpn == NULL || self->alpn[0] == NULL)
    {
      g_strfreev (self->alpn);
      self->alpn = g_strdupv ((char **) default_alpn);
    }
  n_protocols = g_strv_length (self->alpn);
  self->alpn_protocols = g_new0 (gnutls_datum_t, n_protocols);
  for (guint i = 0; i < n_protocols; i++)
    {
      self->alpn_protocols[i].data = (unsigned char *) self->alpn[i];
      self->alpn_protocols[i].size = strlen (self->alpn[i]);
    }

  /* Without an identity the endpoint is a client that presents no
   * certificate; GnuTLS still wants a credentials object to check the
   * server's. */
  if (self->identity == NULL &&
      gnutls_certificate_allocate_credentials (&self->anonymous_credentials) < 0)
    g_error ("cannot allocate TLS credentials");
  if (gnutls_priority_init (&self->priority, TLS_PRIORITY, NULL) < 0)
    g_error ("GnuTLS refuses the QUIC priority string");
}

static void
es_quic_endpoint_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  EsQuicEndpoint *self = ES_QUIC_ENDPOINT (object);

  switch (prop_id)
    {
    case PROP_IDENTITY:
      g_value_set_object (value, self->identity);
      break;
    case PROP_ALPN:
      g_value_set_boxed (value, self->alpn);
      break;
    case PROP_IDLE_TIMEOUT:
      g_value_set_uint (value, self->idle_timeout_ms);
      break;
    case PROP_KEEPALIVE_INTERVAL:
      g_value_set_uint (value, self->keepalive_interval_ms);
      break;
    case PROP_HANDSHAKE_TIMEOUT:
      g_value_set_uint (value, self->handshake_timeout_ms);
      break;
    case PROP_DATAGRAM_QUEUE_LENGTH:
      g_value_set_uint (value, self->datagram_queue_length);
      break;
    case PROP_COALESCE_DATAGRAMS:
      g_value_set_boolean (value, self->coalesce_datagrams);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
es_quic_endpoint_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  EsQuicEndpoint *self = ES_QUIC_ENDPOINT (object);

  switch (prop_id)
    {
    case PROP_IDENTITY:
      self->identity = g_value_dup_object (value);
      break;
    case PROP_ALPN:
      self->alpn = g_value_dup_boxed (value);
      break;
    case PROP_IDLE_TIMEOUT:
      self->idle_timeout_ms = g_value_get_uint (value);
      break;
    case PROP_KEEPALIVE_INTERVAL:
      self->keepalive_interval_ms = g_value_get_uint (value);
      break;
    case PROP_HANDSHAKE_TIMEOUT:
      self->handshake_timeout_ms = g_value_get_uint (value);
      break;
    case PROP_DATAGRAM_QUEUE_LENGTH:
      self->datagram_queue_length = g_value_get_uint (value);
      break;
    case PROP_COALESCE_DATAGRAMS:
      self->coalesce_datagrams = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
es_quic_endpoint_class_init (EsQuicEndpointClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->constructed = es_quic_endpoint_constructed;
  object_class->dispose = es_quic_endpoint_dispose;
  object_class->finalize = es_quic_endpoint_finalize;
  object_class->get_property = es_quic_endpoint_get_property;
  object_class->set_property = es_quic_endpoint_set_property;

  properties[PROP_IDENTITY] =
    g_param_spec_object ("identity", NULL, NULL, ES_TYPE_IDENTITY,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ALPN] =
    g_param_spec_boxed ("alpn", NULL, NULL, G_TYPE_STRV,
                        G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_IDLE_TIMEOUT] =
    g_param_spec_uint ("idle-timeout", NULL, NULL, 1, G_MAXUINT, 30000, flags);
  properties[PROP_KEEPALIVE_INTERVAL] =
    g_param_spec_uint ("keepalive-interval", NULL, NULL, 0, G_MAXUINT, 10000, flags);
  properties[PROP_HANDSHAKE_TIMEOUT] =
    g_param_spec_uint ("handshake-timeout", NULL, NULL, 1, G_MAXUINT, 5000, flags);
  properties[PROP_DATAGRAM_QUEUE_LENGTH] =
    g_param_spec_uint ("datagram-queue-length", NULL, NULL, 1, G_MAXUINT, 64, flags);
  properties[PROP_COALESCE_DATAGRAMS] =
    g_param_spec_boolean ("coalesce-datagrams", NULL, NULL, TRUE, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[INCOMING_CONNECTION] =
    g_signal_new ("incoming-connection", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, ES_TYPE_QUIC_CONNECTION);
  signals[UNHANDLED_PACKET] =
    g_signal_new ("unhandled-packet", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_INET_SOCKET_ADDRESS, G_TYPE_BYTES);
  signals[PROBE_PACKET] =
    g_signal_new ("probe-packet", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 3, G_TYPE_UINT, G_TYPE_INET_SOCKET_ADDRESS,
                  G_TYPE_BYTES);
}

static void
es_quic_endpoint_init (EsQuicEndpoint *self)
{
  self->idle_timeout_ms = 30000;
  self->keepalive_interval_ms = 10000;
  self->handshake_timeout_ms = 5000;
  self->datagram_queue_length = 64;
  self->coalesce_datagrams = TRUE;
  self->context = g_main_context_ref_thread_default ();
  self->connections = g_hash_table_new_full (NULL, NULL, g_object_unref, NULL);
  self->cids = g_hash_table_new_full (cid_hash, cid_equal, g_free, NULL);
  self->probes = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) probe_free);
  self->connection_probes = g_hash_table_new (NULL, NULL);
  self->probe_epoll = -1;
  self->flush_queue = g_ptr_array_new_with_free_func (g_object_unref);
  gnutls_rnd (GNUTLS_RND_KEY, self->reset_secret, sizeof self->reset_secret);
}

/* Public API */

EsQuicEndpoint *
es_quic_endpoint_new (EsIdentity         *identity,
                      const char * const *alpn)
{
  g_return_val_if_fail (identity == NULL || ES_IS_IDENTITY (identity), NULL);

  return g_object_new (ES_TYPE_QUIC_ENDPOINT, "identity", identity, "alpn", alpn, NULL);
}

static void
attach_sources (EsQuicEndpoint *self)
{
  self->read_source = g_unix_fd_source_new (es_udp_socket_get_fd (self->socket), G_IO_IN);
  /* GLib blocks a source that cannot recurse for the time of its dispatch,
   * and unblocking wakes the main context up: an eventfd write, a read and
   * an extra poll for every batch of packets. */
  g_source_set_can_recurse (self->read_source, TRUE);
  g_source_set_callback (self->read_source, G_SOURCE_FUNC (on_socket_readable), self, NULL);
  g_source_set_static_name (self->read_source, "EsQuicEndpoint socket");
  g_source_attach (self->read_source, self->context);

  self->flush_source = g_source_new (&flush_source_funcs, sizeof (FlushSource));
  ((FlushSource *) self->flush_source)->endpoint = self;
  g_source_set_static_name (self->flush_source, "EsQuicEndpoint flush");
  g_source_attach (self->flush_source, self->context);
}

gboolean
es_quic_endpoint_bind (EsQuicEndpoint      *self,
                       GInetSocketAddress  *address,
                       GError             **error)
{
  g_autoptr(EsImpairment) impairment = NULL;
  g_autoptr(GError) impairment_error = NULL;

  g_return_val_if_fail (ES_IS_QUIC_ENDPOINT (self), FALSE);
  g_return_val_if_fail (G_IS_INET_SOCKET_ADDRESS (address), FALSE);
  g_return_val_if_fail (self->socket == NULL, FALSE);

  impairment = es_impairment_new_from_env (&impairment_error);
  if (impairment_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&impairment_error));
      return FALSE;
    }

  self->timers = es_timer_queue_new (self->context, G_OBJECT (self), error);
  if (self->timers == NULL)
    return FALSE;
  self->socket = es_udp_socket_new (address, error);
  if (self->socket == NULL)
    {
      g_clear_pointer (&self->timers, es_timer_queue_free);
      return FALSE;
    }

  if (impairment != NULL)
    {
      g_autofree char *description = es_impairment_to_string (impairment);

      g_message ("EARSHOT_IMPAIR: impairing every packet sent: %s", description);
      es_udp_socket_set_impairment (self->socket, g_steal_pointer (&impairment), self->timers);
    }
  attach_sources (self);
  return TRUE;
}

GInetSocketAddress *
es_quic_endpoint_get_local_address (EsQuicEndpoint *self)
{
  g_return_val_if_fail (ES_IS_QUIC_ENDPOINT (self), NULL);
  return self->socket != NULL ? es_udp_socket_get_local_address (self->socket) : NULL;
}

EsIdentity *
es_quic_endpoint_get_identity (EsQuicEndpoint *self)
{
  g_return_val_if_fail (ES_IS_QUIC_ENDPOINT (self), NULL);
  return self->identity;
}

void
es_quic_endpoint_set_authorize_func (EsQuicEndpoint      *self,
                                     EsQuicAuthorizeFunc  func,
                                     gpointer             user_data,
                                     GDestroyNotify       destroy)
{
  GDestroyNotify old_destroy;
  gpointer old_data;

  g_return_if_fail (ES_IS_QUIC_ENDPOINT (self));
  g_return_if_fail (func == NULL || self->identity != NULL);

  old_destroy = self->authorize_destroy;
  old_data = self->authorize_data;
  self->authorize = func;
  self->authorize_data = user_data;
  self->authorize_destroy = destroy;
  if (old_destroy != NULL)
    old_destroy (old_data);
}

static gboolean
check_can_connect (EsQuicEndpoint           *self,
                   EsUdpSocket              *socket,
                   GInetSocketAddress       *remote,
                   struct sockaddr_storage  *native,
                   socklen_t                *length,
                   GError                  **error)
{
  if (self->socket == NULL || self->shut_down)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CLOSED,
                           self->shut_down ? "the QUIC endpoint was shut down"
                                           : "the QUIC endpoint is not bound to an address");
      return FALSE;
    }
  if (!es_udp_address_to_native (remote, native, length, error))
    return FALSE;
  if (!es_udp_socket_can_reach (socket != NULL ? socket : self->socket, native->ss_family))
    {
      g_autofree char *text = g_socket_connectable_to_string (G_SOCKET_CONNECTABLE (remote));

      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   "the endpoint's socket cannot reach %s: bind \"::\" for IPv4 and IPv6", text);
      return FALSE;
    }
  return TRUE;
}

void
es_quic_endpoint_connect_async (EsQuicEndpoint      *self,
                                GInetSocketAddress  *remote,
                                EsPeerPin           *pin,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  es_quic_endpoint_connect_as_async (self, NULL, remote, pin, cancellable, callback, user_data);
}

/* @probe_id: 0 for the endpoint's own socket. */
static void
connect_over (EsQuicEndpoint      *self,
              guint                probe_id,
              EsIdentity          *identity,
              GInetSocketAddress  *remote,
              EsPeerPin           *pin,
              GCancellable        *cancellable,
              GAsyncReadyCallback  callback,
              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(EsQuicConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  EsQuicConnectionSettings settings = connection_settings (self);
  EsQuicProbe *probe = NULL;
  struct sockaddr_storage native;
  ngtcp2_path path;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, es_quic_endpoint_connect_async);
  if (g_task_return_error_if_cancelled (task))
    return;

  if (probe_id != 0)
    probe = lookup_probe (self, probe_id, &error);
  if ((probe_id != 0 && probe == NULL) ||
      !check_can_connect (self, probe != NULL ? probe->socket : NULL, remote, &native,
                          &path.remote.addrlen, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  path.remote.addr = (ngtcp2_sockaddr *) &native;
  path.local.addr = (ngtcp2_sockaddr *) es_udp_socket_get_local_native (
    probe != NULL ? probe->socket : self->socket, &path.local.addrlen);
  path.user_data = probe;

  connection = _es_quic_connection_new_client (self, &path, pin, identity, &settings, &error);
  if (connection == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_hash_table_add (self->connections, g_object_ref (connection));
  attach_probe (self, connection, probe);
  _es_quic_connection_start (connection, task);
}

void
es_quic_endpoint_connect_as_async (EsQuicEndpoint      *self,
                                   EsIdentity          *identity,
                                   GInetSocketAddress  *remote,
                                   EsPeerPin           *pin,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_return_if_fail (ES_IS_QUIC_ENDPOINT (self));
  g_return_if_fail (identity == NULL || ES_IS_IDENTITY (identity));
  g_return_if_fail (G_IS_INET_SOCKET_ADDRESS (remote));
  g_return_if_fail (pin != NULL);

  connect_over (self, 0, identity, remote, pin, cancellable, callback, user_data);
}

void
es_quic_endpoint_connect_from_async (EsQuicEndpoint      *self,
                                     guint                probe,
                                     GInetSocketAddress  *remote,
                                     EsPeerPin           *pin,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_return_if_fail (ES_IS_QUIC_ENDPOINT (self));
  g_return_if_fail (G_IS_INET_SOCKET_ADDRESS (remote));
  g_return_if_fail (pin != NULL);

  connect_over (self, probe, NULL, remote, pin, cancellable, callback, user_data);
}

EsQuicConnection *
es_quic_endpoint_connect_finish (EsQuicEndpoint  *self,
                                 GAsyncResult    *result,
                                 GError         **error)
{
  g_return_val_if_fail (ES_IS_QUIC_ENDPOINT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == es_quic_endpoint_connect_async,
                        NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

gboolean
es_quic_endpoint_send_raw (EsQuicEndpoint      *self,
                           GInetSocketAddress  *to,
                           const guint8        *data,
                           gsize                length,
                           GError             **error)
{
  struct sockaddr_storage native;
  socklen_t native_length;

  g_return_val_if_fail (ES_IS_QUIC_ENDPOINT (self), FALSE);
  g_return_val_if_fail (G_IS_INET_SOCKET_ADDRESS (to), FALSE);
  g_return_val_if_fail (data != NULL || length == 0, FALSE);

  if (!check_can_connect (self, NULL, to, &native, &native_length, error))
    return FALSE;
  return es_udp_socket_send (self->socket, (struct sockaddr *) &native, native_length,
                             data, length, error);
}

guint
es_quic_endpoint_open_probe_socket (EsQuicEndpoint  *self,
                                    GSocketFamily    family,
                                    GError         **error)
{
  g_autoptr(GInetAddress) any = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(EsImpairment) impairment = NULL;
  struct epoll_event event = { .events = EPOLLIN };
  EsQuicProbe *probe;
  EsUdpSocket *socket;
  int saved_errno;

  g_return_val_if_fail (ES_IS_QUIC_ENDPOINT (self), 0);
  g_return_val_if_fail (family == G_SOCKET_FAMILY_IPV4 || family == G_SOCKET_FAMILY_IPV6, 0);

  if (self->socket == NULL || self->shut_down)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CLOSED,
                           self->shut_down ? "the QUIC endpoint was shut down"
                                           : "the QUIC endpoint is not bound to an address");
      return 0;
    }
  if (!ensure_probe_epoll (self, error))
    return 0;
  any = g_inet_address_new_any (family);
  address = g_inet_socket_address_new (any, 0);
  socket = es_udp_socket_new (G_INET_SOCKET_ADDRESS (address), error);
  if (socket == NULL)
    return 0;

  /* Every socket's packets are impaired alike (DESIGN §10.8). */
  impairment = es_impairment_new_from_env (NULL);
  if (impairment != NULL)
    es_udp_socket_set_impairment (socket, g_steal_pointer (&impairment), self->timers);

  probe = g_new0 (EsQuicProbe, 1);
  probe->socket = socket;
  do
    probe->id = ++self->next_probe_id;
  while (probe->id == 0 || g_hash_table_contains (self->probes, GUINT_TO_POINTER (probe->id)));
  event.data.u32 = probe->id;
  if (epoll_ctl (self->probe_epoll, EPOLL_CTL_ADD, es_udp_socket_get_fd (socket), &event) != 0)
    {
      saved_errno = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "cannot watch a probe socket: %s", g_strerror (saved_errno));
      probe_free (probe);
      return 0;
    }
  probe->opened = TRUE;
  probe->holders = 1;
  g_hash_table_insert (self->probes, GUINT_TO_POINTER (probe->id), probe);
  return probe->id;
}

void
es_quic_endpoint_close_probe_socket (EsQuicEndpoint *self,
                                     guint           probe_id)
{
  EsQuicProbe *probe;

  g_return_if_fail (ES_IS_QUIC_ENDPOINT (self));

  probe = g_hash_table_lookup (self->probes, GUINT_TO_POINTER (probe_id));
  if (probe == NULL || !probe->opened)
    return;
  probe->opened = FALSE;
  release_probe (self, probe);
}

GInetSocketAddress *
es_quic_endpoint_get_probe_address (EsQuicEndpoint *self,
                                    guint           probe_id)
{
  EsQuicProbe *probe;

  g_return_val_if_fail (ES_IS_QUIC_ENDPOINT (self), NULL);

  probe = g_hash_table_lookup (self->probes, GUINT_TO_POINTER (probe_id));
  return probe != NULL ? es_udp_socket_get_local_address (probe->socket) : NULL;
}

gboolean
es_quic_endpoint_send_raw_from (EsQuicEndpoint      *self,
                                guint                probe_id,
                                GInetSocketAddress  *to,
                                const guint8        *data,
                                gsize                length,
                                GError             **error)
{
  struct sockaddr_storage native;
  socklen_t native_length;
  EsQuicProbe *probe;

  g_return_val_if_fail (ES_IS_QUIC_ENDPOINT (self), FALSE);
  g_return_val_if_fail (G_IS_INET_SOCKET_ADDRESS (to), FALSE);
  g_return_val_if_fail (data != NULL || length == 0, FALSE);

  if (probe_id == 0)
    return es_quic_endpoint_send_raw (self, to, data, length, error);
  probe = lookup_probe (self, probe_id, error);
  if (probe == NULL || !check_can_connect (self, probe->socket, to, &native, &native_length, error))
    return FALSE;
  return es_udp_socket_send (probe->socket, (struct sockaddr *) &native, native_length,
                             data, length, error);
}

guint
es_quic_endpoint_get_connection_probe (EsQuicEndpoint   *self,
                                       EsQuicConnection *connection)
{
  EsQuicProbe *probe;

  g_return_val_if_fail (ES_IS_QUIC_ENDPOINT (self), 0);

  probe = g_hash_table_lookup (self->connection_probes, connection);
  return probe != NULL ? probe->id : 0;
}

guint
es_quic_endpoint_get_n_probe_sockets (EsQuicEndpoint *self)
{
  g_return_val_if_fail (ES_IS_QUIC_ENDPOINT (self), 0);
  return g_hash_table_size (self->probes);
}

void
es_quic_endpoint_shutdown (EsQuicEndpoint *self)
{
  g_autoptr(GPtrArray) connections = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  gpointer connection;

  g_return_if_fail (ES_IS_QUIC_ENDPOINT (self));

  if (self->shut_down)
    return;
  self->shut_down = TRUE;
  g_object_ref (self);

  if (self->read_source != NULL)
    {
      g_source_destroy (self->read_source);
      g_clear_pointer (&self->read_source, g_source_unref);
    }
  if (self->probe_source != NULL)
    {
      g_source_destroy (self->probe_source);
      g_clear_pointer (&self->probe_source, g_source_unref);
    }

  g_hash_table_iter_init (&iter, self->connections);
  while (g_hash_table_iter_next (&iter, &connection, NULL))
    g_ptr_array_add (connections, g_object_ref (connection));
  for (guint i = 0; i < connections->len; i++)
    es_quic_connection_close (g_ptr_array_index (connections, i), ES_QUIC_APP_GOING_AWAY,
                              "the endpoint is shutting down");
  /* Nothing will be read any more: no closing period to wait for. */
  for (guint i = 0; i < connections->len; i++)
    _es_quic_endpoint_remove_connection (self, g_ptr_array_index (connections, i));
  g_ptr_array_set_size (self->flush_queue, 0);
  close_probes (self);

  g_object_unref (self);
}

guint
es_quic_endpoint_get_n_connections (EsQuicEndpoint *self)
{
  g_return_val_if_fail (ES_IS_QUIC_ENDPOINT (self), 0);
  return g_hash_table_size (self->connections);
}

void
es_quic_endpoint_get_stats (EsQuicEndpoint      *self,
                            EsQuicEndpointStats *stats)
{
  EsUdpCounters counters = { 0 };

  g_return_if_fail (ES_IS_QUIC_ENDPOINT (self));
  g_return_if_fail (stats != NULL);

  if (self->socket != NULL)
    es_udp_socket_get_counters (self->socket, &counters);
  *stats = self->stats;
  stats->packets_received = counters.received;
  stats->packets_sent = counters.sent;
  stats->packets_dropped += counters.truncated + counters.send_errors;
  stats->packets_impaired = counters.impaired;
}
