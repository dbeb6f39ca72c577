/* es-path-racer.c
 *
 * ICE-style connectivity checks (DESIGN §7): STUN Binding requests from the
 * call socket to every candidate of the peer, with short-term credentials
 * from the signed offer and answer (USERNAME "remote-ufrag:local-ufrag",
 * MESSAGE-INTEGRITY keyed with the peer's password, FINGERPRINT). Both sides
 * check at once, which opens their NATs' bindings to each other; the side
 * with the larger fingerprint then dials QUIC on the first pair that
 * answered, pinning the peer's key, and the other side accepts only that
 * key. Checks are paced and retried on short timers: a call's direct path is
 * worth finding in a few round trips, not in ICE's tens of seconds.
 *
 * Hard NATs give each new flow its own public port, so the peer's
 * reflexive candidate is not where our checks must go. Their reflexive
 * candidates say how they pick ports (es-port-allocation.h):
 *
 *  - A sequential NAT's next ports are predicted (the last one seen plus a
 *    few steps) and checked like any candidate.
 *  - Between a random NAT and an easy one, the birthday method: the hard
 *    side opens ES_BIRTHDAY_SOCKETS probe sockets, each checking the easy
 *    side's reflexive address once a second, so that its NAT holds that
 *    many random ports open towards it; the easy side checks
 *    ES_BIRTHDAY_PROBES random ports of the hard side's public address.
 *    One probe that lands on an open port, or one resend that follows a
 *    probe's path back, is a verified pair; the probe socket it reached
 *    carries the connection (the endpoint keeps it), the others close.
 *    Every probe is an authenticated check, never bare bytes: a stranger
 *    that sees them can neither answer them nor be answered.
 *
 * The relay carries the call meanwhile; everything here is bounded in
 * sockets, packets, rate and time, and stops the moment a path is verified
 * or the call ends.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsPathRacer"

#include "es-path-racer.h"

#include "es-address.h"
#include "es-birthday-schedule.h"
#include "es-error.h"
#include "es-fingerprint.h"
#include "es-stun.h"

/* One new check every PACE_MS; each retried after these delays, then given up. */
#define PACE_MS 5
static const guint retry_ms[] = { 50, 100, 200, 400, 800 };
/* A race that finds nothing in this time leaves the call on the relay; a new
 * candidate list or a lost direct path starts another. */
#define RACE_LIMIT_MS 15000
/* One dial at a time: the acceptor takes the first connection whose
 * handshake completes on its side, and the dialler keeps the first that
 * completes on its own; with two in flight the two sides can pick different
 * connections, each close the other's, and lose the direct path. A pair is
 * dialled only once its check answered, so the first dial rarely fails; when
 * it does, the next answered pair is dialled. */
#define MAX_PARALLEL_DIALS 1
/* Ports of a sequential NAT checked past the last one it was seen to give:
 * the flows it opens between its samples and its first check here (to our
 * other candidates, say) each take one. */
#define PREDICTION_WINDOW 16
/* The birthday method waits this long for a cheaper path (a host, mapped
 * or IPv6 pair) before it opens hundreds of sockets. */
#define BIRTHDAY_DELAY_MS 250
/* Sockets opened, and probes sent, per second; a probe socket's check is
 * sent again this often until the attempt ends. */
#define BIRTHDAY_SOCKETS_PER_SECOND 1000
#define BIRTHDAY_PROBES_PER_SECOND 1000
#define BIRTHDAY_RESEND_MS 1000
#define BIRTHDAY_TICK_MS 5
/* A probe's answer comes within this or, through the hard side's next
 * resend, as a check of its own. */
#define BIRTHDAY_ANSWER_MS 1000

typedef enum {
  CHECK_WAITING,
  CHECK_IN_PROGRESS,
  CHECK_SUCCEEDED,
  CHECK_FAILED,
} CheckState;

typedef struct
{
  EsPathRacer *racer;
  EsCandidate *remote;
  guint probe;                /* the probe socket it goes from; 0: the call socket */
  EsStunRequest *request;
  CheckState state;
  guint attempt;
  guint timeout_id;
  gboolean dialled;
  gboolean persistent;        /* a birthday probe socket's: resent until the attempt ends */
} Check;

typedef enum {
  BIRTHDAY_NONE,
  BIRTHDAY_HARD,              /* this side opens the probe sockets */
  BIRTHDAY_EASY,              /* this side sends the probes */
} BirthdayRole;

/* A probe of the easy side, waiting for its answer. */
typedef struct
{
  guint16 port;
  EsStunRequest *request;
  gint64 sent_us;
} Probe;

struct _EsPathRacer
{
  GObject parent_instance;

  EsQuicEndpoint *endpoint;
  char *peer;
  gboolean dialler;
  char *outgoing_username;    /* what our checks carry: "remote-ufrag:local-ufrag" */
  char *incoming_username;    /* what the peer's checks carry */
  char *local_password;
  char *remote_password;

  GPtrArray *checks;          /* Check, highest priority first */
  guint generation;
  gboolean have_generation;
  gboolean running;
  gboolean verified;
  guint pace_id;
  guint limit_id;
  guint dials_in_flight;
  GCancellable *cancellable;

  EsNatBehaviour local_nat;
  EsNatBehaviour remote_nat;
  GInetSocketAddress *remote_public;  /* the peer's reflexive IPv4 address */

  /* The birthday attempt under way. */
  BirthdayRole role;
  EsBirthdaySchedule *birthday;
  gint64 birthday_started_us;
  guint birthday_packets;     /* checks the attempt sent, resends included */
  guint birthday_delay_id;
  guint birthday_tick_id;
  guint birthday_limit_id;
  GArray *probe_sockets;      /* guint: those it opened */
  GHashTable *probes;         /* port → Probe, the easy side's awaiting an answer */
  GQueue probe_queue;         /* Probe, oldest first */
  GHashTable *probed_ports;   /* ports the easy side probed in this race */
  gboolean birthday_tried;    /* one attempt per race */
};

G_DEFINE_FINAL_TYPE (EsPathRacer, es_path_racer, G_TYPE_OBJECT)

enum {
  PATH_VERIFIED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
check_free (Check *check)
{
  g_clear_handle_id (&check->timeout_id, g_source_remove);
  g_clear_pointer (&check->request, es_stun_request_free);
  es_candidate_free (check->remote);
  g_free (check);
}

static void
probe_free (Probe *probe)
{
  es_stun_request_free (probe->request);
  g_free (probe);
}

static void
es_path_racer_dispose (GObject *object)
{
  EsPathRacer *self = ES_PATH_RACER (object);

  es_path_racer_stop (self);
  if (self->endpoint != NULL)
    g_signal_handlers_disconnect_by_data (self->endpoint, self);
  g_clear_object (&self->endpoint);

  G_OBJECT_CLASS (es_path_racer_parent_class)->dispose (object);
}

static void
es_path_racer_finalize (GObject *object)
{
  EsPathRacer *self = ES_PATH_RACER (object);

  g_free (self->peer);
  g_free (self->outgoing_username);
  g_free (self->incoming_username);
  g_free (self->local_password);
  g_free (self->remote_password);
  g_ptr_array_unref (self->checks);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->remote_public);
  g_array_unref (self->probe_sockets);
  g_hash_table_unref (self->probes);
  g_hash_table_unref (self->probed_ports);

  G_OBJECT_CLASS (es_path_racer_parent_class)->finalize (object);
}

static void
es_path_racer_class_init (EsPathRacerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = es_path_racer_dispose;
  object_class->finalize = es_path_racer_finalize;

  signals[PATH_VERIFIED] =
    g_signal_new ("path-verified", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, ES_TYPE_QUIC_CONNECTION, ES_TYPE_CANDIDATE);
}

static void
es_path_racer_init (EsPathRacer *self)
{
  self->checks = g_ptr_array_new_with_free_func ((GDestroyNotify) check_free);
  self->probe_sockets = g_array_new (FALSE, FALSE, sizeof (guint));
  self->probes = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) probe_free);
  self->probed_ports = g_hash_table_new (NULL, NULL);
  g_queue_init (&self->probe_queue);
}

/* ---- Checks ----------------------------------------------------------------- */

static Check *
find_check (EsPathRacer        *self,
            guint               probe,
            GInetSocketAddress *address)
{
  g_autofree char *text = es_address_to_string (address);

  for (guint i = 0; i < self->checks->len; i++)
    {
      Check *check = self->checks->pdata[i];

      if (check->probe == probe && g_strcmp0 (check->remote->text, text) == 0)
        return check;
    }
  return NULL;
}

static gboolean
reachable_family (EsPathRacer *self,
                  EsCandidate *candidate)
{
  GInetAddress *bound = g_inet_socket_address_get_address (
    es_quic_endpoint_get_local_address (self->endpoint));

  if (g_inet_address_get_family (bound) == G_SOCKET_FAMILY_IPV6)
    return g_inet_address_get_is_any (bound) || es_candidate_is_ipv6 (candidate);
  return !es_candidate_is_ipv6 (candidate);
}

/* Highest priority first: host before reflexive, IPv6 before IPv4. */
static int
compare_checks (gconstpointer a,
                gconstpointer b)
{
  const Check *x = *(const Check * const *) a;
  const Check *y = *(const Check * const *) b;

  return es_candidate_compare (&x->remote, &y->remote);
}

static Check *
add_check (EsPathRacer *self,
           guint        probe,
           EsCandidate *remote)
{
  Check *check = g_new0 (Check, 1);

  check->racer = self;
  check->probe = probe;
  check->remote = remote;
  g_ptr_array_add (self->checks, check);
  return check;
}

static gboolean on_check_timeout (gpointer data);

static void
send_check (Check *check)
{
  EsPathRacer *self = check->racer;
  g_autoptr(GBytes) message = NULL;
  g_autoptr(GError) error = NULL;

  if (check->request == NULL)
    check->request = es_stun_request_new (self->outgoing_username, self->remote_password);
  message = es_stun_request_get_message (check->request);
  check->state = CHECK_IN_PROGRESS;
  if (check->persistent)
    self->birthday_packets++;
  if (!es_quic_endpoint_send_raw_from (self->endpoint, check->probe, check->remote->address,
                                       g_bytes_get_data (message, NULL),
                                       g_bytes_get_size (message), &error))
    g_debug ("check to %s not sent: %s", check->remote->text, error->message);
  check->timeout_id = g_timeout_add (check->persistent ? BIRTHDAY_RESEND_MS
                                                      : retry_ms[check->attempt],
                                     on_check_timeout, check);
}

static gboolean
on_check_timeout (gpointer data)
{
  Check *check = data;

  check->timeout_id = 0;
  if (check->persistent || ++check->attempt < G_N_ELEMENTS (retry_ms))
    send_check (check);
  else
    check->state = CHECK_FAILED;
  return G_SOURCE_REMOVE;
}

/* Sends a check at once: the peer's own check just came from there, so the
 * way back is open now (a triggered check). */
static void
trigger_check (Check *check)
{
  if (check->state == CHECK_SUCCEEDED)
    return;
  check->attempt = 0;
  g_clear_handle_id (&check->timeout_id, g_source_remove);
  send_check (check);
}

/* Starts the next waiting check, one per pacing interval, so that a long
 * candidate list does not leave as one burst. */
static gboolean
on_pace (gpointer data)
{
  EsPathRacer *self = data;

  for (guint i = 0; i < self->checks->len; i++)
    {
      Check *check = self->checks->pdata[i];

      if (check->state == CHECK_WAITING)
        {
          send_check (check);
          return G_SOURCE_CONTINUE;
        }
    }
  self->pace_id = 0;
  return G_SOURCE_REMOVE;
}

static void
rearm_check (Check *check)
{
  check->state = CHECK_WAITING;
  check->attempt = 0;
}

static void
pace_checks (EsPathRacer *self)
{
  if (self->running && self->pace_id == 0)
    {
      self->pace_id = g_timeout_add (PACE_MS, on_pace, self);
      on_pace (self);
    }
}

static void
add_remote_check (EsPathRacer *self,
                  EsCandidate *candidate)
{
  Check *existing = find_check (self, 0, candidate->address);

  if (existing == NULL)
    add_check (self, 0, candidate);
  else
    {
      if (existing->state == CHECK_FAILED)
        rearm_check (existing);
      es_candidate_free (candidate);
    }
}

/* ---- Dialling and verification -------------------------------------------- */

static void end_birthday (EsPathRacer *self,
                          const char  *outcome);

static void
verified (EsPathRacer      *self,
          EsQuicConnection *connection,
          EsCandidate      *remote)
{
  /* A handler may drop the last reference to the racer. */
  g_object_ref (self);
  self->verified = TRUE;
  es_path_racer_stop (self);
  g_debug ("direct path to %s verified via %s (%s)", self->peer, remote->text,
           es_candidate_type_to_string (remote->type));
  g_signal_emit (self, signals[PATH_VERIFIED], 0, connection, remote);
  g_object_unref (self);
}

typedef struct
{
  EsPathRacer *self;
  EsCandidate *remote;
} Dial;

static void dial (EsPathRacer *self,
                  Check       *check);

/* After a failed dial: the best pair that answered and was not dialled yet. */
static void
dial_next (EsPathRacer *self)
{
  for (guint i = 0; i < self->checks->len; i++)
    {
      Check *check = self->checks->pdata[i];

      if (check->state == CHECK_SUCCEEDED && !check->dialled)
        {
          dial (self, check);
          return;
        }
    }
}

static void
on_dialled (GObject      *source,
            GAsyncResult *result,
            gpointer      data)
{
  Dial *dial = data;
  EsPathRacer *self = dial->self;
  g_autoptr(EsQuicConnection) connection = NULL;
  g_autoptr(GError) error = NULL;

  connection = es_quic_endpoint_connect_finish (ES_QUIC_ENDPOINT (source), result, &error);
  self->dials_in_flight--;
  if (connection != NULL && !self->verified)
    verified (self, connection, dial->remote);
  else if (connection != NULL)
    es_quic_connection_close (connection, ES_QUIC_APP_NO_ERROR, "another path won");
  else
    {
      g_debug ("dial to %s failed: %s", dial->remote->text, error->message);
      if (self->running)
        dial_next (self);
    }

  es_candidate_free (dial->remote);
  g_object_unref (dial->self);
  g_free (dial);
}

static void
dial (EsPathRacer *self,
      Check       *check)
{
  guint8 fingerprint[ES_FINGERPRINT_SIZE];
  g_autoptr(EsPeerPin) pin = NULL;
  Dial *attempt;

  if (!self->dialler || check->dialled || self->verified ||
      self->dials_in_flight >= MAX_PARALLEL_DIALS)
    return;
  if (!es_fingerprint_parse (self->peer, fingerprint, NULL))
    g_return_if_reached ();

  check->dialled = TRUE;
  self->dials_in_flight++;
  pin = es_peer_pin_new_fingerprint (fingerprint);
  attempt = g_new0 (Dial, 1);
  attempt->self = g_object_ref (self);
  attempt->remote = es_candidate_copy (check->remote);
  /* A pair the birthday method opened runs over its probe socket. */
  es_quic_endpoint_connect_from_async (self->endpoint, check->probe, check->remote->address, pin,
                                       self->cancellable, on_dialled, attempt);
}

static void
check_succeeded (EsPathRacer *self,
                 Check       *check)
{
  g_clear_handle_id (&check->timeout_id, g_source_remove);
  check->state = CHECK_SUCCEEDED;
  dial (self, check);
}

/* ---- Hard NAT: predicted ports -------------------------------------------- */

/* The peer's NAT, as its first reflexive IPv4 candidate tells, and that
 * candidate's address. */
static void
read_remote_nat (EsPathRacer *self,
                 GPtrArray   *candidates)
{
  for (guint i = 0; i < candidates->len; i++)
    {
      EsCandidate *candidate = candidates->pdata[i];

      if (candidate->type != ES_CANDIDATE_REFLEXIVE || es_candidate_is_ipv6 (candidate))
        continue;
      self->remote_nat = candidate->nat;
      g_set_object (&self->remote_public, candidate->address);
      return;
    }
}

static void
add_predicted_checks (EsPathRacer *self)
{
  guint16 ports[PREDICTION_WINDOW];
  GInetAddress *ip;
  guint n;

  if (self->remote_public == NULL || !es_nat_behaviour_is_predictable (&self->remote_nat))
    return;
  ip = g_inet_socket_address_get_address (self->remote_public);
  n = es_port_allocation_predict (self->remote_nat.last_port, self->remote_nat.delta,
                                  PREDICTION_WINDOW, ports);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GSocketAddress) address = g_inet_socket_address_new (ip, ports[i]);

      add_remote_check (self, es_candidate_new (ES_CANDIDATE_PREDICTED,
                                                G_INET_SOCKET_ADDRESS (address)));
    }
  g_debug ("the peer's NAT is sequential (delta %d, last port %u): checking %u ports after it",
           self->remote_nat.delta, self->remote_nat.last_port, n);
}

/* ---- Hard NAT: the birthday method ---------------------------------------- */

static BirthdayRole
birthday_role (EsPathRacer *self)
{
  if (self->remote_public == NULL)
    return BIRTHDAY_NONE;
  if (es_nat_behaviour_is_random (&self->local_nat) && es_nat_behaviour_is_easy (&self->remote_nat))
    return BIRTHDAY_HARD;
  if (es_nat_behaviour_is_easy (&self->local_nat) && es_nat_behaviour_is_random (&self->remote_nat))
    return BIRTHDAY_EASY;
  return BIRTHDAY_NONE;
}

/* The hard side: a new probe socket that checks the easy side's reflexive
 * address from now until the attempt ends. */
static void
open_probe_socket (EsPathRacer *self)
{
  g_autoptr(GError) error = NULL;
  guint probe = es_quic_endpoint_open_probe_socket (self->endpoint, G_SOCKET_FAMILY_IPV4, &error);
  Check *check;

  if (probe == 0)
    {
      g_debug ("no probe socket: %s", error->message);
      return;
    }
  g_array_append_val (self->probe_sockets, probe);
  check = add_check (self, probe, es_candidate_new (ES_CANDIDATE_BIRTHDAY, self->remote_public));
  check->persistent = TRUE;
  send_check (check);
}

/* The easy side: one check to a random port of the hard side's address. */
static void
send_probe (EsPathRacer *self,
            gint64       now)
{
  Probe *probe = g_new0 (Probe, 1);
  g_autoptr(GSocketAddress) to = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) message = NULL;

  probe->port = es_birthday_schedule_next_port (self->birthday);
  probe->request = es_stun_request_new (self->outgoing_username, self->remote_password);
  probe->sent_us = now;
  to = g_inet_socket_address_new (g_inet_socket_address_get_address (self->remote_public),
                                  probe->port);
  message = es_stun_request_get_message (probe->request);
  if (!es_quic_endpoint_send_raw (self->endpoint, G_INET_SOCKET_ADDRESS (to),
                                  g_bytes_get_data (message, NULL), g_bytes_get_size (message),
                                  &error))
    g_debug ("birthday probe not sent: %s", error->message);
  self->birthday_packets++;
  g_hash_table_add (self->probed_ports, GUINT_TO_POINTER (probe->port));
  g_hash_table_insert (self->probes, GUINT_TO_POINTER (probe->port), probe);
  g_queue_push_tail (&self->probe_queue, probe);
}

/* Probes unanswered by now are forgotten: their answer, if the port opens
 * later, comes as the hard side's own check. */
static void
forget_old_probes (EsPathRacer *self,
                   gint64       now)
{
  Probe *probe;

  while ((probe = g_queue_peek_head (&self->probe_queue)) != NULL &&
         now - probe->sent_us > BIRTHDAY_ANSWER_MS * 1000)
    {
      g_queue_pop_head (&self->probe_queue);
      g_hash_table_remove (self->probes, GUINT_TO_POINTER (probe->port));
    }
}

static gboolean
on_birthday_tick (gpointer data)
{
  EsPathRacer *self = data;
  gint64 now = g_get_monotonic_time ();
  guint due = es_birthday_schedule_take (self->birthday, now);

  for (guint i = 0; i < due; i++)
    {
      if (self->role == BIRTHDAY_HARD)
        open_probe_socket (self);
      else
        send_probe (self, now);
    }
  forget_old_probes (self, now);
  if (!es_birthday_schedule_is_over (self->birthday, now) || !g_queue_is_empty (&self->probe_queue))
    return G_SOURCE_CONTINUE;
  self->birthday_tick_id = 0;
  return G_SOURCE_REMOVE;
}

static void
report_birthday (EsPathRacer *self,
                 const char  *outcome)
{
  guint taken = es_birthday_schedule_get_taken (self->birthday);

  g_debug ("birthday attempt (%s side) %s after %" G_GINT64_FORMAT " ms: %u %s, %u packets",
           self->role == BIRTHDAY_HARD ? "hard" : "easy", outcome,
           (g_get_monotonic_time () - self->birthday_started_us) / 1000, taken,
           self->role == BIRTHDAY_HARD ? "probe sockets" : "probes", self->birthday_packets);
}

static gboolean
on_birthday_limit (gpointer data)
{
  EsPathRacer *self = data;

  self->birthday_limit_id = 0;
  end_birthday (self, "found nothing");
  return G_SOURCE_REMOVE;
}

static gboolean
on_birthday_delay (gpointer data)
{
  EsPathRacer *self = data;
  gint64 now = g_get_monotonic_time ();

  self->birthday_delay_id = 0;
  self->birthday_started_us = now;
  self->birthday_packets = 0;
  if (self->role == BIRTHDAY_HARD)
    self->birthday = es_birthday_schedule_new (ES_BIRTHDAY_SOCKETS, BIRTHDAY_SOCKETS_PER_SECOND,
                                               ES_BIRTHDAY_LIMIT_MS, now, 0);
  else
    self->birthday = es_birthday_schedule_new (ES_BIRTHDAY_PROBES, BIRTHDAY_PROBES_PER_SECOND,
                                               ES_BIRTHDAY_LIMIT_MS, now, 0);
  g_debug ("birthday attempt against %s: %s side", self->peer,
           self->role == BIRTHDAY_HARD ? "hard" : "easy");
  self->birthday_tick_id = g_timeout_add (BIRTHDAY_TICK_MS, on_birthday_tick, self);
  self->birthday_limit_id = g_timeout_add (ES_BIRTHDAY_LIMIT_MS, on_birthday_limit, self);
  on_birthday_tick (self);
  return G_SOURCE_REMOVE;
}

static void
start_birthday (EsPathRacer *self)
{
  if (self->birthday_tried)
    return;
  self->role = birthday_role (self);
  if (self->role == BIRTHDAY_NONE)
    return;
  self->birthday_tried = TRUE;
  self->birthday_delay_id = g_timeout_add (BIRTHDAY_DELAY_MS, on_birthday_delay, self);
}

/* Closes the probe sockets (the endpoint keeps one a connection runs over)
 * and forgets the probes; says what an attempt that began achieved. */
static void
end_birthday (EsPathRacer *self,
              const char  *outcome)
{
  if (self->birthday != NULL)
    report_birthday (self, outcome);
  g_clear_handle_id (&self->birthday_delay_id, g_source_remove);
  g_clear_handle_id (&self->birthday_tick_id, g_source_remove);
  g_clear_handle_id (&self->birthday_limit_id, g_source_remove);
  for (guint i = self->checks->len; i > 0; i--)
    if (((Check *) self->checks->pdata[i - 1])->probe != 0)
      g_ptr_array_remove_index (self->checks, i - 1);
  for (guint i = 0; i < self->probe_sockets->len; i++)
    es_quic_endpoint_close_probe_socket (self->endpoint, g_array_index (self->probe_sockets, guint, i));
  g_array_set_size (self->probe_sockets, 0);
  g_queue_clear (&self->probe_queue);
  g_hash_table_remove_all (self->probes);
  g_clear_pointer (&self->birthday, es_birthday_schedule_free);
  self->role = BIRTHDAY_NONE;
}

/* The easy side: an answer to one of its probes is a verified pair. */
static gboolean
probe_answered (EsPathRacer        *self,
                GInetSocketAddress *from,
                const guint8       *data,
                gsize               length)
{
  guint16 port = g_inet_socket_address_get_port (from);
  g_autoptr(GInetSocketAddress) mapped = NULL;
  Probe *probe;
  Check *check;

  if (self->remote_public == NULL ||
      !g_inet_address_equal (g_inet_socket_address_get_address (from),
                             g_inet_socket_address_get_address (self->remote_public)))
    return FALSE;
  probe = g_hash_table_lookup (self->probes, GUINT_TO_POINTER (port));
  if (probe == NULL)
    return FALSE;
  mapped = es_stun_request_parse_response (probe->request, data, length, NULL);
  if (mapped == NULL)
    return FALSE;
  report_birthday (self, "found an open port");
  check = find_check (self, 0, from);
  if (check == NULL)
    check = add_check (self, 0, es_candidate_new (ES_CANDIDATE_BIRTHDAY, from));
  check_succeeded (self, check);
  return TRUE;
}

/* What the peer's check reached us from, when it is new: a birthday pair
 * when it came to a probe socket or from a port the probes opened. */
static EsCandidateType
learnt_type (EsPathRacer        *self,
             guint               probe,
             GInetSocketAddress *from)
{
  if (probe != 0 ||
      (self->remote_public != NULL &&
       g_inet_address_equal (g_inet_socket_address_get_address (from),
                             g_inet_socket_address_get_address (self->remote_public)) &&
       g_hash_table_contains (self->probed_ports,
                              GUINT_TO_POINTER (g_inet_socket_address_get_port (from)))))
    return ES_CANDIDATE_BIRTHDAY;
  return ES_CANDIDATE_PEER_REFLEXIVE;
}

/* ---- STUN in --------------------------------------------------------------- */

static void
answer_check (EsPathRacer        *self,
              guint               probe,
              GInetSocketAddress *from,
              const guint8       *data,
              gsize               length)
{
  g_autoptr(GBytes) response = NULL;
  g_autoptr(GError) error = NULL;
  Check *check;

  if (!es_stun_answer_binding_request (data, length, from, self->incoming_username,
                                       self->local_password, &response, &error))
    return;   /* another call's check, or a stranger's: not ours to answer */
  if (!es_quic_endpoint_send_raw_from (self->endpoint, probe, from,
                                       g_bytes_get_data (response, NULL),
                                       g_bytes_get_size (response), &error))
    g_debug ("cannot answer a check: %s", error->message);

  /* The peer reached us from here: check back at once (a triggered check),
   * learning a peer-reflexive candidate if the address is new. */
  if (!self->running)
    return;
  check = find_check (self, probe, from);
  if (check == NULL)
    check = add_check (self, probe, es_candidate_new (learnt_type (self, probe, from), from));
  trigger_check (check);
}

static void
handle_stun (EsPathRacer        *self,
             guint               probe,
             GInetSocketAddress *from,
             GBytes             *packet)
{
  gsize length = 0;
  const guint8 *data = g_bytes_get_data (packet, &length);
  Check *check = find_check (self, probe, from);

  if (check != NULL && check->state == CHECK_IN_PROGRESS && check->request != NULL)
    {
      g_autoptr(GInetSocketAddress) mapped = es_stun_request_parse_response (check->request, data,
                                                                             length, NULL);
      if (mapped != NULL)
        {
          check_succeeded (self, check);
          return;
        }
    }
  if (probe == 0 && probe_answered (self, from, data, length))
    return;
  answer_check (self, probe, from, data, length);
}

static void
on_unhandled_packet (EsQuicEndpoint     *endpoint,
                     GInetSocketAddress *from,
                     GBytes             *packet,
                     EsPathRacer        *self)
{
  handle_stun (self, 0, from, packet);
}

static void
on_probe_packet (EsQuicEndpoint     *endpoint,
                 guint               probe,
                 GInetSocketAddress *from,
                 GBytes             *packet,
                 EsPathRacer        *self)
{
  for (guint i = 0; i < self->probe_sockets->len; i++)
    if (g_array_index (self->probe_sockets, guint, i) == probe)
      {
        handle_stun (self, probe, from, packet);
        return;
      }
}

/* ---- Public ------------------------------------------------------------------ */

EsPathRacer *
es_path_racer_new (EsQuicEndpoint *endpoint,
                   const char     *peer_fingerprint,
                   gboolean        dialler,
                   const char     *local_ufrag,
                   const char     *local_password,
                   const char     *remote_ufrag,
                   const char     *remote_password)
{
  EsPathRacer *self = g_object_new (ES_TYPE_PATH_RACER, NULL);

  self->endpoint = g_object_ref (endpoint);
  self->peer = g_strdup (peer_fingerprint);
  self->dialler = dialler;
  self->outgoing_username = g_strconcat (remote_ufrag, ":", local_ufrag, NULL);
  self->incoming_username = g_strconcat (local_ufrag, ":", remote_ufrag, NULL);
  self->local_password = g_strdup (local_password);
  self->remote_password = g_strdup (remote_password);
  /* Checks are answered for as long as the call lasts, racing or not: the
   * peer may be racing while this side already has a path. */
  g_signal_connect (endpoint, "unhandled-packet", G_CALLBACK (on_unhandled_packet), self);
  g_signal_connect (endpoint, "probe-packet", G_CALLBACK (on_probe_packet), self);
  return self;
}

gboolean
es_path_racer_is_dialler (EsPathRacer *self)
{
  return self->dialler;
}

void
es_path_racer_set_local_nat (EsPathRacer          *self,
                             const EsNatBehaviour *nat)
{
  self->local_nat = *nat;
}

void
es_path_racer_set_remote_candidates (EsPathRacer *self,
                                     GPtrArray   *candidates,
                                     guint        generation)
{
  if (self->have_generation && generation <= self->generation)
    return;
  self->have_generation = TRUE;
  self->generation = generation;

  for (guint i = 0; i < candidates->len; i++)
    {
      EsCandidate *candidate = candidates->pdata[i];

      if (candidate->type == ES_CANDIDATE_RELAY || candidate->address == NULL ||
          !reachable_family (self, candidate))
        continue;
      add_remote_check (self, es_candidate_copy (candidate));
    }
  read_remote_nat (self, candidates);
  add_predicted_checks (self);
  g_ptr_array_sort (self->checks, compare_checks);
  pace_checks (self);
  if (self->running)
    start_birthday (self);
}

static gboolean
on_race_limit (gpointer data)
{
  EsPathRacer *self = data;

  self->limit_id = 0;
  g_debug ("no direct path to %s found in %u ms", self->peer, RACE_LIMIT_MS);
  es_path_racer_stop (self);
  return G_SOURCE_REMOVE;
}

void
es_path_racer_start (EsPathRacer *self)
{
  /* Started again while it runs: our own addresses changed, and a pair that
   * failed (no route yet, say) may answer now. */
  if (self->running)
    {
      for (guint i = 0; i < self->checks->len; i++)
        {
          Check *check = self->checks->pdata[i];

          if (check->state == CHECK_FAILED)
            rearm_check (check);
        }
      pace_checks (self);
      start_birthday (self);
      return;
    }
  self->running = TRUE;
  self->verified = FALSE;
  self->birthday_tried = FALSE;
  g_hash_table_remove_all (self->probed_ports);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  for (guint i = 0; i < self->checks->len; i++)
    {
      Check *check = self->checks->pdata[i];

      g_clear_handle_id (&check->timeout_id, g_source_remove);
      check->state = CHECK_WAITING;
      check->attempt = 0;
      check->dialled = FALSE;
    }
  self->limit_id = g_timeout_add (RACE_LIMIT_MS, on_race_limit, self);
  pace_checks (self);
  start_birthday (self);
}

void
es_path_racer_stop (EsPathRacer *self)
{
  self->running = FALSE;
  g_clear_handle_id (&self->pace_id, g_source_remove);
  g_clear_handle_id (&self->limit_id, g_source_remove);
  g_cancellable_cancel (self->cancellable);
  if (self->endpoint != NULL)
    end_birthday (self, self->verified ? "ended with a verified path" : "was stopped");
  for (guint i = 0; i < self->checks->len; i++)
    {
      Check *check = self->checks->pdata[i];

      g_clear_handle_id (&check->timeout_id, g_source_remove);
      if (check->state == CHECK_IN_PROGRESS)
        check->state = CHECK_FAILED;
    }
}

gboolean
es_path_racer_is_running (EsPathRacer *self)
{
  return self->running;
}

void
es_path_racer_take_connection (EsPathRacer      *self,
                               EsQuicConnection *connection)
{
  GInetSocketAddress *remote = es_quic_connection_get_remote_address (connection);
  guint probe = es_quic_endpoint_get_connection_probe (self->endpoint, connection);
  Check *check = find_check (self, probe, remote);
  g_autoptr(EsCandidate) candidate = NULL;

  if (self->verified)
    {
      es_quic_connection_close (connection, ES_QUIC_APP_NO_ERROR, "another path won");
      return;
    }
  candidate = check != NULL ? es_candidate_copy (check->remote)
                            : es_candidate_new (learnt_type (self, probe, remote), remote);
  verified (self, connection, candidate);
}
