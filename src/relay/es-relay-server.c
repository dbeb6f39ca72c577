/* es-relay-server.c
 *
 * Any client with an Ed25519 identity may connect; its fingerprint comes
 * from the key it proved in the TLS handshake, so registration needs no
 * password and cannot be spoofed. Call messages and media go to the
 * switchboard; STUN Binding requests on the same port are answered here.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsRelayServer"

#include "es-relay-server.h"

#include "es-json.h"
#include "es-quic-endpoint.h"
#include "es-stun.h"

#define MAX_DEVICE_LENGTH 64

struct _EsRelayServer
{
  GObject parent_instance;

  EsIdentity *identity;
  EsRelaySettings settings;
  EsQuicEndpoint *endpoint;
  EsRelayRegistry *registry;
  EsRelayMetrics *metrics;
  EsRelaySwitchboard *switchboard;
  GHashTable *clients;        /* EsQuicConnection → EsRelayClient */
  JsonArray *known_relays;
  char *region;
  gboolean shutting_down;
};

G_DEFINE_FINAL_TYPE (EsRelayServer, es_relay_server, G_TYPE_OBJECT)

enum {
  CLIENT_REGISTERED,
  DRAINED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
es_relay_server_dispose (GObject *object)
{
  EsRelayServer *self = ES_RELAY_SERVER (object);

  if (self->endpoint != NULL)
    g_signal_handlers_disconnect_by_data (self->endpoint, self);
  if (self->clients != NULL)
    {
      GHashTableIter iter;
      EsQuicConnection *connection;

      g_hash_table_iter_init (&iter, self->clients);
      while (g_hash_table_iter_next (&iter, (gpointer *) &connection, NULL))
        g_signal_handlers_disconnect_by_data (connection, self);
    }
  g_clear_pointer (&self->clients, g_hash_table_unref);
  g_clear_object (&self->switchboard);
  g_clear_object (&self->endpoint);

  G_OBJECT_CLASS (es_relay_server_parent_class)->dispose (object);
}

static void
es_relay_server_finalize (GObject *object)
{
  EsRelayServer *self = ES_RELAY_SERVER (object);

  g_clear_object (&self->registry);
  g_clear_object (&self->metrics);
  g_clear_object (&self->identity);
  json_array_unref (self->known_relays);
  g_free (self->region);

  G_OBJECT_CLASS (es_relay_server_parent_class)->finalize (object);
}

static void
es_relay_server_class_init (EsRelayServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = es_relay_server_dispose;
  object_class->finalize = es_relay_server_finalize;

  signals[CLIENT_REGISTERED] =
    g_signal_new ("client-registered", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, ES_TYPE_RELAY_CLIENT);
  signals[DRAINED] =
    g_signal_new ("drained", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
es_relay_server_init (EsRelayServer *self)
{
  self->registry = es_relay_registry_new ();
  self->metrics = es_relay_metrics_new ();
  self->clients = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_object_unref);
  self->known_relays = json_array_new ();
}

EsRelayServer *
es_relay_server_new (EsIdentity            *identity,
                     const EsRelaySettings *settings)
{
  EsRelayServer *self = g_object_new (ES_TYPE_RELAY_SERVER, NULL);

  self->identity = g_object_ref (identity);
  self->settings = *settings;
  self->switchboard = es_relay_switchboard_new (self->registry, self->metrics, settings);
  return self;
}

EsRelaySwitchboard *
es_relay_server_get_switchboard (EsRelayServer *self)
{
  return self->switchboard;
}

EsRelayRegistry *
es_relay_server_get_registry (EsRelayServer *self)
{
  return self->registry;
}

void
es_relay_server_add_known_relay (EsRelayServer *self,
                                 const char    *relay,
                                 const char    *region)
{
  JsonObject *entry = json_object_new ();

  json_object_set_string_member (entry, "relay", relay);
  if (region != NULL)
    json_object_set_string_member (entry, "region", region);
  json_array_add_object_element (self->known_relays, entry);
}

void
es_relay_server_set_region (EsRelayServer *self,
                            const char    *region)
{
  g_free (self->region);
  self->region = g_strdup (region);
}

/* ---- Clients ------------------------------------------------------------- */

static void
send_registered (EsRelayServer *self,
                 EsRelayClient *client)
{
  g_autoptr(JsonObject) message = es_json_new_message ("registered");
  g_autofree char *observed = es_relay_client_dup_observed (client);

  json_object_set_string_member (message, "fingerprint", es_relay_client_get_fingerprint (client));
  json_object_set_string_member (message, "observed", observed);
  json_object_set_array_member (message, "relays", json_array_ref (self->known_relays));
  if (self->region != NULL)
    json_object_set_string_member (message, "region", self->region);
  json_object_set_int_member (message, "keepalive_ms", self->settings.keepalive_ms);
  es_relay_client_send (client, message);
}

static void
handle_register (EsRelayServer *self,
                 EsRelayClient *client,
                 gint64         stream_id,
                 JsonObject    *message)
{
  const char *device = es_json_get_string (message, "device");
  g_autoptr(EsRelayClient) replaced = NULL;

  if (device == NULL || device[0] == '\0' || strlen (device) > MAX_DEVICE_LENGTH)
    device = "default";

  if (es_relay_client_is_registered (client))
    es_relay_registry_remove (self->registry, client);
  es_relay_client_register (client, stream_id, device);
  replaced = es_relay_registry_add (self->registry, client);
  send_registered (self, client);
  g_debug ("%s registered from %s", es_relay_client_get_fingerprint (client), device);
  g_signal_emit (self, signals[CLIENT_REGISTERED], 0, client);

  /* The same device reconnected (say, after a network change) before its
   * old connection timed out: the new one takes its place. */
  if (replaced != NULL && replaced != client)
    es_quic_connection_close (es_relay_client_get_connection (replaced), ES_QUIC_APP_REPLACED,
                              "the same device registered again");
}

static void
handle_ping (EsRelayClient *client,
             JsonObject    *message)
{
  g_autoptr(JsonObject) pong = es_json_new_message ("pong");
  gint64 nonce = 0;

  if (es_json_get_int (message, "nonce", &nonce))
    json_object_set_int_member (pong, "nonce", nonce);
  es_relay_client_send (client, pong);
}

static void
on_message_received (EsQuicConnection *connection,
                     gint64            stream_id,
                     JsonObject       *message,
                     EsRelayServer    *self)
{
  EsRelayClient *client = g_hash_table_lookup (self->clients, connection);
  const char *type = es_json_get_string (message, "type");

  if (!es_relay_client_admit_message (client, g_get_monotonic_time ()))
    {
      es_relay_metrics_count_message_dropped (self->metrics, ES_RELAY_MESSAGE_DROP_RATE_LIMIT);
      return;
    }

  if (g_strcmp0 (type, "register") == 0)
    handle_register (self, client, stream_id, message);
  else if (!es_relay_client_is_registered (client))
    es_relay_metrics_count_message_dropped (self->metrics, ES_RELAY_MESSAGE_DROP_UNREGISTERED);
  else if (g_strcmp0 (type, "ping") == 0)
    handle_ping (client, message);
  else if (type != NULL && es_relay_switchboard_handles (type))
    es_relay_switchboard_handle_message (self->switchboard, client, type, message);
  /* Unknown types are ignored, so that the protocol can grow. */
}

static void
on_datagram_received (EsQuicConnection *connection,
                      GBytes           *datagram,
                      EsRelayServer    *self)
{
  EsRelayClient *client = g_hash_table_lookup (self->clients, connection);

  if (es_relay_client_is_registered (client))
    es_relay_switchboard_handle_datagram (self->switchboard, client, datagram);
}

static void
on_connection_closed (EsQuicConnection *connection,
                      GError           *reason,
                      EsRelayServer    *self)
{
  g_autoptr(EsRelayClient) client = g_object_ref (g_hash_table_lookup (self->clients, connection));

  g_signal_handlers_disconnect_by_data (connection, self);
  g_debug ("%s left: %s", es_relay_client_get_fingerprint (client), reason->message);
  es_relay_registry_remove (self->registry, client);
  es_relay_switchboard_client_gone (self->switchboard, client);
  g_hash_table_remove (self->clients, connection);

  if (self->shutting_down && g_hash_table_size (self->clients) == 0)
    g_signal_emit (self, signals[DRAINED], 0);
}

static void
on_incoming_connection (EsQuicEndpoint   *endpoint,
                        EsQuicConnection *connection,
                        EsRelayServer    *self)
{
  g_hash_table_insert (self->clients, connection, es_relay_client_new (connection, &self->settings));
  g_signal_connect (connection, "message-received", G_CALLBACK (on_message_received), self);
  g_signal_connect (connection, "datagram-received", G_CALLBACK (on_datagram_received), self);
  g_signal_connect (connection, "closed", G_CALLBACK (on_connection_closed), self);
}

/* Every Ed25519 identity may register; who may call whom is the parties'
 * business, enforced by their signatures. */
static gboolean
authorize_any_identity (EsQuicEndpoint     *endpoint,
                        const char         *peer_fingerprint,
                        GInetSocketAddress *remote,
                        gpointer            user_data)
{
  EsRelayServer *self = user_data;

  return !self->shutting_down;
}

/* ---- STUN ---------------------------------------------------------------- */

static void
on_unhandled_packet (EsQuicEndpoint     *endpoint,
                     GInetSocketAddress *from,
                     GBytes             *packet,
                     EsRelayServer      *self)
{
  g_autoptr(GBytes) response = NULL;
  g_autoptr(GError) error = NULL;
  gsize length = 0;
  const guint8 *data = g_bytes_get_data (packet, &length);

  /* A refused request may still deserve an error response (420 for an
   * RFC 5780 CHANGE-REQUEST this one-address server cannot honour). */
  if (!es_stun_answer_binding_request (data, length, from, NULL, NULL, &response, &error))
    g_debug ("STUN request refused: %s", error->message);
  else
    es_relay_metrics_count_stun (self->metrics);
  g_clear_error (&error);
  if (response != NULL &&
      !es_quic_endpoint_send_raw (endpoint, from, g_bytes_get_data (response, NULL),
                                  g_bytes_get_size (response), &error))
    g_debug ("cannot answer a STUN request: %s", error->message);
}

/* ---- Life ---------------------------------------------------------------- */

gboolean
es_relay_server_start (EsRelayServer      *self,
                       GInetSocketAddress *listen,
                       GError            **error)
{
  g_return_val_if_fail (self->endpoint == NULL, FALSE);

  self->endpoint = es_quic_endpoint_new (self->identity, NULL);
  g_signal_connect (self->endpoint, "incoming-connection",
                    G_CALLBACK (on_incoming_connection), self);
  g_signal_connect (self->endpoint, "unhandled-packet", G_CALLBACK (on_unhandled_packet), self);
  es_quic_endpoint_set_authorize_func (self->endpoint, authorize_any_identity, self, NULL);
  return es_quic_endpoint_bind (self->endpoint, listen, error);
}

GInetSocketAddress *
es_relay_server_get_local_address (EsRelayServer *self)
{
  return es_quic_endpoint_get_local_address (self->endpoint);
}

gboolean
es_relay_server_send_to (EsRelayServer *self,
                         const char    *fingerprint,
                         JsonObject    *message)
{
  GPtrArray *devices = es_relay_registry_lookup (self->registry, fingerprint);

  if (devices == NULL)
    return FALSE;
  for (guint i = 0; i < devices->len; i++)
    es_relay_client_send (devices->pdata[i], message);
  return TRUE;
}

char *
es_relay_server_render_metrics (EsRelayServer *self)
{
  EsRelayGauges gauges = { 0 };
  EsQuicEndpointStats stats = { 0 };

  es_quic_endpoint_get_stats (self->endpoint, &stats);
  gauges.registered_clients = es_relay_registry_get_n_clients (self->registry);
  es_relay_switchboard_count_calls (self->switchboard, &gauges.ringing_calls, &gauges.active_calls);
  gauges.connections_accepted = stats.connections_accepted;
  gauges.handshake_failures = stats.handshake_failures;
  return es_relay_metrics_render (self->metrics, &gauges);
}

/* Tells every client the relay is going away (application close "going
 * away"), refuses new ones, and emits "drained" once all have closed. */
void
es_relay_server_shutdown (EsRelayServer *self)
{
  self->shutting_down = TRUE;
  if (g_hash_table_size (self->clients) == 0)
    {
      g_signal_emit (self, signals[DRAINED], 0);
      return;
    }
  es_quic_endpoint_shutdown (self->endpoint);
}
