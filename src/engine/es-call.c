/* es-call.c
 *
 * A call is agreed through signed envelopes (docs/protocol.md §2.2): the
 * offer carries the caller's identity key and ephemeral key, the answer the
 * callee's and the hash of the offer it answers, so that a relay can neither
 * forge nor splice either. Each side checks the other's key against the
 * fingerprint it dialled or that rang it, then both derive per-direction
 * media keys from the transcript (§3).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsCall"

#include "es-call.h"

#include <sodium.h>

#include "es-audio-wav.h"
#include "es-call-keys.h"
#include "es-candidate-gatherer.h"
#include "es-enums.h"
#include "es-error.h"
#include "es-fingerprint.h"
#include "es-hex.h"
#include "es-json.h"
#include "es-path-racer.h"

/* Never an endless "Connecting…": each step that waits on the network has
 * a bound, and the call ends saying which one failed. */
#define DIAL_TIMEOUT_MS 10000
#define CONNECT_TIMEOUT_MS 15000
/* DTX still sends a frame every 400 ms; this much silence means the peer is gone. */
#define MEDIA_SILENCE_LIMIT_US (15 * G_USEC_PER_SEC)
#define ICE_CREDENTIAL_BYTES 12
/* What a peer may send: more candidates than any machine has, longer
 * credentials than any client writes, are refused. */
#define MAX_REMOTE_CANDIDATES 32
#define MAX_ICE_CREDENTIAL_LENGTH 256
/* After a direct path is lost, how often the call gathers again and races
 * for a new one while media goes over the relay: soon at first, then less
 * often, so that a path that cannot come back costs little. */
#define COME_BACK_FIRST_S 5
#define COME_BACK_MAX_S 60

struct _EsCall
{
  GObject parent_instance;

  EsIdentity *identity;
  EsSignalChannel *channel;
  char *id;
  char *peer;
  gboolean outgoing;
  guint8 peer_key[ES_ED25519_PUBLIC_KEY_SIZE];
  gboolean have_peer_key;

  EsCallState state;
  EsCallEndReason end_reason;
  EsCallKeys *keys;
  EsSignedEnvelope *offer;
  char *ice_ufrag;
  char *ice_pwd;

  /* Direct paths: NULL endpoint means relay only. */
  EsQuicEndpoint *endpoint;
  EsCandidateGatherer *gatherer;
  guint sent_generation;
  char *remote_ufrag;
  char *remote_pwd;
  GPtrArray *remote_candidates;   /* EsCandidate */
  gint64 remote_generation;
  EsPathRacer *racer;
  guint come_back_id;
  guint come_back_s;

  EsAudioBackend *audio;
  EsMediaSession *media;
  EsMediaRouter *router;
  gboolean muted;
  gint64 active_since;
  EsCallStats stats;        /* sampled once a second */
  guint step_timeout_id;
  guint stats_timer_id;
};

G_DEFINE_FINAL_TYPE (EsCall, es_call, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_STATE,
  PROP_PATH_KIND,
  N_PROPS
};

enum {
  STATE_CHANGED,
  STATS,
  PATH_CHANGED,
  REFUSED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

const char *
es_call_state_to_string (EsCallState state)
{
  static const char * const names[] = { "dialing", "ringing", "connecting", "active", "ended" };

  return state < G_N_ELEMENTS (names) ? names[state] : "unknown";
}

const char *
es_call_end_reason_to_string (EsCallEndReason reason)
{
  static const char * const names[] = {
    NULL, "declined", "busy", "offline", "timeout", "cancelled", "hangup", "answered-elsewhere",
    "peer-lost", "relay-lost", "error",
  };

  return reason < G_N_ELEMENTS (names) ? names[reason] : "error";
}

static EsCallEndReason
end_reason_from_string (const char *text)
{
  for (EsCallEndReason reason = ES_CALL_END_DECLINED; reason <= ES_CALL_END_ERROR; reason++)
    if (g_strcmp0 (text, es_call_end_reason_to_string (reason)) == 0)
      return reason;
  return ES_CALL_END_NONE;
}

static void
stop_media (EsCall *self)
{
  g_clear_handle_id (&self->stats_timer_id, g_source_remove);
  g_clear_handle_id (&self->step_timeout_id, g_source_remove);
  g_clear_handle_id (&self->come_back_id, g_source_remove);
  if (self->media != NULL)
    es_media_session_stop (self->media);
  g_clear_object (&self->media);
  if (self->racer != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->racer, self);
      es_path_racer_stop (self->racer);
    }
  g_clear_object (&self->racer);
  if (self->router != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->router, self);
      es_media_router_stop (self->router);
    }
  g_clear_object (&self->router);
  if (self->gatherer != NULL)
    g_signal_handlers_disconnect_by_data (self->gatherer, self);
}

static void
es_call_dispose (GObject *object)
{
  EsCall *self = ES_CALL (object);

  stop_media (self);
  g_clear_object (&self->audio);
  g_clear_object (&self->channel);
  g_clear_object (&self->gatherer);
  g_clear_object (&self->endpoint);

  G_OBJECT_CLASS (es_call_parent_class)->dispose (object);
}

static void
es_call_finalize (GObject *object)
{
  EsCall *self = ES_CALL (object);

  g_clear_object (&self->identity);
  g_clear_object (&self->keys);
  g_clear_pointer (&self->offer, es_signed_envelope_unref);
  g_free (self->id);
  g_free (self->peer);
  g_free (self->ice_ufrag);
  g_free (self->ice_pwd);
  g_free (self->remote_ufrag);
  g_free (self->remote_pwd);
  g_ptr_array_unref (self->remote_candidates);

  G_OBJECT_CLASS (es_call_parent_class)->finalize (object);
}

static void
es_call_get_property (GObject    *object,
                      guint       prop_id,
                      GValue     *value,
                      GParamSpec *pspec)
{
  EsCall *self = ES_CALL (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_PATH_KIND:
      g_value_set_string (value, es_call_get_path_kind (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
es_call_class_init (EsCallClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = es_call_dispose;
  object_class->finalize = es_call_finalize;
  object_class->get_property = es_call_get_property;

  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, ES_TYPE_CALL_STATE, ES_CALL_STATE_DIALING,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PATH_KIND] =
    g_param_spec_string ("path-kind", NULL, NULL, "relay",
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[STATE_CHANGED] =
    g_signal_new ("state-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, ES_TYPE_CALL_STATE, ES_TYPE_CALL_STATE);
  signals[STATS] =
    g_signal_new ("stats", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[PATH_CHANGED] =
    g_signal_new ("path-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[REFUSED] =
    g_signal_new ("refused", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static char *
random_token (void)
{
  guint8 bytes[ICE_CREDENTIAL_BYTES];

  randombytes_buf (bytes, sizeof bytes);
  return es_hex_encode (bytes, sizeof bytes);
}

static void
es_call_init (EsCall *self)
{
  self->ice_ufrag = random_token ();
  self->ice_pwd = random_token ();
  self->remote_candidates = g_ptr_array_new_with_free_func ((GDestroyNotify) es_candidate_free);
  self->remote_generation = -1;
}

static EsCall *
call_new (EsIdentity      *identity,
          EsSignalChannel *channel,
          const char      *id,
          const char      *peer,
          gboolean         outgoing)
{
  EsCall *self = g_object_new (ES_TYPE_CALL, NULL);

  self->identity = g_object_ref (identity);
  self->channel = g_object_ref (channel);
  self->id = g_strdup (id);
  self->peer = g_strdup (peer);
  self->outgoing = outgoing;
  self->state = outgoing ? ES_CALL_STATE_DIALING : ES_CALL_STATE_RINGING;
  self->keys = es_call_keys_new (outgoing ? ES_CALL_ROLE_CALLER : ES_CALL_ROLE_CALLEE);
  return self;
}

EsCall *
es_call_new_outgoing (EsIdentity      *identity,
                      EsSignalChannel *channel,
                      const char      *peer)
{
  guint8 id[16];
  g_autofree char *id_hex = NULL;

  randombytes_buf (id, sizeof id);
  id_hex = es_hex_encode (id, sizeof id);
  return call_new (identity, channel, id_hex, peer, TRUE);
}

EsCall *
es_call_new_incoming (EsIdentity       *identity,
                      EsSignalChannel  *channel,
                      EsSignedEnvelope *offer,
                      const guint8     *peer_key)
{
  EsCall *self = call_new (identity, channel, es_signed_envelope_get_call_id (offer),
                           es_signed_envelope_get_from (offer), FALSE);

  self->offer = es_signed_envelope_ref (offer);
  memcpy (self->peer_key, peer_key, sizeof self->peer_key);
  self->have_peer_key = TRUE;
  return self;
}

/* ---- State --------------------------------------------------------------- */

static void
set_state (EsCall      *self,
           EsCallState  state)
{
  EsCallState old = self->state;

  if (old == state)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
  g_signal_emit (self, signals[STATE_CHANGED], 0, state, old);
}

static void
end_call (EsCall          *self,
          EsCallEndReason  reason)
{
  if (self->state == ES_CALL_STATE_ENDED)
    return;
  g_debug ("call %s ended: %s", self->id, es_call_end_reason_to_string (reason));
  stop_media (self);
  self->end_reason = reason;
  set_state (self, ES_CALL_STATE_ENDED);
}

static void
refuse (EsCall     *self,
        const char *type,
        GError     *error)
{
  g_prefix_error (&error, "refused a %s for call %s: ", type, self->id);
  g_signal_emit (self, signals[REFUSED], 0, error);
  g_error_free (error);
}

static gboolean
on_step_timeout (gpointer data)
{
  EsCall *self = data;

  self->step_timeout_id = 0;
  end_call (self, ES_CALL_END_ERROR);
  return G_SOURCE_REMOVE;
}

static void
bound_step (EsCall *self,
            guint   timeout_ms)
{
  g_clear_handle_id (&self->step_timeout_id, g_source_remove);
  if (timeout_ms > 0)
    self->step_timeout_id = g_timeout_add (timeout_ms, on_step_timeout, self);
}

/* ---- Sending signed messages ---------------------------------------------- */

static JsonObject *
new_body (EsCall *self)
{
  JsonObject *body = json_object_new ();
  g_autofree char *key = es_hex_encode (es_identity_get_public_key (self->identity),
                                        ES_ED25519_PUBLIC_KEY_SIZE);

  /* Every body carries the sender's key, so that even a reject that comes
   * before any answer can be verified against the dialled fingerprint. */
  json_object_set_string_member (body, "key", key);
  return body;
}

/* This side's candidates: all the gatherer found, or the relay alone. */
static void
add_candidates (EsCall     *self,
                JsonObject *body)
{
  JsonArray *candidates;

  if (self->gatherer != NULL)
    {
      candidates = es_candidate_gatherer_to_json (self->gatherer);
      self->sent_generation = es_candidate_gatherer_get_generation (self->gatherer);
    }
  else
    {
      g_autofree char *relay = es_relay_spec_host_port (es_signal_channel_get_relay (self->channel));
      g_autoptr(EsCandidate) candidate = es_candidate_new_relay (relay);

      candidates = json_array_new ();
      json_array_add_object_element (candidates, es_candidate_to_json (candidate));
    }
  json_object_set_array_member (body, "candidates", candidates);
  json_object_set_int_member (body, "generation", self->sent_generation);
}

static void
add_media_offer (EsCall     *self,
                 JsonObject *body)
{
  g_autofree char *ephemeral = es_call_keys_dup_public_key_hex (self->keys);
  JsonObject *ice = json_object_new ();

  json_object_set_string_member (body, "ephemeral", ephemeral);
  json_object_set_string_member (ice, "ufrag", self->ice_ufrag);
  json_object_set_string_member (ice, "pwd", self->ice_pwd);
  json_object_set_object_member (body, "ice", ice);
  add_candidates (self, body);
}

static EsSignedEnvelope *
send_signed (EsCall     *self,
             const char *type,
             JsonObject *body)
{
  g_autoptr(EsSignedEnvelope) envelope = NULL;
  g_autoptr(JsonObject) message = NULL;
  g_autoptr(GError) error = NULL;

  envelope = es_signed_envelope_new (self->identity, type, self->id, body, &error);
  if (envelope != NULL)
    {
      message = es_signed_envelope_to_json (envelope);
      if (es_signal_channel_send (self->channel, message, &error))
        return g_steal_pointer (&envelope);
    }
  g_warning ("cannot send %s for call %s: %s", type, self->id, error->message);
  return NULL;
}

static void
send_simple (EsCall     *self,
             const char *type,
             const char *reason)
{
  g_autoptr(JsonObject) body = new_body (self);
  g_autoptr(EsSignedEnvelope) sent = NULL;

  json_object_set_string_member (body, "reason", reason);
  sent = send_signed (self, type, body);
}

gboolean
es_call_dial (EsCall  *self,
              GError **error)
{
  g_autoptr(JsonObject) body = new_body (self);
  g_autoptr(JsonArray) codecs = json_array_new ();

  g_return_val_if_fail (self->outgoing && self->state == ES_CALL_STATE_DIALING, FALSE);

  json_object_set_string_member (body, "to", self->peer);
  add_media_offer (self, body);
  json_array_add_string_element (codecs, "opus");
  json_object_set_array_member (body, "codecs", g_steal_pointer (&codecs));
  json_object_set_int_member (body, "time", g_get_real_time () / 1000);

  self->offer = send_signed (self, "call-offer", body);
  if (self->offer == NULL)
    {
      g_set_error (error, ES_ERROR, ES_ERROR_FAILED, "cannot send the call offer to the relay");
      end_call (self, ES_CALL_END_ERROR);
      return FALSE;
    }
  bound_step (self, DIAL_TIMEOUT_MS);
  return TRUE;
}

/* ---- Paths ----------------------------------------------------------------- */

/* The peer's ICE credentials and candidates, from its signed offer, answer or
 * candidates update. A stale generation is ignored (DESIGN §10.3). */
static void
read_peer_media (EsCall     *self,
                 JsonObject *body)
{
  JsonObject *ice = es_json_get_object (body, "ice");
  JsonArray *candidates = es_json_get_array (body, "candidates");
  const char *ufrag = ice != NULL ? es_json_get_string (ice, "ufrag") : NULL;
  const char *pwd = ice != NULL ? es_json_get_string (ice, "pwd") : NULL;
  gint64 generation = 0;

  if (ufrag != NULL && pwd != NULL && self->remote_ufrag == NULL &&
      strlen (ufrag) <= MAX_ICE_CREDENTIAL_LENGTH && strlen (pwd) <= MAX_ICE_CREDENTIAL_LENGTH)
    {
      self->remote_ufrag = g_strdup (ufrag);
      self->remote_pwd = g_strdup (pwd);
    }
  if (candidates == NULL || !es_json_get_int (body, "generation", &generation) ||
      generation <= self->remote_generation)
    return;

  self->remote_generation = generation;
  g_ptr_array_set_size (self->remote_candidates, 0);
  for (guint i = 0; i < json_array_get_length (candidates) && i < MAX_REMOTE_CANDIDATES; i++)
    {
      JsonNode *node = json_array_get_element (candidates, i);
      EsCandidate *candidate = JSON_NODE_HOLDS_OBJECT (node)
                                 ? es_candidate_from_json (json_node_get_object (node), NULL) : NULL;

      if (candidate != NULL)
        g_ptr_array_add (self->remote_candidates, candidate);
    }
}

static void
send_path_report (EsCall *self)
{
  g_autoptr(JsonObject) body = new_body (self);
  g_autoptr(EsSignedEnvelope) sent = NULL;
  const EsCandidate *remote = es_media_router_get_remote (self->router);

  json_object_set_string_member (body, "kind", es_media_router_get_path_kind (self->router));
  json_object_set_string_member (body, "remote", remote != NULL ? remote->text : "relay");
  sent = send_signed (self, "path-report", body);
}

/* Over the relay the round trip has two legs: ours, and the peer's, which
 * its quality report tells; a direct path has one. */
static double
path_rtt_ms (EsCall *self)
{
  double own_leg = es_media_router_get_rtt_ms (self->router);

  if (es_media_router_is_direct (self->router))
    return own_leg;
  return own_leg + self->stats.media.peer_report.rtt_ms;
}

static void
on_path_changed (EsMediaRouter *router,
                 EsCall        *self)
{
  /* The old direct path answers again: the race for another one is moot. */
  if (es_media_router_is_direct (router))
    {
      g_clear_handle_id (&self->come_back_id, g_source_remove);
      if (self->racer != NULL)
        es_path_racer_stop (self->racer);
    }
  self->stats.rtt_ms = path_rtt_ms (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PATH_KIND]);
  g_signal_emit (self, signals[PATH_CHANGED], 0);
  send_path_report (self);
}

static void
on_path_verified (EsPathRacer      *racer,
                  EsQuicConnection *connection,
                  EsCandidate      *remote,
                  EsCall           *self)
{
  if (self->router != NULL)
    es_media_router_set_direct (self->router, connection, remote);
}

static gboolean
has_direct_candidates (EsCall *self)
{
  for (guint i = 0; i < self->remote_candidates->len; i++)
    if (((EsCandidate *) self->remote_candidates->pdata[i])->type != ES_CANDIDATE_RELAY)
      return TRUE;
  return FALSE;
}

/* Races for a direct path unless one is up, privacy mode forbids it, or the
 * peer offered none (its own privacy mode). */
static void
race (EsCall *self)
{
  if (self->endpoint == NULL || self->router == NULL || self->remote_ufrag == NULL ||
      es_candidate_gatherer_get_privacy (self->gatherer) || !has_direct_candidates (self) ||
      es_media_router_is_direct (self->router))
    return;

  if (self->racer == NULL)
    {
      const char *own = es_identity_get_fingerprint (self->identity);

      self->racer = es_path_racer_new (self->endpoint, self->peer, g_strcmp0 (own, self->peer) > 0,
                                       self->ice_ufrag, self->ice_pwd,
                                       self->remote_ufrag, self->remote_pwd);
      g_signal_connect (self->racer, "path-verified", G_CALLBACK (on_path_verified), self);
    }
  es_path_racer_set_local_nat (self->racer, es_candidate_gatherer_get_nat (self->gatherer));
  es_path_racer_set_remote_candidates (self->racer, self->remote_candidates,
                                       (guint) self->remote_generation);
  es_path_racer_start (self->racer);
}

/* Our own addresses may be what changed (a NAT that rebound to a new port):
 * gather them again, which tells the peer if they did, and race. */
static void
gather_and_race (EsCall *self)
{
  es_candidate_gatherer_gather (self->gatherer);
  race (self);
}

static gboolean
on_come_back (gpointer data)
{
  EsCall *self = data;

  self->come_back_id = 0;
  if (es_media_router_is_direct (self->router))
    return G_SOURCE_REMOVE;
  if (!es_path_racer_is_running (self->racer))
    gather_and_race (self);
  self->come_back_s = MIN (self->come_back_s * 2, COME_BACK_MAX_S);
  self->come_back_id = g_timeout_add_seconds (self->come_back_s, on_come_back, self);
  return G_SOURCE_REMOVE;
}

static void
on_direct_lost (EsMediaRouter *router,
                EsCall        *self)
{
  gather_and_race (self);
  if (self->racer == NULL)
    return;
  self->come_back_s = COME_BACK_FIRST_S;
  g_clear_handle_id (&self->come_back_id, g_source_remove);
  self->come_back_id = g_timeout_add_seconds (self->come_back_s, on_come_back, self);
}

static void
on_candidates_changed (EsCandidateGatherer *gatherer,
                       EsCall              *self)
{
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(EsSignedEnvelope) sent = NULL;

  if (self->state != ES_CALL_STATE_CONNECTING && self->state != ES_CALL_STATE_ACTIVE)
    return;
  body = new_body (self);
  add_candidates (self, body);
  sent = send_signed (self, "candidates", body);
  /* Checks from the new addresses open our NAT to the peer's checks. */
  race (self);
}

static void
receive_frame (const guint8 *frame,
               gsize         length,
               gpointer      data)
{
  EsCall *self = data;

  if (self->media != NULL && self->state == ES_CALL_STATE_ACTIVE)
    es_media_session_receive (self->media, frame, length);
}

static gboolean
on_stats_tick (gpointer data)
{
  EsCall *self = data;
  double own_leg = es_media_router_get_rtt_ms (self->router);

  if (g_get_monotonic_time () - MAX (es_media_session_get_last_receive_us (self->media),
                                     self->active_since) > MEDIA_SILENCE_LIMIT_US)
    {
      self->stats_timer_id = 0;
      end_call (self, ES_CALL_END_PEER_LOST);
      return G_SOURCE_REMOVE;
    }

  es_media_session_sample_stats (self->media, &self->stats.media);
  self->stats.rtt_ms = path_rtt_ms (self);
  self->stats.path_kind = es_call_get_path_kind (self);
  es_media_session_send_report (self->media, own_leg);
  g_signal_emit (self, signals[STATS], 0);
  return G_SOURCE_CONTINUE;
}

static void
activate_if_ready (EsCall *self)
{
  g_autoptr(GError) error = NULL;

  if (self->state != ES_CALL_STATE_CONNECTING || self->media == NULL ||
      !es_media_router_has_relay_route (self->router))
    return;

  if (self->audio == NULL)
    self->audio = ES_AUDIO_BACKEND (es_audio_wav_new (NULL, NULL, NULL));
  if (!es_media_session_start (self->media, self->audio, &error))
    {
      g_warning ("call %s: cannot start audio: %s", self->id, error->message);
      end_call (self, ES_CALL_END_ERROR);
      return;
    }
  bound_step (self, 0);
  self->active_since = g_get_monotonic_time ();
  self->stats.rtt_ms = es_media_router_get_rtt_ms (self->router);
  self->stats_timer_id = g_timeout_add_seconds (1, on_stats_tick, self);
  set_state (self, ES_CALL_STATE_ACTIVE);
}

/* Both envelopes are verified: derive the keys and set up the media. */
static gboolean
agree_keys (EsCall           *self,
            EsSignedEnvelope *answer,
            GError          **error)
{
  g_autoptr(EsMediaCipher) sealer = NULL;
  g_autoptr(EsMediaCipher) opener = NULL;

  if (!es_call_keys_derive (self->keys, self->id, es_signed_envelope_get_body_text (self->offer),
                            es_signed_envelope_get_body_text (answer), error))
    return FALSE;
  sealer = es_media_cipher_new_for_call (self->keys, ES_MEDIA_CIPHER_SEAL, error);
  opener = sealer != NULL ? es_media_cipher_new_for_call (self->keys, ES_MEDIA_CIPHER_OPEN, error)
                          : NULL;
  if (opener == NULL)
    return FALSE;
  self->router = es_media_router_new (self->channel, receive_frame, self);
  g_signal_connect (self->router, "path-changed", G_CALLBACK (on_path_changed), self);
  g_signal_connect (self->router, "direct-lost", G_CALLBACK (on_direct_lost), self);
  self->media = es_media_session_new (sealer, opener, es_media_router_send, self->router);
  es_media_session_set_muted (self->media, self->muted);
  set_state (self, ES_CALL_STATE_CONNECTING);
  bound_step (self, CONNECT_TIMEOUT_MS);
  /* What was gathered while the call rang (the NAT's port allocation, say)
   * reaches the peer now; either way the race starts. */
  if (self->gatherer != NULL &&
      es_candidate_gatherer_get_generation (self->gatherer) != self->sent_generation)
    on_candidates_changed (self->gatherer, self);
  else
    race (self);
  activate_if_ready (self);
  return TRUE;
}

/* ---- Answering ------------------------------------------------------------- */

void
es_call_answer (EsCall *self)
{
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(EsSignedEnvelope) answer = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *offer_hash = NULL;

  g_return_if_fail (ES_IS_CALL (self));
  if (self->outgoing || self->state != ES_CALL_STATE_RINGING)
    return;

  read_peer_media (self, es_signed_envelope_get_body (self->offer));
  body = new_body (self);
  offer_hash = es_signed_envelope_dup_body_sha256_hex (self->offer);
  json_object_set_string_member (body, "offer", offer_hash);
  json_object_set_string_member (body, "codec", "opus");
  add_media_offer (self, body);

  answer = send_signed (self, "call-answer", body);
  if (answer == NULL)
    {
      end_call (self, ES_CALL_END_ERROR);
      return;
    }
  if (!agree_keys (self, answer, &error))
    {
      g_warning ("call %s: %s", self->id, error->message);
      end_call (self, ES_CALL_END_ERROR);
    }
}

static void
reject (EsCall          *self,
        EsCallEndReason  reason)
{
  if (self->outgoing || self->state != ES_CALL_STATE_RINGING)
    return;
  send_simple (self, "call-reject", es_call_end_reason_to_string (reason));
  end_call (self, reason);
}

void
es_call_decline (EsCall *self)
{
  g_return_if_fail (ES_IS_CALL (self));
  reject (self, ES_CALL_END_DECLINED);
}

void
es_call_decline_busy (EsCall *self)
{
  g_return_if_fail (ES_IS_CALL (self));
  reject (self, ES_CALL_END_BUSY);
}

void
es_call_hangup (EsCall *self)
{
  g_return_if_fail (ES_IS_CALL (self));

  switch (self->state)
    {
    case ES_CALL_STATE_DIALING:
    case ES_CALL_STATE_RINGING:
      if (!self->outgoing)
        {
          es_call_decline (self);
          return;
        }
      send_simple (self, "call-cancel", "cancelled");
      end_call (self, ES_CALL_END_CANCELLED);
      break;
    case ES_CALL_STATE_CONNECTING:
    case ES_CALL_STATE_ACTIVE:
      send_simple (self, "hangup", "hangup");
      end_call (self, ES_CALL_END_HANGUP);
      break;
    case ES_CALL_STATE_ENDED:
    default:
      break;
    }
}

/* ---- What arrives ----------------------------------------------------------- */

/* A signed message from the peer: the sender must be the peer, and the
 * signature must verify under the peer's key (learnt from the offer, or
 * carried in the body and checked against the dialled fingerprint). */
static EsSignedEnvelope *
verify_from_peer (EsCall     *self,
                  const char *type,
                  JsonObject *message)
{
  g_autoptr(EsSignedEnvelope) envelope = NULL;
  g_autoptr(GError) error = NULL;
  guint8 key[ES_ED25519_PUBLIC_KEY_SIZE];
  gboolean verified;

  envelope = es_signed_envelope_parse (message, &error);
  if (envelope != NULL && g_strcmp0 (es_signed_envelope_get_from (envelope), self->peer) != 0)
    g_set_error (&error, ES_ERROR, ES_ERROR_PROTOCOL, "it is from %s, not from %s",
                 es_signed_envelope_get_from (envelope), self->peer);
  if (error != NULL)
    {
      refuse (self, type, g_steal_pointer (&error));
      return NULL;
    }

  if (self->have_peer_key)
    verified = es_signed_envelope_verify (envelope, self->peer_key, &error);
  else
    verified = es_signed_envelope_verify_body_key (envelope, key, &error);
  if (!verified)
    {
      refuse (self, type, g_steal_pointer (&error));
      return NULL;
    }
  return g_steal_pointer (&envelope);
}

static void
handle_answer (EsCall     *self,
               JsonObject *message)
{
  g_autoptr(EsSignedEnvelope) answer = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *offer_hash = NULL;
  const char *answered;

  if (!self->outgoing || self->state > ES_CALL_STATE_RINGING)
    return;
  answer = verify_from_peer (self, "call-answer", message);
  if (answer == NULL)
    return;

  offer_hash = es_signed_envelope_dup_body_sha256_hex (self->offer);
  answered = es_json_get_string (es_signed_envelope_get_body (answer), "offer");
  if (g_strcmp0 (answered, offer_hash) != 0)
    {
      refuse (self, "call-answer",
              g_error_new_literal (ES_ERROR, ES_ERROR_PROTOCOL, "it answers another offer"));
      return;
    }
  if (!es_signed_envelope_verify_body_key (answer, self->peer_key, &error))
    {
      refuse (self, "call-answer", g_steal_pointer (&error));
      end_call (self, ES_CALL_END_ERROR);
      return;
    }
  self->have_peer_key = TRUE;
  read_peer_media (self, es_signed_envelope_get_body (answer));
  if (!agree_keys (self, answer, &error))
    {
      refuse (self, "call-answer", g_steal_pointer (&error));
      end_call (self, ES_CALL_END_ERROR);
    }
}

/* A new candidate list from the peer (its network changed): race again. */
static void
handle_candidates (EsCall     *self,
                   JsonObject *message)
{
  g_autoptr(EsSignedEnvelope) update = verify_from_peer (self, "candidates", message);

  if (update == NULL)
    return;
  read_peer_media (self, es_signed_envelope_get_body (update));
  if (self->racer != NULL)
    es_path_racer_set_remote_candidates (self->racer, self->remote_candidates,
                                         (guint) self->remote_generation);
  race (self);
}

static void
handle_path_report (EsCall     *self,
                    JsonObject *message)
{
  g_autoptr(EsSignedEnvelope) report = verify_from_peer (self, "path-report", message);

  if (report != NULL)
    g_debug ("call %s: the peer sends over the %s", self->id,
             es_json_get_string (es_signed_envelope_get_body (report), "kind"));
}

static void
handle_route (EsCall     *self,
              JsonObject *message)
{
  gint64 handle = 0;

  if (!es_json_get_int (message, "handle", &handle) || handle <= 0 || handle > G_MAXUINT32)
    return;
  if (self->router == NULL)
    return;
  es_media_router_set_relay_handle (self->router, (guint32) handle);
  activate_if_ready (self);
}

static void
handle_reject (EsCall     *self,
               JsonObject *message)
{
  g_autoptr(EsSignedEnvelope) reject = NULL;
  EsCallEndReason reason;

  if (!self->outgoing || self->state > ES_CALL_STATE_RINGING)
    return;

  /* The relay states what it saw (offline, busy, timeout) unsigned; a
   * refusal by the callee itself is signed. */
  if (json_object_has_member (message, "sig"))
    {
      reject = verify_from_peer (self, "call-reject", message);
      if (reject == NULL)
        return;
      reason = end_reason_from_string (es_json_get_string (es_signed_envelope_get_body (reject),
                                                           "reason"));
      if (reason != ES_CALL_END_BUSY)
        reason = ES_CALL_END_DECLINED;
    }
  else
    {
      reason = end_reason_from_string (es_json_get_string (message, "reason"));
      if (reason != ES_CALL_END_OFFLINE && reason != ES_CALL_END_BUSY &&
          reason != ES_CALL_END_TIMEOUT)
        return;
    }
  end_call (self, reason);
}

static void
handle_peer_end (EsCall          *self,
                 const char      *type,
                 JsonObject      *message,
                 EsCallEndReason  reason)
{
  g_autoptr(EsSignedEnvelope) envelope = verify_from_peer (self, type, message);

  if (envelope != NULL)
    end_call (self, reason);
}

/* Said by the relay: the call was taken on another device, the peer's
 * connection ended, or it rang out. */
static void
handle_relay_end (EsCall     *self,
                  const char *type,
                  JsonObject *message)
{
  EsCallEndReason reason;

  if (g_str_equal (type, "answered-elsewhere"))
    reason = self->outgoing ? ES_CALL_END_NONE : ES_CALL_END_ANSWERED_ELSEWHERE;
  else if (g_str_equal (type, "error"))
    reason = ES_CALL_END_ERROR;
  else
    reason = end_reason_from_string (es_json_get_string (message, "reason"));

  if (reason == ES_CALL_END_PEER_LOST || reason == ES_CALL_END_TIMEOUT ||
      reason == ES_CALL_END_ANSWERED_ELSEWHERE || reason == ES_CALL_END_ERROR)
    end_call (self, reason);
}

void
es_call_handle_message (EsCall     *self,
                        const char *type,
                        JsonObject *message)
{
  g_return_if_fail (ES_IS_CALL (self));

  if (self->state == ES_CALL_STATE_ENDED)
    return;
  if (g_str_equal (type, "ringing"))
    {
      if (self->outgoing && self->state == ES_CALL_STATE_DIALING)
        {
          bound_step (self, 0);
          set_state (self, ES_CALL_STATE_RINGING);
        }
    }
  else if (g_str_equal (type, "call-answer"))
    handle_answer (self, message);
  else if (g_str_equal (type, "call-route"))
    handle_route (self, message);
  else if (g_str_equal (type, "call-reject"))
    handle_reject (self, message);
  else if (g_str_equal (type, "call-cancel") && !self->outgoing)
    handle_peer_end (self, type, message, ES_CALL_END_CANCELLED);
  else if (g_str_equal (type, "hangup"))
    handle_peer_end (self, type, message,
                     self->state == ES_CALL_STATE_RINGING ? ES_CALL_END_CANCELLED
                                                          : ES_CALL_END_HANGUP);
  else if (g_str_equal (type, "answered-elsewhere") || g_str_equal (type, "call-ended") ||
           g_str_equal (type, "error"))
    handle_relay_end (self, type, message);
  else if (g_str_equal (type, "candidates"))
    handle_candidates (self, message);
  else if (g_str_equal (type, "path-report"))
    handle_path_report (self, message);
}

void
es_call_handle_relay_media (EsCall       *self,
                            const guint8 *frame,
                            gsize         length)
{
  receive_frame (frame, length, self);
}

/* A call that runs direct survives the relay connection (DESIGN §5); one
 * that needs the relay ends. */
void
es_call_relay_lost (EsCall *self)
{
  if (self->router != NULL && self->state == ES_CALL_STATE_ACTIVE &&
      g_str_equal (es_media_router_get_path_kind (self->router), "direct"))
    return;
  end_call (self, ES_CALL_END_RELAY_LOST);
}

void
es_call_set_direct_paths (EsCall              *self,
                          EsQuicEndpoint      *endpoint,
                          EsCandidateGatherer *gatherer)
{
  g_return_if_fail (ES_IS_CALL (self));

  g_set_object (&self->endpoint, endpoint);
  g_set_object (&self->gatherer, gatherer);
  g_signal_connect (gatherer, "candidates-changed", G_CALLBACK (on_candidates_changed), self);
}

/* The acceptor's side of the race: a connection from the peer's key, which
 * the endpoint already checked, while this call races. */
gboolean
es_call_take_direct_connection (EsCall           *self,
                                EsQuicConnection *connection)
{
  if (self->racer == NULL || es_path_racer_is_dialler (self->racer) ||
      (self->state != ES_CALL_STATE_CONNECTING && self->state != ES_CALL_STATE_ACTIVE))
    return FALSE;
  es_path_racer_take_connection (self->racer, connection);
  return TRUE;
}

gboolean
es_call_accepts_direct (EsCall *self)
{
  return self->racer != NULL && !es_path_racer_is_dialler (self->racer) &&
         (self->state == ES_CALL_STATE_CONNECTING || self->state == ES_CALL_STATE_ACTIVE);
}

const EsCandidate *
es_call_get_direct_remote (EsCall *self)
{
  return self->router != NULL ? es_media_router_get_remote (self->router) : NULL;
}

/* ---- Accessors -------------------------------------------------------------- */

const char *
es_call_get_id (EsCall *self)
{
  return self->id;
}

const char *
es_call_get_peer (EsCall *self)
{
  return self->peer;
}

gboolean
es_call_is_outgoing (EsCall *self)
{
  return self->outgoing;
}

EsCallState
es_call_get_state (EsCall *self)
{
  return self->state;
}

EsCallEndReason
es_call_get_end_reason (EsCall *self)
{
  return self->end_reason;
}

const char * const *
es_call_get_safety_words (EsCall *self)
{
  return es_call_keys_is_derived (self->keys) ? es_call_keys_get_safety_words (self->keys) : NULL;
}

const char *
es_call_get_path_kind (EsCall *self)
{
  return self->router != NULL ? es_media_router_get_path_kind (self->router) : "relay";
}

const guint8 *
es_call_get_peer_key (EsCall *self)
{
  return self->have_peer_key ? self->peer_key : NULL;
}

guint32
es_call_get_relay_handle (EsCall *self)
{
  return self->router != NULL ? es_media_router_get_relay_handle (self->router) : 0;
}

gint64
es_call_get_active_since (EsCall *self)
{
  return self->active_since;
}

void
es_call_get_stats (EsCall      *self,
                   EsCallStats *stats)
{
  *stats = self->stats;
  stats->path_kind = es_call_get_path_kind (self);
}

void
es_call_set_muted (EsCall   *self,
                   gboolean  muted)
{
  g_return_if_fail (ES_IS_CALL (self));
  self->muted = !!muted;
  if (self->media != NULL)
    es_media_session_set_muted (self->media, self->muted);
}

gboolean
es_call_get_muted (EsCall *self)
{
  g_return_val_if_fail (ES_IS_CALL (self), FALSE);
  return self->muted;
}

void
es_call_set_audio (EsCall         *self,
                   EsAudioBackend *audio)
{
  g_return_if_fail (ES_IS_CALL (self));
  g_set_object (&self->audio, audio);
}
