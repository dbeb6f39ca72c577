/* es-strict-json.h: JSON objects from the network, read one way only
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Deeper than any message of the protocol, far below what would exhaust
 * json-glib's recursive parser on a small thread stack. */
#define ES_STRICT_JSON_MAX_DEPTH 32

/* Parses text (length bytes, or up to its NUL if length is -1) as exactly
 * one JSON object and refuses, with an ES_ERROR_PROTOCOL error worded to
 * follow the name of what was read ("is not a JSON object"), what json-glib
 * would accept but another reader could read differently or that harms the
 * reader: anything after the object (json-glib reads the first of several
 * and leaks the rest), a member name twice in one object (json-glib keeps
 * the last), a NUL byte or a \u0000 escape (strings end there in C),
 * integers outside 64 bits (json-glib wraps them), numbers that overflow to
 * infinity, escapes that decode to invalid UTF-8 (a lone surrogate), and
 * nesting deeper than ES_STRICT_JSON_MAX_DEPTH. json-glib itself refuses
 * text that is not UTF-8.
 * The object returned is immutable. */
JsonObject *es_strict_json_parse_object (const char  *text,
                                         gssize       length,
                                         GError     **error);

G_END_DECLS
