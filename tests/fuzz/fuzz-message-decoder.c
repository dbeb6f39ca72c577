/* Fuzz target: the stream message decoder, fed as QUIC delivers stream
 * data, in pieces. The first byte picks how the rest is cut (0: in one
 * piece; otherwise pseudo-random pieces of 1 to 64 bytes from that seed),
 * so that the fuzzer explores splits as well as contents. Every message
 * that comes out must survive an encode/decode round trip unchanged.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdint.h>
#include <string.h>

#include "es-message-codec.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
check_round_trip (JsonObject *message)
{
  g_autoptr(GBytes) encoded = es_message_encode (message, NULL);
  g_autoptr(EsMessageDecoder) decoder = es_message_decoder_new ();
  g_autoptr(JsonObject) again = NULL;
  g_autoptr(JsonNode) before = NULL;
  g_autoptr(JsonNode) after = NULL;

  /* It came in under the limit; re-serialised it may grow (escapes). */
  if (encoded == NULL)
    return;
  g_assert_true (es_message_decoder_feed (decoder, g_bytes_get_data (encoded, NULL),
                                          g_bytes_get_size (encoded), NULL));
  again = es_message_decoder_pop (decoder);
  g_assert_nonnull (again);
  before = json_node_init_object (json_node_alloc (), message);
  after = json_node_init_object (json_node_alloc (), again);
  g_assert_true (json_node_equal (before, after));
}

static gsize
next_piece (guint32 *state,
            gsize    left)
{
  if (*state == 0)
    return left;
  *state = *state * 1103515245 + 12345;
  return MIN (left, 1 + (*state >> 16) % 64);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(EsMessageDecoder) decoder = es_message_decoder_new ();
  guint32 state;
  gboolean ok = TRUE;
  JsonObject *message;

  if (size == 0)
    return 0;
  state = data[0];
  data++;
  size--;

  while (ok && size > 0)
    {
      gsize piece = next_piece (&state, size);

      ok = es_message_decoder_feed (decoder, data, piece, NULL);
      data += piece;
      size -= piece;
      while ((message = es_message_decoder_pop (decoder)) != NULL)
        {
          check_round_trip (message);
          json_object_unref (message);
        }
    }
  if (ok)
    es_message_decoder_finish (decoder, NULL);
  return 0;
}
