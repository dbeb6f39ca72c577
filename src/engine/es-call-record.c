/* es-call-record.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsCallRecord"

#include "es-call-record.h"

struct _EsCallRecord
{
  GObject parent_instance;

  char *call_id;
  char *peer;
  gboolean outgoing;
  gint64 started;
  gboolean answered;
  guint duration;
  char *end_reason;
};

G_DEFINE_FINAL_TYPE (EsCallRecord, es_call_record, G_TYPE_OBJECT)

static void
es_call_record_finalize (GObject *object)
{
  EsCallRecord *self = ES_CALL_RECORD (object);

  g_free (self->call_id);
  g_free (self->peer);
  g_free (self->end_reason);

  G_OBJECT_CLASS (es_call_record_parent_class)->finalize (object);
}

static void
es_call_record_class_init (EsCallRecordClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = es_call_record_finalize;
}

static void
es_call_record_init (EsCallRecord *self)
{
}

EsCallRecord *
es_call_record_new (const char *call_id,
                    const char *peer,
                    gboolean    outgoing,
                    gint64      started,
                    gboolean    answered,
                    guint       duration,
                    const char *end_reason)
{
  EsCallRecord *self = g_object_new (ES_TYPE_CALL_RECORD, NULL);

  self->call_id = g_strdup (call_id);
  self->peer = g_strdup (peer);
  self->outgoing = outgoing;
  self->started = started;
  self->answered = answered;
  self->duration = answered ? duration : 0;
  self->end_reason = g_strdup (end_reason != NULL ? end_reason : "error");
  return self;
}

const char *
es_call_record_get_call_id (EsCallRecord *self)
{
  return self->call_id;
}

const char *
es_call_record_get_peer (EsCallRecord *self)
{
  return self->peer;
}

gboolean
es_call_record_get_outgoing (EsCallRecord *self)
{
  return self->outgoing;
}

gint64
es_call_record_get_started (EsCallRecord *self)
{
  return self->started;
}

gboolean
es_call_record_get_answered (EsCallRecord *self)
{
  return self->answered;
}

guint
es_call_record_get_duration (EsCallRecord *self)
{
  return self->duration;
}

const char *
es_call_record_get_end_reason (EsCallRecord *self)
{
  return self->end_reason;
}

EsCallOutcome
es_call_record_get_outcome (EsCallRecord *self)
{
  if (self->answered)
    return ES_CALL_OUTCOME_ANSWERED;
  if (self->outgoing)
    return g_str_equal (self->end_reason, "declined") ? ES_CALL_OUTCOME_DECLINED
                                                     : ES_CALL_OUTCOME_NOT_ANSWERED;
  if (g_str_equal (self->end_reason, "answered-elsewhere"))
    return ES_CALL_OUTCOME_ANSWERED_ELSEWHERE;
  /* Declined is what the user chose here; anything else that rang and was
   * not taken, including one turned away as busy during another call, was
   * missed. */
  return g_str_equal (self->end_reason, "declined") ? ES_CALL_OUTCOME_DECLINED
                                                    : ES_CALL_OUTCOME_MISSED;
}
