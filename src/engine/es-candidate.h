/* es-candidate.h: an address at which a party may be reached
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "es-port-allocation.h"

G_BEGIN_DECLS

/* In order of preference for a direct path (DESIGN §7, docs/protocol.md §5).
 * Predicted and birthday candidates never travel: a side makes them from
 * what the peer's reflexive candidates say about its NAT (DESIGN §10.7
 * names them in "path" events). */
typedef enum {
  ES_CANDIDATE_HOST,
  ES_CANDIDATE_MAPPED,           /* a port mapping on the gateway (PCP, NAT-PMP, UPnP) */
  ES_CANDIDATE_REFLEXIVE,        /* as a STUN server or the relay saw us */
  ES_CANDIDATE_PEER_REFLEXIVE,   /* as the peer's checks saw us */
  ES_CANDIDATE_PREDICTED,        /* the port a sequential NAT will give the peer next */
  ES_CANDIDATE_BIRTHDAY,         /* a port the birthday method found open */
  ES_CANDIDATE_RELAY,
} EsCandidateType;

typedef struct
{
  EsCandidateType type;
  GInetSocketAddress *address;   /* NULL for the relay candidate's unresolved name */
  char *text;                    /* "ip:port", "[v6]:port", or the relay's HOST:PORT */
  guint32 priority;
  /* Reflexive IPv4 candidates: how the NAT picks ports for new flows. */
  EsNatBehaviour nat;
} EsCandidate;

#define ES_TYPE_CANDIDATE (es_candidate_get_type ())

GType        es_candidate_get_type        (void) G_GNUC_CONST;
EsCandidate *es_candidate_new             (EsCandidateType     type,
                                           GInetSocketAddress *address);
EsCandidate *es_candidate_new_relay       (const char         *host_port);
EsCandidate *es_candidate_copy            (const EsCandidate  *self);
void         es_candidate_free            (EsCandidate        *self);
gboolean     es_candidate_equal           (const EsCandidate  *a,
                                           const EsCandidate  *b);
const char  *es_candidate_type_to_string  (EsCandidateType     type);
gboolean     es_candidate_is_ipv6         (const EsCandidate  *self);
JsonObject  *es_candidate_to_json         (const EsCandidate  *self);
/* Strict: a peer's candidate with a type that travels, a numeric address
 * and a priority; a reflexive one's NAT description where it has one. */
EsCandidate *es_candidate_from_json       (JsonObject         *object,
                                           GError            **error);
/* Highest priority first. */
int          es_candidate_compare         (gconstpointer       a,
                                           gconstpointer       b);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsCandidate, es_candidate_free)

G_END_DECLS
