/* What the app says: a netcheck report in plain words (nothing guessed,
 * nothing left in command-line terms), and calls' durations and outcomes.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "es-format.h"
#include "es-netcheck-text.h"

static JsonObject *
parse (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  g_assert_true (json_parser_load_from_data (parser, text, -1, &error));
  g_assert_no_error (error);
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static const char easy_nat[] =
  "{\"udp_v4\":true,\"udp_v6\":false,\"public_v4\":\"203.0.113.7\",\"public_v6\":null,"
  "\"mapping\":\"endpoint-independent\",\"filtering\":\"address-dependent\","
  "\"port_allocation\":\"preserving\",\"hairpin\":true,"
  "\"nat_pmp\":{\"available\":false,\"external\":null,\"ms\":null,\"error\":\"no answer\"},"
  "\"pcp\":{\"available\":true,\"external\":\"203.0.113.7\",\"ms\":4,\"error\":null},"
  "\"upnp\":{\"available\":false,\"external\":null,\"ms\":null,\"error\":null},"
  "\"gateway\":\"192.168.1.1\",\"udp_blocked\":false,"
  "\"relays\":[{\"relay\":\"relay.example:7000#ab\",\"region\":\"eu\",\"rtt_ms\":23.6},"
  "{\"relay\":\"far.example:7000#cd\",\"region\":null,\"rtt_ms\":null}],"
  "\"preferred_relay\":\"relay.example:7000#ab\",\"duration_ms\":900}";

static void
test_easy_nat (void)
{
  g_autoptr(JsonObject) report = parse (easy_nat);
  g_autofree char *headline = es_netcheck_text_headline (report);
  g_autofree char *nat = es_netcheck_text_nat (report);
  g_autofree char *mapping = es_netcheck_text_port_mapping (report);
  g_autofree char *ipv6 = es_netcheck_text_ipv6 (report);
  g_autofree char *hairpin = es_netcheck_text_hairpin (report);
  g_autofree char *text = es_netcheck_text_report (report, 1700000000);

  g_assert_nonnull (strstr (headline, "most people will go directly"));
  g_assert_nonnull (strstr (nat, "same public port"));
  g_assert_nonnull (strstr (mapping, "(PCP)"));
  g_assert_null (strstr (mapping, "NAT-PMP"));
  g_assert_nonnull (strstr (ipv6, "No IPv6"));
  g_assert_nonnull (strstr (hairpin, "Yes"));
  /* Everything in the copied text, the relay that did not answer included. */
  g_assert_nonnull (strstr (text, "Public IPv4: 203.0.113.7"));
  g_assert_nonnull (strstr (text, "Relay relay.example:7000#ab: 24 ms"));
  g_assert_nonnull (strstr (text, "Relay far.example:7000#cd: no answer"));
  g_assert_nonnull (strstr (text, "Preferred relay: relay.example:7000#ab"));
}

static void
test_hard_and_unknown (void)
{
  g_autoptr(JsonObject) hard = parse ("{\"mapping\":\"address-and-port-dependent\","
                                      "\"port_allocation\":\"random\",\"hairpin\":null}");
  g_autoptr(JsonObject) unknown = parse ("{\"mapping\":\"unknown\",\"mapping_note\":"
                                         "\"give another with --stun\"}");
  g_autoptr(JsonObject) blocked = parse ("{\"udp_blocked\":true,\"mapping\":\"unknown\"}");
  g_autofree char *hard_nat = es_netcheck_text_nat (hard);
  g_autofree char *hard_hairpin = es_netcheck_text_hairpin (hard);
  g_autofree char *unknown_nat = es_netcheck_text_nat (unknown);
  g_autofree char *blocked_headline = es_netcheck_text_headline (blocked);

  g_assert_nonnull (strstr (hard_nat, "“hard” NAT"));
  g_assert_cmpstr (hard_hairpin, ==, "Not tested");
  /* Unknown is said, with what to do in the app, not the CLI's option. */
  g_assert_nonnull (strstr (unknown_nat, "Not measured"));
  g_assert_null (strstr (unknown_nat, "--stun"));
  g_assert_nonnull (strstr (blocked_headline, "blocks UDP"));
}

static void
test_durations (void)
{
  struct { guint seconds; const char *text; } cases[] = {
    { 0, "0:00" }, { 7, "0:07" }, { 65, "1:05" }, { 3599, "59:59" }, { 3723, "1:02:03" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = es_format_duration (cases[i].seconds);
      g_assert_cmpstr (text, ==, cases[i].text);
    }
}

static void
test_outcomes (void)
{
  g_autoptr(EsCallRecord) answered = es_call_record_new ("a", "p", FALSE, 1, TRUE, 65, "hangup");
  g_autoptr(EsCallRecord) missed = es_call_record_new ("b", "p", FALSE, 1, FALSE, 0, "cancelled");
  g_autoptr(EsCallRecord) refused = es_call_record_new ("c", "p", TRUE, 1, FALSE, 0, "declined");
  g_autofree char *answered_text = es_format_record_summary (answered);
  g_autofree char *missed_text = es_format_record_summary (missed);
  g_autofree char *refused_text = es_format_record_summary (refused);
  g_autofree char *short_address =
    es_format_short_address ("0123:4567:89ab:cdef:0123:4567:89ab:cdef");
  g_autofree char *ended = es_format_end_reason (ES_CALL_END_OFFLINE, TRUE);

  g_assert_cmpstr (answered_text, ==, "Incoming call · 1:05");
  g_assert_cmpstr (missed_text, ==, "Missed call");
  g_assert_cmpstr (refused_text, ==, "Declined by them");
  g_assert_cmpstr (short_address, ==, "0123:4567…89ab:cdef");
  g_assert_nonnull (strstr (ended, "offline"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/app-text/netcheck/easy-nat", test_easy_nat);
  g_test_add_func ("/app-text/netcheck/hard-and-unknown", test_hard_and_unknown);
  g_test_add_func ("/app-text/format/durations", test_durations);
  g_test_add_func ("/app-text/format/outcomes", test_outcomes);
  return g_test_run ();
}
