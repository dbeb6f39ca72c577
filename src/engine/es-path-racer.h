/* es-path-racer.h: finds a direct path to the peer of a call
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "es-candidate.h"
#include "es-quic-endpoint.h"

G_BEGIN_DECLS

#define ES_TYPE_PATH_RACER (es_path_racer_get_type ())

G_DECLARE_FINAL_TYPE (EsPathRacer, es_path_racer, ES, PATH_RACER, GObject)

/* Signals:
 *   path-verified (EsQuicConnection *connection, EsCandidate *remote): a QUIC
 *     connection to the peer is established over a checked pair, with the
 *     peer's key pinned. The racer stops; the caller owns the connection.
 *     @remote is the peer's candidate, typed by how it was found: a
 *     "predicted" port of a sequential NAT, or "birthday" for a pair the
 *     birthday method opened (on either side of it).
 */

/* The side with the larger fingerprint dials, whoever placed the call
 * (DESIGN §7); the other side accepts (es_path_racer_take_connection). The
 * credentials are this side's and the peer's ICE ufrag and password, from
 * the signed offer and answer. */
EsPathRacer *es_path_racer_new                   (EsQuicEndpoint *endpoint,
                                                  const char     *peer_fingerprint,
                                                  gboolean        dialler,
                                                  const char     *local_ufrag,
                                                  const char     *local_password,
                                                  const char     *remote_ufrag,
                                                  const char     *remote_password);
gboolean     es_path_racer_is_dialler            (EsPathRacer    *self);
/* How this side's NAT behaves (the gatherer's measure); read at each start.
 * With the peer's (from its reflexive candidates) it decides the hard-NAT
 * methods: predicted ports against a sequential NAT, and the birthday
 * method between a random NAT and an easy one. */
void         es_path_racer_set_local_nat         (EsPathRacer          *self,
                                                  const EsNatBehaviour *nat);
/* The peer's candidates; a generation lower than the last one is ignored. */
void         es_path_racer_set_remote_candidates (EsPathRacer    *self,
                                                  GPtrArray      *candidates,
                                                  guint           generation);
/* Checks every pair, paced, and (dialler) dials the pairs that answer. */
void         es_path_racer_start                 (EsPathRacer    *self);
/* Stops checking and ends a birthday attempt (its probe sockets close, but
 * for one a connection runs over). */
void         es_path_racer_stop                  (EsPathRacer    *self);
gboolean     es_path_racer_is_running            (EsPathRacer    *self);
/* Acceptor: the peer's connection, which the endpoint already checked. */
void         es_path_racer_take_connection       (EsPathRacer    *self,
                                                  EsQuicConnection *connection);

G_END_DECLS
