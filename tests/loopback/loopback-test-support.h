/* loopback-test-support.h: what the in-process QUIC loopback tests share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "es-quic-connection.h"

G_BEGIN_DECLS

/* A GSourceFunc that sets the gboolean at @user_data. */
gboolean loopback_test_set_true     (gpointer user_data);

/* Runs the default main context until @condition holds, and fails the test
 * if it still does not after @timeout_ms. */
#define WAIT_UNTIL(condition, timeout_ms)                                                \
  G_STMT_START {                                                                         \
    gboolean expired_ = FALSE;                                                           \
    guint timeout_id_ = g_timeout_add ((timeout_ms), loopback_test_set_true, &expired_); \
    while (!(condition) && !expired_)                                                    \
      g_main_context_iteration (NULL, TRUE);                                             \
    if (!expired_)                                                                       \
      g_source_remove (timeout_id_);                                                     \
    g_assert_true (condition);                                                           \
  } G_STMT_END

/* What es_quic_endpoint_connect_async() gave: the connection, or the error. */
typedef struct
{
  EsQuicConnection *connection;
  GError *error;
  gboolean done;
} LoopbackConnectOutcome;

/* The GAsyncReadyCallback for es_quic_endpoint_connect_async() that fills
 * the LoopbackConnectOutcome at @user_data. */
void     loopback_test_on_connected (GObject      *source,
                                     GAsyncResult *result,
                                     gpointer      user_data);

G_END_DECLS
