/* es-format.h: how times, durations and outcomes read in the app
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "es-call-record.h"
#include "es-call.h"

G_BEGIN_DECLS

/* "0:07", "12:34", "1:02:03" */
char *es_format_duration       (guint            seconds);
/* "Declined", "No answer", "Call ended"… */
char *es_format_end_reason     (EsCallEndReason  reason,
                                gboolean         outgoing);
/* "0123:4567…89ab:cdef": enough to tell addresses apart at a glance. */
char *es_format_short_address  (const char      *fingerprint);
/* "14:02", "Yesterday", "Monday", "3 March 2024" */
char *es_format_when           (gint64           unix_seconds);
/* "Missed call", "Outgoing call · 1:05"… */
char *es_format_record_summary (EsCallRecord    *record);

G_END_DECLS
