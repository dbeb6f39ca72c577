/* Addresses as events and relay specs write them (DESIGN §10.5).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "es-address.h"
#include "es-error.h"

static void
test_round_trip (void)
{
  const char *forms[] = { "127.0.0.1:4433", "[::1]:9", "[2001:db8::100]:65535", "0.0.0.0:0" };

  for (guint i = 0; i < G_N_ELEMENTS (forms); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GInetSocketAddress) address = es_address_parse (forms[i], &error);
      g_autofree char *text = NULL;

      g_assert_no_error (error);
      text = es_address_to_string (address);
      g_assert_cmpstr (text, ==, forms[i]);
    }
}

static void
test_mapped_written_as_ipv4 (void)
{
  g_autoptr(GInetSocketAddress) mapped = es_address_parse ("[::ffff:192.0.2.7]:5000", NULL);
  g_autofree char *text = es_address_to_string (mapped);

  g_assert_cmpstr (text, ==, "192.0.2.7:5000");
}

static void
test_refused (void)
{
  const char *bad[] = { "", "127.0.0.1", "127.0.0.1:", ":80", "::1:80", "[::1]80", "[::1]:",
                        "127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:8x", "localhost:80",
                        "[::1:80" };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_null (es_address_parse (bad[i], &error));
      g_assert_error (error, ES_ERROR, ES_ERROR_INVALID_ARGUMENT);
    }
}

static void
test_host_names (void)
{
  g_autofree char *host = NULL;
  guint16 port = 0;

  g_assert_true (es_address_split_host_port ("relay.example.org:4433", &host, &port, NULL));
  g_assert_cmpstr (host, ==, "relay.example.org");
  g_assert_cmpuint (port, ==, 4433);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/address/round-trip", test_round_trip);
  g_test_add_func ("/address/mapped-written-as-ipv4", test_mapped_written_as_ipv4);
  g_test_add_func ("/address/refused", test_refused);
  g_test_add_func ("/address/host-names", test_host_names);
  return g_test_run ();
}
