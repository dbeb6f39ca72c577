/* es-media-router.h: which path a call's media takes, and when to change it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "es-candidate.h"
#include "es-signal-channel.h"

G_BEGIN_DECLS

typedef void (*EsMediaReceiveFunc) (const guint8 *frame,
                                    gsize         length,
                                    gpointer      user_data);

#define ES_TYPE_MEDIA_ROUTER (es_media_router_get_type ())

G_DECLARE_FINAL_TYPE (EsMediaRouter, es_media_router, ES, MEDIA_ROUTER, GObject)

/* Signals:
 *   path-changed (): media now goes over the other path ("path-kind").
 *   direct-lost (): media left the direct path (the peer stopped answering,
 *     or the connection closed); racing again may find another.
 */

EsMediaRouter *es_media_router_new              (EsSignalChannel    *channel,
                                                 EsMediaReceiveFunc  receive,
                                                 gpointer            user_data);
/* The relay's handle for this call (call-route). */
void           es_media_router_set_relay_handle (EsMediaRouter      *self,
                                                 guint32             handle);
gboolean       es_media_router_has_relay_route  (EsMediaRouter      *self);
guint32        es_media_router_get_relay_handle (EsMediaRouter      *self);
/* A verified direct connection to the peer: media moves to it. */
void           es_media_router_set_direct       (EsMediaRouter      *self,
                                                 EsQuicConnection   *connection,
                                                 const EsCandidate  *remote);
/* Media goes over a direct path that answers. */
gboolean       es_media_router_is_direct        (EsMediaRouter      *self);
/* Sends one sealed frame on the current path (and, while switching, on
 * both: the receiver's replay window drops the second copy). */
gboolean       es_media_router_send             (const guint8       *frame,
                                                 gsize               length,
                                                 gpointer            router);
/* "relay" or "direct" */
const char    *es_media_router_get_path_kind    (EsMediaRouter      *self);
/* The peer's candidate the direct path uses, or NULL on the relay. */
const EsCandidate *es_media_router_get_remote   (EsMediaRouter      *self);
/* This side's leg of the current path (to the relay, or to the peer). */
double         es_media_router_get_rtt_ms       (EsMediaRouter      *self);
void           es_media_router_stop             (EsMediaRouter      *self);

G_END_DECLS
