/* es-qr-code.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsQrCode"

#include "es-qr-code.h"

#include <errno.h>
#include <qrencode.h>
#include <string.h>

#include "es-error.h"

#define QUIET_ZONE 4
#define BYTES_PER_PIXEL 3

G_DEFINE_AUTOPTR_CLEANUP_FUNC (QRcode, QRcode_free)

GdkTexture *
es_qr_code_new_texture (const char  *text,
                        int          module_size,
                        GError     **error)
{
  g_autoptr(QRcode) code = NULL;
  g_autoptr(GBytes) bytes = NULL;
  guint8 *pixels;
  int modules, size, stride;

  g_return_val_if_fail (text != NULL && module_size > 0, NULL);

  /* Medium error correction: a smudged or partly covered screen still scans. */
  code = QRcode_encodeString8bit (text, 0, QR_ECLEVEL_M);
  if (code == NULL)
    {
      g_set_error (error, ES_ERROR, ES_ERROR_FAILED, "cannot make a QR code: %s",
                   g_strerror (errno));
      return NULL;
    }
  modules = code->width + 2 * QUIET_ZONE;
  size = modules * module_size;
  stride = size * BYTES_PER_PIXEL;
  pixels = g_malloc (stride * size);
  memset (pixels, 0xff, stride * size);
  for (int y = 0; y < code->width; y++)
    for (int x = 0; x < code->width; x++)
      {
        if ((code->data[y * code->width + x] & 1) == 0)
          continue;
        for (int dy = 0; dy < module_size; dy++)
          memset (pixels + ((y + QUIET_ZONE) * module_size + dy) * stride +
                    (x + QUIET_ZONE) * module_size * BYTES_PER_PIXEL,
                  0, module_size * BYTES_PER_PIXEL);
      }
  bytes = g_bytes_new_take (pixels, stride * size);
  return gdk_memory_texture_new (size, size, GDK_MEMORY_R8G8B8, bytes, stride);
}
