/* earshot: links: what the app shares and what it accepts when pasted.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "es-earshot-uri.h"
#include "es-error.h"

#define FP "0123:4567:89ab:cdef:0123:4567:89ab:cdef"

static void
test_round_trip (void)
{
  g_autofree char *uri = es_earshot_uri_build (FP, "Zoë & Co");
  g_autofree char *fingerprint = NULL;
  g_autofree char *name = NULL;

  g_assert_cmpstr (uri, ==, "earshot:0123456789abcdef0123456789abcdef?name=Zo%C3%AB%20%26%20Co");
  g_assert_true (es_earshot_uri_parse (uri, &fingerprint, &name, NULL));
  g_assert_cmpstr (fingerprint, ==, FP);
  g_assert_cmpstr (name, ==, "Zoë & Co");
}

static void
test_accepted_forms (void)
{
  const char *forms[] = {
    FP, "  " FP "\n", "0123456789ABCDEF0123456789ABCDEF", "earshot:" FP, "EARSHOT:" FP,
    "earshot://0123456789abcdef0123456789abcdef", "earshot:" FP "?later=1",
  };

  for (guint i = 0; i < G_N_ELEMENTS (forms); i++)
    {
      g_autofree char *fingerprint = NULL;
      g_autofree char *name = NULL;
      g_autoptr(GError) error = NULL;

      g_assert_true (es_earshot_uri_parse (forms[i], &fingerprint, &name, &error));
      g_assert_no_error (error);
      g_assert_cmpstr (fingerprint, ==, FP);
      g_assert_null (name);
    }
}

static void
test_refused_forms (void)
{
  const char *forms[] = {
    "", "earshot:", "earshot:0123", "mailto:" FP, FP "0", "0123:4567:89ab:cdef:0123:4567:89ab:cde",
    "earshot:" FP "?name=%FF%FE",
  };

  for (guint i = 0; i < G_N_ELEMENTS (forms); i++)
    {
      g_autofree char *fingerprint = NULL;
      g_autoptr(GError) error = NULL;

      g_assert_false (es_earshot_uri_parse (forms[i], &fingerprint, NULL, &error));
      g_assert_error (error, ES_ERROR, ES_ERROR_INVALID_ARGUMENT);
      g_assert_null (fingerprint);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/earshot-uri/round-trip", test_round_trip);
  g_test_add_func ("/earshot-uri/accepted-forms", test_accepted_forms);
  g_test_add_func ("/earshot-uri/refused-forms", test_refused_forms);
  return g_test_run ();
}
