/* WAV files: every supported format read back as the right 16-bit values,
 * everything else refused with the file's name, recordings that stay
 * playable while they grow, and the media clock of the WAV audio backend.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gstdio.h>
#include <math.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "es-audio-wav.h"
#include "es-error.h"
#include "es-wav-reader.h"
#include "es-wav-writer.h"

#define PERIOD_US (ES_AUDIO_FRAME_MS * 1000)
#define START_US 1000000

typedef struct
{
  char *dir;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  fixture->dir = g_dir_make_tmp ("earshot-wav-XXXXXX", NULL);
  g_assert_nonnull (fixture->dir);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GDir) dir = g_dir_open (fixture->dir, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (fixture->dir, name, NULL);
      g_unlink (path);
    }
  g_rmdir (fixture->dir);
  g_free (fixture->dir);
}

static char *
fixture_path (Fixture    *fixture,
              const char *name)
{
  return g_build_filename (fixture->dir, name, NULL);
}

/* Building WAV files byte by byte. */

static void
append_le16 (GByteArray *bytes,
             guint16     value)
{
  guint8 le[2] = { value & 0xff, value >> 8 };

  g_byte_array_append (bytes, le, sizeof le);
}

static void
append_le32 (GByteArray *bytes,
             guint32     value)
{
  append_le16 (bytes, value & 0xffff);
  append_le16 (bytes, value >> 16);
}

static void
append_chunk (GByteArray *bytes,
              const char *id,
              const void *body,
              guint32     size)
{
  g_byte_array_append (bytes, (const guint8 *) id, 4);
  append_le32 (bytes, size);
  g_byte_array_append (bytes, body, size);
  if (size & 1)
    g_byte_array_append (bytes, (const guint8 *) "", 1);
}

static GByteArray *
begin_riff (void)
{
  GByteArray *bytes = g_byte_array_new ();

  g_byte_array_append (bytes, (const guint8 *) "RIFF\0\0\0\0WAVE", 12);
  return bytes;
}

static void
end_riff (GByteArray *bytes)
{
  guint32 size = bytes->len - 8;

  bytes->data[4] = size & 0xff;
  bytes->data[5] = (size >> 8) & 0xff;
  bytes->data[6] = (size >> 16) & 0xff;
  bytes->data[7] = size >> 24;
}

#define WAVE_FORMAT_PCM 1
#define WAVE_FORMAT_FLOAT 3
#define WAVE_FORMAT_ALAW 6
#define WAVE_FORMAT_EXTENSIBLE 0xfffe

/* A fmt chunk's body; with @extensible, WAVE_FORMAT_EXTENSIBLE naming @format. */
static GByteArray *
make_fmt (guint16  format,
          guint16  channels,
          guint32  rate,
          guint16  bits,
          gboolean extensible)
{
  static const guint8 guid_tail[14] = {
    0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71,
  };
  GByteArray *fmt = g_byte_array_new ();

  append_le16 (fmt, extensible ? WAVE_FORMAT_EXTENSIBLE : format);
  append_le16 (fmt, channels);
  append_le32 (fmt, rate);
  append_le32 (fmt, rate * channels * bits / 8);
  append_le16 (fmt, channels * bits / 8);
  append_le16 (fmt, bits);
  if (extensible)
    {
      append_le16 (fmt, 22);
      append_le16 (fmt, bits);
      append_le32 (fmt, channels == 2 ? 0x3 : 0x4);
      append_le16 (fmt, format);
      g_byte_array_append (fmt, guid_tail, sizeof guid_tail);
    }
  return fmt;
}

static GBytes *
make_wav (guint16       format,
          guint16       channels,
          guint32       rate,
          guint16       bits,
          gboolean      extensible,
          const void   *data,
          gsize         size)
{
  g_autoptr(GByteArray) fmt = make_fmt (format, channels, rate, bits, extensible);
  GByteArray *bytes = begin_riff ();

  append_chunk (bytes, "fmt ", fmt->data, fmt->len);
  append_chunk (bytes, "data", data, size);
  end_riff (bytes);
  return g_byte_array_free_to_bytes (bytes);
}

static EsWavReader *
open_bytes (GBytes     *bytes,
            GError    **error)
{
  g_autoptr(GInputStream) stream = g_memory_input_stream_new_from_bytes (bytes);

  return es_wav_reader_new_for_stream (stream, "memory.wav", error);
}

static void
write_bytes (const char *path,
             GBytes     *bytes)
{
  gsize size;
  const char *data = g_bytes_get_data (bytes, &size);

  g_assert_true (g_file_set_contents (path, data, size, NULL));
}

static void
assert_samples (GBytes       *wav,
                const gint16 *expected,
                gsize         n_expected)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EsWavReader) reader = open_bytes (wav, &error);
  gint16 samples[64];

  g_assert_no_error (error);
  g_assert_cmpuint (es_wav_reader_get_n_frames (reader), ==, n_expected);
  g_assert_cmpint (es_wav_reader_read (reader, samples, G_N_ELEMENTS (samples), &error), ==,
                   n_expected);
  g_assert_no_error (error);
  for (gsize i = 0; i < n_expected; i++)
    g_assert_cmpint (samples[i], ==, expected[i]);
  g_assert_cmpint (es_wav_reader_read (reader, samples, G_N_ELEMENTS (samples), &error), ==, 0);
}

static void
test_round_trip (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autofree char *path = fixture_path (fixture, "round-trip.wav");
  g_autoptr(EsWavWriter) writer = NULL;
  g_autoptr(EsWavReader) reader = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree gint16 *written = g_new (gint16, 100000);
  g_autofree gint16 *read = g_new (gint16, 100000);
  gsize done = 0;

  for (guint i = 0; i < 100000; i++)
    written[i] = (gint16) ((i * 7919) % 65536 - 32768);

  writer = es_wav_writer_new (path, &error);
  g_assert_no_error (error);
  /* In uneven pieces, across the one-second header updates. */
  for (gsize n = 1; done < 100000; n = n * 3 + 1)
    {
      gsize piece = MIN (n, 100000 - done);

      g_assert_true (es_wav_writer_write (writer, written + done, piece, &error));
      g_assert_no_error (error);
      done += piece;
    }
  g_assert_cmpuint (es_wav_writer_get_n_samples (writer), ==, 100000);
  g_assert_true (es_wav_writer_close (writer, &error));
  g_assert_no_error (error);

  reader = es_wav_reader_new_for_path (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (es_wav_reader_get_channels (reader), ==, 1);
  g_assert_cmpuint (es_wav_reader_get_bits (reader), ==, 16);
  g_assert_false (es_wav_reader_get_is_float (reader));
  g_assert_cmpuint (es_wav_reader_get_n_frames (reader), ==, 100000);
  g_assert_cmpint (es_wav_reader_read (reader, read, 100000, &error), ==, 100000);
  g_assert_cmpmem (read, 100000 * sizeof (gint16), written, 100000 * sizeof (gint16));
}

static void
test_pcm_8_bit (void)
{
  const guint8 data[] = { 0, 128, 255, 64 };
  const gint16 expected[] = { -32768, 0, 32512, -16384 };
  g_autoptr(GBytes) wav = make_wav (WAVE_FORMAT_PCM, 1, 48000, 8, FALSE, data, sizeof data);

  assert_samples (wav, expected, G_N_ELEMENTS (expected));
}

static void
test_pcm_16_bit_stereo (void)
{
  /* L, R pairs: the mix is their mean, rounded half up. */
  const gint16 data[] = { 1000, 3000, -32768, -32768, 32767, -32768, 5, 6, -5, -6 };
  const gint16 expected[] = { 2000, -32768, 0, 6, -5 };
  g_autoptr(GBytes) wav = make_wav (WAVE_FORMAT_PCM, 2, 48000, 16, FALSE, data, sizeof data);

  assert_samples (wav, expected, G_N_ELEMENTS (expected));
}

static void
test_pcm_24_bit (void)
{
  const guint8 data[] = {
    0xff, 0xff, 0x7f,   /* full scale */
    0x00, 0x00, 0x80,   /* negative full scale */
    0x80, 0x01, 0x00,   /* 384 = 1.5 in 16 bits */
    0x80, 0xff, 0xff,   /* -128 = -0.5 */
    0x00, 0x34, 0x12,   /* 0x123400 = 0x1234 exactly */
  };
  const gint16 expected[] = { 32767, -32768, 2, 0, 0x1234 };
  g_autoptr(GBytes) wav = make_wav (WAVE_FORMAT_PCM, 1, 48000, 24, FALSE, data, sizeof data);

  assert_samples (wav, expected, G_N_ELEMENTS (expected));
}

static void
test_pcm_32_bit (void)
{
  const gint32 data[] = { G_MAXINT32, G_MININT32, 100 * 65536, -100 * 65536, 32768 };
  const gint16 expected[] = { 32767, -32768, 100, -100, 1 };
  g_autoptr(GBytes) wav = make_wav (WAVE_FORMAT_PCM, 1, 48000, 32, FALSE, data, sizeof data);

  assert_samples (wav, expected, G_N_ELEMENTS (expected));
}

static void
test_float_32_bit (void)
{
  const float data[] = { 0.5f, -1.0f, 1.0f, 2.0f, NAN, -0.25f, INFINITY };
  const gint16 expected[] = { 16384, -32768, 32767, 32767, 0, -8192, 32767 };
  g_autoptr(GBytes) wav = make_wav (WAVE_FORMAT_FLOAT, 1, 48000, 32, FALSE, data, sizeof data);

  assert_samples (wav, expected, G_N_ELEMENTS (expected));
}

static void
test_float_64_bit (void)
{
  const double data[] = { 0.25, -0.5, 1e-9 };
  const gint16 expected[] = { 8192, -16384, 0 };
  g_autoptr(GBytes) wav = make_wav (WAVE_FORMAT_FLOAT, 1, 48000, 64, FALSE, data, sizeof data);

  assert_samples (wav, expected, G_N_ELEMENTS (expected));
}

static void
test_extensible (void)
{
  const guint8 pcm24[] = { 0x00, 0x34, 0x12, 0x00, 0x36, 0x12, 0x00, 0x00, 0x80, 0x00, 0x00, 0x80 };
  const gint16 expected_pcm[] = { 0x1235, -32768 };
  const float flt[] = { 0.5f, 0.25f, 0.5f, 0.5f, -1.0f, 0.0f };
  const gint16 expected_flt[] = { 12288, 16384, -16384 };
  g_autoptr(GBytes) wav_pcm = make_wav (WAVE_FORMAT_PCM, 2, 48000, 24, TRUE, pcm24,
                                        sizeof pcm24);
  g_autoptr(GBytes) wav_flt = make_wav (WAVE_FORMAT_FLOAT, 2, 48000, 32, TRUE, flt, sizeof flt);

  assert_samples (wav_pcm, expected_pcm, G_N_ELEMENTS (expected_pcm));
  assert_samples (wav_flt, expected_flt, G_N_ELEMENTS (expected_flt));
}

static void
test_chunks_in_any_order (void)
{
  const gint16 data[] = { 1, -2, 3 };
  const gint16 expected[] = { 1, -2, 3 };
  g_autoptr(GByteArray) fmt = make_fmt (WAVE_FORMAT_PCM, 1, 48000, 16, FALSE);
  g_autoptr(GByteArray) bytes = begin_riff ();
  g_autoptr(GBytes) wav = NULL;

  /* Unknown chunks, an odd size with its pad byte, data before fmt. */
  append_chunk (bytes, "LIST", "INFOISFT\3\0\0\0ab", 15);
  append_chunk (bytes, "data", data, sizeof data);
  append_chunk (bytes, "JUNK", "", 0);
  append_chunk (bytes, "fmt ", fmt->data, fmt->len);
  append_chunk (bytes, "cue ", "x", 1);
  end_riff (bytes);
  wav = g_bytes_new (bytes->data, bytes->len);

  assert_samples (wav, expected, G_N_ELEMENTS (expected));
}

static void
test_last_pad_byte_missing (void)
{
  const guint8 data[] = { 128, 129, 130 };
  const gint16 expected[] = { 0, 256, 512 };
  g_autoptr(GBytes) padded = make_wav (WAVE_FORMAT_PCM, 1, 48000, 8, FALSE, data, sizeof data);
  g_autoptr(GByteArray) bytes = g_byte_array_new ();
  g_autoptr(GBytes) wav = NULL;

  /* Some writers leave out the pad byte of the last chunk. */
  g_byte_array_append (bytes, g_bytes_get_data (padded, NULL), g_bytes_get_size (padded) - 1);
  end_riff (bytes);
  wav = g_bytes_new (bytes->data, bytes->len);
  assert_samples (wav, expected, G_N_ELEMENTS (expected));
}

static void
assert_refused (Fixture    *fixture,
                GBytes     *wav,
                GQuark      domain,
                int         code,
                const char *what)
{
  g_autofree char *path = fixture_path (fixture, "refused.wav");
  g_autoptr(EsWavReader) reader = NULL;
  g_autoptr(GError) error = NULL;

  write_bytes (path, wav);
  reader = es_wav_reader_new_for_path (path, &error);
  g_assert_null (reader);
  g_assert_error (error, domain, code);
  g_test_message ("%s", error->message);
  g_assert_true (g_str_has_prefix (error->message, path));
  g_assert_nonnull (strstr (error->message, what));
}

static void
test_other_rate_refused_with_sox_hint (Fixture       *fixture,
                                       gconstpointer  data)
{
  const gint16 samples[] = { 0, 0 };
  g_autoptr(GBytes) wav = make_wav (WAVE_FORMAT_PCM, 2, 44100, 16, FALSE, samples,
                                    sizeof samples);

  assert_refused (fixture, wav, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "44100 Hz");
  assert_refused (fixture, wav, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                  "refused.wav' -r 48000 -c 1 -b 16 out.wav");
}

static void
test_other_encodings_refused (Fixture       *fixture,
                              gconstpointer  data)
{
  const guint8 samples[4] = { 0 };
  g_autoptr(GBytes) alaw = make_wav (WAVE_FORMAT_ALAW, 1, 48000, 8, FALSE, samples, 4);
  g_autoptr(GBytes) pcm12 = make_wav (WAVE_FORMAT_PCM, 1, 48000, 12, FALSE, samples, 4);
  g_autoptr(GBytes) float16 = make_wav (WAVE_FORMAT_FLOAT, 1, 48000, 16, FALSE, samples, 4);
  g_autoptr(GBytes) pcm = make_wav (WAVE_FORMAT_PCM, 1, 48000, 16, FALSE, samples, 4);
  g_autoptr(GBytes) adpcm = make_wav (2, 1, 48000, 16, FALSE, samples, 4);
  g_autoptr(GByteArray) bytes = g_byte_array_new ();
  g_autoptr(GBytes) rf64 = NULL;

  g_byte_array_append (bytes, g_bytes_get_data (pcm, NULL), g_bytes_get_size (pcm));
  memcpy (bytes->data, "RF64", 4);
  rf64 = g_bytes_new (bytes->data, bytes->len);
  assert_refused (fixture, alaw, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "A-law");
  /* 12 bits in 2 bytes contradicts itself before it is unsupported. */
  assert_refused (fixture, pcm12, ES_ERROR, ES_ERROR_DAMAGED, "contradicts");
  assert_refused (fixture, float16, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "16-bit float");
  assert_refused (fixture, rf64, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "RF64");
  assert_refused (fixture, adpcm, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "sox");
}

typedef struct
{
  const char *name;
  const char *what;
  void (*damage) (GByteArray *bytes);
} Damage;

static void
truncate_mid_data (GByteArray *bytes)
{
  g_byte_array_set_size (bytes, bytes->len - 3);
}

static void
truncate_to_header (GByteArray *bytes)
{
  g_byte_array_set_size (bytes, 6);
}

static void
declare_huge_data (GByteArray *bytes)
{
  /* The data chunk's size field, after RIFF(12) and fmt (8 + 16). */
  memcpy (bytes->data + 40, "\xf0\xff\xff\xff", 4);
}

static void
declare_huge_riff (GByteArray *bytes)
{
  memcpy (bytes->data + 4, "\xf0\xff\xff\xff", 4);
}

static void
break_magic (GByteArray *bytes)
{
  memcpy (bytes->data + 8, "AVI ", 4);
}

static void
rename_fmt (GByteArray *bytes)
{
  memcpy (bytes->data + 12, "fmtx", 4);
}

static void
rename_data (GByteArray *bytes)
{
  memcpy (bytes->data + 36, "date", 4);
}

static void
shorten_fmt (GByteArray *bytes)
{
  /* A 12-byte fmt: the data chunk header moves up. */
  memcpy (bytes->data + 16, "\x0c\0\0\0", 4);
  g_byte_array_remove_range (bytes, 32, 4);
  end_riff (bytes);
}

static void
break_block_align (GByteArray *bytes)
{
  bytes->data[32] = 3;
}

static void
duplicate_data (GByteArray *bytes)
{
  g_byte_array_append (bytes, (const guint8 *) "data\2\0\0\0\1\0", 10);
  end_riff (bytes);
}

static void
split_frame (GByteArray *bytes)
{
  /* 7 bytes of 16-bit samples: three and a half. */
  bytes->data[40] = 7;
  g_byte_array_set_size (bytes, 44 + 8);
  end_riff (bytes);
}

static void
add_stray_bytes (GByteArray *bytes)
{
  g_byte_array_append (bytes, (const guint8 *) "abc", 3);
  end_riff (bytes);
}

static void
zero_channels (GByteArray *bytes)
{
  bytes->data[22] = 0;
}

static const Damage damages[] = {
  { "truncated in its audio", "declares", truncate_mid_data },
  { "truncated in its header", "too short", truncate_to_header },
  { "data size beyond the file", "declares 4294967280 bytes", declare_huge_data },
  { "RIFF size beyond the file", "truncated", declare_huge_riff },
  { "not WAVE", "no RIFF/WAVE header", break_magic },
  { "no fmt chunk", "no fmt chunk", rename_fmt },
  { "no data chunk", "no data chunk", rename_data },
  { "fmt too short", "fmt chunk is too short", shorten_fmt },
  { "block align wrong", "contradicts", break_block_align },
  { "two data chunks", "two “data” chunks", duplicate_data },
  { "partial frame", "middle of a frame", split_frame },
  { "stray bytes", "stray bytes", add_stray_bytes },
  { "no channels", "contradicts", zero_channels },
};

static void
test_damaged_files_refused (Fixture       *fixture,
                            gconstpointer  data)
{
  const gint16 samples[4] = { 1, 2, 3, 4 };

  for (guint i = 0; i < G_N_ELEMENTS (damages); i++)
    {
      g_autoptr(GBytes) good = make_wav (WAVE_FORMAT_PCM, 1, 48000, 16, FALSE, samples,
                                         sizeof samples);
      g_autoptr(GByteArray) bytes = g_byte_array_new ();
      g_autoptr(GBytes) damaged = NULL;

      g_test_message ("damage: %s", damages[i].name);
      g_byte_array_append (bytes, g_bytes_get_data (good, NULL), g_bytes_get_size (good));
      damages[i].damage (bytes);
      damaged = g_bytes_new (bytes->data, bytes->len);
      assert_refused (fixture, damaged, ES_ERROR, ES_ERROR_DAMAGED, damages[i].what);
    }
}

static void
test_missing_file_named (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autofree char *path = fixture_path (fixture, "absent.wav");
  g_autoptr(GError) error = NULL;
  g_autoptr(EsAudioWav) wav = es_audio_wav_new (path, NULL, &error);

  g_assert_null (wav);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, path));
}

static void
test_empty_data_is_silence (void)
{
  g_autoptr(GBytes) wav = make_wav (WAVE_FORMAT_PCM, 1, 48000, 16, FALSE, "", 0);

  assert_samples (wav, NULL, 0);
}

/* The WAV audio backend. */

typedef struct
{
  GArray *captured;        /* gint16 */
  GArray *capture_times;   /* gint64 */
  GArray *playback_times;  /* gint64 */
  guint n_played;
  /* Plays period n as the value n + 1 in every sample, or silence when
   * the bit n of this mask is clear. */
  guint64 silent_periods;
  GMainLoop *loop;
  guint quit_after;
  GError *error;
} Call;

static void
call_init (Call *call)
{
  memset (call, 0, sizeof *call);
  call->captured = g_array_new (FALSE, FALSE, sizeof (gint16));
  call->capture_times = g_array_new (FALSE, FALSE, sizeof (gint64));
  call->playback_times = g_array_new (FALSE, FALSE, sizeof (gint64));
}

static void
call_clear (Call *call)
{
  g_array_unref (call->captured);
  g_array_unref (call->capture_times);
  g_array_unref (call->playback_times);
  g_clear_error (&call->error);
}

static void
on_capture (const gint16 *frame,
            gint64        time_us,
            gpointer      user_data)
{
  Call *call = user_data;

  g_array_append_vals (call->captured, frame, ES_AUDIO_FRAME_SAMPLES);
  g_array_append_val (call->capture_times, time_us);
  if (call->loop != NULL && call->capture_times->len == call->quit_after)
    g_main_loop_quit (call->loop);
}

static void
on_playback (gint16   *frame,
             gint64    time_us,
             gpointer  user_data)
{
  Call *call = user_data;
  guint n = call->n_played++;

  g_array_append_val (call->playback_times, time_us);
  if (n < 64 && (call->silent_periods >> n) & 1)
    return;
  for (guint i = 0; i < ES_AUDIO_FRAME_SAMPLES; i++)
    frame[i] = (gint16) (n + 1);
}

static void
on_error (EsAudioBackend *backend,
          GError         *error,
          gpointer        user_data)
{
  Call *call = user_data;

  g_assert_null (call->error);
  call->error = g_error_copy (error);
}

static void
write_ramp (const char *path,
            guint       n_samples)
{
  g_autoptr(EsWavWriter) writer = es_wav_writer_new (path, NULL);
  g_autofree gint16 *ramp = g_new (gint16, n_samples);

  for (guint i = 0; i < n_samples; i++)
    ramp[i] = (gint16) (i % 30000 + 1);
  g_assert_true (es_wav_writer_write (writer, ramp, n_samples, NULL));
  g_assert_true (es_wav_writer_close (writer, NULL));
}

static void
test_clock_counts_from_start (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autoptr(EsAudioWav) wav = es_audio_wav_new (NULL, NULL, NULL);
  Call call;

  call_init (&call);
  g_assert_true (es_audio_wav_start_manual (wav, on_capture, on_playback, &call, START_US, NULL));

  g_assert_cmpuint (es_audio_wav_advance (wav, START_US + PERIOD_US - 1), ==, 0);
  g_assert_cmpuint (es_audio_wav_advance (wav, START_US + PERIOD_US), ==, 1);
  /* Woken 5 ms late: the next deadline is still 40 ms after the start, not
   * 20 ms after this wake-up. */
  g_assert_cmpuint (es_audio_wav_advance (wav, START_US + 2 * PERIOD_US - 1), ==, 0);
  g_assert_cmpuint (es_audio_wav_advance (wav, START_US + 2 * PERIOD_US + 5000), ==, 1);
  g_assert_cmpuint (es_audio_wav_advance (wav, START_US + 3 * PERIOD_US), ==, 1);
  /* A stall: every missed period runs, so time still lines up. */
  g_assert_cmpuint (es_audio_wav_advance (wav, START_US + 50 * PERIOD_US + 19999), ==, 47);
  g_assert_cmpuint (es_audio_wav_get_n_periods (wav), ==, 50);

  g_assert_cmpuint (call.capture_times->len, ==, 50);
  g_assert_cmpuint (call.playback_times->len, ==, 50);
  for (guint n = 0; n < 50; n++)
    {
      g_assert_cmpint (g_array_index (call.capture_times, gint64, n), ==,
                       START_US + (n + 1) * PERIOD_US);
      g_assert_cmpint (g_array_index (call.playback_times, gint64, n), ==,
                       START_US + (n + 1) * PERIOD_US);
    }

  es_audio_backend_stop (ES_AUDIO_BACKEND (wav));
  g_assert_cmpuint (es_audio_wav_advance (wav, START_US + 100 * PERIOD_US), ==, 0);
  call_clear (&call);
}

static void
on_notify (GObject    *object,
           GParamSpec *pspec,
           gpointer    user_data)
{
  (*(guint *) user_data)++;
}

static void
test_input_then_silence (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autofree char *path = fixture_path (fixture, "input.wav");
  g_autoptr(EsAudioWav) wav = NULL;
  g_autoptr(GError) error = NULL;
  guint notified = 0;
  Call call;

  /* Two and a half frames. */
  write_ramp (path, 2400);
  wav = es_audio_wav_new (path, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (es_audio_wav_get_input_path (wav), ==, path);
  g_assert_null (es_audio_wav_get_output_path (wav));
  g_signal_connect (wav, "notify::input-ended", G_CALLBACK (on_notify), &notified);
  call_init (&call);
  g_assert_true (es_audio_backend_start (ES_AUDIO_BACKEND (wav), on_capture, NULL, &call, &error));
  g_assert_no_error (error);
  /* Started on the real clock: drive it by hand from its start. */
  es_audio_backend_stop (ES_AUDIO_BACKEND (wav));
  g_assert_false (es_audio_backend_start (ES_AUDIO_BACKEND (wav), on_capture, NULL, &call,
                                          &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_BUSY);
  g_clear_error (&error);
  g_clear_object (&wav);

  wav = es_audio_wav_new (path, NULL, &error);
  g_signal_connect (wav, "notify::input-ended", G_CALLBACK (on_notify), &notified);
  g_assert_true (es_audio_wav_start_manual (wav, on_capture, NULL, &call, START_US, NULL));
  es_audio_wav_advance (wav, START_US + 2 * PERIOD_US);
  g_assert_false (es_audio_wav_get_input_ended (wav));
  es_audio_wav_advance (wav, START_US + 3 * PERIOD_US);
  g_assert_true (es_audio_wav_get_input_ended (wav));
  g_assert_cmpuint (notified, ==, 1);
  es_audio_wav_advance (wav, START_US + 5 * PERIOD_US);
  g_assert_cmpuint (notified, ==, 1);

  g_assert_cmpuint (call.captured->len, ==, 5 * ES_AUDIO_FRAME_SAMPLES);
  for (guint i = 0; i < call.captured->len; i++)
    g_assert_cmpint (g_array_index (call.captured, gint16, i), ==, i < 2400 ? (gint) i + 1 : 0);
  call_clear (&call);
}

static void
test_recording_keeps_time (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autofree char *path = fixture_path (fixture, "recording.wav");
  g_autoptr(EsAudioWav) wav = es_audio_wav_new (NULL, path, NULL);
  g_autoptr(EsWavReader) reader = NULL;
  g_autofree gint16 *samples = g_new (gint16, 100 * ES_AUDIO_FRAME_SAMPLES);
  Call call;

  call_init (&call);
  /* Nothing arrives in periods 3 to 9 and 20: the recording holds silence
   * there and every later block stays in its place. */
  call.silent_periods = 0x3f8 | 1 << 20;
  g_assert_true (es_audio_wav_start_manual (wav, NULL, on_playback, &call, START_US, NULL));
  es_audio_wav_advance (wav, START_US + 100 * PERIOD_US);
  es_audio_backend_stop (ES_AUDIO_BACKEND (wav));

  reader = es_wav_reader_new_for_path (path, NULL);
  g_assert_nonnull (reader);
  g_assert_cmpuint (es_wav_reader_get_n_frames (reader), ==, 100 * ES_AUDIO_FRAME_SAMPLES);
  g_assert_cmpint (es_wav_reader_read (reader, samples, 100 * ES_AUDIO_FRAME_SAMPLES, NULL), ==,
                   100 * ES_AUDIO_FRAME_SAMPLES);
  for (guint n = 0; n < 100; n++)
    {
      gint16 expected = n < 64 && (call.silent_periods >> n) & 1 ? 0 : (gint16) (n + 1);

      g_assert_cmpint (samples[n * ES_AUDIO_FRAME_SAMPLES], ==, expected);
      g_assert_cmpint (samples[(n + 1) * ES_AUDIO_FRAME_SAMPLES - 1], ==, expected);
    }
  call_clear (&call);
}

static guint64
frames_in (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EsWavReader) reader = es_wav_reader_new_for_path (path, &error);

  g_assert_no_error (error);
  return es_wav_reader_get_n_frames (reader);
}

static void
test_header_valid_while_recording (Fixture       *fixture,
                                   gconstpointer  data)
{
  g_autofree char *path = fixture_path (fixture, "growing.wav");
  g_autoptr(EsAudioWav) wav = es_audio_wav_new (NULL, path, NULL);
  Call call;

  call_init (&call);
  g_assert_true (es_audio_wav_start_manual (wav, NULL, on_playback, &call, START_US, NULL));
  g_assert_cmpuint (frames_in (path), ==, 0);
  es_audio_wav_advance (wav, START_US + 49 * PERIOD_US);
  g_assert_cmpuint (frames_in (path), ==, 0);
  /* Each second the header catches up: a killed process leaves a file that
   * plays all but the last second. */
  es_audio_wav_advance (wav, START_US + 50 * PERIOD_US);
  g_assert_cmpuint (frames_in (path), ==, ES_AUDIO_RATE);
  es_audio_wav_advance (wav, START_US + 120 * PERIOD_US);
  g_assert_cmpuint (frames_in (path), ==, 2 * ES_AUDIO_RATE);
  es_audio_backend_stop (ES_AUDIO_BACKEND (wav));
  g_assert_cmpuint (frames_in (path), ==, 120 * ES_AUDIO_FRAME_SAMPLES);
  call_clear (&call);
}

static void
test_full_disk_reported (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autofree char *path = fixture_path (fixture, "full.wav");
  g_autoptr(EsAudioWav) wav = es_audio_wav_new (NULL, path, NULL);
  struct rlimit saved, small;
  Call call;

  call_init (&call);
  g_signal_connect (wav, "error", G_CALLBACK (on_error), &call);
  g_assert_true (es_audio_wav_start_manual (wav, NULL, on_playback, &call, START_US, NULL));

  g_assert_cmpint (getrlimit (RLIMIT_FSIZE, &saved), ==, 0);
  small = saved;
  small.rlim_cur = 150000;
  signal (SIGXFSZ, SIG_IGN);
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &small), ==, 0);
  es_audio_wav_advance (wav, START_US + 100 * PERIOD_US);
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &saved), ==, 0);

  g_assert_nonnull (call.error);
  g_assert_true (g_str_has_prefix (call.error->message, path));
  /* The playback carried on, and the file is closed with the size of every
   * whole block written: 78 periods fit under the limit. */
  g_assert_cmpuint (call.n_played, ==, 100);
  g_assert_cmpuint (frames_in (path), ==, 78 * ES_AUDIO_FRAME_SAMPLES);
  es_audio_backend_stop (ES_AUDIO_BACKEND (wav));
  call_clear (&call);
}

static void
test_input_shrinking_reported (Fixture       *fixture,
                               gconstpointer  data)
{
  g_autofree char *path = fixture_path (fixture, "shrinking.wav");
  g_autoptr(EsAudioWav) wav = NULL;
  Call call;

  write_ramp (path, 4800);
  wav = es_audio_wav_new (path, NULL, NULL);
  g_assert_nonnull (wav);
  /* Another program cuts the file after it was opened: 1000 samples left. */
  g_assert_cmpint (truncate (path, 44 + 2000), ==, 0);
  call_init (&call);
  g_signal_connect (wav, "error", G_CALLBACK (on_error), &call);
  g_assert_true (es_audio_wav_start_manual (wav, on_capture, NULL, &call, START_US, NULL));
  es_audio_wav_advance (wav, START_US + PERIOD_US);
  g_assert_null (call.error);
  g_assert_false (es_audio_wav_get_input_ended (wav));
  es_audio_wav_advance (wav, START_US + 3 * PERIOD_US);

  g_assert_error (call.error, ES_ERROR, ES_ERROR_DAMAGED);
  g_assert_true (g_str_has_prefix (call.error->message, path));
  g_assert_true (es_audio_wav_get_input_ended (wav));
  /* The first frame, then silence. */
  g_assert_cmpuint (call.captured->len, ==, 3 * ES_AUDIO_FRAME_SAMPLES);
  g_assert_cmpint (g_array_index (call.captured, gint16, 959), ==, 960);
  g_assert_cmpint (g_array_index (call.captured, gint16, 960), ==, 0);
  call_clear (&call);
}

static void
test_main_context_clock (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(EsAudioWav) wav = es_audio_wav_new (NULL, NULL, NULL);
  gint64 started;
  Call call;

  call_init (&call);
  call.loop = g_main_loop_new (context, FALSE);
  call.quit_after = 5;

  g_main_context_push_thread_default (context);
  started = g_get_monotonic_time ();
  g_assert_true (es_audio_backend_start (ES_AUDIO_BACKEND (wav), on_capture, on_playback, &call,
                                         NULL));
  g_main_loop_run (call.loop);
  es_audio_backend_stop (ES_AUDIO_BACKEND (wav));
  es_audio_backend_stop (ES_AUDIO_BACKEND (wav));
  g_main_context_pop_thread_default (context);

  /* Period n ran no earlier than its deadline, (n + 1) × 20 ms from start. */
  g_assert_cmpuint (call.capture_times->len, ==, 5);
  g_assert_cmpint (g_get_monotonic_time () - started, >=, 5 * PERIOD_US);
  for (guint n = 1; n < 5; n++)
    g_assert_cmpint (g_array_index (call.capture_times, gint64, n) -
                     g_array_index (call.capture_times, gint64, n - 1), ==, PERIOD_US);
  g_main_loop_unref (call.loop);
  call_clear (&call);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/wav/round-trip", test_round_trip);
  g_test_add_func ("/wav/convert/pcm-8-bit", test_pcm_8_bit);
  g_test_add_func ("/wav/convert/pcm-16-bit-stereo", test_pcm_16_bit_stereo);
  g_test_add_func ("/wav/convert/pcm-24-bit", test_pcm_24_bit);
  g_test_add_func ("/wav/convert/pcm-32-bit", test_pcm_32_bit);
  g_test_add_func ("/wav/convert/float-32-bit", test_float_32_bit);
  g_test_add_func ("/wav/convert/float-64-bit", test_float_64_bit);
  g_test_add_func ("/wav/convert/extensible", test_extensible);
  g_test_add_func ("/wav/chunks-in-any-order", test_chunks_in_any_order);
  g_test_add_func ("/wav/last-pad-byte-missing", test_last_pad_byte_missing);
  g_test_add_func ("/wav/empty-data-is-silence", test_empty_data_is_silence);
  ADD ("/wav/other-rate-refused-with-sox-hint", test_other_rate_refused_with_sox_hint);
  ADD ("/wav/other-encodings-refused", test_other_encodings_refused);
  ADD ("/wav/damaged-files-refused", test_damaged_files_refused);
  ADD ("/wav/missing-file-named", test_missing_file_named);
  ADD ("/audio-wav/clock-counts-from-start", test_clock_counts_from_start);
  ADD ("/audio-wav/input-then-silence", test_input_then_silence);
  ADD ("/audio-wav/recording-keeps-time", test_recording_keeps_time);
  ADD ("/audio-wav/header-valid-while-recording", test_header_valid_while_recording);
  ADD ("/audio-wav/full-disk-reported", test_full_disk_reported);
  ADD ("/audio-wav/input-shrinking-reported", test_input_shrinking_reported);
  ADD ("/audio-wav/main-context-clock", test_main_context_clock);
#undef ADD
  return g_test_run ();
}
