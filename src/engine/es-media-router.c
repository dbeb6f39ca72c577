/* es-media-router.c
 *
 * Media starts over the relay the moment a call is answered and moves to a
 * direct connection once one is verified (DESIGN §7). The switch happens at
 * a frame boundary and, for a moment, every frame goes both ways: the
 * receiver's replay window drops the second copy of each, so nothing is
 * lost or heard twice. The direct path is then watched: with a short QUIC
 * keep-alive, packets come back from the peer several times a second, and
 * when they stop, media returns to the relay within CONSENT_TIMEOUT_MS. When
 * they come back for a while, media returns to the direct path; meanwhile
 * the call may race for another one (a NAT that rebound to a new port never
 * comes back on the old path) and hand it over with set_direct().
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsMediaRouter"

#include "es-media-router.h"

#include <string.h>

#include "es-byte-order.h"
#include "es-media-frame.h"

#define MAX_FRAME_SIZE 1500
/* How long media goes both ways after moving to the direct path. */
#define OVERLAP_MS 500
/* A direct connection carries a PING at least this often... */
#define DIRECT_KEEPALIVE_MS 150
/* ...so this much silence from the peer means the path is gone. */
#define CONSENT_TIMEOUT_MS 600
/* A path that came back must hold this long before media returns to it. */
#define RECOVERY_MS 1000
#define CONSENT_CHECK_MS 100

struct _EsMediaRouter
{
  GObject parent_instance;

  EsSignalChannel *channel;
  EsMediaReceiveFunc receive;
  gpointer receive_data;
  guint32 relay_handle;
  gboolean have_relay_route;

  EsQuicConnection *direct;
  EsCandidate *remote;
  gboolean sending_direct;
  gint64 overlap_until_us;
  guint64 direct_packets;
  gint64 last_heard_us;
  gint64 healthy_since_us;
  guint consent_id;
};

G_DEFINE_FINAL_TYPE (EsMediaRouter, es_media_router, G_TYPE_OBJECT)

enum {
  PATH_CHANGED,
  DIRECT_LOST,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
drop_direct (EsMediaRouter  *self,
             EsQuicAppError  why)
{
  g_clear_handle_id (&self->consent_id, g_source_remove);
  if (self->direct != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->direct, self);
      if (es_quic_connection_get_state (self->direct) < ES_QUIC_CONNECTION_STATE_CLOSING)
        es_quic_connection_close (self->direct, why, es_quic_app_error_to_string (why));
    }
  g_clear_object (&self->direct);
  g_clear_pointer (&self->remote, es_candidate_free);
}

static void
es_media_router_dispose (GObject *object)
{
  EsMediaRouter *self = ES_MEDIA_ROUTER (object);

  drop_direct (self, ES_QUIC_APP_CALL_ENDED);
  g_clear_object (&self->channel);

  G_OBJECT_CLASS (es_media_router_parent_class)->dispose (object);
}

static void
es_media_router_class_init (EsMediaRouterClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = es_media_router_dispose;

  signals[PATH_CHANGED] =
    g_signal_new ("path-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[DIRECT_LOST] =
    g_signal_new ("direct-lost", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
es_media_router_init (EsMediaRouter *self)
{
}

EsMediaRouter *
es_media_router_new (EsSignalChannel    *channel,
                     EsMediaReceiveFunc  receive,
                     gpointer            user_data)
{
  EsMediaRouter *self = g_object_new (ES_TYPE_MEDIA_ROUTER, NULL);

  self->channel = g_object_ref (channel);
  self->receive = receive;
  self->receive_data = user_data;
  return self;
}

void
es_media_router_set_relay_handle (EsMediaRouter *self,
                                  guint32        handle)
{
  self->relay_handle = handle;
  self->have_relay_route = TRUE;
}

gboolean
es_media_router_has_relay_route (EsMediaRouter *self)
{
  return self->have_relay_route;
}

guint32
es_media_router_get_relay_handle (EsMediaRouter *self)
{
  return self->have_relay_route ? self->relay_handle : 0;
}

/* ---- Sending --------------------------------------------------------------- */

static gboolean
send_over_relay (EsMediaRouter *self,
                 const guint8  *frame,
                 gsize          length)
{
  EsQuicConnection *connection = es_signal_channel_get_connection (self->channel);
  guint8 datagram[ES_RELAY_HANDLE_SIZE + MAX_FRAME_SIZE];

  if (!self->have_relay_route || connection == NULL || length > MAX_FRAME_SIZE)
    return FALSE;
  es_write_be32 (datagram, self->relay_handle);
  memcpy (datagram + ES_RELAY_HANDLE_SIZE, frame, length);
  return es_quic_connection_send_datagram (connection, datagram, ES_RELAY_HANDLE_SIZE + length);
}

gboolean
es_media_router_send (const guint8 *frame,
                      gsize         length,
                      gpointer      router)
{
  EsMediaRouter *self = router;
  gboolean sent = FALSE;

  if (self->sending_direct)
    sent = es_quic_connection_send_datagram (self->direct, frame, length);
  if (!self->sending_direct || g_get_monotonic_time () < self->overlap_until_us)
    sent |= send_over_relay (self, frame, length);
  return sent;
}

/* ---- The direct path --------------------------------------------------------- */

static void
use_direct (EsMediaRouter *self,
            gboolean       direct)
{
  if (self->sending_direct == direct)
    return;
  self->sending_direct = direct;
  if (direct)
    self->overlap_until_us = g_get_monotonic_time () + OVERLAP_MS * 1000;
  g_debug ("media now goes over the %s", direct ? "direct path" : "relay");
  g_signal_emit (self, signals[PATH_CHANGED], 0);
}

static gboolean
on_consent_check (gpointer data)
{
  EsMediaRouter *self = data;
  gint64 now = g_get_monotonic_time ();
  EsQuicStats stats;

  es_quic_connection_get_stats (self->direct, &stats);
  if (stats.packets_received != self->direct_packets)
    {
      self->direct_packets = stats.packets_received;
      self->last_heard_us = now;
    }

  if (now - self->last_heard_us > CONSENT_TIMEOUT_MS * 1000)
    {
      gboolean was_direct = self->sending_direct;

      self->healthy_since_us = 0;
      use_direct (self, FALSE);
      if (was_direct)
        g_signal_emit (self, signals[DIRECT_LOST], 0);
    }
  else if (!self->sending_direct)
    {
      if (self->healthy_since_us == 0)
        self->healthy_since_us = now;
      else if (now - self->healthy_since_us >= RECOVERY_MS * 1000)
        use_direct (self, TRUE);
    }
  return G_SOURCE_CONTINUE;
}

static void
on_direct_datagram (EsQuicConnection *connection,
                    GBytes           *datagram,
                    EsMediaRouter    *self)
{
  gsize length = 0;
  const guint8 *data = g_bytes_get_data (datagram, &length);

  self->receive (data, length, self->receive_data);
}

static void
on_direct_closed (EsQuicConnection *connection,
                  GError           *reason,
                  EsMediaRouter    *self)
{
  g_debug ("direct path closed: %s", reason->message);
  drop_direct (self, ES_QUIC_APP_NO_ERROR);
  /* The peer hung up: its hangup follows over the relay within moments, and
   * the last frames go there meanwhile, without announcing a path change
   * or racing for a path the call no longer needs. */
  if (g_error_matches (reason, ES_QUIC_ERROR, ES_QUIC_ERROR_APPLICATION) &&
      es_quic_connection_get_closed_by_peer (connection) &&
      es_quic_connection_get_close_code (connection) == ES_QUIC_APP_CALL_ENDED)
    {
      self->sending_direct = FALSE;
      return;
    }
  use_direct (self, FALSE);
  g_signal_emit (self, signals[DIRECT_LOST], 0);
}

/* The peer's NAT gave it a new port and QUIC followed it there: the path
 * now leads to an address learnt from the peer's packets. */
static void
on_direct_remote_moved (EsQuicConnection *connection,
                        GParamSpec       *pspec,
                        EsMediaRouter    *self)
{
  g_clear_pointer (&self->remote, es_candidate_free);
  self->remote = es_candidate_new (ES_CANDIDATE_PEER_REFLEXIVE,
                                   es_quic_connection_get_remote_address (connection));
  if (self->sending_direct)
    g_signal_emit (self, signals[PATH_CHANGED], 0);
}

void
es_media_router_set_direct (EsMediaRouter     *self,
                            EsQuicConnection  *connection,
                            const EsCandidate *remote)
{
  EsQuicStats stats;

  drop_direct (self, ES_QUIC_APP_REPLACED);
  self->sending_direct = FALSE;   /* a new path, announced below */
  self->direct = g_object_ref (connection);
  self->remote = es_candidate_copy (remote);
  self->last_heard_us = g_get_monotonic_time ();
  self->healthy_since_us = 0;
  es_quic_connection_get_stats (connection, &stats);
  self->direct_packets = stats.packets_received;
  es_quic_connection_set_keepalive_interval (connection, DIRECT_KEEPALIVE_MS);
  g_signal_connect (connection, "datagram-received", G_CALLBACK (on_direct_datagram), self);
  g_signal_connect (connection, "closed", G_CALLBACK (on_direct_closed), self);
  g_signal_connect (connection, "notify::remote-address", G_CALLBACK (on_direct_remote_moved), self);
  self->consent_id = g_timeout_add (CONSENT_CHECK_MS, on_consent_check, self);
  use_direct (self, TRUE);
}

gboolean
es_media_router_is_direct (EsMediaRouter *self)
{
  return self->sending_direct;
}

const char *
es_media_router_get_path_kind (EsMediaRouter *self)
{
  return self->sending_direct ? "direct" : "relay";
}

const EsCandidate *
es_media_router_get_remote (EsMediaRouter *self)
{
  return self->sending_direct ? self->remote : NULL;
}

double
es_media_router_get_rtt_ms (EsMediaRouter *self)
{
  EsQuicConnection *connection = self->sending_direct ? self->direct
                                                      : es_signal_channel_get_connection (self->channel);
  EsQuicStats stats = { 0 };

  if (connection == NULL)
    return 0;
  es_quic_connection_get_stats (connection, &stats);
  return stats.smoothed_rtt_us / 1000.0;
}

void
es_media_router_stop (EsMediaRouter *self)
{
  drop_direct (self, ES_QUIC_APP_CALL_ENDED);
  self->sending_direct = FALSE;
}
