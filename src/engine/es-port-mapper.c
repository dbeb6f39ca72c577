/* es-port-mapper.c
 *
 * One attempt per protocol runs at a time. Losers that succeeded are
 * released only when their external endpoint differs from the winner's:
 * on a router that speaks several protocols (miniupnpd) they share one
 * forwarding rule, and deleting the loser's would delete the winner's.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsPortMapper"

#include "es-port-mapper.h"

#include <sodium.h>
#include <string.h>

#include "es-error.h"
#include "es-gateway.h"
#include "es-nat-pmp.h"
#include "es-pcp.h"
#include "es-upnp-mapper.h"

#define RELEASE_BUDGET_MS       3000
#define UPNP_RELEASE_BUDGET_MS  6000
#define RETRY_FIRST_S           60
#define RETRY_MAX_S             1800
/* RFC 6887 §14.1.3: a random wait after a multicast ANNOUNCE, so that every
 * client of a restarted router does not ask at the same instant. */
#define ANNOUNCE_DELAY_MAX_MS   5000
#define PROBE_LIFETIME_S        120
#define ANNOUNCE_GROUP          "224.0.0.1"
#define N_PROTOCOLS             3

typedef struct
{
  EsPortMapProtocol protocol;
  GCancellable *cancellable;    /* while it runs */
  EsPortMapping *result;        /* a success that lost, kept to release it */
} Attempt;

struct _EsPortMapper
{
  GObject parent_instance;

  guint16 internal_port;
  EsPortMapProtocols protocols;
  guint32 lifetime_s;
  gboolean started;
  gboolean released;

  EsGateway *gateway;
  GInetSocketAddress *server;   /* the gateway's port 5351 */
  Attempt attempts[N_PROTOCOLS];
  EsPortMapping *first_success; /* waiting out the preference window */
  guint decision_id;
  EsPortMapping *mapping;       /* the winner */
  guint8 nonce[ES_PORT_MAP_NONCE_SIZE];

  guint refresh_id;
  gint64 refresh_time;
  GCancellable *refresh_cancellable;
  guint retry_id;
  guint retry_s;

  EsUpnpMapper *upnp;

  GSocket *announcements;
  GSource *announcement_source;
  guint announce_id;
};

G_DEFINE_FINAL_TYPE (EsPortMapper, es_port_mapper, G_TYPE_OBJECT)

enum {
  MAPPING_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void start_attempts (EsPortMapper *self);
static void release_in_background (EsPortMapper *self, const EsPortMapping *mapping);

gboolean
es_port_mapper_is_enabled (void)
{
  return g_strcmp0 (g_getenv ("EARSHOT_PORTMAP"), "off") != 0;
}

static Attempt *
attempt_for (EsPortMapper      *self,
             EsPortMapProtocol  protocol)
{
  g_assert (protocol >= ES_PORT_MAP_PROTOCOL_NAT_PMP && protocol <= ES_PORT_MAP_PROTOCOL_UPNP);
  return &self->attempts[protocol - ES_PORT_MAP_PROTOCOL_NAT_PMP];
}

static void
cancel_attempt (Attempt *attempt)
{
  if (attempt->cancellable != NULL)
    g_cancellable_cancel (attempt->cancellable);
  g_clear_object (&attempt->cancellable);
}

static void
stop_timers (EsPortMapper *self)
{
  g_clear_handle_id (&self->decision_id, g_source_remove);
  g_clear_handle_id (&self->refresh_id, g_source_remove);
  g_clear_handle_id (&self->retry_id, g_source_remove);
  g_clear_handle_id (&self->announce_id, g_source_remove);
  self->refresh_time = 0;
  if (self->refresh_cancellable != NULL)
    g_cancellable_cancel (self->refresh_cancellable);
  g_clear_object (&self->refresh_cancellable);
}

static void
close_announcements (EsPortMapper *self)
{
  if (self->announcement_source != NULL)
    g_source_destroy (self->announcement_source);
  g_clear_pointer (&self->announcement_source, g_source_unref);
  if (self->announcements != NULL)
    g_socket_close (self->announcements, NULL);
  g_clear_object (&self->announcements);
}

static void
forget_upnp (EsPortMapper *self)
{
  if (self->upnp != NULL)
    g_signal_handlers_disconnect_by_data (self->upnp, self);
  g_clear_object (&self->upnp);
}

static void
es_port_mapper_dispose (GObject *object)
{
  EsPortMapper *self = ES_PORT_MAPPER (object);

  stop_timers (self);
  close_announcements (self);
  for (guint i = 0; i < N_PROTOCOLS; i++)
    cancel_attempt (&self->attempts[i]);
  /* Exit without es_port_mapper_release_async(): the NAT-PMP or PCP
   * deletion goes out at once, so the mapping does not outlive us; UPnP's
   * deletion needs the main loop, which gupnp-igd's dispose starts. */
  if (self->mapping != NULL && !self->released)
    release_in_background (self, self->mapping);
  forget_upnp (self);

  G_OBJECT_CLASS (es_port_mapper_parent_class)->dispose (object);
}

static void
es_port_mapper_finalize (GObject *object)
{
  EsPortMapper *self = ES_PORT_MAPPER (object);

  for (guint i = 0; i < N_PROTOCOLS; i++)
    g_clear_pointer (&self->attempts[i].result, es_port_mapping_free);
  g_clear_pointer (&self->first_success, es_port_mapping_free);
  g_clear_pointer (&self->mapping, es_port_mapping_free);
  g_clear_pointer (&self->gateway, es_gateway_free);
  g_clear_object (&self->server);

  G_OBJECT_CLASS (es_port_mapper_parent_class)->finalize (object);
}

static void
es_port_mapper_class_init (EsPortMapperClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = es_port_mapper_dispose;
  object_class->finalize = es_port_mapper_finalize;

  signals[MAPPING_CHANGED] =
    g_signal_new ("mapping-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, ES_TYPE_PORT_MAPPING);
}

static void
es_port_mapper_init (EsPortMapper *self)
{
  self->protocols = ES_PORT_MAP_PROTOCOLS_ALL;
  self->lifetime_s = ES_PORT_MAPPER_DEFAULT_LIFETIME_S;
  self->retry_s = RETRY_FIRST_S;
  for (guint i = 0; i < N_PROTOCOLS; i++)
    self->attempts[i].protocol = ES_PORT_MAP_PROTOCOL_NAT_PMP + i;
}

EsPortMapper *
es_port_mapper_new (guint16 internal_port)
{
  EsPortMapper *self;

  g_return_val_if_fail (internal_port != 0, NULL);
  self = g_object_new (ES_TYPE_PORT_MAPPER, NULL);
  self->internal_port = internal_port;
  return self;
}

void
es_port_mapper_set_protocols (EsPortMapper       *self,
                              EsPortMapProtocols  protocols)
{
  g_return_if_fail (ES_IS_PORT_MAPPER (self) && !self->started);
  self->protocols = protocols & ES_PORT_MAP_PROTOCOLS_ALL;
}

void
es_port_mapper_set_lifetime (EsPortMapper *self,
                             guint32       lifetime_s)
{
  g_return_if_fail (ES_IS_PORT_MAPPER (self) && !self->started);
  g_return_if_fail (lifetime_s > 0);
  self->lifetime_s = lifetime_s;
}

const EsPortMapping *
es_port_mapper_get_mapping (EsPortMapper *self)
{
  g_return_val_if_fail (ES_IS_PORT_MAPPER (self), NULL);
  return self->mapping;
}

gint64
es_port_mapper_get_refresh_time (EsPortMapper *self)
{
  g_return_val_if_fail (ES_IS_PORT_MAPPER (self), 0);
  return self->refresh_time;
}

/* ---- Releasing ------------------------------------------------------------------ */

static void
on_background_release_done (GObject      *source,
                            GAsyncResult *result,
                            gpointer      data)
{
  EsPortMapProtocol protocol = GPOINTER_TO_INT (data);
  g_autoptr(GError) error = NULL;

  if (protocol == ES_PORT_MAP_PROTOCOL_NAT_PMP)
    es_nat_pmp_release_finish (result, &error);
  else
    es_pcp_release_finish (result, &error);
  if (error != NULL)
    g_debug ("releasing a %s mapping: %s", es_port_map_protocol_to_string (protocol),
             error->message);
}

/* NAT-PMP and PCP; UPnP goes with its EsUpnpMapper. */
static void
release_in_background (EsPortMapper        *self,
                       const EsPortMapping *mapping)
{
  if (mapping->protocol == ES_PORT_MAP_PROTOCOL_NAT_PMP)
    es_nat_pmp_release_async (self->server, mapping->internal_port, RELEASE_BUDGET_MS, NULL,
                              on_background_release_done,
                              GINT_TO_POINTER (ES_PORT_MAP_PROTOCOL_NAT_PMP));
  else if (mapping->protocol == ES_PORT_MAP_PROTOCOL_PCP)
    es_pcp_release_async (self->server, mapping, RELEASE_BUDGET_MS, NULL,
                          on_background_release_done, GINT_TO_POINTER (ES_PORT_MAP_PROTOCOL_PCP));
}

/* ---- Choosing the winner -------------------------------------------------------- */

static void schedule_refresh (EsPortMapper *self);

/* Takes the mapping; the refresh is scheduled before anyone hears of it. */
static void
set_mapping (EsPortMapper  *self,
             EsPortMapping *mapping)
{
  gboolean changed = (self->mapping == NULL) != (mapping == NULL) ||
                     (mapping != NULL && (!es_port_mapping_same_external (self->mapping, mapping) ||
                                          self->mapping->protocol != mapping->protocol));

  g_clear_pointer (&self->mapping, es_port_mapping_free);
  self->mapping = mapping;
  schedule_refresh (self);
  if (changed)
    g_signal_emit (self, signals[MAPPING_CHANGED], 0, self->mapping);
}

static gboolean on_refresh_due (gpointer data);

static void
schedule_refresh (EsPortMapper *self)
{
  guint delay_s;

  g_clear_handle_id (&self->refresh_id, g_source_remove);
  self->refresh_time = 0;
  /* gupnp-igd renews UPnP leases itself. */
  if (self->mapping == NULL || self->mapping->protocol == ES_PORT_MAP_PROTOCOL_UPNP)
    return;
  delay_s = MAX (self->mapping->lifetime_s / 2, 1);
  self->refresh_time = self->mapping->granted_at + (gint64) delay_s * G_USEC_PER_SEC;
  self->refresh_id = g_timeout_add_seconds (delay_s, on_refresh_due, self);
}

/* A loser that made a mapping of its own is deleted; one that shares the
 * winner's (same router, same rule) is only forgotten. */
static void
dismiss_loser (EsPortMapper *self,
               Attempt      *attempt)
{
  cancel_attempt (attempt);
  if (attempt->protocol == ES_PORT_MAP_PROTOCOL_UPNP && self->upnp != NULL)
    {
      /* Dropping gupnp-igd deletes what it mapped: right for a mapping of
       * its own or none yet, wrong for one it shares with the winner, which
       * is kept, unheard, until the release. */
      if (attempt->result == NULL || !es_port_mapping_same_external (attempt->result, self->mapping))
        forget_upnp (self);
      else
        g_signal_handlers_disconnect_by_data (self->upnp, self);
    }
  else if (attempt->result != NULL && !es_port_mapping_same_external (attempt->result, self->mapping))
    release_in_background (self, attempt->result);
  g_clear_pointer (&attempt->result, es_port_mapping_free);
}

static void
declare_winner (EsPortMapper  *self,
                EsPortMapping *winner)
{
  g_clear_handle_id (&self->decision_id, g_source_remove);
  g_clear_pointer (&self->first_success, es_port_mapping_free);
  g_debug ("mapped UDP port %u with %s", winner->internal_port,
           es_port_map_protocol_to_string (winner->protocol));
  cancel_attempt (attempt_for (self, winner->protocol));
  self->retry_s = RETRY_FIRST_S;
  set_mapping (self, winner);
  for (guint i = 0; i < N_PROTOCOLS; i++)
    if (self->attempts[i].protocol != winner->protocol)
      dismiss_loser (self, &self->attempts[i]);
}

static gboolean
on_preference_window_over (gpointer data)
{
  EsPortMapper *self = data;
  Attempt *pcp = attempt_for (self, ES_PORT_MAP_PROTOCOL_PCP);
  Attempt *chosen = pcp->result != NULL ? pcp : attempt_for (self, self->first_success->protocol);

  self->decision_id = 0;
  declare_winner (self, g_steal_pointer (&chosen->result));
  return G_SOURCE_REMOVE;
}

static void
attempt_succeeded (EsPortMapper  *self,
                   EsPortMapping *mapping)
{
  Attempt *attempt = attempt_for (self, mapping->protocol);

  g_clear_object (&attempt->cancellable);
  if (self->mapping != NULL)
    {
      /* Only a loser still running can answer now. */
      attempt->result = mapping;
      dismiss_loser (self, attempt);
      return;
    }
  if (mapping->protocol == ES_PORT_MAP_PROTOCOL_PCP)
    {
      declare_winner (self, mapping);
      return;
    }
  g_clear_pointer (&attempt->result, es_port_mapping_free);
  attempt->result = mapping;
  if (self->first_success == NULL)
    {
      self->first_success = es_port_mapping_copy (mapping);
      /* Without a PCP attempt running there is nothing to wait for. */
      self->decision_id = g_timeout_add (attempt_for (self, ES_PORT_MAP_PROTOCOL_PCP)->cancellable
                                           ? ES_PORT_MAPPER_PREFERENCE_WINDOW_MS : 0,
                                         on_preference_window_over, self);
    }
}

static gboolean
on_retry (gpointer data)
{
  EsPortMapper *self = data;

  self->retry_id = 0;
  start_attempts (self);
  return G_SOURCE_REMOVE;
}

static void
attempt_failed (EsPortMapper      *self,
                EsPortMapProtocol  protocol,
                const GError      *error)
{
  gboolean any_running = FALSE;

  g_clear_object (&attempt_for (self, protocol)->cancellable);
  g_debug ("%s: %s", es_port_map_protocol_to_string (protocol), error->message);
  for (guint i = 0; i < N_PROTOCOLS; i++)
    any_running |= self->attempts[i].cancellable != NULL;
  any_running |= self->upnp != NULL;
  if (any_running || self->mapping != NULL || self->first_success != NULL || self->retry_id != 0)
    return;
  /* Everything failed: try again later, less and less often. */
  self->retry_id = g_timeout_add_seconds (self->retry_s, on_retry, self);
  self->retry_s = MIN (self->retry_s * 2, RETRY_MAX_S);
}

/* ---- The attempts ---------------------------------------------------------------- */

static void
on_nat_pmp_mapped (GObject      *source,
                   GAsyncResult *result,
                   gpointer      data)
{
  g_autoptr(EsPortMapper) self = data;
  g_autoptr(GError) error = NULL;
  EsPortMapping *mapping = es_nat_pmp_map_finish (result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || self->released)
    {
      g_clear_pointer (&mapping, es_port_mapping_free);
      return;
    }
  if (mapping == NULL)
    attempt_failed (self, ES_PORT_MAP_PROTOCOL_NAT_PMP, error);
  else
    attempt_succeeded (self, mapping);
}

static void
on_pcp_mapped (GObject      *source,
               GAsyncResult *result,
               gpointer      data)
{
  g_autoptr(EsPortMapper) self = data;
  g_autoptr(GError) error = NULL;
  EsPortMapping *mapping = es_pcp_map_finish (result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || self->released)
    {
      g_clear_pointer (&mapping, es_port_mapping_free);
      return;
    }
  if (mapping == NULL)
    attempt_failed (self, ES_PORT_MAP_PROTOCOL_PCP, error);
  else
    attempt_succeeded (self, mapping);
}

static void
on_upnp_mapped (EsUpnpMapper  *upnp,
                EsPortMapping *mapping,
                EsPortMapper  *self)
{
  if (self->mapping != NULL && self->mapping->protocol == ES_PORT_MAP_PROTOCOL_UPNP)
    {
      /* gupnp-igd followed a new external address. */
      set_mapping (self, es_port_mapping_copy (mapping));
      return;
    }
  attempt_succeeded (self, es_port_mapping_copy (mapping));
}

static void
on_upnp_failed (EsUpnpMapper *upnp,
                GError       *error,
                EsPortMapper *self)
{
  forget_upnp (self);
  if (self->mapping != NULL && self->mapping->protocol == ES_PORT_MAP_PROTOCOL_UPNP)
    {
      set_mapping (self, NULL);
      start_attempts (self);
      return;
    }
  attempt_failed (self, ES_PORT_MAP_PROTOCOL_UPNP, error);
}

static void
start_nat_pmp (EsPortMapper *self,
               guint16       suggested_port)
{
  Attempt *attempt = attempt_for (self, ES_PORT_MAP_PROTOCOL_NAT_PMP);

  cancel_attempt (attempt);
  attempt->cancellable = g_cancellable_new ();
  es_nat_pmp_map_async (self->server, self->internal_port, suggested_port, self->lifetime_s, 0,
                        attempt->cancellable, on_nat_pmp_mapped, g_object_ref (self));
}

static void
start_pcp (EsPortMapper *self,
           guint16       suggested_port)
{
  Attempt *attempt = attempt_for (self, ES_PORT_MAP_PROTOCOL_PCP);

  cancel_attempt (attempt);
  attempt->cancellable = g_cancellable_new ();
  es_pcp_map_async (self->server, self->nonce, self->internal_port, suggested_port,
                    self->lifetime_s, 0, attempt->cancellable, on_pcp_mapped, g_object_ref (self));
}

static void
start_upnp (EsPortMapper *self)
{
  g_autoptr(GInetAddress) local = NULL;
  g_autoptr(GError) error = NULL;

  forget_upnp (self);
  local = es_gateway_exchange_local_address (self->server, &error);
  if (local == NULL)
    {
      attempt_failed (self, ES_PORT_MAP_PROTOCOL_UPNP, error);
      return;
    }
  self->upnp = es_upnp_mapper_new ();
  g_signal_connect (self->upnp, "mapped", G_CALLBACK (on_upnp_mapped), self);
  g_signal_connect (self->upnp, "failed", G_CALLBACK (on_upnp_failed), self);
  es_upnp_mapper_map (self->upnp, local, self->internal_port, self->lifetime_s);
}

static void
start_attempts (EsPortMapper *self)
{
  if (self->protocols & ES_PORT_MAP_PROTOCOLS_NAT_PMP)
    start_nat_pmp (self, self->internal_port);
  if (self->protocols & ES_PORT_MAP_PROTOCOLS_PCP)
    start_pcp (self, self->internal_port);
  if (self->protocols & ES_PORT_MAP_PROTOCOLS_UPNP)
    start_upnp (self);
}

/* ---- Keeping the mapping ----------------------------------------------------------- */

static void
refresh_answered (EsPortMapper  *self,
                  EsPortMapping *mapping,
                  const GError  *error)
{
  if (mapping == NULL)
    {
      /* The gateway forgot us or went away: start over. */
      g_debug ("refreshing the %s mapping failed: %s",
               es_port_map_protocol_to_string (self->mapping->protocol), error->message);
      set_mapping (self, NULL);
      start_attempts (self);
      return;
    }
  if (mapping->protocol == ES_PORT_MAP_PROTOCOL_NAT_PMP
        ? !es_nat_pmp_epoch_is_continuous (self->mapping->epoch, self->mapping->granted_at,
                                           mapping->epoch, mapping->granted_at)
        : !es_pcp_epoch_is_continuous (self->mapping->epoch, self->mapping->granted_at,
                                       mapping->epoch, mapping->granted_at))
    g_debug ("the gateway restarted (epoch %u after %u): the refresh mapped again",
             mapping->epoch, self->mapping->epoch);
  set_mapping (self, mapping);
}

static void
on_refreshed (GObject      *source,
              GAsyncResult *result,
              gpointer      data)
{
  g_autoptr(EsPortMapper) self = data;
  g_autoptr(GError) error = NULL;
  EsPortMapping *mapping;

  if (self->mapping == NULL)
    return;
  mapping = self->mapping->protocol == ES_PORT_MAP_PROTOCOL_NAT_PMP
              ? es_nat_pmp_map_finish (result, &error)
              : es_pcp_map_finish (result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_object (&self->refresh_cancellable);
  refresh_answered (self, mapping, error);
}

void
es_port_mapper_refresh (EsPortMapper *self)
{
  guint16 external_port;

  g_return_if_fail (ES_IS_PORT_MAPPER (self));

  if (self->released || !self->started)
    return;
  if (self->mapping == NULL)
    {
      if (self->retry_id != 0)
        {
          g_clear_handle_id (&self->retry_id, g_source_remove);
          start_attempts (self);
        }
      return;
    }
  if (self->mapping->protocol == ES_PORT_MAP_PROTOCOL_UPNP || self->refresh_cancellable != NULL)
    return;
  g_clear_handle_id (&self->refresh_id, g_source_remove);
  self->refresh_time = 0;
  self->refresh_cancellable = g_cancellable_new ();
  external_port = g_inet_socket_address_get_port (self->mapping->external);
  if (self->mapping->protocol == ES_PORT_MAP_PROTOCOL_NAT_PMP)
    es_nat_pmp_map_async (self->server, self->internal_port, external_port, self->lifetime_s, 0,
                          self->refresh_cancellable, on_refreshed, g_object_ref (self));
  else
    es_pcp_map_async (self->server, self->nonce, self->internal_port, external_port,
                      self->lifetime_s, 0, self->refresh_cancellable, on_refreshed,
                      g_object_ref (self));
}

static gboolean
on_refresh_due (gpointer data)
{
  EsPortMapper *self = data;

  self->refresh_id = 0;
  es_port_mapper_refresh (self);
  return G_SOURCE_REMOVE;
}

static gboolean
on_announce_delay_over (gpointer data)
{
  EsPortMapper *self = data;

  self->announce_id = 0;
  es_port_mapper_refresh (self);
  return G_SOURCE_REMOVE;
}

/* A restarted router, or one with a new public address, multicasts a
 * NAT-PMP external address answer or a PCP ANNOUNCE to 224.0.0.1:5350. */
static gboolean
is_announcement (const guint8 *data,
                 gsize         length)
{
  EsNatPmpResponse nat_pmp;
  EsPcpResponse pcp;

  if (length > 0 && data[0] == ES_NAT_PMP_VERSION)
    return es_nat_pmp_parse_response (data, length, &nat_pmp, NULL) &&
           nat_pmp.opcode == ES_NAT_PMP_OP_EXTERNAL_ADDRESS;
  return es_pcp_parse_response (data, length, &pcp, NULL) && pcp.opcode == ES_PCP_OP_ANNOUNCE;
}

static gboolean
on_announcement (GSocket      *socket,
                 GIOCondition  condition,
                 gpointer      data)
{
  EsPortMapper *self = data;
  guint8 buffer[ES_PCP_MAX_SIZE];
  g_autoptr(GSocketAddress) from = NULL;
  gssize length;

  length = g_socket_receive_from (socket, &from, (char *) buffer, sizeof buffer, NULL, NULL);
  if (length <= 0 || !G_IS_INET_SOCKET_ADDRESS (from) ||
      !g_inet_address_equal (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (from)),
                             self->gateway->address) ||
      !is_announcement (buffer, (gsize) length) || self->announce_id != 0)
    return G_SOURCE_CONTINUE;
  g_debug ("the gateway announced a restart or a new address");
  self->announce_id = g_timeout_add (g_random_int_range (0, ANNOUNCE_DELAY_MAX_MS),
                                     on_announce_delay_over, self);
  return G_SOURCE_CONTINUE;
}

/* Best effort: without it a router restart is noticed at the next refresh. */
static void
listen_for_announcements (EsPortMapper *self)
{
  g_autoptr(GInetAddress) any = g_inet_address_new_any (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GInetAddress) group = g_inet_address_new_from_string (ANNOUNCE_GROUP);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (any, ES_NAT_PMP_CLIENT_PORT);
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GError) error = NULL;

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP,
                         &error);
  if (socket == NULL || !g_socket_bind (socket, address, TRUE, &error) ||
      !g_socket_join_multicast_group (socket, group, FALSE, self->gateway->interface, &error))
    {
      g_debug ("not listening for gateway announcements: %s", error->message);
      return;
    }
  g_socket_set_blocking (socket, FALSE);
  self->announcements = g_steal_pointer (&socket);
  self->announcement_source = g_socket_create_source (self->announcements, G_IO_IN, NULL);
  g_source_set_callback (self->announcement_source, (GSourceFunc) (GCallback) on_announcement,
                         self, NULL);
  g_source_attach (self->announcement_source, NULL);
}

gboolean
es_port_mapper_start (EsPortMapper  *self,
                      GError       **error)
{
  g_return_val_if_fail (ES_IS_PORT_MAPPER (self), FALSE);
  g_return_val_if_fail (!self->started, FALSE);

  if (!es_port_mapper_is_enabled ())
    {
      g_set_error_literal (error, ES_ERROR, ES_ERROR_FAILED,
                           "port mapping is off (EARSHOT_PORTMAP=off)");
      return FALSE;
    }
  self->gateway = es_gateway_find_default (G_SOCKET_FAMILY_IPV4, error);
  if (self->gateway == NULL)
    return FALSE;
  self->started = TRUE;
  self->server = es_gateway_socket_address (self->gateway, ES_NAT_PMP_SERVER_PORT);
  randombytes_buf (self->nonce, sizeof self->nonce);
  if (self->protocols & (ES_PORT_MAP_PROTOCOLS_NAT_PMP | ES_PORT_MAP_PROTOCOLS_PCP))
    listen_for_announcements (self);
  start_attempts (self);
  return TRUE;
}

/* ---- Release ------------------------------------------------------------------------ */

static void
on_release_done (GObject      *source,
                 GAsyncResult *result,
                 gpointer      data)
{
  g_autoptr(GTask) task = data;
  EsPortMapper *self = g_task_get_source_object (task);
  GError *error = NULL;
  gboolean released;

  if (ES_IS_UPNP_MAPPER (source))
    released = es_upnp_mapper_release_finish (ES_UPNP_MAPPER (source), result, &error);
  else if (self->mapping->protocol == ES_PORT_MAP_PROTOCOL_NAT_PMP)
    released = es_nat_pmp_release_finish (result, &error);
  else
    released = es_pcp_release_finish (result, &error);
  set_mapping (self, NULL);
  if (released)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
es_port_mapper_release_async (EsPortMapper        *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(EsUpnpMapper) upnp = NULL;

  g_return_if_fail (ES_IS_PORT_MAPPER (self));
  g_task_set_source_tag (task, es_port_mapper_release_async);

  self->released = TRUE;
  stop_timers (self);
  close_announcements (self);
  for (guint i = 0; i < N_PROTOCOLS; i++)
    cancel_attempt (&self->attempts[i]);
  g_clear_handle_id (&self->decision_id, g_source_remove);
  if (self->upnp != NULL)
    {
      upnp = g_object_ref (self->upnp);
      forget_upnp (self);
    }

  if (self->mapping != NULL && self->mapping->protocol == ES_PORT_MAP_PROTOCOL_NAT_PMP)
    es_nat_pmp_release_async (self->server, self->internal_port, RELEASE_BUDGET_MS, cancellable,
                              on_release_done, task);
  else if (self->mapping != NULL && self->mapping->protocol == ES_PORT_MAP_PROTOCOL_PCP)
    es_pcp_release_async (self->server, self->mapping, RELEASE_BUDGET_MS, cancellable,
                          on_release_done, task);
  else if (upnp != NULL)
    es_upnp_mapper_release_async (upnp, UPNP_RELEASE_BUDGET_MS, cancellable, on_release_done,
                                  task);
  else
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
    }
}

gboolean
es_port_mapper_release_finish (EsPortMapper  *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- Netcheck probes ------------------------------------------------------------------ */

void
es_port_map_probe_free (EsPortMapProbe *probe)
{
  if (probe == NULL)
    return;
  g_clear_object (&probe->external);
  g_clear_error (&probe->error);
  g_free (probe);
}

typedef struct
{
  EsPortMapProbe *probe;
  gint64 started;
  GInetSocketAddress *server;
  GSocket *throwaway;        /* PCP: the port whose mapping is asked for */
} ProbeState;

static void
probe_state_free (ProbeState *state)
{
  es_port_map_probe_free (state->probe);
  g_clear_object (&state->server);
  if (state->throwaway != NULL)
    g_socket_close (state->throwaway, NULL);
  g_clear_object (&state->throwaway);
  g_free (state);
}

static void
probe_return (GTask        *task,
              GInetAddress *external,
              GError       *error)
{
  ProbeState *state = g_task_get_task_data (task);
  EsPortMapProbe *probe = g_steal_pointer (&state->probe);

  probe->available = error == NULL;
  probe->external = external != NULL ? g_object_ref (external) : NULL;
  probe->error = error;
  if (error == NULL)
    probe->ms = (g_get_monotonic_time () - state->started) / 1000;
  g_task_return_pointer (task, probe, (GDestroyNotify) es_port_map_probe_free);
  g_object_unref (task);
}

static void
on_probe_nat_pmp (GObject      *source,
                  GAsyncResult *result,
                  gpointer      data)
{
  GError *error = NULL;
  g_autoptr(GInetAddress) external = es_nat_pmp_external_address_finish (result, &error);

  probe_return (data, external, error);
}

static void
on_probe_released (GObject      *source,
                   GAsyncResult *result,
                   gpointer      data)
{
  g_autoptr(GError) error = NULL;

  if (!es_pcp_release_finish (result, &error))
    g_debug ("deleting the probe's PCP mapping: %s", error->message);
}

static void
on_probe_pcp (GObject      *source,
              GAsyncResult *result,
              gpointer      data)
{
  GTask *task = data;
  ProbeState *state = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(EsPortMapping) mapping = es_pcp_map_finish (result, &error);

  if (mapping != NULL)
    es_pcp_release_async (state->server, mapping, RELEASE_BUDGET_MS, NULL, on_probe_released, NULL);
  probe_return (task, mapping != NULL ? g_inet_socket_address_get_address (mapping->external) : NULL,
                error);
}

static void
on_probe_upnp (GObject      *source,
               GAsyncResult *result,
               gpointer      data)
{
  GError *error = NULL;
  g_autoptr(GInetAddress) external = es_upnp_probe_finish (result, &error);

  probe_return (data, external, error);
}

static guint16
bind_throwaway (ProbeState  *state,
                GError     **error)
{
  g_autoptr(GInetAddress) any = g_inet_address_new_any (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (any, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  state->throwaway = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                                   G_SOCKET_PROTOCOL_UDP, error);
  if (state->throwaway == NULL || !g_socket_bind (state->throwaway, address, FALSE, error))
    return 0;
  bound = g_socket_get_local_address (state->throwaway, error);
  return bound != NULL ? g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)) : 0;
}

void
es_port_mapper_probe_async (EsPortMapProtocol    protocol,
                            guint                budget_ms,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  ProbeState *state = g_new0 (ProbeState, 1);
  g_autoptr(EsGateway) gateway = NULL;
  GError *error = NULL;
  guint8 nonce[ES_PORT_MAP_NONCE_SIZE];
  guint16 port;

  g_task_set_source_tag (task, es_port_mapper_probe_async);
  g_task_set_task_data (task, state, (GDestroyNotify) probe_state_free);
  /* The probe always completes with a report, even when cancelled. */
  g_task_set_check_cancellable (task, FALSE);
  state->probe = g_new0 (EsPortMapProbe, 1);
  state->probe->protocol = protocol;
  state->probe->ms = -1;
  state->started = g_get_monotonic_time ();

  if (!es_port_mapper_is_enabled ())
    {
      probe_return (task, NULL, g_error_new_literal (ES_ERROR, ES_ERROR_FAILED,
                                                     "port mapping is off (EARSHOT_PORTMAP=off)"));
      return;
    }
  gateway = es_gateway_find_default (G_SOCKET_FAMILY_IPV4, &error);
  if (gateway == NULL)
    {
      probe_return (task, NULL, error);
      return;
    }
  state->server = es_gateway_socket_address (gateway, ES_NAT_PMP_SERVER_PORT);

  switch (protocol)
    {
    case ES_PORT_MAP_PROTOCOL_NAT_PMP:
      es_nat_pmp_external_address_async (state->server, budget_ms, cancellable, on_probe_nat_pmp,
                                         task);
      break;
    case ES_PORT_MAP_PROTOCOL_PCP:
      port = bind_throwaway (state, &error);
      if (port == 0)
        {
          probe_return (task, NULL, error);
          return;
        }
      randombytes_buf (nonce, sizeof nonce);
      es_pcp_map_async (state->server, nonce, port, 0, PROBE_LIFETIME_S, budget_ms, cancellable,
                        on_probe_pcp, task);
      break;
    case ES_PORT_MAP_PROTOCOL_UPNP:
      es_upnp_probe_async (budget_ms, cancellable, on_probe_upnp, task);
      break;
    case ES_PORT_MAP_PROTOCOL_NONE:
    default:
      g_return_if_reached ();
    }
}

EsPortMapProbe *
es_port_mapper_probe_finish (GAsyncResult *result)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), NULL);
}
