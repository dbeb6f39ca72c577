/* es-json.h: reading members of JSON objects that came from the network
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Each returns NULL / FALSE when the member is missing or of another type,
 * never a critical: the objects come from peers who may send anything. */
const char *es_json_get_string  (JsonObject  *object,
                                 const char  *member);
gboolean    es_json_get_int     (JsonObject  *object,
                                 const char  *member,
                                 gint64      *value);
gboolean    es_json_get_boolean (JsonObject  *object,
                                 const char  *member,
                                 gboolean    *value);
JsonObject *es_json_get_object  (JsonObject  *object,
                                 const char  *member);
JsonArray  *es_json_get_array   (JsonObject  *object,
                                 const char  *member);
/* Valid JSON for every value json-glib holds (its own generator writes
 * some doubles in a form no parser reads); NULL and an error for a number
 * JSON cannot carry. */
char       *es_json_write       (JsonObject  *object,
                                 GError     **error);
char       *es_json_to_string   (JsonObject  *object);
/* Strict: see es_strict_json_parse_object(). */
JsonObject *es_json_from_string (const char  *text,
                                 gssize       length,
                                 GError     **error);
/* A new object {"type": type, "v": 1}. */
JsonObject *es_json_new_message (const char  *type);
/* A new object {"event": name}: one line of the JSON event output of the
 * programs (DESIGN §8). */
JsonObject *es_json_new_event   (const char  *name);
/* Writes @object as one line on standard output and flushes it, so that a
 * program reading the lines sees each as it happens. */
void        es_json_print_line  (JsonObject  *object);

G_END_DECLS
