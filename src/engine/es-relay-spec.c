/* es-relay-spec.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsRelaySpec"

#include "es-relay-spec.h"

#include <string.h>

#include "es-address.h"
#include "es-error.h"
#include "es-fingerprint.h"

G_DEFINE_BOXED_TYPE (EsRelaySpec, es_relay_spec, es_relay_spec_copy, es_relay_spec_free)

EsRelaySpec *
es_relay_spec_parse (const char *text,
                     GError    **error)
{
  g_autoptr(EsRelaySpec) spec = g_new0 (EsRelaySpec, 1);
  g_autofree char *address = NULL;
  const char *hash = strchr (text, '#');

  address = hash != NULL ? g_strndup (text, hash - text) : g_strdup (text);
  if (!es_address_split_host_port (address, &spec->host, &spec->port, error))
    {
      g_prefix_error (error, "relay “%s”: ", text);
      return NULL;
    }
  if (spec->port == 0)
    {
      g_set_error (error, ES_ERROR, ES_ERROR_INVALID_ARGUMENT, "relay “%s”: port 0", text);
      return NULL;
    }
  if (hash != NULL)
    {
      spec->fingerprint = es_fingerprint_normalize (hash + 1, error);
      if (spec->fingerprint == NULL)
        {
          g_prefix_error (error, "relay “%s”: ", text);
          return NULL;
        }
    }
  return g_steal_pointer (&spec);
}

EsRelaySpec *
es_relay_spec_copy (const EsRelaySpec *self)
{
  EsRelaySpec *copy = g_new0 (EsRelaySpec, 1);

  copy->host = g_strdup (self->host);
  copy->port = self->port;
  copy->fingerprint = g_strdup (self->fingerprint);
  return copy;
}

void
es_relay_spec_free (EsRelaySpec *self)
{
  g_free (self->host);
  g_free (self->fingerprint);
  g_free (self);
}

char *
es_relay_spec_host_port (const EsRelaySpec *self)
{
  if (strchr (self->host, ':') != NULL)
    return g_strdup_printf ("[%s]:%u", self->host, self->port);
  return g_strdup_printf ("%s:%u", self->host, self->port);
}

char *
es_relay_spec_to_string (const EsRelaySpec *self)
{
  g_autofree char *host_port = es_relay_spec_host_port (self);

  if (self->fingerprint == NULL)
    return g_steal_pointer (&host_port);
  return g_strdup_printf ("%s#%s", host_port, self->fingerprint);
}
