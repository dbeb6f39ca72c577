/* es-gateway.c
 *
 * /proc/net/route and /proc/net/ipv6_route rather than netlink: one read of
 * a text file, no socket, and the same code runs on the unit tests' text.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsGateway"

#include "es-gateway.h"

#include <net/if.h>
#include <stdlib.h>
#include <string.h>

#include "es-error.h"

/* From <linux/route.h>; the IPv6 table uses the same bits. */
#define ROUTE_UP      0x0001
#define ROUTE_GATEWAY 0x0002

#define IPV4_COLUMNS 11
#define IPV6_COLUMNS 10
#define IPV6_HEX_LENGTH 32

void
es_gateway_free (EsGateway *self)
{
  if (self == NULL)
    return;
  g_clear_object (&self->address);
  g_free (self->interface);
  g_free (self);
}

char **
es_gateway_allowed_interfaces (void)
{
  const char *value = g_getenv ("EARSHOT_INTERFACES");
  g_auto(GStrv) parts = NULL;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  if (value == NULL)
    return NULL;
  parts = g_strsplit (value, ",", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      g_strstrip (parts[i]);
      if (parts[i][0] != '\0')
        g_strv_builder_add (builder, parts[i]);
    }
  /* Set but empty allows nothing, which is what the user asked for. */
  return g_strv_builder_end (builder);
}

static gboolean
interface_allowed (const char         *name,
                   const char * const *allowed)
{
  return allowed == NULL || g_strv_contains (allowed, name);
}

static gboolean
parse_hex32 (const char *text,
             guint32    *value)
{
  char *end = NULL;
  guint64 parsed;

  if (strlen (text) != 8 && strlen (text) != 4)
    return FALSE;
  parsed = g_ascii_strtoull (text, &end, 16);
  if (end == text || *end != '\0' || parsed > G_MAXUINT32)
    return FALSE;
  *value = (guint32) parsed;
  return TRUE;
}

static gboolean
parse_hex_bytes (const char *text,
                 guint8     *bytes,
                 gsize       n_bytes)
{
  if (strlen (text) != n_bytes * 2)
    return FALSE;
  for (gsize i = 0; i < n_bytes; i++)
    {
      int high = g_ascii_xdigit_value (text[2 * i]);
      int low = g_ascii_xdigit_value (text[2 * i + 1]);

      if (high < 0 || low < 0)
        return FALSE;
      bytes[i] = (guint8) (high << 4 | low);
    }
  return TRUE;
}

static void
keep_best (EsGateway  **best,
           GInetAddress *address,
           const char   *interface,
           guint32       metric)
{
  if (*best != NULL && (*best)->metric <= metric)
    return;
  es_gateway_free (*best);
  *best = g_new0 (EsGateway, 1);
  (*best)->address = g_object_ref (address);
  (*best)->interface = g_strdup (interface);
  (*best)->metric = metric;
}

static EsGateway *
finish_search (EsGateway   *best,
               gboolean     damaged,
               const char  *family,
               GError     **error)
{
  if (best != NULL)
    return best;
  if (damaged)
    g_set_error (error, ES_ERROR, ES_ERROR_DAMAGED,
                 "the %s routing table has a line that is not a route", family);
  else
    g_set_error (error, ES_ERROR, ES_ERROR_NOT_FOUND, "no %s default route", family);
  return NULL;
}

/* Iface Destination Gateway Flags RefCnt Use Metric Mask MTU Window IRTT,
 * addresses as the hex of their bytes read as a host-order integer. */
EsGateway *
es_gateway_parse_ipv4_routes (const char         *text,
                              const char * const *allowed,
                              GError            **error)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  EsGateway *best = NULL;
  gboolean damaged = FALSE;

  for (guint i = 1; lines[0] != NULL && lines[i] != NULL; i++)
    {
      g_auto(GStrv) columns = g_strsplit_set (g_strstrip (lines[i]), " \t", -1);
      g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
      g_auto(GStrv) fields = NULL;
      g_autoptr(GInetAddress) address = NULL;
      guint32 destination, gateway, flags, metric, mask;

      if (lines[i][0] == '\0')
        continue;
      for (guint c = 0; columns[c] != NULL; c++)
        if (columns[c][0] != '\0')
          g_strv_builder_add (builder, columns[c]);
      fields = g_strv_builder_end (builder);
      if (g_strv_length (fields) < IPV4_COLUMNS ||
          !parse_hex32 (fields[1], &destination) || !parse_hex32 (fields[2], &gateway) ||
          !parse_hex32 (fields[3], &flags) || !parse_hex32 (fields[7], &mask))
        {
          damaged = TRUE;
          continue;
        }
      metric = (guint32) g_ascii_strtoull (fields[6], NULL, 10);
      if (destination != 0 || mask != 0 || gateway == 0 ||
          (flags & (ROUTE_UP | ROUTE_GATEWAY)) != (ROUTE_UP | ROUTE_GATEWAY) ||
          !interface_allowed (fields[0], allowed))
        continue;
      /* The kernel prints the address in host order; on the wire it is the
       * same four bytes as they sit in memory. */
      address = g_inet_address_new_from_bytes ((const guint8 *) &gateway, G_SOCKET_FAMILY_IPV4);
      keep_best (&best, address, fields[0], metric);
    }
  return finish_search (best, damaged, "IPv4", error);
}

/* dest dest_len src src_len next_hop metric refcnt use flags iface, all hex. */
EsGateway *
es_gateway_parse_ipv6_routes (const char         *text,
                              const char * const *allowed,
                              GError            **error)
{
  static const guint8 zero[16] = { 0 };
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  EsGateway *best = NULL;
  gboolean damaged = FALSE;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
      g_auto(GStrv) columns = g_strsplit_set (g_strstrip (lines[i]), " \t", -1);
      g_auto(GStrv) fields = NULL;
      g_autoptr(GInetAddress) address = NULL;
      guint8 destination[16], next_hop[16];
      guint32 destination_length, metric, flags;

      if (lines[i][0] == '\0')
        continue;
      for (guint c = 0; columns[c] != NULL; c++)
        if (columns[c][0] != '\0')
          g_strv_builder_add (builder, columns[c]);
      fields = g_strv_builder_end (builder);
      if (g_strv_length (fields) < IPV6_COLUMNS ||
          !parse_hex_bytes (fields[0], destination, sizeof destination) ||
          !parse_hex_bytes (fields[4], next_hop, sizeof next_hop) ||
          strlen (fields[1]) != 2 || !parse_hex32 (fields[5], &metric) ||
          !parse_hex32 (fields[8], &flags))
        {
          damaged = TRUE;
          continue;
        }
      destination_length = (guint32) g_ascii_strtoull (fields[1], NULL, 16);
      if (destination_length != 0 || memcmp (destination, zero, sizeof zero) != 0 ||
          memcmp (next_hop, zero, sizeof zero) == 0 ||
          (flags & (ROUTE_UP | ROUTE_GATEWAY)) != (ROUTE_UP | ROUTE_GATEWAY) ||
          !interface_allowed (fields[9], allowed))
        continue;
      address = g_inet_address_new_from_bytes (next_hop, G_SOCKET_FAMILY_IPV6);
      keep_best (&best, address, fields[9], metric);
    }
  return finish_search (best, damaged, "IPv6", error);
}

EsGateway *
es_gateway_find_default (GSocketFamily   family,
                         GError        **error)
{
  const char *path = family == G_SOCKET_FAMILY_IPV6 ? "/proc/net/ipv6_route" : "/proc/net/route";
  g_auto(GStrv) allowed = es_gateway_allowed_interfaces ();
  g_autofree char *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, error))
    return NULL;
  if (family == G_SOCKET_FAMILY_IPV6)
    return es_gateway_parse_ipv6_routes (text, (const char * const *) allowed, error);
  return es_gateway_parse_ipv4_routes (text, (const char * const *) allowed, error);
}

GInetSocketAddress *
es_gateway_socket_address (const EsGateway *self,
                           guint16          port)
{
  guint scope = 0;

  if (g_inet_address_get_is_link_local (self->address))
    scope = if_nametoindex (self->interface);
  return g_object_new (G_TYPE_INET_SOCKET_ADDRESS,
                       "address", self->address,
                       "port", (guint) port,
                       "scope-id", scope,
                       NULL);
}
