/* es-relay-client.h: one connection to the relay
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "es-quic-connection.h"
#include "es-relay-settings.h"

G_BEGIN_DECLS

#define ES_TYPE_RELAY_CLIENT (es_relay_client_get_type ())

G_DECLARE_FINAL_TYPE (EsRelayClient, es_relay_client, ES, RELAY_CLIENT, GObject)

EsRelayClient    *es_relay_client_new             (EsQuicConnection      *connection,
                                                   const EsRelaySettings *settings);
EsQuicConnection *es_relay_client_get_connection  (EsRelayClient         *self);
/* Derived from the key the client authenticated with, never from a message. */
const char       *es_relay_client_get_fingerprint (EsRelayClient         *self);
const char       *es_relay_client_get_device      (EsRelayClient         *self);
char             *es_relay_client_dup_observed    (EsRelayClient         *self);
gboolean          es_relay_client_is_registered   (EsRelayClient         *self);
void              es_relay_client_register        (EsRelayClient         *self,
                                                   gint64                 stream_id,
                                                   const char            *device);
gboolean          es_relay_client_send            (EsRelayClient         *self,
                                                   JsonObject            *message);
/* Rate limit on signal messages; FALSE means drop this one. */
gboolean          es_relay_client_admit_message   (EsRelayClient         *self,
                                                   gint64                 now_us);

G_END_DECLS
