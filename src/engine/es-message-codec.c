/* es-message-codec.c
 *
 * Stream data arrives in arbitrary pieces, so the decoder is a small state
 * machine: collect the 4-byte length, then the body, then parse. A body that
 * arrives whole in one piece is parsed where it lies; only split bodies are
 * copied. Bodies are read with the strict reader (es-strict-json.h): the
 * JSON parser underneath is recursive and trusts its input more than a
 * network-facing component may.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsMessageCodec"

#include "es-message-codec.h"

#include <string.h>

#include "es-byte-order.h"
#include "es-error.h"
#include "es-json.h"

struct _EsMessageDecoder
{
  guint8 header[ES_MESSAGE_HEADER_SIZE];
  gsize header_length;
  /* The body collected so far; NULL while the header is incomplete. */
  GByteArray *body;
  guint32 body_length;
  GQueue messages;
};

static gboolean
has_message_members (JsonObject *message)
{
  gint64 version;

  return es_json_get_string (message, "type") != NULL &&
         es_json_get_int (message, "v", &version);
}

GBytes *
es_message_encode (JsonObject *message,
                   GError    **error)
{
  g_autofree char *text = NULL;
  gsize length;
  guint8 *data;

  g_return_val_if_fail (message != NULL, NULL);

  if (!has_message_members (message))
    {
      g_set_error_literal (error, ES_ERROR, ES_ERROR_INVALID_ARGUMENT,
                           "a message needs a string \"type\" and an integer \"v\"");
      return NULL;
    }

  text = es_json_write (message, error);
  if (text == NULL)
    return NULL;
  length = strlen (text);
  if (length > ES_MESSAGE_MAX_SIZE)
    {
      g_set_error (error, ES_ERROR, ES_ERROR_INVALID_ARGUMENT,
                   "a message of %zu bytes is longer than the %d allowed",
                   length, ES_MESSAGE_MAX_SIZE);
      return NULL;
    }

  data = g_malloc (ES_MESSAGE_HEADER_SIZE + length);
  es_write_be32 (data, (guint32) length);
  memcpy (data + ES_MESSAGE_HEADER_SIZE, text, length);
  return g_bytes_new_take (data, ES_MESSAGE_HEADER_SIZE + length);
}

EsMessageDecoder *
es_message_decoder_new (void)
{
  EsMessageDecoder *self = g_new0 (EsMessageDecoder, 1);

  g_queue_init (&self->messages);
  return self;
}

void
es_message_decoder_free (EsMessageDecoder *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->body, g_byte_array_unref);
  g_queue_clear_full (&self->messages, (GDestroyNotify) json_object_unref);
  g_free (self);
}

static JsonObject *
parse_message (const guint8 *body,
               gsize         length,
               GError      **error)
{
  g_autoptr(GError) parse_error = NULL;
  g_autoptr(JsonObject) message = NULL;

  if (!g_utf8_validate ((const char *) body, (gssize) length, NULL))
    {
      g_set_error_literal (error, ES_ERROR, ES_ERROR_PROTOCOL, "a message is not valid UTF-8");
      return NULL;
    }
  message = es_json_from_string ((const char *) body, (gssize) length, &parse_error);
  if (message == NULL)
    {
      g_set_error (error, ES_ERROR, ES_ERROR_PROTOCOL, "a message %s", parse_error->message);
      return NULL;
    }
  if (!has_message_members (message))
    {
      g_set_error_literal (error, ES_ERROR, ES_ERROR_PROTOCOL,
                           "a message lacks a string \"type\" or an integer \"v\"");
      return NULL;
    }
  return g_steal_pointer (&message);
}

static gboolean
accept_body (EsMessageDecoder *self,
             const guint8     *body,
             GError          **error)
{
  JsonObject *message = parse_message (body, self->body_length, error);

  if (message == NULL)
    return FALSE;
  g_queue_push_tail (&self->messages, message);
  self->header_length = 0;
  g_clear_pointer (&self->body, g_byte_array_unref);
  return TRUE;
}

static gboolean
read_header (EsMessageDecoder *self,
             GError          **error)
{
  self->body_length = es_read_be32 (self->header);
  if (self->body_length == 0)
    {
      g_set_error_literal (error, ES_ERROR, ES_ERROR_PROTOCOL, "an empty message");
      return FALSE;
    }
  if (self->body_length > ES_MESSAGE_MAX_SIZE)
    {
      g_set_error (error, ES_ERROR, ES_ERROR_PROTOCOL,
                   "a message of %u bytes is longer than the %d allowed",
                   self->body_length, ES_MESSAGE_MAX_SIZE);
      return FALSE;
    }
  return TRUE;
}

gboolean
es_message_decoder_feed (EsMessageDecoder *self,
                         const guint8     *data,
                         gsize             length,
                         GError          **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (data != NULL || length == 0, FALSE);

  while (length > 0)
    {
      gsize take;

      if (self->header_length < ES_MESSAGE_HEADER_SIZE)
        {
          take = MIN (length, ES_MESSAGE_HEADER_SIZE - self->header_length);
          memcpy (self->header + self->header_length, data, take);
          self->header_length += take;
          data += take;
          length -= take;
          if (self->header_length == ES_MESSAGE_HEADER_SIZE && !read_header (self, error))
            return FALSE;
          continue;
        }

      if (self->body == NULL && length >= self->body_length)
        {
          /* The whole body is here: parse it in place. */
          if (!accept_body (self, data, error))
            return FALSE;
          data += self->body_length;
          length -= self->body_length;
          continue;
        }

      if (self->body == NULL)
        self->body = g_byte_array_sized_new (self->body_length);
      take = MIN (length, self->body_length - self->body->len);
      g_byte_array_append (self->body, data, take);
      data += take;
      length -= take;
      if (self->body->len == self->body_length && !accept_body (self, self->body->data, error))
        return FALSE;
    }
  return TRUE;
}

JsonObject *
es_message_decoder_pop (EsMessageDecoder *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return g_queue_pop_head (&self->messages);
}

gboolean
es_message_decoder_finish (EsMessageDecoder *self,
                           GError          **error)
{
  g_return_val_if_fail (self != NULL, FALSE);

  if (self->header_length > 0)
    {
      g_set_error_literal (error, ES_ERROR, ES_ERROR_PROTOCOL,
                           "the stream ended in the middle of a message");
      return FALSE;
    }
  return TRUE;
}
