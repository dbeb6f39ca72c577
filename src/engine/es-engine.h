/* es-engine.h: the one object a user interface talks to
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "es-call.h"
#include "es-identity.h"
#include "es-quic-endpoint.h"
#include "es-relay-spec.h"
#include "es-signal-channel.h"

G_BEGIN_DECLS

#define ES_TYPE_ENGINE (es_engine_get_type ())

G_DECLARE_FINAL_TYPE (EsEngine, es_engine, ES, ENGINE, GObject)

/* Signals:
 *   call-added (EsCall *call): a call began, placed here or ringing here.
 *   incoming-call (EsCall *call): a verified offer rings here.
 *   refused (GError *error): a message failed its checks and was dropped
 *     (a forged offer, a signature that does not verify).
 *   notice (const char *text): something to tell the user that is no error.
 */

EsEngine        *es_engine_new                (EsIdentity        *identity);
/* The first relay added is the home relay: this client registers there. */
void             es_engine_add_relay          (EsEngine          *self,
                                               const EsRelaySpec *relay);
/* Extra STUN servers, asked from the call socket (--stun, EARSHOT_STUN). */
void             es_engine_add_stun_server    (EsEngine          *self,
                                               GInetSocketAddress *server);
/* Relay only: no host, mapped or reflexive address leaves the machine. */
void             es_engine_set_privacy        (EsEngine          *self,
                                               gboolean           privacy);
gboolean         es_engine_get_privacy        (EsEngine          *self);
gboolean         es_engine_start              (EsEngine          *self,
                                               GError           **error);
void             es_engine_stop               (EsEngine          *self);
void             es_engine_shutdown_async     (EsEngine          *self,
                                               GAsyncReadyCallback callback,
                                               gpointer           user_data);
gboolean         es_engine_shutdown_finish    (EsEngine          *self,
                                               GAsyncResult      *result,
                                               GError           **error);

EsIdentity      *es_engine_get_identity       (EsEngine          *self);
EsQuicEndpoint  *es_engine_get_endpoint       (EsEngine          *self);
EsSignalChannel *es_engine_get_signal_channel (EsEngine          *self);
/* Calls that have not ended, as a list model of EsCall. */
GListModel      *es_engine_get_calls          (EsEngine          *self);

EsCall          *es_engine_place_call         (EsEngine          *self,
                                               const char        *fingerprint,
                                               EsAudioBackend    *audio,
                                               GError           **error);

/* Netcheck (DESIGN §8, §10.6) on the engine's own call socket, with its
 * relays and STUN servers: completes with the report (transfer full). Fails
 * with ES_ERROR_FAILED before es_engine_start(), or when cancelled. */
void             es_engine_run_netcheck_async  (EsEngine            *self,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
JsonObject      *es_engine_run_netcheck_finish (EsEngine            *self,
                                                GAsyncResult        *result,
                                                GError             **error);

G_END_DECLS
