/* Fuzz target: PCP (RFC 6887) answers as they arrive from a gateway, to a
 * MAP request or multicast as ANNOUNCE, options included.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdint.h>

#include "es-pcp.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  EsPcpResponse response;
  g_autoptr(GError) error = NULL;

  if (es_pcp_parse_response (data, size, &response, &error))
    {
      g_assert_no_error (error);
      g_assert_true (size >= 24 && size <= ES_PCP_MAX_SIZE && size % 4 == 0);
      (void) es_pcp_result_to_string (response.result);
      if (response.has_map_payload)
        {
          g_autoptr(GInetAddress) external = es_pcp_address_from_bytes (response.external_address);

          g_assert_nonnull (external);
        }
    }
  else
    g_assert_nonnull (error);
  return 0;
}
