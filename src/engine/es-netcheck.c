/* es-netcheck.c
 *
 * Mapping (RFC 5780 §4.3) is read from the call socket's answers: equal
 * mapped addresses from two destination addresses mean endpoint-independent;
 * when they differ, two destinations on one address with different ports
 * tell address-dependent from address-and-port-dependent. With a server that
 * has an OTHER-ADDRESS, the call socket also asks that address on both
 * ports, so one RFC 5780 server is enough.
 *
 * Filtering (RFC 5780 §4.4) runs on a fresh socket that never sends to the
 * server's other address: tests I, II (change address and port) and III
 * (change port) go out together to the same destination, which opens one
 * NAT mapping; an answer to II passes only endpoint-independent filtering,
 * one to III also address-dependent filtering.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsNetcheck"

#include "es-netcheck.h"

#include <string.h>

#include "es-address.h"
#include "es-byte-order.h"
#include "es-error.h"
#include "es-gateway.h"
#include "es-json.h"
#include "es-port-allocation.h"
#include "es-port-mapper.h"
#include "es-stun.h"

#define RESEND_INTERVAL_MS     250
#define MAX_SENDS              3
#define PROBE_TIMEOUT_MS       900     /* a destination that says nothing by then */
#define FILTERING_WAIT_MS      800     /* answers to CHANGE-REQUEST come by then or never */
#define HAIRPIN_WAIT_MS        400
#define ALLOCATION_SAMPLES     ES_PORT_ALLOCATION_SAMPLES
#define PORT_MAP_BUDGET_MS     1000
#define SAFETY_DEADLINE_MS     3000
/* How long the check waits for the home relay to list the others, and how
 * many of those it measures at most. */
#define RELAY_LIST_WAIT_MS     1000
#define MAX_LISTED_RELAYS      16

typedef enum {
  PURPOSE_CALL_SOCKET,       /* mapping, public address, relay round trip */
  PURPOSE_FILTER_PRIMARY,
  PURPOSE_FILTER_CHANGE_BOTH,
  PURPOSE_FILTER_CHANGE_PORT,
  PURPOSE_ALLOCATION,
  PURPOSE_HAIRPIN,
} Purpose;

typedef struct
{
  gboolean is_relay;
  char *label;                /* as given: "HOST:PORT#FP" or "HOST:PORT" */
  char *region;               /* relays: where it runs, as a relay said, or NULL */
  char *host;
  guint16 port;
  GPtrArray *addresses;       /* GInetSocketAddress */
  gboolean resolved;
  char *resolve_error;
} Server;

typedef struct _Probe Probe;
typedef struct _Socket Socket;

struct _Socket
{
  EsNetcheck *netcheck;
  GSocket *socket;
  GSource *source;
};

struct _Probe
{
  EsNetcheck *netcheck;
  Purpose purpose;
  Server *server;             /* NULL for probes to an address learnt on the way */
  EsStunRequest *request;
  GInetSocketAddress *to;
  Socket *socket;             /* NULL: the call socket */
  gint64 last_sent;
  guint sends;
  guint resend_id;
  guint timeout_id;
  gboolean done;
  /* What came back. */
  GInetSocketAddress *mapped;
  GInetSocketAddress *from;
  GInetSocketAddress *other;
  double rtt_ms;
  guint16 local_port;         /* allocation samples: the fresh socket's port */
  char *error;
};

struct _EsNetcheck
{
  GObject parent_instance;

  EsQuicEndpoint *endpoint;
  gulong packet_handler;
  GPtrArray *servers;         /* Server */
  GPtrArray *probes;          /* Probe */
  GPtrArray *sockets;         /* Socket */
  GHashTable *by_transaction; /* transaction id (GBytes) -> Probe */
  GTask *task;
  gint64 started;
  guint pending_resolutions;
  guint pending_port_maps;
  guint safety_id;
  guint filtering_id;
  guint hairpin_id;
  gboolean filtering_started;
  gboolean filtering_done;
  gboolean hairpin_started;
  gboolean hairpin_done;
  gboolean allocation_done;
  gboolean secondary_sent;
  guint allocation_sent;
  GInetSocketAddress *filter_server;   /* primary address of the RFC 5780 server used */
  EsPortMapProbe *port_maps[3];
  JsonObject *report;
  EsSignalChannel *channel;   /* its relay lists more relays */
  gboolean waiting_for_list;
  guint list_wait_id;
};

G_DEFINE_FINAL_TYPE (EsNetcheck, es_netcheck, G_TYPE_OBJECT)

enum {
  PROGRESS,
  FINISHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void maybe_finish (EsNetcheck *self);
static void start_allocation_sample (EsNetcheck *self, GInetSocketAddress *to);

/* ---- Objects ------------------------------------------------------------------ */

static void
server_free (Server *server)
{
  g_free (server->label);
  g_free (server->region);
  g_free (server->host);
  g_ptr_array_unref (server->addresses);
  g_free (server->resolve_error);
  g_free (server);
}

static void
socket_free (Socket *socket)
{
  if (socket->source != NULL)
    g_source_destroy (socket->source);
  g_clear_pointer (&socket->source, g_source_unref);
  g_socket_close (socket->socket, NULL);
  g_clear_object (&socket->socket);
  g_free (socket);
}

static void
probe_stop (Probe *probe)
{
  g_clear_handle_id (&probe->resend_id, g_source_remove);
  g_clear_handle_id (&probe->timeout_id, g_source_remove);
}

static void
probe_free (Probe *probe)
{
  probe_stop (probe);
  g_clear_pointer (&probe->request, es_stun_request_free);
  g_clear_object (&probe->to);
  g_clear_object (&probe->mapped);
  g_clear_object (&probe->from);
  g_clear_object (&probe->other);
  g_free (probe->error);
  g_free (probe);
}

static void
stop_everything (EsNetcheck *self)
{
  g_clear_handle_id (&self->safety_id, g_source_remove);
  g_clear_handle_id (&self->filtering_id, g_source_remove);
  g_clear_handle_id (&self->hairpin_id, g_source_remove);
  g_clear_handle_id (&self->list_wait_id, g_source_remove);
  if (self->channel != NULL)
    g_signal_handlers_disconnect_by_data (self->channel, self);
  for (guint i = 0; i < self->probes->len; i++)
    probe_stop (self->probes->pdata[i]);
  g_ptr_array_set_size (self->sockets, 0);
  if (self->packet_handler != 0)
    g_clear_signal_handler (&self->packet_handler, self->endpoint);
}

static void
es_netcheck_dispose (GObject *object)
{
  EsNetcheck *self = ES_NETCHECK (object);

  stop_everything (self);
  g_clear_object (&self->endpoint);
  g_clear_object (&self->channel);

  G_OBJECT_CLASS (es_netcheck_parent_class)->dispose (object);
}

static void
es_netcheck_finalize (GObject *object)
{
  EsNetcheck *self = ES_NETCHECK (object);

  g_hash_table_unref (self->by_transaction);
  g_ptr_array_unref (self->probes);
  g_ptr_array_unref (self->sockets);
  g_ptr_array_unref (self->servers);
  for (guint i = 0; i < G_N_ELEMENTS (self->port_maps); i++)
    g_clear_pointer (&self->port_maps[i], es_port_map_probe_free);
  g_clear_object (&self->filter_server);
  g_clear_pointer (&self->report, json_object_unref);

  G_OBJECT_CLASS (es_netcheck_parent_class)->finalize (object);
}

static void
es_netcheck_class_init (EsNetcheckClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = es_netcheck_dispose;
  object_class->finalize = es_netcheck_finalize;

  signals[PROGRESS] =
    g_signal_new ("progress", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[FINISHED] =
    g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, JSON_TYPE_OBJECT);
}

static void
es_netcheck_init (EsNetcheck *self)
{
  self->servers = g_ptr_array_new_with_free_func ((GDestroyNotify) server_free);
  self->probes = g_ptr_array_new_with_free_func ((GDestroyNotify) probe_free);
  self->sockets = g_ptr_array_new_with_free_func ((GDestroyNotify) socket_free);
  self->by_transaction = g_hash_table_new_full (g_bytes_hash, g_bytes_equal,
                                                (GDestroyNotify) g_bytes_unref, NULL);
}

EsNetcheck *
es_netcheck_new (EsQuicEndpoint *endpoint)
{
  EsNetcheck *self;

  g_return_val_if_fail (ES_IS_QUIC_ENDPOINT (endpoint), NULL);
  g_return_val_if_fail (es_quic_endpoint_get_local_address (endpoint) != NULL, NULL);

  self = g_object_new (ES_TYPE_NETCHECK, NULL);
  self->endpoint = g_object_ref (endpoint);
  return self;
}

static Server *
add_server (EsNetcheck *self,
            gboolean    is_relay,
            const char *label,
            const char *host,
            guint16     port)
{
  Server *server = g_new0 (Server, 1);

  server->is_relay = is_relay;
  server->label = g_strdup (label);
  server->host = g_strdup (host);
  server->port = port;
  server->addresses = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (self->servers, server);
  return server;
}

void
es_netcheck_add_relay (EsNetcheck        *self,
                       const EsRelaySpec *relay)
{
  g_autofree char *label = es_relay_spec_to_string (relay);

  g_return_if_fail (ES_IS_NETCHECK (self) && self->task == NULL);
  add_server (self, TRUE, label, relay->host, relay->port);
}

gboolean
es_netcheck_add_stun_server (EsNetcheck  *self,
                             const char  *host_port,
                             GError     **error)
{
  g_autofree char *host = NULL;
  guint16 port = 0;

  g_return_val_if_fail (ES_IS_NETCHECK (self) && self->task == NULL, FALSE);

  if (!es_address_split_host_port (host_port, &host, &port, error))
    return FALSE;
  if (port == 0)
    {
      g_set_error (error, ES_ERROR, ES_ERROR_INVALID_ARGUMENT,
                   "“%s”: a STUN server needs a port", host_port);
      return FALSE;
    }
  add_server (self, FALSE, host_port, host, port);
  return TRUE;
}

/* ---- Sending ------------------------------------------------------------------ */

static gint64
elapsed_ms (EsNetcheck *self)
{
  return (g_get_monotonic_time () - self->started) / 1000;
}

static gboolean
can_reach (EsNetcheck         *self,
           Socket             *socket,
           GInetSocketAddress *to)
{
  GSocketFamily family = g_socket_address_get_family (G_SOCKET_ADDRESS (to));
  GInetSocketAddress *local = es_quic_endpoint_get_local_address (self->endpoint);

  if (socket != NULL)
    return g_socket_get_family (socket->socket) == family;
  /* A dual-stack IPv6 socket reaches both families; an IPv4 one only IPv4. */
  return g_socket_address_get_family (G_SOCKET_ADDRESS (local)) == G_SOCKET_FAMILY_IPV6 ||
         family == G_SOCKET_FAMILY_IPV4;
}

static void
send_probe (Probe *probe)
{
  EsNetcheck *self = probe->netcheck;
  g_autoptr(GBytes) message = es_stun_request_get_message (probe->request);
  gsize length = 0;
  const guint8 *data = g_bytes_get_data (message, &length);
  g_autoptr(GError) error = NULL;
  gboolean sent;

  if (probe->socket == NULL)
    sent = es_quic_endpoint_send_raw (self->endpoint, probe->to, data, length, &error);
  else
    sent = g_socket_send_to (probe->socket->socket, G_SOCKET_ADDRESS (probe->to),
                             (const char *) data, length, NULL, &error) >= 0;
  probe->sends++;
  probe->last_sent = g_get_monotonic_time ();
  if (!sent)
    {
      /* No route (no IPv6 here, a network that is down): lost like a packet. */
      g_free (probe->error);
      probe->error = g_strdup (error->message);
    }
}

static void probe_finished (Probe *probe);

static gboolean
on_probe_resend (gpointer data)
{
  Probe *probe = data;

  if (probe->sends >= MAX_SENDS)
    {
      probe->resend_id = 0;
      return G_SOURCE_REMOVE;
    }
  send_probe (probe);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_probe_timeout (gpointer data)
{
  Probe *probe = data;

  probe->timeout_id = 0;
  if (probe->error == NULL)
    probe->error = g_strdup ("no answer");
  probe_finished (probe);
  return G_SOURCE_REMOVE;
}

static Probe *
start_probe (EsNetcheck         *self,
             Purpose             purpose,
             Server             *server,
             GInetSocketAddress *to,
             Socket             *socket,
             EsStunRequest      *request,
             guint               timeout_ms)
{
  Probe *probe = g_new0 (Probe, 1);
  GBytes *id;

  probe->netcheck = self;
  probe->purpose = purpose;
  probe->server = server;
  probe->to = g_object_ref (to);
  probe->socket = socket;
  probe->request = request;
  g_ptr_array_add (self->probes, probe);
  id = g_bytes_new (es_stun_request_get_transaction_id (request), ES_STUN_TRANSACTION_ID_SIZE);
  g_hash_table_insert (self->by_transaction, id, probe);

  if (!can_reach (self, socket, to))
    {
      probe->error = g_strdup ("this socket cannot reach that address family");
      probe->done = TRUE;
      return probe;
    }
  send_probe (probe);
  probe->resend_id = g_timeout_add (RESEND_INTERVAL_MS, on_probe_resend, probe);
  probe->timeout_id = g_timeout_add (timeout_ms, on_probe_timeout, probe);
  return probe;
}

/* ---- Receiving ---------------------------------------------------------------- */

static Probe *
find_probe (EsNetcheck   *self,
            const guint8 *data,
            gsize         length)
{
  g_autoptr(GBytes) id = NULL;

  if (length < ES_STUN_HEADER_SIZE)
    return NULL;
  id = g_bytes_new (data + 8, ES_STUN_TRANSACTION_ID_SIZE);
  return g_hash_table_lookup (self->by_transaction, id);
}

static void
handle_packet (EsNetcheck         *self,
               Socket             *socket,
               GInetSocketAddress *from,
               const guint8       *data,
               gsize               length)
{
  Probe *probe = find_probe (self, data, length);
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetSocketAddress) mapped = NULL;

  if (probe == NULL || probe->done)
    return;
  /* Our own request, come back through the router to the call socket. */
  if (probe->purpose == PURPOSE_HAIRPIN)
    {
      if (socket == NULL && es_read_be16 (data) == ES_STUN_BINDING_REQUEST)
        {
          probe->from = g_object_ref (from);
          probe_finished (probe);
        }
      return;
    }
  if (socket != probe->socket)
    return;
  mapped = es_stun_request_parse_response (probe->request, data, length, &error);
  if (mapped == NULL)
    {
      if (!g_error_matches (error, ES_ERROR, ES_ERROR_NOT_FOUND))
        {
          g_free (probe->error);
          probe->error = g_strdup (error->message);
          probe_finished (probe);
        }
      return;
    }
  probe->mapped = g_steal_pointer (&mapped);
  probe->from = g_object_ref (from);
  probe->other = es_stun_response_get_other_address (data, length);
  probe->rtt_ms = (g_get_monotonic_time () - probe->last_sent) / 1000.0;
  g_clear_pointer (&probe->error, g_free);
  probe_finished (probe);
}

static void
on_unhandled_packet (EsQuicEndpoint     *endpoint,
                     GInetSocketAddress *from,
                     GBytes             *packet,
                     EsNetcheck         *self)
{
  gsize length = 0;
  const guint8 *data = g_bytes_get_data (packet, &length);

  handle_packet (self, NULL, from, data, length);
}

static gboolean
on_socket_readable (GSocket      *gsocket,
                    GIOCondition  condition,
                    gpointer      data)
{
  Socket *socket = data;
  guint8 buffer[1500];
  g_autoptr(GSocketAddress) from = NULL;
  g_autoptr(GInetSocketAddress) plain = NULL;
  gssize length;

  length = g_socket_receive_from (gsocket, &from, (char *) buffer, sizeof buffer, NULL, NULL);
  if (length <= 0 || !G_IS_INET_SOCKET_ADDRESS (from))
    return G_SOURCE_CONTINUE;
  plain = es_address_unmap (G_INET_SOCKET_ADDRESS (from));
  handle_packet (socket->netcheck, socket, plain, buffer, (gsize) length);
  return G_SOURCE_CONTINUE;
}

static Socket *
open_socket (EsNetcheck     *self,
             GSocketFamily   family,
             guint16        *port,
             GError        **error)
{
  g_autoptr(GInetAddress) any = g_inet_address_new_any (family);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (any, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GSocket) gsocket = NULL;
  Socket *socket;

  gsocket = g_socket_new (family, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, error);
  if (gsocket == NULL || !g_socket_bind (gsocket, address, FALSE, error))
    return NULL;
  bound = g_socket_get_local_address (gsocket, error);
  if (bound == NULL)
    return NULL;
  if (port != NULL)
    *port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_socket_set_blocking (gsocket, FALSE);
  socket = g_new0 (Socket, 1);
  socket->netcheck = self;
  socket->socket = g_steal_pointer (&gsocket);
  socket->source = g_socket_create_source (socket->socket, G_IO_IN, NULL);
  g_source_set_callback (socket->source, (GSourceFunc) (GCallback) on_socket_readable, socket, NULL);
  g_source_attach (socket->source, NULL);
  g_ptr_array_add (self->sockets, socket);
  return socket;
}

/* ---- What the answers start ----------------------------------------------------- */

static gboolean
all_probes_done (EsNetcheck *self,
                 Purpose     purpose)
{
  for (guint i = 0; i < self->probes->len; i++)
    {
      Probe *probe = self->probes->pdata[i];

      if (probe->purpose == purpose && !probe->done)
        return FALSE;
    }
  return TRUE;
}

/* The call socket's public IPv4 address and port, from its first answer. */
static GInetSocketAddress *
call_socket_public_v4 (EsNetcheck *self)
{
  for (guint i = 0; i < self->probes->len; i++)
    {
      Probe *probe = self->probes->pdata[i];

      if (probe->purpose == PURPOSE_CALL_SOCKET && probe->mapped != NULL &&
          g_socket_address_get_family (G_SOCKET_ADDRESS (probe->mapped)) == G_SOCKET_FAMILY_IPV4)
        return probe->mapped;
    }
  return NULL;
}

static gboolean
on_hairpin_over (gpointer data)
{
  EsNetcheck *self = data;

  self->hairpin_id = 0;
  self->hairpin_done = TRUE;
  for (guint i = 0; i < self->probes->len; i++)
    if (((Probe *) self->probes->pdata[i])->purpose == PURPOSE_HAIRPIN)
      probe_stop (self->probes->pdata[i]);
  maybe_finish (self);
  return G_SOURCE_REMOVE;
}

/* From a fresh socket to the call socket's public address: a router that
 * hairpins brings it back to the call socket. */
static void
start_hairpin (EsNetcheck         *self,
               GInetSocketAddress *public_address)
{
  g_autoptr(GError) error = NULL;
  Socket *socket;

  self->hairpin_started = TRUE;
  socket = open_socket (self, G_SOCKET_FAMILY_IPV4, NULL, &error);
  if (socket == NULL)
    {
      g_debug ("no hairpin test: %s", error->message);
      self->hairpin_done = TRUE;
      return;
    }
  start_probe (self, PURPOSE_HAIRPIN, NULL, public_address, socket, es_stun_request_new (NULL, NULL),
               HAIRPIN_WAIT_MS);
  self->hairpin_id = g_timeout_add (HAIRPIN_WAIT_MS, on_hairpin_over, self);
}

/* RFC 5780 §4.3 tests II and III from the call socket, to the server's other
 * address on its primary port and on its other port. */
static void
start_secondary_mapping (EsNetcheck *self,
                         Probe      *primary)
{
  GInetAddress *other_ip = g_inet_socket_address_get_address (primary->other);
  g_autoptr(GSocketAddress) other_ip_primary_port = NULL;

  self->secondary_sent = TRUE;
  other_ip_primary_port = g_inet_socket_address_new (other_ip,
                                                     g_inet_socket_address_get_port (primary->to));
  start_probe (self, PURPOSE_CALL_SOCKET, NULL, G_INET_SOCKET_ADDRESS (other_ip_primary_port),
               NULL, es_stun_request_new (NULL, NULL), PROBE_TIMEOUT_MS);
  start_probe (self, PURPOSE_CALL_SOCKET, NULL, primary->other, NULL,
               es_stun_request_new (NULL, NULL), PROBE_TIMEOUT_MS);
}

static gboolean
on_filtering_over (gpointer data)
{
  EsNetcheck *self = data;

  self->filtering_id = 0;
  self->filtering_done = TRUE;
  for (guint i = 0; i < self->probes->len; i++)
    {
      Probe *probe = self->probes->pdata[i];

      if (probe->purpose >= PURPOSE_FILTER_PRIMARY && probe->purpose <= PURPOSE_FILTER_CHANGE_PORT)
        probe_stop (probe);
    }
  g_signal_emit (self, signals[PROGRESS], 0, "filtering");
  maybe_finish (self);
  return G_SOURCE_REMOVE;
}

/* Tests I, II and III of RFC 5780 §4.4 together, from one fresh socket. */
static void
start_filtering (EsNetcheck         *self,
                 GInetSocketAddress *server)
{
  g_autoptr(GError) error = NULL;
  Socket *socket;

  self->filtering_started = TRUE;
  self->filter_server = g_object_ref (server);
  socket = open_socket (self, G_SOCKET_FAMILY_IPV4, NULL, &error);
  if (socket == NULL)
    {
      g_debug ("no filtering test: %s", error->message);
      self->filtering_done = TRUE;
      return;
    }
  start_probe (self, PURPOSE_FILTER_PRIMARY, NULL, server, socket, es_stun_request_new (NULL, NULL),
               FILTERING_WAIT_MS);
  start_probe (self, PURPOSE_FILTER_CHANGE_BOTH, NULL, server, socket,
               es_stun_request_new_change (TRUE, TRUE), FILTERING_WAIT_MS);
  start_probe (self, PURPOSE_FILTER_CHANGE_PORT, NULL, server, socket,
               es_stun_request_new_change (FALSE, TRUE), FILTERING_WAIT_MS);
  self->filtering_id = g_timeout_add (FILTERING_WAIT_MS, on_filtering_over, self);
}

/* The destination for allocation samples: the first STUN server (or relay)
 * that answered over IPv4. */
static void
maybe_start_allocation (EsNetcheck *self,
                        Probe      *answered)
{
  if (self->allocation_sent > 0 || answered->server == NULL ||
      g_socket_address_get_family (G_SOCKET_ADDRESS (answered->to)) != G_SOCKET_FAMILY_IPV4)
    return;
  start_allocation_sample (self, answered->to);
}

static void
start_allocation_sample (EsNetcheck         *self,
                         GInetSocketAddress *to)
{
  g_autoptr(GError) error = NULL;
  Socket *socket;
  Probe *probe;
  guint16 port = 0;

  socket = open_socket (self, G_SOCKET_FAMILY_IPV4, &port, &error);
  if (socket == NULL)
    {
      g_debug ("no port allocation sample: %s", error->message);
      self->allocation_done = TRUE;
      return;
    }
  self->allocation_sent++;
  probe = start_probe (self, PURPOSE_ALLOCATION, NULL, to, socket, es_stun_request_new (NULL, NULL),
                       PROBE_TIMEOUT_MS);
  probe->local_port = port;
}

static void
call_socket_answered (EsNetcheck *self,
                      Probe      *probe)
{
  GInetSocketAddress *public_v4;

  if (probe->mapped == NULL)
    return;
  maybe_start_allocation (self, probe);
  /* One RFC 5780 server is enough for both mapping and filtering. */
  if (probe->other != NULL && !self->secondary_sent && probe->server != NULL &&
      g_socket_address_get_family (G_SOCKET_ADDRESS (probe->to)) == G_SOCKET_FAMILY_IPV4)
    start_secondary_mapping (self, probe);
  public_v4 = call_socket_public_v4 (self);
  if (public_v4 != NULL && !self->hairpin_started)
    start_hairpin (self, public_v4);
}

static void
probe_finished (Probe *probe)
{
  EsNetcheck *self = probe->netcheck;

  probe->done = TRUE;
  probe_stop (probe);
  if (probe->mapped == NULL)
    g_debug ("no answer from the STUN probe %u after %u sends: %s", probe->purpose, probe->sends,
             probe->error);
  switch (probe->purpose)
    {
    case PURPOSE_CALL_SOCKET:
      call_socket_answered (self, probe);
      break;
    case PURPOSE_ALLOCATION:
      if (probe->mapped != NULL && self->allocation_sent < ALLOCATION_SAMPLES)
        start_allocation_sample (self, probe->to);
      else
        self->allocation_done = TRUE;
      break;
    case PURPOSE_HAIRPIN:
      g_clear_handle_id (&self->hairpin_id, g_source_remove);
      self->hairpin_done = TRUE;
      break;
    case PURPOSE_FILTER_PRIMARY:
    case PURPOSE_FILTER_CHANGE_BOTH:
    case PURPOSE_FILTER_CHANGE_PORT:
    default:
      break;
    }
  maybe_finish (self);
}

/* ---- Starting ------------------------------------------------------------------- */

static void
start_server_probes (EsNetcheck *self,
                     Server     *server)
{
  for (guint i = 0; i < server->addresses->len; i++)
    {
      GInetSocketAddress *address = server->addresses->pdata[i];

      start_probe (self, PURPOSE_CALL_SOCKET, server, address, NULL,
                   es_stun_request_new (NULL, NULL), PROBE_TIMEOUT_MS);
      /* The filtering test needs a server that can answer from elsewhere:
       * the first STUN server's first IPv4 address is tried; the answer
       * tells whether it can (RFC 5780). */
      if (!server->is_relay && !self->filtering_started &&
          g_socket_address_get_family (G_SOCKET_ADDRESS (address)) == G_SOCKET_FAMILY_IPV4)
        start_filtering (self, address);
    }
}

typedef struct
{
  EsNetcheck *netcheck;
  Server *server;
} Resolution;

static void
on_resolved (GObject      *source,
             GAsyncResult *result,
             gpointer      data)
{
  g_autofree Resolution *resolution = data;
  g_autoptr(EsNetcheck) self = resolution->netcheck;
  Server *server = resolution->server;
  g_autoptr(GError) error = NULL;
  GList *addresses = g_resolver_lookup_by_name_finish (G_RESOLVER (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  server->resolved = TRUE;
  if (addresses == NULL)
    server->resolve_error = g_strdup (error->message);
  for (GList *l = addresses; l != NULL; l = l->next)
    g_ptr_array_add (server->addresses, g_inet_socket_address_new (l->data, server->port));
  g_resolver_free_addresses (addresses);
  self->pending_resolutions--;
  if (self->task != NULL)
    start_server_probes (self, server);
  maybe_finish (self);
}

static void
resolve_server (EsNetcheck *self,
                Server     *server)
{
  g_autoptr(GInetAddress) literal = g_inet_address_new_from_string (server->host);
  g_autoptr(GResolver) resolver = NULL;
  Resolution *resolution;

  if (literal != NULL)
    {
      server->resolved = TRUE;
      g_ptr_array_add (server->addresses, g_inet_socket_address_new (literal, server->port));
      start_server_probes (self, server);
      return;
    }
  resolver = g_resolver_get_default ();
  resolution = g_new0 (Resolution, 1);
  resolution->netcheck = g_object_ref (self);
  resolution->server = server;
  self->pending_resolutions++;
  g_resolver_lookup_by_name_async (resolver, server->host, g_task_get_cancellable (self->task),
                                   on_resolved, resolution);
}

static void
resolve_servers (EsNetcheck *self)
{
  for (guint i = 0; i < self->servers->len; i++)
    resolve_server (self, self->servers->pdata[i]);
}

/* ---- Relays the home relay lists (DESIGN §10.5) ------------------------------ */

static Server *
find_relay (EsNetcheck *self,
            const char *host,
            guint16     port)
{
  for (guint i = 0; i < self->servers->len; i++)
    {
      Server *server = self->servers->pdata[i];

      if (server->is_relay && server->port == port && g_ascii_strcasecmp (server->host, host) == 0)
        return server;
    }
  return NULL;
}

static void
set_region (Server     *server,
            const char *region)
{
  if (server->region == NULL)
    server->region = g_strdup (region);
}

/* The registered relay's own region, and every relay it lists, measured
 * like the configured ones (a listed relay already configured only gains
 * its region). */
static void
add_listed_relays (EsNetcheck *self)
{
  const EsRelaySpec *home = es_signal_channel_get_relay (self->channel);
  JsonArray *listed = es_signal_channel_get_known_relays (self->channel);
  guint n = listed != NULL ? MIN (json_array_get_length (listed), MAX_LISTED_RELAYS) : 0;
  Server *server = find_relay (self, home->host, home->port);

  if (server != NULL)
    set_region (server, es_signal_channel_get_region (self->channel));
  for (guint i = 0; i < n; i++)
    {
      JsonNode *node = json_array_get_element (listed, i);
      JsonObject *entry = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      const char *text = entry != NULL ? es_json_get_string (entry, "relay") : NULL;
      g_autoptr(EsRelaySpec) spec = text != NULL ? es_relay_spec_parse (text, NULL) : NULL;
      g_autofree char *label = NULL;

      if (spec == NULL)
        continue;
      server = find_relay (self, spec->host, spec->port);
      if (server == NULL)
        {
          label = es_relay_spec_to_string (spec);
          server = add_server (self, TRUE, label, spec->host, spec->port);
          resolve_server (self, server);
        }
      set_region (server, es_json_get_string (entry, "region"));
    }
}

static void
stop_waiting_for_list (EsNetcheck *self)
{
  self->waiting_for_list = FALSE;
  g_clear_handle_id (&self->list_wait_id, g_source_remove);
  g_signal_handlers_disconnect_by_data (self->channel, self);
}

static void
on_channel_state_changed (EsSignalChannel *channel,
                          EsNetcheck      *self)
{
  EsSignalChannelState state = es_signal_channel_get_state (channel);

  if (state == ES_SIGNAL_CHANNEL_CONNECTING)
    return;
  stop_waiting_for_list (self);
  if (state == ES_SIGNAL_CHANNEL_REGISTERED)
    add_listed_relays (self);
  maybe_finish (self);
}

static gboolean
on_list_wait_over (gpointer data)
{
  EsNetcheck *self = data;

  self->list_wait_id = 0;
  g_debug ("the relay listed no relays within %u ms", RELAY_LIST_WAIT_MS);
  stop_waiting_for_list (self);
  maybe_finish (self);
  return G_SOURCE_REMOVE;
}

static void
follow_relay_list (EsNetcheck *self)
{
  EsSignalChannelState state;

  if (self->channel == NULL)
    return;
  state = es_signal_channel_get_state (self->channel);
  if (state == ES_SIGNAL_CHANNEL_REGISTERED)
    add_listed_relays (self);
  else if (state == ES_SIGNAL_CHANNEL_CONNECTING)
    {
      self->waiting_for_list = TRUE;
      g_signal_connect (self->channel, "state-changed", G_CALLBACK (on_channel_state_changed), self);
      self->list_wait_id = g_timeout_add (RELAY_LIST_WAIT_MS, on_list_wait_over, self);
    }
}

void
es_netcheck_follow_relay_list (EsNetcheck      *self,
                               EsSignalChannel *channel)
{
  g_return_if_fail (ES_IS_NETCHECK (self) && self->task == NULL);
  g_return_if_fail (ES_IS_SIGNAL_CHANNEL (channel));

  g_set_object (&self->channel, channel);
}

static void
on_port_map_probed (GObject      *source,
                    GAsyncResult *result,
                    gpointer      data)
{
  EsNetcheck *self = data;
  EsPortMapProbe *probe = es_port_mapper_probe_finish (result);

  self->port_maps[probe->protocol - ES_PORT_MAP_PROTOCOL_NAT_PMP] = probe;
  self->pending_port_maps--;
  g_signal_emit (self, signals[PROGRESS], 0, es_port_map_protocol_to_string (probe->protocol));
  maybe_finish (self);
  g_object_unref (self);
}

static gboolean
on_safety_deadline (gpointer data)
{
  EsNetcheck *self = data;

  self->safety_id = 0;
  g_debug ("the check took too long: reporting what is known");
  self->filtering_done = self->hairpin_done = self->allocation_done = TRUE;
  for (guint i = 0; i < self->probes->len; i++)
    ((Probe *) self->probes->pdata[i])->done = TRUE;
  self->pending_resolutions = 0;
  self->pending_port_maps = 0;
  self->waiting_for_list = FALSE;
  maybe_finish (self);
  return G_SOURCE_REMOVE;
}

void
es_netcheck_run_async (EsNetcheck          *self,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_return_if_fail (ES_IS_NETCHECK (self));
  g_return_if_fail (self->task == NULL);

  self->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (self->task, es_netcheck_run_async);
  self->started = g_get_monotonic_time ();
  self->packet_handler = g_signal_connect (self->endpoint, "unhandled-packet",
                                           G_CALLBACK (on_unhandled_packet), self);
  self->safety_id = g_timeout_add (SAFETY_DEADLINE_MS, on_safety_deadline, self);

  for (EsPortMapProtocol protocol = ES_PORT_MAP_PROTOCOL_NAT_PMP;
       protocol <= ES_PORT_MAP_PROTOCOL_UPNP; protocol++)
    {
      self->pending_port_maps++;
      es_port_mapper_probe_async (protocol, PORT_MAP_BUDGET_MS, cancellable, on_port_map_probed,
                                  g_object_ref (self));
    }
  resolve_servers (self);
  follow_relay_list (self);
  maybe_finish (self);
}

/* ---- The report ------------------------------------------------------------------ */

static void
set_address_or_null (JsonObject   *object,
                     const char   *member,
                     GInetAddress *address)
{
  g_autofree char *text = address != NULL ? g_inet_address_to_string (address) : NULL;

  if (text != NULL)
    json_object_set_string_member (object, member, text);
  else
    json_object_set_null_member (object, member);
}

static gboolean
same_address (GInetSocketAddress *a,
              GInetSocketAddress *b)
{
  return g_inet_address_equal (g_inet_socket_address_get_address (a),
                               g_inet_socket_address_get_address (b));
}

static gboolean
same_endpoint (GInetSocketAddress *a,
               GInetSocketAddress *b)
{
  return same_address (a, b) &&
         g_inet_socket_address_get_port (a) == g_inet_socket_address_get_port (b);
}

/* The call socket's IPv4 answers: (destination, mapped) pairs. */
static GPtrArray *
mapping_answers (EsNetcheck *self)
{
  GPtrArray *answers = g_ptr_array_new ();

  for (guint i = 0; i < self->probes->len; i++)
    {
      Probe *probe = self->probes->pdata[i];

      if (probe->purpose == PURPOSE_CALL_SOCKET && probe->mapped != NULL &&
          g_socket_address_get_family (G_SOCKET_ADDRESS (probe->to)) == G_SOCKET_FAMILY_IPV4)
        g_ptr_array_add (answers, probe);
    }
  return answers;
}

static void
report_mapping (EsNetcheck *self,
                JsonObject *report)
{
  g_autoptr(GPtrArray) answers = mapping_answers (self);
  guint distinct_addresses = 0;
  gboolean all_equal = TRUE;
  gboolean port_matters = FALSE;
  gboolean have_same_address_pair = FALSE;

  for (guint i = 0; i < answers->len; i++)
    {
      Probe *a = answers->pdata[i];
      gboolean new_address = TRUE;

      for (guint j = 0; j < i; j++)
        {
          Probe *b = answers->pdata[j];

          if (same_address (a->to, b->to))
            {
              new_address = FALSE;
              if (!same_endpoint (a->to, b->to))
                {
                  have_same_address_pair = TRUE;
                  port_matters |= !same_endpoint (a->mapped, b->mapped);
                }
            }
          all_equal &= same_endpoint (a->mapped, b->mapped);
        }
      distinct_addresses += new_address;
    }

  if (distinct_addresses < 2)
    {
      g_autofree char *note = g_strdup_printf (
        "telling the mapping needs answers over IPv4 from two STUN destinations with different "
        "addresses (the relay counts as one; give another with --stun); got %u", distinct_addresses);

      json_object_set_string_member (report, "mapping", "unknown");
      json_object_set_string_member (report, "mapping_note", note);
    }
  else if (all_equal)
    json_object_set_string_member (report, "mapping", "endpoint-independent");
  else if (have_same_address_pair)
    json_object_set_string_member (report, "mapping", port_matters ? "address-and-port-dependent"
                                                                   : "address-dependent");
  else
    {
      json_object_set_string_member (report, "mapping", "unknown");
      json_object_set_string_member (report, "mapping_note",
                                     "the public port differs from one destination to another, but "
                                     "no two destinations share an address, so whether the "
                                     "destination port matters too cannot be told");
    }
}

static Probe *
find_filter_probe (EsNetcheck *self,
                   Purpose     purpose)
{
  for (guint i = 0; i < self->probes->len; i++)
    if (((Probe *) self->probes->pdata[i])->purpose == purpose)
      return self->probes->pdata[i];
  return NULL;
}

static void
report_filtering (EsNetcheck *self,
                  JsonObject *report)
{
  Probe *primary = find_filter_probe (self, PURPOSE_FILTER_PRIMARY);
  Probe *both = find_filter_probe (self, PURPOSE_FILTER_CHANGE_BOTH);
  Probe *port = find_filter_probe (self, PURPOSE_FILTER_CHANGE_PORT);
  const char *note = NULL;

  if (primary == NULL)
    note = "no STUN server over IPv4 was given (--stun): the relay cannot answer from another "
           "address (RFC 5780)";
  else if (primary->mapped == NULL)
    note = "the STUN server did not answer";
  else if (primary->other == NULL)
    note = "the STUN server has no second address (no RFC 5780 OTHER-ADDRESS), so it cannot "
           "answer from elsewhere";
  else if ((both->mapped != NULL && same_endpoint (both->from, primary->to)) ||
           (port->mapped != NULL && same_endpoint (port->from, primary->to)))
    note = "the STUN server ignored CHANGE-REQUEST";
  else if (both->mapped == NULL && both->error != NULL && g_strcmp0 (both->error, "no answer") != 0)
    note = "the STUN server refused CHANGE-REQUEST";

  if (note != NULL)
    {
      json_object_set_string_member (report, "filtering", "unknown");
      json_object_set_string_member (report, "filtering_note", note);
    }
  else if (both->mapped != NULL)
    json_object_set_string_member (report, "filtering", "endpoint-independent");
  else if (port->mapped != NULL)
    json_object_set_string_member (report, "filtering", "address-dependent");
  else
    json_object_set_string_member (report, "filtering", "address-and-port-dependent");
}

static void
report_allocation (EsNetcheck *self,
                   JsonObject *report)
{
  EsPortSample samples[ALLOCATION_SAMPLES];
  EsPortAllocation allocation;
  guint n = 0;
  int delta;

  for (guint i = 0; i < self->probes->len && n < ALLOCATION_SAMPLES; i++)
    {
      Probe *probe = self->probes->pdata[i];

      if (probe->purpose != PURPOSE_ALLOCATION || probe->mapped == NULL)
        continue;
      samples[n].local_port = probe->local_port;
      samples[n].mapped_port = g_inet_socket_address_get_port (probe->mapped);
      n++;
    }

  allocation = es_port_allocation_classify (samples, n, &delta);
  json_object_set_int_member (report, "port_samples", n);
  json_object_set_string_member (report, "port_allocation",
                                 es_port_allocation_to_string (allocation));
  if (allocation == ES_PORT_ALLOCATION_SEQUENTIAL)
    json_object_set_int_member (report, "delta", delta);
  else
    json_object_set_null_member (report, "delta");
  if (allocation == ES_PORT_ALLOCATION_UNKNOWN)
    json_object_set_string_member (report, "port_allocation_note",
                                   "fewer than 5 samples: no STUN server answered over IPv4 "
                                   "from fresh sockets");
}

static void
report_hairpin (EsNetcheck *self,
                JsonObject *report)
{
  Probe *probe = find_filter_probe (self, PURPOSE_HAIRPIN);

  if (probe == NULL || (probe->from == NULL && probe->sends == 0))
    json_object_set_null_member (report, "hairpin");
  else
    json_object_set_boolean_member (report, "hairpin", probe->from != NULL);
}

static void
report_public (EsNetcheck   *self,
               JsonObject   *report,
               GSocketFamily family,
               const char   *udp_member,
               const char   *public_member)
{
  GInetAddress *public = NULL;

  for (guint i = 0; i < self->probes->len && public == NULL; i++)
    {
      Probe *probe = self->probes->pdata[i];

      if (probe->purpose == PURPOSE_CALL_SOCKET && probe->mapped != NULL &&
          g_socket_address_get_family (G_SOCKET_ADDRESS (probe->mapped)) == family)
        public = g_inet_socket_address_get_address (probe->mapped);
    }
  json_object_set_boolean_member (report, udp_member, public != NULL);
  set_address_or_null (report, public_member, public);
}

static JsonObject *
port_map_report (EsPortMapProbe *probe)
{
  JsonObject *object = json_object_new ();

  json_object_set_boolean_member (object, "available", probe != NULL && probe->available);
  set_address_or_null (object, "external", probe != NULL ? probe->external : NULL);
  if (probe != NULL && probe->ms >= 0)
    json_object_set_int_member (object, "ms", probe->ms);
  else
    json_object_set_null_member (object, "ms");
  if (probe == NULL)
    json_object_set_string_member (object, "error", "not asked in time");
  else if (probe->error != NULL)
    json_object_set_string_member (object, "error", probe->error->message);
  else
    json_object_set_null_member (object, "error");
  return object;
}

static void
report_relays (EsNetcheck *self,
               JsonObject *report)
{
  JsonArray *relays = json_array_new ();
  const char *preferred = NULL;
  double best = G_MAXDOUBLE;

  for (guint i = 0; i < self->servers->len; i++)
    {
      Server *server = self->servers->pdata[i];
      JsonObject *relay;
      double rtt = G_MAXDOUBLE;

      if (!server->is_relay)
        continue;
      for (guint j = 0; j < self->probes->len; j++)
        {
          Probe *probe = self->probes->pdata[j];

          if (probe->server == server && probe->mapped != NULL)
            rtt = MIN (rtt, probe->rtt_ms);
        }
      relay = json_object_new ();
      json_object_set_string_member (relay, "relay", server->label);
      if (server->region != NULL)
        json_object_set_string_member (relay, "region", server->region);
      else
        json_object_set_null_member (relay, "region");
      if (rtt < G_MAXDOUBLE)
        json_object_set_double_member (relay, "rtt_ms", rtt);
      else
        json_object_set_null_member (relay, "rtt_ms");
      if (rtt < best)
        {
          best = rtt;
          preferred = server->label;
        }
      json_array_add_object_element (relays, relay);
    }
  json_object_set_array_member (report, "relays", relays);
  if (preferred != NULL)
    json_object_set_string_member (report, "preferred_relay", preferred);
  else
    json_object_set_null_member (report, "preferred_relay");
}

static void
report_stun (EsNetcheck *self,
             JsonObject *report)
{
  JsonArray *servers = json_array_new ();

  for (guint i = 0; i < self->servers->len; i++)
    {
      Server *server = self->servers->pdata[i];
      JsonObject *object;
      gboolean answered = FALSE;

      if (server->is_relay)
        continue;
      for (guint j = 0; j < self->probes->len; j++)
        answered |= ((Probe *) self->probes->pdata[j])->server == server &&
                    ((Probe *) self->probes->pdata[j])->mapped != NULL;
      object = json_object_new ();
      json_object_set_string_member (object, "server", server->label);
      json_object_set_boolean_member (object, "answered", answered);
      if (server->resolve_error != NULL)
        json_object_set_string_member (object, "error", server->resolve_error);
      json_array_add_object_element (servers, object);
    }
  json_object_set_array_member (report, "stun", servers);
}

static gboolean
anything_answered (EsNetcheck *self)
{
  for (guint i = 0; i < self->probes->len; i++)
    if (((Probe *) self->probes->pdata[i])->mapped != NULL)
      return TRUE;
  return FALSE;
}

static gboolean
port_mapping_available (JsonObject *report)
{
  const char *members[] = { "pcp", "nat_pmp", "upnp" };

  for (guint i = 0; i < G_N_ELEMENTS (members); i++)
    if (json_object_get_boolean_member (json_object_get_object_member (report, members[i]),
                                        "available"))
      return TRUE;
  return FALSE;
}

static char *
summarize (JsonObject *report)
{
  const char *mapping = json_object_get_string_member (report, "mapping");
  const char *allocation = json_object_get_string_member (report, "port_allocation");
  GString *text = g_string_new (NULL);

  if (json_object_get_boolean_member (report, "udp_blocked"))
    {
      g_string_append (text, "UDP is blocked on this network: Earshot cannot reach a relay or "
                             "anyone directly, so calls will not work here until UDP is allowed.");
      return g_string_free (text, FALSE);
    }
  if (!json_object_get_boolean_member (report, "udp_v4") &&
      !json_object_get_boolean_member (report, "udp_v6"))
    {
      g_string_append (text, "Nothing answered (no relay or STUN server was reachable or given), "
                             "so Earshot cannot tell what this network allows.");
      return g_string_free (text, FALSE);
    }
  if (port_mapping_available (report))
    g_string_append (text, "Calls with most people will be direct: your router opened a port "
                           "for Earshot (port mapping).");
  else if (g_strcmp0 (mapping, "endpoint-independent") == 0)
    g_string_append (text, "Calls with most people will be direct: your NAT keeps the same public "
                           "port for every destination.");
  else if (g_strcmp0 (allocation, "sequential") == 0)
    g_string_append (text, "Calls with people on simple networks will be direct; with others "
                           "Earshot predicts your NAT's next port, and uses the relay when that "
                           "fails, because your NAT gives each destination a new port in sequence.");
  else if (g_strcmp0 (mapping, "unknown") == 0)
    g_string_append (text, "Calls will go direct when both networks allow it and use the relay "
                           "otherwise; how your NAT maps ports could not be told (see "
                           "mapping_note).");
  else
    g_string_append (text, "Calls will use the relay with people who are also behind a strict "
                           "NAT, because your NAT gives each destination a different public port "
                           "and your router offers no port mapping; calls with people on simple "
                           "networks can still be direct.");
  if (json_object_get_boolean_member (report, "udp_v6"))
    g_string_append (text, " IPv6 works, so calls with other IPv6 users can be direct without "
                           "any NAT in the way.");
  if (json_object_get_null_member (report, "hairpin") == FALSE &&
      !json_object_get_boolean_member (report, "hairpin") &&
      json_object_get_boolean_member (report, "udp_v4"))
    g_string_append (text, " Calls with people behind the same router may use the relay: it "
                           "does not loop traffic for its own public address back (no hairpinning).");
  return g_string_free (text, FALSE);
}

static JsonObject *
build_report (EsNetcheck *self)
{
  JsonObject *report = json_object_new ();
  g_autoptr(EsGateway) gateway = es_gateway_find_default (G_SOCKET_FAMILY_IPV4, NULL);
  const char *members[] = { "nat_pmp", "pcp", "upnp" };
  g_autofree char *summary = NULL;
  gboolean udp_blocked;

  report_public (self, report, G_SOCKET_FAMILY_IPV4, "udp_v4", "public_v4");
  report_public (self, report, G_SOCKET_FAMILY_IPV6, "udp_v6", "public_v6");
  report_mapping (self, report);
  report_filtering (self, report);
  report_allocation (self, report);
  report_hairpin (self, report);
  for (guint i = 0; i < G_N_ELEMENTS (members); i++)
    json_object_set_object_member (report, members[i], port_map_report (self->port_maps[i]));
  set_address_or_null (report, "gateway", gateway != NULL ? gateway->address : NULL);
  report_relays (self, report);
  report_stun (self, report);
  /* Blocked: something was asked, and nothing came back over any family. */
  udp_blocked = self->probes->len > 0 && !anything_answered (self);
  json_object_set_boolean_member (report, "udp_blocked", udp_blocked);
  json_object_set_int_member (report, "duration_ms", elapsed_ms (self));
  summary = summarize (report);
  json_object_set_string_member (report, "summary", summary);
  return report;
}

static void
maybe_finish (EsNetcheck *self)
{
  g_autoptr(GTask) task = NULL;

  if (self->task == NULL || self->pending_resolutions > 0 || self->pending_port_maps > 0 ||
      self->waiting_for_list ||
      !all_probes_done (self, PURPOSE_CALL_SOCKET) || !all_probes_done (self, PURPOSE_ALLOCATION))
    return;
  /* Every answer that could start a test is in: those not started never will. */
  if (!self->filtering_started)
    self->filtering_done = TRUE;
  if (!self->hairpin_started)
    self->hairpin_done = TRUE;
  if (self->allocation_sent == 0)
    self->allocation_done = TRUE;
  if (!self->filtering_done || !self->hairpin_done || !self->allocation_done)
    return;

  task = g_steal_pointer (&self->task);
  stop_everything (self);
  self->report = build_report (self);
  g_signal_emit (self, signals[FINISHED], 0, self->report);
  g_task_return_pointer (task, json_object_ref (self->report), (GDestroyNotify) json_object_unref);
}

JsonObject *
es_netcheck_run_finish (EsNetcheck    *self,
                        GAsyncResult  *result,
                        GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- For people ------------------------------------------------------------------- */

static const char *
string_or (JsonObject *object,
           const char *member,
           const char *fallback)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return fallback;
  return json_node_get_string (node);
}

static void
describe_port_map (GString    *text,
                   const char *name,
                   JsonObject *probe)
{
  if (json_object_get_boolean_member (probe, "available"))
    g_string_append_printf (text, "  %-8s yes, external address %s (%" G_GINT64_FORMAT " ms)\n",
                            name, string_or (probe, "external", "unknown"),
                            json_object_get_int_member (probe, "ms"));
  else
    g_string_append_printf (text, "  %-8s no: %s\n", name, string_or (probe, "error", "unknown"));
}

char *
es_netcheck_describe (JsonObject *report)
{
  GString *text = g_string_new (NULL);
  JsonArray *relays = json_object_get_array_member (report, "relays");
  JsonNode *hairpin = json_object_get_member (report, "hairpin");

  g_string_append_printf (text, "UDP over IPv4: %s", json_object_get_boolean_member (report, "udp_v4")
                                                     ? "yes" : "no");
  if (json_object_get_boolean_member (report, "udp_v4"))
    g_string_append_printf (text, ", public address %s", string_or (report, "public_v4", "?"));
  g_string_append_printf (text, "\nUDP over IPv6: %s", json_object_get_boolean_member (report, "udp_v6")
                                                       ? "yes" : "no");
  if (json_object_get_boolean_member (report, "udp_v6"))
    g_string_append_printf (text, ", public address %s", string_or (report, "public_v6", "?"));
  g_string_append_printf (text, "\nMapping: %s", string_or (report, "mapping", "unknown"));
  if (json_object_has_member (report, "mapping_note"))
    g_string_append_printf (text, " (%s)", string_or (report, "mapping_note", ""));
  g_string_append_printf (text, "\nFiltering: %s", string_or (report, "filtering", "unknown"));
  if (json_object_has_member (report, "filtering_note"))
    g_string_append_printf (text, " (%s)", string_or (report, "filtering_note", ""));
  g_string_append_printf (text, "\nPort allocation: %s",
                          string_or (report, "port_allocation", "unknown"));
  if (g_strcmp0 (string_or (report, "port_allocation", ""), "sequential") == 0)
    g_string_append_printf (text, ", step %+" G_GINT64_FORMAT,
                            json_object_get_int_member (report, "delta"));
  g_string_append_printf (text, "\nHairpinning: %s\n",
                          JSON_NODE_HOLDS_NULL (hairpin) ? "not tested"
                          : json_node_get_boolean (hairpin) ? "yes" : "no");
  g_string_append (text, "Port mapping:\n");
  describe_port_map (text, "NAT-PMP", json_object_get_object_member (report, "nat_pmp"));
  describe_port_map (text, "PCP", json_object_get_object_member (report, "pcp"));
  describe_port_map (text, "UPnP", json_object_get_object_member (report, "upnp"));
  g_string_append_printf (text, "Default gateway: %s\n", string_or (report, "gateway", "none"));
  for (guint i = 0; i < json_array_get_length (relays); i++)
    {
      JsonObject *relay = json_array_get_object_element (relays, i);
      JsonNode *rtt = json_object_get_member (relay, "rtt_ms");
      const char *name = json_object_get_string_member (relay, "relay");

      if (JSON_NODE_HOLDS_NULL (rtt))
        g_string_append_printf (text, "Relay %s: no answer\n", name);
      else
        g_string_append_printf (text, "Relay %s: %.1f ms%s\n", name, json_node_get_double (rtt),
                                g_strcmp0 (name, string_or (report, "preferred_relay", NULL)) == 0
                                  ? " (preferred)" : "");
    }
  g_string_append_printf (text, "Checked in %" G_GINT64_FORMAT " ms.\n\n%s\n",
                          json_object_get_int_member (report, "duration_ms"),
                          json_object_get_string_member (report, "summary"));
  return g_string_free (text, FALSE);
}
