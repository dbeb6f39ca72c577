/* es-cli-events.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsCli"

#include "es-cli-events.h"

#include <stdio.h>

#include "es-json.h"

void
es_cli_emit_simple (const char *name,
                    const char *member,
                    const char *value)
{
  g_autoptr(JsonObject) event = es_json_new_event (name);

  if (member != NULL)
    json_object_set_string_member (event, member, value);
  es_json_print_line (event);
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
  g_autoptr(JsonObject) event = es_json_new_event ("registered");

  json_object_set_string_member (event, "fingerprint", fingerprint);
  json_object_set_string_member (event, "observed", es_signal_channel_get_observed (channel));
  json_object_set_string_member (event, "relay_fingerprint",
                                 es_signal_channel_get_relay_fingerprint (channel));
  /* The relays it knows of (DESIGN §10.5), and where it runs. */
  if (es_signal_channel_get_region (channel) != NULL)
    json_object_set_string_member (event, "region", es_signal_channel_get_region (channel));
  if (es_signal_channel_get_known_relays (channel) != NULL)
    json_object_set_array_member (event, "relays",
                                  json_array_ref (es_signal_channel_get_known_relays (channel)));
  es_json_print_line (event);
}

void
es_cli_emit_call_state (EsCall *call)
{
  g_autoptr(JsonObject) event = es_json_new_event ("call-state");
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
  es_json_print_line (event);
}

void
es_cli_emit_path (EsCall          *call,
                  EsSignalChannel *channel)
{
  g_autoptr(JsonObject) event = es_json_new_event ("path");
  const EsCandidate *direct = es_call_get_direct_remote (call);
  g_autofree char *relay = es_relay_spec_host_port (es_signal_channel_get_relay (channel));
  const char *remote = direct != NULL ? direct->text : relay;
  EsCallStats stats;

  es_call_get_stats (call, &stats);
  json_object_set_string_member (event, "call_id", es_call_get_id (call));
  json_object_set_string_member (event, "kind", es_call_get_path_kind (call));
  json_object_set_string_member (event, "local", es_signal_channel_get_observed (channel));
  json_object_set_string_member (event, "remote", remote);
  json_object_set_double_member (event, "rtt_ms", stats.rtt_ms);
  json_object_set_string_member (event, "candidate",
                                 es_candidate_type_to_string (direct != NULL ? direct->type
                                                                             : ES_CANDIDATE_RELAY));
  json_object_set_string_member (event, "family", remote[0] == '[' ? "ipv6" : "ipv4");
  es_json_print_line (event);
}

void
es_cli_emit_stats (EsCall *call)
{
  g_autoptr(JsonObject) event = es_json_new_event ("stats");
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
  json_object_set_int_member (event, "frames_duplicate", (gint64) stats.media.frames_duplicate);
  json_object_set_int_member (event, "frames_rejected", (gint64) stats.media.frames_rejected);
  json_object_set_int_member (event, "frames_lost", (gint64) stats.media.playout.lost);
  json_object_set_int_member (event, "frames_late", (gint64) stats.media.playout.late);
  json_object_set_double_member (event, "delay_ms", stats.media.playout.current_delay_ms);
  json_object_set_double_member (event, "target_delay_ms", stats.media.playout.target_delay_ms);
  json_object_set_double_member (event, "recovered_ms", stats.media.playout.recovered_ms);
  json_object_set_double_member (event, "concealed_ms", stats.media.playout.concealed_ms);
  es_json_print_line (event);
}
