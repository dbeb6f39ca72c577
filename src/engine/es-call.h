/* es-call.h: one call, from offer to hang-up
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "es-audio-backend.h"
#include "es-candidate-gatherer.h"
#include "es-identity.h"
#include "es-media-router.h"
#include "es-media-session.h"
#include "es-signal-channel.h"
#include "es-signed-envelope.h"

G_BEGIN_DECLS

typedef enum {
  ES_CALL_STATE_DIALING,      /* outgoing: the offer is on its way */
  ES_CALL_STATE_RINGING,      /* ringing at the callee (outgoing) or here (incoming) */
  ES_CALL_STATE_CONNECTING,   /* answered and keys agreed; the media path is being set up */
  ES_CALL_STATE_ACTIVE,
  ES_CALL_STATE_ENDED,
} EsCallState;

/* DESIGN §10.2 */
typedef enum {
  ES_CALL_END_NONE,
  ES_CALL_END_DECLINED,
  ES_CALL_END_BUSY,
  ES_CALL_END_OFFLINE,
  ES_CALL_END_TIMEOUT,
  ES_CALL_END_CANCELLED,
  ES_CALL_END_HANGUP,
  ES_CALL_END_ANSWERED_ELSEWHERE,
  ES_CALL_END_PEER_LOST,
  ES_CALL_END_RELAY_LOST,
  ES_CALL_END_ERROR,
} EsCallEndReason;

typedef struct
{
  EsMediaStats media;
  double rtt_ms;             /* end to end: this side's leg plus the peer's reported one */
  const char *path_kind;     /* "relay" or "direct" */
} EsCallStats;

const char *es_call_state_to_string      (EsCallState     state);
const char *es_call_end_reason_to_string (EsCallEndReason reason);

#define ES_TYPE_CALL (es_call_get_type ())

G_DECLARE_FINAL_TYPE (EsCall, es_call, ES, CALL, GObject)

/* Signals:
 *   state-changed (EsCallState new_state, EsCallState old_state)
 *   stats (): once a second while active; read es_call_get_stats().
 *   path-changed (): media moved to another path.
 *   refused (GError *error): a message about this call failed its checks
 *     (a forged signature, an answer to another offer) and was dropped.
 */

EsCall          *es_call_new_outgoing         (EsIdentity       *identity,
                                               EsSignalChannel  *channel,
                                               const char       *peer);
/* From an offer that the engine already verified. */
EsCall          *es_call_new_incoming         (EsIdentity       *identity,
                                               EsSignalChannel  *channel,
                                               EsSignedEnvelope *offer,
                                               const guint8     *peer_key);
gboolean         es_call_dial                 (EsCall           *self,
                                               GError          **error);

const char      *es_call_get_id               (EsCall           *self);
const char      *es_call_get_peer             (EsCall           *self);
gboolean         es_call_is_outgoing          (EsCall           *self);
EsCallState      es_call_get_state            (EsCall           *self);
EsCallEndReason  es_call_get_end_reason       (EsCall           *self);
/* Words both people compare to know no one replaced a key; NULL before keys. */
const char * const *es_call_get_safety_words  (EsCall           *self);
const char      *es_call_get_path_kind        (EsCall           *self);
/* The peer's Ed25519 key once known (from the offer, or the answer), else NULL. */
const guint8    *es_call_get_peer_key         (EsCall           *self);
void             es_call_get_stats            (EsCall           *self,
                                               EsCallStats      *stats);
/* When the call became active (monotonic µs), or 0. */
gint64           es_call_get_active_since     (EsCall           *self);

/* Where this call's audio comes from and goes to; set before it connects. */
void             es_call_set_audio            (EsCall           *self,
                                               EsAudioBackend   *audio);
/* The peer hears silence while muted; kept across connecting. */
void             es_call_set_muted            (EsCall           *self,
                                               gboolean          muted);
gboolean         es_call_get_muted            (EsCall           *self);
void             es_call_answer               (EsCall           *self);
void             es_call_decline              (EsCall           *self);
/* Declines because this side is in another call. */
void             es_call_decline_busy         (EsCall           *self);
/* Hangs up an active call, cancels a ringing outgoing one, declines a
 * ringing incoming one. */
void             es_call_hangup               (EsCall           *self);

/* From the engine: a message about this call, and a media datagram. */
void             es_call_handle_message       (EsCall           *self,
                                               const char       *type,
                                               JsonObject       *message);
void             es_call_handle_relay_media   (EsCall           *self,
                                               const guint8     *frame,
                                               gsize             length);
guint32          es_call_get_relay_handle     (EsCall           *self);
/* The relay connection is gone: a call that runs over it ends. */
void             es_call_relay_lost           (EsCall           *self);

/* Direct paths (DESIGN §7): without this, a call runs over the relay only. */
void             es_call_set_direct_paths     (EsCall              *self,
                                               EsQuicEndpoint      *endpoint,
                                               EsCandidateGatherer *gatherer);
gboolean         es_call_accepts_direct       (EsCall           *self);
gboolean         es_call_take_direct_connection (EsCall         *self,
                                                  EsQuicConnection *connection);
/* The peer's candidate that the direct path uses; NULL over the relay. */
const EsCandidate *es_call_get_direct_remote  (EsCall           *self);

G_END_DECLS
