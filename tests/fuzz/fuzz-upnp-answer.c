/* Fuzz target: what Earshot reads of a UPnP IGD's answers. gupnp-igd and
 * GUPnP parse SSDP and the SOAP replies themselves (DESIGN §11); what comes
 * out of them to our code is the external address an IGD claims, as text,
 * and the external port of a mapping. Input: two bytes of port (big-endian),
 * then the address text.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdint.h>

#include "es-error.h"
#include "es-upnp-mapper.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *text = NULL;
  g_autoptr(GInetAddress) address = NULL;
  g_autoptr(EsPortMapping) mapping = NULL;
  g_autoptr(GError) error = NULL;
  guint port;

  if (size < 2)
    return 0;
  port = (guint) data[0] << 8 | data[1];
  text = g_strndup ((const char *) data + 2, size - 2);

  address = es_upnp_parse_external_address (text, &error);
  if (address != NULL)
    {
      g_autofree char *written = g_inet_address_to_string (address);
      g_autoptr(GInetAddress) again = es_upnp_parse_external_address (written, NULL);

      g_assert_no_error (error);
      g_assert_cmpint (g_inet_address_get_family (address), ==, G_SOCKET_FAMILY_IPV4);
      g_assert_false (g_inet_address_get_is_any (address));
      g_assert_false (g_inet_address_get_is_loopback (address));
      g_assert_false (g_inet_address_get_is_multicast (address));
      g_assert_true (again != NULL && g_inet_address_equal (again, address));
    }
  else
    g_assert_error (error, ES_ERROR, ES_ERROR_PROTOCOL);
  g_clear_error (&error);

  mapping = es_upnp_mapping_from_report (text, port, 40000, 7200, &error);
  if (mapping != NULL)
    {
      g_assert_nonnull (address);
      g_assert_cmpuint (g_inet_socket_address_get_port (mapping->external), ==, port);
      g_assert_cmpint (mapping->protocol, ==, ES_PORT_MAP_PROTOCOL_UPNP);
    }
  else
    g_assert_true (address == NULL || port == 0);
  return 0;
}
