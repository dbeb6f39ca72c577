/* es-latency-chart.h: relay round-trip times as bars
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define ES_TYPE_LATENCY_CHART (es_latency_chart_get_type ())

G_DECLARE_FINAL_TYPE (EsLatencyChart, es_latency_chart, ES, LATENCY_CHART, GtkWidget)

/* @relays: the report's "relays" array ({"relay", "region", "rtt_ms"}). */
void       es_latency_chart_set_relays (EsLatencyChart *self,
                                        JsonArray      *relays);

G_END_DECLS
