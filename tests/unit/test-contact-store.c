/* contacts.db: contacts survive restarts and crashes, keys are pinned on
 * first use and a changed one is flagged, damaged files are reported and
 * left alone, and history keeps what happened to each call.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gstdio.h>
#include <signal.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "es-contact-store.h"
#include "es-error.h"
#include "temp-dir-support.h"

#define ALICE "0123:4567:89ab:cdef:0123:4567:89ab:cdef"
#define ALICE_LOOSE "0123456789ABCDEF0123456789abcdef"
#define BOB "ffff:eeee:dddd:cccc:bbbb:aaaa:9999:8888"
#define ALICE_NEW "1111:2222:3333:4444:5555:6666:7777:8888"

typedef struct
{
  char *dir;
  char *path;
  EsContactStore *store;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("earshot-contacts-XXXXXX", NULL);
  g_assert_nonnull (fixture->dir);
  fixture->path = g_build_filename (fixture->dir, "data", "contacts.db", NULL);
  fixture->store = es_contact_store_new (fixture->path);
  g_assert_true (es_contact_store_open (fixture->store, &error));
  g_assert_no_error (error);
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

static EsContactStore *
reopen (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;

  g_clear_object (&fixture->store);
  fixture->store = es_contact_store_new (fixture->path);
  g_assert_true (es_contact_store_open (fixture->store, &error));
  g_assert_no_error (error);
  return fixture->store;
}

static EsContact *
contact_at (EsContactStore *store,
            guint           position)
{
  g_autoptr(EsContact) contact = g_list_model_get_item (es_contact_store_get_contacts (store),
                                                        position);
  return contact;
}

static void
test_add_and_reopen (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  EsContact *alice, *bob;
  GStatBuf st;

  bob = es_contact_store_add (fixture->store, "  Bob ", BOB, &error);
  g_assert_no_error (error);
  alice = es_contact_store_add (fixture->store, "alice", ALICE_LOOSE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (es_contact_get_name (bob), ==, "Bob");
  g_assert_cmpstr (es_contact_get_fingerprint (alice), ==, ALICE);
  g_assert_false (es_contact_get_verified (alice));
  g_assert_null (es_contact_get_public_key (alice));

  /* Sorted by name, as people read a list. */
  g_assert_cmpuint (g_list_model_get_n_items (es_contact_store_get_contacts (fixture->store)), ==, 2);
  g_assert_cmpstr (es_contact_get_name (contact_at (fixture->store, 0)), ==, "alice");

  g_assert_cmpint (g_stat (fixture->path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  reopen (fixture);
  g_assert_cmpuint (g_list_model_get_n_items (es_contact_store_get_contacts (fixture->store)), ==, 2);
  alice = es_contact_store_lookup (fixture->store, ALICE);
  g_assert_nonnull (alice);
  g_assert_cmpstr (es_contact_get_name (alice), ==, "alice");
  g_assert_true (es_contact_store_find_by_name (fixture->store, "ALICE ") == alice);
  g_assert_null (es_contact_store_lookup (fixture->store, ALICE_NEW));
}

static void
test_bad_input_refused (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  g_assert_null (es_contact_store_add (fixture->store, "Alice", "not an address", &error));
  g_assert_error (error, ES_ERROR, ES_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  g_assert_null (es_contact_store_add (fixture->store, "   ", ALICE, &error));
  g_assert_error (error, ES_ERROR, ES_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  g_assert_nonnull (es_contact_store_add (fixture->store, "Alice", ALICE, &error));
  g_assert_null (es_contact_store_add (fixture->store, "Alice again", ALICE_LOOSE, &error));
  g_assert_error (error, ES_ERROR, ES_ERROR_EXISTS);
  g_assert_nonnull (strstr (error->message, "Alice"));
  g_assert_cmpuint (g_list_model_get_n_items (es_contact_store_get_contacts (fixture->store)), ==, 1);
}

static void
on_changed (EsContactStore *store,
            guint          *count)
{
  (*count)++;
}

static void
test_rename_verify_remove (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  EsContact *alice;
  guint changes = 0;

  g_signal_connect (fixture->store, "changed", G_CALLBACK (on_changed), &changes);
  alice = es_contact_store_add (fixture->store, "Alice", ALICE, &error);
  g_assert_true (es_contact_store_add (fixture->store, "Bob", BOB, &error) != NULL);
  g_assert_true (es_contact_store_rename (fixture->store, alice, "Zoe", &error));
  g_assert_no_error (error);
  g_assert_cmpstr (es_contact_get_name (contact_at (fixture->store, 1)), ==, "Zoe");
  g_assert_true (es_contact_store_set_verified (fixture->store, alice, TRUE, &error));
  g_assert_cmpuint (changes, ==, 4);

  reopen (fixture);
  alice = es_contact_store_lookup (fixture->store, ALICE);
  g_assert_cmpstr (es_contact_get_name (alice), ==, "Zoe");
  g_assert_true (es_contact_get_verified (alice));
  g_assert_true (es_contact_store_remove (fixture->store, alice, &error));
  reopen (fixture);
  g_assert_null (es_contact_store_lookup (fixture->store, ALICE));
  g_assert_cmpuint (g_list_model_get_n_items (es_contact_store_get_contacts (fixture->store)), ==, 1);
}

static void
test_key_pinned_on_first_use (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  guint8 key[ES_ED25519_PUBLIC_KEY_SIZE], other[ES_ED25519_PUBLIC_KEY_SIZE];
  EsContact *alice;

  memset (key, 0x11, sizeof key);
  memset (other, 0x22, sizeof other);
  g_assert_cmpint (es_contact_store_check_key (fixture->store, ALICE, key, &error), ==,
                   ES_CONTACT_KEY_UNKNOWN_CONTACT);

  alice = es_contact_store_add (fixture->store, "Alice", ALICE, &error);
  g_assert_true (es_contact_store_set_verified (fixture->store, alice, TRUE, &error));
  g_assert_cmpint (es_contact_store_check_key (fixture->store, ALICE, key, &error), ==,
                   ES_CONTACT_KEY_PINNED);
  g_assert_cmpint (es_contact_get_first_seen (alice), >, 0);
  g_assert_cmpint (es_contact_store_check_key (fixture->store, ALICE, key, &error), ==,
                   ES_CONTACT_KEY_MATCHES);
  g_assert_true (es_contact_get_verified (alice));

  reopen (fixture);
  alice = es_contact_store_lookup (fixture->store, ALICE);
  g_assert_nonnull (es_contact_get_public_key (alice));
  g_assert_cmpint (es_contact_store_check_key (fixture->store, ALICE, other, &error), ==,
                   ES_CONTACT_KEY_CHANGED);
  g_assert_no_error (error);
  g_assert_true (es_contact_get_key_changed (alice));
  g_assert_false (es_contact_get_verified (alice));

  /* The warning is kept until safety words are compared again. */
  reopen (fixture);
  alice = es_contact_store_lookup (fixture->store, ALICE);
  g_assert_true (es_contact_get_key_changed (alice));
  g_assert_true (es_contact_store_set_verified (fixture->store, alice, TRUE, &error));
  g_assert_false (es_contact_get_key_changed (alice));
}

static void
test_changed_address_warns (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  guint8 key[ES_ED25519_PUBLIC_KEY_SIZE];
  EsContact *alice;

  memset (key, 0x11, sizeof key);
  alice = es_contact_store_add (fixture->store, "Alice", ALICE, &error);
  es_contact_store_check_key (fixture->store, ALICE, key, &error);
  es_contact_store_set_verified (fixture->store, alice, TRUE, &error);

  /* The same name with a new address is how a new identity shows. */
  g_assert_true (es_contact_store_find_by_name (fixture->store, "alice") == alice);
  g_assert_true (es_contact_store_change_address (fixture->store, alice, ALICE_NEW, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (es_contact_get_fingerprint (alice), ==, ALICE_NEW);
  g_assert_cmpstr (es_contact_get_previous_fingerprint (alice), ==, ALICE);
  g_assert_true (es_contact_get_key_changed (alice));
  g_assert_false (es_contact_get_verified (alice));
  g_assert_null (es_contact_get_public_key (alice));

  reopen (fixture);
  alice = es_contact_store_lookup (fixture->store, ALICE_NEW);
  g_assert_nonnull (alice);
  g_assert_cmpstr (es_contact_get_previous_fingerprint (alice), ==, ALICE);
  g_assert_true (es_contact_get_key_changed (alice));
  g_assert_null (es_contact_store_lookup (fixture->store, ALICE));

  g_assert_true (es_contact_store_add (fixture->store, "Bob", BOB, &error) != NULL);
  g_assert_false (es_contact_store_change_address (fixture->store, alice, BOB, &error));
  g_assert_error (error, ES_ERROR, ES_ERROR_EXISTS);
}

static void
test_history (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EsCallRecord) missed = es_call_record_new ("aa", ALICE, FALSE, 1000, FALSE, 0,
                                                       "cancelled");
  g_autoptr(EsCallRecord) talked = es_call_record_new ("bb", BOB, TRUE, 2000, TRUE, 65, "hangup");
  g_autoptr(EsCallRecord) busy = es_call_record_new ("cc", BOB, TRUE, 1500, FALSE, 0, "busy");
  g_autoptr(EsCallRecord) first = NULL;
  GListModel *history;

  g_assert_true (es_contact_store_add_record (fixture->store, missed, &error));
  g_assert_true (es_contact_store_add_record (fixture->store, talked, &error));
  g_assert_true (es_contact_store_add_record (fixture->store, busy, &error));
  g_assert_no_error (error);

  reopen (fixture);
  history = es_contact_store_get_history (fixture->store);
  g_assert_cmpuint (g_list_model_get_n_items (history), ==, 3);
  first = g_list_model_get_item (history, 0);
  g_assert_cmpstr (es_call_record_get_call_id (first), ==, "bb");
  g_assert_cmpuint (es_call_record_get_duration (first), ==, 65);
  g_assert_cmpint (es_call_record_get_outcome (first), ==, ES_CALL_OUTCOME_ANSWERED);
  g_clear_object (&first);
  first = g_list_model_get_item (history, 1);
  g_assert_cmpint (es_call_record_get_outcome (first), ==, ES_CALL_OUTCOME_NOT_ANSWERED);
  g_clear_object (&first);
  first = g_list_model_get_item (history, 2);
  g_assert_cmpint (es_call_record_get_outcome (first), ==, ES_CALL_OUTCOME_MISSED);
  g_assert_cmpstr (es_call_record_get_peer (first), ==, ALICE);

  g_assert_true (es_contact_store_clear_history (fixture->store, &error));
  reopen (fixture);
  g_assert_cmpuint (g_list_model_get_n_items (es_contact_store_get_history (fixture->store)), ==, 0);
}

static void
test_outcomes (void)
{
  struct { gboolean outgoing, answered; const char *reason; EsCallOutcome outcome; } cases[] = {
    { FALSE, TRUE, "hangup", ES_CALL_OUTCOME_ANSWERED },
    { FALSE, FALSE, "declined", ES_CALL_OUTCOME_DECLINED },
    { FALSE, FALSE, "busy", ES_CALL_OUTCOME_MISSED },
    { FALSE, FALSE, "timeout", ES_CALL_OUTCOME_MISSED },
    { FALSE, FALSE, "answered-elsewhere", ES_CALL_OUTCOME_ANSWERED_ELSEWHERE },
    { TRUE, FALSE, "declined", ES_CALL_OUTCOME_DECLINED },
    { TRUE, FALSE, "offline", ES_CALL_OUTCOME_NOT_ANSWERED },
    { TRUE, TRUE, "peer-lost", ES_CALL_OUTCOME_ANSWERED },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(EsCallRecord) record = es_call_record_new ("id", ALICE, cases[i].outgoing, 1,
                                                           cases[i].answered, 3, cases[i].reason);
      g_assert_cmpint (es_call_record_get_outcome (record), ==, cases[i].outcome);
      g_assert_cmpuint (es_call_record_get_duration (record), ==, cases[i].answered ? 3 : 0);
    }
}

/* A process killed right after a change loses nothing it committed, and
 * leaves a database that opens and checks clean. */
static void
test_survives_kill (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EsCallRecord) record = es_call_record_new ("dd", BOB, TRUE, 3000, TRUE, 5, "hangup");
  sqlite3 *db = NULL;
  sqlite3_stmt *statement = NULL;
  int status = 0;
  pid_t pid;

  g_clear_object (&fixture->store);
  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      EsContactStore *store = es_contact_store_new (fixture->path);

      if (!es_contact_store_open (store, NULL) ||
          es_contact_store_add (store, "Alice", ALICE, NULL) == NULL ||
          !es_contact_store_add_record (store, record, NULL))
        _exit (1);
      raise (SIGKILL);
      _exit (2);
    }
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFSIGNALED (status));

  reopen (fixture);
  g_assert_nonnull (es_contact_store_lookup (fixture->store, ALICE));
  g_assert_cmpuint (g_list_model_get_n_items (es_contact_store_get_history (fixture->store)), ==, 1);

  g_assert_cmpint (sqlite3_open_v2 (fixture->path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA integrity_check", -1, &statement, NULL), ==,
                   SQLITE_OK);
  g_assert_cmpint (sqlite3_step (statement), ==, SQLITE_ROW);
  g_assert_cmpstr ((const char *) sqlite3_column_text (statement, 0), ==, "ok");
  sqlite3_finalize (statement);
  sqlite3_close (db);
  g_assert_no_error (error);
}

static void
assert_refused_and_untouched (Fixture    *fixture,
                              const char *contents,
                              gsize       length,
                              const char *what)
{
  g_autoptr(EsContactStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *after = NULL;
  gsize after_length = 0;

  g_clear_object (&fixture->store);
  g_unlink (fixture->path);
  g_assert_true (g_file_set_contents (fixture->path, contents, (gssize) length, NULL));

  store = es_contact_store_new (fixture->path);
  g_assert_false (es_contact_store_open (store, &error));
  g_assert_error (error, ES_ERROR, ES_ERROR_DAMAGED);
  g_assert_nonnull (strstr (error->message, fixture->path));
  g_assert_nonnull (strstr (error->message, what));
  g_assert_null (es_contact_store_add (store, "Alice", ALICE, NULL));

  g_assert_true (g_file_get_contents (fixture->path, &after, &after_length, NULL));
  g_assert_cmpmem (after, after_length, contents, length);
}

static void
test_damaged_file_left_alone (Fixture       *fixture,
                              gconstpointer  data)
{
  static const char garbage[] = "these are not the contacts you are looking for, not at all....";

  assert_refused_and_untouched (fixture, garbage, sizeof garbage, "damaged");
}

static void
test_newer_file_left_alone (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autofree char *contents = NULL;
  gsize length = 0;
  sqlite3 *db = NULL;

  g_clear_object (&fixture->store);
  g_assert_cmpint (sqlite3_open (fixture->path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "PRAGMA journal_mode = DELETE; PRAGMA user_version = 99",
                                 NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
  g_assert_true (g_file_get_contents (fixture->path, &contents, &length, NULL));
  assert_refused_and_untouched (fixture, contents, length, "newer");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/contact-store/add-and-reopen", test_add_and_reopen);
  ADD ("/contact-store/bad-input-refused", test_bad_input_refused);
  ADD ("/contact-store/rename-verify-remove", test_rename_verify_remove);
  ADD ("/contact-store/key-pinned-on-first-use", test_key_pinned_on_first_use);
  ADD ("/contact-store/changed-address-warns", test_changed_address_warns);
  ADD ("/contact-store/history", test_history);
  ADD ("/contact-store/survives-kill", test_survives_kill);
  ADD ("/contact-store/damaged-file-left-alone", test_damaged_file_left_alone);
  ADD ("/contact-store/newer-file-left-alone", test_newer_file_left_alone);
#undef ADD
  g_test_add_func ("/contact-store/outcomes", test_outcomes);

  return g_test_run ();
}
