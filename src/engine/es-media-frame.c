/* es-media-frame.c
 *
 * The header is read from datagrams anyone on the path can send, before any
 * authentication, so the parser accepts exactly the forms a sender of this
 * version writes and nothing else.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsMediaFrame"

#include "es-media-frame.h"

#include "es-error.h"

#define KNOWN_FLAGS (ES_MEDIA_FRAME_FLAG_REDUNDANCY | ES_MEDIA_FRAME_FLAG_AFTER_SILENCE)

static gboolean
kind_is_known (guint kind)
{
  return kind == ES_MEDIA_FRAME_AUDIO || kind == ES_MEDIA_FRAME_QUALITY_REPORT;
}

void
es_media_frame_header_encode (const EsMediaFrameHeader *header,
                              guint8                   *bytes)
{
  g_return_if_fail (header != NULL && bytes != NULL);
  g_return_if_fail (kind_is_known (header->kind));
  g_return_if_fail ((header->flags & ~KNOWN_FLAGS) == 0);

  bytes[0] = (guint8) (ES_MEDIA_FRAME_VERSION << 4 | header->kind);
  bytes[1] = header->epoch;
  for (guint i = 0; i < 8; i++)
    bytes[2 + i] = (guint8) (header->sequence >> (56 - 8 * i));
  for (guint i = 0; i < 4; i++)
    bytes[10 + i] = (guint8) (header->timestamp >> (24 - 8 * i));
  bytes[14] = header->tier;
  bytes[15] = (guint8) header->flags;
}

gboolean
es_media_frame_header_parse (const guint8        *frame,
                             gsize                length,
                             EsMediaFrameHeader  *header,
                             GError             **error)
{
  guint version;
  guint kind;

  if (length < ES_MEDIA_FRAME_MIN_SIZE)
    {
      g_set_error (error, ES_ERROR, ES_ERROR_PROTOCOL,
                   "a media frame of %zu bytes is too short for a header and a tag", length);
      return FALSE;
    }

  version = frame[0] >> 4;
  kind = frame[0] & 0x0f;
  if (version != ES_MEDIA_FRAME_VERSION)
    {
      g_set_error (error, ES_ERROR, ES_ERROR_PROTOCOL,
                   "media frame version %u is not %u", version, ES_MEDIA_FRAME_VERSION);
      return FALSE;
    }
  if (!kind_is_known (kind))
    {
      g_set_error (error, ES_ERROR, ES_ERROR_PROTOCOL, "unknown media frame kind %u", kind);
      return FALSE;
    }
  if ((frame[15] & ~KNOWN_FLAGS) != 0)
    {
      g_set_error (error, ES_ERROR, ES_ERROR_PROTOCOL,
                   "reserved media frame flags are set (0x%02x)", frame[15]);
      return FALSE;
    }

  header->kind = kind;
  header->epoch = frame[1];
  header->sequence = 0;
  for (guint i = 0; i < 8; i++)
    header->sequence = header->sequence << 8 | frame[2 + i];
  header->timestamp = 0;
  for (guint i = 0; i < 4; i++)
    header->timestamp = header->timestamp << 8 | frame[10 + i];
  header->tier = frame[14];
  header->flags = frame[15];
  return TRUE;
}
