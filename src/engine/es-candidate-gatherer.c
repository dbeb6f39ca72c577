/* es-candidate-gatherer.c
 *
 * Every candidate is an address of the one call socket (DESIGN §7): host
 * addresses with its port, the address the relay and STUN servers saw it
 * come from, a port mapping on the gateway, and the relay itself. STUN goes
 * out of the call socket so that the mapping it reports is the one the peer
 * will reach. The list is made again when the network changes; each change
 * raises the generation, so that the peer can ignore stale lists.
 *
 * The reflexive candidates also say how the NAT behaves (DESIGN §7, hard
 * NAT): whether the call socket kept one public address for every
 * destination that answered (an RFC 5780 server's other address and port
 * count as destinations), and how the NAT picks the port of a new flow, from
 * ES_PORT_ALLOCATION_SAMPLES fresh probe sockets asking one server in turn
 * (as netcheck does). That is what the peer needs to predict a sequential
 * NAT's next port or to try the birthday method against a random one.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsCandidateGatherer"

#include "es-candidate-gatherer.h"

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>

#include "es-address.h"
#include "es-port-allocation.h"
#include "es-stun.h"

/* RFC 8489 retransmits for ~40 s; a call cannot wait that long. Three tries
 * over 0.7 s find a server that answers at all. */
static const guint stun_retry_ms[] = { 100, 200, 400 };
/* Interfaces come and go in bursts (a VPN brings up several at once). */
#define NETWORK_SETTLE_MS 200

typedef struct
{
  EsCandidateGatherer *self;
  EsStunRequest *request;
  GInetSocketAddress *server;
  guint attempt;
  guint timeout_id;
  guint probe;                  /* a probe socket (allocation samples), 0: the call socket */
  gboolean expanded;            /* an RFC 5780 server's other addresses were asked */
} StunQuery;

/* An answer to the call socket: where it went, what the server saw. */
typedef struct
{
  GInetSocketAddress *destination;
  GInetSocketAddress *mapped;
} Answer;

struct _EsCandidateGatherer
{
  GObject parent_instance;

  EsQuicEndpoint *endpoint;
  gboolean privacy;
  char *relay;
  char *observed;
  GPtrArray *stun_servers;      /* GInetSocketAddress */
  GInetSocketAddress *mapped;

  GPtrArray *host;              /* EsCandidate */
  GPtrArray *stun_reflexive;    /* EsCandidate */
  GPtrArray *candidates;        /* EsCandidate: all of the above, sorted */
  guint generation;

  GPtrArray *queries;           /* StunQuery */
  GNetworkMonitor *monitor;
  guint settle_id;
  gboolean gathered;            /* gather() ran: new STUN servers are asked at once */

  GPtrArray *answers;           /* Answer, IPv4, from the call socket */
  StunQuery *sample;            /* the allocation sample under way, in queries */
  EsPortSample samples[ES_PORT_ALLOCATION_SAMPLES];   /* the sampling under way */
  guint n_samples;
  /* What the last complete sampling showed; kept while the next one runs. */
  EsPortAllocation allocation;
  int delta;
  guint16 sample_public_max;    /* the highest public port it saw */
  EsNatBehaviour nat;
};

G_DEFINE_FINAL_TYPE (EsCandidateGatherer, es_candidate_gatherer, G_TYPE_OBJECT)

enum {
  CANDIDATES_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
stun_query_free (StunQuery *query)
{
  g_clear_handle_id (&query->timeout_id, g_source_remove);
  if (query->probe != 0)
    es_quic_endpoint_close_probe_socket (query->self->endpoint, query->probe);
  if (query->self->sample == query)
    query->self->sample = NULL;
  es_stun_request_free (query->request);
  g_object_unref (query->server);
  g_free (query);
}

static void
answer_free (Answer *answer)
{
  g_object_unref (answer->destination);
  g_object_unref (answer->mapped);
  g_free (answer);
}

static void
es_candidate_gatherer_dispose (GObject *object)
{
  EsCandidateGatherer *self = ES_CANDIDATE_GATHERER (object);

  g_clear_handle_id (&self->settle_id, g_source_remove);
  if (self->queries != NULL)
    g_ptr_array_set_size (self->queries, 0);
  if (self->endpoint != NULL)
    g_signal_handlers_disconnect_by_data (self->endpoint, self);
  if (self->monitor != NULL)
    g_signal_handlers_disconnect_by_data (self->monitor, self);
  g_clear_object (&self->endpoint);
  g_clear_object (&self->monitor);

  G_OBJECT_CLASS (es_candidate_gatherer_parent_class)->dispose (object);
}

static void
es_candidate_gatherer_finalize (GObject *object)
{
  EsCandidateGatherer *self = ES_CANDIDATE_GATHERER (object);

  g_free (self->relay);
  g_free (self->observed);
  g_clear_object (&self->mapped);
  g_ptr_array_unref (self->stun_servers);
  g_ptr_array_unref (self->host);
  g_ptr_array_unref (self->stun_reflexive);
  g_ptr_array_unref (self->candidates);
  g_ptr_array_unref (self->queries);
  g_ptr_array_unref (self->answers);

  G_OBJECT_CLASS (es_candidate_gatherer_parent_class)->finalize (object);
}

static void
es_candidate_gatherer_class_init (EsCandidateGathererClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = es_candidate_gatherer_dispose;
  object_class->finalize = es_candidate_gatherer_finalize;

  signals[CANDIDATES_CHANGED] =
    g_signal_new ("candidates-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
es_candidate_gatherer_init (EsCandidateGatherer *self)
{
  self->stun_servers = g_ptr_array_new_with_free_func (g_object_unref);
  self->host = g_ptr_array_new_with_free_func ((GDestroyNotify) es_candidate_free);
  self->stun_reflexive = g_ptr_array_new_with_free_func ((GDestroyNotify) es_candidate_free);
  self->candidates = g_ptr_array_new_with_free_func ((GDestroyNotify) es_candidate_free);
  self->queries = g_ptr_array_new_with_free_func ((GDestroyNotify) stun_query_free);
  self->answers = g_ptr_array_new_with_free_func ((GDestroyNotify) answer_free);
}

/* ---- Host addresses --------------------------------------------------------- */

static gboolean
interface_allowed (const char *name,
                   gboolean    loopback)
{
  const char *allowed = g_getenv ("EARSHOT_INTERFACES");
  g_auto(GStrv) names = NULL;

  if (allowed == NULL || allowed[0] == '\0')
    return !loopback;
  names = g_strsplit (allowed, ",", -1);
  return g_strv_contains ((const char * const *) names, name);
}

static gboolean
address_usable (GInetAddress *address)
{
  return !g_inet_address_get_is_link_local (address) && !g_inet_address_get_is_any (address) &&
         !g_inet_address_get_is_multicast (address);
}

GPtrArray *
es_candidate_gatherer_list_host_addresses (void)
{
  GPtrArray *addresses = g_ptr_array_new_with_free_func (g_object_unref);
  struct ifaddrs *list = NULL;

  if (getifaddrs (&list) != 0)
    return addresses;
  for (struct ifaddrs *entry = list; entry != NULL; entry = entry->ifa_next)
    {
      g_autoptr(GSocketAddress) socket_address = NULL;
      GInetAddress *address;
      gsize length;

      if (entry->ifa_addr == NULL || !(entry->ifa_flags & IFF_UP) ||
          !(entry->ifa_flags & IFF_RUNNING) ||
          !interface_allowed (entry->ifa_name, (entry->ifa_flags & IFF_LOOPBACK) != 0))
        continue;
      if (entry->ifa_addr->sa_family == AF_INET)
        length = sizeof (struct sockaddr_in);
      else if (entry->ifa_addr->sa_family == AF_INET6)
        length = sizeof (struct sockaddr_in6);
      else
        continue;
      socket_address = g_socket_address_new_from_native (entry->ifa_addr, length);
      if (socket_address == NULL)
        continue;
      address = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (socket_address));
      if (address_usable (address))
        g_ptr_array_add (addresses, g_object_ref (address));
    }
  freeifaddrs (list);
  return addresses;
}

/* The families the call socket can send on: both for a dual-stack socket. */
static gboolean
socket_has_family (EsCandidateGatherer *self,
                   GSocketFamily        family)
{
  GInetSocketAddress *local = es_quic_endpoint_get_local_address (self->endpoint);
  GInetAddress *bound = g_inet_socket_address_get_address (local);

  if (g_inet_address_get_family (bound) == G_SOCKET_FAMILY_IPV6)
    return g_inet_address_get_is_any (bound) || family == G_SOCKET_FAMILY_IPV6;
  return family == G_SOCKET_FAMILY_IPV4;
}

static void
read_host_candidates (EsCandidateGatherer *self)
{
  g_autoptr(GPtrArray) addresses = es_candidate_gatherer_list_host_addresses ();
  guint16 port = g_inet_socket_address_get_port (es_quic_endpoint_get_local_address (self->endpoint));

  g_ptr_array_set_size (self->host, 0);
  for (guint i = 0; i < addresses->len; i++)
    {
      g_autoptr(GSocketAddress) address = NULL;

      if (!socket_has_family (self, g_inet_address_get_family (addresses->pdata[i])))
        continue;
      address = g_inet_socket_address_new (addresses->pdata[i], port);
      g_ptr_array_add (self->host, es_candidate_new (ES_CANDIDATE_HOST, G_INET_SOCKET_ADDRESS (address)));
    }
}

/* ---- The list -------------------------------------------------------------- */

static gboolean
contains (GPtrArray         *candidates,
          const EsCandidate *candidate)
{
  for (guint i = 0; i < candidates->len; i++)
    {
      const EsCandidate *other = candidates->pdata[i];

      if (g_strcmp0 (other->text, candidate->text) == 0)
        return TRUE;
    }
  return FALSE;
}

static void
add_unique (GPtrArray   *candidates,
            EsCandidate *candidate)
{
  if (contains (candidates, candidate))
    es_candidate_free (candidate);
  else
    g_ptr_array_add (candidates, candidate);
}

static gboolean
same_list (GPtrArray *a,
           GPtrArray *b)
{
  if (a->len != b->len)
    return FALSE;
  for (guint i = 0; i < a->len; i++)
    if (!es_candidate_equal (a->pdata[i], b->pdata[i]))
      return FALSE;
  return TRUE;
}

static void
rebuild (EsCandidateGatherer *self)
{
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) es_candidate_free);

  if (!self->privacy)
    {
      for (guint i = 0; i < self->host->len; i++)
        add_unique (list, es_candidate_copy (self->host->pdata[i]));
      if (self->mapped != NULL)
        add_unique (list, es_candidate_new (ES_CANDIDATE_MAPPED, self->mapped));
      if (self->observed != NULL)
        {
          g_autoptr(GInetSocketAddress) observed = es_address_parse (self->observed, NULL);

          if (observed != NULL)
            add_unique (list, es_candidate_new (ES_CANDIDATE_REFLEXIVE, observed));
        }
      for (guint i = 0; i < self->stun_reflexive->len; i++)
        add_unique (list, es_candidate_copy (self->stun_reflexive->pdata[i]));
    }
  for (guint i = 0; i < list->len; i++)
    {
      EsCandidate *candidate = list->pdata[i];

      if (candidate->type == ES_CANDIDATE_REFLEXIVE && !es_candidate_is_ipv6 (candidate))
        candidate->nat = self->nat;
    }
  if (self->relay != NULL)
    g_ptr_array_add (list, es_candidate_new_relay (self->relay));
  g_ptr_array_sort (list, es_candidate_compare);

  if (same_list (list, self->candidates))
    return;
  g_ptr_array_unref (self->candidates);
  self->candidates = g_steal_pointer (&list);
  self->generation++;
  g_signal_emit (self, signals[CANDIDATES_CHANGED], 0);
}

/* ---- STUN ------------------------------------------------------------------- */

static gboolean on_stun_timeout (gpointer data);
static void take_next_sample (EsCandidateGatherer *self);

static gboolean
is_ipv4 (GInetSocketAddress *address)
{
  return g_socket_address_get_family (G_SOCKET_ADDRESS (address)) == G_SOCKET_FAMILY_IPV4;
}

static void
send_stun (StunQuery *query)
{
  g_autoptr(GBytes) message = es_stun_request_get_message (query->request);
  g_autoptr(GError) error = NULL;

  if (!es_quic_endpoint_send_raw_from (query->self->endpoint, query->probe, query->server,
                                       g_bytes_get_data (message, NULL),
                                       g_bytes_get_size (message), &error))
    g_debug ("cannot send a STUN request: %s", error->message);
  query->timeout_id = g_timeout_add (stun_retry_ms[query->attempt], on_stun_timeout, query);
}

static StunQuery *
start_query (EsCandidateGatherer *self,
             GInetSocketAddress  *server,
             guint                probe)
{
  StunQuery *query = g_new0 (StunQuery, 1);

  query->self = self;
  query->request = es_stun_request_new (NULL, NULL);
  query->server = g_object_ref (server);
  query->probe = probe;
  g_ptr_array_add (self->queries, query);
  send_stun (query);
  return query;
}

static gboolean
on_stun_timeout (gpointer data)
{
  StunQuery *query = data;

  query->timeout_id = 0;
  if (++query->attempt < G_N_ELEMENTS (stun_retry_ms))
    send_stun (query);
  else
    /* No answer: no candidate; an allocation sample without one ends the
     * sampling (the pattern stays unknown). */
    g_ptr_array_remove (query->self->queries, query);
  return G_SOURCE_REMOVE;
}

/* ---- NAT behaviour ---------------------------------------------------------- */

static gboolean
same_ip (GInetSocketAddress *a,
         GInetSocketAddress *b)
{
  return g_inet_address_equal (g_inet_socket_address_get_address (a),
                               g_inet_socket_address_get_address (b));
}

static gboolean
same_address (GInetSocketAddress *a,
              GInetSocketAddress *b)
{
  return same_ip (a, b) && g_inet_socket_address_get_port (a) == g_inet_socket_address_get_port (b);
}

/* RFC 5780 §4.3, from what the call socket's answers show: one public
 * address for every destination is endpoint-independent; two destinations
 * on one address with different ports tell address-dependent from
 * address-and-port-dependent; otherwise it is not known. */
static EsNatMapping
read_mapping (EsCandidateGatherer *self)
{
  gboolean all_equal = TRUE;
  gboolean port_matters = FALSE;
  gboolean port_does_not_matter = FALSE;
  guint distinct = 0;

  for (guint i = 0; i < self->answers->len; i++)
    {
      Answer *a = self->answers->pdata[i];
      gboolean seen = FALSE;

      for (guint j = 0; j < i; j++)
        {
          Answer *b = self->answers->pdata[j];

          seen |= same_address (a->destination, b->destination);
          all_equal &= same_address (a->mapped, b->mapped);
          if (!same_ip (a->destination, b->destination) || same_address (a->destination, b->destination))
            continue;
          if (same_address (a->mapped, b->mapped))
            port_does_not_matter = TRUE;
          else
            port_matters = TRUE;
        }
      distinct += seen ? 0 : 1;
    }
  if (distinct < 2)
    return ES_NAT_MAPPING_UNKNOWN;
  if (all_equal)
    return ES_NAT_MAPPING_ENDPOINT_INDEPENDENT;
  if (port_matters)
    return ES_NAT_MAPPING_ADDRESS_AND_PORT_DEPENDENT;
  return port_does_not_matter ? ES_NAT_MAPPING_ADDRESS_DEPENDENT : ES_NAT_MAPPING_UNKNOWN;
}

/* The last port a sequential NAT gave: the highest any flow was seen to
 * get, from the samples or the call socket (a NAT that wrapped around its
 * range meanwhile is predicted from a stale port, and misses). */
static guint16
last_public_port (EsCandidateGatherer *self)
{
  guint16 last = self->sample_public_max;

  for (guint i = 0; i < self->answers->len; i++)
    last = MAX (last, g_inet_socket_address_get_port (((Answer *) self->answers->pdata[i])->mapped));
  return last;
}

static void
update_nat (EsCandidateGatherer *self)
{
  EsNatBehaviour nat = { 0 };

  nat.mapping = read_mapping (self);
  nat.allocation = self->allocation;
  nat.delta = self->delta;
  if (nat.allocation == ES_PORT_ALLOCATION_SEQUENTIAL)
    nat.last_port = last_public_port (self);
  if (!es_nat_behaviour_equal (&nat, &self->nat))
    g_debug ("NAT: %s mapping, %s port allocation (delta %d, last port %u)",
             es_nat_mapping_to_string (nat.mapping), es_port_allocation_to_string (nat.allocation),
             nat.delta, nat.last_port);
  self->nat = nat;
}

static void
remember_answer (EsCandidateGatherer *self,
                 GInetSocketAddress  *destination,
                 GInetSocketAddress  *mapped)
{
  Answer *answer;

  if (!is_ipv4 (destination) || !is_ipv4 (mapped))
    return;
  /* A destination asked again (the network changed) says what holds now. */
  for (guint i = 0; i < self->answers->len; i++)
    {
      answer = self->answers->pdata[i];
      if (same_address (answer->destination, destination))
        {
          g_set_object (&answer->mapped, mapped);
          return;
        }
    }
  answer = g_new0 (Answer, 1);
  answer->destination = g_object_ref (destination);
  answer->mapped = g_object_ref (mapped);
  g_ptr_array_add (self->answers, answer);
}

/* An RFC 5780 server answers from its other address and port too: asking
 * all three gives the mapping on one address with two ports, and on two
 * addresses. */
static void
ask_other_addresses (EsCandidateGatherer *self,
                     StunQuery           *query,
                     const guint8        *data,
                     gsize                length)
{
  g_autoptr(GInetSocketAddress) other = es_stun_response_get_other_address (data, length);
  GInetAddress *primary_ip = g_inet_socket_address_get_address (query->server);
  guint16 primary_port = g_inet_socket_address_get_port (query->server);
  GInetAddress *other_ip;
  guint16 other_port;
  g_autoptr(GSocketAddress) a = NULL;
  g_autoptr(GSocketAddress) b = NULL;

  if (other == NULL || !is_ipv4 (other) || !is_ipv4 (query->server))
    return;
  other_ip = g_inet_socket_address_get_address (other);
  other_port = g_inet_socket_address_get_port (other);
  if (g_inet_address_equal (other_ip, primary_ip) || other_port == primary_port)
    return;
  a = g_inet_socket_address_new (primary_ip, other_port);
  b = g_inet_socket_address_new (other_ip, primary_port);
  start_query (self, G_INET_SOCKET_ADDRESS (a), 0)->expanded = TRUE;
  start_query (self, G_INET_SOCKET_ADDRESS (b), 0)->expanded = TRUE;
  start_query (self, other, 0)->expanded = TRUE;
}

static void
call_socket_answered (EsCandidateGatherer *self,
                      StunQuery           *query,
                      GInetSocketAddress  *mapped,
                      const guint8        *data,
                      gsize                length)
{
  add_unique (self->stun_reflexive, es_candidate_new (ES_CANDIDATE_REFLEXIVE, mapped));
  remember_answer (self, query->server, mapped);
  if (!query->expanded)
    ask_other_addresses (self, query, data, length);
  g_ptr_array_remove (self->queries, query);
  update_nat (self);
  rebuild (self);
}

static void
on_unhandled_packet (EsQuicEndpoint      *endpoint,
                     GInetSocketAddress  *from,
                     GBytes              *packet,
                     EsCandidateGatherer *self)
{
  gsize length = 0;
  const guint8 *data = g_bytes_get_data (packet, &length);

  for (guint i = 0; i < self->queries->len; i++)
    {
      StunQuery *query = self->queries->pdata[i];
      g_autoptr(GInetSocketAddress) mapped = NULL;

      if (query->probe != 0)
        continue;
      mapped = es_stun_request_parse_response (query->request, data, length, NULL);
      if (mapped != NULL)
        {
          call_socket_answered (self, query, mapped, data, length);
          return;
        }
    }
}

/* ---- Port allocation samples ------------------------------------------------ */

/* The first IPv4 STUN server (the relay's own counts) is asked from one
 * fresh socket after another, each socket a new flow through the NAT. */
static GInetSocketAddress *
sample_server (EsCandidateGatherer *self)
{
  for (guint i = 0; i < self->stun_servers->len; i++)
    if (is_ipv4 (self->stun_servers->pdata[i]))
      return self->stun_servers->pdata[i];
  return NULL;
}

static void
start_sampling (EsCandidateGatherer *self)
{
  if (self->privacy || self->sample != NULL || sample_server (self) == NULL ||
      !socket_has_family (self, G_SOCKET_FAMILY_IPV4))
    return;
  self->n_samples = 0;
  take_next_sample (self);
}

static void
take_next_sample (EsCandidateGatherer *self)
{
  g_autoptr(GError) error = NULL;
  guint probe;

  if (self->n_samples >= ES_PORT_ALLOCATION_SAMPLES)
    return;
  probe = es_quic_endpoint_open_probe_socket (self->endpoint, G_SOCKET_FAMILY_IPV4, &error);
  if (probe == 0)
    {
      g_debug ("no port allocation sample: %s", error->message);
      return;
    }
  self->sample = start_query (self, sample_server (self), probe);
}

static void
on_probe_packet (EsQuicEndpoint      *endpoint,
                 guint                probe,
                 GInetSocketAddress  *from,
                 GBytes              *packet,
                 EsCandidateGatherer *self)
{
  gsize length = 0;
  const guint8 *data = g_bytes_get_data (packet, &length);
  g_autoptr(GInetSocketAddress) mapped = NULL;
  StunQuery *query = self->sample;
  EsPortSample *sample;

  if (query == NULL || query->probe != probe)
    return;
  mapped = es_stun_request_parse_response (query->request, data, length, NULL);
  if (mapped == NULL || !is_ipv4 (mapped))
    return;
  sample = &self->samples[self->n_samples++];
  sample->local_port = g_inet_socket_address_get_port (
    es_quic_endpoint_get_probe_address (endpoint, probe));
  sample->mapped_port = g_inet_socket_address_get_port (mapped);
  g_ptr_array_remove (self->queries, query);   /* closes its socket */
  if (self->n_samples < ES_PORT_ALLOCATION_SAMPLES)
    {
      take_next_sample (self);
      return;
    }
  self->allocation = es_port_allocation_classify (self->samples, self->n_samples, &self->delta);
  self->sample_public_max = 0;
  for (guint i = 0; i < self->n_samples; i++)
    self->sample_public_max = MAX (self->sample_public_max, self->samples[i].mapped_port);
  update_nat (self);
  rebuild (self);
}

static void
ask_stun_servers (EsCandidateGatherer *self)
{
  g_ptr_array_set_size (self->queries, 0);
  g_ptr_array_set_size (self->stun_reflexive, 0);
  for (guint i = 0; i < self->stun_servers->len; i++)
    {
      GInetSocketAddress *server = self->stun_servers->pdata[i];

      if (socket_has_family (self, g_inet_address_get_family (g_inet_socket_address_get_address (server))))
        start_query (self, server, 0);
    }
  start_sampling (self);
}

/* ---- Public ----------------------------------------------------------------- */

const EsNatBehaviour *
es_candidate_gatherer_get_nat (EsCandidateGatherer *self)
{
  return &self->nat;
}

static gboolean
on_network_settled (gpointer data)
{
  EsCandidateGatherer *self = data;

  self->settle_id = 0;
  es_candidate_gatherer_gather (self);
  return G_SOURCE_REMOVE;
}

static void
on_network_changed (GNetworkMonitor     *monitor,
                    gboolean             available,
                    EsCandidateGatherer *self)
{
  g_clear_handle_id (&self->settle_id, g_source_remove);
  self->settle_id = g_timeout_add (NETWORK_SETTLE_MS, on_network_settled, self);
}

EsCandidateGatherer *
es_candidate_gatherer_new (EsQuicEndpoint *endpoint)
{
  EsCandidateGatherer *self = g_object_new (ES_TYPE_CANDIDATE_GATHERER, NULL);

  self->endpoint = g_object_ref (endpoint);
  g_signal_connect (endpoint, "unhandled-packet", G_CALLBACK (on_unhandled_packet), self);
  g_signal_connect (endpoint, "probe-packet", G_CALLBACK (on_probe_packet), self);
  self->monitor = g_object_ref (g_network_monitor_get_default ());
  g_signal_connect (self->monitor, "network-changed", G_CALLBACK (on_network_changed), self);
  return self;
}

void
es_candidate_gatherer_set_privacy (EsCandidateGatherer *self,
                                   gboolean             privacy)
{
  self->privacy = privacy;
  rebuild (self);
}

gboolean
es_candidate_gatherer_get_privacy (EsCandidateGatherer *self)
{
  return self->privacy;
}

void
es_candidate_gatherer_set_relay (EsCandidateGatherer *self,
                                 const char          *relay,
                                 const char          *observed)
{
  g_free (self->relay);
  self->relay = g_strdup (relay);
  g_free (self->observed);
  self->observed = g_strdup (observed);
  rebuild (self);
}

void
es_candidate_gatherer_add_stun_server (EsCandidateGatherer *self,
                                       GInetSocketAddress  *server)
{
  g_ptr_array_add (self->stun_servers, g_object_ref (server));
  /* Known after the first gathering (the relay's, once registered): asked
   * now, and the first IPv4 one also gives the allocation samples. */
  if (!self->gathered || self->privacy ||
      !socket_has_family (self, g_inet_address_get_family (g_inet_socket_address_get_address (server))))
    return;
  start_query (self, server, 0);
  if (self->allocation == ES_PORT_ALLOCATION_UNKNOWN)
    start_sampling (self);
}

void
es_candidate_gatherer_set_mapped (EsCandidateGatherer *self,
                                  GInetSocketAddress  *mapped)
{
  g_clear_object (&self->mapped);
  self->mapped = mapped != NULL ? g_object_ref (mapped) : NULL;
  rebuild (self);
}

void
es_candidate_gatherer_gather (EsCandidateGatherer *self)
{
  self->gathered = TRUE;
  if (!self->privacy)
    {
      read_host_candidates (self);
      ask_stun_servers (self);
    }
  rebuild (self);
}

GPtrArray *
es_candidate_gatherer_get_candidates (EsCandidateGatherer *self)
{
  return self->candidates;
}

JsonArray *
es_candidate_gatherer_to_json (EsCandidateGatherer *self)
{
  JsonArray *array = json_array_new ();

  for (guint i = 0; i < self->candidates->len; i++)
    json_array_add_object_element (array, es_candidate_to_json (self->candidates->pdata[i]));
  return array;
}

guint
es_candidate_gatherer_get_generation (EsCandidateGatherer *self)
{
  return self->generation;
}
