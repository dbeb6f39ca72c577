/* es-candidate.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsCandidate"

#include "es-candidate.h"

#include "es-address.h"
#include "es-error.h"
#include "es-json.h"

G_DEFINE_BOXED_TYPE (EsCandidate, es_candidate, es_candidate_copy, es_candidate_free)

static const char * const type_names[] = {
  "host", "mapped", "reflexive", "peer-reflexive", "predicted", "birthday", "relay",
};

/* What a peer may send (protocol §5); the others are made here. */
static const EsCandidateType wire_types[] = {
  ES_CANDIDATE_HOST, ES_CANDIDATE_MAPPED, ES_CANDIDATE_REFLEXIVE, ES_CANDIDATE_PEER_REFLEXIVE,
};

const char *
es_candidate_type_to_string (EsCandidateType type)
{
  return type < G_N_ELEMENTS (type_names) ? type_names[type] : "relay";
}

gboolean
es_candidate_is_ipv6 (const EsCandidate *self)
{
  return self->address != NULL &&
         g_inet_address_get_family (g_inet_socket_address_get_address (self->address)) ==
           G_SOCKET_FAMILY_IPV6;
}

/* Type first, then IPv6 before IPv4 when otherwise equal (issue 6). */
static guint32
priority_for (EsCandidateType     type,
              GInetSocketAddress *address)
{
  gboolean ipv6 = address != NULL &&
                  g_inet_address_get_family (g_inet_socket_address_get_address (address)) ==
                    G_SOCKET_FAMILY_IPV6;

  return (guint32) (ES_CANDIDATE_RELAY - type) << 24 | (ipv6 ? 1u : 0u) << 16;
}

EsCandidate *
es_candidate_new (EsCandidateType     type,
                  GInetSocketAddress *address)
{
  EsCandidate *self = g_new0 (EsCandidate, 1);

  self->type = type;
  self->address = es_address_unmap (address);
  self->text = es_address_to_string (self->address);
  self->priority = priority_for (type, self->address);
  return self;
}

EsCandidate *
es_candidate_new_relay (const char *host_port)
{
  EsCandidate *self = g_new0 (EsCandidate, 1);

  self->type = ES_CANDIDATE_RELAY;
  self->text = g_strdup (host_port);
  self->priority = priority_for (ES_CANDIDATE_RELAY, NULL);
  return self;
}

EsCandidate *
es_candidate_copy (const EsCandidate *self)
{
  EsCandidate *copy = g_new0 (EsCandidate, 1);

  copy->type = self->type;
  copy->address = self->address != NULL ? g_object_ref (self->address) : NULL;
  copy->text = g_strdup (self->text);
  copy->priority = self->priority;
  copy->nat = self->nat;
  return copy;
}

void
es_candidate_free (EsCandidate *self)
{
  g_clear_object (&self->address);
  g_free (self->text);
  g_free (self);
}

gboolean
es_candidate_equal (const EsCandidate *a,
                    const EsCandidate *b)
{
  return a->type == b->type && g_strcmp0 (a->text, b->text) == 0 &&
         es_nat_behaviour_equal (&a->nat, &b->nat);
}

int
es_candidate_compare (gconstpointer a,
                      gconstpointer b)
{
  const EsCandidate *x = *(const EsCandidate * const *) a;
  const EsCandidate *y = *(const EsCandidate * const *) b;

  return x->priority < y->priority ? 1 : x->priority > y->priority ? -1 : 0;
}

JsonObject *
es_candidate_to_json (const EsCandidate *self)
{
  JsonObject *object = json_object_new ();

  json_object_set_string_member (object, "type", es_candidate_type_to_string (self->type));
  json_object_set_string_member (object, "address", self->text);
  json_object_set_int_member (object, "priority", self->priority);
  if (self->type == ES_CANDIDATE_REFLEXIVE)
    es_nat_behaviour_to_json (&self->nat, object);
  return object;
}

EsCandidate *
es_candidate_from_json (JsonObject *object,
                        GError    **error)
{
  const char *type = es_json_get_string (object, "type");
  const char *text = es_json_get_string (object, "address");
  g_autoptr(GInetSocketAddress) address = NULL;
  EsCandidate *candidate;
  gint64 priority = 0;

  if (type == NULL || text == NULL || !es_json_get_int (object, "priority", &priority) ||
      priority < 0 || priority > G_MAXUINT32)
    {
      g_set_error_literal (error, ES_ERROR, ES_ERROR_PROTOCOL,
                           "a candidate needs a type, an address and a priority");
      return NULL;
    }
  if (g_str_equal (type, "relay"))
    return es_candidate_new_relay (text);

  for (guint i = 0; i < G_N_ELEMENTS (wire_types); i++)
    {
      if (!g_str_equal (type, type_names[wire_types[i]]))
        continue;
      address = es_address_parse (text, error);
      if (address == NULL || g_inet_socket_address_get_port (address) == 0)
        {
          g_clear_error (error);
          g_set_error (error, ES_ERROR, ES_ERROR_PROTOCOL, "candidate address “%s” is not usable",
                       text);
          return NULL;
        }
      candidate = es_candidate_new (wire_types[i], address);
      /* The peer's own order counts among its candidates of one type. */
      candidate->priority = (guint32) priority;
      if (candidate->type == ES_CANDIDATE_REFLEXIVE && !es_candidate_is_ipv6 (candidate))
        es_nat_behaviour_from_json (&candidate->nat, object);
      return candidate;
    }
  g_set_error (error, ES_ERROR, ES_ERROR_PROTOCOL, "unknown candidate type “%s”", type);
  return NULL;
}
