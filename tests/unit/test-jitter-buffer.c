/* The adaptive jitter buffer, driven by an explicit clock: synthetic arrival
 * patterns of real Opus packets, pulled every 20 ms of receiver time.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "audio-test-support.h"
#include "es-audio-backend.h"
#include "es-jitter-buffer.h"
#include "es-opus-encoder.h"
#include "es-opus-packet.h"

#define MS 1000
#define START_US (10 * G_USEC_PER_SEC)
#define BASE_DELAY_US (30 * MS)
#define BLOCK ES_AUDIO_FRAME_SAMPLES

typedef struct
{
  guint64 sequence;
  guint32 timestamp;
  guint duration;
  gint64 arrival_us;
  gboolean lost;
  gsize size;
  guint8 data[ES_OPUS_MAX_PACKET_SIZE];
} Sent;

typedef struct
{
  /* The sender's clock runs this much faster than the receiver's. */
  double drift;
  /* Frames switch to this duration at this sample, if set. */
  gsize switch_at;
  guint switch_ms;
  gboolean fec;
  guint32 first_timestamp;
} StreamOptions;

/* Encodes @pcm into packets that leave when their last sample is captured
 * and arrive BASE_DELAY_US later, all in receiver time. */
static GArray *
make_stream (const gint16        *pcm,
             gsize                n_samples,
             const StreamOptions *options)
{
  g_autoptr(EsOpusEncoder) encoder = es_opus_encoder_new ();
  GArray *stream = g_array_new (FALSE, TRUE, sizeof (Sent));
  gsize at = 0;

  if (options->fec)
    es_opus_encoder_set_fec (encoder, TRUE, 20);
  while (TRUE)
    {
      Sent sent = { 0 };
      guint frame;
      double sender_seconds;

      if (options->switch_ms != 0 && at >= options->switch_at)
        es_opus_encoder_set_frame_ms (encoder, options->switch_ms);
      frame = es_opus_encoder_get_frame_samples (encoder);
      if (at + frame > n_samples)
        break;
      sent.sequence = stream->len;
      sent.timestamp = options->first_timestamp + (guint32) at;
      sent.duration = frame;
      sent.size = es_opus_encoder_encode (encoder, pcm + at, sent.data, sizeof sent.data, NULL);
      g_assert_cmpint (sent.size, >, 0);
      sender_seconds = (double) (at + frame) / ES_AUDIO_RATE;
      sent.arrival_us = START_US + BASE_DELAY_US +
                        (gint64) (sender_seconds / (1.0 + options->drift) * G_USEC_PER_SEC);
      g_array_append_val (stream, sent);
      at += frame;
    }
  return stream;
}

static gint
compare_arrivals (gconstpointer a,
                  gconstpointer b)
{
  const Sent *sa = *(const Sent **) a, *sb = *(const Sent **) b;

  return sa->arrival_us < sb->arrival_us ? -1 : sa->arrival_us > sb->arrival_us;
}

typedef struct
{
  GArray *pcm;                  /* gint16, everything pulled */
  GArray *flags;                /* EsJitterBufferPlayout per block */
  GArray *targets;              /* double per block */
  guint n_waiting;
  guint n_arrived;              /* packets that arrived before the last pull */
  EsJitterBufferStats stats;
} Playout;

static void
playout_clear (Playout *playout)
{
  g_array_unref (playout->pcm);
  g_array_unref (playout->flags);
  g_array_unref (playout->targets);
}

/* Inserts every packet when it arrives and pulls a block every 20 ms, from
 * START_US for @n_blocks blocks: no more than the stream lasts, since after
 * its end there is only concealment. For @stall_blocks blocks from block
 * @stall_from the device pulls nothing, and packets wait (as in the
 * session's ring) until it pulls again. */
static Playout
play_with_stall (GArray *stream,
                 guint   n_blocks,
                 guint   stall_from,
                 guint   stall_blocks)
{
  g_autoptr(EsOpusDecoder) decoder = es_opus_decoder_new ();
  g_autoptr(EsJitterBuffer) buffer = es_jitter_buffer_new (decoder);
  g_autoptr(GPtrArray) order = g_ptr_array_new ();
  Playout playout = {
    g_array_new (FALSE, FALSE, sizeof (gint16)),
    g_array_new (FALSE, FALSE, sizeof (EsJitterBufferPlayout)),
    g_array_new (FALSE, FALSE, sizeof (double)),
  };
  guint next = 0;

  for (guint i = 0; i < stream->len; i++)
    if (!g_array_index (stream, Sent, i).lost)
      g_ptr_array_add (order, &g_array_index (stream, Sent, i));
  g_ptr_array_sort (order, compare_arrivals);

  for (guint block = 0; block < n_blocks; block++)
    {
      gint64 now = START_US + (gint64) block * ES_AUDIO_FRAME_MS * MS;
      gint16 pcm[BLOCK];
      EsJitterBufferPlayout what;

      if (block >= stall_from && block < stall_from + stall_blocks)
        continue;
      for (; next < order->len && ((Sent *) order->pdata[next])->arrival_us <= now; next++)
        {
          Sent *sent = order->pdata[next];

          es_jitter_buffer_insert (buffer, sent->sequence, sent->timestamp, sent->data,
                                   sent->size, sent->arrival_us);
        }
      what = es_jitter_buffer_pull (buffer, pcm, now);
      es_jitter_buffer_get_stats (buffer, &playout.stats);
      playout.n_waiting += what == ES_JITTER_BUFFER_WAITING;
      g_array_append_vals (playout.pcm, pcm, BLOCK);
      g_array_append_val (playout.flags, what);
      g_array_append_val (playout.targets, playout.stats.target_delay_ms);
    }
  playout.n_arrived = next;
  return playout;
}

static Playout
play (GArray *stream,
      guint   n_blocks)
{
  return play_with_stall (stream, n_blocks, n_blocks, 0);
}

/* What a decoder makes of every packet, none lost: the reference. */
static gint16 *
decode_stream (GArray *stream,
               gsize  *n_samples)
{
  g_autoptr(EsOpusDecoder) decoder = es_opus_decoder_new ();
  gsize total = 0, at = 0;
  gint16 *pcm;

  for (guint i = 0; i < stream->len; i++)
    total += g_array_index (stream, Sent, i).duration;
  pcm = g_new0 (gint16, total);
  for (guint i = 0; i < stream->len; i++)
    {
      Sent *sent = &g_array_index (stream, Sent, i);

      at += es_opus_decoder_decode (decoder, sent->data, sent->size, pcm + at, total - at, NULL);
    }
  *n_samples = total;
  return pcm;
}

static guint
count_loud_blocks (const gint16 *pcm,
                   gsize         n_samples)
{
  guint n = 0;

  for (gsize at = 0; at + BLOCK <= n_samples; at += BLOCK)
    n += audio_test_rms (pcm + at, BLOCK) > 0.05;
  return n;
}

static guint
count_flag (Playout              *playout,
            EsJitterBufferPlayout flag)
{
  guint n = 0;

  for (guint i = 0; i < playout->flags->len; i++)
    n += (g_array_index (playout->flags, EsJitterBufferPlayout, i) & flag) != 0;
  return n;
}

static void
test_in_order (void)
{
  g_autofree gint16 *bursts = audio_test_make_bursts (10 * ES_AUDIO_RATE, 300, 200);
  StreamOptions options = { 0 };
  g_autoptr(GArray) stream = make_stream (bursts, 10 * ES_AUDIO_RATE, &options);
  g_autofree gint16 *reference = NULL;
  Playout playout = play (stream, 500);
  gsize n_reference, n_played;

  reference = decode_stream (stream, &n_reference);
  n_played = (500 - playout.n_waiting) * BLOCK;
  g_test_message ("waited %u blocks, delay %.1f ms, target %.1f ms", playout.n_waiting,
                  playout.stats.current_delay_ms, playout.stats.target_delay_ms);
  g_assert_cmpuint (playout.stats.received, ==, playout.n_arrived);
  g_assert_cmpuint (playout.stats.lost + playout.stats.late + playout.stats.duplicates, ==, 0);
  g_assert_cmpfloat (playout.stats.concealed_ms + playout.stats.inserted_ms +
                     playout.stats.dropped_ms, ==, 0);
  /* Near the minimum: one frame (the target) plus at most a pull period. */
  g_assert_cmpfloat (playout.stats.target_delay_ms, ==, 20.0);
  g_assert_cmpfloat (playout.stats.current_delay_ms, >=, 30.0);
  g_assert_cmpfloat (playout.stats.current_delay_ms, <, 50.0);
  g_assert_cmpuint (playout.n_waiting, <=, 3);
  /* Bit for bit what the decoder makes of the stream. */
  g_assert_cmpmem (&g_array_index (playout.pcm, gint16, playout.n_waiting * BLOCK),
                   n_played * sizeof (gint16), reference, n_played * sizeof (gint16));
  playout_clear (&playout);
}

static void
test_timestamps_wrap (void)
{
  g_autofree gint16 *bursts = audio_test_make_bursts (4 * ES_AUDIO_RATE, 300, 200);
  StreamOptions options = { .first_timestamp = G_MAXUINT32 - 50 * BLOCK };
  g_autoptr(GArray) stream = make_stream (bursts, 4 * ES_AUDIO_RATE, &options);
  Playout playout = play (stream, 200);

  g_assert_cmpuint (playout.stats.received, ==, playout.n_arrived);
  g_assert_cmpuint (playout.stats.lost + playout.stats.late, ==, 0);
  g_assert_cmpfloat (playout.stats.concealed_ms, ==, 0);
  playout_clear (&playout);
}

static void
test_sequence_gaps_are_not_loss (void)
{
  g_autofree gint16 *bursts = audio_test_make_bursts (4 * ES_AUDIO_RATE, 300, 200);
  StreamOptions options = { 0 };
  g_autoptr(GArray) stream = make_stream (bursts, 4 * ES_AUDIO_RATE, &options);
  Playout playout;

  /* Other frame kinds (a quality report each second) take numbers from the
   * same sequence: the audio's sequence skips while its timeline does not. */
  for (guint i = 0; i < stream->len; i++)
    g_array_index (stream, Sent, i).sequence += i / 50;
  playout = play (stream, 200);
  g_assert_cmpuint (playout.stats.received, ==, playout.n_arrived);
  g_assert_cmpuint (playout.stats.lost + playout.stats.late, ==, 0);
  g_assert_cmpfloat (playout.stats.concealed_ms, ==, 0);
  playout_clear (&playout);
}

static void
test_reordering_recovered (void)
{
  g_autofree gint16 *bursts = audio_test_make_bursts (10 * ES_AUDIO_RATE, 300, 200);
  StreamOptions options = { 0 };
  g_autoptr(GArray) stream = make_stream (bursts, 10 * ES_AUDIO_RATE, &options);
  Playout playout;

  /* Every tenth packet arrives 1 ms after the one that follows it. */
  for (guint i = 5; i + 1 < stream->len; i += 10)
    g_array_index (stream, Sent, i).arrival_us = g_array_index (stream, Sent, i + 1).arrival_us +
                                                 MS;
  playout = play (stream, 500);

  g_test_message ("target %.1f ms, concealed %.0f ms", playout.stats.target_delay_ms,
                  playout.stats.concealed_ms);
  g_assert_cmpuint (playout.stats.received, ==, playout.n_arrived);
  g_assert_cmpuint (playout.stats.lost + playout.stats.late, ==, 0);
  /* The first swap may find the buffer one frame short while it learns;
   * then the target covers the 21 ms a swapped packet comes late. */
  g_assert_cmpfloat (playout.stats.concealed_ms, <=, 20.0);
  g_assert_cmpfloat (playout.stats.target_delay_ms, >=, 41.0);
  playout_clear (&playout);
}

static void
test_loss_concealed_and_counted (void)
{
  g_autofree gint16 *bursts = audio_test_make_bursts (10 * ES_AUDIO_RATE, 300, 200);
  StreamOptions options = { 0 };
  g_autoptr(GArray) stream = make_stream (bursts, 10 * ES_AUDIO_RATE, &options);
  Playout playout;
  guint n_lost = 0;

  for (guint i = 20; i < stream->len - 5; i += 10, n_lost++)
    g_array_index (stream, Sent, i).lost = TRUE;
  playout = play (stream, 500);

  g_assert_cmpuint (playout.stats.lost, ==, n_lost);
  g_assert_cmpuint (playout.stats.received, ==, playout.n_arrived);
  g_assert_cmpuint (playout.stats.late, ==, 0);
  /* Each loss is 20 ms made up by PLC, whichever way it was found. */
  g_assert_cmpfloat (playout.stats.concealed_ms, ==, 20.0 * n_lost);
  g_assert_cmpfloat (playout.stats.recovered_ms, ==, 0);
  g_assert_cmpuint (count_flag (&playout, ES_JITTER_BUFFER_CONCEALED), ==, n_lost);
  playout_clear (&playout);
}

static void
test_fec_recovery (void)
{
  g_autofree gint16 *bursts = audio_test_make_bursts (10 * ES_AUDIO_RATE, 300, 200);
  StreamOptions options = { .fec = TRUE };
  g_autoptr(GArray) stream = make_stream (bursts, 10 * ES_AUDIO_RATE, &options);
  Playout playout;
  guint n_lost = 0;

  /* Lose packets whose successor carries FEC for them, far apart. */
  for (guint i = 20; i + 1 < stream->len; i++)
    {
      Sent *next = &g_array_index (stream, Sent, i + 1);

      if (es_opus_packet_has_fec (next->data, next->size))
        {
          g_array_index (stream, Sent, i).lost = TRUE;
          n_lost++;
          i += 8;
        }
    }
  g_assert_cmpuint (n_lost, >=, 10);
  playout = play (stream, 500);

  g_test_message ("%u lost: recovered %.0f ms, concealed %.0f ms, target %.1f ms", n_lost,
                  playout.stats.recovered_ms, playout.stats.concealed_ms,
                  playout.stats.target_delay_ms);
  g_assert_cmpuint (playout.stats.lost, ==, n_lost);
  /* The target holds one frame more while FEC comes, so the packet after
   * each loss is always here in time to rebuild it. */
  g_assert_cmpfloat (playout.stats.recovered_ms, ==, 20.0 * n_lost);
  g_assert_cmpfloat (playout.stats.concealed_ms, ==, 0);
  g_assert_cmpfloat (playout.stats.target_delay_ms, >=, 40.0);
  playout_clear (&playout);
}

static void
test_jitter_spike (void)
{
  g_autofree gint16 *bursts = audio_test_make_bursts (25 * ES_AUDIO_RATE, 400, 600);
  StreamOptions options = { 0 };
  g_autoptr(GArray) stream = make_stream (bursts, 25 * ES_AUDIO_RATE, &options);
  gint64 spike_end = START_US + BASE_DELAY_US + 4200 * MS;
  double baseline, peak = 0;
  guint first_spiked = 0, grown_at = 0;
  Playout playout;

  /* The network freezes for 200 ms at 4 s: what was sent meanwhile all
   * arrives at once when it thaws. */
  for (guint i = 0; i < stream->len; i++)
    {
      Sent *sent = &g_array_index (stream, Sent, i);

      if (sent->arrival_us > spike_end - 200 * MS && sent->arrival_us < spike_end)
        {
          sent->arrival_us = spike_end;
          first_spiked = first_spiked != 0 ? first_spiked : i;
        }
    }
  playout = play (stream, 1250);

  baseline = g_array_index (playout.targets, double, 150);
  for (guint block = 200; block < playout.targets->len; block++)
    {
      double target = g_array_index (playout.targets, double, block);

      peak = MAX (peak, target);
      if (grown_at == 0 && target > baseline + 80)
        grown_at = block;
    }
  g_test_message ("target: %.1f ms before, %.1f at peak (block %u), %.1f 1.5 s after, "
                  "%.1f 5 s after, %.1f 20 s after; delay at the end %.1f ms", baseline,
                  peak, grown_at, g_array_index (playout.targets, double, 286),
                  g_array_index (playout.targets, double, 461),
                  g_array_index (playout.targets, double, 1249),
                  playout.stats.current_delay_ms);

  /* The late packets played (the buffer waited for them), none lost. */
  g_assert_cmpuint (playout.stats.lost + playout.stats.late, ==, 0);
  g_assert_cmpfloat (baseline, <=, 25.0);
  /* Up at once, at the thaw (block 211: 4.2 s + 30 ms): the ten packets
   * held 20 to 200 ms make the 95th percentile of the window about 100 ms. */
  g_assert_cmpuint (grown_at, >, 0);
  g_assert_cmpuint (grown_at, <=, 212);
  g_assert_cmpfloat (peak, >=, 110.0);
  /* Down slowly: still up 1.5 s later, going down at 5 s, back at 20 s. */
  g_assert_cmpfloat (g_array_index (playout.targets, double, 286), >=, 0.9 * peak);
  g_assert_cmpfloat (g_array_index (playout.targets, double, 461), <, 0.8 * peak);
  g_assert_cmpfloat (g_array_index (playout.targets, double, 461), >, baseline + 20);
  g_assert_cmpfloat (g_array_index (playout.targets, double, 1249), <=, baseline + 5);
  /* And the delay came down with it, in the silences. */
  g_assert_cmpfloat (playout.stats.current_delay_ms, <, playout.stats.target_delay_ms + 40);
  g_assert_cmpfloat (playout.stats.dropped_ms, >=, 100);
  playout_clear (&playout);
}

static void
check_drift (double drift)
{
  g_autofree gint16 *bursts = audio_test_make_bursts (30 * ES_AUDIO_RATE, 1000, 1000);
  StreamOptions options = { .drift = drift };
  g_autoptr(GArray) stream = make_stream (bursts, 30 * ES_AUDIO_RATE, &options);
  g_autofree gint16 *reference = NULL;
  gsize n_reference;
  /* A fast sender's 30 s last only 29.85 s here. */
  Playout playout = play (stream, 1480);

  reference = decode_stream (stream, &n_reference);
  g_test_message ("drift %+.1f %%: inserted %.0f ms, dropped %.0f ms, concealed %.0f ms, "
                  "delay %.1f ms, target %.1f ms", drift * 100, playout.stats.inserted_ms,
                  playout.stats.dropped_ms, playout.stats.concealed_ms,
                  playout.stats.current_delay_ms, playout.stats.target_delay_ms);

  g_assert_cmpuint (playout.stats.lost + playout.stats.late, ==, 0);
  /* Absorbed: 0.5 % of 30 s is 150 ms, taken out or put in, and never by
   * concealment, which would be heard in speech. */
  g_assert_cmpfloat (playout.stats.concealed_ms, ==, 0);
  if (drift > 0)
    g_assert_cmpfloat (playout.stats.dropped_ms, >=, 100);
  else
    g_assert_cmpfloat (playout.stats.inserted_ms, >=, 100);
  g_assert_cmpfloat (playout.stats.current_delay_ms, >=, playout.stats.target_delay_ms);
  g_assert_cmpfloat (playout.stats.current_delay_ms, <, playout.stats.target_delay_ms + 40);
  /* Only in silence: every loud block of the stream is played, once. */
  g_assert_cmpuint (count_loud_blocks ((gint16 *) playout.pcm->data, playout.pcm->len), ==,
                    count_loud_blocks (reference, n_reference));
  for (guint i = 0; i < playout.flags->len; i++)
    if (g_array_index (playout.flags, EsJitterBufferPlayout, i) &
        (ES_JITTER_BUFFER_INSERTED | ES_JITTER_BUFFER_DROPPED))
      g_assert_cmpfloat (audio_test_rms (&g_array_index (playout.pcm, gint16, i * BLOCK), BLOCK),
                         <, 0.01);
  playout_clear (&playout);
}

static void
test_drift_fast_sender (void)
{
  check_drift (0.005);
}

static void
test_drift_slow_sender (void)
{
  check_drift (-0.005);
}

/* The sound device stops pulling for 2 s (its stream moved to another
 * speaker) while speech keeps coming: playout starts again near the target
 * delay at once, rather than seconds late. */
static void
test_stalled_device_resyncs (void)
{
  g_autofree gint16 *bursts = audio_test_make_bursts (8 * ES_AUDIO_RATE, 300, 200);
  StreamOptions options = { 0 };
  g_autoptr(GArray) stream = make_stream (bursts, 8 * ES_AUDIO_RATE, &options);
  guint stall_from = 100, stall_blocks = 100, resumed = stall_from + stall_blocks;
  Playout playout = play_with_stall (stream, resumed + 25, stall_from, stall_blocks);
  guint loud_after = 0;

  g_test_message ("0.5 s after the stall: delay %.1f ms, target %.1f ms, dropped %.0f ms",
                  playout.stats.current_delay_ms, playout.stats.target_delay_ms,
                  playout.stats.dropped_ms);
  g_assert_cmpfloat (playout.stats.current_delay_ms, <=,
                     playout.stats.target_delay_ms + 100.0);
  g_assert_cmpfloat (playout.stats.dropped_ms, >=, 1500.0);
  /* What plays after it is speech, not silence or concealment. */
  loud_after = count_loud_blocks ((gint16 *) playout.pcm->data + (gsize) (stall_from + 5) * BLOCK,
                                  (gsize) 20 * BLOCK);
  g_assert_cmpuint (loud_after, >=, 6);
  playout_clear (&playout);
}

static void
test_duplicates_dropped (void)
{
  g_autofree gint16 *bursts = audio_test_make_bursts (6 * ES_AUDIO_RATE, 300, 200);
  StreamOptions options = { 0 };
  g_autoptr(GArray) stream = make_stream (bursts, 6 * ES_AUDIO_RATE, &options);
  g_autoptr(GArray) doubled = g_array_new (FALSE, FALSE, sizeof (Sent));
  Playout once, twice;

  for (guint i = 0; i < stream->len; i++)
    {
      Sent copy = g_array_index (stream, Sent, i);

      g_array_append_val (doubled, copy);
      copy.arrival_us += 3 * MS;
      g_array_append_val (doubled, copy);
    }
  once = play (stream, 300);
  twice = play (doubled, 300);

  g_assert_cmpuint (twice.stats.duplicates, ==, twice.n_arrived / 2);
  g_assert_cmpuint (twice.stats.received, ==, once.n_arrived);
  g_assert_cmpuint (twice.stats.lost + twice.stats.late, ==, 0);
  g_assert_cmpmem (twice.pcm->data, twice.pcm->len * sizeof (gint16),
                   once.pcm->data, once.pcm->len * sizeof (gint16));
  playout_clear (&once);
  playout_clear (&twice);
}

static void
test_tier_change (void)
{
  g_autofree gint16 *bursts = audio_test_make_bursts (8 * ES_AUDIO_RATE, 300, 200);
  /* From 20 ms to 60 ms frames at 3 s, the start of a burst. */
  StreamOptions options = { .switch_at = 3 * ES_AUDIO_RATE, .switch_ms = 60 };
  g_autoptr(GArray) stream = make_stream (bursts, 8 * ES_AUDIO_RATE, &options);
  Playout playout = play (stream, 400);
  double target_before = g_array_index (playout.targets, double, 140);

  g_test_message ("target %.1f ms before, %.1f ms after; concealed %.0f ms", target_before,
                  playout.stats.target_delay_ms, playout.stats.concealed_ms);
  g_assert_cmpuint (g_array_index (stream, Sent, stream->len - 1).duration, ==, 2880);
  g_assert_cmpuint (playout.stats.received, ==, playout.n_arrived);
  g_assert_cmpuint (playout.stats.lost + playout.stats.late, ==, 0);
  /* A 60 ms frame arrives 40 ms after the 20 ms frame it follows would
   * have: the buffer waits that once, then holds one 60 ms frame. */
  g_assert_cmpfloat (playout.stats.concealed_ms, <=, 40.0);
  g_assert_cmpfloat (target_before, ==, 20.0);
  g_assert_cmpfloat (playout.stats.target_delay_ms, ==, 60.0);
  playout_clear (&playout);
}

static void
test_invalid_and_overflow (void)
{
  g_autoptr(EsOpusDecoder) decoder = es_opus_decoder_new ();
  g_autoptr(EsJitterBuffer) buffer = es_jitter_buffer_new (decoder);
  const guint8 not_opus[] = { 0x0b, 0x00 };
  const guint8 silk_20ms[] = { 1 << 3, 0 };
  guint accepted = 0;

  g_assert_cmpint (es_jitter_buffer_insert (buffer, 0, 0, not_opus, sizeof not_opus, START_US),
                   ==, ES_JITTER_BUFFER_INVALID);
  /* A peer may not make the buffer grow without bound. */
  for (guint i = 0; i < 300; i++)
    accepted += es_jitter_buffer_insert (buffer, i, i * 960, silk_20ms, sizeof silk_20ms,
                                         START_US) == ES_JITTER_BUFFER_ACCEPTED;
  g_assert_cmpuint (accepted, ==, 256);
  g_assert_cmpint (es_jitter_buffer_insert (buffer, 400, 400 * 960, silk_20ms, sizeof silk_20ms,
                                            START_US), ==, ES_JITTER_BUFFER_OVERFLOW);
  g_assert_cmpint (es_jitter_buffer_insert (buffer, 3, 3 * 960, silk_20ms, sizeof silk_20ms,
                                            START_US), ==, ES_JITTER_BUFFER_DUPLICATE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/jitter-buffer/in-order", test_in_order);
  g_test_add_func ("/jitter-buffer/timestamps-wrap", test_timestamps_wrap);
  g_test_add_func ("/jitter-buffer/sequence-gaps-are-not-loss", test_sequence_gaps_are_not_loss);
  g_test_add_func ("/jitter-buffer/reordering-recovered", test_reordering_recovered);
  g_test_add_func ("/jitter-buffer/loss-concealed-and-counted", test_loss_concealed_and_counted);
  g_test_add_func ("/jitter-buffer/fec-recovery", test_fec_recovery);
  g_test_add_func ("/jitter-buffer/jitter-spike", test_jitter_spike);
  g_test_add_func ("/jitter-buffer/drift/fast-sender", test_drift_fast_sender);
  g_test_add_func ("/jitter-buffer/drift/slow-sender", test_drift_slow_sender);
  g_test_add_func ("/jitter-buffer/stalled-device-resyncs", test_stalled_device_resyncs);
  g_test_add_func ("/jitter-buffer/duplicates-dropped", test_duplicates_dropped);
  g_test_add_func ("/jitter-buffer/tier-change", test_tier_change);
  g_test_add_func ("/jitter-buffer/invalid-and-overflow", test_invalid_and_overflow);
  return g_test_run ();
}
