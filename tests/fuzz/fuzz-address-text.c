/* Fuzz target: addresses written as text by someone else. A relay spec
 * (HOST:PORT#FINGERPRINT) arrives in a relay's `registered` list of the
 * relays it knows; an earshot: link or a bare address is pasted from a chat.
 * Whatever parses must write back to text that parses to the same thing.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdint.h>

#include "es-earshot-uri.h"
#include "es-relay-spec.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
relay_spec_round_trip (const char *text)
{
  g_autoptr(EsRelaySpec) spec = es_relay_spec_parse (text, NULL);
  g_autoptr(EsRelaySpec) again = NULL;
  g_autofree char *written = NULL;

  if (spec == NULL)
    return;
  written = es_relay_spec_to_string (spec);
  again = es_relay_spec_parse (written, NULL);
  g_assert_nonnull (again);
  g_assert_cmpstr (again->host, ==, spec->host);
  g_assert_cmpuint (again->port, ==, spec->port);
  g_assert_cmpstr (again->fingerprint, ==, spec->fingerprint);
}

static void
earshot_uri_round_trip (const char *text)
{
  g_autofree char *fingerprint = NULL;
  g_autofree char *name = NULL;
  g_autofree char *link = NULL;
  g_autofree char *fingerprint_again = NULL;
  g_autofree char *name_again = NULL;

  if (!es_earshot_uri_parse (text, &fingerprint, &name, NULL))
    return;
  link = es_earshot_uri_build (fingerprint, name);
  g_assert_true (es_earshot_uri_parse (link, &fingerprint_again, &name_again, NULL));
  g_assert_cmpstr (fingerprint_again, ==, fingerprint);
  g_assert_cmpstr (name_again, ==, name);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);

  /* Text with a NUL inside is cut there by every caller. */
  relay_spec_round_trip (text);
  earshot_uri_round_trip (text);
  return 0;
}
