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
#include "es-enums.h"
#include "es-error.h"
#include "es-fingerprint.h"
#include "es-hex.h"
#include "es-json.h"

#define RELAY_HANDLE_SIZE 4
/* Never an endless "Connecting…": each step that waits on the network has
 * a bound, and the call ends saying which one failed. */
#define DIAL_TIMEOUT_MS 10000
#define CONNECT_TIMEOUT_MS 15000
/* DTX still sends a frame every 400 ms; this much silence means the peer is gone. */
#define MEDIA_SILENCE_LIMIT_US (15 * G_USEC_PER_SEC)
#define ICE_CREDENTIAL_BYTES 12

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

  EsAudioBackend *audio;
  EsMediaSession *media;
  guint32 relay_handle;
  gboolean have_route;
  gint64 active_since;
  EsCallStats stats;        /* sampled once a second */
  guint step_timeout_id;
  guint stats_timer_id;
};

G_DEFINE_FINAL_TYPE (EsCall, es_call, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_STATE,
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
  if (self->media != NULL)
    es_media_session_stop (self->media);
  g_clear_object (&self->media);
}

static void
es_call_dispose (GObject *object)
{
  EsCall *self = ES_CALL (object);

  stop_media (self);
  g_clear_object (&self->audio);
  g_clear_object (&self->channel);

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

static void
add_media_offer (EsCall     *self,
                 JsonObject *body)
{
  g_autofree char *ephemeral = es_call_keys_dup_public_key_hex (self->keys);
  JsonObject *ice = json_object_new ();
  JsonArray *candidates = json_array_new ();
  JsonObject *relay = json_object_new ();
  g_autofree char *relay_address = es_relay_spec_host_port (es_signal_channel_get_relay (self->channel));

  json_object_set_string_member (body, "ephemeral", ephemeral);
  json_object_set_string_member (ice, "ufrag", self->ice_ufrag);
  json_object_set_string_member (ice, "pwd", self->ice_pwd);
  json_object_set_object_member (body, "ice", ice);
  json_object_set_string_member (relay, "type", "relay");
  json_object_set_string_member (relay, "address", relay_address);
  json_object_set_int_member (relay, "priority", 0);
  json_array_add_object_element (candidates, relay);
  json_object_set_array_member (body, "candidates", candidates);
  json_object_set_int_member (body, "generation", 0);
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

/* ---- Media ---------------------------------------------------------------- */

static gboolean
send_over_relay (const guint8 *frame,
                 gsize         length,
                 gpointer      data)
{
  EsCall *self = data;
  EsQuicConnection *connection = es_signal_channel_get_connection (self->channel);
  guint8 datagram[RELAY_HANDLE_SIZE + 1500];

  if (!self->have_route || connection == NULL || length > sizeof datagram - RELAY_HANDLE_SIZE)
    return FALSE;
  datagram[0] = self->relay_handle >> 24;
  datagram[1] = self->relay_handle >> 16;
  datagram[2] = self->relay_handle >> 8;
  datagram[3] = self->relay_handle;
  memcpy (datagram + RELAY_HANDLE_SIZE, frame, length);
  return es_quic_connection_send_datagram (connection, datagram, RELAY_HANDLE_SIZE + length);
}

static double
relay_leg_rtt_ms (EsCall *self)
{
  EsQuicConnection *connection = es_signal_channel_get_connection (self->channel);
  EsQuicStats stats = { 0 };

  if (connection == NULL)
    return 0;
  es_quic_connection_get_stats (connection, &stats);
  return stats.smoothed_rtt_us / 1000.0;
}

static gboolean
on_stats_tick (gpointer data)
{
  EsCall *self = data;
  double own_leg = relay_leg_rtt_ms (self);

  if (g_get_monotonic_time () - MAX (es_media_session_get_last_receive_us (self->media),
                                     self->active_since) > MEDIA_SILENCE_LIMIT_US)
    {
      self->stats_timer_id = 0;
      end_call (self, ES_CALL_END_PEER_LOST);
      return G_SOURCE_REMOVE;
    }

  es_media_session_sample_stats (self->media, &self->stats.media);
  /* Over the relay the round trip has two legs: ours, and the peer's, which
   * its quality report tells. */
  self->stats.rtt_ms = own_leg + self->stats.media.peer_report.rtt_ms;
  self->stats.path_kind = es_call_get_path_kind (self);
  es_media_session_send_report (self->media, own_leg);
  g_signal_emit (self, signals[STATS], 0);
  return G_SOURCE_CONTINUE;
}

static void
activate_if_ready (EsCall *self)
{
  g_autoptr(GError) error = NULL;

  if (self->state != ES_CALL_STATE_CONNECTING || self->media == NULL || !self->have_route)
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
  self->stats.rtt_ms = relay_leg_rtt_ms (self);
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
  self->media = es_media_session_new (sealer, opener, send_over_relay, self);
  set_state (self, ES_CALL_STATE_CONNECTING);
  bound_step (self, CONNECT_TIMEOUT_MS);
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
  if (!es_signed_envelope_verify_body_key (answer, self->peer_key, &error) ||
      !agree_keys (self, answer, &error))
    {
      refuse (self, "call-answer", g_steal_pointer (&error));
      end_call (self, ES_CALL_END_ERROR);
      return;
    }
  self->have_peer_key = TRUE;
}

static void
handle_route (EsCall     *self,
              JsonObject *message)
{
  gint64 handle = 0;

  if (!es_json_get_int (message, "handle", &handle) || handle <= 0 || handle > G_MAXUINT32)
    return;
  self->relay_handle = (guint32) handle;
  self->have_route = TRUE;
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
}

void
es_call_handle_relay_media (EsCall       *self,
                            const guint8 *frame,
                            gsize         length)
{
  if (self->media != NULL && self->state == ES_CALL_STATE_ACTIVE)
    es_media_session_receive (self->media, frame, length);
}

void
es_call_relay_lost (EsCall *self)
{
  end_call (self, ES_CALL_END_RELAY_LOST);
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
  return "relay";
}

const guint8 *
es_call_get_peer_key (EsCall *self)
{
  return self->have_peer_key ? self->peer_key : NULL;
}

guint32
es_call_get_relay_handle (EsCall *self)
{
  return self->have_route ? self->relay_handle : 0;
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
es_call_set_audio (EsCall         *self,
                   EsAudioBackend *audio)
{
  g_return_if_fail (ES_IS_CALL (self));
  g_set_object (&self->audio, audio);
}
