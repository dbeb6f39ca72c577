/* es-upnp-mapper.c
 *
 * Mapping goes through gupnp-igd's GUPnPSimpleIgd, which discovers the IGD,
 * adds the mapping, renews it at half its lease and follows the external
 * address. It parses SSDP and the device descriptions itself (GSSDP,
 * GUPnP), so what Earshot reads of an IGD's answers is the external address
 * and port they carry: es_upnp_parse_external_address() checks them, and is
 * what tests/fuzz/fuzz-upnp-answer.c fuzzes (DESIGN §11). The netcheck probe
 * uses GUPnP's control point directly: it must be quick (MX 1) and must not
 * change the router.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsUpnpMapper"

#include "es-upnp-mapper.h"

#include <libgupnp-igd/gupnp-simple-igd.h>
#include <libgupnp/gupnp.h>
#include <string.h>

#include "es-error.h"
#include "es-gateway.h"

#define DESCRIPTION "Earshot"
#define PROBE_MX_S 1
/* "255.255.255.255" is the longest an IPv4 address is written. */
#define MAX_ADDRESS_LENGTH 15

static const char * const igd_services[] = {
  "urn:schemas-upnp-org:service:WANIPConnection:1",
  "urn:schemas-upnp-org:service:WANPPPConnection:1",
};

struct _EsUpnpMapper
{
  GObject parent_instance;

  GUPnPSimpleIgd *igd;
  guint16 internal_port;
  guint32 lifetime_s;
  gboolean mapping_requested;
};

G_DEFINE_FINAL_TYPE (EsUpnpMapper, es_upnp_mapper, G_TYPE_OBJECT)

enum {
  MAPPED,
  FAILED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* Only IPv4 contexts (IGD mappings are IPv4) on allowed interfaces. */
static gboolean
context_is_usable (GUPnPContext *context)
{
  g_auto(GStrv) allowed = es_gateway_allowed_interfaces ();
  const char *name = gssdp_client_get_interface (GSSDP_CLIENT (context));

  if (gssdp_client_get_family (GSSDP_CLIENT (context)) != G_SOCKET_FAMILY_IPV4)
    return FALSE;
  return allowed == NULL || (name != NULL && g_strv_contains ((const char * const *) allowed, name));
}

/* "context-available": TRUE means "ignore this context". */
static gboolean
on_igd_context_available (GUPnPSimpleIgd *igd,
                          GUPnPContext   *context,
                          EsUpnpMapper   *self)
{
  return !context_is_usable (context);
}

GInetAddress *
es_upnp_parse_external_address (const char  *text,
                                GError     **error)
{
  g_autoptr(GInetAddress) address = NULL;

  if (text != NULL && strlen (text) <= MAX_ADDRESS_LENGTH)
    address = g_inet_address_new_from_string (text);
  if (address == NULL || g_inet_address_get_family (address) != G_SOCKET_FAMILY_IPV4 ||
      g_inet_address_get_is_any (address) || g_inet_address_get_is_loopback (address) ||
      g_inet_address_get_is_multicast (address) ||
      g_str_equal (text, "255.255.255.255"))
    {
      g_autofree char *shown = text != NULL ? g_strescape (text, NULL) : g_strdup ("");

      g_set_error (error, ES_ERROR, ES_ERROR_PROTOCOL,
                   "the IGD gave “%.64s” as its external address: not one peers can reach", shown);
      return NULL;
    }
  return g_steal_pointer (&address);
}

EsPortMapping *
es_upnp_mapping_from_report (const char  *external_ip,
                             guint        external_port,
                             guint16      internal_port,
                             guint32      lifetime_s,
                             GError     **error)
{
  g_autoptr(GInetAddress) ip = es_upnp_parse_external_address (external_ip, error);
  g_autoptr(GSocketAddress) external = NULL;

  if (ip == NULL)
    return NULL;
  if (external_port == 0 || external_port > G_MAXUINT16)
    {
      g_set_error (error, ES_ERROR, ES_ERROR_PROTOCOL,
                   "the IGD reported a mapping to port %u", external_port);
      return NULL;
    }
  external = g_inet_socket_address_new (ip, (guint16) external_port);
  return es_port_mapping_new (ES_PORT_MAP_PROTOCOL_UPNP, G_INET_SOCKET_ADDRESS (external),
                              internal_port, lifetime_s);
}

static void
on_mapped_external_port (GUPnPSimpleIgd *igd,
                         const char     *protocol,
                         const char     *external_ip,
                         const char     *replaces_external_ip,
                         guint           external_port,
                         const char     *local_ip,
                         guint           local_port,
                         const char     *description,
                         EsUpnpMapper   *self)
{
  g_autoptr(GError) error = NULL;
  /* gupnp-igd renews the lease itself at half of what was asked for. */
  g_autoptr(EsPortMapping) mapping = es_upnp_mapping_from_report (external_ip, external_port,
                                                                  self->internal_port,
                                                                  self->lifetime_s, &error);

  if (mapping == NULL)
    g_signal_emit (self, signals[FAILED], 0, error);
  else
    g_signal_emit (self, signals[MAPPED], 0, mapping);
}

static void
on_error_mapping_port (GUPnPSimpleIgd *igd,
                       GError         *error,
                       const char     *protocol,
                       guint           external_port,
                       const char     *local_ip,
                       guint           local_port,
                       const char     *description,
                       EsUpnpMapper   *self)
{
  g_autoptr(GError) reported = g_error_new (ES_ERROR, ES_ERROR_PROTOCOL,
                                            "the IGD refused the mapping: %s", error->message);

  g_signal_emit (self, signals[FAILED], 0, reported);
}

static void
es_upnp_mapper_dispose (GObject *object)
{
  EsUpnpMapper *self = ES_UPNP_MAPPER (object);

  /* Dropping the object deletes its mappings (gupnp-igd's dispose). */
  if (self->igd != NULL)
    g_signal_handlers_disconnect_by_data (self->igd, self);
  g_clear_object (&self->igd);

  G_OBJECT_CLASS (es_upnp_mapper_parent_class)->dispose (object);
}

static void
es_upnp_mapper_class_init (EsUpnpMapperClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = es_upnp_mapper_dispose;

  signals[MAPPED] =
    g_signal_new ("mapped", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, ES_TYPE_PORT_MAPPING);
  signals[FAILED] =
    g_signal_new ("failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
es_upnp_mapper_init (EsUpnpMapper *self)
{
}

EsUpnpMapper *
es_upnp_mapper_new (void)
{
  return g_object_new (ES_TYPE_UPNP_MAPPER, NULL);
}

void
es_upnp_mapper_map (EsUpnpMapper *self,
                    GInetAddress *local_ip,
                    guint16       internal_port,
                    guint32       lifetime_s)
{
  g_autofree char *local = g_inet_address_to_string (local_ip);

  g_return_if_fail (ES_IS_UPNP_MAPPER (self));
  g_return_if_fail (!self->mapping_requested);

  self->mapping_requested = TRUE;
  self->internal_port = internal_port;
  self->lifetime_s = lifetime_s;
  self->igd = gupnp_simple_igd_new ();
  g_signal_connect (self->igd, "context-available", G_CALLBACK (on_igd_context_available), self);
  g_signal_connect (self->igd, "mapped-external-port", G_CALLBACK (on_mapped_external_port), self);
  g_signal_connect (self->igd, "error-mapping-port", G_CALLBACK (on_error_mapping_port), self);
  gupnp_simple_igd_add_port (self->igd, "UDP", internal_port, local, internal_port, lifetime_s,
                             DESCRIPTION);
}

/* ---- Release ---------------------------------------------------------------- */

typedef struct
{
  GTask *task;          /* NULL once returned */
  guint timeout_id;
} Release;

static void
release_return (Release *release,
                GError  *error)
{
  GTask *task = g_steal_pointer (&release->task);

  g_clear_handle_id (&release->timeout_id, g_source_remove);
  if (task == NULL)
    {
      g_clear_error (&error);
      return;
    }
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

/* gupnp-igd holds itself alive until DeletePortMapping has been answered. */
static void
on_igd_finalized (gpointer  data,
                  GObject  *where_the_object_was)
{
  Release *release = data;

  release_return (release, NULL);
  if (release->task == NULL && release->timeout_id == 0)
    g_free (release);
}

static gboolean
on_release_timeout (gpointer data)
{
  Release *release = data;

  release->timeout_id = 0;
  release_return (release, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                                                "the IGD did not confirm the release in time"));
  /* The weak reference still points here: on_igd_finalized frees it. */
  return G_SOURCE_REMOVE;
}

void
es_upnp_mapper_release_async (EsUpnpMapper        *self,
                              guint                budget_ms,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  Release *release;
  GUPnPSimpleIgd *igd;

  g_return_if_fail (ES_IS_UPNP_MAPPER (self));

  if (self->igd == NULL)
    {
      g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

      g_task_return_boolean (task, TRUE);
      return;
    }
  release = g_new0 (Release, 1);
  release->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (release->task, es_upnp_mapper_release_async);
  igd = g_steal_pointer (&self->igd);
  g_signal_handlers_disconnect_by_data (igd, self);
  /* The mapping is known by the external port asked for: the internal one. */
  gupnp_simple_igd_remove_port (igd, "UDP", self->internal_port);
  release->timeout_id = g_timeout_add (budget_ms, on_release_timeout, release);
  g_object_weak_ref (G_OBJECT (igd), on_igd_finalized, release);
  g_object_unref (igd);
}

gboolean
es_upnp_mapper_release_finish (EsUpnpMapper  *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- Probe ---------------------------------------------------------------------- */

typedef struct
{
  GUPnPContextManager *manager;
  GCancellable *actions;
  guint budget_id;
  gboolean returned;
  GError *refusal;
} Probe;

static void
probe_free (Probe *probe)
{
  g_clear_handle_id (&probe->budget_id, g_source_remove);
  g_cancellable_cancel (probe->actions);
  g_clear_object (&probe->actions);
  if (probe->manager != NULL)
    g_signal_handlers_disconnect_matched (probe->manager, G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL,
                                          probe);
  g_clear_object (&probe->manager);
  g_clear_error (&probe->refusal);
  g_free (probe);
}

/* Ends the probe once: the task data goes with the last reference. */
static void
probe_return (GTask        *task,
              GInetAddress *external,
              GError       *error)
{
  Probe *probe = g_task_get_task_data (task);

  if (probe->returned)
    {
      g_clear_error (&error);
      return;
    }
  probe->returned = TRUE;
  g_clear_handle_id (&probe->budget_id, g_source_remove);
  g_cancellable_cancel (probe->actions);
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, g_object_ref (external), g_object_unref);
  g_object_unref (task);
}

static void
on_external_address (GObject      *source,
                     GAsyncResult *result,
                     gpointer      data)
{
  GTask *task = data;
  Probe *probe = g_task_get_task_data (task);
  GUPnPServiceProxyAction *action;   /* transfer none: the call owns it */
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GInetAddress) external = NULL;
  g_autoptr(GError) refusal = NULL;

  action = gupnp_service_proxy_call_action_finish (GUPNP_SERVICE_PROXY (source), result, &error);
  if (action != NULL)
    gupnp_service_proxy_action_get_result (action, &error, "NewExternalIPAddress", G_TYPE_STRING,
                                           &text, NULL);
  if (error == NULL)
    external = es_upnp_parse_external_address (text, &refusal);
  if (external != NULL)
    probe_return (task, external, NULL);
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_clear_error (&probe->refusal);
      probe->refusal = error != NULL
        ? g_error_new (ES_ERROR, ES_ERROR_PROTOCOL, "the IGD refused GetExternalIPAddress: %s",
                       error->message)
        : g_steal_pointer (&refusal);
    }
  g_object_unref (task);
}

static void
on_service_available (GUPnPControlPoint *control_point,
                      GUPnPServiceProxy *proxy,
                      GTask             *task)
{
  Probe *probe = g_task_get_task_data (task);
  GUPnPServiceProxyAction *action = gupnp_service_proxy_action_new ("GetExternalIPAddress", NULL);

  gupnp_service_proxy_call_action_async (proxy, action, probe->actions, on_external_address,
                                         g_object_ref (task));
  gupnp_service_proxy_action_unref (action);
}

static void
on_probe_context_available (GUPnPContextManager *manager,
                            GUPnPContext        *context,
                            GTask               *task)
{
  if (!context_is_usable (context))
    return;
  for (guint i = 0; i < G_N_ELEMENTS (igd_services); i++)
    {
      g_autoptr(GUPnPControlPoint) control_point = gupnp_control_point_new (context, igd_services[i]);

      g_signal_connect_object (control_point, "service-proxy-available",
                               G_CALLBACK (on_service_available), task, 0);
      gssdp_resource_browser_set_mx (GSSDP_RESOURCE_BROWSER (control_point), PROBE_MX_S);
      gssdp_resource_browser_set_active (GSSDP_RESOURCE_BROWSER (control_point), TRUE);
      gupnp_context_manager_manage_control_point (manager, control_point);
    }
}

static gboolean
on_probe_budget_over (gpointer data)
{
  GTask *task = data;
  Probe *probe = g_task_get_task_data (task);
  GError *error;

  probe->budget_id = 0;
  if (probe->refusal != NULL)
    error = g_error_copy (probe->refusal);
  else
    error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "no UPnP IGD answered");
  probe_return (task, NULL, error);
  return G_SOURCE_REMOVE;
}

void
es_upnp_probe_async (guint                budget_ms,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  Probe *probe = g_new0 (Probe, 1);

  g_task_set_source_tag (task, es_upnp_probe_async);
  g_task_set_task_data (task, probe, (GDestroyNotify) probe_free);
  probe->actions = g_cancellable_new ();
  probe->budget_id = g_timeout_add (budget_ms, on_probe_budget_over, task);
  probe->manager = gupnp_context_manager_create_full (GSSDP_UDA_VERSION_1_0,
                                                      G_SOCKET_FAMILY_IPV4, 0);
  g_signal_connect (probe->manager, "context-available",
                    G_CALLBACK (on_probe_context_available), task);
}

GInetAddress *
es_upnp_probe_finish (GAsyncResult  *result,
                      GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
