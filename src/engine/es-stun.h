/* es-stun.h: STUN Binding requests and responses (RFC 8489)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define ES_STUN_HEADER_SIZE          20
#define ES_STUN_BINDING_REQUEST      0x0001
#define ES_STUN_MAGIC_COOKIE         0x2112A442
#define ES_STUN_TRANSACTION_ID_SIZE  12
/* RFC 8489 §14.3: USERNAME is less than 513 bytes. */
#define ES_STUN_MAX_USERNAME_LENGTH  512

/* Whether a datagram is STUN (RFC 8489 §5: the first two bits 00, the magic
 * cookie at bytes 4–7), so that STUN and QUIC can share one socket. */
gboolean            es_stun_is_message                 (const guint8       *data,
                                                        gsize               length);

/* One client transaction: the Binding request to send (and resend as it is
 * until answered) and the check of its answer. */
typedef struct _EsStunRequest EsStunRequest;

/* A Binding request with a random transaction id and FINGERPRINT. With a
 * username and password (both or neither), ICE-style short-term credentials:
 * USERNAME, and MESSAGE-INTEGRITY keyed with the password, which the
 * response must then carry too, with FINGERPRINT. */
EsStunRequest      *es_stun_request_new                (const char         *username,
                                                        const char         *password);
/* RFC 5780 §4.4 filtering tests: a Binding request (no credentials) with
 * CHANGE-REQUEST, asking the server to answer from its other address
 * and/or its other port. */
EsStunRequest      *es_stun_request_new_change         (gboolean            change_address,
                                                        gboolean            change_port);
void                es_stun_request_free               (EsStunRequest      *self);
GBytes             *es_stun_request_get_message        (EsStunRequest      *self);
const guint8       *es_stun_request_get_transaction_id (EsStunRequest      *self);

/* The XOR-MAPPED-ADDRESS of a Binding success response to this request (an
 * IPv4-mapped IPv6 address is returned as IPv4). FALSE with:
 *   ES_ERROR_NOT_FOUND: a well-formed response to another transaction, or a
 *     second answer to this one: not for this request, ignore it;
 *   ES_ERROR_PROTOCOL: anything malformed, a wrong FINGERPRINT or
 *     MESSAGE-INTEGRITY, an error response, no usable address. */
GInetSocketAddress *es_stun_request_parse_response     (EsStunRequest      *self,
                                                        const guint8       *data,
                                                        gsize               length,
                                                        GError            **error);

/* RFC 5780: the OTHER-ADDRESS of a Binding response (the server's second
 * address and port, for behaviour discovery), or NULL when it has none.
 * For a response es_stun_request_parse_response() accepted. */
GInetSocketAddress *es_stun_response_get_other_address (const guint8       *data,
                                                        gsize               length);

/* The server side: answers a Binding request that came from source. With a
 * username and password, the request must carry exactly that USERNAME and a
 * MESSAGE-INTEGRITY keyed with the password (an ICE check: the username is
 * "local-ufrag:remote-ufrag" as this side sees it); without, credentials
 * are ignored (the relay's public STUN service). A FINGERPRINT, when
 * present, must be right; the response always carries one.
 *
 * TRUE: *response is the success response with XOR-MAPPED-ADDRESS.
 * FALSE with an ES_ERROR_PROTOCOL error: the request is refused; *response
 * is then an error response to send (400 missing credentials, 401 wrong
 * credentials, 420 unknown comprehension-required attribute) or NULL when
 * nothing should be sent back (not STUN, malformed, not a Binding request). */
gboolean            es_stun_answer_binding_request     (const guint8       *data,
                                                        gsize               length,
                                                        GInetSocketAddress *source,
                                                        const char         *username,
                                                        const char         *password,
                                                        GBytes            **response,
                                                        GError            **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsStunRequest, es_stun_request_free)

G_END_DECLS
