/* es-relay-client.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsRelayClient"

#include "es-relay-client.h"

#include "es-address.h"
#include "es-token-bucket.h"

struct _EsRelayClient
{
  GObject parent_instance;

  EsQuicConnection *connection;
  char *device;
  gint64 stream_id;
  gboolean registered;
  EsTokenBucket messages;
};

G_DEFINE_FINAL_TYPE (EsRelayClient, es_relay_client, G_TYPE_OBJECT)

static void
es_relay_client_finalize (GObject *object)
{
  EsRelayClient *self = ES_RELAY_CLIENT (object);

  g_clear_object (&self->connection);
  g_free (self->device);

  G_OBJECT_CLASS (es_relay_client_parent_class)->finalize (object);
}

static void
es_relay_client_class_init (EsRelayClientClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = es_relay_client_finalize;
}

static void
es_relay_client_init (EsRelayClient *self)
{
  self->stream_id = -1;
}

EsRelayClient *
es_relay_client_new (EsQuicConnection      *connection,
                     const EsRelaySettings *settings)
{
  EsRelayClient *self = g_object_new (ES_TYPE_RELAY_CLIENT, NULL);

  self->connection = g_object_ref (connection);
  es_token_bucket_init (&self->messages, settings->message_rate, settings->message_burst);
  return self;
}

EsQuicConnection *
es_relay_client_get_connection (EsRelayClient *self)
{
  return self->connection;
}

const char *
es_relay_client_get_fingerprint (EsRelayClient *self)
{
  return es_quic_connection_get_peer_fingerprint (self->connection);
}

const char *
es_relay_client_get_device (EsRelayClient *self)
{
  return self->device;
}

char *
es_relay_client_dup_observed (EsRelayClient *self)
{
  return es_address_to_string (es_quic_connection_get_remote_address (self->connection));
}

gboolean
es_relay_client_is_registered (EsRelayClient *self)
{
  return self->registered;
}

void
es_relay_client_register (EsRelayClient *self,
                          gint64         stream_id,
                          const char    *device)
{
  self->stream_id = stream_id;
  g_free (self->device);
  self->device = g_strdup (device);
  self->registered = TRUE;
}

gboolean
es_relay_client_send (EsRelayClient *self,
                      JsonObject    *message)
{
  g_autoptr(GError) error = NULL;

  if (self->stream_id < 0)
    return FALSE;
  if (!es_quic_connection_send_message (self->connection, self->stream_id, message, &error))
    {
      g_debug ("cannot send to %s: %s", es_relay_client_get_fingerprint (self), error->message);
      return FALSE;
    }
  return TRUE;
}

gboolean
es_relay_client_admit_message (EsRelayClient *self,
                               gint64         now_us)
{
  return es_token_bucket_take (&self->messages, 1, now_us);
}
