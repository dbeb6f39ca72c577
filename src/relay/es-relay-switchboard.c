/* es-relay-switchboard.c
 *
 * The relay introduces two parties and carries their call when nothing
 * better works. It reads only what it needs to route: the call id, the
 * sender (which must be the fingerprint the sender authenticated with) and,
 * on an offer, the callee. Everything the parties agree on is signed end to
 * end and verified by them, and media is forwarded as bytes it cannot
 * decrypt (docs/protocol.md §2, §4).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsRelaySwitchboard"

#include "es-relay-switchboard.h"

#include <sodium.h>
#include <string.h>

#include "es-byte-order.h"
#include "es-fingerprint.h"
#include "es-media-frame.h"
#include "es-json.h"
#include "es-relay-call.h"


struct _EsRelaySwitchboard
{
  GObject parent_instance;

  EsRelayRegistry *registry;
  EsRelayMetrics *metrics;
  EsRelaySettings settings;

  GHashTable *calls;            /* call id → EsRelayCall */
  GHashTable *calls_by_handle;  /* handle → EsRelayCall (borrowed from calls) */
  GHashTable *pending_pairs;    /* "caller>callee" of ringing calls */
};

G_DEFINE_FINAL_TYPE (EsRelaySwitchboard, es_relay_switchboard, G_TYPE_OBJECT)

enum {
  FORWARDING,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
es_relay_switchboard_finalize (GObject *object)
{
  EsRelaySwitchboard *self = ES_RELAY_SWITCHBOARD (object);

  g_hash_table_unref (self->calls_by_handle);
  g_hash_table_unref (self->pending_pairs);
  g_hash_table_unref (self->calls);
  g_clear_object (&self->registry);
  g_clear_object (&self->metrics);

  G_OBJECT_CLASS (es_relay_switchboard_parent_class)->finalize (object);
}

static void
es_relay_switchboard_class_init (EsRelaySwitchboardClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = es_relay_switchboard_finalize;

  signals[FORWARDING] =
    g_signal_new ("forwarding", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 3,
                  ES_TYPE_RELAY_CLIENT, ES_TYPE_RELAY_CLIENT, JSON_TYPE_OBJECT);
}

static void
es_relay_switchboard_init (EsRelaySwitchboard *self)
{
  self->calls = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_object_unref);
  self->calls_by_handle = g_hash_table_new (g_direct_hash, g_direct_equal);
  self->pending_pairs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

EsRelaySwitchboard *
es_relay_switchboard_new (EsRelayRegistry       *registry,
                          EsRelayMetrics        *metrics,
                          const EsRelaySettings *settings)
{
  EsRelaySwitchboard *self = g_object_new (ES_TYPE_RELAY_SWITCHBOARD, NULL);

  self->registry = g_object_ref (registry);
  self->metrics = g_object_ref (metrics);
  self->settings = *settings;
  return self;
}

gboolean
es_relay_switchboard_handles (const char *type)
{
  static const char * const types[] = {
    "call-offer", "call-answer", "call-reject", "call-cancel", "hangup", "candidates",
    "path-report",
  };

  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    if (g_str_equal (type, types[i]))
      return TRUE;
  return FALSE;
}

/* ---- Messages the relay writes ------------------------------------------ */

static void
send_about_call (EsRelayClient *to,
                 const char    *type,
                 const char    *call_id,
                 const char    *reason)
{
  g_autoptr(JsonObject) message = es_json_new_message (type);

  json_object_set_string_member (message, "call_id", call_id);
  if (reason != NULL)
    json_object_set_string_member (message, "reason", reason);
  es_relay_client_send (to, message);
}

static void
send_to_all (GPtrArray  *clients,
             const char *type,
             const char *call_id,
             const char *reason)
{
  for (guint i = 0; i < clients->len; i++)
    send_about_call (clients->pdata[i], type, call_id, reason);
}

static void
forward (EsRelaySwitchboard *self,
         EsRelayClient      *from,
         EsRelayClient      *to,
         JsonObject         *message)
{
  g_signal_emit (self, signals[FORWARDING], 0, from, to, message);
  es_relay_client_send (to, message);
}

static void
forward_to_all (EsRelaySwitchboard *self,
                EsRelayClient      *from,
                GPtrArray          *clients,
                JsonObject         *message)
{
  for (guint i = 0; i < clients->len; i++)
    forward (self, from, clients->pdata[i], message);
}

/* ---- Call table ---------------------------------------------------------- */

static char *
pair_key (EsRelayCall *call)
{
  return g_strconcat (es_relay_client_get_fingerprint (es_relay_call_get_caller (call)), ">",
                      es_relay_call_get_callee (call), NULL);
}

static guint32
new_handle (EsRelaySwitchboard *self)
{
  guint32 handle;

  /* Random, so that a handle says nothing about other calls. */
  do
    handle = randombytes_random ();
  while (handle == 0 || g_hash_table_contains (self->calls_by_handle, GUINT_TO_POINTER (handle)));
  return handle;
}

static void
end_call (EsRelaySwitchboard *self,
          EsRelayCall        *call)
{
  g_autofree char *pair = pair_key (call);

  g_debug ("call %s ended", es_relay_call_get_id (call));
  g_hash_table_remove (self->pending_pairs, pair);
  g_hash_table_remove (self->calls_by_handle, GUINT_TO_POINTER (es_relay_call_get_handle (call)));
  es_relay_call_set_ring_timeout (call, 0);
  g_hash_table_remove (self->calls, es_relay_call_get_id (call));
}

static gboolean
in_active_call (EsRelaySwitchboard *self,
                const char         *fingerprint)
{
  GHashTableIter iter;
  EsRelayCall *call;

  g_hash_table_iter_init (&iter, self->calls);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &call))
    {
      EsRelayClient *answerer = es_relay_call_get_answerer (call);

      if (es_relay_call_get_state (call) != ES_RELAY_CALL_ACTIVE)
        continue;
      if (g_str_equal (es_relay_client_get_fingerprint (es_relay_call_get_caller (call)), fingerprint) ||
          g_str_equal (es_relay_client_get_fingerprint (answerer), fingerprint))
        return TRUE;
    }
  return FALSE;
}

typedef struct
{
  EsRelaySwitchboard *self;
  EsRelayCall *call;
} RingTimeout;

static gboolean
on_ring_timeout (gpointer data)
{
  RingTimeout *timeout = data;
  EsRelayCall *call = timeout->call;
  const char *call_id = es_relay_call_get_id (call);

  es_relay_call_ring_timeout_fired (call);
  send_about_call (es_relay_call_get_caller (call), "call-reject", call_id, "timeout");
  send_to_all (es_relay_call_get_ringing (call), "call-ended", call_id, "timeout");
  es_relay_metrics_count_call (timeout->self->metrics, "timeout");
  end_call (timeout->self, call);
  return G_SOURCE_REMOVE;
}

static void
start_ring_timeout (EsRelaySwitchboard *self,
                    EsRelayCall        *call)
{
  RingTimeout *timeout = g_new (RingTimeout, 1);
  guint id;

  /* The call owns the source: ending the call removes it. */
  timeout->self = self;
  timeout->call = call;
  id = g_timeout_add_full (G_PRIORITY_DEFAULT, self->settings.ring_timeout_ms, on_ring_timeout,
                           timeout, g_free);
  es_relay_call_set_ring_timeout (call, id);
}

/* ---- Handling what clients send ------------------------------------------ */

static gboolean
is_call_id (const char *text)
{
  if (text == NULL || strlen (text) != 32)
    return FALSE;
  for (const char *p = text; *p != '\0'; p++)
    if (!g_ascii_isdigit (*p) && !(*p >= 'a' && *p <= 'f'))
      return FALSE;
  return TRUE;
}

static void
handle_offer (EsRelaySwitchboard *self,
              EsRelayClient      *from,
              const char         *call_id,
              JsonObject         *message)
{
  g_autofree char *callee = NULL;
  g_autofree char *pair = NULL;
  g_autoptr(EsRelayCall) call = NULL;
  const char *to = es_json_get_string (message, "to");
  GPtrArray *devices;

  callee = to != NULL ? es_fingerprint_normalize (to, NULL) : NULL;
  if (callee == NULL || g_str_equal (callee, es_relay_client_get_fingerprint (from)) ||
      g_hash_table_contains (self->calls, call_id))
    {
      es_relay_metrics_count_message_dropped (self->metrics, ES_RELAY_MESSAGE_DROP_INVALID);
      return;
    }

  call = es_relay_call_new (call_id, from, callee, new_handle (self), &self->settings);
  pair = pair_key (call);
  if (g_hash_table_contains (self->pending_pairs, pair))
    {
      g_autoptr(JsonObject) error = es_json_new_message ("error");

      json_object_set_string_member (error, "code", "duplicate-offer");
      json_object_set_string_member (error, "call_id", call_id);
      json_object_set_string_member (error, "message", "an offer to this address is already ringing");
      es_relay_client_send (from, error);
      return;
    }

  devices = es_relay_registry_lookup (self->registry, callee);
  if (devices == NULL || devices->len == 0)
    {
      send_about_call (from, "call-reject", call_id, "offline");
      es_relay_metrics_count_call (self->metrics, "offline");
      return;
    }
  if (in_active_call (self, callee))
    {
      send_about_call (from, "call-reject", call_id, "busy");
      es_relay_metrics_count_call (self->metrics, "busy");
      return;
    }

  g_hash_table_insert (self->calls, (gpointer) es_relay_call_get_id (call), g_object_ref (call));
  g_hash_table_insert (self->calls_by_handle, GUINT_TO_POINTER (es_relay_call_get_handle (call)),
                       call);
  g_hash_table_add (self->pending_pairs, g_steal_pointer (&pair));
  for (guint i = 0; i < devices->len; i++)
    {
      es_relay_call_add_ringing (call, devices->pdata[i]);
      forward (self, from, devices->pdata[i], message);
    }
  send_about_call (from, "ringing", call_id, NULL);
  start_ring_timeout (self, call);
}

static void
send_route (EsRelayClient *to,
            EsRelayCall   *call)
{
  g_autoptr(JsonObject) message = es_json_new_message ("call-route");

  json_object_set_string_member (message, "call_id", es_relay_call_get_id (call));
  json_object_set_int_member (message, "handle", es_relay_call_get_handle (call));
  es_relay_client_send (to, message);
}

static void
handle_answer (EsRelaySwitchboard *self,
               EsRelayClient      *from,
               EsRelayCall        *call,
               JsonObject         *message)
{
  EsRelayClient *caller = es_relay_call_get_caller (call);
  g_autofree char *pair = pair_key (call);

  es_relay_call_answer (call, from);
  g_hash_table_remove (self->pending_pairs, pair);
  es_relay_metrics_count_call (self->metrics, "answered");

  forward (self, from, caller, message);
  send_route (caller, call);
  send_route (from, call);
  send_to_all (es_relay_call_get_ringing (call), "answered-elsewhere",
               es_relay_call_get_id (call), NULL);
  g_ptr_array_set_size (es_relay_call_get_ringing (call), 0);
}

static void
handle_reject (EsRelaySwitchboard *self,
               EsRelayClient      *from,
               EsRelayCall        *call,
               JsonObject         *message)
{
  const char *body = es_json_get_string (message, "body");
  g_autoptr(JsonObject) parsed = body != NULL ? es_json_from_string (body, -1, NULL) : NULL;
  const char *reason = parsed != NULL ? es_json_get_string (parsed, "reason") : NULL;

  es_relay_call_remove_ringing (call, from);
  forward (self, from, es_relay_call_get_caller (call), message);
  send_to_all (es_relay_call_get_ringing (call), "answered-elsewhere",
               es_relay_call_get_id (call), NULL);
  es_relay_metrics_count_call (self->metrics,
                               g_strcmp0 (reason, "busy") == 0 ? "busy" : "declined");
  end_call (self, call);
}

/* Candidates and path reports go to the other party: while ringing, from the
 * caller to every ringing device or from a device to the caller. */
static void
handle_update (EsRelaySwitchboard *self,
               EsRelayClient      *from,
               EsRelayCall        *call,
               JsonObject         *message)
{
  EsRelayClient *other = es_relay_call_get_other_leg (call, from);

  if (other != NULL)
    forward (self, from, other, message);
  else if (from == es_relay_call_get_caller (call))
    forward_to_all (self, from, es_relay_call_get_ringing (call), message);
  else
    forward (self, from, es_relay_call_get_caller (call), message);
}

static void
handle_hangup (EsRelaySwitchboard *self,
               EsRelayClient      *from,
               EsRelayCall        *call,
               JsonObject         *message,
               gboolean            cancel)
{
  EsRelayClient *other = es_relay_call_get_other_leg (call, from);

  if (es_relay_call_get_state (call) == ES_RELAY_CALL_RINGING)
    {
      forward_to_all (self, from, es_relay_call_get_ringing (call), message);
      es_relay_metrics_count_call (self->metrics, "cancelled");
    }
  else if (other != NULL && !cancel)
    {
      forward (self, from, other, message);
    }
  else
    {
      es_relay_metrics_count_message_dropped (self->metrics, ES_RELAY_MESSAGE_DROP_INVALID);
      return;
    }
  end_call (self, call);
}

/* Whether `from` may send `type` about `call` in its current state. */
static gboolean
message_allowed (EsRelayCall   *call,
                 EsRelayClient *from,
                 const char    *type)
{
  gboolean ringing = es_relay_call_get_state (call) == ES_RELAY_CALL_RINGING;
  gboolean is_caller = from == es_relay_call_get_caller (call);
  guint index;
  gboolean is_ringing_device = g_ptr_array_find (es_relay_call_get_ringing (call), from, &index);

  if (g_str_equal (type, "call-answer") || g_str_equal (type, "call-reject"))
    return ringing && is_ringing_device;
  if (g_str_equal (type, "call-cancel"))
    return ringing && is_caller;
  if (g_str_equal (type, "hangup"))
    return is_caller || (!ringing && es_relay_call_get_other_leg (call, from) != NULL);
  /* candidates, path-report */
  return is_caller || is_ringing_device || es_relay_call_get_other_leg (call, from) != NULL;
}

void
es_relay_switchboard_handle_message (EsRelaySwitchboard *self,
                                     EsRelayClient      *from,
                                     const char         *type,
                                     JsonObject         *message)
{
  const char *call_id = es_json_get_string (message, "call_id");
  const char *sender = es_json_get_string (message, "from");
  EsRelayCall *call;

  /* The sender of a signed message must be who it authenticated as: the
   * relay cannot check the signature's meaning, but it can refuse to carry
   * a message that claims to be from someone else. */
  if (!is_call_id (call_id) || sender == NULL ||
      g_strcmp0 (sender, es_relay_client_get_fingerprint (from)) != 0)
    {
      es_relay_metrics_count_message_dropped (self->metrics, ES_RELAY_MESSAGE_DROP_INVALID);
      return;
    }

  if (g_str_equal (type, "call-offer"))
    {
      handle_offer (self, from, call_id, message);
      return;
    }

  call = g_hash_table_lookup (self->calls, call_id);
  if (call == NULL || !message_allowed (call, from, type))
    {
      es_relay_metrics_count_message_dropped (self->metrics, ES_RELAY_MESSAGE_DROP_INVALID);
      return;
    }

  if (g_str_equal (type, "call-answer"))
    handle_answer (self, from, call, message);
  else if (g_str_equal (type, "call-reject"))
    handle_reject (self, from, call, message);
  else if (g_str_equal (type, "call-cancel") || g_str_equal (type, "hangup"))
    handle_hangup (self, from, call, message, g_str_equal (type, "call-cancel"));
  else
    handle_update (self, from, call, message);
}

/* ---- Media --------------------------------------------------------------- */

void
es_relay_switchboard_handle_datagram (EsRelaySwitchboard *self,
                                      EsRelayClient      *from,
                                      GBytes             *datagram)
{
  gsize length = 0;
  const guint8 *data = g_bytes_get_data (datagram, &length);
  EsRelayCall *call;
  EsRelayClient *other;
  guint32 handle;

  if (length <= ES_RELAY_HANDLE_SIZE)
    {
      es_relay_metrics_count_dropped (self->metrics, ES_RELAY_DROP_MALFORMED);
      return;
    }
  handle = es_read_be32 (data);
  call = g_hash_table_lookup (self->calls_by_handle, GUINT_TO_POINTER (handle));
  if (call == NULL)
    {
      es_relay_metrics_count_dropped (self->metrics, ES_RELAY_DROP_UNKNOWN_HANDLE);
      return;
    }
  other = es_relay_call_get_other_leg (call, from);
  if (other == NULL)
    {
      es_relay_metrics_count_dropped (self->metrics, ES_RELAY_DROP_NOT_A_LEG);
      return;
    }
  if (!es_relay_call_admit_media (call, from, length, g_get_monotonic_time ()))
    {
      es_relay_metrics_count_dropped (self->metrics, ES_RELAY_DROP_RATE_LIMIT);
      return;
    }
  if (!es_quic_connection_send_datagram (es_relay_client_get_connection (other), data, length))
    {
      es_relay_metrics_count_dropped (self->metrics, ES_RELAY_DROP_QUEUE_FULL);
      return;
    }
  es_relay_metrics_count_forwarded (self->metrics, length);
}

/* ---- Departures ---------------------------------------------------------- */

static void
call_lost_party (EsRelaySwitchboard *self,
                 EsRelayCall        *call,
                 EsRelayClient      *client)
{
  const char *call_id = es_relay_call_get_id (call);
  EsRelayClient *other = es_relay_call_get_other_leg (call, client);

  if (other != NULL)
    {
      send_about_call (other, "call-ended", call_id, "peer-lost");
      end_call (self, call);
    }
  else if (client == es_relay_call_get_caller (call))
    {
      send_to_all (es_relay_call_get_ringing (call), "call-ended", call_id, "peer-lost");
      es_relay_metrics_count_call (self->metrics, "peer-lost");
      end_call (self, call);
    }
  else
    {
      /* One of the ringing devices left; the others may still answer. */
      es_relay_call_remove_ringing (call, client);
      if (es_relay_call_get_ringing (call)->len == 0)
        {
          send_about_call (es_relay_call_get_caller (call), "call-reject", call_id, "offline");
          es_relay_metrics_count_call (self->metrics, "offline");
          end_call (self, call);
        }
    }
}

void
es_relay_switchboard_client_gone (EsRelaySwitchboard *self,
                                  EsRelayClient      *client)
{
  g_autoptr(GPtrArray) involved = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  EsRelayCall *call;

  g_hash_table_iter_init (&iter, self->calls);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &call))
    if (es_relay_call_involves (call, client))
      g_ptr_array_add (involved, g_object_ref (call));

  for (guint i = 0; i < involved->len; i++)
    call_lost_party (self, involved->pdata[i], client);
}

void
es_relay_switchboard_count_calls (EsRelaySwitchboard *self,
                                  guint              *ringing,
                                  guint              *active)
{
  GHashTableIter iter;
  EsRelayCall *call;

  *ringing = *active = 0;
  g_hash_table_iter_init (&iter, self->calls);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &call))
    {
      if (es_relay_call_get_state (call) == ES_RELAY_CALL_ACTIVE)
        (*active)++;
      else
        (*ringing)++;
    }
}
