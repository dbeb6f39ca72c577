/* es-wav-reader.c
 *
 * A strict RIFF/WAVE parser. Chunks may come in any order and unknown ones
 * are skipped, but every size must fit inside the file: a file that lies
 * about its sizes is refused with its name, never read past its end or
 * trusted to allocate what it declares. Odd-sized chunks are followed by a
 * pad byte, which only the last chunk may lack (some writers drop it).
 *
 * Whatever the file holds, the reader hands out 48 kHz mono 16-bit samples:
 * channels are mixed down by averaging (no clipping), 8/24/32-bit PCM and
 * 32/64-bit float are scaled to 16 bits with rounding. A file at another rate
 * is refused with the command that converts it: resampling well is sox's job.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsWavReader"

#include "es-wav-reader.h"

#include <math.h>
#include <string.h>

#include "es-audio-backend.h"
#include "es-error.h"

#define WAVE_FORMAT_PCM        0x0001
#define WAVE_FORMAT_IEEE_FLOAT 0x0003
#define WAVE_FORMAT_ALAW       0x0006
#define WAVE_FORMAT_MULAW      0x0007
#define WAVE_FORMAT_EXTENSIBLE 0xFFFE

#define FMT_SIZE            16
#define FMT_EXTENSIBLE_SIZE 40
/* Frames converted per read from the file. */
#define READ_BLOCK_FRAMES   1024

/* WAVE_FORMAT_EXTENSIBLE's SubFormat is a GUID whose first two bytes are the
 * format code and whose other fourteen are always these. */
static const guint8 ksdataformat_suffix[14] = {
  0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71,
};

struct _EsWavReader
{
  GInputStream *stream;
  char *name;

  gboolean is_float;
  guint channels;
  guint bits;
  guint block_align;
  guint64 n_frames;
  guint64 frames_read;
  guint8 *block;
};

static guint16
read_le16 (const guint8 *p)
{
  return (guint16) (p[0] | p[1] << 8);
}

static guint32
read_le32 (const guint8 *p)
{
  return (guint32) p[0] | (guint32) p[1] << 8 | (guint32) p[2] << 16 | (guint32) p[3] << 24;
}

static guint64
read_le64 (const guint8 *p)
{
  return (guint64) read_le32 (p) | (guint64) read_le32 (p + 4) << 32;
}

static void
set_damaged (EsWavReader *self,
             GError     **error,
             const char  *detail)
{
  g_set_error (error, ES_ERROR, ES_ERROR_DAMAGED, "%s: damaged WAV file: %s", self->name, detail);
}

static void
set_unsupported (EsWavReader *self,
                 GError     **error,
                 const char  *what)
{
  g_autofree char *quoted = g_shell_quote (self->name);

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
               "%s: %s; Earshot plays 48000 Hz WAV files, convert it with: "
               "sox %s -r 48000 -c 1 -b 16 out.wav",
               self->name, what, quoted);
}

/* A chunk id as text for a message, whatever bytes a damaged file holds. */
static void
format_chunk_id (const guint8 *id,
                 char          text[5])
{
  for (guint i = 0; i < 4; i++)
    text[i] = g_ascii_isprint (id[i]) ? (char) id[i] : '?';
  text[4] = '\0';
}

static gboolean
seek_to (EsWavReader *self,
         goffset      offset,
         GError     **error)
{
  return g_seekable_seek (G_SEEKABLE (self->stream), offset, G_SEEK_SET, NULL, error);
}

/* Reads exactly @size bytes; fewer means the file ended early. */
static gboolean
read_exactly (EsWavReader *self,
              void        *buffer,
              gsize        size,
              GError     **error)
{
  gsize n_read = 0;

  if (!g_input_stream_read_all (self->stream, buffer, size, &n_read, NULL, error))
    {
      g_prefix_error (error, "%s: ", self->name);
      return FALSE;
    }
  if (n_read < size)
    {
      set_damaged (self, error, "it ends in the middle of its audio");
      return FALSE;
    }
  return TRUE;
}

static gboolean
get_stream_size (EsWavReader *self,
                 goffset     *size,
                 GError     **error)
{
  GSeekable *seekable = G_SEEKABLE (self->stream);

  if (!g_seekable_seek (seekable, 0, G_SEEK_END, NULL, error))
    return FALSE;
  *size = g_seekable_tell (seekable);
  return seek_to (self, 0, error);
}

/* Resolves WAVE_FORMAT_EXTENSIBLE to the format code its SubFormat names. */
static gboolean
parse_extensible (EsWavReader  *self,
                  const guint8 *fmt,
                  guint32       size,
                  guint16      *format,
                  GError      **error)
{
  guint valid_bits;

  if (size < FMT_EXTENSIBLE_SIZE || read_le16 (fmt + 16) < FMT_EXTENSIBLE_SIZE - 18)
    {
      set_damaged (self, error, "its WAVE_FORMAT_EXTENSIBLE header is too short");
      return FALSE;
    }
  valid_bits = read_le16 (fmt + 18);
  if (valid_bits == 0 || valid_bits > self->bits)
    {
      set_damaged (self, error, "it has more valid bits than bits per sample");
      return FALSE;
    }
  if (memcmp (fmt + 26, ksdataformat_suffix, sizeof ksdataformat_suffix) != 0)
    {
      set_unsupported (self, error, "its WAVE_FORMAT_EXTENSIBLE subformat is not PCM or float");
      return FALSE;
    }
  /* Samples are left-justified in their container, so the padding bits are
   * the low ones and converting the whole container is right. */
  *format = read_le16 (fmt + 24);
  return TRUE;
}

static gboolean
check_encoding (EsWavReader *self,
                guint16      format,
                GError     **error)
{
  g_autofree char *what = NULL;

  switch (format)
    {
    case WAVE_FORMAT_PCM:
      if (self->bits == 8 || self->bits == 16 || self->bits == 24 || self->bits == 32)
        return TRUE;
      what = g_strdup_printf ("it holds %u-bit PCM, which is not supported", self->bits);
      break;
    case WAVE_FORMAT_IEEE_FLOAT:
      self->is_float = TRUE;
      if (self->bits == 32 || self->bits == 64)
        return TRUE;
      what = g_strdup_printf ("it holds %u-bit float, which is not supported", self->bits);
      break;
    case WAVE_FORMAT_ALAW:
    case WAVE_FORMAT_MULAW:
      what = g_strdup_printf ("it holds %s audio, which is not supported",
                              format == WAVE_FORMAT_ALAW ? "A-law" : "µ-law");
      break;
    default:
      what = g_strdup_printf ("its encoding 0x%04x is not supported (only PCM and float)", format);
    }
  set_unsupported (self, error, what);
  return FALSE;
}

static gboolean
parse_fmt (EsWavReader *self,
           guint32      size,
           GError     **error)
{
  guint8 fmt[FMT_EXTENSIBLE_SIZE];
  guint16 format;
  guint32 rate;

  if (size < FMT_SIZE)
    {
      set_damaged (self, error, "its fmt chunk is too short");
      return FALSE;
    }
  if (!read_exactly (self, fmt, MIN (size, sizeof fmt), error))
    return FALSE;

  format = read_le16 (fmt);
  self->channels = read_le16 (fmt + 2);
  rate = read_le32 (fmt + 4);
  self->block_align = read_le16 (fmt + 12);
  self->bits = read_le16 (fmt + 14);

  if (self->channels == 0 || self->bits == 0 || self->bits % 8 != 0 ||
      self->block_align != self->channels * (self->bits / 8))
    {
      set_damaged (self, error, "its fmt chunk contradicts itself");
      return FALSE;
    }
  if (format == WAVE_FORMAT_EXTENSIBLE && !parse_extensible (self, fmt, size, &format, error))
    return FALSE;
  if (!check_encoding (self, format, error))
    return FALSE;
  if (self->channels > ES_WAV_READER_MAX_CHANNELS)
    {
      g_autofree char *what = g_strdup_printf ("it has %u channels", self->channels);
      set_unsupported (self, error, what);
      return FALSE;
    }
  if (rate != ES_AUDIO_RATE)
    {
      g_autofree char *what = g_strdup_printf ("it is sampled at %u Hz", rate);
      set_unsupported (self, error, what);
      return FALSE;
    }
  return TRUE;
}

/* Reads the RIFF header and returns where the RIFF chunk ends. */
static gboolean
parse_riff_header (EsWavReader *self,
                   goffset     *riff_end,
                   GError     **error)
{
  guint8 header[12];
  goffset file_size;
  guint32 riff_size;

  if (!get_stream_size (self, &file_size, error))
    return FALSE;
  if (file_size < (goffset) sizeof header)
    {
      set_damaged (self, error, "it is too short to be a WAV file");
      return FALSE;
    }
  if (!read_exactly (self, header, sizeof header, error))
    return FALSE;
  if (memcmp (header, "RF64", 4) == 0 && memcmp (header + 8, "WAVE", 4) == 0)
    {
      set_unsupported (self, error, "it is an RF64 file");
      return FALSE;
    }
  if (memcmp (header, "RIFF", 4) != 0 || memcmp (header + 8, "WAVE", 4) != 0)
    {
      set_damaged (self, error, "it has no RIFF/WAVE header");
      return FALSE;
    }
  riff_size = read_le32 (header + 4);
  if (riff_size < 4)
    {
      set_damaged (self, error, "its RIFF chunk is empty");
      return FALSE;
    }
  if ((goffset) riff_size + 8 > file_size)
    {
      g_autofree char *detail =
        g_strdup_printf ("it declares %" G_GUINT64_FORMAT " bytes but has only %" G_GINT64_FORMAT
                         " (truncated?)", (guint64) riff_size + 8, (gint64) file_size);
      set_damaged (self, error, detail);
      return FALSE;
    }
  *riff_end = (goffset) riff_size + 8;
  return TRUE;
}

static gboolean
chunk_seen_twice (EsWavReader *self,
                  gboolean     seen,
                  const char  *id,
                  GError     **error)
{
  g_autofree char *detail = NULL;

  if (!seen)
    return FALSE;
  detail = g_strdup_printf ("it has two “%s” chunks", id);
  set_damaged (self, error, detail);
  return TRUE;
}

/* Walks the chunks inside the RIFF chunk; returns the data chunk's place. */
static gboolean
parse_chunks (EsWavReader *self,
              goffset      riff_end,
              goffset     *data_offset,
              guint32     *data_size,
              GError     **error)
{
  gboolean have_fmt = FALSE;
  gboolean have_data = FALSE;
  goffset position = 12;

  while (riff_end - position >= 8)
    {
      guint8 header[8];
      guint32 size;
      goffset body = position + 8;

      if (!seek_to (self, position, error) || !read_exactly (self, header, sizeof header, error))
        return FALSE;
      size = read_le32 (header + 4);
      if (size > riff_end - body)
        {
          char id[5];
          g_autofree char *detail = NULL;

          format_chunk_id (header, id);
          detail = g_strdup_printf ("its “%s” chunk declares %u bytes but only %" G_GINT64_FORMAT
                                    " remain", id, size, (gint64) (riff_end - body));
          set_damaged (self, error, detail);
          return FALSE;
        }

      if (memcmp (header, "fmt ", 4) == 0)
        {
          if (chunk_seen_twice (self, have_fmt, "fmt ", error) || !parse_fmt (self, size, error))
            return FALSE;
          have_fmt = TRUE;
        }
      else if (memcmp (header, "data", 4) == 0)
        {
          if (chunk_seen_twice (self, have_data, "data", error))
            return FALSE;
          have_data = TRUE;
          *data_offset = body;
          *data_size = size;
        }
      position = body + size + (size & 1);
    }

  if (position < riff_end)
    {
      set_damaged (self, error, "it has stray bytes after its last chunk");
      return FALSE;
    }
  if (!have_fmt || !have_data)
    {
      set_damaged (self, error, have_fmt ? "it has no data chunk" : "it has no fmt chunk");
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse (EsWavReader *self,
       GError     **error)
{
  goffset riff_end = 0;
  goffset data_offset = 0;
  guint32 data_size = 0;

  if (!parse_riff_header (self, &riff_end, error) ||
      !parse_chunks (self, riff_end, &data_offset, &data_size, error))
    return FALSE;

  if (data_size % self->block_align != 0)
    {
      set_damaged (self, error, "its data chunk ends in the middle of a frame");
      return FALSE;
    }
  self->n_frames = data_size / self->block_align;
  self->block = g_malloc ((gsize) READ_BLOCK_FRAMES * self->block_align);
  return seek_to (self, data_offset, error);
}

EsWavReader *
es_wav_reader_new_for_stream (GInputStream *stream,
                              const char   *name,
                              GError      **error)
{
  g_autoptr(EsWavReader) self = NULL;

  g_return_val_if_fail (G_IS_INPUT_STREAM (stream), NULL);
  g_return_val_if_fail (G_IS_SEEKABLE (stream), NULL);
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_new0 (EsWavReader, 1);
  self->stream = g_object_ref (stream);
  self->name = g_strdup (name);

  if (!parse (self, error))
    return NULL;
  return g_steal_pointer (&self);
}

EsWavReader *
es_wav_reader_new_for_path (const char  *path,
                            GError     **error)
{
  g_autoptr(GFile) file = NULL;
  g_autoptr(GFileInputStream) stream = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  file = g_file_new_for_path (path);
  stream = g_file_read (file, NULL, error);
  if (stream == NULL)
    return NULL;
  return es_wav_reader_new_for_stream (G_INPUT_STREAM (stream), path, error);
}

void
es_wav_reader_free (EsWavReader *self)
{
  if (self == NULL)
    return;
  g_clear_object (&self->stream);
  g_free (self->name);
  g_free (self->block);
  g_free (self);
}

guint
es_wav_reader_get_channels (EsWavReader *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->channels;
}

guint
es_wav_reader_get_bits (EsWavReader *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->bits;
}

gboolean
es_wav_reader_get_is_float (EsWavReader *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->is_float;
}

guint64
es_wav_reader_get_n_frames (EsWavReader *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->n_frames;
}

/* One sample as a fraction of full scale, [-1, 1) for integers. */
static double
decode_sample (EsWavReader  *self,
               const guint8 *p)
{
  union { guint32 bits; float value; } f32;
  union { guint64 bits; double value; } f64;

  if (self->is_float && self->bits == 32)
    {
      f32.bits = read_le32 (p);
      return f32.value;
    }
  if (self->is_float)
    {
      f64.bits = read_le64 (p);
      return f64.value;
    }
  switch (self->bits)
    {
    case 8:
      return (p[0] - 128) / 128.0;
    case 16:
      return (gint16) read_le16 (p) / 32768.0;
    case 24:
      /* Into the top of 32 bits, so the sign comes along. */
      return (gint32) ((guint32) p[0] << 8 | (guint32) p[1] << 16 | (guint32) p[2] << 24) /
             2147483648.0;
    default:
      return (gint32) read_le32 (p) / 2147483648.0;
    }
}

static gint16
to_int16 (double value)
{
  double scaled = value * 32768.0;

  /* NaN (a damaged float file) is not a number to convert. */
  if (isnan (scaled))
    return 0;
  if (scaled >= 32767.0)
    return 32767;
  if (scaled <= -32768.0)
    return -32768;
  return (gint16) floor (scaled + 0.5);
}

static void
convert_frames (EsWavReader *self,
                gint16      *samples,
                gsize        n_frames)
{
  guint bytes_per_sample = self->bits / 8;

  for (gsize i = 0; i < n_frames; i++)
    {
      const guint8 *frame = self->block + i * self->block_align;
      double sum = 0;

      for (guint c = 0; c < self->channels; c++)
        sum += decode_sample (self, frame + c * bytes_per_sample);
      samples[i] = to_int16 (sum / self->channels);
    }
}

gssize
es_wav_reader_read (EsWavReader  *self,
                    gint16       *samples,
                    gsize         max_frames,
                    GError      **error)
{
  gsize done = 0;

  g_return_val_if_fail (self != NULL, -1);
  g_return_val_if_fail (samples != NULL || max_frames == 0, -1);
  g_return_val_if_fail (error == NULL || *error == NULL, -1);

  while (done < max_frames && self->frames_read < self->n_frames)
    {
      gsize n = MIN (MIN (max_frames - done, READ_BLOCK_FRAMES),
                     self->n_frames - self->frames_read);

      if (!read_exactly (self, self->block, n * self->block_align, error))
        return -1;
      convert_frames (self, samples + done, n);
      done += n;
      self->frames_read += n;
    }
  return (gssize) done;
}
