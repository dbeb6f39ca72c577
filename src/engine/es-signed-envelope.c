/* es-signed-envelope.c
 *
 * The relay carries these messages and must not be able to forge, alter or
 * splice them (DESIGN §5). The signature covers the body's exact bytes, so no
 * canonical JSON is needed; the parser still refuses every form a correct
 * sender does not write (unknown or unsigned members, a body that JSON
 * readers could read differently, see es-strict-json.h, non-canonical
 * fingerprints or base64), so that nothing unsigned can carry meaning and two
 * implementations cannot read one message two ways.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsSignedEnvelope"

#include "es-signed-envelope.h"

#include <sodium.h>
#include <string.h>

#include "es-error.h"
#include "es-fingerprint.h"
#include "es-hex.h"
#include "es-json.h"
#include "es-strict-json.h"

#define SIGNATURE_LABEL      "earshot-sig-v1"
#define CALL_OFFER           "call-offer"
#define MAX_TYPE_LENGTH      32
#define SIGNATURE_BASE64_LENGTH \
  (sodium_base64_ENCODED_LEN (ES_ED25519_SIGNATURE_SIZE, sodium_base64_VARIANT_ORIGINAL) - 1)

struct _EsSignedEnvelope
{
  gatomicrefcount ref_count;
  char *type;
  char *call_id;
  char *from;
  char *to;
  char *body_text;
  JsonObject *body;
  guint8 signature[ES_ED25519_SIGNATURE_SIZE];
};

G_DEFINE_BOXED_TYPE (EsSignedEnvelope, es_signed_envelope,
                     es_signed_envelope_ref, es_signed_envelope_unref)

EsSignedEnvelope *
es_signed_envelope_ref (EsSignedEnvelope *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
es_signed_envelope_unref (EsSignedEnvelope *self)
{
  g_return_if_fail (self != NULL);
  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_free (self->type);
  g_free (self->call_id);
  g_free (self->from);
  g_free (self->to);
  g_free (self->body_text);
  g_clear_pointer (&self->body, json_object_unref);
  g_free (self);
}

static EsSignedEnvelope *
envelope_new (void)
{
  EsSignedEnvelope *self = g_new0 (EsSignedEnvelope, 1);

  g_atomic_ref_count_init (&self->ref_count);
  return self;
}

gboolean
es_signed_envelope_is_valid_call_id (const char *call_id)
{
  guint8 bits[ES_CALL_ID_LENGTH / 2];

  return es_hex_decode_exact (call_id, bits, sizeof bits);
}

static gboolean
is_valid_type (const char *type)
{
  gsize length = strlen (type);

  if (length == 0 || length > MAX_TYPE_LENGTH || !g_ascii_islower (type[0]))
    return FALSE;
  for (const char *p = type; *p != '\0'; p++)
    if (!g_ascii_islower (*p) && !g_ascii_isdigit (*p) && *p != '-')
      return FALSE;
  return TRUE;
}

/* The written form (lowercase, colons): the relay compares "from" with the
 * sender's fingerprint as strings, so only one spelling may exist. */
static gboolean
is_canonical_fingerprint (const char *text)
{
  g_autofree char *canonical = es_fingerprint_normalize (text, NULL);

  return canonical != NULL && strcmp (canonical, text) == 0;
}

/* "earshot-sig-v1\0" || T || "\0" || ID || "\0" || B */
static GBytes *
signed_data (const char *type,
             const char *call_id,
             const char *body_text)
{
  GByteArray *data = g_byte_array_new ();
  const guint8 zero = 0;

  /* sizeof counts the label's NUL: the first separator. */
  g_byte_array_append (data, (const guint8 *) SIGNATURE_LABEL, sizeof SIGNATURE_LABEL);
  g_byte_array_append (data, (const guint8 *) type, strlen (type));
  g_byte_array_append (data, &zero, 1);
  g_byte_array_append (data, (const guint8 *) call_id, strlen (call_id));
  g_byte_array_append (data, &zero, 1);
  g_byte_array_append (data, (const guint8 *) body_text, strlen (body_text));
  return g_byte_array_free_to_bytes (data);
}

static JsonObject *
parse_body (const char  *text,
            GError     **error)
{
  JsonObject *body;

  if (strlen (text) > ES_SIGNED_ENVELOPE_MAX_BODY_SIZE)
    {
      g_set_error (error, ES_ERROR, ES_ERROR_PROTOCOL,
                   "the body is larger than %d bytes", ES_SIGNED_ENVELOPE_MAX_BODY_SIZE);
      return NULL;
    }
  body = es_strict_json_parse_object (text, -1, error);
  if (body == NULL)
    g_prefix_error (error, "the body ");
  return body;
}

EsSignedEnvelope *
es_signed_envelope_new (EsIdentity  *identity,
                        const char  *type,
                        const char  *call_id,
                        JsonObject  *body,
                        GError     **error)
{
  g_autoptr(EsSignedEnvelope) self = NULL;
  g_autoptr(GBytes) data = NULL;
  const char *to = NULL;

  g_return_val_if_fail (ES_IS_IDENTITY (identity), NULL);
  g_return_val_if_fail (type != NULL && call_id != NULL && body != NULL, NULL);

  if (!is_valid_type (type) || !es_signed_envelope_is_valid_call_id (call_id))
    {
      g_set_error (error, ES_ERROR, ES_ERROR_INVALID_ARGUMENT,
                   "cannot sign a “%s” message for call “%s”: "
                   "a type is 1-32 of a-z, 0-9 and '-', a call id 32 lowercase hex digits",
                   type, call_id);
      return NULL;
    }
  if (strcmp (type, CALL_OFFER) == 0)
    {
      to = es_json_get_string (body, "to");
      if (to == NULL || !is_canonical_fingerprint (to))
        {
          g_set_error_literal (error, ES_ERROR, ES_ERROR_INVALID_ARGUMENT,
                               "a call-offer's body needs “to”, a fingerprint in its written form");
          return NULL;
        }
    }

  self = envelope_new ();
  self->type = g_strdup (type);
  self->call_id = g_strdup (call_id);
  self->from = g_strdup (es_identity_get_fingerprint (identity));
  self->to = g_strdup (to);
  self->body_text = es_json_to_string (body);
  /* Read back what was written: the parsed body is exactly the signed one. */
  self->body = parse_body (self->body_text, error);
  if (self->body == NULL)
    return NULL;

  data = signed_data (self->type, self->call_id, self->body_text);
  es_identity_sign (identity, g_bytes_get_data (data, NULL), g_bytes_get_size (data),
                    self->signature);
  return g_steal_pointer (&self);
}

JsonObject *
es_signed_envelope_to_json (const EsSignedEnvelope *self)
{
  JsonObject *message;
  char signature[SIGNATURE_BASE64_LENGTH + 1];

  g_return_val_if_fail (self != NULL, NULL);

  sodium_bin2base64 (signature, sizeof signature, self->signature, sizeof self->signature,
                     sodium_base64_VARIANT_ORIGINAL);
  message = es_json_new_message (self->type);
  json_object_set_string_member (message, "call_id", self->call_id);
  json_object_set_string_member (message, "from", self->from);
  if (self->to != NULL)
    json_object_set_string_member (message, "to", self->to);
  json_object_set_string_member (message, "body", self->body_text);
  json_object_set_string_member (message, "sig", signature);
  return message;
}

static const char *
get_string_member (JsonObject  *message,
                   const char  *member,
                   GError     **error)
{
  const char *value = es_json_get_string (message, member);

  if (value == NULL)
    g_set_error (error, ES_ERROR, ES_ERROR_PROTOCOL,
                 "the envelope's “%s” is missing or not a string", member);
  return value;
}

static gboolean
check_members (JsonObject  *message,
               gboolean     is_offer,
               GError     **error)
{
  static const char * const allowed[] = { "type", "v", "call_id", "from", "body", "sig", NULL };
  g_autoptr(GList) members = json_object_get_members (message);

  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *member = l->data;

      if (g_strv_contains (allowed, member) || (is_offer && strcmp (member, "to") == 0))
        continue;
      g_set_error (error, ES_ERROR, ES_ERROR_PROTOCOL,
                   "the envelope has an unexpected member “%s”", member);
      return FALSE;
    }
  return TRUE;
}

/* libsodium's decoder is strict: padding required, no other characters and
 * no stray bits in the last one, so a signature has one spelling. */
static gboolean
parse_signature (const char  *text,
                 guint8      *signature,
                 GError     **error)
{
  size_t length = 0;

  if (strlen (text) != SIGNATURE_BASE64_LENGTH ||
      sodium_base642bin (signature, ES_ED25519_SIGNATURE_SIZE, text, strlen (text), NULL,
                         &length, NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
      length != ES_ED25519_SIGNATURE_SIZE)
    {
      g_set_error_literal (error, ES_ERROR, ES_ERROR_PROTOCOL,
                           "the envelope's “sig” is not base64 of 64 bytes");
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_addressing (EsSignedEnvelope  *self,
                  JsonObject        *message,
                  GError           **error)
{
  const char *call_id = get_string_member (message, "call_id", error);
  const char *from;
  const char *to;

  if (call_id == NULL)
    return FALSE;
  if (!es_signed_envelope_is_valid_call_id (call_id))
    {
      g_set_error_literal (error, ES_ERROR, ES_ERROR_PROTOCOL,
                           "the envelope's “call_id” is not 32 lowercase hex digits");
      return FALSE;
    }
  self->call_id = g_strdup (call_id);

  from = get_string_member (message, "from", error);
  if (from == NULL)
    return FALSE;
  if (!is_canonical_fingerprint (from))
    {
      g_set_error_literal (error, ES_ERROR, ES_ERROR_PROTOCOL,
                           "the envelope's “from” is not a fingerprint in its written form");
      return FALSE;
    }
  self->from = g_strdup (from);

  if (strcmp (self->type, CALL_OFFER) != 0)
    return TRUE;
  to = get_string_member (message, "to", error);
  if (to == NULL)
    return FALSE;
  if (!is_canonical_fingerprint (to))
    {
      g_set_error_literal (error, ES_ERROR, ES_ERROR_PROTOCOL,
                           "the envelope's “to” is not a fingerprint in its written form");
      return FALSE;
    }
  self->to = g_strdup (to);
  return TRUE;
}

static gboolean
parse_body_member (EsSignedEnvelope  *self,
                   JsonObject        *message,
                   GError           **error)
{
  const char *body_text = get_string_member (message, "body", error);
  const char *inner_to;

  if (body_text == NULL)
    return FALSE;
  self->body = parse_body (body_text, error);
  if (self->body == NULL)
    return FALSE;
  self->body_text = g_strdup (body_text);

  /* The outer "to" is unsigned and only routes: it must say what the signed
   * one says. */
  if (self->to == NULL)
    return TRUE;
  inner_to = es_json_get_string (self->body, "to");
  if (inner_to == NULL || strcmp (inner_to, self->to) != 0)
    {
      g_set_error_literal (error, ES_ERROR, ES_ERROR_PROTOCOL,
                           "the call-offer's outer “to” differs from the signed one");
      return FALSE;
    }
  return TRUE;
}

EsSignedEnvelope *
es_signed_envelope_parse (JsonObject  *message,
                          GError     **error)
{
  g_autoptr(EsSignedEnvelope) self = envelope_new ();
  const char *type;
  const char *signature;
  gint64 version = 0;

  g_return_val_if_fail (message != NULL, NULL);

  type = get_string_member (message, "type", error);
  if (type == NULL)
    return NULL;
  if (!is_valid_type (type))
    {
      g_set_error_literal (error, ES_ERROR, ES_ERROR_PROTOCOL,
                           "the envelope's “type” is not 1-32 of a-z, 0-9 and '-'");
      return NULL;
    }
  self->type = g_strdup (type);

  if (!es_json_get_int (message, "v", &version) || version != ES_SIGNED_ENVELOPE_VERSION)
    {
      g_set_error (error, ES_ERROR, ES_ERROR_PROTOCOL,
                   "the envelope's “v” is not the integer %d", ES_SIGNED_ENVELOPE_VERSION);
      return NULL;
    }

  if (!check_members (message, strcmp (type, CALL_OFFER) == 0, error) ||
      !parse_addressing (self, message, error) ||
      !parse_body_member (self, message, error))
    return NULL;

  signature = get_string_member (message, "sig", error);
  if (signature == NULL || !parse_signature (signature, self->signature, error))
    return NULL;

  return g_steal_pointer (&self);
}

const char *
es_signed_envelope_get_message_type (const EsSignedEnvelope *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->type;
}

const char *
es_signed_envelope_get_call_id (const EsSignedEnvelope *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->call_id;
}

const char *
es_signed_envelope_get_from (const EsSignedEnvelope *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->from;
}

const char *
es_signed_envelope_get_to (const EsSignedEnvelope *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->to;
}

const char *
es_signed_envelope_get_body_text (const EsSignedEnvelope *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->body_text;
}

JsonObject *
es_signed_envelope_get_body (const EsSignedEnvelope *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->body;
}

char *
es_signed_envelope_dup_body_sha256_hex (const EsSignedEnvelope *self)
{
  guint8 digest[crypto_hash_sha256_BYTES];

  g_return_val_if_fail (self != NULL, NULL);

  crypto_hash_sha256 (digest, (const guint8 *) self->body_text, strlen (self->body_text));
  return es_hex_encode (digest, sizeof digest);
}

gboolean
es_signed_envelope_check_key (const char    *fingerprint,
                              const guint8  *public_key,
                              GError       **error)
{
  guint8 claimed[ES_FINGERPRINT_SIZE];
  guint8 actual[ES_FINGERPRINT_SIZE];

  g_return_val_if_fail (fingerprint != NULL && public_key != NULL, FALSE);

  if (!es_fingerprint_parse (fingerprint, claimed, error))
    return FALSE;
  es_fingerprint_from_public_key (public_key, actual);
  if (sodium_memcmp (claimed, actual, ES_FINGERPRINT_SIZE) != 0)
    {
      g_set_error_literal (error, ES_ERROR, ES_ERROR_PROTOCOL, "from does not match the key");
      return FALSE;
    }
  return TRUE;
}

gboolean
es_signed_envelope_verify (const EsSignedEnvelope  *self,
                           const guint8            *public_key,
                           GError                 **error)
{
  g_autoptr(GBytes) data = NULL;

  g_return_val_if_fail (self != NULL && public_key != NULL, FALSE);

  if (!es_signed_envelope_check_key (self->from, public_key, error))
    return FALSE;

  data = signed_data (self->type, self->call_id, self->body_text);
  if (!es_identity_verify (public_key, g_bytes_get_data (data, NULL), g_bytes_get_size (data),
                           self->signature))
    {
      g_set_error_literal (error, ES_ERROR, ES_ERROR_PROTOCOL, "signature does not verify");
      return FALSE;
    }
  return TRUE;
}

gboolean
es_signed_envelope_verify_body_key (const EsSignedEnvelope  *self,
                                    guint8                  *public_key,
                                    GError                 **error)
{
  guint8 key[ES_ED25519_PUBLIC_KEY_SIZE];

  g_return_val_if_fail (self != NULL && public_key != NULL, FALSE);

  if (!es_hex_decode_exact (es_json_get_string (self->body, "key"), key, sizeof key))
    {
      g_set_error_literal (error, ES_ERROR, ES_ERROR_PROTOCOL,
                           "the body's “key” is not 64 lowercase hex digits");
      return FALSE;
    }

  if (!es_signed_envelope_verify (self, key, error))
    return FALSE;
  memcpy (public_key, key, sizeof key);
  return TRUE;
}
