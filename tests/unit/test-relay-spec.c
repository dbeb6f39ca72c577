/* How a relay is written, and relay keys learnt on first use.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gstdio.h>
#include <string.h>

#include "es-error.h"
#include "es-relay-pins.h"
#include "es-relay-spec.h"

static void
test_parse (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EsRelaySpec) pinned = es_relay_spec_parse (
    "relay.example.org:4433#6871:1211:0E91:ecb3:09f6:6f51:d257:ccaa", &error);
  g_autoptr(EsRelaySpec) v6 = es_relay_spec_parse ("[::1]:9000", &error);
  g_autofree char *pinned_text = NULL;
  g_autofree char *v6_text = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (pinned->host, ==, "relay.example.org");
  g_assert_cmpuint (pinned->port, ==, 4433);
  g_assert_cmpstr (pinned->fingerprint, ==, "6871:1211:0e91:ecb3:09f6:6f51:d257:ccaa");
  pinned_text = es_relay_spec_to_string (pinned);
  g_assert_cmpstr (pinned_text, ==, "relay.example.org:4433#6871:1211:0e91:ecb3:09f6:6f51:d257:ccaa");

  g_assert_cmpstr (v6->host, ==, "::1");
  g_assert_null (v6->fingerprint);
  v6_text = es_relay_spec_to_string (v6);
  g_assert_cmpstr (v6_text, ==, "[::1]:9000");
}

static void
test_refused (void)
{
  const char *bad[] = { "relay", "relay:0", "relay:4433#", "relay:4433#abcd", "::1:4433",
                        "#6871:1211:0e91:ecb3:09f6:6f51:d257:ccaa" };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_null (es_relay_spec_parse (bad[i], &error));
      g_assert_error (error, ES_ERROR, ES_ERROR_INVALID_ARGUMENT);
    }
}

static void
test_pins_persist (void)
{
  g_autofree char *dir = g_dir_make_tmp ("earshot-pins-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "relays.json", NULL);
  g_autoptr(EsRelayPins) pins = es_relay_pins_new (path);
  g_autoptr(EsRelayPins) again = es_relay_pins_new (path);
  g_autoptr(GError) error = NULL;

  g_assert_true (es_relay_pins_load (pins, &error));
  g_assert_null (es_relay_pins_lookup (pins, "127.0.0.1:4433"));
  g_assert_true (es_relay_pins_remember (pins, "127.0.0.1:4433",
                                         "6871:1211:0e91:ecb3:09f6:6f51:d257:ccaa", &error));
  g_assert_no_error (error);

  g_assert_true (es_relay_pins_load (again, &error));
  g_assert_cmpstr (es_relay_pins_lookup (again, "127.0.0.1:4433"), ==,
                   "6871:1211:0e91:ecb3:09f6:6f51:d257:ccaa");

  /* A damaged file is an error naming it, and is kept as it was. */
  g_assert_true (g_file_set_contents (path, "{\"relays\": {\"x:1\": {\"fingerprint\": 7}}}", -1, NULL));
  g_assert_false (es_relay_pins_load (again, &error));
  g_assert_error (error, ES_ERROR, ES_ERROR_DAMAGED);
  g_assert_nonnull (strstr (error->message, path));
  g_assert_null (es_relay_pins_lookup (again, "127.0.0.1:4433"));

  g_unlink (path);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/relay-spec/parse", test_parse);
  g_test_add_func ("/relay-spec/refused", test_refused);
  g_test_add_func ("/relay-pins/persist", test_pins_persist);
  return g_test_run ();
}
