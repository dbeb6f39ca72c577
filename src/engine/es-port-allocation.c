/* es-port-allocation.c
 *
 * A NAT that gives each new flow its own public port defeats the usual
 * hole punching: the port the peer must dial is the one the NAT will give
 * to the flow towards the peer, which does not exist yet. How it picks that
 * port decides what is left (DESIGN §7): a sequential NAT can be predicted
 * from a few samples; a random one only by the birthday method. Netcheck
 * and the candidate gatherer read the same samples the same way here.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsPortAllocation"

#include "es-port-allocation.h"

#include <stdlib.h>

#include "es-json.h"

#define FIRST_UNPRIVILEGED_PORT 1024
#define N_PORTS 65536

static const char * const allocation_names[] = {
  "unknown", "preserving", "sequential", "random",
};

static const char * const mapping_names[] = {
  "unknown", "endpoint-independent", "address-dependent", "address-and-port-dependent",
};

static int
compare_ints (gconstpointer a,
              gconstpointer b)
{
  return *(const int *) a - *(const int *) b;
}

static int
most_frequent (const int *values,
               guint      n)
{
  g_autofree int *sorted = g_memdup2 (values, n * sizeof *values);
  int best = sorted[0];
  guint best_count = 0;

  qsort (sorted, n, sizeof *sorted, compare_ints);
  for (guint i = 0; i < n;)
    {
      guint j = i;

      while (j < n && sorted[j] == sorted[i])
        j++;
      if (j - i > best_count)
        {
          best = sorted[i];
          best_count = j - i;
        }
      i = j;
    }
  return best;
}

EsPortAllocation
es_port_allocation_classify (const EsPortSample *samples,
                             guint               n_samples,
                             int                *delta)
{
  g_autofree int *steps = NULL;
  gboolean preserving = TRUE;
  gboolean sequential = TRUE;

  *delta = 0;
  if (n_samples < ES_PORT_ALLOCATION_SAMPLES)
    return ES_PORT_ALLOCATION_UNKNOWN;

  steps = g_new (int, n_samples - 1);
  for (guint i = 0; i < n_samples; i++)
    {
      preserving &= samples[i].mapped_port == samples[i].local_port;
      if (i == 0)
        continue;
      steps[i - 1] = (int) samples[i].mapped_port - (int) samples[i - 1].mapped_port;
      sequential &= steps[i - 1] > 0 && steps[i - 1] <= ES_PORT_ALLOCATION_MAX_DELTA;
    }
  if (preserving)
    return ES_PORT_ALLOCATION_PRESERVING;
  if (!sequential)
    return ES_PORT_ALLOCATION_RANDOM;
  *delta = most_frequent (steps, n_samples - 1);
  return ES_PORT_ALLOCATION_SEQUENTIAL;
}

const char *
es_port_allocation_to_string (EsPortAllocation allocation)
{
  return allocation < G_N_ELEMENTS (allocation_names) ? allocation_names[allocation] : "unknown";
}

EsPortAllocation
es_port_allocation_from_string (const char *text)
{
  for (guint i = 0; text != NULL && i < G_N_ELEMENTS (allocation_names); i++)
    if (g_str_equal (text, allocation_names[i]))
      return i;
  return ES_PORT_ALLOCATION_UNKNOWN;
}

guint
es_port_allocation_predict (guint16  last_port,
                            int      delta,
                            guint    window,
                            guint16 *ports)
{
  const int range = N_PORTS - FIRST_UNPRIVILEGED_PORT;
  int next;

  if (last_port == 0 || delta < 1 || delta > ES_PORT_ALLOCATION_MAX_DELTA)
    return 0;
  next = last_port;
  for (guint i = 0; i < window; i++)
    {
      next += delta;
      if (next >= N_PORTS)
        next = FIRST_UNPRIVILEGED_PORT + (next - FIRST_UNPRIVILEGED_PORT) % range;
      ports[i] = (guint16) next;
    }
  return window;
}

const char *
es_nat_mapping_to_string (EsNatMapping mapping)
{
  return mapping < G_N_ELEMENTS (mapping_names) ? mapping_names[mapping] : "unknown";
}

EsNatMapping
es_nat_mapping_from_string (const char *text)
{
  for (guint i = 0; text != NULL && i < G_N_ELEMENTS (mapping_names); i++)
    if (g_str_equal (text, mapping_names[i]))
      return i;
  return ES_NAT_MAPPING_UNKNOWN;
}

gboolean
es_nat_behaviour_is_easy (const EsNatBehaviour *self)
{
  if (self->mapping != ES_NAT_MAPPING_UNKNOWN)
    return self->mapping == ES_NAT_MAPPING_ENDPOINT_INDEPENDENT;
  return self->allocation == ES_PORT_ALLOCATION_PRESERVING;
}

gboolean
es_nat_behaviour_is_random (const EsNatBehaviour *self)
{
  return !es_nat_behaviour_is_easy (self) && self->allocation == ES_PORT_ALLOCATION_RANDOM;
}

gboolean
es_nat_behaviour_is_predictable (const EsNatBehaviour *self)
{
  return !es_nat_behaviour_is_easy (self) && self->allocation == ES_PORT_ALLOCATION_SEQUENTIAL &&
         self->delta >= 1 && self->delta <= ES_PORT_ALLOCATION_MAX_DELTA && self->last_port != 0;
}

gboolean
es_nat_behaviour_equal (const EsNatBehaviour *a,
                        const EsNatBehaviour *b)
{
  return a->mapping == b->mapping && a->allocation == b->allocation && a->delta == b->delta &&
         a->last_port == b->last_port;
}

void
es_nat_behaviour_to_json (const EsNatBehaviour *self,
                          JsonObject           *object)
{
  if (self->mapping != ES_NAT_MAPPING_UNKNOWN)
    json_object_set_string_member (object, "mapping", es_nat_mapping_to_string (self->mapping));
  if (self->allocation == ES_PORT_ALLOCATION_UNKNOWN)
    return;
  json_object_set_string_member (object, "port_allocation",
                                 es_port_allocation_to_string (self->allocation));
  if (self->allocation == ES_PORT_ALLOCATION_SEQUENTIAL)
    json_object_set_int_member (object, "delta", self->delta);
  if (self->last_port != 0)
    json_object_set_int_member (object, "last_port", self->last_port);
}

void
es_nat_behaviour_from_json (EsNatBehaviour *self,
                            JsonObject     *object)
{
  gint64 delta = 0;
  gint64 last_port = 0;

  *self = (EsNatBehaviour) { 0 };
  self->mapping = es_nat_mapping_from_string (es_json_get_string (object, "mapping"));
  self->allocation = es_port_allocation_from_string (es_json_get_string (object,
                                                                         "port_allocation"));
  if (es_json_get_int (object, "last_port", &last_port) && last_port > 0 &&
      last_port <= G_MAXUINT16)
    self->last_port = (guint16) last_port;
  /* A sequential NAT without a usable step cannot be predicted. */
  if (self->allocation == ES_PORT_ALLOCATION_SEQUENTIAL)
    {
      if (es_json_get_int (object, "delta", &delta) && delta >= 1 &&
          delta <= ES_PORT_ALLOCATION_MAX_DELTA)
        self->delta = (int) delta;
      else
        self->allocation = ES_PORT_ALLOCATION_UNKNOWN;
    }
  /* A last port only means something with a known allocation. */
  if (self->allocation == ES_PORT_ALLOCATION_UNKNOWN)
    self->last_port = 0;
}
