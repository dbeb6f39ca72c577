/* es-fingerprint.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsFingerprint"

#include "es-fingerprint.h"

#include <sodium.h>
#include <string.h>

#include "es-error.h"

void
es_fingerprint_from_public_key (const guint8 *public_key,
                                guint8       *fingerprint)
{
  guint8 digest[crypto_hash_sha256_BYTES];

  crypto_hash_sha256 (digest, public_key, ES_ED25519_PUBLIC_KEY_SIZE);
  memcpy (fingerprint, digest, ES_FINGERPRINT_SIZE);
}

char *
es_fingerprint_to_string (const guint8 *fingerprint)
{
  GString *text = g_string_sized_new (ES_FINGERPRINT_TEXT_LENGTH + 1);

  for (guint i = 0; i < ES_FINGERPRINT_SIZE; i += 2)
    {
      if (i > 0)
        g_string_append_c (text, ':');
      g_string_append_printf (text, "%02x%02x", fingerprint[i], fingerprint[i + 1]);
    }

  return g_string_free (text, FALSE);
}

char *
es_fingerprint_for_public_key (const guint8 *public_key)
{
  guint8 fingerprint[ES_FINGERPRINT_SIZE];

  es_fingerprint_from_public_key (public_key, fingerprint);
  return es_fingerprint_to_string (fingerprint);
}

/* Accepts 32 hex digits, with or without the colons of the written form,
 * in any case. Colons, when present, must sit between groups of four so that
 * a mistyped address is refused instead of silently reinterpreted. */
gboolean
es_fingerprint_parse (const char *text,
                      guint8     *fingerprint,
                      GError    **error)
{
  guint digits = 0;
  guint in_group = 0;
  gboolean has_colons;

  g_return_val_if_fail (text != NULL, FALSE);

  has_colons = strchr (text, ':') != NULL;

  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == ':')
        {
          if (in_group != 4)
            goto invalid;
          in_group = 0;
          continue;
        }
      if (!g_ascii_isxdigit (*p) || digits >= ES_FINGERPRINT_SIZE * 2)
        goto invalid;
      if (has_colons && in_group == 4)
        goto invalid;

      if (digits % 2 == 0)
        fingerprint[digits / 2] = (guint8) (g_ascii_xdigit_value (*p) << 4);
      else
        fingerprint[digits / 2] |= (guint8) g_ascii_xdigit_value (*p);
      digits++;
      in_group++;
    }

  if (digits == ES_FINGERPRINT_SIZE * 2 && (!has_colons || in_group == 4))
    return TRUE;

invalid:
  g_set_error (error, ES_ERROR, ES_ERROR_INVALID_ARGUMENT,
               "“%s” is not an Earshot address: expected 32 hex digits, "
               "written as 8 groups of 4 separated by colons", text);
  return FALSE;
}

char *
es_fingerprint_normalize (const char *text,
                          GError    **error)
{
  guint8 fingerprint[ES_FINGERPRINT_SIZE];

  if (!es_fingerprint_parse (text, fingerprint, error))
    return NULL;
  return es_fingerprint_to_string (fingerprint);
}
