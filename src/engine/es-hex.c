/* es-hex.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsHex"

#include "es-hex.h"

#include <string.h>

gboolean
es_hex_decode_exact (const char *hex,
                     guint8     *bytes,
                     gsize       size)
{
  g_return_val_if_fail (bytes != NULL, FALSE);

  if (hex == NULL || strlen (hex) != size * 2)
    return FALSE;
  for (const char *p = hex; *p != '\0'; p++)
    if (!g_ascii_isdigit (*p) && !(*p >= 'a' && *p <= 'f'))
      return FALSE;
  for (gsize i = 0; i < size; i++)
    bytes[i] = (guint8) (g_ascii_xdigit_value (hex[2 * i]) << 4 |
                         g_ascii_xdigit_value (hex[2 * i + 1]));
  return TRUE;
}

char *
es_hex_encode (const guint8 *bytes,
               gsize         size)
{
  static const char digits[] = "0123456789abcdef";
  char *hex = g_malloc (size * 2 + 1);

  for (gsize i = 0; i < size; i++)
    {
      hex[2 * i] = digits[bytes[i] >> 4];
      hex[2 * i + 1] = digits[bytes[i] & 0xf];
    }
  hex[size * 2] = '\0';
  return hex;
}
