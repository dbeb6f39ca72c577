/* es-earshot-uri.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "es-earshot-uri.h"

#include <string.h>

#include "es-error.h"
#include "es-fingerprint.h"

#define SCHEME "earshot:"
#define MAX_NAME_LENGTH 200

char *
es_earshot_uri_build (const char *fingerprint,
                      const char *name)
{
  g_autoptr(GString) uri = g_string_new (SCHEME);

  g_return_val_if_fail (fingerprint != NULL, NULL);

  for (const char *p = fingerprint; *p != '\0'; p++)
    if (g_ascii_isxdigit (*p))
      g_string_append_c (uri, g_ascii_tolower (*p));
  if (name != NULL && name[0] != '\0')
    {
      g_string_append (uri, "?name=");
      g_string_append_uri_escaped (uri, name, NULL, FALSE);
    }
  return g_string_free (g_steal_pointer (&uri), FALSE);
}

static char *
parse_query_name (const char  *query,
                  GError     **error)
{
  g_auto(GStrv) pairs = g_strsplit (query, "&", -1);

  for (guint i = 0; pairs[i] != NULL; i++)
    {
      g_autofree char *name = NULL;

      if (!g_str_has_prefix (pairs[i], "name="))
        continue;   /* parameters of later versions */
      name = g_uri_unescape_string (pairs[i] + strlen ("name="), NULL);
      if (name == NULL || !g_utf8_validate (name, -1, NULL) ||
          g_utf8_strlen (name, -1) > MAX_NAME_LENGTH)
        {
          g_set_error_literal (error, ES_ERROR, ES_ERROR_INVALID_ARGUMENT,
                               "the name in this link is not readable text");
          return NULL;
        }
      g_strstrip (name);
      return name[0] != '\0' ? g_steal_pointer (&name) : NULL;
    }
  return NULL;
}

gboolean
es_earshot_uri_parse (const char  *text,
                      char       **fingerprint,
                      char       **name,
                      GError     **error)
{
  g_autofree char *trimmed = NULL;
  g_autofree char *canonical = NULL;
  g_autofree char *found_name = NULL;
  char *address;
  char *query;

  g_return_val_if_fail (text != NULL, FALSE);

  trimmed = g_strstrip (g_strdup (text));
  address = trimmed;
  if (g_ascii_strncasecmp (address, SCHEME, strlen (SCHEME)) == 0)
    {
      address += strlen (SCHEME);
      /* Some apps turn "scheme:x" into "scheme://x". */
      while (*address == '/')
        address++;
      query = strchr (address, '?');
      if (query != NULL)
        {
          *query++ = '\0';
          found_name = parse_query_name (query, error);
          if (found_name == NULL && error != NULL && *error != NULL)
            return FALSE;
        }
    }

  canonical = es_fingerprint_normalize (address, error);
  if (canonical == NULL)
    return FALSE;
  if (fingerprint != NULL)
    *fingerprint = g_steal_pointer (&canonical);
  if (name != NULL)
    *name = g_steal_pointer (&found_name);
  return TRUE;
}
