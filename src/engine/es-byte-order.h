/* es-byte-order.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Network byte order in and out of byte buffers. The wire formats Earshot
 * reads (its own framing, STUN, NAT-PMP, PCP, the relay's handle prefix) put
 * integers at offsets with no alignment, so they are read byte by byte.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

static inline guint16
es_read_be16 (const guint8 *data)
{
  return (guint16) (data[0] << 8 | data[1]);
}

static inline guint32
es_read_be32 (const guint8 *data)
{
  return (guint32) data[0] << 24 | (guint32) data[1] << 16 | (guint32) data[2] << 8 | data[3];
}

static inline void
es_write_be16 (guint8  *data,
               guint16  value)
{
  data[0] = (guint8) (value >> 8);
  data[1] = (guint8) value;
}

static inline void
es_write_be32 (guint8  *data,
               guint32  value)
{
  es_write_be16 (data, (guint16) (value >> 16));
  es_write_be16 (data + 2, (guint16) value);
}

G_END_DECLS
