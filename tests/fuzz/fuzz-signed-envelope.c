/* Fuzz target: a signal message as a signed envelope (protocol.md §2.2):
 * the JSON text read strictly, the envelope parsed and verified against a
 * fixed key. With the stream decoder's target, this covers the signal
 * message parser.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdint.h>

#include "es-identity.h"
#include "es-signed-envelope.h"
#include "es-strict-json.h"

#define MAX_MESSAGE_SIZE (64 * 1024)

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* The seeds are signed by the identity of seed 00 01 … 1f (public key
 * 46705b2f…, tests/unit/test-identity.c), so mutations start from
 * envelopes that verify. */
static EsIdentity *
fixed_identity (void)
{
  static EsIdentity *identity;

  if (identity == NULL)
    {
      guint8 seed[ES_SEED_SIZE];

      for (guint i = 0; i < sizeof seed; i++)
        seed[i] = (guint8) i;
      identity = es_identity_new_from_seed (seed, NULL);
    }
  return identity;
}

/* What verifies must survive being sent on: the same bytes, signed. */
static void
check_resend (EsSignedEnvelope *envelope,
              const guint8     *key)
{
  g_autoptr(JsonObject) message = es_signed_envelope_to_json (envelope);
  g_autoptr(EsSignedEnvelope) again = es_signed_envelope_parse (message, NULL);

  g_assert_nonnull (again);
  g_assert_cmpstr (es_signed_envelope_get_body_text (again), ==,
                   es_signed_envelope_get_body_text (envelope));
  g_assert_true (es_signed_envelope_verify (again, key, NULL));
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(JsonObject) message = NULL;
  g_autoptr(EsSignedEnvelope) envelope = NULL;
  const guint8 *key = es_identity_get_public_key (fixed_identity ());
  guint8 body_key[ES_ED25519_PUBLIC_KEY_SIZE];

  if (size > MAX_MESSAGE_SIZE)
    return 0;
  message = es_strict_json_parse_object ((const char *) data, (gssize) size, NULL);
  if (message == NULL)
    return 0;

  envelope = es_signed_envelope_parse (message, NULL);
  if (envelope == NULL)
    return 0;
  if (es_signed_envelope_verify (envelope, key, NULL))
    check_resend (envelope, key);
  if (es_signed_envelope_verify_body_key (envelope, body_key, NULL))
    g_assert_cmpmem (body_key, sizeof body_key, key, ES_ED25519_PUBLIC_KEY_SIZE);
  g_free (es_signed_envelope_dup_body_sha256_hex (envelope));
  return 0;
}
