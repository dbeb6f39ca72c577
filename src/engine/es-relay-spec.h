/* es-relay-spec.h: "HOST:PORT#FINGERPRINT", how a relay is written
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* host: a name or an IP address (IPv6 in brackets when written);
 * fingerprint: canonical, or NULL when the relay is trusted on first use. */
typedef struct
{
  char *host;
  guint16 port;
  char *fingerprint;
} EsRelaySpec;

#define ES_TYPE_RELAY_SPEC (es_relay_spec_get_type ())

GType        es_relay_spec_get_type   (void) G_GNUC_CONST;
EsRelaySpec *es_relay_spec_parse      (const char        *text,
                                       GError           **error);
EsRelaySpec *es_relay_spec_copy       (const EsRelaySpec *self);
void         es_relay_spec_free       (EsRelaySpec       *self);
/* "HOST:PORT", the key relay pins are stored under. */
char        *es_relay_spec_host_port  (const EsRelaySpec *self);
/* The full written form, with the fingerprint when known. */
char        *es_relay_spec_to_string  (const EsRelaySpec *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsRelaySpec, es_relay_spec_free)

G_END_DECLS
