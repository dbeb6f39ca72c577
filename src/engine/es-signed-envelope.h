/* es-signed-envelope.h: a message from one party of a call to the other
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "es-identity.h"

G_BEGIN_DECLS

/* protocol.md §2.2:
 *   {"type":T,"v":1,"call_id":ID,"from":FP,"body":B,"sig":S}
 *   S = base64(Ed25519("earshot-sig-v1\0" || T || "\0" || ID || "\0" || B))
 * plus an outer "to" on call-offer, equal to the body's. */
#define ES_SIGNED_ENVELOPE_VERSION       1
#define ES_SIGNED_ENVELOPE_MAX_BODY_SIZE (64 * 1024)
#define ES_CALL_ID_LENGTH                32

#define ES_TYPE_SIGNED_ENVELOPE (es_signed_envelope_get_type ())

typedef struct _EsSignedEnvelope EsSignedEnvelope;

GType             es_signed_envelope_get_type          (void) G_GNUC_CONST;

/* Serialises body once and signs those exact bytes. type is 1-32 of a-z,
 * 0-9 and '-'; a call-offer's body must carry "to"; a body that receivers
 * would refuse (see es_strict_json_parse_object()) is refused here. */
EsSignedEnvelope *es_signed_envelope_new               (EsIdentity              *identity,
                                                        const char              *type,
                                                        const char              *call_id,
                                                        JsonObject              *body,
                                                        GError                 **error);
/* Strict syntax check of a received message; says exactly what is wrong.
 * The signature is not checked yet: see es_signed_envelope_verify(). */
EsSignedEnvelope *es_signed_envelope_parse             (JsonObject              *message,
                                                        GError                 **error);
EsSignedEnvelope *es_signed_envelope_ref               (EsSignedEnvelope        *self);
void              es_signed_envelope_unref             (EsSignedEnvelope        *self);

/* The message to send, members in the order of protocol.md §2.2. */
JsonObject       *es_signed_envelope_to_json           (const EsSignedEnvelope  *self);

const char       *es_signed_envelope_get_message_type  (const EsSignedEnvelope  *self);
const char       *es_signed_envelope_get_call_id       (const EsSignedEnvelope  *self);
const char       *es_signed_envelope_get_from          (const EsSignedEnvelope  *self);
/* The outer "to" of a call-offer, else NULL. */
const char       *es_signed_envelope_get_to            (const EsSignedEnvelope  *self);
/* B, the exact signed bytes (the transcript of protocol.md §3 hashes them). */
const char       *es_signed_envelope_get_body_text     (const EsSignedEnvelope  *self);
/* B parsed (immutable). */
JsonObject       *es_signed_envelope_get_body          (const EsSignedEnvelope  *self);
/* Hex SHA-256 of B: the "offer" member of a call-answer. */
char             *es_signed_envelope_dup_body_sha256_hex (const EsSignedEnvelope *self);

/* Checks that public_key is the key of "from" and that the signature
 * verifies under it. */
gboolean          es_signed_envelope_verify            (const EsSignedEnvelope  *self,
                                                        const guint8            *public_key,
                                                        GError                 **error);
/* For call-offer and call-answer, which carry the sender's Ed25519 key in
 * the body's "key": verifies against that key and returns it in public_key
 * (ES_ED25519_PUBLIC_KEY_SIZE bytes) for the caller to pin. */
gboolean          es_signed_envelope_verify_body_key   (const EsSignedEnvelope  *self,
                                                        guint8                  *public_key,
                                                        GError                 **error);

/* Is public_key the key of the written fingerprint? */
gboolean          es_signed_envelope_check_key         (const char              *fingerprint,
                                                        const guint8            *public_key,
                                                        GError                 **error);
/* 32 lowercase hex digits (128 bits). */
gboolean          es_signed_envelope_is_valid_call_id  (const char              *call_id);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsSignedEnvelope, es_signed_envelope_unref)

G_END_DECLS
