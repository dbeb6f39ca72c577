/* opus-frames: the Opus packets a call sends for a WAV file, one hex line
 * each, encoded as the media session encodes them (Opus defaults of the
 * engine, BITRATE bit/s, 20 ms frames). The calls suite looks for these
 * bytes in what the relay carried: finding none shows the relay saw only
 * ciphertext.
 *
 * usage: opus-frames FILE.wav BITRATE
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "es-audio-backend.h"
#include "es-hex.h"
#include "es-opus-encoder.h"
#include "es-wav-reader.h"

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EsWavReader) reader = NULL;
  g_autoptr(EsOpusEncoder) encoder = es_opus_encoder_new ();
  gint16 frame[ES_AUDIO_FRAME_SAMPLES];
  guint8 packet[1500];
  gssize n;

  if (argc != 3)
    {
      g_printerr ("usage: opus-frames FILE.wav BITRATE\n");
      return 2;
    }
  reader = es_wav_reader_new_for_path (argv[1], &error);
  if (reader == NULL)
    {
      g_printerr ("opus-frames: %s\n", error->message);
      return 1;
    }
  es_opus_encoder_set_bitrate (encoder, (guint) atoi (argv[2]));
  es_opus_encoder_set_frame_ms (encoder, ES_AUDIO_FRAME_MS);

  while ((n = es_wav_reader_read (reader, frame, ES_AUDIO_FRAME_SAMPLES, &error)) > 0)
    {
      g_autofree char *hex = NULL;
      gssize size;

      if (n < ES_AUDIO_FRAME_SAMPLES)
        memset (frame + n, 0, (ES_AUDIO_FRAME_SAMPLES - n) * sizeof frame[0]);
      size = es_opus_encoder_encode (encoder, frame, packet, sizeof packet, &error);
      if (size < 0)
        break;
      hex = es_hex_encode (packet, (gsize) size);
      printf ("%s\n", hex);
    }
  if (error != NULL)
    {
      g_printerr ("opus-frames: %s\n", error->message);
      return 1;
    }
  return 0;
}
