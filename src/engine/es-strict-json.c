/* es-strict-json.c
 *
 * Three steps. A scan of the text (strings, nesting, integers, what follows
 * the object) runs before json-glib sees anything, because json-glib 1.6
 * accepts several top-level values (keeping the first, leaking the others),
 * recurses once per nesting level and wraps integers wider than 64 bits.
 * Then json-glib parses, and its member signals reveal duplicate names,
 * which it would silently replace. Last, a walk over the values refuses
 * what it decoded into something no writer meant.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsStrictJson"

#include "es-strict-json.h"

#include <math.h>
#include <string.h>

#include "es-error.h"

static gboolean
is_json_whitespace (char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static gboolean
fail (GError     **error,
      const char  *message)
{
  g_set_error_literal (error, ES_ERROR, ES_ERROR_PROTOCOL, message);
  return FALSE;
}

static gboolean
is_hex4 (const char *text)
{
  for (guint i = 0; i < 4; i++)
    if (!g_ascii_isxdigit (text[i]))
      return FALSE;
  return TRUE;
}

/* The length of the number token at text, and whether it is an integer
 * that fits in 64 bits: json-glib wraps wider ones around silently. */
static gsize
scan_number (const char *text,
             gsize       length,
             gboolean   *fits)
{
  char integer[24];
  gboolean is_integer = TRUE;
  gsize end = 0;

  for (; end < length; end++)
    {
      char c = text[end];

      if (c == '.' || c == 'e' || c == 'E')
        is_integer = FALSE;
      else if (!g_ascii_isdigit (c) && c != '-' && c != '+')
        break;
    }
  *fits = !is_integer;
  if (is_integer && end < sizeof integer)
    {
      memcpy (integer, text, end);
      integer[end] = '\0';
      *fits = g_ascii_string_to_signed (integer, 10, G_MININT64, G_MAXINT64, NULL, NULL);
    }
  return end;
}

/* Where the object that starts at text[start] ends (one past its closing
 * brace), or length if it does not: json-glib then reports the error. */
static gboolean
scan_object (const char  *text,
             gsize        length,
             gsize        start,
             gsize       *end,
             GError     **error)
{
  guint depth = 0;
  gboolean in_string = FALSE;
  gboolean escaped = FALSE;

  for (gsize i = start; i < length; i++)
    {
      char c = text[i];

      if (in_string)
        {
          /* json-glib 1.6 reads raw control characters and unknown escapes
           * inside strings: RFC 8259 is checked here. */
          if ((guchar) c < 0x20)
            return fail (error, "has a control character inside a string");
          if (escaped && strchr ("\"\\/bfnrtu", c) == NULL)
            return fail (error, "has an unknown escape inside a string");
          if (escaped && c == 'u' && (length - i <= 4 || !is_hex4 (text + i + 1)))
            return fail (error, "has a malformed \\u escape");
          if (escaped && c == 'u' && memcmp (text + i + 1, "0000", 4) == 0)
            return fail (error, "contains the escape \\u0000");
          if (escaped)
            escaped = FALSE;
          else if (c == '\\')
            escaped = TRUE;
          else if (c == '"')
            in_string = FALSE;
          continue;
        }
      if (c == '"')
        in_string = TRUE;
      else if (c == '-' || g_ascii_isdigit (c))
        {
          gboolean fits;

          i += scan_number (text + i, length - i, &fits) - 1;
          if (!fits)
            return fail (error, "has an integer that does not fit in 64 bits");
        }
      else if ((c == '{' || c == '[') && ++depth > ES_STRICT_JSON_MAX_DEPTH)
        return fail (error, "nests deeper than " G_STRINGIFY (ES_STRICT_JSON_MAX_DEPTH) " levels");
      else if ((c == '}' || c == ']') && --depth == 0)
        {
          *end = i + 1;
          return TRUE;
        }
    }
  *end = length;
  return TRUE;
}

static gboolean
check_framing (const char  *text,
               gsize        length,
               GError     **error)
{
  gsize start = 0;
  gsize end = 0;

  if (memchr (text, '\0', length) != NULL)
    return fail (error, "contains a NUL byte");
  while (start < length && is_json_whitespace (text[start]))
    start++;
  if (start == length || text[start] != '{')
    return fail (error, "is not a JSON object");
  if (!scan_object (text, length, start, &end, error))
    return FALSE;
  for (gsize i = end; i < length; i++)
    if (!is_json_whitespace (text[i]))
      return fail (error, "has more after the object");
  return TRUE;
}

/* What json-glib decodes but cannot mean the same to every reader: a lone
 * surrogate escape becomes invalid UTF-8, 1e999 becomes infinity. The depth
 * is bounded by the scan, so recursion is safe. */
static gboolean
values_are_sound (JsonNode *node)
{
  JsonObjectIter iter;
  const char *name;
  JsonNode *member;
  JsonArray *array;

  switch (json_node_get_node_type (node))
    {
    case JSON_NODE_OBJECT:
      json_object_iter_init (&iter, json_node_get_object (node));
      while (json_object_iter_next (&iter, &name, &member))
        if (!g_utf8_validate (name, -1, NULL) || !values_are_sound (member))
          return FALSE;
      return TRUE;
    case JSON_NODE_ARRAY:
      array = json_node_get_array (node);
      for (guint i = 0; i < json_array_get_length (array); i++)
        if (!values_are_sound (json_array_get_element (array, i)))
          return FALSE;
      return TRUE;
    case JSON_NODE_VALUE:
      if (json_node_get_value_type (node) == G_TYPE_STRING)
        return g_utf8_validate (json_node_get_string (node), -1, NULL);
      if (json_node_get_value_type (node) == G_TYPE_DOUBLE)
        return isfinite (json_node_get_double (node));
      return TRUE;
    case JSON_NODE_NULL:
    default:
      return TRUE;
    }
}

typedef struct
{
  GHashTable *members_seen; /* JsonObject * → number of members parsed so far */
  char *duplicate;
} DuplicateCheck;

static void
on_object_member (JsonParser     *parser,
                  JsonObject     *object,
                  const char     *member,
                  DuplicateCheck *check)
{
  guint seen = GPOINTER_TO_UINT (g_hash_table_lookup (check->members_seen, object)) + 1;

  g_hash_table_insert (check->members_seen, object, GUINT_TO_POINTER (seen));
  if (seen != json_object_get_size (object) && check->duplicate == NULL)
    check->duplicate = g_strdup (member);
}

static void
on_object_end (JsonParser     *parser,
               JsonObject     *object,
               DuplicateCheck *check)
{
  g_hash_table_remove (check->members_seen, object);
}

JsonObject *
es_strict_json_parse_object (const char  *text,
                             gssize       length,
                             GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GHashTable) members_seen = g_hash_table_new (NULL, NULL);
  g_autoptr(GError) parse_error = NULL;
  g_autofree char *duplicate = NULL;
  DuplicateCheck check = { members_seen, NULL };
  JsonNode *root;
  gsize size;
  gboolean parsed;

  g_return_val_if_fail (text != NULL, NULL);

  size = length < 0 ? strlen (text) : (gsize) length;
  if (!check_framing (text, size, error))
    return NULL;

  g_signal_connect (parser, "object-member", G_CALLBACK (on_object_member), &check);
  g_signal_connect (parser, "object-end", G_CALLBACK (on_object_end), &check);
  parsed = json_parser_load_from_data (parser, text, (gssize) size, &parse_error);
  duplicate = check.duplicate;
  if (!parsed)
    {
      g_set_error (error, ES_ERROR, ES_ERROR_PROTOCOL, "is not JSON: %s", parse_error->message);
      return NULL;
    }
  if (duplicate != NULL)
    {
      g_set_error (error, ES_ERROR, ES_ERROR_PROTOCOL, "has the member “%s” twice", duplicate);
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (!values_are_sound (root))
    {
      g_set_error_literal (error, ES_ERROR, ES_ERROR_PROTOCOL,
                           "has a string that is not UTF-8 or a number out of range");
      return NULL;
    }
  return json_object_ref (json_node_get_object (root));
}
