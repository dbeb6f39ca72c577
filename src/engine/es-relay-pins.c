/* es-relay-pins.c
 *
 * A relay written without a fingerprint is trusted the first time and its
 * key remembered here; afterwards a different key is refused, loudly, like
 * SSH does, because a silently accepted new key is how a relay gets
 * impersonated.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsRelayPins"

#include "es-relay-pins.h"

#include <json-glib/json-glib.h>

#include "es-error.h"
#include "es-fingerprint.h"
#include "es-json.h"
#include "es-paths.h"

struct _EsRelayPins
{
  GObject parent_instance;

  char *path;
  GHashTable *pins;   /* "HOST:PORT" → fingerprint */
};

G_DEFINE_FINAL_TYPE (EsRelayPins, es_relay_pins, G_TYPE_OBJECT)

static void
es_relay_pins_finalize (GObject *object)
{
  EsRelayPins *self = ES_RELAY_PINS (object);

  g_free (self->path);
  g_hash_table_unref (self->pins);

  G_OBJECT_CLASS (es_relay_pins_parent_class)->finalize (object);
}

static void
es_relay_pins_class_init (EsRelayPinsClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = es_relay_pins_finalize;
}

static void
es_relay_pins_init (EsRelayPins *self)
{
  self->pins = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

EsRelayPins *
es_relay_pins_new (const char *path)
{
  EsRelayPins *self = g_object_new (ES_TYPE_RELAY_PINS, NULL);

  self->path = g_strdup (path);
  return self;
}

EsRelayPins *
es_relay_pins_new_default (void)
{
  g_autofree char *path = es_paths_config_file ("relays.json");

  return es_relay_pins_new (path);
}

const char *
es_relay_pins_get_path (EsRelayPins *self)
{
  return self->path;
}

static gboolean
damaged (EsRelayPins *self,
         GError     **error)
{
  g_set_error (error, ES_ERROR, ES_ERROR_DAMAGED,
               "relay pin file %s is damaged; it was left untouched (remove it to pin relays anew)",
               self->path);
  return FALSE;
}

gboolean
es_relay_pins_load (EsRelayPins *self,
                    GError     **error)
{
  g_autofree char *contents = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(JsonObject) root = NULL;
  JsonObject *relays;
  g_autoptr(GList) members = NULL;
  gsize length = 0;

  g_hash_table_remove_all (self->pins);
  if (!g_file_get_contents (self->path, &contents, &length, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return TRUE;
      g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                  "cannot read relay pin file %s: ", self->path);
      return FALSE;
    }

  root = es_json_from_string (contents, (gssize) length, NULL);
  relays = root != NULL ? es_json_get_object (root, "relays") : NULL;
  if (relays == NULL)
    return damaged (self, error);

  members = json_object_get_members (relays);
  for (GList *l = members; l != NULL; l = l->next)
    {
      JsonObject *entry = es_json_get_object (relays, l->data);
      const char *text = entry != NULL ? es_json_get_string (entry, "fingerprint") : NULL;
      g_autofree char *fingerprint = text != NULL ? es_fingerprint_normalize (text, NULL) : NULL;

      if (fingerprint == NULL)
        {
          g_hash_table_remove_all (self->pins);
          return damaged (self, error);
        }
      g_hash_table_insert (self->pins, g_strdup (l->data), g_steal_pointer (&fingerprint));
    }
  return TRUE;
}

const char *
es_relay_pins_lookup (EsRelayPins *self,
                      const char  *host_port)
{
  return g_hash_table_lookup (self->pins, host_port);
}

static char *
serialize (EsRelayPins *self)
{
  g_autoptr(JsonObject) root = json_object_new ();
  JsonObject *relays = json_object_new ();
  GHashTableIter iter;
  const char *host_port, *fingerprint;

  json_object_set_int_member (root, "version", 1);
  g_hash_table_iter_init (&iter, self->pins);
  while (g_hash_table_iter_next (&iter, (gpointer *) &host_port, (gpointer *) &fingerprint))
    {
      JsonObject *entry = json_object_new ();

      json_object_set_string_member (entry, "fingerprint", fingerprint);
      json_object_set_object_member (relays, host_port, entry);
    }
  json_object_set_object_member (root, "relays", relays);
  return es_json_to_string (root);
}

gboolean
es_relay_pins_remember (EsRelayPins *self,
                        const char  *host_port,
                        const char  *fingerprint,
                        GError     **error)
{
  g_autofree char *dir = g_path_get_dirname (self->path);
  g_autofree char *text = NULL;

  g_hash_table_insert (self->pins, g_strdup (host_port), g_strdup (fingerprint));
  text = serialize (self);
  if (g_mkdir_with_parents (dir, 0700) != 0 ||
      !g_file_set_contents_full (self->path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error))
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, ES_ERROR, ES_ERROR_FAILED, "cannot create directory %s", dir);
      g_prefix_error (error, "cannot remember relay %s: ", host_port);
      return FALSE;
    }
  return TRUE;
}
