/* Fuzz target: NAT-PMP (RFC 6886) answers as they arrive from a gateway,
 * to our requests or multicast as announcements.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdint.h>

#include "es-nat-pmp.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  EsNatPmpResponse response;
  g_autoptr(GError) error = NULL;

  if (es_nat_pmp_parse_response (data, size, &response, &error))
    {
      g_assert_no_error (error);
      g_assert_cmpint (response.opcode, <=, ES_NAT_PMP_OP_MAP_TCP);
      (void) es_nat_pmp_result_to_string (response.result);
      (void) es_nat_pmp_epoch_is_continuous (response.epoch, 0, response.lifetime_s,
                                             (gint64) response.external_port * G_USEC_PER_SEC);
    }
  else
    g_assert_nonnull (error);
  return 0;
}
