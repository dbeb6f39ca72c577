/* es-relay-call.h: one call as the relay sees it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "es-relay-client.h"

G_BEGIN_DECLS

typedef enum {
  ES_RELAY_CALL_RINGING,
  ES_RELAY_CALL_ACTIVE,
} EsRelayCallState;

#define ES_TYPE_RELAY_CALL (es_relay_call_get_type ())

G_DECLARE_FINAL_TYPE (EsRelayCall, es_relay_call, ES, RELAY_CALL, GObject)

EsRelayCall      *es_relay_call_new                (const char            *call_id,
                                                    EsRelayClient         *caller,
                                                    const char            *callee,
                                                    guint32                handle,
                                                    const EsRelaySettings *settings);
const char       *es_relay_call_get_id             (EsRelayCall           *self);
EsRelayCallState  es_relay_call_get_state          (EsRelayCall           *self);
EsRelayClient    *es_relay_call_get_caller         (EsRelayCall           *self);
const char       *es_relay_call_get_callee         (EsRelayCall           *self);
EsRelayClient    *es_relay_call_get_answerer       (EsRelayCall           *self);
guint32           es_relay_call_get_handle         (EsRelayCall           *self);
gint64            es_relay_call_get_started_us     (EsRelayCall           *self);
/* The callee's devices this call is ringing on; transfer none. */
GPtrArray        *es_relay_call_get_ringing        (EsRelayCall           *self);
void              es_relay_call_add_ringing        (EsRelayCall           *self,
                                                    EsRelayClient         *device);
void              es_relay_call_remove_ringing     (EsRelayCall           *self,
                                                    EsRelayClient         *device);
void              es_relay_call_answer             (EsRelayCall           *self,
                                                    EsRelayClient         *device);
gboolean          es_relay_call_involves           (EsRelayCall           *self,
                                                    EsRelayClient         *client);
/* Once active, the other leg of `leg`; NULL when `leg` is not a leg. */
EsRelayClient    *es_relay_call_get_other_leg      (EsRelayCall           *self,
                                                    EsRelayClient         *leg);
/* Per-leg caps on media (packets and bytes per second). */
gboolean          es_relay_call_admit_media        (EsRelayCall           *self,
                                                    EsRelayClient         *leg,
                                                    gsize                  bytes,
                                                    gint64                 now_us);
void              es_relay_call_set_ring_timeout   (EsRelayCall           *self,
                                                    guint                  source_id);
/* The ring timeout source is running and removes itself. */
void              es_relay_call_ring_timeout_fired (EsRelayCall           *self);

G_END_DECLS
