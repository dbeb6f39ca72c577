/* es-wav-writer.c
 *
 * The canonical 44-byte PCM header, then the samples. The header's sizes are
 * rewritten with the final ones on close, and also once for every second of
 * audio while recording, so a process killed in a call leaves a file that
 * plays up to the last second instead of one that claims to be empty.
 *
 * The file is written in place (not a temporary renamed on close) for the
 * same reason.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsWavWriter"

#include "es-wav-writer.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "es-audio-backend.h"

#define HEADER_SIZE 44
#define BYTES_PER_SAMPLE 2
/* The RIFF size field must hold the data size plus the rest of the header. */
#define MAX_DATA_BYTES (G_MAXUINT32 - (HEADER_SIZE - 8))
/* How much audio may be missing from the header's sizes after a crash. */
#define SYNC_INTERVAL_SAMPLES ES_AUDIO_RATE
#define WRITE_BLOCK_SAMPLES 1024

struct _EsWavWriter
{
  char *path;
  int fd;
  guint64 n_samples;
  guint64 synced_samples;
};

static void
set_io_error (EsWavWriter *self,
              int          saved_errno,
              GError     **error)
{
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
               "%s: cannot write the recording: %s", self->path, g_strerror (saved_errno));
}

static gboolean
write_all (EsWavWriter *self,
           const void  *data,
           gsize        size,
           GError     **error)
{
  const guint8 *p = data;

  while (size > 0)
    {
      ssize_t n = write (self->fd, p, size);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          set_io_error (self, errno, error);
          return FALSE;
        }
      p += n;
      size -= (gsize) n;
    }
  return TRUE;
}

static void
put_le16 (guint8  *p,
          guint16  value)
{
  p[0] = value & 0xff;
  p[1] = value >> 8;
}

static void
put_le32 (guint8  *p,
          guint32  value)
{
  put_le16 (p, value & 0xffff);
  put_le16 (p + 2, value >> 16);
}

static void
build_header (guint8  header[HEADER_SIZE],
              guint32 data_bytes)
{
  memcpy (header, "RIFF", 4);
  put_le32 (header + 4, data_bytes + HEADER_SIZE - 8);
  memcpy (header + 8, "WAVEfmt ", 8);
  put_le32 (header + 16, 16);
  put_le16 (header + 20, 1);                    /* PCM */
  put_le16 (header + 22, 1);                    /* mono */
  put_le32 (header + 24, ES_AUDIO_RATE);
  put_le32 (header + 28, ES_AUDIO_RATE * BYTES_PER_SAMPLE);
  put_le16 (header + 32, BYTES_PER_SAMPLE);
  put_le16 (header + 34, 8 * BYTES_PER_SAMPLE);
  memcpy (header + 36, "data", 4);
  put_le32 (header + 40, data_bytes);
}

/* Rewrites the header in place; the file position stays at the end. */
static gboolean
sync_header (EsWavWriter *self,
             GError     **error)
{
  guint8 header[HEADER_SIZE];
  gsize done = 0;

  build_header (header, (guint32) (self->n_samples * BYTES_PER_SAMPLE));
  while (done < HEADER_SIZE)
    {
      ssize_t n = pwrite (self->fd, header + done, HEADER_SIZE - done, (off_t) done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          set_io_error (self, errno, error);
          return FALSE;
        }
      done += (gsize) n;
    }
  self->synced_samples = self->n_samples;
  return TRUE;
}

EsWavWriter *
es_wav_writer_new (const char  *path,
                   GError     **error)
{
  g_autoptr(EsWavWriter) self = NULL;
  guint8 header[HEADER_SIZE];

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_new0 (EsWavWriter, 1);
  self->path = g_strdup (path);
  self->fd = g_open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (self->fd < 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "%s: cannot create the recording: %s", path, g_strerror (saved_errno));
      return NULL;
    }
  build_header (header, 0);
  if (!write_all (self, header, sizeof header, error))
    {
      g_close (self->fd, NULL);
      self->fd = -1;
      return NULL;
    }
  return g_steal_pointer (&self);
}

gboolean
es_wav_writer_write (EsWavWriter   *self,
                     const gint16  *samples,
                     gsize          n_samples,
                     GError       **error)
{
  guint8 bytes[WRITE_BLOCK_SAMPLES * BYTES_PER_SAMPLE];

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (self->fd >= 0, FALSE);
  g_return_val_if_fail (samples != NULL || n_samples == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if ((self->n_samples + n_samples) * BYTES_PER_SAMPLE > MAX_DATA_BYTES)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                   "%s: the recording reached the 4 GiB limit of WAV files", self->path);
      return FALSE;
    }

  for (gsize done = 0; done < n_samples;)
    {
      gsize n = MIN (n_samples - done, WRITE_BLOCK_SAMPLES);

      for (gsize i = 0; i < n; i++)
        put_le16 (bytes + i * BYTES_PER_SAMPLE, (guint16) samples[done + i]);
      if (!write_all (self, bytes, n * BYTES_PER_SAMPLE, error))
        return FALSE;
      done += n;
      self->n_samples += n;
    }

  if (self->n_samples - self->synced_samples >= SYNC_INTERVAL_SAMPLES)
    return sync_header (self, error);
  return TRUE;
}

gboolean
es_wav_writer_close (EsWavWriter  *self,
                     GError      **error)
{
  gboolean ok;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->fd < 0)
    return TRUE;
  ok = sync_header (self, error);
  if (g_close (self->fd, ok ? error : NULL) == FALSE && ok)
    {
      g_prefix_error (error, "%s: ", self->path);
      ok = FALSE;
    }
  self->fd = -1;
  return ok;
}

void
es_wav_writer_free (EsWavWriter *self)
{
  g_autoptr(GError) error = NULL;

  if (self == NULL)
    return;
  if (!es_wav_writer_close (self, &error))
    g_warning ("%s", error->message);
  g_free (self->path);
  g_free (self);
}

guint64
es_wav_writer_get_n_samples (EsWavWriter *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->n_samples;
}
