/* es-contact.c
 *
 * A plain value object with notifying properties, so that list rows can
 * bind to a contact and follow renames and verification without reloading.
 * Only EsContactStore changes it, after the database has the change.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsContact"

#include "es-contact-private.h"

struct _EsContact
{
  GObject parent_instance;

  char *fingerprint;
  char *previous_fingerprint;
  char *name;
  GBytes *public_key;
  gint64 added;
  gint64 first_seen;
  gboolean verified;
  gboolean key_changed;
};

G_DEFINE_FINAL_TYPE (EsContact, es_contact, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_FINGERPRINT,
  PROP_NAME,
  PROP_VERIFIED,
  PROP_KEY_CHANGED,
  PROP_ADDED,
  PROP_FIRST_SEEN,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
es_contact_finalize (GObject *object)
{
  EsContact *self = ES_CONTACT (object);

  g_free (self->fingerprint);
  g_free (self->previous_fingerprint);
  g_free (self->name);
  g_clear_pointer (&self->public_key, g_bytes_unref);

  G_OBJECT_CLASS (es_contact_parent_class)->finalize (object);
}

static void
es_contact_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  EsContact *self = ES_CONTACT (object);

  switch (prop_id)
    {
    case PROP_FINGERPRINT:
      g_value_set_string (value, self->fingerprint);
      break;
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case PROP_VERIFIED:
      g_value_set_boolean (value, self->verified);
      break;
    case PROP_KEY_CHANGED:
      g_value_set_boolean (value, self->key_changed);
      break;
    case PROP_ADDED:
      g_value_set_int64 (value, self->added);
      break;
    case PROP_FIRST_SEEN:
      g_value_set_int64 (value, self->first_seen);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
es_contact_class_init (EsContactClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = es_contact_finalize;
  object_class->get_property = es_contact_get_property;

  properties[PROP_FINGERPRINT] = g_param_spec_string ("fingerprint", NULL, NULL, NULL, flags);
  properties[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL, flags);
  properties[PROP_VERIFIED] = g_param_spec_boolean ("verified", NULL, NULL, FALSE, flags);
  properties[PROP_KEY_CHANGED] = g_param_spec_boolean ("key-changed", NULL, NULL, FALSE, flags);
  properties[PROP_ADDED] = g_param_spec_int64 ("added", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_FIRST_SEEN] = g_param_spec_int64 ("first-seen", NULL, NULL, 0, G_MAXINT64, 0,
                                                    flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
es_contact_init (EsContact *self)
{
}

EsContact *
_es_contact_new (const char *fingerprint,
                 const char *name,
                 gint64      added)
{
  EsContact *self = g_object_new (ES_TYPE_CONTACT, NULL);

  self->fingerprint = g_strdup (fingerprint);
  self->name = g_strdup (name);
  self->added = added;
  return self;
}

void
_es_contact_set_fingerprint (EsContact  *self,
                             const char *fingerprint,
                             const char *previous)
{
  char *copy = g_strdup (fingerprint);

  g_free (self->fingerprint);
  self->fingerprint = copy;
  g_free (self->previous_fingerprint);
  self->previous_fingerprint = g_strdup (previous);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FINGERPRINT]);
}

void
_es_contact_set_name (EsContact  *self,
                      const char *name)
{
  if (g_strcmp0 (self->name, name) == 0)
    return;
  g_free (self->name);
  self->name = g_strdup (name);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NAME]);
}

void
_es_contact_set_verified (EsContact *self,
                          gboolean   verified)
{
  if (self->verified == !!verified)
    return;
  self->verified = !!verified;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VERIFIED]);
}

void
_es_contact_set_key_changed (EsContact *self,
                             gboolean   key_changed)
{
  if (self->key_changed == !!key_changed)
    return;
  self->key_changed = !!key_changed;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_KEY_CHANGED]);
}

void
_es_contact_set_public_key (EsContact *self,
                            GBytes    *public_key,
                            gint64     first_seen)
{
  g_clear_pointer (&self->public_key, g_bytes_unref);
  self->public_key = public_key != NULL ? g_bytes_ref (public_key) : NULL;
  if (self->first_seen != first_seen)
    {
      self->first_seen = first_seen;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FIRST_SEEN]);
    }
}

const char *
es_contact_get_fingerprint (EsContact *self)
{
  g_return_val_if_fail (ES_IS_CONTACT (self), NULL);
  return self->fingerprint;
}

const char *
es_contact_get_previous_fingerprint (EsContact *self)
{
  g_return_val_if_fail (ES_IS_CONTACT (self), NULL);
  return self->previous_fingerprint;
}

const char *
es_contact_get_name (EsContact *self)
{
  g_return_val_if_fail (ES_IS_CONTACT (self), NULL);
  return self->name;
}

gboolean
es_contact_get_verified (EsContact *self)
{
  g_return_val_if_fail (ES_IS_CONTACT (self), FALSE);
  return self->verified;
}

gboolean
es_contact_get_key_changed (EsContact *self)
{
  g_return_val_if_fail (ES_IS_CONTACT (self), FALSE);
  return self->key_changed;
}

GBytes *
es_contact_get_public_key (EsContact *self)
{
  g_return_val_if_fail (ES_IS_CONTACT (self), NULL);
  return self->public_key;
}

gint64
es_contact_get_added (EsContact *self)
{
  g_return_val_if_fail (ES_IS_CONTACT (self), 0);
  return self->added;
}

gint64
es_contact_get_first_seen (EsContact *self)
{
  g_return_val_if_fail (ES_IS_CONTACT (self), 0);
  return self->first_seen;
}
