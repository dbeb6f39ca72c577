/* es-relay-registry.c
 *
 * The same identity may be registered from several devices: calls ring on
 * all of them (DESIGN §5).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsRelayRegistry"

#include "es-relay-registry.h"

struct _EsRelayRegistry
{
  GObject parent_instance;

  GHashTable *devices;  /* fingerprint → GPtrArray of EsRelayClient */
  guint n_clients;
};

G_DEFINE_FINAL_TYPE (EsRelayRegistry, es_relay_registry, G_TYPE_OBJECT)

static void
es_relay_registry_finalize (GObject *object)
{
  EsRelayRegistry *self = ES_RELAY_REGISTRY (object);

  g_hash_table_unref (self->devices);

  G_OBJECT_CLASS (es_relay_registry_parent_class)->finalize (object);
}

static void
es_relay_registry_class_init (EsRelayRegistryClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = es_relay_registry_finalize;
}

static void
es_relay_registry_init (EsRelayRegistry *self)
{
  self->devices = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify) g_ptr_array_unref);
}

EsRelayRegistry *
es_relay_registry_new (void)
{
  return g_object_new (ES_TYPE_RELAY_REGISTRY, NULL);
}

EsRelayClient *
es_relay_registry_add (EsRelayRegistry *self,
                       EsRelayClient   *client)
{
  const char *fingerprint = es_relay_client_get_fingerprint (client);
  GPtrArray *devices = g_hash_table_lookup (self->devices, fingerprint);
  EsRelayClient *replaced = NULL;

  if (devices == NULL)
    {
      devices = g_ptr_array_new_with_free_func (g_object_unref);
      g_hash_table_insert (self->devices, g_strdup (fingerprint), devices);
    }

  for (guint i = 0; i < devices->len; i++)
    {
      EsRelayClient *other = devices->pdata[i];

      if (g_strcmp0 (es_relay_client_get_device (other), es_relay_client_get_device (client)) == 0)
        {
          replaced = g_object_ref (other);
          g_ptr_array_remove_index (devices, i);
          self->n_clients--;
          break;
        }
    }

  g_ptr_array_add (devices, g_object_ref (client));
  self->n_clients++;
  return replaced;
}

void
es_relay_registry_remove (EsRelayRegistry *self,
                          EsRelayClient   *client)
{
  const char *fingerprint = es_relay_client_get_fingerprint (client);
  GPtrArray *devices = g_hash_table_lookup (self->devices, fingerprint);

  if (devices == NULL || !g_ptr_array_remove (devices, client))
    return;
  self->n_clients--;
  if (devices->len == 0)
    g_hash_table_remove (self->devices, fingerprint);
}

GPtrArray *
es_relay_registry_lookup (EsRelayRegistry *self,
                          const char      *fingerprint)
{
  return g_hash_table_lookup (self->devices, fingerprint);
}

guint
es_relay_registry_get_n_clients (EsRelayRegistry *self)
{
  return self->n_clients;
}
