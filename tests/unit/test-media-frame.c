/* The 16-byte clear header of a media frame (protocol.md §4).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "es-error.h"
#include "es-media-frame.h"

static void
assert_headers_equal (const EsMediaFrameHeader *a,
                      const EsMediaFrameHeader *b)
{
  g_assert_cmpint (a->kind, ==, b->kind);
  g_assert_cmpuint (a->epoch, ==, b->epoch);
  g_assert_cmpuint (a->sequence, ==, b->sequence);
  g_assert_cmpuint (a->timestamp, ==, b->timestamp);
  g_assert_cmpuint (a->tier, ==, b->tier);
  g_assert_cmpint (a->flags, ==, b->flags);
}

static void
test_round_trip (void)
{
  const EsMediaFrameHeader headers[] = {
    { ES_MEDIA_FRAME_AUDIO, 0, 0, 0, 0, ES_MEDIA_FRAME_FLAG_NONE },
    { ES_MEDIA_FRAME_QUALITY_REPORT, 7, 65536, 48000, 3, ES_MEDIA_FRAME_FLAG_NONE },
    { ES_MEDIA_FRAME_AUDIO, 255, G_MAXUINT64 - 1, G_MAXUINT32, 255,
      ES_MEDIA_FRAME_FLAG_REDUNDANCY | ES_MEDIA_FRAME_FLAG_AFTER_SILENCE },
    { ES_MEDIA_FRAME_AUDIO, 0x5a, G_GUINT64_CONSTANT (0x0102030405060708), 0x0a0b0c0d, 1,
      ES_MEDIA_FRAME_FLAG_REDUNDANCY },
  };

  for (guint i = 0; i < G_N_ELEMENTS (headers); i++)
    {
      guint8 frame[ES_MEDIA_FRAME_MIN_SIZE] = { 0 };
      EsMediaFrameHeader parsed;
      g_autoptr(GError) error = NULL;

      es_media_frame_header_encode (&headers[i], frame);
      g_assert_true (es_media_frame_header_parse (frame, sizeof frame, &parsed, &error));
      g_assert_no_error (error);
      assert_headers_equal (&parsed, &headers[i]);
    }
}

/* The byte layout, big-endian, as tests/vectors/call-keys-vector.py packs it
 * with Python's struct ('>BBQIBB'). */
static void
test_layout (void)
{
  static const guint8 expected[ES_MEDIA_FRAME_HEADER_SIZE] = {
    0x10, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x11, 0x00, 0x00, 0x3f, 0xc0, 0x02, 0x01,
  };
  const EsMediaFrameHeader header = {
    ES_MEDIA_FRAME_AUDIO, 1, 17, 17 * 960, 2, ES_MEDIA_FRAME_FLAG_REDUNDANCY
  };
  guint8 bytes[ES_MEDIA_FRAME_HEADER_SIZE];
  guint8 quality[ES_MEDIA_FRAME_HEADER_SIZE];
  const EsMediaFrameHeader report = {
    ES_MEDIA_FRAME_QUALITY_REPORT, 0x12, G_GUINT64_CONSTANT (0x8000000000000001), 0x80000000, 0,
    ES_MEDIA_FRAME_FLAG_NONE
  };

  es_media_frame_header_encode (&header, bytes);
  g_assert_cmpmem (bytes, sizeof bytes, expected, sizeof expected);

  es_media_frame_header_encode (&report, quality);
  g_assert_cmphex (quality[0], ==, 0x11);
  g_assert_cmphex (quality[1], ==, 0x12);
  g_assert_cmphex (quality[2], ==, 0x80);
  g_assert_cmphex (quality[9], ==, 0x01);
  g_assert_cmphex (quality[10], ==, 0x80);
  g_assert_cmphex (quality[13], ==, 0x00);
}

static void
assert_refused (const guint8 *frame,
                gsize         length,
                const char   *reason)
{
  EsMediaFrameHeader parsed;
  g_autoptr(GError) error = NULL;

  g_assert_false (es_media_frame_header_parse (frame, length, &parsed, &error));
  g_assert_error (error, ES_ERROR, ES_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, reason));
}

static void
test_malformed (void)
{
  const EsMediaFrameHeader header = { ES_MEDIA_FRAME_AUDIO, 3, 99, 4800, 1,
                                      ES_MEDIA_FRAME_FLAG_REDUNDANCY };
  guint8 valid[ES_MEDIA_FRAME_MIN_SIZE + 4] = { 0 };
  guint8 frame[sizeof valid];
  EsMediaFrameHeader parsed;

  es_media_frame_header_encode (&header, valid);

  /* Shorter than a header and a tag. */
  assert_refused (valid, 0, "too short");
  assert_refused (valid, ES_MEDIA_FRAME_HEADER_SIZE - 1, "too short");
  assert_refused (valid, ES_MEDIA_FRAME_HEADER_SIZE, "too short");
  assert_refused (valid, ES_MEDIA_FRAME_MIN_SIZE - 1, "too short");
  g_assert_true (es_media_frame_header_parse (valid, ES_MEDIA_FRAME_MIN_SIZE, &parsed, NULL));

  /* Every other version. */
  for (guint version = 0; version < 16; version++)
    {
      if (version == ES_MEDIA_FRAME_VERSION)
        continue;
      memcpy (frame, valid, sizeof frame);
      frame[0] = (guint8) (version << 4 | (frame[0] & 0x0f));
      assert_refused (frame, sizeof frame, "version");
    }

  /* Every unknown kind. */
  for (guint kind = ES_MEDIA_FRAME_QUALITY_REPORT + 1; kind < 16; kind++)
    {
      memcpy (frame, valid, sizeof frame);
      frame[0] = (guint8) (ES_MEDIA_FRAME_VERSION << 4 | kind);
      assert_refused (frame, sizeof frame, "kind");
    }

  /* Every reserved flag. */
  for (guint bit = 2; bit < 8; bit++)
    {
      memcpy (frame, valid, sizeof frame);
      frame[15] |= (guint8) (1 << bit);
      assert_refused (frame, sizeof frame, "reserved");
    }
}

int
main (int argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/media-frame/round-trip", test_round_trip);
  g_test_add_func ("/media-frame/layout", test_layout);
  g_test_add_func ("/media-frame/malformed", test_malformed);

  return g_test_run ();
}
