/* Fuzz target: a peer's candidate as it arrives inside a signed offer,
 * answer or candidates update (the body is parsed strictly first, as the
 * call does), with the NAT description a reflexive candidate may carry.
 * What is accepted must survive a round trip to JSON and back unchanged.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdint.h>

#include "es-candidate.h"
#include "es-json.h"
#include "es-port-allocation.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(JsonObject) object = es_json_from_string ((const char *) data, (gssize) size, NULL);
  g_autoptr(EsCandidate) candidate = NULL;
  g_autoptr(JsonObject) written = NULL;
  g_autoptr(JsonObject) nat_written = json_object_new ();
  g_autoptr(EsCandidate) again = NULL;
  EsNatBehaviour nat, nat_again;

  if (object == NULL)
    return 0;
  es_nat_behaviour_from_json (&nat, object);
  es_nat_behaviour_to_json (&nat, nat_written);
  es_nat_behaviour_from_json (&nat_again, nat_written);
  g_assert_true (es_nat_behaviour_equal (&nat, &nat_again));

  candidate = es_candidate_from_json (object, NULL);
  if (candidate == NULL)
    return 0;
  written = es_candidate_to_json (candidate);
  again = es_candidate_from_json (written, NULL);
  g_assert_nonnull (again);
  g_assert_true (es_candidate_equal (candidate, again));
  return 0;
}
