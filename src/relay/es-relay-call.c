/* es-relay-call.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsRelayCall"

#include "es-relay-call.h"

#include "es-token-bucket.h"

typedef struct
{
  EsTokenBucket packets;
  EsTokenBucket bytes;
} MediaCaps;

struct _EsRelayCall
{
  GObject parent_instance;

  char *id;
  char *callee;
  EsRelayCallState state;
  EsRelayClient *caller;
  EsRelayClient *answerer;
  GPtrArray *ringing;
  guint32 handle;
  gint64 started_us;
  guint ring_timeout_id;
  MediaCaps caps[2];    /* [0] caller's leg, [1] answerer's leg */
};

G_DEFINE_FINAL_TYPE (EsRelayCall, es_relay_call, G_TYPE_OBJECT)

static void
es_relay_call_finalize (GObject *object)
{
  EsRelayCall *self = ES_RELAY_CALL (object);

  g_clear_handle_id (&self->ring_timeout_id, g_source_remove);
  g_free (self->id);
  g_free (self->callee);
  g_clear_object (&self->caller);
  g_clear_object (&self->answerer);
  g_ptr_array_unref (self->ringing);

  G_OBJECT_CLASS (es_relay_call_parent_class)->finalize (object);
}

static void
es_relay_call_class_init (EsRelayCallClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = es_relay_call_finalize;
}

static void
es_relay_call_init (EsRelayCall *self)
{
  self->ringing = g_ptr_array_new_with_free_func (g_object_unref);
}

EsRelayCall *
es_relay_call_new (const char            *call_id,
                   EsRelayClient         *caller,
                   const char            *callee,
                   guint32                handle,
                   const EsRelaySettings *settings)
{
  EsRelayCall *self = g_object_new (ES_TYPE_RELAY_CALL, NULL);

  self->id = g_strdup (call_id);
  self->caller = g_object_ref (caller);
  self->callee = g_strdup (callee);
  self->handle = handle;
  self->state = ES_RELAY_CALL_RINGING;
  self->started_us = g_get_monotonic_time ();
  for (guint i = 0; i < G_N_ELEMENTS (self->caps); i++)
    {
      es_token_bucket_init (&self->caps[i].packets, settings->media_packet_rate,
                            settings->media_packet_burst);
      es_token_bucket_init (&self->caps[i].bytes, settings->media_byte_rate,
                            settings->media_byte_burst);
    }
  return self;
}

const char *
es_relay_call_get_id (EsRelayCall *self)
{
  return self->id;
}

EsRelayCallState
es_relay_call_get_state (EsRelayCall *self)
{
  return self->state;
}

EsRelayClient *
es_relay_call_get_caller (EsRelayCall *self)
{
  return self->caller;
}

const char *
es_relay_call_get_callee (EsRelayCall *self)
{
  return self->callee;
}

EsRelayClient *
es_relay_call_get_answerer (EsRelayCall *self)
{
  return self->answerer;
}

guint32
es_relay_call_get_handle (EsRelayCall *self)
{
  return self->handle;
}

gint64
es_relay_call_get_started_us (EsRelayCall *self)
{
  return self->started_us;
}

GPtrArray *
es_relay_call_get_ringing (EsRelayCall *self)
{
  return self->ringing;
}

void
es_relay_call_add_ringing (EsRelayCall   *self,
                           EsRelayClient *device)
{
  g_ptr_array_add (self->ringing, g_object_ref (device));
}

void
es_relay_call_remove_ringing (EsRelayCall   *self,
                              EsRelayClient *device)
{
  g_ptr_array_remove (self->ringing, device);
}

/* The first answer wins; the devices still ringing are the caller's to tell. */
void
es_relay_call_answer (EsRelayCall   *self,
                      EsRelayClient *device)
{
  g_clear_handle_id (&self->ring_timeout_id, g_source_remove);
  g_set_object (&self->answerer, device);
  g_ptr_array_remove (self->ringing, device);
  self->state = ES_RELAY_CALL_ACTIVE;
}

gboolean
es_relay_call_involves (EsRelayCall   *self,
                        EsRelayClient *client)
{
  guint index;

  return client == self->caller || client == self->answerer ||
         g_ptr_array_find (self->ringing, client, &index);
}

EsRelayClient *
es_relay_call_get_other_leg (EsRelayCall   *self,
                             EsRelayClient *leg)
{
  if (self->state != ES_RELAY_CALL_ACTIVE)
    return NULL;
  if (leg == self->caller)
    return self->answerer;
  if (leg == self->answerer)
    return self->caller;
  return NULL;
}

gboolean
es_relay_call_admit_media (EsRelayCall   *self,
                           EsRelayClient *leg,
                           gsize          bytes,
                           gint64         now_us)
{
  MediaCaps *caps = &self->caps[leg == self->caller ? 0 : 1];

  if (!es_token_bucket_take (&caps->packets, 1, now_us))
    return FALSE;
  if (!es_token_bucket_take (&caps->bytes, (double) bytes, now_us))
    {
      /* A refused packet costs nothing. */
      caps->packets.tokens += 1;
      return FALSE;
    }
  return TRUE;
}

void
es_relay_call_set_ring_timeout (EsRelayCall *self,
                                guint        source_id)
{
  g_clear_handle_id (&self->ring_timeout_id, g_source_remove);
  self->ring_timeout_id = source_id;
}

void
es_relay_call_ring_timeout_fired (EsRelayCall *self)
{
  self->ring_timeout_id = 0;
}
