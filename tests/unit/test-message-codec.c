/* Signal messages on a stream: 4-byte length + JSON object, in any split.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <string.h>

#include "es-error.h"
#include "es-json.h"
#include "es-message-codec.h"
#include "es-strict-json.h"

static GByteArray *
frame (const char *json,
       gsize       length)
{
  GByteArray *bytes = g_byte_array_new ();
  guint8 header[4] = {
    (length >> 24) & 0xff, (length >> 16) & 0xff, (length >> 8) & 0xff, length & 0xff,
  };

  g_byte_array_append (bytes, header, sizeof header);
  g_byte_array_append (bytes, (const guint8 *) json, length);
  return bytes;
}

static GByteArray *
frame_text (const char *json)
{
  return frame (json, strlen (json));
}

/* A JSON message whose text is exactly @length bytes. */
static char *
message_of_length (gsize length)
{
  const char *start = "{\"type\":\"pad\",\"v\":1,\"x\":\"";
  const char *end = "\"}";
  GString *text = g_string_new (start);

  g_assert_cmpuint (length, >=, strlen (start) + strlen (end));
  while (text->len < length - strlen (end))
    g_string_append_c (text, 'a');
  g_string_append (text, end);
  g_assert_cmpuint (text->len, ==, length);
  return g_string_free (text, FALSE);
}

static void
assert_refused (const guint8 *data,
                gsize         length,
                const char   *expected_words)
{
  g_autoptr(EsMessageDecoder) decoder = es_message_decoder_new ();
  g_autoptr(GError) error = NULL;

  g_assert_false (es_message_decoder_feed (decoder, data, length, &error));
  g_assert_error (error, ES_ERROR, ES_ERROR_PROTOCOL);
  if (strstr (error->message, expected_words) == NULL)
    g_error ("expected “%s” in “%s”", expected_words, error->message);
  g_assert_null (es_message_decoder_pop (decoder));
}

static void
test_round_trip (void)
{
  g_autoptr(JsonObject) message = es_json_new_message ("ping");
  g_autoptr(EsMessageDecoder) decoder = es_message_decoder_new ();
  g_autoptr(GBytes) encoded = NULL;
  g_autoptr(JsonObject) decoded = NULL;
  g_autoptr(GError) error = NULL;
  gint64 nonce = 0;
  gsize length = 0;
  const guint8 *data;

  json_object_set_int_member (message, "nonce", 42);
  encoded = es_message_encode (message, &error);
  g_assert_no_error (error);
  data = g_bytes_get_data (encoded, &length);
  g_assert_cmpuint (length, >, 4);
  g_assert_cmpuint (((guint) data[0] << 24 | data[1] << 16 | data[2] << 8 | data[3]), ==, length - 4);

  g_assert_true (es_message_decoder_feed (decoder, data, length, &error));
  g_assert_no_error (error);
  decoded = es_message_decoder_pop (decoder);
  g_assert_nonnull (decoded);
  g_assert_cmpstr (es_json_get_string (decoded, "type"), ==, "ping");
  g_assert_true (es_json_get_int (decoded, "nonce", &nonce));
  g_assert_cmpint (nonce, ==, 42);
  g_assert_null (es_message_decoder_pop (decoder));
  g_assert_true (es_message_decoder_finish (decoder, NULL));
}

static void
test_every_split (void)
{
  g_autoptr(GByteArray) stream = frame_text ("{\"type\":\"a\",\"v\":1}");
  g_autoptr(GByteArray) second = frame_text ("{\"type\":\"b\",\"v\":1,\"list\":[1,2,{\"k\":\"}\"}]}");

  g_byte_array_append (stream, second->data, second->len);

  /* Every pair of cut points, so headers and bodies split everywhere. */
  for (guint first_cut = 0; first_cut <= stream->len; first_cut++)
    for (guint second_cut = first_cut; second_cut <= stream->len; second_cut++)
      {
        g_autoptr(EsMessageDecoder) decoder = es_message_decoder_new ();
        g_autoptr(JsonObject) a = NULL;
        g_autoptr(JsonObject) b = NULL;

        g_assert_true (es_message_decoder_feed (decoder, stream->data, first_cut, NULL));
        g_assert_true (es_message_decoder_feed (decoder, stream->data + first_cut,
                                                second_cut - first_cut, NULL));
        g_assert_true (es_message_decoder_feed (decoder, stream->data + second_cut,
                                                stream->len - second_cut, NULL));
        a = es_message_decoder_pop (decoder);
        b = es_message_decoder_pop (decoder);
        g_assert_nonnull (a);
        g_assert_nonnull (b);
        g_assert_cmpstr (es_json_get_string (a, "type"), ==, "a");
        g_assert_cmpstr (es_json_get_string (b, "type"), ==, "b");
        g_assert_null (es_message_decoder_pop (decoder));
        g_assert_true (es_message_decoder_finish (decoder, NULL));
      }
}

static void
test_one_byte_at_a_time (void)
{
  g_autoptr(EsMessageDecoder) decoder = es_message_decoder_new ();
  g_autoptr(GByteArray) stream = g_byte_array_new ();
  guint count = 0;
  JsonObject *message;

  for (guint i = 0; i < 20; i++)
    {
      g_autofree char *json = g_strdup_printf ("{\"type\":\"n\",\"v\":1,\"i\":%u}", i);
      g_autoptr(GByteArray) framed = frame_text (json);

      g_byte_array_append (stream, framed->data, framed->len);
    }
  for (guint i = 0; i < stream->len; i++)
    g_assert_true (es_message_decoder_feed (decoder, stream->data + i, 1, NULL));

  while ((message = es_message_decoder_pop (decoder)) != NULL)
    {
      gint64 index = -1;

      g_assert_true (es_json_get_int (message, "i", &index));
      g_assert_cmpint (index, ==, count);
      count++;
      json_object_unref (message);
    }
  g_assert_cmpuint (count, ==, 20);
}

static void
test_size_limit_boundary (void)
{
  g_autofree char *largest = message_of_length (ES_MESSAGE_MAX_SIZE);
  g_autofree char *too_large = message_of_length (ES_MESSAGE_MAX_SIZE + 1);
  g_autoptr(GByteArray) accepted = frame_text (largest);
  g_autoptr(EsMessageDecoder) decoder = es_message_decoder_new ();
  g_autoptr(JsonObject) message = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  guint8 header[4] = { 0x00, 0x01, 0x00, 0x01 }; /* 65537 */

  g_assert_true (es_message_decoder_feed (decoder, accepted->data, accepted->len, &error));
  g_assert_no_error (error);
  message = es_message_decoder_pop (decoder);
  g_assert_nonnull (message);

  /* Refused from the header alone, before a byte of the body arrives. */
  assert_refused (header, sizeof header, "65537 bytes is longer than the 65536");

  /* The encoder refuses what the decoder would. */
  g_assert_true (json_parser_load_from_data (parser, too_large, -1, NULL));
  g_assert_null (es_message_encode (json_node_get_object (json_parser_get_root (parser)), &error));
  g_assert_error (error, ES_ERROR, ES_ERROR_INVALID_ARGUMENT);
}

static void
test_malformed (void)
{
  static const struct {
    const char *json;
    const char *words;
  } cases[] = {
    { "{\"v\":1}", "\"type\"" },
    { "{\"type\":\"x\"}", "\"v\"" },
    { "{\"type\":7,\"v\":1}", "\"type\"" },
    { "{\"type\":\"x\",\"v\":\"1\"}", "\"v\"" },
    { "{\"type\":\"x\",\"v\":1.5}", "\"v\"" },
    { "[1,2,3]", "not a JSON object" },
    { "\"text\"", "not a JSON object" },
    { "{\"type\":\"x\",", "is not JSON" },
    { "{\"type\":\"x\",\"v\":1} trailing", "more after the object" },
    { "{\"type\":\"x\",\"v\":1}{\"type\":\"y\",\"v\":1}", "more after the object" },
    { "{\"type\":\"x\",\"v\":1,\"v\":2}", "twice" },
    { "{\"type\":\"x\",\"v\":12345678901234567890}", "64 bits" },
    { "{\"type\":\"x\",\"v\":1,\"n\":[-12345678901234567890]}", "64 bits" },
    { "{\"type\":\"x\",\"v\":1,\"n\":{\"m\":1e999}}", "number out of range" },
    { "{\"type\":\"a\tb\",\"v\":1}", "control character" },
    { "{\"type\":\"\\1\",\"v\":1}", "unknown escape" },
    { "{\"type\":\"\\u00e\",\"v\":1}", "malformed \\u escape" },
    { "{\"type\":\"x\",\"v\":1,\"s\":\"\\udfff x\"}", "not UTF-8" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GByteArray) framed = frame_text (cases[i].json);

      assert_refused (framed->data, framed->len, cases[i].words);
    }
}

static void
test_numbers_in_range (void)
{
  g_autoptr(GByteArray) framed =
    frame_text ("{\"type\":\"x\",\"v\":1,\"big\":-123456789012345678,\"d\":1.5e300,\"e\":2E-5}");
  g_autoptr(EsMessageDecoder) decoder = es_message_decoder_new ();
  g_autoptr(JsonObject) message = NULL;
  gint64 big = 0;

  g_assert_true (es_message_decoder_feed (decoder, framed->data, framed->len, NULL));
  message = es_message_decoder_pop (decoder);
  g_assert_nonnull (message);
  g_assert_true (es_json_get_int (message, "big", &big));
  g_assert_cmpint (big, ==, G_GINT64_CONSTANT (-123456789012345678));
  g_assert_cmpfloat (json_object_get_double_member (message, "d"), ==, 1.5e300);
}

static void
test_zero_length (void)
{
  static const guint8 empty[4] = { 0, 0, 0, 0 };

  assert_refused (empty, sizeof empty, "empty message");
}

static void
test_invalid_utf8 (void)
{
  static const char json[] = "{\"type\":\"\xc3\x28\",\"v\":1}";
  static const char nul[] = "{\"type\":\"a\0b\",\"v\":1}";
  g_autoptr(GByteArray) framed = frame (json, sizeof json - 1);
  g_autoptr(GByteArray) with_nul = frame (nul, sizeof nul - 1);

  assert_refused (framed->data, framed->len, "UTF-8");
  assert_refused (with_nul->data, with_nul->len, "UTF-8");
}

static void
test_nesting_limit (void)
{
  GString *deep = g_string_new ("{\"type\":\"x\",\"v\":1,\"a\":");
  GString *shallow = g_string_new ("{\"type\":\"x\",\"v\":1,\"s\":\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\",\"a\":");
  g_autoptr(GByteArray) refused = NULL;
  g_autoptr(GByteArray) accepted = NULL;
  g_autoptr(EsMessageDecoder) decoder = es_message_decoder_new ();
  g_autoptr(JsonObject) message = NULL;

  /* One level for the object itself: 31 arrays inside are fine, 32 not. */
  for (guint i = 0; i < ES_STRICT_JSON_MAX_DEPTH; i++)
    g_string_append_c (deep, '[');
  for (guint i = 0; i < ES_STRICT_JSON_MAX_DEPTH; i++)
    g_string_append_c (deep, ']');
  g_string_append_c (deep, '}');
  /* Brackets inside strings do not count. */
  for (guint i = 0; i < ES_STRICT_JSON_MAX_DEPTH - 1; i++)
    g_string_append_c (shallow, '[');
  for (guint i = 0; i < ES_STRICT_JSON_MAX_DEPTH - 1; i++)
    g_string_append_c (shallow, ']');
  g_string_append_c (shallow, '}');

  refused = frame (deep->str, deep->len);
  accepted = frame (shallow->str, shallow->len);
  assert_refused (refused->data, refused->len, "nests deeper");
  g_assert_true (es_message_decoder_feed (decoder, accepted->data, accepted->len, NULL));
  message = es_message_decoder_pop (decoder);
  g_assert_nonnull (message);

  g_string_free (deep, TRUE);
  g_string_free (shallow, TRUE);
}

static void
test_stream_ends_inside_a_message (void)
{
  g_autoptr(GByteArray) framed = frame_text ("{\"type\":\"a\",\"v\":1}");
  g_autoptr(GError) error = NULL;

  for (guint cut = 1; cut < framed->len; cut++)
    {
      g_autoptr(EsMessageDecoder) decoder = es_message_decoder_new ();

      g_assert_true (es_message_decoder_feed (decoder, framed->data, cut, NULL));
      g_assert_false (es_message_decoder_finish (decoder, &error));
      g_assert_error (error, ES_ERROR, ES_ERROR_PROTOCOL);
      g_clear_error (&error);
    }
}

/* json-glib 1.6's own generator writes 1e+160 as "1e+160.0": not JSON. */
static void
test_encode_writes_valid_numbers (void)
{
  g_autoptr(JsonObject) message = es_json_new_message ("numbers");
  g_autoptr(EsMessageDecoder) decoder = es_message_decoder_new ();
  g_autoptr(JsonObject) decoded = NULL;
  g_autoptr(GBytes) encoded = NULL;
  g_autoptr(GError) error = NULL;
  static const double values[] = { -1e160, 1e-300, 0.1, 1.0, -0.0, 123456789.125 };

  for (gsize i = 0; i < G_N_ELEMENTS (values); i++)
    {
      g_autofree char *name = g_strdup_printf ("d%zu", i);

      json_object_set_double_member (message, name, values[i]);
    }
  json_object_set_string_member (message, "text", "quote \" backslash \\ tab \t bell \a é");

  encoded = es_message_encode (message, &error);
  g_assert_no_error (error);
  g_assert_true (es_message_decoder_feed (decoder, g_bytes_get_data (encoded, NULL),
                                          g_bytes_get_size (encoded), &error));
  g_assert_no_error (error);
  decoded = es_message_decoder_pop (decoder);
  g_assert_nonnull (decoded);
  for (gsize i = 0; i < G_N_ELEMENTS (values); i++)
    {
      g_autofree char *name = g_strdup_printf ("d%zu", i);
      JsonNode *node = json_object_get_member (decoded, name);

      g_assert_cmpint (json_node_get_value_type (node), ==, G_TYPE_DOUBLE);
      g_assert_cmpfloat (json_node_get_double (node), ==, values[i]);
    }
  g_assert_cmpstr (es_json_get_string (decoded, "text"), ==, "quote \" backslash \\ tab \t bell \a é");

  json_object_set_double_member (message, "infinite", INFINITY);
  g_assert_null (es_message_encode (message, &error));
  g_assert_error (error, ES_ERROR, ES_ERROR_INVALID_ARGUMENT);
}

static void
test_encode_refuses_incomplete_messages (void)
{
  g_autoptr(JsonObject) no_version = json_object_new ();
  g_autoptr(GError) error = NULL;

  json_object_set_string_member (no_version, "type", "x");
  g_assert_null (es_message_encode (no_version, &error));
  g_assert_error (error, ES_ERROR, ES_ERROR_INVALID_ARGUMENT);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/message-codec/round-trip", test_round_trip);
  g_test_add_func ("/message-codec/every-split", test_every_split);
  g_test_add_func ("/message-codec/one-byte-at-a-time", test_one_byte_at_a_time);
  g_test_add_func ("/message-codec/size-limit-boundary", test_size_limit_boundary);
  g_test_add_func ("/message-codec/malformed", test_malformed);
  g_test_add_func ("/message-codec/numbers-in-range", test_numbers_in_range);
  g_test_add_func ("/message-codec/zero-length", test_zero_length);
  g_test_add_func ("/message-codec/invalid-utf8", test_invalid_utf8);
  g_test_add_func ("/message-codec/nesting-limit", test_nesting_limit);
  g_test_add_func ("/message-codec/stream-ends-inside-a-message", test_stream_ends_inside_a_message);
  g_test_add_func ("/message-codec/encode-writes-valid-numbers", test_encode_writes_valid_numbers);
  g_test_add_func ("/message-codec/encode-refuses-incomplete", test_encode_refuses_incomplete_messages);

  return g_test_run ();
}
