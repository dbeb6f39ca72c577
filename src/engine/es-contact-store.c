/* es-contact-store.c
 *
 * contacts.db is SQLite in WAL mode with full synchronous commits: every
 * change is one transaction that either reaches the disk whole or not at
 * all, so a crash or a killed process loses at most the change being made
 * and never damages what was there. The app and earshot-cli may have it open
 * at once; a busy timeout lets one wait for the other's short write.
 *
 * A file that does not open as our database is an error that names it and
 * leaves it alone: the address book is the user's, not ours to recreate.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsContactStore"

#include "es-contact-store.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>
#include <unistd.h>

#include "es-contact-private.h"
#include "es-error.h"
#include "es-fingerprint.h"
#include "es-paths.h"

#define SCHEMA_VERSION 1
#define BUSY_TIMEOUT_MS 3000
#define MAX_NAME_LENGTH 200
/* Enough history for anyone to scroll; older calls are dropped when a new one is written. */
#define MAX_HISTORY 1000

static const char schema_v1[] =
  "CREATE TABLE contacts ("
  "  fingerprint TEXT PRIMARY KEY NOT NULL,"
  "  name TEXT NOT NULL,"
  "  public_key BLOB,"
  "  first_seen INTEGER NOT NULL DEFAULT 0,"
  "  added INTEGER NOT NULL,"
  "  verified INTEGER NOT NULL DEFAULT 0,"
  "  key_changed INTEGER NOT NULL DEFAULT 0,"
  "  previous_fingerprint TEXT);"
  "CREATE TABLE calls ("
  "  id INTEGER PRIMARY KEY,"
  "  call_id TEXT NOT NULL UNIQUE,"
  "  peer TEXT NOT NULL,"
  "  outgoing INTEGER NOT NULL,"
  "  started INTEGER NOT NULL,"
  "  answered INTEGER NOT NULL,"
  "  duration INTEGER NOT NULL,"
  "  end_reason TEXT NOT NULL);"
  "CREATE INDEX calls_by_start ON calls (started DESC);"
  "PRAGMA user_version = 1;";

struct _EsContactStore
{
  GObject parent_instance;

  char *path;
  sqlite3 *db;
  GListStore *contacts;
  GListStore *history;
  GHashTable *tracked;           /* EsCall → gint64 *, when it began (unix s) */
};

G_DEFINE_FINAL_TYPE (EsContactStore, es_contact_store, G_TYPE_OBJECT)

enum {
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void untrack_call (gpointer key, gpointer value, gpointer data);

static void
es_contact_store_dispose (GObject *object)
{
  EsContactStore *self = ES_CONTACT_STORE (object);

  if (self->tracked != NULL)
    {
      g_hash_table_foreach (self->tracked, untrack_call, self);
      g_hash_table_remove_all (self->tracked);
    }

  G_OBJECT_CLASS (es_contact_store_parent_class)->dispose (object);
}

static void
es_contact_store_finalize (GObject *object)
{
  EsContactStore *self = ES_CONTACT_STORE (object);

  g_clear_pointer (&self->db, sqlite3_close);
  g_clear_object (&self->contacts);
  g_clear_object (&self->history);
  g_clear_pointer (&self->tracked, g_hash_table_unref);
  g_free (self->path);

  G_OBJECT_CLASS (es_contact_store_parent_class)->finalize (object);
}

static void
es_contact_store_class_init (EsContactStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = es_contact_store_dispose;
  object_class->finalize = es_contact_store_finalize;

  signals[CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
es_contact_store_init (EsContactStore *self)
{
  self->contacts = g_list_store_new (ES_TYPE_CONTACT);
  self->history = g_list_store_new (ES_TYPE_CALL_RECORD);
  self->tracked = g_hash_table_new_full (NULL, NULL, g_object_unref, g_free);
}

EsContactStore *
es_contact_store_new (const char *path)
{
  EsContactStore *self;

  g_return_val_if_fail (path != NULL, NULL);
  self = g_object_new (ES_TYPE_CONTACT_STORE, NULL);
  self->path = g_strdup (path);
  return self;
}

EsContactStore *
es_contact_store_new_default (void)
{
  g_autofree char *path = es_paths_data_file ("contacts.db");

  return es_contact_store_new (path);
}

const char *
es_contact_store_get_path (EsContactStore *self)
{
  g_return_val_if_fail (ES_IS_CONTACT_STORE (self), NULL);
  return self->path;
}

GListModel *
es_contact_store_get_contacts (EsContactStore *self)
{
  g_return_val_if_fail (ES_IS_CONTACT_STORE (self), NULL);
  return G_LIST_MODEL (self->contacts);
}

GListModel *
es_contact_store_get_history (EsContactStore *self)
{
  g_return_val_if_fail (ES_IS_CONTACT_STORE (self), NULL);
  return G_LIST_MODEL (self->history);
}

/* ---- SQLite helpers -------------------------------------------------------- */

static gboolean
db_failed (EsContactStore *self,
           const char     *doing,
           GError        **error)
{
  int code = self->db != NULL ? sqlite3_errcode (self->db) : SQLITE_CANTOPEN;

  if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT)
    g_set_error (error, ES_ERROR, ES_ERROR_DAMAGED,
                 "contacts database %s is damaged (%s); it was left untouched",
                 self->path, self->db != NULL ? sqlite3_errmsg (self->db) : "cannot open");
  else
    g_set_error (error, ES_ERROR, ES_ERROR_FAILED, "contacts database %s: cannot %s: %s",
                 self->path, doing, self->db != NULL ? sqlite3_errmsg (self->db) : "not open");
  return FALSE;
}

static gboolean
exec (EsContactStore *self,
      const char     *sql,
      const char     *doing,
      GError        **error)
{
  if (sqlite3_exec (self->db, sql, NULL, NULL, NULL) != SQLITE_OK)
    return db_failed (self, doing, error);
  return TRUE;
}

static sqlite3_stmt *
prepare (EsContactStore *self,
         const char     *sql,
         GError        **error)
{
  sqlite3_stmt *statement = NULL;

  if (sqlite3_prepare_v2 (self->db, sql, -1, &statement, NULL) != SQLITE_OK)
    {
      db_failed (self, "read it", error);
      return NULL;
    }
  return statement;
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

/* Runs a statement that returns no rows. */
static gboolean
run (EsContactStore *self,
     sqlite3_stmt   *statement,
     const char     *doing,
     GError        **error)
{
  if (sqlite3_step (statement) != SQLITE_DONE)
    return db_failed (self, doing, error);
  return TRUE;
}

static gboolean
begin (EsContactStore *self,
       GError        **error)
{
  return exec (self, "BEGIN IMMEDIATE", "start a change", error);
}

static gboolean
commit (EsContactStore *self,
        GError        **error)
{
  if (exec (self, "COMMIT", "save the change", error))
    return TRUE;
  sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
  return FALSE;
}

static gboolean
rollback (EsContactStore *self)
{
  sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
  return FALSE;
}

static gint64
now_unix (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

/* ---- Opening --------------------------------------------------------------- */

/* The file holds whom the user talks to: make it private before SQLite
 * writes anything into it (its -wal and -shm files take the same mode). */
static gboolean
create_private_file (EsContactStore *self,
                     GError        **error)
{
  g_autofree char *dir = g_path_get_dirname (self->path);
  int fd;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   "cannot create directory %s: %s", dir, g_strerror (saved_errno));
      return FALSE;
    }
  fd = g_open (self->path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   "cannot create contacts database %s: %s", self->path, g_strerror (saved_errno));
      return FALSE;
    }
  close (fd);
  return TRUE;
}

static gboolean
read_schema_version (EsContactStore *self,
                     int            *version,
                     GError        **error)
{
  g_autoptr(sqlite3_stmt) statement = prepare (self, "PRAGMA user_version", error);

  if (statement == NULL)
    return FALSE;
  if (sqlite3_step (statement) != SQLITE_ROW)
    return db_failed (self, "read its version", error);
  *version = sqlite3_column_int (statement, 0);
  return TRUE;
}

/* Before anything writes to the file: a database from a newer version is
 * not ours to change, not even its journal mode. */
static gboolean
check_schema_version (EsContactStore *self,
                      int            *version,
                      GError        **error)
{
  if (!read_schema_version (self, version, error))
    return FALSE;
  if (*version <= SCHEMA_VERSION)
    return TRUE;
  g_set_error (error, ES_ERROR, ES_ERROR_DAMAGED,
               "contacts database %s was written by a newer Earshot (version %d); "
               "it was left untouched", self->path, *version);
  return FALSE;
}

static gboolean
ensure_schema (EsContactStore *self,
               GError        **error)
{
  int version = 0;

  if (!begin (self, error))
    return FALSE;
  if (!check_schema_version (self, &version, error))
    return rollback (self);
  if (version == 0 && !exec (self, schema_v1, "create its tables", error))
    return rollback (self);
  return commit (self, error);
}

static EsContact *
contact_from_row (sqlite3_stmt *statement)
{
  EsContact *contact = _es_contact_new ((const char *) sqlite3_column_text (statement, 0),
                                        (const char *) sqlite3_column_text (statement, 1),
                                        sqlite3_column_int64 (statement, 4));

  if (sqlite3_column_bytes (statement, 2) == ES_ED25519_PUBLIC_KEY_SIZE)
    {
      g_autoptr(GBytes) key = g_bytes_new (sqlite3_column_blob (statement, 2),
                                           ES_ED25519_PUBLIC_KEY_SIZE);
      _es_contact_set_public_key (contact, key, sqlite3_column_int64 (statement, 3));
    }
  _es_contact_set_verified (contact, sqlite3_column_int (statement, 5));
  _es_contact_set_key_changed (contact, sqlite3_column_int (statement, 6));
  if (sqlite3_column_type (statement, 7) == SQLITE_TEXT)
    _es_contact_set_fingerprint (contact, es_contact_get_fingerprint (contact),
                                 (const char *) sqlite3_column_text (statement, 7));
  return contact;
}

/* Case does not decide the order, whatever the locale's collation says. */
static char *
sort_key (EsContact *contact)
{
  g_autofree char *folded = g_utf8_casefold (es_contact_get_name (contact), -1);

  return g_utf8_collate_key (folded, -1);
}

static int
compare_contacts (gconstpointer a,
                  gconstpointer b,
                  gpointer      data)
{
  g_autofree char *key_a = sort_key ((EsContact *) a);
  g_autofree char *key_b = sort_key ((EsContact *) b);
  int order = strcmp (key_a, key_b);

  return order != 0 ? order : strcmp (es_contact_get_fingerprint ((EsContact *) a),
                                      es_contact_get_fingerprint ((EsContact *) b));
}

static gboolean
load_contacts (EsContactStore *self,
               GError        **error)
{
  g_autoptr(sqlite3_stmt) statement = NULL;
  int step;

  statement = prepare (self, "SELECT fingerprint, name, public_key, first_seen, added, verified, "
                             "key_changed, previous_fingerprint FROM contacts", error);
  if (statement == NULL)
    return FALSE;
  while ((step = sqlite3_step (statement)) == SQLITE_ROW)
    {
      g_autoptr(EsContact) contact = contact_from_row (statement);
      g_list_store_insert_sorted (self->contacts, contact, compare_contacts, NULL);
    }
  if (step != SQLITE_DONE)
    return db_failed (self, "read its contacts", error);
  return TRUE;
}

static EsCallRecord *
record_from_row (sqlite3_stmt *statement)
{
  return es_call_record_new ((const char *) sqlite3_column_text (statement, 0),
                             (const char *) sqlite3_column_text (statement, 1),
                             sqlite3_column_int (statement, 2),
                             sqlite3_column_int64 (statement, 3),
                             sqlite3_column_int (statement, 4),
                             (guint) CLAMP (sqlite3_column_int64 (statement, 5), 0, G_MAXUINT),
                             (const char *) sqlite3_column_text (statement, 6));
}

static gboolean
load_history (EsContactStore *self,
              GError        **error)
{
  g_autoptr(sqlite3_stmt) statement = NULL;
  g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func (g_object_unref);
  int step;

  statement = prepare (self, "SELECT call_id, peer, outgoing, started, answered, duration, "
                             "end_reason FROM calls ORDER BY started DESC, id DESC", error);
  if (statement == NULL)
    return FALSE;
  while ((step = sqlite3_step (statement)) == SQLITE_ROW)
    g_ptr_array_add (records, record_from_row (statement));
  if (step != SQLITE_DONE)
    return db_failed (self, "read its call history", error);
  g_list_store_splice (self->history, 0, g_list_model_get_n_items (G_LIST_MODEL (self->history)),
                       records->pdata, records->len);
  return TRUE;
}

gboolean
es_contact_store_open (EsContactStore *self,
                       GError        **error)
{
  int version = 0;

  g_return_val_if_fail (ES_IS_CONTACT_STORE (self), FALSE);
  g_return_val_if_fail (self->db == NULL, FALSE);

  if (!g_file_test (self->path, G_FILE_TEST_EXISTS) && !create_private_file (self, error))
    return FALSE;
  if (sqlite3_open_v2 (self->path, &self->db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
    {
      db_failed (self, "open it", error);
      g_clear_pointer (&self->db, sqlite3_close);
      return FALSE;
    }
  sqlite3_busy_timeout (self->db, BUSY_TIMEOUT_MS);
  sqlite3_extended_result_codes (self->db, FALSE);
  if (!check_schema_version (self, &version, error) ||
      !exec (self, "PRAGMA journal_mode = WAL", "switch it to write-ahead logging", error) ||
      !exec (self, "PRAGMA synchronous = FULL", "make its commits durable", error) ||
      !ensure_schema (self, error) ||
      !load_contacts (self, error) ||
      !load_history (self, error))
    {
      g_clear_pointer (&self->db, sqlite3_close);
      g_list_store_remove_all (self->contacts);
      g_list_store_remove_all (self->history);
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_open (EsContactStore *self,
            GError        **error)
{
  if (self->db != NULL)
    return TRUE;
  g_set_error (error, ES_ERROR, ES_ERROR_FAILED, "contacts database %s is not open", self->path);
  return FALSE;
}

static void
emit_changed (EsContactStore *self)
{
  g_signal_emit (self, signals[CHANGED], 0);
}

/* ---- Contacts ------------------------------------------------------------------ */

EsContact *
es_contact_store_lookup (EsContactStore *self,
                         const char     *fingerprint)
{
  g_autofree char *canonical = NULL;
  guint n;

  g_return_val_if_fail (ES_IS_CONTACT_STORE (self), NULL);

  canonical = fingerprint != NULL ? es_fingerprint_normalize (fingerprint, NULL) : NULL;
  if (canonical == NULL)
    return NULL;
  n = g_list_model_get_n_items (G_LIST_MODEL (self->contacts));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(EsContact) contact = g_list_model_get_item (G_LIST_MODEL (self->contacts), i);

      if (g_str_equal (es_contact_get_fingerprint (contact), canonical))
        return contact;
    }
  return NULL;
}

EsContact *
es_contact_store_find_by_name (EsContactStore *self,
                               const char     *name)
{
  g_autofree char *wanted = NULL;
  g_autofree char *trimmed = NULL;
  guint n;

  g_return_val_if_fail (ES_IS_CONTACT_STORE (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  trimmed = g_strstrip (g_strdup (name));
  wanted = g_utf8_casefold (trimmed, -1);
  n = g_list_model_get_n_items (G_LIST_MODEL (self->contacts));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(EsContact) contact = g_list_model_get_item (G_LIST_MODEL (self->contacts), i);
      g_autofree char *folded = g_utf8_casefold (es_contact_get_name (contact), -1);

      if (g_str_equal (folded, wanted))
        return contact;
    }
  return NULL;
}

static char *
clean_name (const char *name,
            GError    **error)
{
  g_autofree char *trimmed = NULL;

  if (name == NULL || !g_utf8_validate (name, -1, NULL))
    {
      g_set_error_literal (error, ES_ERROR, ES_ERROR_INVALID_ARGUMENT, "the name is not text");
      return NULL;
    }
  trimmed = g_strstrip (g_strdup (name));
  if (trimmed[0] == '\0')
    {
      g_set_error_literal (error, ES_ERROR, ES_ERROR_INVALID_ARGUMENT, "the name is empty");
      return NULL;
    }
  if (g_utf8_strlen (trimmed, -1) > MAX_NAME_LENGTH)
    {
      g_set_error (error, ES_ERROR, ES_ERROR_INVALID_ARGUMENT,
                   "the name is longer than %d characters", MAX_NAME_LENGTH);
      return NULL;
    }
  return g_steal_pointer (&trimmed);
}

static gboolean
check_new_address (EsContactStore *self,
                   const char     *fingerprint,
                   GError        **error)
{
  EsContact *existing = es_contact_store_lookup (self, fingerprint);

  if (existing == NULL)
    return TRUE;
  g_set_error (error, ES_ERROR, ES_ERROR_EXISTS, "this address is already your contact “%s”",
               es_contact_get_name (existing));
  return FALSE;
}

EsContact *
es_contact_store_add (EsContactStore *self,
                      const char     *name,
                      const char     *fingerprint,
                      GError        **error)
{
  g_autoptr(sqlite3_stmt) statement = NULL;
  g_autoptr(EsContact) contact = NULL;
  g_autofree char *canonical = NULL;
  g_autofree char *clean = NULL;
  gint64 added = now_unix ();

  g_return_val_if_fail (ES_IS_CONTACT_STORE (self), NULL);

  if (!check_open (self, error) ||
      (clean = clean_name (name, error)) == NULL ||
      (canonical = es_fingerprint_normalize (fingerprint, error)) == NULL ||
      !check_new_address (self, canonical, error))
    return NULL;

  statement = prepare (self, "INSERT INTO contacts (fingerprint, name, added) VALUES (?, ?, ?)",
                       error);
  if (statement == NULL)
    return NULL;
  sqlite3_bind_text (statement, 1, canonical, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (statement, 2, clean, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (statement, 3, added);
  if (!run (self, statement, "add the contact", error))
    return NULL;

  contact = _es_contact_new (canonical, clean, added);
  g_list_store_insert_sorted (self->contacts, contact, compare_contacts, NULL);
  emit_changed (self);
  return contact;
}

static void
resort (EsContactStore *self,
        EsContact      *contact)
{
  guint position;

  g_object_ref (contact);
  if (g_list_store_find (self->contacts, contact, &position))
    g_list_store_remove (self->contacts, position);
  g_list_store_insert_sorted (self->contacts, contact, compare_contacts, NULL);
  g_object_unref (contact);
}

gboolean
es_contact_store_rename (EsContactStore *self,
                         EsContact      *contact,
                         const char     *name,
                         GError        **error)
{
  g_autoptr(sqlite3_stmt) statement = NULL;
  g_autofree char *clean = NULL;

  g_return_val_if_fail (ES_IS_CONTACT_STORE (self), FALSE);
  g_return_val_if_fail (ES_IS_CONTACT (contact), FALSE);

  if (!check_open (self, error) || (clean = clean_name (name, error)) == NULL)
    return FALSE;
  statement = prepare (self, "UPDATE contacts SET name = ? WHERE fingerprint = ?", error);
  if (statement == NULL)
    return FALSE;
  sqlite3_bind_text (statement, 1, clean, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (statement, 2, es_contact_get_fingerprint (contact), -1, SQLITE_TRANSIENT);
  if (!run (self, statement, "rename the contact", error))
    return FALSE;
  _es_contact_set_name (contact, clean);
  resort (self, contact);
  emit_changed (self);
  return TRUE;
}

gboolean
es_contact_store_set_verified (EsContactStore *self,
                               EsContact      *contact,
                               gboolean        verified,
                               GError        **error)
{
  g_autoptr(sqlite3_stmt) statement = NULL;

  g_return_val_if_fail (ES_IS_CONTACT_STORE (self), FALSE);
  g_return_val_if_fail (ES_IS_CONTACT (contact), FALSE);

  if (!check_open (self, error))
    return FALSE;
  statement = prepare (self, "UPDATE contacts SET verified = ?, key_changed = "
                             "CASE WHEN ? THEN 0 ELSE key_changed END WHERE fingerprint = ?",
                       error);
  if (statement == NULL)
    return FALSE;
  sqlite3_bind_int (statement, 1, !!verified);
  sqlite3_bind_int (statement, 2, !!verified);
  sqlite3_bind_text (statement, 3, es_contact_get_fingerprint (contact), -1, SQLITE_TRANSIENT);
  if (!run (self, statement, "save the verification", error))
    return FALSE;
  _es_contact_set_verified (contact, verified);
  if (verified)
    _es_contact_set_key_changed (contact, FALSE);
  emit_changed (self);
  return TRUE;
}

gboolean
es_contact_store_change_address (EsContactStore *self,
                                 EsContact      *contact,
                                 const char     *fingerprint,
                                 GError        **error)
{
  g_autoptr(sqlite3_stmt) statement = NULL;
  g_autofree char *canonical = NULL;
  g_autofree char *previous = NULL;

  g_return_val_if_fail (ES_IS_CONTACT_STORE (self), FALSE);
  g_return_val_if_fail (ES_IS_CONTACT (contact), FALSE);

  if (!check_open (self, error) ||
      (canonical = es_fingerprint_normalize (fingerprint, error)) == NULL)
    return FALSE;
  if (g_str_equal (canonical, es_contact_get_fingerprint (contact)))
    return TRUE;
  if (!check_new_address (self, canonical, error))
    return FALSE;

  previous = g_strdup (es_contact_get_fingerprint (contact));
  statement = prepare (self, "UPDATE contacts SET fingerprint = ?, previous_fingerprint = ?, "
                             "public_key = NULL, first_seen = 0, verified = 0, key_changed = 1 "
                             "WHERE fingerprint = ?", error);
  if (statement == NULL)
    return FALSE;
  sqlite3_bind_text (statement, 1, canonical, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (statement, 2, previous, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (statement, 3, previous, -1, SQLITE_TRANSIENT);
  if (!run (self, statement, "change the address", error))
    return FALSE;
  _es_contact_set_fingerprint (contact, canonical, previous);
  _es_contact_set_public_key (contact, NULL, 0);
  _es_contact_set_verified (contact, FALSE);
  _es_contact_set_key_changed (contact, TRUE);
  emit_changed (self);
  return TRUE;
}

gboolean
es_contact_store_remove (EsContactStore *self,
                         EsContact      *contact,
                         GError        **error)
{
  g_autoptr(sqlite3_stmt) statement = NULL;
  guint position;

  g_return_val_if_fail (ES_IS_CONTACT_STORE (self), FALSE);
  g_return_val_if_fail (ES_IS_CONTACT (contact), FALSE);

  if (!check_open (self, error))
    return FALSE;
  statement = prepare (self, "DELETE FROM contacts WHERE fingerprint = ?", error);
  if (statement == NULL)
    return FALSE;
  sqlite3_bind_text (statement, 1, es_contact_get_fingerprint (contact), -1, SQLITE_TRANSIENT);
  if (!run (self, statement, "remove the contact", error))
    return FALSE;
  if (g_list_store_find (self->contacts, contact, &position))
    g_list_store_remove (self->contacts, position);
  emit_changed (self);
  return TRUE;
}

static gboolean
pin_key (EsContactStore *self,
         EsContact      *contact,
         const guint8   *public_key,
         GError        **error)
{
  g_autoptr(sqlite3_stmt) statement = NULL;
  g_autoptr(GBytes) key = NULL;
  gint64 now = now_unix ();

  statement = prepare (self, "UPDATE contacts SET public_key = ?, first_seen = ? "
                             "WHERE fingerprint = ?", error);
  if (statement == NULL)
    return FALSE;
  sqlite3_bind_blob (statement, 1, public_key, ES_ED25519_PUBLIC_KEY_SIZE, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (statement, 2, now);
  sqlite3_bind_text (statement, 3, es_contact_get_fingerprint (contact), -1, SQLITE_TRANSIENT);
  if (!run (self, statement, "pin the key", error))
    return FALSE;
  key = g_bytes_new (public_key, ES_ED25519_PUBLIC_KEY_SIZE);
  _es_contact_set_public_key (contact, key, now);
  return TRUE;
}

static gboolean
flag_key_changed (EsContactStore *self,
                  EsContact      *contact,
                  GError        **error)
{
  g_autoptr(sqlite3_stmt) statement = NULL;

  statement = prepare (self, "UPDATE contacts SET verified = 0, key_changed = 1 "
                             "WHERE fingerprint = ?", error);
  if (statement == NULL)
    return FALSE;
  sqlite3_bind_text (statement, 1, es_contact_get_fingerprint (contact), -1, SQLITE_TRANSIENT);
  if (!run (self, statement, "flag the changed key", error))
    return FALSE;
  _es_contact_set_verified (contact, FALSE);
  _es_contact_set_key_changed (contact, TRUE);
  return TRUE;
}

EsContactKeyCheck
es_contact_store_check_key (EsContactStore *self,
                            const char     *fingerprint,
                            const guint8   *public_key,
                            GError        **error)
{
  EsContact *contact;
  GBytes *pinned;

  g_return_val_if_fail (ES_IS_CONTACT_STORE (self), ES_CONTACT_KEY_UNKNOWN_CONTACT);
  g_return_val_if_fail (public_key != NULL, ES_CONTACT_KEY_UNKNOWN_CONTACT);

  contact = es_contact_store_lookup (self, fingerprint);
  if (contact == NULL || !check_open (self, error))
    return ES_CONTACT_KEY_UNKNOWN_CONTACT;

  pinned = es_contact_get_public_key (contact);
  if (pinned != NULL)
    {
      if (memcmp (g_bytes_get_data (pinned, NULL), public_key, ES_ED25519_PUBLIC_KEY_SIZE) == 0)
        return ES_CONTACT_KEY_MATCHES;
      if (flag_key_changed (self, contact, error))
        emit_changed (self);
      return ES_CONTACT_KEY_CHANGED;
    }
  if (pin_key (self, contact, public_key, error))
    emit_changed (self);
  return ES_CONTACT_KEY_PINNED;
}

/* ---- History ------------------------------------------------------------------- */

static gboolean
insert_record (EsContactStore *self,
               EsCallRecord   *record,
               GError        **error)
{
  g_autoptr(sqlite3_stmt) statement = NULL;

  statement = prepare (self, "INSERT OR REPLACE INTO calls (call_id, peer, outgoing, started, "
                             "answered, duration, end_reason) VALUES (?, ?, ?, ?, ?, ?, ?)", error);
  if (statement == NULL)
    return FALSE;
  sqlite3_bind_text (statement, 1, es_call_record_get_call_id (record), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (statement, 2, es_call_record_get_peer (record), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int (statement, 3, es_call_record_get_outgoing (record));
  sqlite3_bind_int64 (statement, 4, es_call_record_get_started (record));
  sqlite3_bind_int (statement, 5, es_call_record_get_answered (record));
  sqlite3_bind_int64 (statement, 6, es_call_record_get_duration (record));
  sqlite3_bind_text (statement, 7, es_call_record_get_end_reason (record), -1, SQLITE_TRANSIENT);
  return run (self, statement, "save the call", error);
}

static gboolean
trim_history (EsContactStore *self,
              GError        **error)
{
  g_autoptr(sqlite3_stmt) statement = NULL;

  statement = prepare (self, "DELETE FROM calls WHERE id NOT IN "
                             "(SELECT id FROM calls ORDER BY started DESC, id DESC LIMIT ?)", error);
  if (statement == NULL)
    return FALSE;
  sqlite3_bind_int (statement, 1, MAX_HISTORY);
  return run (self, statement, "trim the history", error);
}

gboolean
es_contact_store_add_record (EsContactStore *self,
                             EsCallRecord   *record,
                             GError        **error)
{
  g_return_val_if_fail (ES_IS_CONTACT_STORE (self), FALSE);
  g_return_val_if_fail (ES_IS_CALL_RECORD (record), FALSE);

  if (!check_open (self, error) || !begin (self, error))
    return FALSE;
  if (!insert_record (self, record, error) || !trim_history (self, error))
    return rollback (self);
  if (!commit (self, error))
    return FALSE;
  if (!load_history (self, error))
    return FALSE;
  emit_changed (self);
  return TRUE;
}

gboolean
es_contact_store_clear_history (EsContactStore *self,
                                GError        **error)
{
  g_return_val_if_fail (ES_IS_CONTACT_STORE (self), FALSE);

  if (!check_open (self, error) || !exec (self, "DELETE FROM calls", "clear the history", error))
    return FALSE;
  g_list_store_remove_all (self->history);
  emit_changed (self);
  return TRUE;
}

/* ---- Following calls ------------------------------------------------------------- */

static void
check_call_key (EsContactStore *self,
                EsCall         *call)
{
  const guint8 *key = es_call_get_peer_key (call);
  g_autoptr(GError) error = NULL;

  if (key != NULL &&
      es_contact_store_check_key (self, es_call_get_peer (call), key, &error) ==
        ES_CONTACT_KEY_CHANGED)
    g_warning ("the key of contact %s is not the one pinned for it", es_call_get_peer (call));
  if (error != NULL)
    g_warning ("%s", error->message);
}

static void
record_ended_call (EsContactStore *self,
                   EsCall         *call,
                   gint64          started)
{
  g_autoptr(EsCallRecord) record = NULL;
  g_autoptr(GError) error = NULL;
  gint64 active_since = es_call_get_active_since (call);
  guint duration = 0;

  if (active_since > 0)
    duration = (guint) ((g_get_monotonic_time () - active_since + G_USEC_PER_SEC / 2) /
                        G_USEC_PER_SEC);
  record = es_call_record_new (es_call_get_id (call), es_call_get_peer (call),
                               es_call_is_outgoing (call), started, active_since > 0, duration,
                               es_call_end_reason_to_string (es_call_get_end_reason (call)));
  if (!es_contact_store_add_record (self, record, &error))
    g_warning ("the call was not written to the history: %s", error->message);
}

static void
on_tracked_call_state_changed (EsCall         *call,
                               EsCallState     state,
                               EsCallState     old_state,
                               EsContactStore *self)
{
  gint64 *started;

  /* The key is known from the offer (incoming) or once the answer is
   * verified (outgoing); checking again is harmless. */
  if (state == ES_CALL_STATE_CONNECTING || state == ES_CALL_STATE_ACTIVE ||
      state == ES_CALL_STATE_ENDED)
    check_call_key (self, call);
  if (state != ES_CALL_STATE_ENDED)
    return;
  started = g_hash_table_lookup (self->tracked, call);
  g_signal_handlers_disconnect_by_data (call, self);
  record_ended_call (self, call, started != NULL ? *started : now_unix ());
  g_hash_table_remove (self->tracked, call);
}

void
es_contact_store_track_call (EsContactStore *self,
                             EsCall         *call)
{
  gint64 *started;

  g_return_if_fail (ES_IS_CONTACT_STORE (self));
  g_return_if_fail (ES_IS_CALL (call));

  if (g_hash_table_contains (self->tracked, call) ||
      es_call_get_state (call) == ES_CALL_STATE_ENDED)
    return;
  started = g_new (gint64, 1);
  *started = now_unix ();
  g_hash_table_insert (self->tracked, g_object_ref (call), started);
  g_signal_connect (call, "state-changed", G_CALLBACK (on_tracked_call_state_changed), self);
}

static void
untrack_call (gpointer key,
              gpointer value,
              gpointer data)
{
  g_signal_handlers_disconnect_by_data (key, data);
}
