/* codec-bench: what the audio thread spends encoding and the receiver
 * spends decoding, per 20 ms of speech, for each quality tier and for the
 * fixed 24 kbit/s baseline of issue 4, next to libopus called directly with
 * its own defaults (the floor any wrapper of it could reach).
 *
 * usage: codec-bench SPEECH.wav
 *
 * CPU time of this thread (CLOCK_THREAD_CPUTIME_ID), best of ROUNDS passes
 * over the whole file: the least disturbed pass on a shared machine.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <opus.h>
#include <stdio.h>
#include <time.h>

#include "es-adaptive-quality.h"
#include "es-audio-backend.h"
#include "es-opus-decoder.h"
#include "es-opus-packet.h"
#include "es-opus-packetizer.h"
#include "es-packet-ring.h"
#include "es-wav-reader.h"

#define ROUNDS 5
#define BASELINE_BITRATE 24000

typedef struct
{
  gint16 *samples;
  guint n_frames;        /* 20 ms frames */
} Speech;

typedef struct
{
  double encode_us;      /* per 20 ms of audio */
  double decode_us;
  double kbit_s;
} Figures;

static double
thread_cpu_us (void)
{
  struct timespec now;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &now);
  return now.tv_sec * 1e6 + now.tv_nsec / 1e3;
}

static gboolean
read_speech (const char *path,
             Speech     *speech,
             GError    **error)
{
  g_autoptr(EsWavReader) reader = es_wav_reader_new_for_path (path, error);
  guint64 n;
  gssize got;

  if (reader == NULL)
    return FALSE;
  n = es_wav_reader_get_n_frames (reader);
  speech->n_frames = n / ES_AUDIO_FRAME_SAMPLES;
  speech->samples = g_new (gint16, (gsize) speech->n_frames * ES_AUDIO_FRAME_SAMPLES);
  got = es_wav_reader_read (reader, speech->samples,
                            (gsize) speech->n_frames * ES_AUDIO_FRAME_SAMPLES, error);
  return got >= 0;
}

/* The packets of one pass, kept for the decoding pass. */
static GArray *
encode_pass (EsOpusPacketizer *packetizer,
             const Speech     *speech,
             double           *cpu_us)
{
  GArray *packets = g_array_new (FALSE, FALSE, sizeof (EsPacket));
  double start = thread_cpu_us ();

  for (guint i = 0; i < speech->n_frames; i++)
    {
      EsPacket packet;

      if (es_opus_packetizer_push (packetizer, speech->samples + (gsize) i * ES_AUDIO_FRAME_SAMPLES,
                                   i * ES_AUDIO_FRAME_SAMPLES, &packet))
        g_array_append_val (packets, packet);
    }
  *cpu_us = thread_cpu_us () - start;
  return packets;
}

/* Decodes what a receiver decodes: the current part of each packet. */
static double
decode_pass (GArray *packets)
{
  g_autoptr(EsOpusDecoder) decoder = es_opus_decoder_new ();
  static gint16 pcm[ES_OPUS_MAX_PACKET_SAMPLES];
  double start = thread_cpu_us ();

  for (guint i = 0; i < packets->len; i++)
    {
      const EsPacket *packet = &g_array_index (packets, EsPacket, i);
      guint skip = packet->redundant_length;

      if (es_opus_decoder_decode (decoder, packet->data + skip, packet->length - skip,
                                  pcm, G_N_ELEMENTS (pcm), NULL) < 0)
        g_error ("cannot decode packet %u of our own", i);
    }
  return thread_cpu_us () - start;
}

static Figures
measure_packetizer (EsOpusPacketizer * (*make) (guint),
                    guint             argument,
                    const Speech     *speech)
{
  Figures best = { G_MAXDOUBLE, G_MAXDOUBLE, 0 };

  for (guint round = 0; round < ROUNDS; round++)
    {
      g_autoptr(EsOpusPacketizer) packetizer = make (argument);
      double encode_us;
      g_autoptr(GArray) packets = encode_pass (packetizer, speech, &encode_us);
      double decode_us = decode_pass (packets);
      guint64 bytes = 0;

      for (guint i = 0; i < packets->len; i++)
        bytes += g_array_index (packets, EsPacket, i).length;
      best.encode_us = MIN (best.encode_us, encode_us / speech->n_frames);
      best.decode_us = MIN (best.decode_us, decode_us / speech->n_frames);
      best.kbit_s = bytes * 8.0 / (speech->n_frames * 20.0);
    }
  return best;
}

static Figures
measure_libopus (const Speech *speech)
{
  Figures best = { G_MAXDOUBLE, G_MAXDOUBLE, 0 };
  int error;

  for (guint round = 0; round < ROUNDS; round++)
    {
      OpusEncoder *encoder = opus_encoder_create (ES_AUDIO_RATE, 1, OPUS_APPLICATION_VOIP, &error);
      OpusDecoder *decoder = opus_decoder_create (ES_AUDIO_RATE, 1, &error);
      g_autoptr(GArray) packets = g_array_new (FALSE, FALSE, sizeof (EsPacket));
      static gint16 pcm[ES_OPUS_MAX_PACKET_SAMPLES];
      guint64 bytes = 0;
      double start;
      double encode_us;
      double decode_us;

      opus_encoder_ctl (encoder, OPUS_SET_BITRATE (BASELINE_BITRATE));
      start = thread_cpu_us ();
      for (guint i = 0; i < speech->n_frames; i++)
        {
          EsPacket packet = { 0 };
          int n = opus_encode (encoder, speech->samples + (gsize) i * ES_AUDIO_FRAME_SAMPLES,
                               ES_AUDIO_FRAME_SAMPLES, packet.data, sizeof packet.data);

          packet.length = MAX (n, 0);
          g_array_append_val (packets, packet);
        }
      encode_us = thread_cpu_us () - start;
      start = thread_cpu_us ();
      for (guint i = 0; i < packets->len; i++)
        {
          const EsPacket *packet = &g_array_index (packets, EsPacket, i);

          if (opus_decode (decoder, packet->data, packet->length, pcm, G_N_ELEMENTS (pcm), 0) < 0)
            g_error ("libopus cannot decode its own packet %u", i);
          bytes += packet->length;
        }
      decode_us = thread_cpu_us () - start;
      opus_encoder_destroy (encoder);
      opus_decoder_destroy (decoder);
      best.encode_us = MIN (best.encode_us, encode_us / speech->n_frames);
      best.decode_us = MIN (best.decode_us, decode_us / speech->n_frames);
      best.kbit_s = bytes * 8.0 / (speech->n_frames * 20.0);
    }
  return best;
}

static void
print_row (const char    *name,
           const Figures *figures)
{
  g_print ("  %-46s %8.1f %8.1f %8.1f\n", name, figures->encode_us, figures->decode_us,
           figures->kbit_s);
}

static EsOpusPacketizer *
new_tier (guint tier)
{
  return es_opus_packetizer_new (tier);
}

static EsOpusPacketizer *
new_fixed (guint bitrate)
{
  return es_opus_packetizer_new_fixed (bitrate);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  Speech speech = { 0 };
  Figures baseline;

  if (argc != 2)
    {
      g_printerr ("usage: codec-bench SPEECH.wav\n");
      return 2;
    }
  if (!read_speech (argv[1], &speech, &error))
    {
      g_printerr ("codec-bench: %s\n", error->message);
      return 1;
    }

  g_print ("Opus per 20 ms of speech (%u frames, best of %u passes)\n", speech.n_frames, ROUNDS);
  g_print ("  %-46s %8s %8s %8s\n", "", "enc us", "dec us", "kbit/s");
  baseline = measure_libopus (&speech);
  print_row ("baseline: libopus defaults, 24k", &baseline);
  {
    Figures fixed = measure_packetizer (new_fixed, BASELINE_BITRATE, &speech);

    print_row ("fixed 24 kbit/s (issue 4)", &fixed);
  }
  for (guint tier = 0; tier < ES_QUALITY_N_TIERS; tier++)
    {
      const EsQualityTier *info = es_quality_tier_get (tier);
      g_autofree char *name = g_strdup_printf ("tier %u: %u kbit/s, %u ms%s%s", tier,
                                               info->bitrate / 1000, info->frame_ms,
                                               info->fec ? ", FEC" : "",
                                               info->redundancy ? ", redundancy" : "");
      Figures figures = measure_packetizer (new_tier, tier, &speech);

      print_row (name, &figures);
    }
  g_free (speech.samples);
  return 0;
}
