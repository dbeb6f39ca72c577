/* es-media-frame.h: the clear header of a media frame
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* protocol.md §4: 16 clear bytes, the AEAD associated data, then the
 * ChaCha20-Poly1305 ciphertext with its 16-byte tag. */
#define ES_MEDIA_FRAME_VERSION     1
#define ES_MEDIA_FRAME_HEADER_SIZE 16
#define ES_MEDIA_FRAME_TAG_SIZE    16
#define ES_MEDIA_FRAME_MIN_SIZE    (ES_MEDIA_FRAME_HEADER_SIZE + ES_MEDIA_FRAME_TAG_SIZE)
/* Over the relay a frame follows the call's 4-byte big-endian handle
 * (protocol.md §4). */
#define ES_RELAY_HANDLE_SIZE       4

typedef enum {
  ES_MEDIA_FRAME_AUDIO          = 0,
  ES_MEDIA_FRAME_QUALITY_REPORT = 1,
} EsMediaFrameKind;

typedef enum {
  ES_MEDIA_FRAME_FLAG_NONE       = 0,
  ES_MEDIA_FRAME_FLAG_REDUNDANCY = 1 << 0, /* carries the previous frame too */
  ES_MEDIA_FRAME_FLAG_AFTER_SILENCE = 1 << 1, /* the sender paused before it (Opus DTX) */
} EsMediaFrameFlags;

typedef struct
{
  EsMediaFrameKind kind;
  guint8 epoch;            /* low 8 bits of the ratchet epoch */
  guint64 sequence;
  guint32 timestamp;       /* 48 kHz samples */
  guint8 tier;
  EsMediaFrameFlags flags;
} EsMediaFrameHeader;

void     es_media_frame_header_encode (const EsMediaFrameHeader *header,
                                       guint8                   *bytes);
/* Parses the header of a whole frame: refuses a frame too short to hold a
 * header and a tag, another version, an unknown kind or a reserved flag. */
gboolean es_media_frame_header_parse  (const guint8             *frame,
                                       gsize                     length,
                                       EsMediaFrameHeader       *header,
                                       GError                  **error);

G_END_DECLS
