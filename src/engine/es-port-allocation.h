/* es-port-allocation.h: how a NAT picks public ports, and what that predicts
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Samples needed before a pattern is named (netcheck and the gatherer). */
#define ES_PORT_ALLOCATION_SAMPLES 5
/* A larger step between successive new flows is not "sequential". */
#define ES_PORT_ALLOCATION_MAX_DELTA 16

typedef enum {
  ES_PORT_ALLOCATION_UNKNOWN,
  ES_PORT_ALLOCATION_PRESERVING,   /* the public port is the socket's own */
  ES_PORT_ALLOCATION_SEQUENTIAL,   /* each new flow gets the last port + delta */
  ES_PORT_ALLOCATION_RANDOM,
} EsPortAllocation;

typedef enum {
  ES_NAT_MAPPING_UNKNOWN,
  ES_NAT_MAPPING_ENDPOINT_INDEPENDENT,
  ES_NAT_MAPPING_ADDRESS_DEPENDENT,
  ES_NAT_MAPPING_ADDRESS_AND_PORT_DEPENDENT,
} EsNatMapping;

/* One new flow through the NAT: the port it left from and the port a STUN
 * server saw. */
typedef struct
{
  guint16 local_port;
  guint16 mapped_port;
} EsPortSample;

/* What one side knows of its NAT and tells the peer with its reflexive
 * candidates (docs/protocol.md §5). */
typedef struct
{
  EsNatMapping mapping;
  EsPortAllocation allocation;
  int delta;              /* sequential: the usual step */
  guint16 last_port;      /* the last public port seen given, 0 if none */
} EsNatBehaviour;

/* Samples in the order their flows were opened. Fewer than
 * ES_PORT_ALLOCATION_SAMPLES: unknown. Every public port the socket's own:
 * preserving. Every step between successive samples in
 * [1, ES_PORT_ALLOCATION_MAX_DELTA]: sequential, *delta being the most
 * frequent step (the smallest on a tie: other flows opened meanwhile make
 * some steps larger). Anything else: random. */
EsPortAllocation es_port_allocation_classify        (const EsPortSample   *samples,
                                                     guint                 n_samples,
                                                     int                  *delta);
const char      *es_port_allocation_to_string       (EsPortAllocation      allocation);
/* ES_PORT_ALLOCATION_UNKNOWN for NULL or anything else. */
EsPortAllocation es_port_allocation_from_string     (const char           *text);

/* The ports a sequential NAT that last gave @last_port will give to the
 * next @window new flows (last + delta, last + 2 delta, ...), wrapping
 * within the unprivileged ports 1024-65535 as NATs do. Writes them to
 * @ports and returns how many (0 for a delta outside
 * [1, ES_PORT_ALLOCATION_MAX_DELTA] or no last port). */
guint            es_port_allocation_predict         (guint16               last_port,
                                                     int                   delta,
                                                     guint                 window,
                                                     guint16              *ports);

const char      *es_nat_mapping_to_string           (EsNatMapping          mapping);
EsNatMapping     es_nat_mapping_from_string         (const char           *text);

/* The same for every destination, as far as is known. An unknown mapping
 * counts as independent when the NAT keeps sockets' own ports. */
gboolean         es_nat_behaviour_is_easy           (const EsNatBehaviour *self);
/* Not easy, and no pattern to predict: only the birthday method helps. */
gboolean         es_nat_behaviour_is_random         (const EsNatBehaviour *self);
/* Not easy, and each new flow's port is the last one plus delta. */
gboolean         es_nat_behaviour_is_predictable    (const EsNatBehaviour *self);
gboolean         es_nat_behaviour_equal             (const EsNatBehaviour *a,
                                                     const EsNatBehaviour *b);
/* The members "mapping", "port_allocation", "delta" and "last_port", each
 * only when known. */
void             es_nat_behaviour_to_json           (const EsNatBehaviour *self,
                                                     JsonObject           *object);
/* Reads those members; what is missing or out of range stays unknown. */
void             es_nat_behaviour_from_json         (EsNatBehaviour       *self,
                                                     JsonObject           *object);

G_END_DECLS
