/* es-engine.c
 *
 * Owns the one UDP socket of this client (DESIGN §7), the connection to the
 * home relay and the calls, and routes what arrives: signal messages by
 * call id, media datagrams by relay handle. A call offer rings here only
 * once its signature verifies under the key it carries and that key is the
 * sender's fingerprint.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsEngine"

#include "es-engine.h"

#include "es-address.h"
#include "es-byte-order.h"
#include "es-candidate-gatherer.h"
#include "es-error.h"
#include "es-fingerprint.h"
#include "es-json.h"
#include "es-media-frame.h"
#include "es-netcheck.h"
#include "es-port-mapper.h"
#include "es-relay-pins.h"

/* An offer older or newer than this is refused, and call ids are remembered
 * this long, so that a relay cannot replay a recorded offer (protocol §2.2). */
#define OFFER_FRESHNESS_MS (120 * 1000)

struct _EsEngine
{
  GObject parent_instance;

  EsIdentity *identity;
  GPtrArray *relays;             /* EsRelaySpec; [0] is home */
  EsRelayPins *pins;
  EsQuicEndpoint *endpoint;
  EsSignalChannel *channel;
  EsCandidateGatherer *gatherer;
  EsPortMapper *port_mapper;     /* NULL in privacy mode or with EARSHOT_PORTMAP=off */
  GPtrArray *stun_servers;       /* GInetSocketAddress */
  GInetSocketAddress *relay_stun;  /* the relay's address, also a STUN server */
  gboolean privacy;
  EsQuicConnection *media_connection;   /* the relay connection we take media from */
  GListStore *calls;
  GHashTable *seen_offers;       /* call id → when its offer arrived (real time, ms) */
};

G_DEFINE_FINAL_TYPE (EsEngine, es_engine, G_TYPE_OBJECT)

enum {
  CALL_ADDED,
  INCOMING_CALL,
  REFUSED,
  NOTICE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
forget_media_connection (EsEngine *self)
{
  if (self->media_connection != NULL)
    g_signal_handlers_disconnect_by_data (self->media_connection, self);
  g_clear_object (&self->media_connection);
}

static void
es_engine_dispose (GObject *object)
{
  EsEngine *self = ES_ENGINE (object);

  es_engine_stop (self);
  g_clear_object (&self->channel);
  g_clear_object (&self->gatherer);
  g_clear_object (&self->relay_stun);
  g_clear_object (&self->endpoint);
  if (self->calls != NULL)
    g_list_store_remove_all (self->calls);

  G_OBJECT_CLASS (es_engine_parent_class)->dispose (object);
}

static void
es_engine_finalize (GObject *object)
{
  EsEngine *self = ES_ENGINE (object);

  g_clear_object (&self->identity);
  g_clear_object (&self->pins);
  g_clear_object (&self->calls);
  g_hash_table_unref (self->seen_offers);
  g_ptr_array_unref (self->stun_servers);
  g_ptr_array_unref (self->relays);

  G_OBJECT_CLASS (es_engine_parent_class)->finalize (object);
}

static void
es_engine_class_init (EsEngineClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = es_engine_dispose;
  object_class->finalize = es_engine_finalize;

  signals[CALL_ADDED] =
    g_signal_new ("call-added", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, ES_TYPE_CALL);
  signals[INCOMING_CALL] =
    g_signal_new ("incoming-call", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, ES_TYPE_CALL);
  signals[REFUSED] =
    g_signal_new ("refused", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
  signals[NOTICE] =
    g_signal_new ("notice", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
es_engine_init (EsEngine *self)
{
  self->relays = g_ptr_array_new_with_free_func ((GDestroyNotify) es_relay_spec_free);
  self->calls = g_list_store_new (ES_TYPE_CALL);
  self->seen_offers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->stun_servers = g_ptr_array_new_with_free_func (g_object_unref);
}

EsEngine *
es_engine_new (EsIdentity *identity)
{
  EsEngine *self = g_object_new (ES_TYPE_ENGINE, NULL);

  self->identity = g_object_ref (identity);
  return self;
}

void
es_engine_add_relay (EsEngine          *self,
                     const EsRelaySpec *relay)
{
  g_ptr_array_add (self->relays, es_relay_spec_copy (relay));
}

void
es_engine_add_stun_server (EsEngine           *self,
                           GInetSocketAddress *server)
{
  g_ptr_array_add (self->stun_servers, g_object_ref (server));
}

static void start_port_mapper (EsEngine *self);
static void release_port_mapper (EsEngine *self);

void
es_engine_set_privacy (EsEngine *self,
                       gboolean  privacy)
{
  self->privacy = privacy;
  if (self->gatherer != NULL)
    es_candidate_gatherer_set_privacy (self->gatherer, privacy);
  if (self->endpoint == NULL)
    return;
  if (privacy)
    release_port_mapper (self);
  else
    start_port_mapper (self);
}

gboolean
es_engine_get_privacy (EsEngine *self)
{
  return self->privacy;
}

EsIdentity *
es_engine_get_identity (EsEngine *self)
{
  return self->identity;
}

EsQuicEndpoint *
es_engine_get_endpoint (EsEngine *self)
{
  return self->endpoint;
}

EsSignalChannel *
es_engine_get_signal_channel (EsEngine *self)
{
  return self->channel;
}

GListModel *
es_engine_get_calls (EsEngine *self)
{
  return G_LIST_MODEL (self->calls);
}

/* ---- Calls ------------------------------------------------------------------- */

static EsCall *
find_call (EsEngine   *self,
           const char *call_id)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->calls));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(EsCall) call = g_list_model_get_item (G_LIST_MODEL (self->calls), i);

      if (g_strcmp0 (es_call_get_id (call), call_id) == 0)
        return call;
    }
  return NULL;
}

static void
on_call_state_changed (EsCall      *call,
                       EsCallState  state,
                       EsCallState  old_state,
                       EsEngine    *self)
{
  guint position;

  if (state != ES_CALL_STATE_ENDED)
    return;
  g_signal_handlers_disconnect_by_data (call, self);
  if (g_list_store_find (self->calls, call, &position))
    g_list_store_remove (self->calls, position);
}

static void
on_call_refused (EsCall   *call,
                 GError   *error,
                 EsEngine *self)
{
  g_signal_emit (self, signals[REFUSED], 0, error);
}

static void
add_call (EsEngine *self,
          EsCall   *call)
{
  es_call_set_direct_paths (call, self->endpoint, self->gatherer);
  g_signal_connect (call, "state-changed", G_CALLBACK (on_call_state_changed), self);
  g_signal_connect (call, "refused", G_CALLBACK (on_call_refused), self);
  g_list_store_append (self->calls, call);
  g_signal_emit (self, signals[CALL_ADDED], 0, call);
}

EsCall *
es_engine_place_call (EsEngine       *self,
                      const char     *fingerprint,
                      EsAudioBackend *audio,
                      GError        **error)
{
  g_autofree char *peer = es_fingerprint_normalize (fingerprint, error);
  g_autoptr(EsCall) call = NULL;

  if (peer == NULL)
    return NULL;
  if (g_str_equal (peer, es_identity_get_fingerprint (self->identity)))
    {
      g_set_error_literal (error, ES_ERROR, ES_ERROR_INVALID_ARGUMENT,
                           "that is your own address");
      return NULL;
    }
  if (self->channel == NULL || es_signal_channel_get_state (self->channel) != ES_SIGNAL_CHANNEL_REGISTERED)
    {
      g_set_error_literal (error, ES_ERROR, ES_ERROR_FAILED, "not connected to a relay");
      return NULL;
    }

  call = es_call_new_outgoing (self->identity, self->channel, peer);
  es_call_set_audio (call, audio);
  add_call (self, call);
  if (!es_call_dial (call, error))
    return NULL;
  return g_steal_pointer (&call);
}

/* ---- What arrives -------------------------------------------------------------- */

static void
refuse (EsEngine *self,
        GError   *error)
{
  g_signal_emit (self, signals[REFUSED], 0, error);
  g_error_free (error);
}

static gboolean
forget_if_old (gpointer key,
               gpointer value,
               gpointer data)
{
  return GPOINTER_TO_SIZE (value) + OFFER_FRESHNESS_MS < *(gsize *) data;
}

/* Fresh and never seen before: a replayed offer is neither. */
static gboolean
check_offer_fresh (EsEngine         *self,
                   EsSignedEnvelope *offer,
                   GError          **error)
{
  gsize now_ms = (gsize) (g_get_real_time () / 1000);
  gint64 time_ms = 0;

  if (!es_json_get_int (es_signed_envelope_get_body (offer), "time", &time_ms) ||
      ABS ((gint64) now_ms - time_ms) > OFFER_FRESHNESS_MS)
    {
      g_set_error_literal (error, ES_ERROR, ES_ERROR_PROTOCOL,
                           "its time is missing or more than 120 s from this clock (a replay?)");
      return FALSE;
    }
  g_hash_table_foreach_remove (self->seen_offers, forget_if_old, &now_ms);
  if (g_hash_table_contains (self->seen_offers, es_signed_envelope_get_call_id (offer)))
    {
      g_set_error_literal (error, ES_ERROR, ES_ERROR_PROTOCOL, "its call id was seen before");
      return FALSE;
    }
  g_hash_table_insert (self->seen_offers, g_strdup (es_signed_envelope_get_call_id (offer)),
                       GSIZE_TO_POINTER (now_ms));
  return TRUE;
}

static void
handle_offer (EsEngine   *self,
              JsonObject *message)
{
  const char *own = es_identity_get_fingerprint (self->identity);
  g_autoptr(EsSignedEnvelope) offer = NULL;
  g_autoptr(EsCall) call = NULL;
  GError *error = NULL;
  guint8 key[ES_ED25519_PUBLIC_KEY_SIZE];

  offer = es_signed_envelope_parse (message, &error);
  if (offer != NULL &&
      (g_strcmp0 (es_signed_envelope_get_to (offer), own) != 0 ||
       g_strcmp0 (es_json_get_string (es_signed_envelope_get_body (offer), "to"), own) != 0))
    g_set_error (&error, ES_ERROR, ES_ERROR_PROTOCOL, "it is addressed to someone else");
  if (error == NULL && es_signed_envelope_verify_body_key (offer, key, &error))
    check_offer_fresh (self, offer, &error);
  if (error != NULL)
    {
      g_prefix_error (&error, "refused a call offer from %s: ",
                      es_json_get_string (message, "from") != NULL
                        ? es_json_get_string (message, "from") : "an unknown sender");
      refuse (self, error);
      return;
    }

  call = es_call_new_incoming (self->identity, self->channel, offer, key);
  add_call (self, call);
  g_signal_emit (self, signals[INCOMING_CALL], 0, call);
}

static void
on_channel_message (EsSignalChannel *channel,
                    const char      *type,
                    JsonObject      *message,
                    EsEngine        *self)
{
  const char *call_id = es_json_get_string (message, "call_id");
  EsCall *call;

  if (g_str_equal (type, "call-offer"))
    {
      handle_offer (self, message);
      return;
    }
  call = call_id != NULL ? find_call (self, call_id) : NULL;
  if (call != NULL)
    es_call_handle_message (call, type, message);
  else if (g_str_equal (type, "error") && call_id == NULL)
    g_signal_emit (self, signals[NOTICE], 0, es_json_get_string (message, "message"));
}

static void
on_relay_datagram (EsQuicConnection *connection,
                   GBytes           *datagram,
                   EsEngine         *self)
{
  gsize length = 0;
  const guint8 *data = g_bytes_get_data (datagram, &length);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->calls));
  guint32 handle;

  if (length <= ES_RELAY_HANDLE_SIZE)
    return;
  handle = es_read_be32 (data);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(EsCall) call = g_list_model_get_item (G_LIST_MODEL (self->calls), i);

      if (es_call_get_relay_handle (call) == handle)
        {
          es_call_handle_relay_media (call, data + ES_RELAY_HANDLE_SIZE, length - ES_RELAY_HANDLE_SIZE);
          return;
        }
    }
}

/* A relay connection that ends takes with it the calls carried over it. */
static void
end_relayed_calls (EsEngine *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->calls));
  g_autoptr(GPtrArray) calls = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < n; i++)
    g_ptr_array_add (calls, g_list_model_get_item (G_LIST_MODEL (self->calls), i));
  for (guint i = 0; i < calls->len; i++)
    es_call_relay_lost (calls->pdata[i]);
}

/* The relay answers STUN on its QUIC port (DESIGN §7). The address it saw
 * at registration goes stale when our NAT rebinds; asking its STUN again
 * when the call gathers again tells the new one. */
static void
ask_relay_stun (EsEngine         *self,
                EsQuicConnection *connection)
{
  GInetSocketAddress *relay = es_quic_connection_get_remote_address (connection);
  g_autofree char *text = es_address_to_string (relay);
  g_autofree char *known = self->relay_stun != NULL ? es_address_to_string (self->relay_stun) : NULL;

  if (g_strcmp0 (text, known) == 0)
    return;
  g_set_object (&self->relay_stun, relay);
  es_candidate_gatherer_add_stun_server (self->gatherer, relay);
}

static void
on_channel_state_changed (EsSignalChannel *channel,
                          EsEngine        *self)
{
  EsQuicConnection *connection = es_signal_channel_get_connection (channel);

  if (es_signal_channel_get_state (channel) == ES_SIGNAL_CHANNEL_REGISTERED)
    {
      g_autofree char *relay = es_relay_spec_host_port (es_signal_channel_get_relay (channel));

      es_candidate_gatherer_set_relay (self->gatherer, relay, es_signal_channel_get_observed (channel));
      ask_relay_stun (self, connection);
      if (connection == self->media_connection)
        return;
      forget_media_connection (self);
      self->media_connection = g_object_ref (connection);
      g_signal_connect (connection, "datagram-received", G_CALLBACK (on_relay_datagram), self);
      return;
    }
  forget_media_connection (self);
  if (es_signal_channel_get_state (channel) != ES_SIGNAL_CHANNEL_CONNECTING)
    end_relayed_calls (self);
}

static void
on_channel_notice (EsSignalChannel *channel,
                   const char      *text,
                   EsEngine        *self)
{
  g_signal_emit (self, signals[NOTICE], 0, text);
}

/* ---- Direct paths ------------------------------------------------------------------ */

static EsCall *
find_call_accepting (EsEngine   *self,
                     const char *peer)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->calls));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(EsCall) call = g_list_model_get_item (G_LIST_MODEL (self->calls), i);

      if (g_strcmp0 (es_call_get_peer (call), peer) == 0 && es_call_accepts_direct (call))
        return call;
    }
  return NULL;
}

/* Only the peer of a call that is racing for a direct path, with this side
 * accepting, may connect: any other key is refused in the handshake. */
static gboolean
authorize_peer (EsQuicEndpoint     *endpoint,
                const char         *peer_fingerprint,
                GInetSocketAddress *remote,
                gpointer            data)
{
  EsEngine *self = data;

  return find_call_accepting (self, peer_fingerprint) != NULL;
}

static void
on_incoming_connection (EsQuicEndpoint   *endpoint,
                        EsQuicConnection *connection,
                        EsEngine         *self)
{
  EsCall *call = find_call_accepting (self, es_quic_connection_get_peer_fingerprint (connection));

  if (call == NULL || !es_call_take_direct_connection (call, connection))
    es_quic_connection_close (connection, ES_QUIC_APP_REFUSED, "no call is waiting for you");
}

static void
start_gatherer (EsEngine *self)
{
  self->gatherer = es_candidate_gatherer_new (self->endpoint);
  es_candidate_gatherer_set_privacy (self->gatherer, self->privacy);
  for (guint i = 0; i < self->stun_servers->len; i++)
    es_candidate_gatherer_add_stun_server (self->gatherer, self->stun_servers->pdata[i]);
  es_candidate_gatherer_gather (self->gatherer);
}

/* ---- Port mapping ------------------------------------------------------------------ */

/* A new, changed or lost mapping changes the candidates, which raises their
 * generation: calls in progress send the update to their peers. */
static void
on_mapping_changed (EsPortMapper  *mapper,
                    EsPortMapping *mapping,
                    EsEngine      *self)
{
  es_candidate_gatherer_set_mapped (self->gatherer, mapping != NULL ? mapping->external : NULL);
}

/* EARSHOT_PORTMAP is "off" (DESIGN §10.9), or names the protocols to try,
 * comma-separated (for a router whose UPnP misbehaves, say); all of them
 * when unset. */
static EsPortMapProtocols
port_map_protocols (void)
{
  const char *setting = g_getenv ("EARSHOT_PORTMAP");
  g_auto(GStrv) names = NULL;
  EsPortMapProtocols protocols = 0;

  if (setting == NULL || setting[0] == '\0')
    return ES_PORT_MAP_PROTOCOLS_ALL;
  names = g_strsplit (setting, ",", -1);
  for (guint i = 0; names[i] != NULL; i++)
    {
      const char *name = g_strstrip (names[i]);

      if (g_str_equal (name, es_port_map_protocol_to_string (ES_PORT_MAP_PROTOCOL_NAT_PMP)))
        protocols |= ES_PORT_MAP_PROTOCOLS_NAT_PMP;
      else if (g_str_equal (name, es_port_map_protocol_to_string (ES_PORT_MAP_PROTOCOL_PCP)))
        protocols |= ES_PORT_MAP_PROTOCOLS_PCP;
      else if (g_str_equal (name, es_port_map_protocol_to_string (ES_PORT_MAP_PROTOCOL_UPNP)))
        protocols |= ES_PORT_MAP_PROTOCOLS_UPNP;
      else
        {
          g_warning ("EARSHOT_PORTMAP: “%s” is not off, nat-pmp, pcp or upnp; trying all", name);
          return ES_PORT_MAP_PROTOCOLS_ALL;
        }
    }
  return protocols;
}

/* A mapping of the call socket's port on the gateway (DESIGN §7): a
 * "mapped" candidate that needs no hole punching. */
static void
start_port_mapper (EsEngine *self)
{
  GInetSocketAddress *local = es_quic_endpoint_get_local_address (self->endpoint);
  g_autoptr(GError) error = NULL;

  if (self->privacy || self->port_mapper != NULL || !es_port_mapper_is_enabled ())
    return;
  self->port_mapper = es_port_mapper_new (g_inet_socket_address_get_port (local));
  es_port_mapper_set_protocols (self->port_mapper, port_map_protocols ());
  g_signal_connect (self->port_mapper, "mapping-changed", G_CALLBACK (on_mapping_changed), self);
  if (es_port_mapper_start (self->port_mapper, &error))
    return;
  g_debug ("no port mapping: %s", error->message);
  g_signal_handlers_disconnect_by_data (self->port_mapper, self);
  g_clear_object (&self->port_mapper);
}

static void
on_port_mapper_released (GObject      *source,
                         GAsyncResult *result,
                         gpointer      data)
{
  g_autoptr(GError) error = NULL;

  if (!es_port_mapper_release_finish (ES_PORT_MAPPER (source), result, &error))
    g_debug ("the port mapping was not released: %s", error->message);
}

/* Privacy mode turned on: the mapping goes, and its candidate with it. */
static void
release_port_mapper (EsEngine *self)
{
  if (self->port_mapper == NULL)
    return;
  g_signal_handlers_disconnect_by_data (self->port_mapper, self);
  es_port_mapper_release_async (self->port_mapper, NULL, on_port_mapper_released, NULL);
  g_clear_object (&self->port_mapper);
  es_candidate_gatherer_set_mapped (self->gatherer, NULL);
}

/* ---- Shutting down ------------------------------------------------------------------ */

static void
hang_up_all (EsEngine *self)
{
  guint n = self->calls != NULL ? g_list_model_get_n_items (G_LIST_MODEL (self->calls)) : 0;
  g_autoptr(GPtrArray) calls = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < n; i++)
    g_ptr_array_add (calls, g_list_model_get_item (G_LIST_MODEL (self->calls), i));
  for (guint i = 0; i < calls->len; i++)
    es_call_hangup (calls->pdata[i]);
}

/* How long a leaving client waits for the relay to acknowledge its last
 * messages (a hang-up, say) and the gateway to delete its port mapping
 * before it closes anyway. */
#define SHUTDOWN_GRACE_MS 2000

typedef struct
{
  EsQuicConnection *connection;
  guint timeout_id;
  guint waiting;                /* the relay's acknowledgement, the mapping's release */
  GCancellable *cancellable;    /* the release, cut short by the grace period */
} Shutdown;

static void
shutdown_free (Shutdown *shutdown)
{
  g_clear_handle_id (&shutdown->timeout_id, g_source_remove);
  g_clear_object (&shutdown->connection);
  g_cancellable_cancel (shutdown->cancellable);
  g_clear_object (&shutdown->cancellable);
  g_free (shutdown);
}

static void
shutdown_done (GTask *task)
{
  EsEngine *self = g_task_get_source_object (task);
  Shutdown *shutdown = g_task_get_task_data (task);

  if (g_task_get_completed (task))
    return;
  g_clear_handle_id (&shutdown->timeout_id, g_source_remove);
  g_cancellable_cancel (shutdown->cancellable);
  if (shutdown->connection != NULL)
    g_signal_handlers_disconnect_by_data (shutdown->connection, task);
  es_engine_stop (self);
  g_task_return_boolean (task, TRUE);
}

static void
shutdown_step_done (GTask *task)
{
  Shutdown *shutdown = g_task_get_task_data (task);

  if (shutdown->waiting > 0 && --shutdown->waiting == 0)
    shutdown_done (task);
}

static void
on_shutdown_delivered (EsQuicConnection *connection,
                       GTask            *task)
{
  g_signal_handlers_disconnect_by_data (connection, task);
  shutdown_step_done (task);
}

static void
on_shutdown_mapping_released (GObject      *source,
                              GAsyncResult *result,
                              gpointer      data)
{
  g_autoptr(GTask) task = data;
  g_autoptr(GError) error = NULL;

  if (!es_port_mapper_release_finish (ES_PORT_MAPPER (source), result, &error))
    g_debug ("the port mapping was not released: %s", error->message);
  shutdown_step_done (task);
}

/* The mapping goes with the client (a lease nobody renews is only the
 * router's garbage for its lifetime). */
static void
release_mapping_on_shutdown (EsEngine *self,
                             GTask    *task)
{
  Shutdown *shutdown = g_task_get_task_data (task);

  if (self->port_mapper == NULL)
    return;
  g_signal_handlers_disconnect_by_data (self->port_mapper, self);
  shutdown->cancellable = g_cancellable_new ();
  shutdown->waiting++;
  es_port_mapper_release_async (self->port_mapper, shutdown->cancellable,
                                on_shutdown_mapping_released, g_object_ref (task));
  g_clear_object (&self->port_mapper);
}

static gboolean
on_shutdown_timeout (gpointer data)
{
  GTask *task = data;
  Shutdown *shutdown = g_task_get_task_data (task);

  shutdown->timeout_id = 0;
  shutdown_done (task);
  return G_SOURCE_REMOVE;
}

/* Hangs up every call, releases the port mapping, waits (a bounded time)
 * until the relay has acknowledged those last messages and the gateway the
 * release, then leaves. */
void
es_engine_shutdown_async (EsEngine            *self,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, callback, user_data);
  Shutdown *shutdown = g_new0 (Shutdown, 1);
  EsQuicConnection *connection;

  g_task_set_source_tag (task, es_engine_shutdown_async);
  g_task_set_task_data (task, shutdown, (GDestroyNotify) shutdown_free);
  hang_up_all (self);
  release_mapping_on_shutdown (self, task);

  connection = self->channel != NULL ? es_signal_channel_get_connection (self->channel) : NULL;
  if (connection != NULL && es_quic_connection_has_undelivered (connection))
    {
      shutdown->connection = g_object_ref (connection);
      shutdown->waiting++;
      g_signal_connect_object (connection, "delivered", G_CALLBACK (on_shutdown_delivered), task, 0);
    }
  if (shutdown->waiting == 0)
    {
      shutdown_done (task);
      return;
    }
  shutdown->timeout_id = g_timeout_add_full (G_PRIORITY_DEFAULT, SHUTDOWN_GRACE_MS,
                                             on_shutdown_timeout, g_object_ref (task),
                                             g_object_unref);
}

gboolean
es_engine_shutdown_finish (EsEngine      *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- Life ------------------------------------------------------------------------ */

static gboolean
bind_socket (EsEngine *self,
             GError  **error)
{
  g_autoptr(GInetAddress) any6 = g_inet_address_new_any (G_SOCKET_FAMILY_IPV6);
  g_autoptr(GSocketAddress) dual = g_inet_socket_address_new (any6, 0);
  g_autoptr(GInetAddress) any4 = NULL;
  g_autoptr(GSocketAddress) v4 = NULL;
  g_autoptr(GError) dual_error = NULL;

  /* One dual-stack socket; an IPv4-only socket where the host has no IPv6. */
  if (es_quic_endpoint_bind (self->endpoint, G_INET_SOCKET_ADDRESS (dual), &dual_error))
    return TRUE;
  g_debug ("no dual-stack socket (%s); using IPv4 only", dual_error->message);
  any4 = g_inet_address_new_any (G_SOCKET_FAMILY_IPV4);
  v4 = g_inet_socket_address_new (any4, 0);
  return es_quic_endpoint_bind (self->endpoint, G_INET_SOCKET_ADDRESS (v4), error);
}

static gboolean
load_pins (EsEngine          *self,
           const EsRelaySpec *home,
           GError           **error)
{
  g_autoptr(GError) local_error = NULL;

  self->pins = es_relay_pins_new_default ();
  if (es_relay_pins_load (self->pins, &local_error))
    return TRUE;
  /* Without a readable pin file, trust on first use cannot be checked;
   * a relay given with its fingerprint needs no pin file. */
  if (home->fingerprint == NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  g_signal_emit (self, signals[NOTICE], 0, local_error->message);
  g_clear_object (&self->pins);
  return TRUE;
}

gboolean
es_engine_start (EsEngine *self,
                 GError  **error)
{
  const EsRelaySpec *home;

  g_return_val_if_fail (self->endpoint == NULL, FALSE);

  if (self->relays->len == 0)
    {
      g_set_error_literal (error, ES_ERROR, ES_ERROR_INVALID_ARGUMENT, "no relay configured");
      return FALSE;
    }
  home = self->relays->pdata[0];
  if (!load_pins (self, home, error))
    return FALSE;

  self->endpoint = es_quic_endpoint_new (self->identity, NULL);
  if (!bind_socket (self, error))
    return FALSE;
  es_quic_endpoint_set_authorize_func (self->endpoint, authorize_peer, self, NULL);
  g_signal_connect (self->endpoint, "incoming-connection", G_CALLBACK (on_incoming_connection), self);
  start_gatherer (self);

  self->channel = es_signal_channel_new (self->endpoint, home, self->pins);
  g_signal_connect (self->channel, "message", G_CALLBACK (on_channel_message), self);
  g_signal_connect (self->channel, "state-changed", G_CALLBACK (on_channel_state_changed), self);
  g_signal_connect (self->channel, "notice", G_CALLBACK (on_channel_notice), self);
  es_signal_channel_start (self->channel);
  start_port_mapper (self);
  return TRUE;
}

/* Hangs up every call and leaves the relay at once; what was just sent may
 * be lost. es_engine_shutdown_async() waits for it to arrive first. */
void
es_engine_stop (EsEngine *self)
{
  hang_up_all (self);

  forget_media_connection (self);
  /* Unreleased, its dispose deletes the mapping in the background. */
  if (self->port_mapper != NULL)
    g_signal_handlers_disconnect_by_data (self->port_mapper, self);
  g_clear_object (&self->port_mapper);
  if (self->endpoint != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->endpoint, self);
      es_quic_endpoint_set_authorize_func (self->endpoint, NULL, NULL, NULL);
    }
  if (self->channel != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->channel, self);
      es_signal_channel_stop (self->channel);
    }
}

/* ---- Netcheck ------------------------------------------------------------------ */

static void
on_netcheck_done (GObject      *source,
                  GAsyncResult *result,
                  gpointer      data)
{
  g_autoptr(GTask) task = data;
  GError *error = NULL;
  JsonObject *report = es_netcheck_run_finish (ES_NETCHECK (source), result, &error);

  if (report == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, report, (GDestroyNotify) json_object_unref);
}

void
es_engine_run_netcheck_async (EsEngine            *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(EsNetcheck) netcheck = NULL;

  g_task_set_source_tag (task, es_engine_run_netcheck_async);
  if (self->endpoint == NULL || es_quic_endpoint_get_local_address (self->endpoint) == NULL)
    {
      g_task_return_new_error (task, ES_ERROR, ES_ERROR_FAILED, "the engine has not started");
      return;
    }
  netcheck = es_netcheck_new (self->endpoint);
  for (guint i = 0; i < self->relays->len; i++)
    es_netcheck_add_relay (netcheck, self->relays->pdata[i]);
  if (self->channel != NULL)
    es_netcheck_follow_relay_list (netcheck, self->channel);
  for (guint i = 0; i < self->stun_servers->len; i++)
    {
      g_autofree char *text = es_address_to_string (self->stun_servers->pdata[i]);

      es_netcheck_add_stun_server (netcheck, text, NULL);
    }
  es_netcheck_run_async (netcheck, cancellable, on_netcheck_done, g_steal_pointer (&task));
}

JsonObject *
es_engine_run_netcheck_finish (EsEngine      *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
