/* Strict reading of JSON objects from the network: what json-glib accepts
 * but two readers could read differently, or that harms the reader.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "es-error.h"
#include "es-json.h"
#include "es-strict-json.h"

static char *
nested (guint depth)
{
  GString *text = g_string_new ("{\"a\":");

  for (guint i = 1; i < depth; i++)
    g_string_append_c (text, '[');
  for (guint i = 1; i < depth; i++)
    g_string_append_c (text, ']');
  g_string_append_c (text, '}');
  return g_string_free (text, FALSE);
}

static void
test_accepts (void)
{
  g_autofree char *deepest = nested (ES_STRICT_JSON_MAX_DEPTH);
  const char *texts[] = {
    "{}",
    " \t\r\n{\"a\":1} \n",
    "{\"a\":{\"b\":[1,2,{\"c\":\"}]\\\"{[\"}]},\"d\":\"ü\\u00fc\"}",
    "{\"escaped\":\"\\\\u0000 is text here\"}",
    "{\"a\":{\"k\":1},\"b\":{\"k\":2}}",
    "{\"n\":[9223372036854775807,-9223372036854775808,-0,1.5e3,-2.5E-3,0]}",
    deepest,
  };

  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonObject) object = es_strict_json_parse_object (texts[i], -1, &error);

      g_assert_no_error (error);
      g_assert_nonnull (object);
    }
}

static void
test_reads_the_given_length (void)
{
  const char text[] = "{\"a\":1}{\"b\":2}";
  g_autoptr(JsonObject) first = es_strict_json_parse_object (text, 7, NULL);
  gint64 value = 0;

  g_assert_nonnull (first);
  g_assert_true (es_json_get_int (first, "a", &value));
  g_assert_cmpint (value, ==, 1);
  g_assert_null (es_strict_json_parse_object (text, sizeof text - 1, NULL));
}

static void
test_refuses (void)
{
  g_autofree char *too_deep = nested (ES_STRICT_JSON_MAX_DEPTH + 1);
  const char nul[] = "{\"a\":\"x\0y\"}";
  const struct {
    const char *text;
    gssize length;
    const char *reason;
  } cases[] = {
    { "", -1, "is not a JSON object" },
    { "   ", -1, "is not a JSON object" },
    { "[1]", -1, "is not a JSON object" },
    { "\"text\"", -1, "is not a JSON object" },
    { "5", -1, "is not a JSON object" },
    { "{\"a\":1}{\"b\":2}", -1, "has more after the object" },
    { "{\"a\":1} [2]", -1, "has more after the object" },
    { "{\"a\":1} x", -1, "has more after the object" },
    { "{\"a\":1,\"b\":2,\"a\":3}", -1, "has the member “a” twice" },
    { "{\"o\":{\"x\":1,\"x\":1}}", -1, "has the member “x” twice" },
    { "{\"a\":[{\"y\":1,\"y\":2}]}", -1, "has the member “y” twice" },
    { too_deep, -1, "nests deeper than 32 levels" },
    { nul, sizeof nul - 1, "contains a NUL byte" },
    { "{\"a\":\"x\\u0000y\"}", -1, "contains the escape \\u0000" },
    { "{\"a\":\"\xff\"}", -1, "is not JSON" },
    { "{\"a\":99999999999999999999}", -1, "does not fit in 64 bits" },
    { "{\"a\":[1,-9223372036854775809]}", -1, "does not fit in 64 bits" },
    { "{\"a\":9223372036854775808}", -1, "does not fit in 64 bits" },
    { "{\"a\":1e999}", -1, "number out of range" },
    { "{\"a\":\"\\ud800x\"}", -1, "not UTF-8" },
    { "{\"\\ud800x\":1}", -1, "not UTF-8" },
    { "{\"a\":", -1, "is not JSON" },
    { "{\"a\":1", -1, "is not JSON" },
    { "{a:1}", -1, "is not JSON" },
    { "{]", -1, "is not JSON" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonObject) object = es_strict_json_parse_object (cases[i].text, cases[i].length,
                                                                   &error);

      if (object != NULL)
        g_error ("case %u was accepted", i);
      g_assert_error (error, ES_ERROR, ES_ERROR_PROTOCOL);
      if (strstr (error->message, cases[i].reason) == NULL)
        g_error ("case %u: “%s” does not say “%s”", i, error->message, cases[i].reason);
    }
}

int
main (int argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/strict-json/accepts", test_accepts);
  g_test_add_func ("/strict-json/reads-the-given-length", test_reads_the_given_length);
  g_test_add_func ("/strict-json/refuses", test_refuses);

  return g_test_run ();
}
