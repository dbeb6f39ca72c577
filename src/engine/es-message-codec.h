/* es-message-codec.h: length-prefixed JSON messages on a QUIC stream
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* 4-byte big-endian length, then a UTF-8 JSON object with a string "type"
 * and an integer "v" (DESIGN §5). The length counts the JSON text, which may
 * be 1 to ES_MESSAGE_MAX_SIZE bytes. A longer or malformed message is a
 * protocol error: the connection is closed. */
#define ES_MESSAGE_MAX_SIZE (64 * 1024)
#define ES_MESSAGE_HEADER_SIZE 4
/* Bodies are read strictly (es-strict-json.h): nesting deeper than
 * ES_STRICT_JSON_MAX_DEPTH, integers beyond 64 bits, numbers that overflow,
 * duplicate members and anything after the object are protocol errors. */

/* Fails with ES_ERROR_INVALID_ARGUMENT for a message the peer would refuse
 * (no "type" or "v", longer than ES_MESSAGE_MAX_SIZE, a number that JSON
 * cannot carry such as infinity). Writes its own JSON: json-glib 1.6's
 * generator writes doubles in exponent form as "1e+160.0", which is not
 * JSON. */
GBytes *es_message_encode (JsonObject *message,
                           GError    **error);

typedef struct _EsMessageDecoder EsMessageDecoder;

EsMessageDecoder *es_message_decoder_new  (void);
void              es_message_decoder_free (EsMessageDecoder *self);
/* Consumes bytes as they arrive, in any split. Returns FALSE with an
 * ES_ERROR_PROTOCOL error on the first malformed or oversized message; the
 * decoder must not be fed again after that. */
gboolean          es_message_decoder_feed (EsMessageDecoder *self,
                                           const guint8     *data,
                                           gsize             length,
                                           GError          **error);
/* The next complete message (transfer full), or NULL. */
JsonObject       *es_message_decoder_pop  (EsMessageDecoder *self);
/* The stream ended: FALSE with an ES_ERROR_PROTOCOL error when it ended in
 * the middle of a message. */
gboolean          es_message_decoder_finish (EsMessageDecoder *self,
                                             GError          **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsMessageDecoder, es_message_decoder_free)

G_END_DECLS
