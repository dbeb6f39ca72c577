/* es-relay-registry.h: who is registered, on how many devices
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "es-relay-client.h"

G_BEGIN_DECLS

#define ES_TYPE_RELAY_REGISTRY (es_relay_registry_get_type ())

G_DECLARE_FINAL_TYPE (EsRelayRegistry, es_relay_registry, ES, RELAY_REGISTRY, GObject)

EsRelayRegistry *es_relay_registry_new           (void);
/* Adds a registered client. A client with the same fingerprint and device
 * (a reconnect) is replaced and returned, for the caller to close. */
EsRelayClient   *es_relay_registry_add           (EsRelayRegistry *self,
                                                  EsRelayClient   *client);
void             es_relay_registry_remove        (EsRelayRegistry *self,
                                                  EsRelayClient   *client);
/* The devices of one identity, or NULL; transfer none. */
GPtrArray       *es_relay_registry_lookup        (EsRelayRegistry *self,
                                                  const char      *fingerprint);
guint            es_relay_registry_get_n_clients (EsRelayRegistry *self);

G_END_DECLS
