/* es-relay-settings.h: the limits and timings a relay enforces
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  guint ring_timeout_ms;          /* an unanswered offer ends as "timeout" */
  double message_rate;            /* signal messages per second per client */
  double message_burst;
  double media_packet_rate;       /* datagrams per second per call leg */
  double media_packet_burst;
  double media_byte_rate;         /* bytes per second per call leg */
  double media_byte_burst;
  guint keepalive_ms;             /* told to clients in "registered" */
} EsRelaySettings;

/* Generous for voice (64 kbit/s Opus in 20 ms frames is 50 datagrams and
 * under 10 kB a second), tight for abuse. */
#define ES_RELAY_SETTINGS_DEFAULT (EsRelaySettings) { \
    .ring_timeout_ms = 60000,                           \
    .message_rate = 20, .message_burst = 60,            \
    .media_packet_rate = 150, .media_packet_burst = 300, \
    .media_byte_rate = 40000, .media_byte_burst = 80000, \
    .keepalive_ms = 10000,                              \
  }

G_END_DECLS
