/* es-relay-metrics.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsRelayMetrics"

#include "es-relay-metrics.h"

static const char * const call_outcomes[] = {
  "answered", "declined", "busy", "offline", "timeout", "cancelled", "peer-lost",
};

static const char * const drop_reasons[ES_RELAY_N_DROP_REASONS] = {
  "unknown-handle", "not-a-leg", "rate-limit", "malformed", "queue-full",
};

static const char * const message_drop_reasons[ES_RELAY_N_MESSAGE_DROP_REASONS] = {
  "rate-limit", "unregistered", "invalid",
};

struct _EsRelayMetrics
{
  GObject parent_instance;

  guint64 calls[G_N_ELEMENTS (call_outcomes)];
  guint64 forwarded_packets;
  guint64 forwarded_bytes;
  guint64 dropped[ES_RELAY_N_DROP_REASONS];
  guint64 messages_dropped[ES_RELAY_N_MESSAGE_DROP_REASONS];
  guint64 stun_requests;
};

G_DEFINE_FINAL_TYPE (EsRelayMetrics, es_relay_metrics, G_TYPE_OBJECT)

static void
es_relay_metrics_class_init (EsRelayMetricsClass *klass)
{
}

static void
es_relay_metrics_init (EsRelayMetrics *self)
{
}

EsRelayMetrics *
es_relay_metrics_new (void)
{
  return g_object_new (ES_TYPE_RELAY_METRICS, NULL);
}

void
es_relay_metrics_count_call (EsRelayMetrics *self,
                             const char     *outcome)
{
  for (guint i = 0; i < G_N_ELEMENTS (call_outcomes); i++)
    if (g_str_equal (call_outcomes[i], outcome))
      {
        self->calls[i]++;
        return;
      }
  g_warn_if_reached ();
}

void
es_relay_metrics_count_forwarded (EsRelayMetrics *self,
                                  gsize           bytes)
{
  self->forwarded_packets++;
  self->forwarded_bytes += bytes;
}

void
es_relay_metrics_count_dropped (EsRelayMetrics    *self,
                                EsRelayDropReason  reason)
{
  self->dropped[reason]++;
}

void
es_relay_metrics_count_message_dropped (EsRelayMetrics           *self,
                                        EsRelayMessageDropReason  reason)
{
  self->messages_dropped[reason]++;
}

void
es_relay_metrics_count_stun (EsRelayMetrics *self)
{
  self->stun_requests++;
}

guint64
es_relay_metrics_get_forwarded_packets (EsRelayMetrics *self)
{
  return self->forwarded_packets;
}

static void
append_metric (GString    *text,
               const char *name,
               const char *type,
               const char *help)
{
  g_string_append_printf (text, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

char *
es_relay_metrics_render (EsRelayMetrics      *self,
                         const EsRelayGauges *gauges)
{
  GString *text = g_string_new (NULL);

  append_metric (text, "earshot_relay_registered_clients", "gauge",
                 "Connections registered (one per device)");
  g_string_append_printf (text, "earshot_relay_registered_clients %u\n",
                          gauges->registered_clients);

  append_metric (text, "earshot_relay_calls", "gauge", "Calls in progress by state");
  g_string_append_printf (text, "earshot_relay_calls{state=\"ringing\"} %u\n", gauges->ringing_calls);
  g_string_append_printf (text, "earshot_relay_calls{state=\"active\"} %u\n", gauges->active_calls);

  append_metric (text, "earshot_relay_calls_total", "counter", "Calls ended, by outcome");
  for (guint i = 0; i < G_N_ELEMENTS (call_outcomes); i++)
    g_string_append_printf (text, "earshot_relay_calls_total{outcome=\"%s\"} %" G_GUINT64_FORMAT "\n",
                            call_outcomes[i], self->calls[i]);

  append_metric (text, "earshot_relay_forwarded_packets_total", "counter",
                 "Media datagrams forwarded between call legs");
  g_string_append_printf (text, "earshot_relay_forwarded_packets_total %" G_GUINT64_FORMAT "\n",
                          self->forwarded_packets);
  append_metric (text, "earshot_relay_forwarded_bytes_total", "counter",
                 "Media bytes forwarded between call legs");
  g_string_append_printf (text, "earshot_relay_forwarded_bytes_total %" G_GUINT64_FORMAT "\n",
                          self->forwarded_bytes);

  append_metric (text, "earshot_relay_dropped_packets_total", "counter",
                 "Media datagrams not forwarded, by reason");
  for (guint i = 0; i < ES_RELAY_N_DROP_REASONS; i++)
    g_string_append_printf (text,
                            "earshot_relay_dropped_packets_total{reason=\"%s\"} %" G_GUINT64_FORMAT "\n",
                            drop_reasons[i], self->dropped[i]);

  append_metric (text, "earshot_relay_dropped_messages_total", "counter",
                 "Signal messages dropped, by reason");
  for (guint i = 0; i < ES_RELAY_N_MESSAGE_DROP_REASONS; i++)
    g_string_append_printf (text,
                            "earshot_relay_dropped_messages_total{reason=\"%s\"} %" G_GUINT64_FORMAT "\n",
                            message_drop_reasons[i], self->messages_dropped[i]);

  append_metric (text, "earshot_relay_connections_accepted_total", "counter",
                 "QUIC connections that completed the handshake");
  g_string_append_printf (text, "earshot_relay_connections_accepted_total %" G_GUINT64_FORMAT "\n",
                          gauges->connections_accepted);
  append_metric (text, "earshot_relay_handshake_failures_total", "counter",
                 "QUIC handshakes that failed or were refused");
  g_string_append_printf (text, "earshot_relay_handshake_failures_total %" G_GUINT64_FORMAT "\n",
                          gauges->handshake_failures);

  append_metric (text, "earshot_relay_stun_requests_total", "counter",
                 "STUN Binding requests answered");
  g_string_append_printf (text, "earshot_relay_stun_requests_total %" G_GUINT64_FORMAT "\n",
                          self->stun_requests);

  return g_string_free (text, FALSE);
}
