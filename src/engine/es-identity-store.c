/* es-identity-store.c
 *
 * The identity file is a small JSON object. Unprotected, it holds the seed in
 * hex; protected, the seed sealed with crypto_secretbox under a key derived
 * from the passphrase with Argon2id. Both forms keep the fingerprint in clear,
 * which doubles as an integrity check: a file whose seed does not give its
 * fingerprint is damaged.
 *
 * An identity lost is an address lost, so a file that cannot be read is an
 * error naming the file, never a reason to make a new identity, and a replaced
 * identity is kept beside the new one.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsIdentityStore"

#include "es-identity-store.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "es-error.h"
#include "es-paths.h"

#define FILE_FORMAT "earshot-identity"
#define FILE_VERSION 1
#define MAX_FILE_SIZE (64 * 1024)
#define KDF_NAME "argon2id13"
/* Limits on what a file may ask of us: a hostile file must not make us
 * allocate gigabytes or spin for minutes. */
#define KDF_MAX_OPSLIMIT 16
#define KDF_MAX_MEMLIMIT (1024 * 1024 * 1024)

struct _EsIdentityStore
{
  GObject parent_instance;

  char *path;
  EsIdentity *identity;
  gboolean protected;
};

G_DEFINE_FINAL_TYPE (EsIdentityStore, es_identity_store, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_PATH,
  PROP_IDENTITY,
  N_PROPS
};

enum {
  CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
es_identity_store_finalize (GObject *object)
{
  EsIdentityStore *self = ES_IDENTITY_STORE (object);

  g_free (self->path);
  g_clear_object (&self->identity);

  G_OBJECT_CLASS (es_identity_store_parent_class)->finalize (object);
}

static void
es_identity_store_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  EsIdentityStore *self = ES_IDENTITY_STORE (object);

  switch (prop_id)
    {
    case PROP_PATH:
      g_value_set_string (value, self->path);
      break;
    case PROP_IDENTITY:
      g_value_set_object (value, self->identity);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
es_identity_store_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  EsIdentityStore *self = ES_IDENTITY_STORE (object);

  switch (prop_id)
    {
    case PROP_PATH:
      self->path = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
es_identity_store_class_init (EsIdentityStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = es_identity_store_finalize;
  object_class->get_property = es_identity_store_get_property;
  object_class->set_property = es_identity_store_set_property;

  properties[PROP_PATH] =
    g_param_spec_string ("path", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_IDENTITY] =
    g_param_spec_object ("identity", NULL, NULL, ES_TYPE_IDENTITY,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * EsIdentityStore::changed:
   *
   * The stored identity was replaced by a new one.
   */
  signals[CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
es_identity_store_init (EsIdentityStore *self)
{
}

EsIdentityStore *
es_identity_store_new (const char *path)
{
  g_return_val_if_fail (path != NULL, NULL);
  return g_object_new (ES_TYPE_IDENTITY_STORE, "path", path, NULL);
}

EsIdentityStore *
es_identity_store_new_default (void)
{
  g_autofree char *path = es_paths_config_file ("identity");

  return es_identity_store_new (path);
}

const char *
es_identity_store_get_path (EsIdentityStore *self)
{
  g_return_val_if_fail (ES_IS_IDENTITY_STORE (self), NULL);
  return self->path;
}

gboolean
es_identity_store_exists (EsIdentityStore *self)
{
  g_return_val_if_fail (ES_IS_IDENTITY_STORE (self), FALSE);
  return g_file_test (self->path, G_FILE_TEST_EXISTS);
}

EsIdentity *
es_identity_store_get_identity (EsIdentityStore *self)
{
  g_return_val_if_fail (ES_IS_IDENTITY_STORE (self), NULL);
  return self->identity;
}

gboolean
es_identity_store_get_protected (EsIdentityStore *self)
{
  g_return_val_if_fail (ES_IS_IDENTITY_STORE (self), FALSE);
  return self->protected;
}

static void
set_identity (EsIdentityStore *self,
              EsIdentity      *identity,
              gboolean         protected)
{
  gboolean changed = self->identity == NULL ||
    g_strcmp0 (es_identity_get_fingerprint (self->identity),
               es_identity_get_fingerprint (identity)) != 0;

  g_set_object (&self->identity, identity);
  self->protected = protected;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_IDENTITY]);
  if (changed)
    g_signal_emit (self, signals[CHANGED], 0);
}

/* ---- Reading ------------------------------------------------------------ */

typedef struct
{
  const char *path;
  JsonObject *object;
  GError **error;
} Reader;

static gboolean
damaged (Reader     *reader,
         const char *what)
{
  g_set_error (reader->error, ES_ERROR, ES_ERROR_DAMAGED,
               "identity file %s is damaged (%s); it was left untouched", reader->path, what);
  return FALSE;
}

static const char *
read_string (Reader     *reader,
             JsonObject *object,
             const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    {
      g_autofree char *what = g_strdup_printf ("“%s” is missing or not a string", member);
      damaged (reader, what);
      return NULL;
    }
  return json_node_get_string (node);
}

static gboolean
read_integer (Reader     *reader,
              JsonObject *object,
              const char *member,
              gint64      min,
              gint64      max,
              gint64     *value)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64 ||
      json_node_get_int (node) < min || json_node_get_int (node) > max)
    {
      g_autofree char *what = g_strdup_printf ("“%s” is missing or out of range", member);
      return damaged (reader, what);
    }
  *value = json_node_get_int (node);
  return TRUE;
}

static gboolean
read_hex (Reader     *reader,
          JsonObject *object,
          const char *member,
          guint8     *out,
          gsize       size)
{
  const char *hex = read_string (reader, object, member);
  size_t length = 0;

  if (hex == NULL)
    return FALSE;
  if (strlen (hex) != size * 2 ||
      sodium_hex2bin (out, size, hex, strlen (hex), NULL, &length, NULL) != 0 ||
      length != size)
    {
      g_autofree char *what = g_strdup_printf ("“%s” is not %zu bytes of hex", member, size);
      return damaged (reader, what);
    }
  return TRUE;
}

static gboolean
open_sealed_seed (Reader     *reader,
                  JsonObject *protection,
                  const char *passphrase,
                  guint8     *seed)
{
  guint8 salt[crypto_pwhash_SALTBYTES];
  guint8 nonce[crypto_secretbox_NONCEBYTES];
  guint8 sealed[crypto_secretbox_MACBYTES + ES_SEED_SIZE];
  guint8 key[crypto_secretbox_KEYBYTES];
  const char *kdf;
  gint64 opslimit, memlimit;
  gboolean opened;

  kdf = read_string (reader, protection, "kdf");
  if (kdf == NULL)
    return FALSE;
  if (strcmp (kdf, KDF_NAME) != 0)
    return damaged (reader, "unknown key derivation function");
  if (!read_integer (reader, protection, "opslimit", crypto_pwhash_OPSLIMIT_MIN,
                     KDF_MAX_OPSLIMIT, &opslimit) ||
      !read_integer (reader, protection, "memlimit", crypto_pwhash_MEMLIMIT_MIN,
                     KDF_MAX_MEMLIMIT, &memlimit) ||
      !read_hex (reader, protection, "salt", salt, sizeof salt) ||
      !read_hex (reader, protection, "nonce", nonce, sizeof nonce) ||
      !read_hex (reader, protection, "sealed", sealed, sizeof sealed))
    return FALSE;

  if (passphrase == NULL)
    {
      g_set_error (reader->error, ES_ERROR, ES_ERROR_PASSPHRASE_REQUIRED,
                   "identity file %s is protected by a passphrase", reader->path);
      return FALSE;
    }

  if (crypto_pwhash (key, sizeof key, passphrase, strlen (passphrase), salt,
                     (unsigned long long) opslimit, (size_t) memlimit,
                     crypto_pwhash_ALG_ARGON2ID13) != 0)
    {
      g_set_error (reader->error, ES_ERROR, ES_ERROR_FAILED,
                   "not enough memory to derive the key for identity file %s", reader->path);
      return FALSE;
    }

  opened = crypto_secretbox_open_easy (seed, sealed, sizeof sealed, nonce, key) == 0;
  sodium_memzero (key, sizeof key);
  if (!opened)
    g_set_error (reader->error, ES_ERROR, ES_ERROR_WRONG_PASSPHRASE,
                 "wrong passphrase for identity file %s", reader->path);
  return opened;
}

static JsonNode *
parse_file (const char *path,
            GError    **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) local_error = NULL;
  g_autofree char *contents = NULL;
  gsize length = 0;
  GStatBuf st;

  if (g_stat (path, &st) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, saved_errno == ENOENT ? ES_ERROR : G_FILE_ERROR,
                   saved_errno == ENOENT ? ES_ERROR_NOT_FOUND : g_file_error_from_errno (saved_errno),
                   "cannot read identity file %s: %s", path, g_strerror (saved_errno));
      return NULL;
    }
  if (!S_ISREG (st.st_mode) || st.st_size > MAX_FILE_SIZE)
    {
      g_set_error (error, ES_ERROR, ES_ERROR_DAMAGED,
                   "identity file %s is damaged (not a small regular file); it was left untouched",
                   path);
      return NULL;
    }
  if ((st.st_mode & 077) != 0)
    g_warning ("identity file %s can be read by other users (mode %04o); run chmod 600 on it",
               path, (guint) (st.st_mode & 07777));

  if (!g_file_get_contents (path, &contents, &length, &local_error))
    {
      g_set_error (error, G_FILE_ERROR, local_error->code,
                   "cannot read identity file %s: %s", path, local_error->message);
      return NULL;
    }
  if (length != strlen (contents) ||
      !json_parser_load_from_data (parser, contents, length, &local_error) ||
      json_parser_get_root (parser) == NULL ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      g_set_error (error, ES_ERROR, ES_ERROR_DAMAGED,
                   "identity file %s is damaged (not a JSON object); it was left untouched", path);
      sodium_memzero (contents, length);
      return NULL;
    }
  sodium_memzero (contents, length);
  return json_node_ref (json_parser_get_root (parser));
}

static GDateTime *
read_created (Reader     *reader,
              JsonObject *object)
{
  const char *text = read_string (reader, object, "created");
  GDateTime *created;

  if (text == NULL)
    return NULL;
  created = g_date_time_new_from_iso8601 (text, NULL);
  if (created == NULL)
    damaged (reader, "“created” is not an ISO 8601 date");
  return created;
}

EsIdentity *
es_identity_store_load (EsIdentityStore *self,
                        const char      *passphrase,
                        GError         **error)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GDateTime) created = NULL;
  g_autoptr(EsIdentity) identity = NULL;
  guint8 seed[ES_SEED_SIZE];
  Reader reader = { self->path, NULL, error };
  const char *format, *fingerprint;
  gint64 version;
  JsonNode *protection;
  gboolean have_seed;

  g_return_val_if_fail (ES_IS_IDENTITY_STORE (self), NULL);

  root = parse_file (self->path, error);
  if (root == NULL)
    return NULL;
  reader.object = json_node_get_object (root);

  format = read_string (&reader, reader.object, "format");
  if (format == NULL)
    return NULL;
  if (strcmp (format, FILE_FORMAT) != 0)
    {
      damaged (&reader, "not an Earshot identity");
      return NULL;
    }
  if (!read_integer (&reader, reader.object, "version", 1, G_MAXINT, &version))
    return NULL;
  if (version != FILE_VERSION)
    {
      g_set_error (error, ES_ERROR, ES_ERROR_DAMAGED,
                   "identity file %s has format version %" G_GINT64_FORMAT
                   ", which this Earshot cannot read; it was left untouched", self->path, version);
      return NULL;
    }
  fingerprint = read_string (&reader, reader.object, "fingerprint");
  if (fingerprint == NULL)
    return NULL;
  created = read_created (&reader, reader.object);
  if (created == NULL)
    return NULL;

  protection = json_object_get_member (reader.object, "protection");
  if (protection != NULL && !JSON_NODE_HOLDS_OBJECT (protection))
    {
      damaged (&reader, "“protection” is not an object");
      return NULL;
    }

  if (protection != NULL)
    have_seed = open_sealed_seed (&reader, json_node_get_object (protection), passphrase, seed);
  else
    have_seed = read_hex (&reader, reader.object, "seed", seed, sizeof seed);
  if (!have_seed)
    return NULL;

  identity = es_identity_new_from_seed (seed, created);
  sodium_memzero (seed, sizeof seed);

  if (strcmp (es_identity_get_fingerprint (identity), fingerprint) != 0)
    {
      damaged (&reader, "its seed does not match its fingerprint");
      return NULL;
    }

  set_identity (self, identity, protection != NULL);
  return g_object_ref (identity);
}

/* ---- Writing ------------------------------------------------------------ */

static void
add_hex (JsonBuilder  *builder,
         const char   *member,
         const guint8 *data,
         gsize         size)
{
  g_autofree char *hex = g_malloc (size * 2 + 1);

  sodium_bin2hex (hex, size * 2 + 1, data, size);
  json_builder_set_member_name (builder, member);
  json_builder_add_string_value (builder, hex);
  sodium_memzero (hex, size * 2);
}

static gboolean
add_sealed_seed (JsonBuilder  *builder,
                 const guint8 *seed,
                 const char   *passphrase,
                 GError      **error)
{
  guint8 salt[crypto_pwhash_SALTBYTES];
  guint8 nonce[crypto_secretbox_NONCEBYTES];
  guint8 sealed[crypto_secretbox_MACBYTES + ES_SEED_SIZE];
  guint8 key[crypto_secretbox_KEYBYTES];
  const unsigned long long opslimit = crypto_pwhash_OPSLIMIT_MODERATE;
  const size_t memlimit = crypto_pwhash_MEMLIMIT_INTERACTIVE;

  randombytes_buf (salt, sizeof salt);
  randombytes_buf (nonce, sizeof nonce);
  if (crypto_pwhash (key, sizeof key, passphrase, strlen (passphrase), salt,
                     opslimit, memlimit, crypto_pwhash_ALG_ARGON2ID13) != 0)
    {
      g_set_error_literal (error, ES_ERROR, ES_ERROR_FAILED,
                           "not enough memory to derive a key from the passphrase");
      return FALSE;
    }
  crypto_secretbox_easy (sealed, seed, ES_SEED_SIZE, nonce, key);
  sodium_memzero (key, sizeof key);

  json_builder_set_member_name (builder, "protection");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "kdf");
  json_builder_add_string_value (builder, KDF_NAME);
  json_builder_set_member_name (builder, "opslimit");
  json_builder_add_int_value (builder, opslimit);
  json_builder_set_member_name (builder, "memlimit");
  json_builder_add_int_value (builder, memlimit);
  add_hex (builder, "salt", salt, sizeof salt);
  add_hex (builder, "nonce", nonce, sizeof nonce);
  add_hex (builder, "sealed", sealed, sizeof sealed);
  json_builder_end_object (builder);
  return TRUE;
}

static char *
serialize (EsIdentity *identity,
           const char *passphrase,
           gsize      *length,
           GError    **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *created = g_date_time_format_iso8601 (es_identity_get_created (identity));

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "format");
  json_builder_add_string_value (builder, FILE_FORMAT);
  json_builder_set_member_name (builder, "version");
  json_builder_add_int_value (builder, FILE_VERSION);
  json_builder_set_member_name (builder, "fingerprint");
  json_builder_add_string_value (builder, es_identity_get_fingerprint (identity));
  json_builder_set_member_name (builder, "created");
  json_builder_add_string_value (builder, created);
  if (passphrase != NULL)
    {
      if (!add_sealed_seed (builder, es_identity_get_seed (identity), passphrase, error))
        return NULL;
    }
  else
    {
      add_hex (builder, "seed", es_identity_get_seed (identity), ES_SEED_SIZE);
    }
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  return json_generator_to_data (generator, length);
}

/* Keeps the identity being replaced under a new name: a hard link costs no
 * copy and cannot fail half-way. */
static char *
keep_replaced_file (EsIdentityStore *self,
                    GError         **error)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%dT%H%M%S");
  g_autofree char *backup = NULL;

  for (guint n = 0; n < 100; n++)
    {
      g_free (backup);
      backup = n == 0 ? g_strdup_printf ("%s.replaced-%s", self->path, stamp)
                      : g_strdup_printf ("%s.replaced-%s-%u", self->path, stamp, n);
      if (link (self->path, backup) == 0)
        {
          return g_steal_pointer (&backup);
        }
      if (errno != EEXIST)
        break;
    }

  g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
               "cannot keep a copy of identity file %s before replacing it: %s",
               self->path, g_strerror (errno));
  return NULL;
}

gboolean
es_identity_store_save (EsIdentityStore         *self,
                        EsIdentity              *identity,
                        const char              *passphrase,
                        EsIdentityStoreSaveFlags flags,
                        GError                 **error)
{
  g_autofree char *dir = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *backup = NULL;
  g_autoptr(GError) local_error = NULL;
  gsize length = 0;
  gboolean written;

  g_return_val_if_fail (ES_IS_IDENTITY_STORE (self), FALSE);
  g_return_val_if_fail (ES_IS_IDENTITY (identity), FALSE);

  if (passphrase != NULL && passphrase[0] == '\0')
    {
      g_set_error_literal (error, ES_ERROR, ES_ERROR_INVALID_ARGUMENT,
                           "the passphrase is empty");
      return FALSE;
    }
  if (es_identity_store_exists (self) && !(flags & ES_IDENTITY_STORE_SAVE_REPLACE))
    {
      g_set_error (error, ES_ERROR, ES_ERROR_EXISTS,
                   "an identity already exists at %s; replacing it would lose that address",
                   self->path);
      return FALSE;
    }

  contents = serialize (identity, passphrase, &length, error);
  if (contents == NULL)
    return FALSE;

  dir = g_path_get_dirname (self->path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      sodium_memzero (contents, length);
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   "cannot create directory %s: %s", dir, g_strerror (saved_errno));
      return FALSE;
    }

  if (es_identity_store_exists (self))
    {
      backup = keep_replaced_file (self, error);
      if (backup == NULL)
        {
          sodium_memzero (contents, length);
          return FALSE;
        }
    }

  /* Temporary file created 0600, fsync, rename: a crash or a full disk
   * leaves either the old file or the new one, never a torn one. */
  written = g_file_set_contents_full (self->path, contents, length,
                                      G_FILE_SET_CONTENTS_CONSISTENT |
                                      G_FILE_SET_CONTENTS_DURABLE,
                                      0600, &local_error);
  sodium_memzero (contents, length);
  if (!written)
    {
      /* The old identity is still in place: the copy would only mislead. */
      if (backup != NULL)
        g_unlink (backup);
      g_set_error (error, G_FILE_ERROR, local_error->code,
                   "cannot write identity file %s: %s", self->path, local_error->message);
      return FALSE;
    }

  if (backup != NULL)
    g_message ("the previous identity was kept as %s", backup);
  set_identity (self, identity, passphrase != NULL);
  return TRUE;
}
