/* Captured 20 ms frames into the packets a call sends.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "audio-test-support.h"
#include "es-adaptive-quality.h"
#include "es-audio-backend.h"
#include "es-media-frame.h"
#include "es-opus-packet.h"
#include "es-opus-packetizer.h"

#define SECONDS 2
#define N_SAMPLES (SECONDS * ES_AUDIO_RATE)

typedef struct
{
  GArray *packets;   /* EsPacket */
} Output;

static GArray *
packetize (EsOpusPacketizer *packetizer,
           const gint16     *pcm,
           gsize             n_samples,
           guint             change_after_frames,
           guint             new_tier)
{
  GArray *packets = g_array_new (FALSE, TRUE, sizeof (EsPacket));

  for (gsize offset = 0, frame = 0; offset + ES_AUDIO_FRAME_SAMPLES <= n_samples;
       offset += ES_AUDIO_FRAME_SAMPLES, frame++)
    {
      EsPacket packet;

      if (frame == change_after_frames)
        es_opus_packetizer_set_tier (packetizer, new_tier, 0);
      if (es_opus_packetizer_push (packetizer, pcm + offset, (guint32) offset, &packet))
        g_array_append_val (packets, packet);
    }
  return packets;
}

static void
test_twenty_ms_packets (void)
{
  g_autofree gint16 *speech = audio_test_make_bursts (N_SAMPLES, 2000, 0);
  g_autoptr(EsOpusPacketizer) packetizer = es_opus_packetizer_new (3);
  g_autoptr(GArray) packets = packetize (packetizer, speech, N_SAMPLES, G_MAXUINT, 0);

  g_assert_cmpuint (packets->len, ==, N_SAMPLES / ES_AUDIO_FRAME_SAMPLES);
  for (guint i = 0; i < packets->len; i++)
    {
      EsPacket *packet = &g_array_index (packets, EsPacket, i);

      g_assert_cmpuint (packet->timestamp, ==, i * ES_AUDIO_FRAME_SAMPLES);
      g_assert_cmpuint (packet->tier, ==, 3);
      g_assert_cmpuint (packet->flags, ==, 0);
      g_assert_cmpint (es_opus_packet_get_samples (packet->data, packet->length), ==,
                       ES_AUDIO_FRAME_SAMPLES);
    }
}

static void
test_long_frames_with_redundancy (void)
{
  g_autofree gint16 *speech = audio_test_make_bursts (N_SAMPLES, 2000, 0);
  g_autoptr(EsOpusPacketizer) packetizer = es_opus_packetizer_new (ES_QUALITY_N_TIERS - 1);
  g_autoptr(GArray) packets = packetize (packetizer, speech, N_SAMPLES, G_MAXUINT, 0);
  guint frame_samples = es_quality_tier_get (ES_QUALITY_N_TIERS - 1)->frame_ms * 48;

  g_assert_true (es_quality_tier_get (ES_QUALITY_N_TIERS - 1)->redundancy);
  g_assert_cmpuint (packets->len, ==, N_SAMPLES / frame_samples);
  for (guint i = 0; i < packets->len; i++)
    {
      EsPacket *packet = &g_array_index (packets, EsPacket, i);
      const guint8 *current = packet->data + packet->redundant_length;
      gsize current_length = packet->length - packet->redundant_length;

      g_assert_cmpuint (packet->timestamp, ==, i * frame_samples);
      g_assert_cmpint (es_opus_packet_get_samples (current, current_length), ==, frame_samples);
      if (i == 0)
        {
          g_assert_cmpuint (packet->flags & ES_MEDIA_FRAME_FLAG_REDUNDANCY, ==, 0);
          continue;
        }
      /* The copy is exactly the previous packet. */
      EsPacket *previous = &g_array_index (packets, EsPacket, i - 1);
      g_assert_cmpuint (packet->flags & ES_MEDIA_FRAME_FLAG_REDUNDANCY, !=, 0);
      g_assert_cmpmem (packet->data, packet->redundant_length,
                       previous->data + previous->redundant_length,
                       previous->length - previous->redundant_length);
    }
}

static void
test_tier_change_waits_for_the_packet_boundary (void)
{
  g_autofree gint16 *speech = audio_test_make_bursts (N_SAMPLES, 2000, 0);
  g_autoptr(EsOpusPacketizer) packetizer = es_opus_packetizer_new (ES_QUALITY_N_TIERS - 1);
  /* Asked for after the first frame of the second 60 ms packet. */
  g_autoptr(GArray) packets = packetize (packetizer, speech, N_SAMPLES, 4, 3);
  EsPacket *second = &g_array_index (packets, EsPacket, 1);
  EsPacket *third = &g_array_index (packets, EsPacket, 2);

  g_assert_cmpuint (second->tier, ==, ES_QUALITY_N_TIERS - 1);
  g_assert_cmpuint (second->timestamp, ==, 2880);
  g_assert_cmpuint (third->tier, ==, 3);
  g_assert_cmpuint (third->timestamp, ==, 5760);
  g_assert_cmpuint (third->flags & ES_MEDIA_FRAME_FLAG_REDUNDANCY, ==, 0);
  g_assert_cmpint (es_opus_packet_get_samples (third->data, third->length), ==,
                   ES_AUDIO_FRAME_SAMPLES);
  g_assert_cmpuint (es_opus_packetizer_get_tier (packetizer), ==, 3);
}

static void
test_silence_is_not_sent (void)
{
  /* One second of speech, a long silence, speech again. */
  g_autofree gint16 *bursts = audio_test_make_bursts (N_SAMPLES * 2, 1000, 1500);
  g_autoptr(EsOpusPacketizer) packetizer = es_opus_packetizer_new (3);
  g_autoptr(GArray) packets = packetize (packetizer, bursts, N_SAMPLES * 2, G_MAXUINT, 0);
  guint after_silence = 0;

  /* Far fewer packets than frames: the silence mostly went unsent... */
  g_assert_cmpuint (packets->len, <, (N_SAMPLES * 2 / ES_AUDIO_FRAME_SAMPLES) * 3 / 4);
  for (guint i = 0; i < packets->len; i++)
    {
      EsPacket *packet = &g_array_index (packets, EsPacket, i);

      if (packet->flags & ES_MEDIA_FRAME_FLAG_AFTER_SILENCE)
        {
          /* ...and what follows a pause says so, with the time it resumed. */
          EsPacket *before = &g_array_index (packets, EsPacket, i - 1);

          g_assert_cmpuint (packet->timestamp - before->timestamp, >, ES_AUDIO_FRAME_SAMPLES);
          after_silence++;
        }
    }
  g_assert_cmpuint (after_silence, >=, 1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/opus-packetizer/twenty-ms-packets", test_twenty_ms_packets);
  g_test_add_func ("/opus-packetizer/long-frames-with-redundancy", test_long_frames_with_redundancy);
  g_test_add_func ("/opus-packetizer/tier-change-at-boundary", test_tier_change_waits_for_the_packet_boundary);
  g_test_add_func ("/opus-packetizer/silence-is-not-sent", test_silence_is_not_sent);
  return g_test_run ();
}
