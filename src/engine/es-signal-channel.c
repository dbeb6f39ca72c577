/* es-signal-channel.c
 *
 * Connects to the relay with its key pinned (from HOST:PORT#FP, else from
 * what was learnt on first use), registers, and keeps the connection: QUIC
 * keep-alives hold the NAT binding open, and a lost connection is retried
 * with exponential backoff and jitter, so that a relay restart does not see
 * every client at the same instant. A key that does not match its pin is
 * never retried: that is an attack or a misconfiguration, and either way
 * the user must act.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsSignalChannel"

#include "es-signal-channel.h"

#include <sodium.h>

#include "es-error.h"
#include "es-fingerprint.h"
#include "es-hex.h"
#include "es-json.h"

#define DEFAULT_BACKOFF_INITIAL_MS 1000
#define DEFAULT_BACKOFF_MAX_MS 30000

struct _EsSignalChannel
{
  GObject parent_instance;

  EsQuicEndpoint *endpoint;
  EsRelaySpec *relay;
  EsRelayPins *pins;
  char *device;

  EsSignalChannelState state;
  GError *error;
  GCancellable *cancellable;
  EsQuicConnection *connection;
  gint64 stream_id;
  char *relay_fingerprint;
  char *observed;
  JsonArray *known_relays;
  char *region;
  char *expected_fingerprint;   /* the pin of the attempt under way, NULL on first use */
  gboolean trusting_on_first_use;

  guint backoff_initial_ms;
  guint backoff_max_ms;
  guint backoff_ms;
  guint retry_id;
};

G_DEFINE_FINAL_TYPE (EsSignalChannel, es_signal_channel, G_TYPE_OBJECT)

enum {
  STATE_CHANGED,
  MESSAGE,
  NOTICE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void connect_to_relay (EsSignalChannel *self);

static void
drop_connection (EsSignalChannel *self)
{
  if (self->connection == NULL)
    return;
  g_signal_handlers_disconnect_by_data (self->connection, self);
  if (es_quic_connection_get_state (self->connection) < ES_QUIC_CONNECTION_STATE_CLOSING)
    es_quic_connection_close (self->connection, ES_QUIC_APP_NO_ERROR, "leaving");
  g_clear_object (&self->connection);
  self->stream_id = -1;
}

static void
es_signal_channel_dispose (GObject *object)
{
  EsSignalChannel *self = ES_SIGNAL_CHANNEL (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->retry_id, g_source_remove);
  drop_connection (self);
  g_clear_object (&self->endpoint);
  g_clear_object (&self->pins);

  G_OBJECT_CLASS (es_signal_channel_parent_class)->dispose (object);
}

static void
es_signal_channel_finalize (GObject *object)
{
  EsSignalChannel *self = ES_SIGNAL_CHANNEL (object);

  es_relay_spec_free (self->relay);
  g_free (self->device);
  g_clear_error (&self->error);
  g_clear_object (&self->cancellable);
  g_free (self->relay_fingerprint);
  g_free (self->expected_fingerprint);
  g_free (self->observed);
  g_clear_pointer (&self->known_relays, json_array_unref);
  g_free (self->region);

  G_OBJECT_CLASS (es_signal_channel_parent_class)->finalize (object);
}

static void
es_signal_channel_class_init (EsSignalChannelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = es_signal_channel_dispose;
  object_class->finalize = es_signal_channel_finalize;

  signals[STATE_CHANGED] =
    g_signal_new ("state-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[MESSAGE] =
    g_signal_new ("message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, JSON_TYPE_OBJECT);
  signals[NOTICE] =
    g_signal_new ("notice", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
es_signal_channel_init (EsSignalChannel *self)
{
  guint8 device[8];

  self->stream_id = -1;
  self->backoff_initial_ms = DEFAULT_BACKOFF_INITIAL_MS;
  self->backoff_max_ms = DEFAULT_BACKOFF_MAX_MS;
  self->backoff_ms = self->backoff_initial_ms;
  /* One per process, kept across reconnects, so that the relay replaces a
   * stale connection of this device instead of ringing it twice. */
  randombytes_buf (device, sizeof device);
  self->device = es_hex_encode (device, sizeof device);
}

EsSignalChannel *
es_signal_channel_new (EsQuicEndpoint    *endpoint,
                       const EsRelaySpec *relay,
                       EsRelayPins       *pins)
{
  EsSignalChannel *self = g_object_new (ES_TYPE_SIGNAL_CHANNEL, NULL);

  self->endpoint = g_object_ref (endpoint);
  self->relay = es_relay_spec_copy (relay);
  self->pins = pins != NULL ? g_object_ref (pins) : NULL;
  return self;
}

static void
set_state (EsSignalChannel      *self,
           EsSignalChannelState  state,
           GError               *error)
{
  if (error != NULL)
    {
      g_clear_error (&self->error);
      self->error = error;
    }
  else if (state == ES_SIGNAL_CHANNEL_REGISTERED)
    {
      g_clear_error (&self->error);
    }
  if (self->state == state && error == NULL)
    return;
  self->state = state;
  g_signal_emit (self, signals[STATE_CHANGED], 0);
}

/* ---- Retrying ------------------------------------------------------------ */

static gboolean
on_retry (gpointer data)
{
  EsSignalChannel *self = data;

  self->retry_id = 0;
  connect_to_relay (self);
  return G_SOURCE_REMOVE;
}

/* Exponential backoff with ±25 % jitter. */
static void
schedule_retry (EsSignalChannel *self,
                GError          *error)
{
  guint delay = self->backoff_ms * (75 + randombytes_uniform (51)) / 100;

  g_debug ("relay unreachable (%s); retrying in %u ms", error->message, delay);
  self->backoff_ms = MIN (self->backoff_ms * 2, self->backoff_max_ms);
  self->retry_id = g_timeout_add (delay, on_retry, self);
  set_state (self, ES_SIGNAL_CHANNEL_WAITING, error);
}

static void
fail_or_retry (EsSignalChannel *self,
               const GError    *reason,
               const char      *expected_fingerprint)
{
  g_autofree char *where = es_relay_spec_host_port (self->relay);
  GError *error;

  /* Our own check refused the relay's certificate: its key is not the pin. */
  if (g_error_matches (reason, ES_QUIC_ERROR, ES_QUIC_ERROR_PEER_VERIFICATION))
    {
      error = g_error_new (ES_ERROR, ES_ERROR_PROTOCOL,
                           "relay %s did not prove it holds the pinned key %s (%s)%s", where,
                           expected_fingerprint != NULL ? expected_fingerprint : "(none)",
                           reason->message,
                           self->relay->fingerprint == NULL
                             ? "; it was trusted on first use: if its key really changed, remove "
                               "it from relays.json or give --relay HOST:PORT#NEW-FINGERPRINT"
                             : "");
      drop_connection (self);
      set_state (self, ES_SIGNAL_CHANNEL_FAILED, error);
      return;
    }

  error = g_error_new (reason->domain, reason->code, "relay %s: %s", where, reason->message);
  drop_connection (self);
  schedule_retry (self, error);
}

/* ---- Registered connection ---------------------------------------------- */

static void
handle_registered (EsSignalChannel *self,
                   JsonObject      *message)
{
  const char *observed = es_json_get_string (message, "observed");
  JsonArray *relays = es_json_get_array (message, "relays");

  g_free (self->observed);
  self->observed = g_strdup (observed);
  g_clear_pointer (&self->known_relays, json_array_unref);
  self->known_relays = relays != NULL ? json_array_ref (relays) : json_array_new ();
  g_free (self->region);
  self->region = g_strdup (es_json_get_string (message, "region"));
  self->backoff_ms = self->backoff_initial_ms;
  set_state (self, ES_SIGNAL_CHANNEL_REGISTERED, NULL);
}

static void
on_message_received (EsQuicConnection *connection,
                     gint64            stream_id,
                     JsonObject       *message,
                     EsSignalChannel  *self)
{
  const char *type = es_json_get_string (message, "type");

  if (stream_id != self->stream_id || type == NULL)
    return;
  if (g_str_equal (type, "registered"))
    handle_registered (self, message);
  else if (!g_str_equal (type, "pong"))
    g_signal_emit (self, signals[MESSAGE], 0, type, message);
}

static void
on_closed (EsQuicConnection *connection,
           GError           *reason,
           EsSignalChannel  *self)
{
  fail_or_retry (self, reason, NULL);
}

static void
remember_relay (EsSignalChannel *self)
{
  g_autofree char *host_port = es_relay_spec_host_port (self->relay);
  g_autofree char *notice = NULL;
  g_autoptr(GError) error = NULL;

  if (!self->trusting_on_first_use || self->pins == NULL)
    return;
  if (!es_relay_pins_remember (self->pins, host_port, self->relay_fingerprint, &error))
    notice = g_strdup_printf ("relay %s trusted for this session only: %s", host_port,
                              error->message);
  else
    notice = g_strdup_printf ("relay %s trusted on first use with key %s (pinned in %s)",
                              host_port, self->relay_fingerprint,
                              es_relay_pins_get_path (self->pins));
  g_signal_emit (self, signals[NOTICE], 0, notice);
}

static void
register_with_relay (EsSignalChannel *self)
{
  g_autoptr(JsonObject) message = es_json_new_message ("register");
  g_autoptr(JsonArray) capabilities = json_array_new ();
  g_autoptr(GError) error = NULL;

  json_array_add_string_element (capabilities, "opus");
  json_array_add_string_element (capabilities, "e2e-v1");
  json_object_set_string_member (message, "device", self->device);
  json_object_set_array_member (message, "capabilities", g_steal_pointer (&capabilities));

  self->stream_id = es_quic_connection_open_stream (self->connection, &error);
  if (self->stream_id < 0 ||
      !es_quic_connection_send_message (self->connection, self->stream_id, message, &error))
    {
      es_quic_connection_close (self->connection, ES_QUIC_APP_NO_ERROR, "cannot register");
      fail_or_retry (self, error, NULL);
    }
}

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      data)
{
  g_autoptr(EsSignalChannel) self = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(EsQuicConnection) connection = NULL;

  connection = es_quic_endpoint_connect_finish (ES_QUIC_ENDPOINT (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
      g_error_matches (error, ES_QUIC_ERROR, ES_QUIC_ERROR_CANCELLED) ||
      self->state == ES_SIGNAL_CHANNEL_STOPPED)
    return;
  if (connection == NULL)
    {
      fail_or_retry (self, error, self->expected_fingerprint);
      return;
    }

  self->connection = g_steal_pointer (&connection);
  g_free (self->relay_fingerprint);
  self->relay_fingerprint = g_strdup (es_quic_connection_get_peer_fingerprint (self->connection));
  remember_relay (self);
  g_signal_connect (self->connection, "message-received", G_CALLBACK (on_message_received), self);
  g_signal_connect (self->connection, "closed", G_CALLBACK (on_closed), self);
  register_with_relay (self);
}

/* ---- Connecting ---------------------------------------------------------- */

/* The pin: the fingerprint written with the relay, else the one learnt on
 * first use, else none yet (trust on first use). */
static EsPeerPin *
choose_pin (EsSignalChannel *self,
            const char     **expected)
{
  g_autofree char *host_port = es_relay_spec_host_port (self->relay);
  const char *fingerprint = self->relay->fingerprint;
  guint8 bytes[ES_FINGERPRINT_SIZE];

  if (fingerprint == NULL && self->pins != NULL)
    fingerprint = es_relay_pins_lookup (self->pins, host_port);
  self->trusting_on_first_use = fingerprint == NULL;
  *expected = fingerprint;
  if (fingerprint == NULL)
    return es_peer_pin_new_trust_on_first_use ();
  if (!es_fingerprint_parse (fingerprint, bytes, NULL))
    g_return_val_if_reached (NULL);
  return es_peer_pin_new_fingerprint (bytes);
}

static void
on_resolved (GObject      *source,
             GAsyncResult *result,
             gpointer      data)
{
  g_autoptr(EsSignalChannel) self = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GList) addresses = NULL;
  g_autoptr(GInetSocketAddress) remote = NULL;
  g_autoptr(EsPeerPin) pin = NULL;
  const char *expected = NULL;

  addresses = g_resolver_lookup_by_name_finish (G_RESOLVER (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (addresses == NULL)
    {
      schedule_retry (self, g_error_new (ES_ERROR, ES_ERROR_FAILED,
                                         "cannot resolve relay host %s: %s",
                                         self->relay->host, error->message));
      return;
    }

  remote = G_INET_SOCKET_ADDRESS (g_inet_socket_address_new (addresses->data, self->relay->port));
  g_list_free_full (g_steal_pointer (&addresses), g_object_unref);
  pin = choose_pin (self, &expected);
  g_free (self->expected_fingerprint);
  self->expected_fingerprint = g_strdup (expected);
  es_quic_endpoint_connect_async (self->endpoint, remote, pin, self->cancellable, on_connected,
                                  g_object_ref (self));
}

static void
connect_to_relay (EsSignalChannel *self)
{
  g_autoptr(GResolver) resolver = g_resolver_get_default ();

  drop_connection (self);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  set_state (self, ES_SIGNAL_CHANNEL_CONNECTING, NULL);
  g_resolver_lookup_by_name_async (resolver, self->relay->host, self->cancellable, on_resolved,
                                   g_object_ref (self));
}

void
es_signal_channel_start (EsSignalChannel *self)
{
  g_return_if_fail (ES_IS_SIGNAL_CHANNEL (self));

  if (self->state != ES_SIGNAL_CHANNEL_STOPPED && self->state != ES_SIGNAL_CHANNEL_FAILED)
    return;
  self->backoff_ms = self->backoff_initial_ms;
  connect_to_relay (self);
}

void
es_signal_channel_stop (EsSignalChannel *self)
{
  g_return_if_fail (ES_IS_SIGNAL_CHANNEL (self));

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->retry_id, g_source_remove);
  drop_connection (self);
  set_state (self, ES_SIGNAL_CHANNEL_STOPPED, NULL);
}

/* ---- Accessors ----------------------------------------------------------- */

EsSignalChannelState
es_signal_channel_get_state (EsSignalChannel *self)
{
  return self->state;
}

const GError *
es_signal_channel_get_error (EsSignalChannel *self)
{
  return self->error;
}

const EsRelaySpec *
es_signal_channel_get_relay (EsSignalChannel *self)
{
  return self->relay;
}

const char *
es_signal_channel_get_relay_fingerprint (EsSignalChannel *self)
{
  return self->relay_fingerprint;
}

const char *
es_signal_channel_get_observed (EsSignalChannel *self)
{
  return self->observed;
}

JsonArray *
es_signal_channel_get_known_relays (EsSignalChannel *self)
{
  return self->known_relays;
}

const char *
es_signal_channel_get_region (EsSignalChannel *self)
{
  return self->region;
}

EsQuicConnection *
es_signal_channel_get_connection (EsSignalChannel *self)
{
  return self->connection;
}

gboolean
es_signal_channel_send (EsSignalChannel *self,
                        JsonObject      *message,
                        GError         **error)
{
  if (self->state != ES_SIGNAL_CHANNEL_REGISTERED || self->connection == NULL)
    {
      g_autofree char *where = es_relay_spec_host_port (self->relay);

      g_set_error (error, ES_ERROR, ES_ERROR_FAILED, "not connected to relay %s", where);
      return FALSE;
    }
  return es_quic_connection_send_message (self->connection, self->stream_id, message, error);
}

void
es_signal_channel_set_backoff (EsSignalChannel *self,
                               guint            initial_ms,
                               guint            max_ms)
{
  self->backoff_initial_ms = initial_ms;
  self->backoff_max_ms = max_ms;
  self->backoff_ms = initial_ms;
}
