/* es-candidate-gatherer.h: where this client may be reached
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "es-candidate.h"
#include "es-quic-endpoint.h"

G_BEGIN_DECLS

#define ES_TYPE_CANDIDATE_GATHERER (es_candidate_gatherer_get_type ())

G_DECLARE_FINAL_TYPE (EsCandidateGatherer, es_candidate_gatherer, ES, CANDIDATE_GATHERER, GObject)

/* Signals:
 *   candidates-changed (): the list changed and its generation went up.
 */

EsCandidateGatherer *es_candidate_gatherer_new               (EsQuicEndpoint      *endpoint);
/* Privacy mode: only the relay candidate, no address of this machine. */
void                 es_candidate_gatherer_set_privacy       (EsCandidateGatherer *self,
                                                              gboolean             privacy);
gboolean             es_candidate_gatherer_get_privacy       (EsCandidateGatherer *self);
/* The relay's address, and this client's address as the relay saw it. */
void                 es_candidate_gatherer_set_relay         (EsCandidateGatherer *self,
                                                              const char          *relay,
                                                              const char          *observed);
/* Asked from the call socket at each gathering (at once when added after
 * the first); the first IPv4 one also answers the port allocation samples. */
void                 es_candidate_gatherer_add_stun_server   (EsCandidateGatherer *self,
                                                              GInetSocketAddress  *server);
/* A port mapping on the gateway, or NULL when there is none. */
void                 es_candidate_gatherer_set_mapped        (EsCandidateGatherer *self,
                                                              GInetSocketAddress  *mapped);
/* Reads the interfaces now and asks the STUN servers; answers come later. */
void                 es_candidate_gatherer_gather            (EsCandidateGatherer *self);
/* How this side's NAT maps and picks ports, as far as measured (its
 * reflexive IPv4 candidates carry the same). */
const EsNatBehaviour *es_candidate_gatherer_get_nat          (EsCandidateGatherer *self);
/* EsCandidate, highest priority first; transfer none. */
GPtrArray           *es_candidate_gatherer_get_candidates    (EsCandidateGatherer *self);
JsonArray           *es_candidate_gatherer_to_json           (EsCandidateGatherer *self);
guint                es_candidate_gatherer_get_generation    (EsCandidateGatherer *self);

/* The host addresses of this machine that candidates may use: up, not
 * link-local, not loopback unless EARSHOT_INTERFACES names "lo", and only on
 * the interfaces EARSHOT_INTERFACES lists when it is set (DESIGN §10.9). */
GPtrArray           *es_candidate_gatherer_list_host_addresses (void);

G_END_DECLS
