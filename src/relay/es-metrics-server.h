/* es-metrics-server.h: serves /metrics over HTTP for Prometheus
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef char *(*EsMetricsRenderFunc) (gpointer user_data);

#define ES_TYPE_METRICS_SERVER (es_metrics_server_get_type ())

G_DECLARE_FINAL_TYPE (EsMetricsServer, es_metrics_server, ES, METRICS_SERVER, GObject)

EsMetricsServer    *es_metrics_server_new               (EsMetricsRenderFunc  render,
                                                         gpointer             user_data);
gboolean            es_metrics_server_listen            (EsMetricsServer     *self,
                                                         GInetSocketAddress  *address,
                                                         GError             **error);
GInetSocketAddress *es_metrics_server_dup_local_address (EsMetricsServer     *self);

G_END_DECLS
