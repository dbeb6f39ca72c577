/* es-metrics-server.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsMetricsServer"

#include "es-metrics-server.h"

#include <libsoup/soup.h>

struct _EsMetricsServer
{
  GObject parent_instance;

  SoupServer *server;
  EsMetricsRenderFunc render;
  gpointer user_data;
};

G_DEFINE_FINAL_TYPE (EsMetricsServer, es_metrics_server, G_TYPE_OBJECT)

static void
es_metrics_server_dispose (GObject *object)
{
  EsMetricsServer *self = ES_METRICS_SERVER (object);

  if (self->server != NULL)
    soup_server_disconnect (self->server);
  g_clear_object (&self->server);

  G_OBJECT_CLASS (es_metrics_server_parent_class)->dispose (object);
}

static void
es_metrics_server_class_init (EsMetricsServerClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = es_metrics_server_dispose;
}

static void
es_metrics_server_init (EsMetricsServer *self)
{
}

static void
on_metrics_request (SoupServer        *server,
                    SoupServerMessage *message,
                    const char        *path,
                    GHashTable        *query,
                    gpointer           user_data)
{
  EsMetricsServer *self = user_data;
  char *text;

  if (g_strcmp0 (soup_server_message_get_method (message), "GET") != 0)
    {
      soup_server_message_set_status (message, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
      return;
    }
  text = self->render (self->user_data);
  soup_server_message_set_status (message, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (message, "text/plain; version=0.0.4", SOUP_MEMORY_TAKE,
                                    text, strlen (text));
}

EsMetricsServer *
es_metrics_server_new (EsMetricsRenderFunc render,
                       gpointer            user_data)
{
  EsMetricsServer *self = g_object_new (ES_TYPE_METRICS_SERVER, NULL);

  self->render = render;
  self->user_data = user_data;
  self->server = soup_server_new ("server-header", "earshot-relay", NULL);
  soup_server_add_handler (self->server, "/metrics", on_metrics_request, self, NULL);
  return self;
}

gboolean
es_metrics_server_listen (EsMetricsServer    *self,
                          GInetSocketAddress *address,
                          GError            **error)
{
  return soup_server_listen (self->server, G_SOCKET_ADDRESS (address), 0, error);
}

GInetSocketAddress *
es_metrics_server_dup_local_address (EsMetricsServer *self)
{
  g_autoptr(GSList) uris = soup_server_get_uris (self->server);
  GUri *uri;
  g_autoptr(GInetAddress) ip = NULL;
  GInetSocketAddress *address;

  if (uris == NULL)
    return NULL;
  uri = uris->data;
  ip = g_inet_address_new_from_string (g_uri_get_host (uri));
  address = G_INET_SOCKET_ADDRESS (g_inet_socket_address_new (ip, (guint16) g_uri_get_port (uri)));
  g_slist_free_full (g_steal_pointer (&uris), (GDestroyNotify) g_uri_unref);
  return address;
}
