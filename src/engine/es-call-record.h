/* es-call-record.h: one line of call history
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* What the call was, from this side's point of view. */
typedef enum {
  ES_CALL_OUTCOME_ANSWERED,           /* it became active */
  ES_CALL_OUTCOME_MISSED,             /* incoming, and nobody answered it here */
  ES_CALL_OUTCOME_DECLINED,           /* declined here, or by the peer */
  ES_CALL_OUTCOME_ANSWERED_ELSEWHERE, /* incoming, taken on another device */
  ES_CALL_OUTCOME_NOT_ANSWERED,       /* outgoing: busy, offline, no answer, cancelled */
} EsCallOutcome;

#define ES_TYPE_CALL_RECORD (es_call_record_get_type ())

G_DECLARE_FINAL_TYPE (EsCallRecord, es_call_record, ES, CALL_RECORD, GObject)

/* @started: unix seconds when the call began; @duration: seconds it was
 * active (0 if never); @end_reason: as es_call_end_reason_to_string(). */
EsCallRecord  *es_call_record_new            (const char   *call_id,
                                              const char   *peer,
                                              gboolean      outgoing,
                                              gint64        started,
                                              gboolean      answered,
                                              guint         duration,
                                              const char   *end_reason);

const char    *es_call_record_get_call_id    (EsCallRecord *self);
const char    *es_call_record_get_peer       (EsCallRecord *self);
gboolean       es_call_record_get_outgoing   (EsCallRecord *self);
gint64         es_call_record_get_started    (EsCallRecord *self);
gboolean       es_call_record_get_answered   (EsCallRecord *self);
guint          es_call_record_get_duration   (EsCallRecord *self);
const char    *es_call_record_get_end_reason (EsCallRecord *self);
EsCallOutcome  es_call_record_get_outcome    (EsCallRecord *self);

G_END_DECLS
