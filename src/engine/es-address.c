/* es-address.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsAddress"

#include "es-address.h"

#include <stdlib.h>
#include <string.h>

#include "es-error.h"

GInetSocketAddress *
es_address_unmap (GInetSocketAddress *address)
{
  GInetAddress *ip = g_inet_socket_address_get_address (address);
  const guint8 *bytes;
  g_autoptr(GInetAddress) v4 = NULL;
  static const guint8 mapped_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

  if (g_inet_address_get_family (ip) != G_SOCKET_FAMILY_IPV6)
    return g_object_ref (address);
  bytes = g_inet_address_to_bytes (ip);
  if (memcmp (bytes, mapped_prefix, sizeof mapped_prefix) != 0)
    return g_object_ref (address);

  v4 = g_inet_address_new_from_bytes (bytes + 12, G_SOCKET_FAMILY_IPV4);
  return G_INET_SOCKET_ADDRESS (g_inet_socket_address_new (v4,
                                  g_inet_socket_address_get_port (address)));
}

char *
es_address_to_string (GInetSocketAddress *address)
{
  g_autoptr(GInetSocketAddress) plain = es_address_unmap (address);
  GInetAddress *ip = g_inet_socket_address_get_address (plain);
  g_autofree char *text = g_inet_address_to_string (ip);
  guint16 port = g_inet_socket_address_get_port (plain);

  if (g_inet_address_get_family (ip) == G_SOCKET_FAMILY_IPV6)
    return g_strdup_printf ("[%s]:%u", text, port);
  return g_strdup_printf ("%s:%u", text, port);
}

/* RFC 1123 host names: dot-separated labels of letters, digits and inner
 * hyphens, 63 characters a label, 253 in all (a trailing dot allowed). */
static gboolean
is_host_name (const char *name)
{
  gsize label = 0;
  gsize length = strlen (name);

  if (length == 0 || length > 253)
    return FALSE;
  for (const char *c = name; *c != '\0'; c++)
    {
      if (*c == '.')
        {
          if (label == 0 || c[-1] == '-')
            return FALSE;
          label = 0;
        }
      else if (g_ascii_isalnum (*c) || (*c == '-' && label > 0))
        {
          if (++label > 63)
            return FALSE;
        }
      else
        return FALSE;
    }
  return label == 0 || name[length - 1] != '-';
}

gboolean
es_address_split_host_port (const char *text,
                            char      **host,
                            guint16    *port,
                            GError    **error)
{
  const char *colon;
  g_autofree char *name = NULL;
  char *end = NULL;
  guint64 number;

  if (text[0] == '[')
    {
      const char *close = strchr (text, ']');

      if (close == NULL || close[1] != ':')
        goto invalid;
      name = g_strndup (text + 1, close - text - 1);
      colon = close + 1;
    }
  else
    {
      colon = strrchr (text, ':');
      if (colon == NULL || memchr (text, ':', colon - text) != NULL)
        goto invalid;
      name = g_strndup (text, colon - text);
    }

  if (colon[1] == '\0' || !g_ascii_isdigit (colon[1]))
    goto invalid;
  /* Brackets hold an IPv6 address and nothing else; without them, an IPv4
   * address or a host name. */
  if (text[0] == '[' ? !(g_hostname_is_ip_address (name) && strchr (name, ':') != NULL)
                     : !(g_hostname_is_ip_address (name) || is_host_name (name)))
    goto invalid;
  number = g_ascii_strtoull (colon + 1, &end, 10);
  if (*end != '\0' || number > 65535)
    goto invalid;

  *host = g_steal_pointer (&name);
  *port = (guint16) number;
  return TRUE;

invalid:
  g_set_error (error, ES_ERROR, ES_ERROR_INVALID_ARGUMENT,
               "“%s” is not an address: expected HOST:PORT, or [IPv6]:PORT", text);
  return FALSE;
}

GInetSocketAddress *
es_address_parse (const char *text,
                  GError    **error)
{
  g_autofree char *host = NULL;
  g_autoptr(GInetAddress) ip = NULL;
  guint16 port;

  if (!es_address_split_host_port (text, &host, &port, error))
    return NULL;
  ip = g_inet_address_new_from_string (host);
  if (ip == NULL)
    {
      g_set_error (error, ES_ERROR, ES_ERROR_INVALID_ARGUMENT,
                   "“%s” is not a numeric IP address", host);
      return NULL;
    }
  return G_INET_SOCKET_ADDRESS (g_inet_socket_address_new (ip, port));
}
