/* es-format.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsFormat"

#include "config.h"

#include "es-format.h"

#include <glib/gi18n.h>
#include <string.h>

char *
es_format_duration (guint seconds)
{
  if (seconds >= 3600)
    return g_strdup_printf ("%u:%02u:%02u", seconds / 3600, seconds / 60 % 60, seconds % 60);
  return g_strdup_printf ("%u:%02u", seconds / 60, seconds % 60);
}

char *
es_format_end_reason (EsCallEndReason reason,
                      gboolean        outgoing)
{
  switch (reason)
    {
    case ES_CALL_END_DECLINED:
      return g_strdup (outgoing ? _("Declined") : _("You declined"));
    case ES_CALL_END_BUSY:
      return g_strdup (_("Busy"));
    case ES_CALL_END_OFFLINE:
      return g_strdup (_("Not reachable: they are offline"));
    case ES_CALL_END_TIMEOUT:
      return g_strdup (outgoing ? _("No answer") : _("Missed call"));
    case ES_CALL_END_CANCELLED:
      return g_strdup (outgoing ? _("Cancelled") : _("Missed call"));
    case ES_CALL_END_ANSWERED_ELSEWHERE:
      return g_strdup (_("Answered on another device"));
    case ES_CALL_END_PEER_LOST:
      return g_strdup (_("The connection to the other person was lost"));
    case ES_CALL_END_RELAY_LOST:
      return g_strdup (_("The connection to the relay was lost"));
    case ES_CALL_END_ERROR:
      return g_strdup (_("The call failed"));
    case ES_CALL_END_HANGUP:
    case ES_CALL_END_NONE:
    default:
      return g_strdup (_("Call ended"));
    }
}

char *
es_format_short_address (const char *fingerprint)
{
  gsize length = fingerprint != NULL ? strlen (fingerprint) : 0;

  if (length <= 20)
    return g_strdup (fingerprint != NULL ? fingerprint : "");
  return g_strdup_printf ("%.9s…%s", fingerprint, fingerprint + length - 9);
}

char *
es_format_when (gint64 unix_seconds)
{
  g_autoptr(GDateTime) when = g_date_time_new_from_unix_local (unix_seconds);
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autoptr(GDateTime) today = NULL;
  GTimeSpan before_today;

  if (when == NULL || now == NULL)
    return g_strdup ("");
  today = g_date_time_new_local (g_date_time_get_year (now), g_date_time_get_month (now),
                                 g_date_time_get_day_of_month (now), 0, 0, 0);
  before_today = g_date_time_difference (today, when);
  if (before_today <= 0)
    /* TRANSLATORS: a time today, see strftime(3) */
    return g_date_time_format (when, _("%H:%M"));
  if (before_today <= G_TIME_SPAN_DAY)
    return g_strdup (_("Yesterday"));
  if (before_today < 6 * G_TIME_SPAN_DAY)
    return g_date_time_format (when, "%A");
  /* TRANSLATORS: a date, see strftime(3) */
  return g_date_time_format (when, _("%-d %B %Y"));
}

char *
es_format_record_summary (EsCallRecord *record)
{
  g_autofree char *duration = es_format_duration (es_call_record_get_duration (record));

  switch (es_call_record_get_outcome (record))
    {
    case ES_CALL_OUTCOME_ANSWERED:
      return g_strdup_printf (es_call_record_get_outgoing (record) ? _("Outgoing call · %s")
                                                                   : _("Incoming call · %s"),
                              duration);
    case ES_CALL_OUTCOME_MISSED:
      return g_strdup (_("Missed call"));
    case ES_CALL_OUTCOME_DECLINED:
      return g_strdup (es_call_record_get_outgoing (record) ? _("Declined by them")
                                                            : _("Declined"));
    case ES_CALL_OUTCOME_ANSWERED_ELSEWHERE:
      return g_strdup (_("Answered on another device"));
    case ES_CALL_OUTCOME_NOT_ANSWERED:
    default:
      return g_strdup (_("Not answered"));
    }
}
