/* The identity file: saved atomically and privately, never lost, and every
 * kind of damage reported with the file's name.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "es-error.h"
#include "es-identity-store.h"
#include "temp-dir-support.h"

typedef struct
{
  char *dir;
  char *path;
  EsIdentityStore *store;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  fixture->dir = g_dir_make_tmp ("earshot-identity-XXXXXX", NULL);
  g_assert_nonnull (fixture->dir);
  fixture->path = g_build_filename (fixture->dir, "state", "identity", NULL);
  fixture->store = es_identity_store_new (fixture->path);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_clear_object (&fixture->store);
  temp_dir_remove_tree (fixture->dir);
  g_free (fixture->path);
  g_free (fixture->dir);
}

static char *
read_file (const char *path)
{
  char *contents = NULL;

  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  return contents;
}

static void
write_file (const char *path,
            const char *contents)
{
  g_autofree char *dir = g_path_get_dirname (path);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  /* CONSISTENT: GLib 2.74 writes in place without truncating otherwise. */
  g_assert_true (g_file_set_contents_full (path, contents, -1, G_FILE_SET_CONTENTS_CONSISTENT,
                                           0600, NULL));
}

static guint
count_files (const char *dir)
{
  g_autoptr(GDir) handle = g_dir_open (dir, 0, NULL);
  guint n = 0;

  while (handle != NULL && g_dir_read_name (handle) != NULL)
    n++;
  return n;
}

static void
test_save_and_load (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(EsIdentity) identity = es_identity_new_random ();
  g_autoptr(EsIdentityStore) again = es_identity_store_new (fixture->path);
  g_autoptr(EsIdentity) loaded = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_path_get_dirname (fixture->path);
  GStatBuf st;

  g_assert_true (es_identity_store_save (fixture->store, identity, NULL,
                                         ES_IDENTITY_STORE_SAVE_NONE, &error));
  g_assert_no_error (error);

  g_assert_cmpint (g_stat (fixture->path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_cmpint (g_stat (dir, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);
  /* Atomic write: no temporary file left beside it. */
  g_assert_cmpuint (count_files (dir), ==, 1);

  loaded = es_identity_store_load (again, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (es_identity_get_fingerprint (loaded), ==, es_identity_get_fingerprint (identity));
  g_assert_cmpmem (es_identity_get_seed (loaded), ES_SEED_SIZE,
                   es_identity_get_seed (identity), ES_SEED_SIZE);
  g_assert_true (g_date_time_equal (es_identity_get_created (loaded),
                                    es_identity_get_created (identity)));
  g_assert_false (es_identity_store_get_protected (again));
}

static void
test_refuses_to_replace (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(EsIdentity) first = es_identity_new_random ();
  g_autoptr(EsIdentity) second = es_identity_new_random ();
  g_autoptr(GError) error = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;

  g_assert_true (es_identity_store_save (fixture->store, first, NULL, 0, NULL));
  before = read_file (fixture->path);

  g_assert_false (es_identity_store_save (fixture->store, second, NULL, 0, &error));
  g_assert_error (error, ES_ERROR, ES_ERROR_EXISTS);
  g_assert_nonnull (strstr (error->message, fixture->path));
  after = read_file (fixture->path);
  g_assert_cmpstr (after, ==, before);
}

static void
on_changed (EsIdentityStore *store,
            guint           *count)
{
  (*count)++;
}

static void
test_replace_keeps_old_file (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autoptr(EsIdentity) first = es_identity_new_random ();
  g_autoptr(EsIdentity) second = es_identity_new_random ();
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_path_get_dirname (fixture->path);
  g_autofree char *old_contents = NULL;
  g_autoptr(GDir) handle = NULL;
  const char *name;
  gboolean found_backup = FALSE;
  guint changes = 0;

  g_signal_connect (fixture->store, "changed", G_CALLBACK (on_changed), &changes);
  g_assert_true (es_identity_store_save (fixture->store, first, NULL, 0, NULL));
  old_contents = read_file (fixture->path);
  g_assert_true (es_identity_store_save (fixture->store, second, NULL,
                                         ES_IDENTITY_STORE_SAVE_REPLACE, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (changes, ==, 2);
  g_assert_true (es_identity_store_get_identity (fixture->store) == second);

  handle = g_dir_open (dir, 0, NULL);
  while ((name = g_dir_read_name (handle)) != NULL)
    {
      if (g_str_has_prefix (name, "identity.replaced-"))
        {
          g_autofree char *path = g_build_filename (dir, name, NULL);
          g_autofree char *contents = read_file (path);

          g_assert_cmpstr (contents, ==, old_contents);
          found_backup = TRUE;
        }
    }
  g_assert_true (found_backup);
}

static void
test_passphrase (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(EsIdentity) identity = es_identity_new_random ();
  g_autoptr(EsIdentityStore) again = es_identity_store_new (fixture->path);
  g_autoptr(EsIdentity) loaded = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *seed_hex = g_malloc (ES_SEED_SIZE * 2 + 1);

  g_assert_true (es_identity_store_save (fixture->store, identity, "correct horse battery", 0,
                                         &error));
  g_assert_no_error (error);

  /* The seed is nowhere in the file, in any form we could write it. */
  contents = read_file (fixture->path);
  for (guint i = 0; i < ES_SEED_SIZE; i++)
    g_snprintf (seed_hex + 2 * i, 3, "%02x", es_identity_get_seed (identity)[i]);
  g_assert_null (strstr (contents, seed_hex));

  g_assert_null (es_identity_store_load (again, NULL, &error));
  g_assert_error (error, ES_ERROR, ES_ERROR_PASSPHRASE_REQUIRED);
  g_assert_nonnull (strstr (error->message, fixture->path));
  g_clear_error (&error);

  g_assert_null (es_identity_store_load (again, "correct horse battery!", &error));
  g_assert_error (error, ES_ERROR, ES_ERROR_WRONG_PASSPHRASE);
  g_assert_nonnull (strstr (error->message, fixture->path));
  g_clear_error (&error);

  loaded = es_identity_store_load (again, "correct horse battery", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (es_identity_get_fingerprint (loaded), ==, es_identity_get_fingerprint (identity));
  g_assert_true (es_identity_store_get_protected (again));

  g_assert_false (es_identity_store_save (fixture->store, identity, "",
                                          ES_IDENTITY_STORE_SAVE_REPLACE, &error));
  g_assert_error (error, ES_ERROR, ES_ERROR_INVALID_ARGUMENT);
}

static void
test_not_found (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (es_identity_store_exists (fixture->store));
  g_assert_null (es_identity_store_load (fixture->store, NULL, &error));
  g_assert_error (error, ES_ERROR, ES_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, fixture->path));
}

/* Each damaged form is refused with the file's name, and the file is left
 * exactly as it was. */
static void
assert_damaged (Fixture    *fixture,
                const char *contents,
                const char *what)
{
  g_autoptr(EsIdentityStore) store = es_identity_store_new (fixture->path);
  g_autoptr(GError) error = NULL;
  g_autofree char *after = NULL;

  write_file (fixture->path, contents);
  g_assert_null (es_identity_store_load (store, "some passphrase", &error));
  g_assert_error (error, ES_ERROR, ES_ERROR_DAMAGED);
  g_assert_nonnull (strstr (error->message, fixture->path));
  if (strstr (error->message, what) == NULL)
    g_error ("“%s” does not mention “%s”", error->message, what);
  after = read_file (fixture->path);
  g_assert_cmpstr (after, ==, contents);
}

static char *
replace_once (const char *text,
              const char *from,
              const char *to)
{
  const char *at = strstr (text, from);

  g_assert_nonnull (at);
  return g_strdup_printf ("%.*s%s%s", (int) (at - text), text, to, at + strlen (from));
}

static void
test_damaged_files (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(EsIdentity) identity = es_identity_new_random ();
  g_autofree char *good = NULL;
  g_autofree char *protected_good = NULL;
  g_autofree char *truncated = NULL;
  g_autofree char *flipped = NULL;
  g_autofree char *future = NULL;
  g_autofree char *greedy = NULL;
  g_autofree char *seed_line = NULL;
  g_autofree char *seed_text = NULL;

  g_assert_true (es_identity_store_save (fixture->store, identity, NULL, 0, NULL));
  good = read_file (fixture->path);
  g_assert_true (es_identity_store_save (fixture->store, identity, "pass", ES_IDENTITY_STORE_SAVE_REPLACE, NULL));
  protected_good = read_file (fixture->path);

  truncated = g_strndup (good, strlen (good) / 2);
  assert_damaged (fixture, truncated, "not a JSON object");
  assert_damaged (fixture, "", "not a JSON object");
  assert_damaged (fixture, "[1, 2, 3]", "not a JSON object");
  assert_damaged (fixture, "{\"format\": \"something-else\"}", "not an Earshot identity");
  assert_damaged (fixture, "{\"format\": \"earshot-identity\", \"version\": 1}", "fingerprint");

  /* One hex digit of the seed changed: it no longer gives its fingerprint. */
  seed_text = g_strdup (strstr (good, "\"seed\" : \"") + strlen ("\"seed\" : \""));
  seed_line = g_strdup_printf ("\"seed\" : \"%c", seed_text[0]);
  flipped = replace_once (good, seed_line, seed_text[0] == '0' ? "\"seed\" : \"1"
                                                              : "\"seed\" : \"0");
  assert_damaged (fixture, flipped, "does not match its fingerprint");

  future = replace_once (good, "\"version\" : 1", "\"version\" : 7");
  assert_damaged (fixture, future, "format version 7");

  /* A hostile file must not make us allocate a terabyte. */
  greedy = replace_once (protected_good, "\"memlimit\" : 67108864", "\"memlimit\" : 1099511627776");
  assert_damaged (fixture, greedy, "memlimit");
}

static void
test_not_a_regular_file (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (fixture->path, 0700), ==, 0);
  g_assert_null (es_identity_store_load (fixture->store, NULL, &error));
  g_assert_error (error, ES_ERROR, ES_ERROR_DAMAGED);
  g_assert_nonnull (strstr (error->message, fixture->path));
}

static void
test_unreadable_path (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autofree char *blocker = g_build_filename (fixture->dir, "state", NULL);
  g_autoptr(GError) error = NULL;

  /* "state" is a file, so "state/identity" cannot be read (ENOTDIR); unlike
   * a chmod, this holds for root too. */
  g_assert_true (g_file_set_contents (blocker, "x", 1, NULL));
  g_assert_null (es_identity_store_load (fixture->store, NULL, &error));
  g_assert_nonnull (error);
  g_assert_false (g_error_matches (error, ES_ERROR, ES_ERROR_NOT_FOUND));
  g_assert_nonnull (strstr (error->message, fixture->path));
}

/* A full disk (here: a file size limit) while replacing an identity leaves
 * the old identity in place and loadable, with no stray copy beside it. */
static void
test_full_disk_keeps_old_identity (Fixture       *fixture,
                                   gconstpointer  data)
{
  g_autoptr(EsIdentity) first = es_identity_new_random ();
  g_autoptr(EsIdentity) second = es_identity_new_random ();
  g_autoptr(EsIdentityStore) again = es_identity_store_new (fixture->path);
  g_autoptr(EsIdentity) loaded = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_path_get_dirname (fixture->path);
  struct rlimit saved, tiny;

  g_assert_true (es_identity_store_save (fixture->store, first, NULL, 0, NULL));

  g_assert_cmpint (getrlimit (RLIMIT_FSIZE, &saved), ==, 0);
  tiny = saved;
  tiny.rlim_cur = 16;
  signal (SIGXFSZ, SIG_IGN);
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &tiny), ==, 0);
  g_assert_false (es_identity_store_save (fixture->store, second, NULL,
                                          ES_IDENTITY_STORE_SAVE_REPLACE, &error));
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &saved), ==, 0);
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, fixture->path));
  g_clear_error (&error);

  loaded = es_identity_store_load (again, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (es_identity_get_fingerprint (loaded), ==, es_identity_get_fingerprint (first));
  g_assert_cmpuint (count_files (dir), ==, 1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/identity-store/save-and-load", test_save_and_load);
  ADD ("/identity-store/refuses-to-replace", test_refuses_to_replace);
  ADD ("/identity-store/replace-keeps-old-file", test_replace_keeps_old_file);
  ADD ("/identity-store/passphrase", test_passphrase);
  ADD ("/identity-store/not-found", test_not_found);
  ADD ("/identity-store/damaged-files", test_damaged_files);
  ADD ("/identity-store/not-a-regular-file", test_not_a_regular_file);
  ADD ("/identity-store/unreadable-path", test_unreadable_path);
  ADD ("/identity-store/full-disk-keeps-old-identity", test_full_disk_keeps_old_identity);
#undef ADD
  return g_test_run ();
}
