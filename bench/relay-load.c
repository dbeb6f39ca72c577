/* relay-load: the load generator of bench/relay-load.py. Not a test: it
 * prints what it measured as JSON lines (flushed) and leaves judging to the
 * driver.
 *
 *   relay-load calls --relay ADDR:PORT#FP --calls N [--warmup S] [--seconds S]
 *       2N registered clients, each with its own identity, set up N real
 *       calls through the relay (signed call-offer and call-answer, checked
 *       like a client checks them; call-route gives the handle), then each
 *       leg sends 50 datagrams a second to the other through the relay.
 *   relay-load calls --direct --calls N ...
 *       the same datagrams on the same loopback path without the relay: each
 *       caller has a QUIC connection straight to its callee.
 *   relay-load idle --relay ADDR:PORT#FP --clients N [--hold S]
 *       N registered clients that then only keep their connection alive,
 *       until stdin closes or S seconds have passed.
 *
 * Callers share one UDP socket and callees another (an endpoint carries
 * many client connections, each presenting its own identity), so the
 * generator costs one main loop and two sockets whatever N is.
 *
 * Sending is paced by a 1 ms timerfd: leg k sends in the ticks where
 * tick % 20 == k % 20, so the load is spread evenly over every 20 ms rather
 * than sent in bursts. Each datagram is what a 24 kbit/s Opus frame makes on
 * the wire (protocol.md §4: 4-byte handle, 16-byte header, 60-byte Opus
 * packet, 16-byte tag = 96 bytes) and carries its sequence number and the
 * monotonic time it was handed to QUIC; the relay forwards it unchanged, so
 * the receiving leg (in this same process) knows the one-way latency of
 * each one. The payload is random bytes rather than ciphertext: the relay
 * never reads it.
 *
 * After --warmup seconds of media, a window of --seconds starts
 * ({"event":"window-start"}) and ends ({"event":"window-end"}); the driver
 * samples the relay's CPU and metrics at both. Loss and latency count the
 * datagrams sent inside the window, after a drain time for the last ones.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "RelayLoad"

#include <errno.h>
#include <glib-unix.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "es-address.h"
#include "es-fingerprint.h"
#include "es-hex.h"
#include "es-json.h"
#include "es-quic-endpoint.h"
#include "es-relay-spec.h"
#include "es-signed-envelope.h"

#define DATAGRAM_SIZE 96
#define HANDLE_OFFSET 0
#define SEQUENCE_OFFSET 6
#define TIMESTAMP_OFFSET 14
#define SENT_AT_OFFSET 20
#define SAMPLES_PER_FRAME 960

#define TICK_US 1000
#define TICKS_PER_FRAME 20
/* Handshakes and call set-ups under way at once: enough to keep the relay
 * busy, few enough that none of them nears its timeout. */
#define CONNECTS_IN_FLIGHT 32
#define CALLS_IN_FLIGHT 64
#define SETUP_TIMEOUT_S 300
#define DRAIN_MS 500
/* Latency histogram: 1 µs bins up to a second, then one overflow bin. */
#define HISTOGRAM_BINS 1000000
#define CLOSE_GRACE_MS 300

typedef struct _Generator Generator;
typedef struct _Call Call;
typedef struct _Leg Leg;

struct _Leg
{
  Generator *generator;
  Call *call;
  Leg *peer;
  guint index;
  EsIdentity *identity;
  EsQuicConnection *connection;
  gint64 stream_id;
  gboolean registered;
  gboolean routed;
  guint32 handle;
  guint64 next_sequence;
  /* Sequence numbers this leg sent inside the window: [first, end). */
  guint64 window_first;
  guint64 window_end;
  guint64 received_in_window;   /* of the peer's window datagrams */
  guint8 datagram[DATAGRAM_SIZE];
};

struct _Call
{
  char id[ES_CALL_ID_LENGTH + 1];
  Leg caller;
  Leg callee;
  EsSignedEnvelope *offer;      /* as the callee received it */
  EsSignedEnvelope *sent_offer; /* as the caller sent it */
};

typedef enum {
  PHASE_CONNECTING,
  PHASE_CALLING,
  PHASE_MEDIA,
  PHASE_IDLE,
  PHASE_CLOSING,
} Phase;

struct _Generator
{
  GMainLoop *loop;
  gboolean direct;
  Phase phase;
  int exit_status;

  GInetSocketAddress *relay_address;
  EsPeerPin *relay_pin;
  EsQuicEndpoint *callers;
  EsQuicEndpoint *callees;
  GHashTable *callees_by_caller;  /* caller fingerprint → callee Leg (direct) */

  Call *calls;
  guint n_calls;
  GPtrArray *legs;                /* Leg *, the order of the pacing slots */
  guint next_connect;
  guint connects_in_flight;
  guint connected;
  guint registered;
  guint next_offer;
  guint offers_in_flight;
  guint routed_calls;
  gint64 setup_started_us;
  guint setup_timeout;
  gboolean ready;                 /* every call routed, or every idle client registered */

  int timer_fd;
  guint timer_source;
  guint64 tick;
  gint64 media_started_us;
  guint64 window_start_tick;
  guint64 window_end_tick;
  guint64 drain_end_tick;
  gint64 window_cpu_us;
  gint64 window_started_us;
  guint32 *latency_histogram;
  guint64 late_ticks;             /* wake-ups more than one tick late */
  gint64 max_tick_lateness_us;
};

static double option_warmup = 3;
static double option_seconds = 10;
static double option_hold = 600;
static int option_calls = 100;
static int option_clients = 1000;
static char *option_relay = NULL;
static gboolean option_direct = FALSE;

static const GOptionEntry entries[] = {
  { "relay", 0, 0, G_OPTION_ARG_STRING, &option_relay, "The relay", "ADDR:PORT#FP" },
  { "calls", 0, 0, G_OPTION_ARG_INT, &option_calls, "Call pairs (calls)", "N" },
  { "direct", 0, 0, G_OPTION_ARG_NONE, &option_direct,
    "Each caller straight to its callee, no relay (calls)", NULL },
  { "warmup", 0, 0, G_OPTION_ARG_DOUBLE, &option_warmup, "Media before the window (calls)", "S" },
  { "seconds", 0, 0, G_OPTION_ARG_DOUBLE, &option_seconds, "The measured window (calls)", "S" },
  { "clients", 0, 0, G_OPTION_ARG_INT, &option_clients, "Registered clients (idle)", "N" },
  { "hold", 0, 0, G_OPTION_ARG_DOUBLE, &option_hold, "At most this long idle (idle)", "S" },
  { NULL }
};

/* ---- Output -------------------------------------------------------------- */

static gint64
cpu_us (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return (gint64) (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * G_USEC_PER_SEC +
         usage.ru_utime.tv_usec + usage.ru_stime.tv_usec;
}

static void
generator_fail (Generator  *generator,
                const char *format,
                ...) G_GNUC_PRINTF (2, 3);

/* A run that cannot measure what it was asked to stops at once and says
 * why: a figure from half the calls would mislead. */
static void
generator_fail (Generator  *generator,
                const char *format,
                ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  if (generator->phase == PHASE_CLOSING)
    return;
  g_printerr ("relay-load: %s\n", message);
  generator->exit_status = 1;
  generator->phase = PHASE_CLOSING;
  g_main_loop_quit (generator->loop);
}

/* ---- Legs ---------------------------------------------------------------- */

static void
leg_init (Leg       *leg,
          Generator *generator,
          Call      *call,
          Leg       *peer)
{
  leg->generator = generator;
  leg->call = call;
  leg->peer = peer;
  leg->identity = es_identity_new_random ();
  leg->stream_id = -1;
  leg->window_first = G_MAXUINT64;
  leg->window_end = G_MAXUINT64;
  /* Bytes the relay cannot read, as ciphertext would be; the header is
   * written per datagram. */
  randombytes_buf (leg->datagram, sizeof leg->datagram);
  leg->datagram[4] = 0x10;   /* version 1, audio */
  leg->datagram[5] = 0;      /* key epoch */
  leg->datagram[18] = 0;     /* tier */
  leg->datagram[19] = 0;     /* flags */
}

static void
leg_clear (Leg *leg)
{
  if (leg->connection != NULL)
    g_signal_handlers_disconnect_by_data (leg->connection, leg);
  g_clear_object (&leg->connection);
  g_clear_object (&leg->identity);
}

static void
put_be32 (guint8 *p,
          guint32 value)
{
  p[0] = value >> 24;
  p[1] = value >> 16;
  p[2] = value >> 8;
  p[3] = value;
}

static void
put_be64 (guint8 *p,
          guint64 value)
{
  put_be32 (p, value >> 32);
  put_be32 (p + 4, (guint32) value);
}

static guint64
get_be64 (const guint8 *p)
{
  guint64 value = 0;

  for (guint i = 0; i < 8; i++)
    value = value << 8 | p[i];
  return value;
}

static void
leg_send_frame (Leg   *leg,
                gint64 now_us)
{
  guint64 sequence = leg->next_sequence++;

  put_be32 (leg->datagram + HANDLE_OFFSET, leg->handle);
  put_be64 (leg->datagram + SEQUENCE_OFFSET, sequence);
  put_be32 (leg->datagram + TIMESTAMP_OFFSET, (guint32) (sequence * SAMPLES_PER_FRAME));
  memcpy (leg->datagram + SENT_AT_OFFSET, &now_us, sizeof now_us);
  if (!es_quic_connection_send_datagram (leg->connection, leg->datagram, sizeof leg->datagram))
    generator_fail (leg->generator, "a %d-byte datagram does not fit the connection",
                    DATAGRAM_SIZE);
}

static void
on_datagram (EsQuicConnection *connection,
             GBytes           *datagram,
             Leg              *leg)
{
  Leg *sender = leg->peer;
  gsize length = 0;
  const guint8 *data = g_bytes_get_data (datagram, &length);
  guint64 sequence;
  gint64 sent_at;
  gint64 latency;

  if (length != DATAGRAM_SIZE)
    {
      generator_fail (leg->generator, "a datagram of %" G_GSIZE_FORMAT " bytes arrived", length);
      return;
    }
  sequence = get_be64 (data + SEQUENCE_OFFSET);
  if (sequence < sender->window_first || sequence >= sender->window_end)
    return;

  memcpy (&sent_at, data + SENT_AT_OFFSET, sizeof sent_at);
  latency = g_get_monotonic_time () - sent_at;
  leg->received_in_window++;
  leg->generator->latency_histogram[CLAMP (latency, 0, HISTOGRAM_BINS)]++;
}

static void
on_closed (EsQuicConnection *connection,
           const GError     *reason,
           Leg              *leg)
{
  generator_fail (leg->generator, "client %u lost its connection: %s", leg->index,
                  reason->message);
}

static void
leg_take_connection (Leg              *leg,
                     EsQuicConnection *connection)
{
  leg->connection = g_object_ref (connection);
  g_signal_connect (connection, "datagram-received", G_CALLBACK (on_datagram), leg);
  g_signal_connect (connection, "closed", G_CALLBACK (on_closed), leg);
}

/* ---- Media --------------------------------------------------------------- */

static JsonObject *
window_event (Generator  *generator,
              const char *name)
{
  JsonObject *event = es_json_new_event (name);

  json_object_set_int_member (event, "tick", generator->tick);
  json_object_set_int_member (event, "time_us", g_get_monotonic_time ());
  return event;
}

static void
open_window (Generator *generator)
{
  g_autoptr(JsonObject) event = window_event (generator, "window-start");

  for (guint i = 0; i < generator->legs->len; i++)
    {
      Leg *leg = g_ptr_array_index (generator->legs, i);

      leg->window_first = leg->next_sequence;
    }
  generator->window_cpu_us = cpu_us ();
  generator->window_started_us = g_get_monotonic_time ();
  es_json_print_line (event);
}

static void
close_window (Generator *generator)
{
  g_autoptr(JsonObject) event = window_event (generator, "window-end");

  for (guint i = 0; i < generator->legs->len; i++)
    {
      Leg *leg = g_ptr_array_index (generator->legs, i);

      leg->window_end = leg->next_sequence;
    }
  generator->window_cpu_us = cpu_us () - generator->window_cpu_us;
  generator->window_started_us = g_get_monotonic_time () - generator->window_started_us;
  es_json_print_line (event);
}

static double
histogram_percentile (const guint32 *histogram,
                      guint64        total,
                      double         fraction)
{
  guint64 wanted = (guint64) (fraction * total);
  guint64 seen = 0;

  for (guint i = 0; i <= HISTOGRAM_BINS; i++)
    {
      seen += histogram[i];
      if (seen > wanted)
        return i;
    }
  return HISTOGRAM_BINS;
}

static void
print_result (Generator *generator)
{
  g_autoptr(JsonObject) event = es_json_new_event ("result");
  guint64 sent = 0;
  guint64 received = 0;
  double sum_us = 0;
  gint64 max_us = 0;

  for (guint i = 0; i < generator->legs->len; i++)
    {
      Leg *leg = g_ptr_array_index (generator->legs, i);

      sent += leg->window_end - leg->window_first;
      received += leg->received_in_window;
    }
  for (guint i = 0; i <= HISTOGRAM_BINS; i++)
    if (generator->latency_histogram[i] > 0)
      {
        sum_us += (double) i * generator->latency_histogram[i];
        max_us = i;
      }

  json_object_set_boolean_member (event, "direct", generator->direct);
  json_object_set_int_member (event, "calls", generator->n_calls);
  json_object_set_int_member (event, "datagram_bytes", DATAGRAM_SIZE);
  json_object_set_double_member (event, "window_seconds",
                                 generator->window_started_us / (double) G_USEC_PER_SEC);
  json_object_set_int_member (event, "sent", sent);
  json_object_set_int_member (event, "received", received);
  json_object_set_double_member (event, "loss_pct",
                                 sent > 0 ? 100.0 * (double) (sent - received) / sent : 0);
  json_object_set_double_member (event, "latency_mean_us", received > 0 ? sum_us / received : 0);
  json_object_set_double_member (event, "latency_p50_us",
                                 histogram_percentile (generator->latency_histogram, received, 0.5));
  json_object_set_double_member (event, "latency_p99_us",
                                 histogram_percentile (generator->latency_histogram, received, 0.99));
  json_object_set_double_member (event, "latency_p999_us",
                                 histogram_percentile (generator->latency_histogram, received, 0.999));
  json_object_set_int_member (event, "latency_max_us", max_us);
  json_object_set_int_member (event, "generator_cpu_us", generator->window_cpu_us);
  json_object_set_int_member (event, "late_ticks", generator->late_ticks);
  json_object_set_int_member (event, "max_tick_lateness_us", generator->max_tick_lateness_us);
  es_json_print_line (event);
}

static void
send_due_frames (Generator *generator,
                 guint64    tick,
                 gint64     now_us)
{
  /* Leg k sends when tick % 20 == k % 20: the legs of one slot are
   * 20 apart in the array. */
  for (guint i = tick % TICKS_PER_FRAME; i < generator->legs->len; i += TICKS_PER_FRAME)
    leg_send_frame (g_ptr_array_index (generator->legs, i), now_us);
}

static void
note_lateness (Generator *generator,
               gint64     now_us)
{
  gint64 due_us = generator->media_started_us + (gint64) generator->tick * TICK_US;
  gint64 lateness = now_us - due_us;

  if (lateness > TICK_US)
    generator->late_ticks++;
  generator->max_tick_lateness_us = MAX (generator->max_tick_lateness_us, lateness);
}

static gboolean
on_tick (int          fd,
         GIOCondition condition,
         gpointer     user_data)
{
  Generator *generator = user_data;
  guint64 expirations = 0;
  gint64 now_us;

  if (read (fd, &expirations, sizeof expirations) != sizeof expirations)
    return G_SOURCE_CONTINUE;

  /* Ticks missed while the process was busy are caught up at once, so
   * that every leg keeps its 50 datagrams a second. */
  now_us = g_get_monotonic_time ();
  for (guint64 i = 0; i < expirations && generator->phase == PHASE_MEDIA; i++)
    {
      generator->tick++;
      note_lateness (generator, now_us);
      if (generator->tick == generator->window_start_tick)
        open_window (generator);
      else if (generator->tick == generator->window_end_tick)
        close_window (generator);
      else if (generator->tick == generator->drain_end_tick)
        {
          print_result (generator);
          generator->phase = PHASE_CLOSING;
          g_main_loop_quit (generator->loop);
          break;
        }
      send_due_frames (generator, generator->tick, now_us);
    }
  return G_SOURCE_CONTINUE;
}

static void
start_media (Generator *generator)
{
  g_autoptr(JsonObject) event = es_json_new_event ("calls-ready");
  struct itimerspec period = { { 0, TICK_US * 1000 }, { 0, TICK_US * 1000 } };

  json_object_set_int_member (event, "calls", generator->n_calls);
  json_object_set_double_member (event, "setup_seconds",
                                 (g_get_monotonic_time () - generator->setup_started_us) /
                                 (double) G_USEC_PER_SEC);
  es_json_print_line (event);

  generator->ready = TRUE;
  generator->phase = PHASE_MEDIA;
  generator->window_start_tick = (guint64) (option_warmup * 1000 / (TICK_US / 1000.0));
  generator->window_end_tick = generator->window_start_tick +
                               (guint64) (option_seconds * 1000 / (TICK_US / 1000.0));
  generator->drain_end_tick = generator->window_end_tick + DRAIN_MS * 1000 / TICK_US;
  generator->latency_histogram = g_new0 (guint32, HISTOGRAM_BINS + 1);

  generator->timer_fd = timerfd_create (CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (generator->timer_fd < 0)
    {
      generator_fail (generator, "timerfd_create: %s", g_strerror (errno));
      return;
    }
  generator->media_started_us = g_get_monotonic_time ();
  timerfd_settime (generator->timer_fd, 0, &period, NULL);
  generator->timer_source = g_unix_fd_add (generator->timer_fd, G_IO_IN, on_tick, generator);
}

/* ---- Signalling through the relay ---------------------------------------- */

static void
send_message (Leg        *leg,
              JsonObject *message)
{
  g_autoptr(GError) error = NULL;

  if (!es_quic_connection_send_message (leg->connection, leg->stream_id, message, &error))
    generator_fail (leg->generator, "client %u cannot send: %s", leg->index, error->message);
}

static JsonObject *
media_body (Leg *leg)
{
  JsonObject *body = json_object_new ();
  JsonObject *ice = json_object_new ();
  guint8 ephemeral[crypto_box_PUBLICKEYBYTES];
  guint8 ephemeral_secret[crypto_box_SECRETKEYBYTES];
  guint8 ice_bytes[12];
  g_autofree char *key = es_hex_encode (es_identity_get_public_key (leg->identity),
                                        ES_ED25519_PUBLIC_KEY_SIZE);
  g_autofree char *ephemeral_hex = NULL;
  g_autofree char *ice_hex = NULL;

  /* A real X25519 key, as a client would offer; this generator never
   * needs the secret. */
  crypto_box_keypair (ephemeral, ephemeral_secret);
  sodium_memzero (ephemeral_secret, sizeof ephemeral_secret);
  ephemeral_hex = es_hex_encode (ephemeral, sizeof ephemeral);
  randombytes_buf (ice_bytes, sizeof ice_bytes);
  ice_hex = es_hex_encode (ice_bytes, sizeof ice_bytes);

  json_object_set_string_member (body, "key", key);
  json_object_set_string_member (body, "ephemeral", ephemeral_hex);
  json_object_set_array_member (body, "candidates", json_array_new ());
  json_object_set_string_member (ice, "ufrag", ice_hex + 16);
  json_object_set_string_member (ice, "pwd", ice_hex);
  json_object_set_object_member (body, "ice", ice);
  json_object_set_int_member (body, "generation", 0);
  return body;
}

static EsSignedEnvelope *
send_signed (Leg        *leg,
             const char *type,
             JsonObject *body)
{
  g_autoptr(EsSignedEnvelope) envelope = NULL;
  g_autoptr(JsonObject) message = NULL;
  g_autoptr(GError) error = NULL;

  envelope = es_signed_envelope_new (leg->identity, type, leg->call->id, body, &error);
  if (envelope == NULL)
    {
      generator_fail (leg->generator, "cannot sign %s: %s", type, error->message);
      return NULL;
    }
  message = es_signed_envelope_to_json (envelope);
  send_message (leg, message);
  return g_steal_pointer (&envelope);
}

static void
send_offers (Generator *generator)
{
  while (generator->offers_in_flight < CALLS_IN_FLIGHT && generator->next_offer < generator->n_calls &&
         generator->phase == PHASE_CALLING)
    {
      Call *call = &generator->calls[generator->next_offer++];
      g_autoptr(JsonObject) body = media_body (&call->caller);
      g_autoptr(JsonArray) codecs = json_array_new ();
      guint8 id[ES_CALL_ID_LENGTH / 2];
      g_autofree char *id_hex = NULL;

      randombytes_buf (id, sizeof id);
      id_hex = es_hex_encode (id, sizeof id);
      g_strlcpy (call->id, id_hex, sizeof call->id);

      json_object_set_string_member (body, "to", es_identity_get_fingerprint (call->callee.identity));
      json_array_add_string_element (codecs, "opus");
      json_object_set_array_member (body, "codecs", g_steal_pointer (&codecs));
      json_object_set_int_member (body, "time", g_get_real_time () / 1000);
      call->sent_offer = send_signed (&call->caller, "call-offer", body);
      generator->offers_in_flight++;
    }
}

/* The callee checks the offer as a client would: strict form, the
 * signature under the key in the body, and that it is meant for it. */
static void
answer_offer (Leg        *callee,
              JsonObject *message)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EsSignedEnvelope) offer = es_signed_envelope_parse (message, &error);
  guint8 caller_key[ES_ED25519_PUBLIC_KEY_SIZE];
  g_autoptr(JsonObject) body = NULL;
  g_autofree char *offer_hash = NULL;
  g_autoptr(EsSignedEnvelope) answer = NULL;
  Call *call = callee->call;

  if (offer == NULL || !es_signed_envelope_verify_body_key (offer, caller_key, &error))
    {
      generator_fail (callee->generator, "client %u refused an offer: %s", callee->index,
                      error->message);
      return;
    }
  if (g_strcmp0 (es_signed_envelope_get_from (offer),
                 es_identity_get_fingerprint (call->caller.identity)) != 0 ||
      g_strcmp0 (es_signed_envelope_get_to (offer), es_identity_get_fingerprint (callee->identity)) != 0 ||
      g_strcmp0 (es_signed_envelope_get_call_id (offer), call->id) != 0)
    {
      generator_fail (callee->generator, "client %u got an offer meant for another", callee->index);
      return;
    }

  body = media_body (callee);
  offer_hash = es_signed_envelope_dup_body_sha256_hex (offer);
  json_object_set_string_member (body, "offer", offer_hash);
  json_object_set_string_member (body, "codec", "opus");
  answer = send_signed (callee, "call-answer", body);
  call->offer = g_steal_pointer (&offer);
}

/* The caller checks the answer: signed by the key of the fingerprint it
 * dialled, about the offer it sent. */
static void
check_answer (Leg        *caller,
              JsonObject *message)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EsSignedEnvelope) answer = es_signed_envelope_parse (message, &error);
  guint8 callee_key[ES_ED25519_PUBLIC_KEY_SIZE];
  g_autofree char *offer_hash = NULL;
  Call *call = caller->call;

  if (answer == NULL || !es_signed_envelope_verify_body_key (answer, callee_key, &error))
    {
      generator_fail (caller->generator, "client %u refused an answer: %s", caller->index,
                      error->message);
      return;
    }
  offer_hash = es_signed_envelope_dup_body_sha256_hex (call->sent_offer);
  if (g_strcmp0 (es_signed_envelope_get_from (answer),
                 es_identity_get_fingerprint (call->callee.identity)) != 0 ||
      g_strcmp0 (es_json_get_string (es_signed_envelope_get_body (answer), "offer"), offer_hash) != 0)
    generator_fail (caller->generator, "client %u got an answer to another offer", caller->index);
}

static void
take_route (Leg        *leg,
            JsonObject *message)
{
  Generator *generator = leg->generator;
  gint64 handle = 0;

  if (!es_json_get_int (message, "handle", &handle) || handle <= 0 || handle > G_MAXUINT32)
    {
      generator_fail (generator, "client %u got a call-route without a handle", leg->index);
      return;
    }
  leg->handle = (guint32) handle;
  leg->routed = TRUE;
  if (!leg->peer->routed)
    return;

  if (leg->handle != leg->peer->handle)
    {
      generator_fail (generator, "the two legs of call %s got different handles", leg->call->id);
      return;
    }
  generator->offers_in_flight--;
  if (++generator->routed_calls == generator->n_calls)
    start_media (generator);
  else
    send_offers (generator);
}

static void
registered (Leg *leg)
{
  Generator *generator = leg->generator;

  leg->registered = TRUE;
  if (++generator->registered < generator->legs->len)
    return;

  if (generator->phase == PHASE_IDLE)
    {
      g_autoptr(JsonObject) event = es_json_new_event ("idle-ready");

      generator->ready = TRUE;
      json_object_set_int_member (event, "clients", generator->registered);
      json_object_set_double_member (event, "setup_seconds",
                                     (g_get_monotonic_time () - generator->setup_started_us) /
                                     (double) G_USEC_PER_SEC);
      es_json_print_line (event);
      return;
    }
  generator->phase = PHASE_CALLING;
  send_offers (generator);
}

static void
on_message (EsQuicConnection *connection,
            gint64            stream_id,
            JsonObject       *message,
            Leg              *leg)
{
  const char *type = es_json_get_string (message, "type");
  const char *call_id = es_json_get_string (message, "call_id");
  gboolean ours = leg->call != NULL && g_strcmp0 (call_id, leg->call->id) == 0;

  if (leg->generator->phase == PHASE_CLOSING)
    return;
  if (g_strcmp0 (type, "registered") == 0 && !leg->registered)
    registered (leg);
  else if (g_strcmp0 (type, "call-offer") == 0 && leg->call != NULL && leg == &leg->call->callee)
    answer_offer (leg, message);
  else if (g_strcmp0 (type, "call-answer") == 0 && ours && leg == &leg->call->caller)
    check_answer (leg, message);
  else if (g_strcmp0 (type, "call-route") == 0 && ours)
    take_route (leg, message);
  else if (g_strcmp0 (type, "ringing") == 0 || g_strcmp0 (type, "pong") == 0)
    ;
  else
    {
      g_autofree char *text = es_json_to_string (message);

      generator_fail (leg->generator, "client %u got an unexpected message: %s", leg->index, text);
    }
}

/* ---- Connecting ---------------------------------------------------------- */

static void connect_more (Generator *generator);

static void
register_leg (Leg *leg)
{
  g_autoptr(JsonObject) message = es_json_new_message ("register");
  g_autoptr(GError) error = NULL;
  guint8 device[8];
  g_autofree char *device_hex = NULL;

  g_signal_connect (leg->connection, "message-received", G_CALLBACK (on_message), leg);
  leg->stream_id = es_quic_connection_open_stream (leg->connection, &error);
  if (leg->stream_id < 0)
    {
      generator_fail (leg->generator, "client %u cannot open its stream: %s", leg->index,
                      error->message);
      return;
    }
  randombytes_buf (device, sizeof device);
  device_hex = es_hex_encode (device, sizeof device);
  json_object_set_string_member (message, "device", device_hex);
  json_object_set_array_member (message, "capabilities", json_array_new ());
  send_message (leg, message);
}

static void
leg_connected (Leg *leg)
{
  Generator *generator = leg->generator;

  generator->connected++;
  if (!generator->direct)
    register_leg (leg);
  else if (generator->connected == generator->legs->len)
    {
      generator->routed_calls = generator->n_calls;
      start_media (generator);
    }
}

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Leg *leg = user_data;
  Generator *generator = leg->generator;
  g_autoptr(GError) error = NULL;
  g_autoptr(EsQuicConnection) connection =
    es_quic_endpoint_connect_finish (ES_QUIC_ENDPOINT (source), result, &error);

  generator->connects_in_flight--;
  if (connection == NULL)
    {
      generator_fail (generator, "client %u cannot connect: %s", leg->index, error->message);
      return;
    }
  leg_take_connection (leg, connection);
  leg_connected (leg);
  connect_more (generator);
}

/* Direct: the callee side of a caller's connection. */
static void
on_incoming (EsQuicEndpoint   *endpoint,
             EsQuicConnection *connection,
             Generator        *generator)
{
  Leg *callee = g_hash_table_lookup (generator->callees_by_caller,
                                     es_quic_connection_get_peer_fingerprint (connection));

  if (callee == NULL || callee->connection != NULL)
    {
      es_quic_connection_close (connection, ES_QUIC_APP_REFUSED, "not expected");
      return;
    }
  leg_take_connection (callee, connection);
  leg_connected (callee);
}

static EsPeerPin *
pin_for_endpoint (EsQuicEndpoint *endpoint)
{
  guint8 fingerprint[ES_FINGERPRINT_SIZE];

  if (!es_fingerprint_parse (es_identity_get_fingerprint (es_quic_endpoint_get_identity (endpoint)),
                             fingerprint, NULL))
    g_assert_not_reached ();
  return es_peer_pin_new_fingerprint (fingerprint);
}

static void
connect_more (Generator *generator)
{
  while (generator->connects_in_flight < CONNECTS_IN_FLIGHT &&
         generator->next_connect < generator->legs->len &&
         generator->phase != PHASE_CLOSING)
    {
      Leg *leg = g_ptr_array_index (generator->legs, generator->next_connect++);
      gboolean is_callee = leg->call != NULL && leg == &leg->call->callee;

      /* Direct: callees do not connect; their callers connect to them. */
      if (generator->direct && is_callee)
        continue;

      generator->connects_in_flight++;
      if (generator->direct)
        {
          g_autoptr(EsPeerPin) pin = pin_for_endpoint (generator->callees);

          es_quic_endpoint_connect_as_async (generator->callers, leg->identity,
                                             es_quic_endpoint_get_local_address (generator->callees),
                                             pin, NULL, on_connected, leg);
        }
      else
        {
          es_quic_endpoint_connect_as_async (is_callee ? generator->callees : generator->callers,
                                             leg->identity, generator->relay_address,
                                             generator->relay_pin, NULL, on_connected, leg);
        }
    }
}

/* ---- Set-up and tear-down ------------------------------------------------ */

static EsQuicEndpoint *
bound_endpoint (void)
{
  g_autoptr(EsIdentity) identity = es_identity_new_random ();
  g_autoptr(EsQuicEndpoint) endpoint = es_quic_endpoint_new (identity, NULL);
  g_autoptr(GInetSocketAddress) local =
    G_INET_SOCKET_ADDRESS (g_inet_socket_address_new_from_string ("127.0.0.1", 0));
  g_autoptr(GError) error = NULL;

  if (!es_quic_endpoint_bind (endpoint, local, &error))
    {
      g_printerr ("relay-load: cannot bind 127.0.0.1: %s\n", error->message);
      exit (1);
    }
  return g_steal_pointer (&endpoint);
}

static gboolean
parse_relay (Generator *generator)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EsRelaySpec) spec = NULL;
  g_autofree char *host_port = NULL;
  guint8 fingerprint[ES_FINGERPRINT_SIZE];

  if (option_relay == NULL)
    {
      g_printerr ("relay-load: --relay ADDR:PORT#FINGERPRINT is needed\n");
      return FALSE;
    }
  spec = es_relay_spec_parse (option_relay, &error);
  if (spec == NULL || spec->fingerprint == NULL)
    {
      g_printerr ("relay-load: --relay %s: %s\n", option_relay,
                  error != NULL ? error->message : "the relay's fingerprint is needed");
      return FALSE;
    }
  host_port = es_relay_spec_host_port (spec);
  generator->relay_address = es_address_parse (host_port, &error);
  if (generator->relay_address == NULL ||
      !es_fingerprint_parse (spec->fingerprint, fingerprint, &error))
    {
      g_printerr ("relay-load: --relay %s: %s\n", option_relay, error->message);
      return FALSE;
    }
  generator->relay_pin = es_peer_pin_new_fingerprint (fingerprint);
  return TRUE;
}

static gboolean
on_setup_timeout (gpointer user_data)
{
  Generator *generator = user_data;

  generator->setup_timeout = 0;
  if (!generator->ready)
    generator_fail (generator, "set-up did not finish within %d s (%u of %u clients connected, "
                    "%u registered, %u of %u calls routed)", SETUP_TIMEOUT_S,
                    generator->connected, generator->legs->len, generator->registered,
                    generator->routed_calls, generator->n_calls);
  return G_SOURCE_REMOVE;
}

static void
remove_if_pending (guint id)
{
  GSource *source = g_main_context_find_source_by_id (NULL, id);

  if (source != NULL && !g_source_is_destroyed (source))
    g_source_destroy (source);
}

static gboolean
on_hold_over (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

static gboolean
on_stdin (int          fd,
          GIOCondition condition,
          gpointer     user_data)
{
  char buffer[256];

  if (read (fd, buffer, sizeof buffer) > 0)
    return G_SOURCE_CONTINUE;
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

/* Direct: only the generator's own callers connect to its callees. */
static gboolean
authorize_callers (EsQuicEndpoint     *endpoint,
                   const char         *fingerprint,
                   GInetSocketAddress *remote,
                   gpointer            user_data)
{
  Generator *generator = user_data;

  return g_hash_table_contains (generator->callees_by_caller, fingerprint);
}

static void
generator_init (Generator *generator,
                guint      n_calls,
                guint      n_idle_clients)
{
  generator->loop = g_main_loop_new (NULL, FALSE);
  generator->direct = option_direct;
  generator->timer_fd = -1;
  generator->callers = bound_endpoint ();
  generator->callees = bound_endpoint ();
  generator->legs = g_ptr_array_new ();
  generator->callees_by_caller = g_hash_table_new (g_str_hash, g_str_equal);
  generator->n_calls = n_calls;
  generator->calls = g_new0 (Call, MAX (n_calls, n_idle_clients));

  for (guint i = 0; i < n_calls; i++)
    {
      Call *call = &generator->calls[i];

      leg_init (&call->caller, generator, call, &call->callee);
      leg_init (&call->callee, generator, call, &call->caller);
      call->caller.index = generator->legs->len;
      g_ptr_array_add (generator->legs, &call->caller);
      call->callee.index = generator->legs->len;
      g_ptr_array_add (generator->legs, &call->callee);
      g_hash_table_insert (generator->callees_by_caller,
                           (gpointer) es_identity_get_fingerprint (call->caller.identity),
                           &call->callee);
    }
  /* An idle client is the caller leg of a call it never makes. */
  for (guint i = 0; i < n_idle_clients; i++)
    {
      Leg *leg = &generator->calls[i].caller;

      leg_init (leg, generator, NULL, NULL);
      leg->index = generator->legs->len;
      g_ptr_array_add (generator->legs, leg);
    }

  if (generator->direct)
    {
      es_quic_endpoint_set_authorize_func (generator->callees, authorize_callers, generator,
                                           NULL);
      g_signal_connect (generator->callees, "incoming-connection", G_CALLBACK (on_incoming),
                        generator);
    }
}

/* Closes every connection the way a client that quits does, and gives the
 * closing packets a moment to leave. */
static void
generator_clear (Generator *generator)
{
  generator->phase = PHASE_CLOSING;
  if (generator->setup_timeout != 0)
    g_source_remove (generator->setup_timeout);
  if (generator->timer_source != 0)
    g_source_remove (generator->timer_source);
  if (generator->timer_fd >= 0)
    close (generator->timer_fd);
  for (guint i = 0; i < generator->legs->len; i++)
    {
      Leg *leg = g_ptr_array_index (generator->legs, i);

      if (leg->connection != NULL)
        {
          g_signal_handlers_disconnect_by_data (leg->connection, leg);
          es_quic_connection_close (leg->connection, ES_QUIC_APP_NO_ERROR, "load test over");
        }
    }
  g_timeout_add (CLOSE_GRACE_MS, on_hold_over, generator->loop);
  g_main_loop_run (generator->loop);

  es_quic_endpoint_shutdown (generator->callers);
  es_quic_endpoint_shutdown (generator->callees);
  for (guint i = 0; i < generator->n_calls; i++)
    {
      g_clear_pointer (&generator->calls[i].offer, es_signed_envelope_unref);
      g_clear_pointer (&generator->calls[i].sent_offer, es_signed_envelope_unref);
    }
  for (guint i = 0; i < generator->legs->len; i++)
    leg_clear (g_ptr_array_index (generator->legs, i));
  g_ptr_array_unref (generator->legs);
  g_hash_table_unref (generator->callees_by_caller);
  g_free (generator->calls);
  g_free (generator->latency_histogram);
  g_clear_object (&generator->callers);
  g_clear_object (&generator->callees);
  g_clear_object (&generator->relay_address);
  g_clear_pointer (&generator->relay_pin, es_peer_pin_unref);
  g_main_loop_unref (generator->loop);
}

static int
run_calls (void)
{
  Generator generator = { 0 };

  if (option_calls < 1 || option_seconds <= 0 || option_warmup < 0)
    {
      g_printerr ("relay-load: --calls must be at least 1 and --seconds positive\n");
      return 2;
    }
  generator_init (&generator, option_calls, 0);
  if (!generator.direct && !parse_relay (&generator))
    {
      generator_clear (&generator);
      return 2;
    }

  generator.setup_started_us = g_get_monotonic_time ();
  generator.setup_timeout = g_timeout_add_seconds (SETUP_TIMEOUT_S, on_setup_timeout, &generator);
  connect_more (&generator);
  g_main_loop_run (generator.loop);

  generator_clear (&generator);
  return generator.exit_status;
}

static int
run_idle (void)
{
  Generator generator = { 0 };
  guint hold;
  guint input;

  if (option_clients < 1 || option_hold <= 0)
    {
      g_printerr ("relay-load: --clients must be at least 1 and --hold positive\n");
      return 2;
    }
  generator_init (&generator, 0, option_clients);
  if (!parse_relay (&generator))
    {
      generator_clear (&generator);
      return 2;
    }

  generator.phase = PHASE_IDLE;
  generator.setup_started_us = g_get_monotonic_time ();
  generator.setup_timeout = g_timeout_add_seconds (SETUP_TIMEOUT_S, on_setup_timeout, &generator);
  /* Whichever ends the wait first, the other is removed here. */
  hold = g_timeout_add ((guint) (option_hold * 1000), on_hold_over, generator.loop);
  input = g_unix_fd_add (STDIN_FILENO, G_IO_IN | G_IO_HUP, on_stdin, generator.loop);
  connect_more (&generator);
  g_main_loop_run (generator.loop);

  remove_if_pending (hold);
  remove_if_pending (input);
  generator_clear (&generator);
  return generator.exit_status;
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new ("calls | idle");
  g_autoptr(GError) error = NULL;

  g_option_context_set_summary (context,
    "Simulated clients and calls against earshot-relay on loopback; see\n"
    "bench/relay-load.py, which runs it and reports the figures.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || argc != 2)
    {
      g_printerr ("relay-load: %s\n", error != NULL ? error->message : "calls or idle?");
      return 2;
    }
  if (sodium_init () < 0)
    {
      g_printerr ("relay-load: libsodium cannot start\n");
      return 1;
    }

  if (g_str_equal (argv[1], "calls"))
    return run_calls ();
  if (g_str_equal (argv[1], "idle"))
    return run_idle ();
  g_printerr ("relay-load: unknown mode %s (calls or idle)\n", argv[1]);
  return 2;
}
