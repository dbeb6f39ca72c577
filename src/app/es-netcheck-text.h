/* es-netcheck-text.h: a netcheck report (DESIGN §8, §10.6) in plain words
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* What the report means for calls, in one sentence. */
char *es_netcheck_text_headline    (JsonObject *report);
/* One line about the NAT, e.g. "Your router keeps the same public port for
 * every destination: direct calls work with most people." */
char *es_netcheck_text_nat         (JsonObject *report);
/* Which of NAT-PMP, PCP, UPnP the router offers, in words. */
char *es_netcheck_text_port_mapping (JsonObject *report);
char *es_netcheck_text_ipv6        (JsonObject *report);
char *es_netcheck_text_hairpin     (JsonObject *report);
/* "24 ms", or "no answer" for a relay that did not reply. */
char *es_netcheck_text_rtt         (JsonObject *relay);
/* The whole report as text to paste into a bug report or a chat. */
char *es_netcheck_text_report      (JsonObject *report,
                                    gint64      checked_at);

G_END_DECLS
