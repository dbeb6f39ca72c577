/* es-json.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsJson"

#include "es-json.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "es-error.h"
#include "es-strict-json.h"

static JsonNode *
get_value_node (JsonObject *object,
                const char *member,
                GType       type)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != type)
    return NULL;
  return node;
}

const char *
es_json_get_string (JsonObject *object,
                    const char *member)
{
  JsonNode *node = get_value_node (object, member, G_TYPE_STRING);

  return node != NULL ? json_node_get_string (node) : NULL;
}

gboolean
es_json_get_int (JsonObject *object,
                 const char *member,
                 gint64     *value)
{
  JsonNode *node = get_value_node (object, member, G_TYPE_INT64);

  if (node == NULL)
    return FALSE;
  *value = json_node_get_int (node);
  return TRUE;
}

gboolean
es_json_get_boolean (JsonObject *object,
                     const char *member,
                     gboolean   *value)
{
  JsonNode *node = get_value_node (object, member, G_TYPE_BOOLEAN);

  if (node == NULL)
    return FALSE;
  *value = json_node_get_boolean (node);
  return TRUE;
}

JsonObject *
es_json_get_object (JsonObject *object,
                    const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

JsonArray *
es_json_get_array (JsonObject *object,
                   const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

static void
append_string (GString    *out,
               const char *text)
{
  g_string_append_c (out, '"');
  for (const char *c = text; *c != '\0'; c++)
    {
      if (*c == '"' || *c == '\\')
        g_string_append_printf (out, "\\%c", *c);
      else if ((guchar) *c < 0x20)
        g_string_append_printf (out, "\\u%04x", (guchar) *c);
      else
        g_string_append_c (out, *c);
    }
  g_string_append_c (out, '"');
}

static gboolean
append_double (GString *out,
               double   value)
{
  char number[G_ASCII_DTOSTR_BUF_SIZE];

  if (!isfinite (value))
    return FALSE;
  g_ascii_dtostr (number, sizeof number, value);
  g_string_append (out, number);
  /* Still a double when it is read back. */
  if (strpbrk (number, ".e") == NULL)
    g_string_append (out, ".0");
  return TRUE;
}

static gboolean append_node (GString  *out,
                             JsonNode *node);

/* Members in the order they were added: events and messages read better
 * with "type" or "event" first. */
static gboolean
append_object (GString    *out,
               JsonObject *object)
{
  g_autoptr(GList) names = json_object_get_members (object);
  gboolean ok = TRUE;

  g_string_append_c (out, '{');
  for (GList *l = names; l != NULL && ok; l = l->next)
    {
      if (l != names)
        g_string_append_c (out, ',');
      append_string (out, l->data);
      g_string_append_c (out, ':');
      ok = append_node (out, json_object_get_member (object, l->data));
    }
  g_string_append_c (out, '}');
  return ok;
}

static gboolean
append_array (GString   *out,
              JsonArray *array)
{
  g_string_append_c (out, '[');
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      if (!append_node (out, json_array_get_element (array, i)))
        return FALSE;
    }
  g_string_append_c (out, ']');
  return TRUE;
}

static gboolean
append_value (GString  *out,
              JsonNode *node)
{
  switch (json_node_get_value_type (node))
    {
    case G_TYPE_INT64:
      g_string_append_printf (out, "%" G_GINT64_FORMAT, json_node_get_int (node));
      return TRUE;
    case G_TYPE_DOUBLE:
      return append_double (out, json_node_get_double (node));
    case G_TYPE_BOOLEAN:
      g_string_append (out, json_node_get_boolean (node) ? "true" : "false");
      return TRUE;
    case G_TYPE_STRING:
      append_string (out, json_node_get_string (node));
      return TRUE;
    default:
      return FALSE;
    }
}

static gboolean
append_node (GString  *out,
             JsonNode *node)
{
  switch (json_node_get_node_type (node))
    {
    case JSON_NODE_OBJECT:
      return append_object (out, json_node_get_object (node));
    case JSON_NODE_ARRAY:
      return append_array (out, json_node_get_array (node));
    case JSON_NODE_VALUE:
      return append_value (out, node);
    case JSON_NODE_NULL:
    default:
      g_string_append (out, "null");
      return TRUE;
    }
}

/* Not json_generator: json-glib 1.6 writes a double in exponent form as
 * "1e+160.0", which no JSON parser (its own included) reads back, and
 * infinity as "inf.0". */
char *
es_json_write (JsonObject *object,
               GError    **error)
{
  g_autoptr(GString) out = g_string_new (NULL);

  if (!append_object (out, object))
    {
      g_set_error_literal (error, ES_ERROR, ES_ERROR_INVALID_ARGUMENT,
                           "JSON cannot carry this number (infinity or NaN)");
      return NULL;
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

char *
es_json_to_string (JsonObject *object)
{
  g_autoptr(GError) error = NULL;
  char *text = es_json_write (object, &error);

  /* Only the engine's own objects come here: a NaN in one is a bug. */
  if (text == NULL)
    g_critical ("%s", error->message);
  return text != NULL ? text : g_strdup ("{}");
}

JsonObject *
es_json_from_string (const char *text,
                     gssize      length,
                     GError    **error)
{
  return es_strict_json_parse_object (text, length, error);
}

JsonObject *
es_json_new_message (const char *type)
{
  JsonObject *message = json_object_new ();

  json_object_set_string_member (message, "type", type);
  json_object_set_int_member (message, "v", 1);
  return message;
}

JsonObject *
es_json_new_event (const char *name)
{
  JsonObject *event = json_object_new ();

  json_object_set_string_member (event, "event", name);
  return event;
}

void
es_json_print_line (JsonObject *object)
{
  g_autofree char *line = es_json_to_string (object);

  fputs (line, stdout);
  fputc ('\n', stdout);
  fflush (stdout);
}
