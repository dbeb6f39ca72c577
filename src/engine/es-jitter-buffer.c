/* es-jitter-buffer.c
 *
 * Packets are kept in timestamp order and played on the audio clock: each
 * pull takes the next 20 ms, whatever the packets' durations (10 to 120 ms,
 * changing mid-call with the tier), decoded into a small queue of samples.
 *
 * Timing. A packet's transit is its arrival time less the sender's time of
 * its last sample. The floor of the transits is the fastest path; a packet's
 * lateness is how far its transit lies above the floor. The target delay is
 * the 95th percentile of lateness over the last WINDOW packets plus one
 * packet's duration (a packet plays from its first sample but arrives after
 * its last), plus one more while the sender sends in-band FEC, since FEC
 * helps only if the packet after a loss is already here. The target follows
 * a spike up at once and comes down slowly. The floor leaks upwards by 1 %
 * of elapsed stream time, so that it follows a sender whose clock runs
 * slower than ours, and snaps down to any faster packet, so that it follows
 * one whose clock runs faster.
 *
 * The delay of a block is how long after the floor its first sample plays.
 * It drifts when the two clocks differ and jumps when audio is concealed
 * without advancing; it is brought back towards the target only where that
 * cannot be heard: a quiet block between quiet blocks is skipped when the
 * delay is well above the target, or repeated when it is below.
 *
 * Missing audio. When the packet after a gap is here, the gap is lost: it is
 * rebuilt from that packet's FEC when it carries some and the gap is one
 * packet long, else concealed with Opus PLC, and any packet of the gap that
 * comes later is late. When nothing is here at all (underrun), the packet may
 * only be late: PLC fills the block but playout does not advance, so a late
 * packet still plays (the delay grew, as the jitter asked), and if it was lost
 * the concealment already played stands in for it when the next one comes.
 *
 * Not thread-safe: insert and pull from one thread. With a backend whose
 * playback runs on its own audio thread, the call hands packets to that
 * thread (DESIGN §3) and inserts them there.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsJitterBuffer"

#include "es-jitter-buffer.h"

#include <string.h>

#include "es-audio-backend.h"
#include "es-opus-packet.h"

/* Packets whose lateness sets the target: 2 s of 20 ms frames. */
#define WINDOW 100
#define PERCENTILE 95
/* How fast the floor of transit times rises by itself, as a share of
 * elapsed stream time: more than any sound card's clock drifts (±0.5 % is
 * already extreme). */
#define FLOOR_LEAK 0.01
/* How slowly the target comes down after a spike. */
#define SHRINK_TIME_CONSTANT_MS 2000.0
#define MAX_TARGET_MS 500.0
/* The delay is kept within [target + INSERT_BELOW_MS, target + DROP_ABOVE_MS):
 * wide enough that one block added or removed lands inside, and with room
 * below the target for the drift of a long stretch of speech. */
#define INSERT_BELOW_MS 10.0
#define DROP_ABOVE_MS 35.0
/* Further above the target than this, what waits is stale: the device
 * stopped pulling for a while (its stream moved to another device, the
 * sound server stalled) while packets kept coming. Dropping a quiet block
 * at a time would keep the call seconds late; playout starts again from
 * the newest audio instead. */
#define RESYNC_ABOVE_MS 400.0
/* Quieter than -40 dBFS RMS: silence or background, where a repeated or
 * skipped block cannot be heard. */
#define QUIET_RMS 328
/* A gap longer than this is a jump in the sender's timestamps, not loss. */
#define MAX_GAP_SAMPLES ES_AUDIO_RATE
#define MAX_PACKETS 256
/* Sequence numbers remembered to spot duplicates. */
#define SEEN_BITS 1024
#define BLOCK ES_AUDIO_FRAME_SAMPLES
#define QUEUE_CAPACITY (BLOCK + ES_OPUS_MAX_PACKET_SAMPLES)

typedef struct
{
  guint64 sequence;
  guint64 timestamp;
  guint duration;
  gboolean after_silence;         /* the gap before it was the sender's DTX */
  gsize size;
  guint8 payload[];
} Packet;

typedef struct
{
  double lateness_us;
  gboolean has_fec;
} Arrival;

struct _EsJitterBuffer
{
  GObject parent_instance;

  EsOpusDecoder *decoder;
  GQueue packets;                 /* of Packet, by timestamp */

  /* Sequence numbers and timestamps unwrapped to 64 bits. */
  gboolean have_reference;
  guint64 newest_timestamp;
  guint64 highest_sequence;
  guint64 seen[SEEN_BITS / 64];

  /* Timing: see the top of the file. In doubles, since a peer's timestamps
   * may jump anywhere and times in µs of them would overflow integers. */
  double floor_us;
  guint64 floor_timestamp;
  Arrival window[WINDOW];
  guint window_length;
  guint window_next;
  guint newest_duration;

  /* Playout. */
  gboolean playing;
  guint64 decode_timestamp;       /* of the next sample to decode */
  guint64 gap_start;              /* where the last concealed or rebuilt gap began */
  guint gap_samples;              /* of the gap under way, not yet counted as frames */
  guint stretch;                  /* samples concealed in underruns, not yet matched by a gap */
  gint16 queue[QUEUE_CAPACITY];   /* decoded, not yet pulled */
  guint queued;
  EsJitterBufferPlayout queued_what;  /* what made the queued samples */
  EsJitterBufferPlayout last_what;    /* what made the last ones queued */
  gint16 last_block[BLOCK];
  gboolean last_block_quiet;

  EsJitterBufferStats stats;
};

G_DEFINE_FINAL_TYPE (EsJitterBuffer, es_jitter_buffer, G_TYPE_OBJECT)

static void
es_jitter_buffer_finalize (GObject *object)
{
  EsJitterBuffer *self = ES_JITTER_BUFFER (object);

  g_queue_clear_full (&self->packets, g_free);
  g_clear_object (&self->decoder);

  G_OBJECT_CLASS (es_jitter_buffer_parent_class)->finalize (object);
}

static void
es_jitter_buffer_class_init (EsJitterBufferClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = es_jitter_buffer_finalize;
}

static void
es_jitter_buffer_init (EsJitterBuffer *self)
{
  g_queue_init (&self->packets);
  self->last_block_quiet = TRUE;
}

EsJitterBuffer *
es_jitter_buffer_new (EsOpusDecoder *decoder)
{
  EsJitterBuffer *self;

  g_return_val_if_fail (ES_IS_OPUS_DECODER (decoder), NULL);

  self = g_object_new (ES_TYPE_JITTER_BUFFER, NULL);
  self->decoder = g_object_ref (decoder);
  return self;
}

static double
samples_to_us (guint64 samples)
{
  return samples * ((double) G_USEC_PER_SEC / ES_AUDIO_RATE);
}

static double
samples_to_ms (guint64 samples)
{
  return samples * 1000.0 / ES_AUDIO_RATE;
}

/* Places a 32-bit timestamp next to the newest one seen. Unwrapped values
 * start at 2^32 so that a packet older than the first stays positive. */
static guint64
unwrap_timestamp (EsJitterBuffer *self,
                  guint32         timestamp)
{
  guint64 unwrapped;

  if (!self->have_reference)
    return (guint64) timestamp + G_MAXUINT32 + 1;
  unwrapped = self->newest_timestamp + (gint32) (timestamp - (guint32) self->newest_timestamp);
  return unwrapped;
}

static gboolean
test_and_mark_seen (EsJitterBuffer *self,
                    guint64         sequence)
{
  guint64 bit = 1ull << (sequence % 64);
  guint64 *word = &self->seen[sequence / 64 % G_N_ELEMENTS (self->seen)];
  gboolean was_seen;

  if (!self->have_reference || sequence > self->highest_sequence)
    {
      guint64 first = self->have_reference ? self->highest_sequence + 1 : sequence;

      /* Forget the sequence numbers that the new ones push out. */
      if (sequence - first >= SEEN_BITS)
        memset (self->seen, 0, sizeof self->seen);
      else
        for (guint64 s = first; s != sequence + 1; s++)
          self->seen[s / 64 % G_N_ELEMENTS (self->seen)] &= ~(1ull << (s % 64));
      self->highest_sequence = sequence;
    }
  else if (self->highest_sequence - sequence >= SEEN_BITS)
    return FALSE;  /* too old to tell, and certainly too late */

  was_seen = (*word & bit) != 0;
  *word |= bit;
  return was_seen;
}

/* The 95th percentile of lateness over the window, in µs. */
static double
lateness_percentile (EsJitterBuffer *self)
{
  guint rank = (self->window_length * (100 - PERCENTILE) + 99) / 100;
  double largest[(WINDOW * (100 - PERCENTILE) + 99) / 100] = { 0 };

  /* Keeps the rank largest values, in decreasing order. */
  for (guint i = 0; i < self->window_length; i++)
    {
      double value = self->window[i].lateness_us;
      guint j = rank;

      while (j > 0 && largest[j - 1] < value)
        {
          if (j < rank)
            largest[j] = largest[j - 1];
          j--;
        }
      if (j < rank)
        largest[j] = value;
    }
  return largest[rank - 1];
}

static gboolean
sender_sends_fec (EsJitterBuffer *self)
{
  for (guint i = 0; i < self->window_length; i++)
    if (self->window[i].has_fec)
      return TRUE;
  return FALSE;
}

static void
update_target (EsJitterBuffer *self,
               guint           duration)
{
  double frame_ms = samples_to_ms (self->newest_duration);
  double wanted = lateness_percentile (self) / 1000.0 + frame_ms;

  if (sender_sends_fec (self))
    wanted += frame_ms;
  wanted = MIN (wanted, MAX_TARGET_MS);

  if (wanted >= self->stats.target_delay_ms)
    self->stats.target_delay_ms = wanted;
  else
    self->stats.target_delay_ms += (wanted - self->stats.target_delay_ms) *
                                   MIN (1.0, samples_to_ms (duration) / SHRINK_TIME_CONSTANT_MS);
}

static void
record_arrival (EsJitterBuffer *self,
                guint64         timestamp,
                guint           duration,
                gboolean        has_fec,
                gint64          arrival_us)
{
  guint64 end = timestamp + duration;
  double transit_us = arrival_us - samples_to_us (end);

  if (self->window_length == 0)
    {
      self->floor_us = transit_us;
      self->floor_timestamp = end;
    }
  else if (end > self->floor_timestamp)
    {
      self->floor_us += samples_to_us (end - self->floor_timestamp) * FLOOR_LEAK;
      self->floor_timestamp = end;
    }
  self->floor_us = MIN (self->floor_us, transit_us);
  if (timestamp >= self->newest_timestamp)
    self->newest_duration = duration;

  self->window[self->window_next].lateness_us = transit_us - self->floor_us;
  self->window[self->window_next].has_fec = has_fec;
  self->window_next = (self->window_next + 1) % WINDOW;
  self->window_length = MIN (self->window_length + 1, WINDOW);
  update_target (self, duration);
}

static void
store_packet (EsJitterBuffer *self,
              guint64         sequence,
              guint64         timestamp,
              guint           duration,
              gboolean        after_silence,
              const guint8   *payload,
              gsize           size)
{
  Packet *packet = g_malloc (sizeof (Packet) + size);
  GList *after = self->packets.tail;

  packet->sequence = sequence;
  packet->timestamp = timestamp;
  packet->duration = duration;
  packet->after_silence = after_silence;
  packet->size = size;
  memcpy (packet->payload, payload, size);

  /* Packets come mostly in order: look from the newest end. */
  while (after != NULL && ((Packet *) after->data)->timestamp > timestamp)
    after = after->prev;
  if (after == NULL)
    g_queue_push_head (&self->packets, packet);
  else
    g_queue_insert_after (&self->packets, after, packet);
}

EsJitterBufferInsertResult
es_jitter_buffer_insert_with_flags (EsJitterBuffer           *self,
                                    guint64                   sequence,
                                    guint32                   timestamp,
                                    EsJitterBufferPacketFlags flags,
                                    const guint8             *payload,
                                    gsize                     size,
                                    gint64                    arrival_us)
{
  gboolean after_silence = (flags & ES_JITTER_BUFFER_PACKET_AFTER_SILENCE) != 0;
  gboolean recoverable = (flags & ES_JITTER_BUFFER_PACKET_COPY_FOLLOWS) != 0 ||
                         es_opus_packet_has_fec (payload, size);
  gint duration;
  guint64 unwrapped;

  g_return_val_if_fail (ES_IS_JITTER_BUFFER (self), ES_JITTER_BUFFER_INVALID);
  g_return_val_if_fail (payload != NULL || size == 0, ES_JITTER_BUFFER_INVALID);

  duration = es_opus_packet_get_samples (payload, size);
  if (duration < 0)
    return ES_JITTER_BUFFER_INVALID;
  if (test_and_mark_seen (self, sequence))
    {
      self->stats.duplicates++;
      return ES_JITTER_BUFFER_DUPLICATE;
    }

  unwrapped = unwrap_timestamp (self, timestamp);
  /* A late packet is news about the jitter too. */
  record_arrival (self, unwrapped, (guint) duration, recoverable,
                  arrival_us);
  if (!self->have_reference || unwrapped > self->newest_timestamp)
    self->newest_timestamp = unwrapped;
  self->have_reference = TRUE;

  if (self->playing && unwrapped < self->decode_timestamp)
    {
      self->stats.late++;
      /* Its place was counted lost when the gap was filled. */
      if (unwrapped >= self->gap_start && self->stats.lost > 0)
        self->stats.lost--;
      return ES_JITTER_BUFFER_LATE;
    }
  if (g_queue_get_length (&self->packets) >= MAX_PACKETS)
    return ES_JITTER_BUFFER_OVERFLOW;

  store_packet (self, sequence, unwrapped, (guint) duration, after_silence, payload, size);
  self->stats.received++;
  return ES_JITTER_BUFFER_ACCEPTED;
}

EsJitterBufferInsertResult
es_jitter_buffer_insert (EsJitterBuffer *self,
                         guint64         sequence,
                         guint32         timestamp,
                         const guint8   *payload,
                         gsize           size,
                         gint64          arrival_us)
{
  return es_jitter_buffer_insert_with_flags (self, sequence, timestamp,
                                             ES_JITTER_BUFFER_PACKET_NONE, payload, size,
                                             arrival_us);
}

/* How long after the floor the next sample to pull plays, in ms. */
static double
delay_ms (EsJitterBuffer *self,
          gint64          now_us)
{
  /* Concealment in an underrun (stretch) played in place of audio that is
   * skipped when it comes: it counts as played, or DTX silence would look
   * like a delay growing by a block at every pull. */
  double position_us = samples_to_us (self->decode_timestamp + self->stretch) -
                       samples_to_us (self->queued);

  return (now_us - position_us - self->floor_us) / 1000.0;
}

static gboolean
is_quiet (const gint16 *block)
{
  gint64 energy = 0;

  for (guint i = 0; i < BLOCK; i++)
    energy += (gint32) block[i] * block[i];
  return energy < (gint64) QUIET_RMS * QUIET_RMS * BLOCK;
}

/* Loss is counted by timestamp, not by sequence number: frames of other
 * kinds (quality reports) share the sequence, and a gap in the audio's
 * timeline is what was lost. */
static void
count_lost (EsJitterBuffer *self,
            guint           samples,
            guint           frame_duration)
{
  self->gap_samples += samples;
  while (frame_duration > 0 && self->gap_samples >= frame_duration)
    {
      self->stats.lost++;
      self->gap_samples -= frame_duration;
    }
}

static void
conceal (EsJitterBuffer *self,
         guint           n_samples)
{
  es_opus_decoder_conceal (self->decoder, self->queue + self->queued, n_samples);
  self->queued += n_samples;
  self->stats.concealed_ms += samples_to_ms (n_samples);
}

static EsJitterBufferPlayout
decode_head (EsJitterBuffer *self)
{
  g_autofree Packet *packet = g_queue_pop_head (&self->packets);
  EsJitterBufferPlayout what = ES_JITTER_BUFFER_DECODED;
  gint n;

  n = es_opus_decoder_decode (self->decoder, packet->payload, packet->size,
                              self->queue + self->queued, QUEUE_CAPACITY - self->queued, NULL);
  if (n == (gint) packet->duration)
    self->queued += packet->duration;
  else
    {
      conceal (self, packet->duration);
      what = ES_JITTER_BUFFER_CONCEALED;
    }
  self->decode_timestamp += packet->duration;
  self->stretch = 0;
  self->gap_samples = 0;
  return what;
}

/* The packet at the head comes after a gap: skip what underruns already
 * concealed, then rebuild or conceal the rest one piece at a time. */
static EsJitterBufferPlayout
fill_gap (EsJitterBuffer *self,
          Packet         *next)
{
  guint64 gap = next->timestamp - self->decode_timestamp;
  guint64 skip = MIN (gap, self->stretch);
  guint piece;

  self->stretch -= skip;
  if (self->gap_samples == 0)
    self->gap_start = self->decode_timestamp;
  if (next->after_silence)
    {
      /* What underruns concealed was the sender's silence after all. */
      self->stats.concealed_ms -= samples_to_ms (skip);
      self->stats.silence_ms += samples_to_ms (skip);
    }
  else
    {
      /* What underruns already concealed was a gap too. */
      count_lost (self, (guint) skip, next->duration);
    }
  gap -= skip;
  piece = gap > next->duration ? MIN (gap - next->duration, BLOCK) : MIN (gap, BLOCK);
  piece -= piece % ES_OPUS_SAMPLES_STEP;
  if (gap > MAX_GAP_SAMPLES || piece == 0)
    {
      self->decode_timestamp = next->timestamp;
      return 0;
    }
  self->decode_timestamp += skip;

  if (gap == next->duration)
    {
      /* What FEC cannot rebuild, recover() conceals. */
      gboolean recovered = es_opus_decoder_recover (self->decoder, next->payload, next->size,
                                                    self->queue + self->queued, (guint) gap);

      self->queued += gap;
      self->decode_timestamp += gap;
      if (next->after_silence)
        {
          self->stats.silence_ms += samples_to_ms (gap);
          return ES_JITTER_BUFFER_CONCEALED;
        }
      count_lost (self, (guint) gap, next->duration);
      if (recovered)
        self->stats.recovered_ms += samples_to_ms (gap);
      else
        self->stats.concealed_ms += samples_to_ms (gap);
      return recovered ? ES_JITTER_BUFFER_RECOVERED : ES_JITTER_BUFFER_CONCEALED;
    }
  conceal (self, piece);
  self->decode_timestamp += piece;
  if (next->after_silence)
    {
      self->stats.concealed_ms -= samples_to_ms (piece);
      self->stats.silence_ms += samples_to_ms (piece);
    }
  else
    count_lost (self, piece, next->duration);
  return ES_JITTER_BUFFER_CONCEALED;
}

/* Nothing to play: conceal the rest of the block without advancing. */
static EsJitterBufferPlayout
conceal_underrun (EsJitterBuffer *self)
{
  guint n = BLOCK - self->queued;

  conceal (self, n);
  self->stretch += n;
  return ES_JITTER_BUFFER_CONCEALED;
}

/* Decodes, rebuilds or conceals until a whole block is queued. */
static void
fill_block (EsJitterBuffer *self)
{
  while (self->queued < BLOCK)
    {
      Packet *head = g_queue_peek_head (&self->packets);
      EsJitterBufferPlayout what = 0;

      if (head != NULL && head->timestamp < self->decode_timestamp)
        {
          /* Overlaps audio already played (timestamps that do not line up). */
          g_free (g_queue_pop_head (&self->packets));
          self->stats.late++;
        }
      else if (head == NULL)
        what = conceal_underrun (self);
      else if (head->timestamp == self->decode_timestamp)
        what = decode_head (self);
      else
        what = fill_gap (self, head);

      if (what != 0)
        self->last_what = what;
      self->queued_what |= what;
    }
}

/* Takes the block at the head of the queue (into @pcm unless NULL). What
 * stays queued was made by the last step of fill_block(), since that step
 * took the queue past one block. */
static void
take_block (EsJitterBuffer *self,
            gint16         *pcm)
{
  if (pcm != NULL)
    memcpy (pcm, self->queue, sizeof (gint16) * BLOCK);
  self->queued -= BLOCK;
  memmove (self->queue, self->queue + BLOCK, sizeof (gint16) * self->queued);
  self->queued_what = self->queued > 0 ? self->last_what : 0;
}

static gboolean
start_playing (EsJitterBuffer *self,
               gint64          now_us)
{
  Packet *head = g_queue_peek_head (&self->packets);

  if (head == NULL)
    return FALSE;
  self->decode_timestamp = head->timestamp;
  self->playing = delay_ms (self, now_us) >= self->stats.target_delay_ms + INSERT_BELOW_MS;
  return self->playing;
}

/* Whether a second block can follow a dropped one without an underrun. */
static gboolean
can_drop_block (EsJitterBuffer *self)
{
  Packet *head = g_queue_peek_head (&self->packets);

  return self->queued >= 2 * BLOCK ||
         (head != NULL && head->timestamp == self->decode_timestamp);
}

/* Drops what is too old to play within the target and waits for the
 * delay to come back to it, as at the start of a call. */
static void
resync (EsJitterBuffer *self,
        gint64          now_us)
{
  double target_us = self->stats.target_delay_ms * 1000.0;
  Packet *head;

  while ((head = g_queue_peek_head (&self->packets)) != NULL &&
         now_us - samples_to_us (head->timestamp) - self->floor_us > target_us)
    {
      self->stats.dropped_ms += samples_to_ms (head->duration);
      g_free (g_queue_pop_head (&self->packets));
    }
  self->stats.dropped_ms += samples_to_ms (self->queued);
  self->queued = 0;
  self->stretch = 0;
  self->gap_samples = 0;
  self->playing = FALSE;
}

EsJitterBufferPlayout
es_jitter_buffer_pull (EsJitterBuffer *self,
                       gint16         *pcm,
                       gint64          now_us)
{
  EsJitterBufferPlayout what;
  EsJitterBufferPlayout adjustment = 0;
  double target;

  g_return_val_if_fail (ES_IS_JITTER_BUFFER (self), ES_JITTER_BUFFER_WAITING);
  g_return_val_if_fail (pcm != NULL, ES_JITTER_BUFFER_WAITING);

  if (self->playing && delay_ms (self, now_us) > self->stats.target_delay_ms + RESYNC_ABOVE_MS)
    resync (self, now_us);
  if (!self->playing && !start_playing (self, now_us))
    {
      memset (pcm, 0, sizeof (gint16) * BLOCK);
      return ES_JITTER_BUFFER_WAITING;
    }

  target = self->stats.target_delay_ms;
  self->stats.current_delay_ms = delay_ms (self, now_us);
  fill_block (self);

  if (self->last_block_quiet && is_quiet (self->queue))
    {
      if (self->stats.current_delay_ms >= target + DROP_ABOVE_MS && can_drop_block (self))
        {
          take_block (self, NULL);
          fill_block (self);
          self->stats.dropped_ms += samples_to_ms (BLOCK);
          adjustment = ES_JITTER_BUFFER_DROPPED;
        }
      else if (self->stats.current_delay_ms < target + INSERT_BELOW_MS)
        {
          /* The queued block waits for the next pull. */
          memcpy (pcm, self->last_block, sizeof self->last_block);
          self->stats.inserted_ms += samples_to_ms (BLOCK);
          return ES_JITTER_BUFFER_INSERTED;
        }
    }

  what = self->queued_what | adjustment;
  take_block (self, pcm);
  memcpy (self->last_block, pcm, sizeof self->last_block);
  self->last_block_quiet = is_quiet (pcm);
  return what;
}

void
es_jitter_buffer_get_stats (EsJitterBuffer      *self,
                            EsJitterBufferStats *stats)
{
  g_return_if_fail (ES_IS_JITTER_BUFFER (self));
  g_return_if_fail (stats != NULL);

  *stats = self->stats;
}
