/* es-relay-metrics.h: what the relay counts, in Prometheus text format
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

typedef enum {
  ES_RELAY_DROP_UNKNOWN_HANDLE,   /* no call has this handle */
  ES_RELAY_DROP_NOT_A_LEG,        /* the sender is not in that call */
  ES_RELAY_DROP_RATE_LIMIT,       /* over the leg's packet or byte cap */
  ES_RELAY_DROP_MALFORMED,        /* shorter than a handle */
  ES_RELAY_DROP_QUEUE_FULL,       /* the other leg's send queue refused it */
  ES_RELAY_N_DROP_REASONS
} EsRelayDropReason;

typedef enum {
  ES_RELAY_MESSAGE_DROP_RATE_LIMIT,
  ES_RELAY_MESSAGE_DROP_UNREGISTERED,
  ES_RELAY_MESSAGE_DROP_INVALID,   /* wrong sender, unknown call, bad fields */
  ES_RELAY_N_MESSAGE_DROP_REASONS
} EsRelayMessageDropReason;

/* Read at each scrape: the numbers that are states, not counts. */
typedef struct
{
  guint registered_clients;
  guint ringing_calls;
  guint active_calls;
  guint64 connections_accepted;
  guint64 handshake_failures;
} EsRelayGauges;

#define ES_TYPE_RELAY_METRICS (es_relay_metrics_get_type ())

G_DECLARE_FINAL_TYPE (EsRelayMetrics, es_relay_metrics, ES, RELAY_METRICS, GObject)

EsRelayMetrics *es_relay_metrics_new                   (void);
/* outcome: answered declined busy offline timeout cancelled peer-lost */
void            es_relay_metrics_count_call            (EsRelayMetrics           *self,
                                                        const char               *outcome);
void            es_relay_metrics_count_forwarded       (EsRelayMetrics           *self,
                                                        gsize                     bytes);
void            es_relay_metrics_count_dropped         (EsRelayMetrics           *self,
                                                        EsRelayDropReason         reason);
void            es_relay_metrics_count_message_dropped (EsRelayMetrics           *self,
                                                        EsRelayMessageDropReason  reason);
void            es_relay_metrics_count_stun            (EsRelayMetrics           *self);
guint64         es_relay_metrics_get_forwarded_packets (EsRelayMetrics           *self);
char           *es_relay_metrics_render                (EsRelayMetrics           *self,
                                                        const EsRelayGauges      *gauges);

G_END_DECLS
