/* loopback-test-support.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "loopback-test-support.h"

#include "es-quic-endpoint.h"

gboolean
loopback_test_set_true (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

void
loopback_test_on_connected (GObject      *source,
                            GAsyncResult *result,
                            gpointer      user_data)
{
  LoopbackConnectOutcome *outcome = user_data;

  outcome->connection = es_quic_endpoint_connect_finish (ES_QUIC_ENDPOINT (source), result,
                                                         &outcome->error);
  outcome->done = TRUE;
}
