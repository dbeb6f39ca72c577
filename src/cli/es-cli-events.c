/* es-cli-events.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsCli"

#include "es-cli-events.h"

#include <stdio.h>

#include "es-json.h"

static JsonObject *
new_event (const char *name)
{
  JsonObject *event = json_object_new ();

  json_object_set_string_member (event, "event", name);
  return event;
}

void
es_cli_emit (JsonObject *event)
{
  g_autofree char *line = es_json_to_string (event);

  fputs (line, stdout);
  fputc ('\n', stdout);
  fflush (stdout);
}

void
es_cli_emit_simple (const char *name,
                    const char *member,
                    const char *value)
{
  g_autoptr(JsonObject) event = new_event (name);

  if (member != NULL)
    json_object_set_string_member (event, member, value);
  es_cli_emit (event);
}

void
es_cli_emit_error (const char *message)
{
  es_cli_emit_simple ("error", "message", message);
}

void
es_cli_emit_registered (EsSignalChannel *channel,
                        const char      *fingerprint)
{
  g_autoptr(JsonObject) event = new_event ("registered");

  json_object_set_string_member (event, "fingerprint", fingerprint);
  json_object_set_string_member (event, "observed", es_signal_channel_get_observed (channel));
  json_object_set_string_member (event, "relay_fingerprint",
                                 es_signal_channel_get_relay_fingerprint (channel));
  es_cli_emit (event);
}

void
es_cli_emit_call_state (EsCall *call)
{
  g_autoptr(JsonObject) event = new_event ("call-state");
  EsCallState state = es_call_get_state (call);
  const char * const *words = es_call_get_safety_words (call);

  json_object_set_string_member (event, "call_id", es_call_get_id (call));
  json_object_set_string_member (event, "state", es_call_state_to_string (state));
  if (state == ES_CALL_STATE_ENDED)
    json_object_set_string_member (event, "reason",
                                   es_call_end_reason_to_string (es_call_get_end_reason (call)));
  if (state == ES_CALL_STATE_ACTIVE && words != NULL)
    {
      g_autofree char *joined = g_strjoinv (" ", (char **) words);

      json_object_set_string_member (event, "safety_words", joined);
    }
  es_cli_emit (event);
}

void
es_cli_emit_path (EsCall          *call,
                  EsSignalChannel *channel)
{
  g_autoptr(JsonObject) event = new_event ("path");
  const EsRelaySpec *relay = es_signal_channel_get_relay (channel);
  g_autofree char *remote = es_relay_spec_host_port (relay);
  EsCallStats stats;

  es_call_get_stats (call, &stats);
  json_object_set_string_member (event, "call_id", es_call_get_id (call));
  json_object_set_string_member (event, "kind", es_call_get_path_kind (call));
  json_object_set_string_member (event, "local", es_signal_channel_get_observed (channel));
  json_object_set_string_member (event, "remote", remote);
  json_object_set_double_member (event, "rtt_ms", stats.rtt_ms);
  json_object_set_string_member (event, "candidate", "relay");
  json_object_set_string_member (event, "family", remote[0] == '[' ? "ipv6" : "ipv4");
  es_cli_emit (event);
}

void
es_cli_emit_stats (EsCall *call)
{
  g_autoptr(JsonObject) event = new_event ("stats");
  EsCallStats stats;

  es_call_get_stats (call, &stats);
  json_object_set_string_member (event, "call_id", es_call_get_id (call));
  json_object_set_int_member (event, "tier", stats.media.tier);
  json_object_set_double_member (event, "loss_pct", stats.media.loss_pct);
  json_object_set_double_member (event, "jitter_ms", stats.media.jitter_ms);
  json_object_set_double_member (event, "rtt_ms", stats.rtt_ms);
  json_object_set_string_member (event, "path", stats.path_kind);
  json_object_set_double_member (event, "bitrate_kbps", stats.media.bitrate_kbps);
  json_object_set_int_member (event, "frames_sent", (gint64) stats.media.frames_sent);
  json_object_set_int_member (event, "frames_received", (gint64) stats.media.frames_received);
  json_object_set_int_member (event, "frames_rejected", (gint64) stats.media.frames_rejected);
  json_object_set_double_member (event, "delay_ms", stats.media.playout.current_delay_ms);
  json_object_set_double_member (event, "concealed_ms", stats.media.playout.concealed_ms);
  es_cli_emit (event);
}
