/* es-media-session.c
 *
 * Two threads meet here. The audio backend's thread (PipeWire's real-time
 * thread, or the main context for WAV files) captures and encodes, and pulls
 * playout from the jitter buffer; the main context, which owns the QUIC
 * connections and the ciphers, seals and sends, and opens what arrives.
 * Packets cross between them through two lock-free rings, so the audio
 * thread never waits for the network (DESIGN §3).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsMediaSession"

#include "es-media-session.h"

#include <glib-unix.h>
#include <math.h>

#include "es-adaptive-quality.h"
#include "es-byte-order.h"
#include "es-json.h"
#include "es-opus-packet.h"
#include "es-opus-packetizer.h"
#include "es-packet-ring.h"

/* Where a call starts: Opus at 24 kbit/s in 20 ms frames; the peer's
 * reports move it from there. */
#define INITIAL_TIER 3
#define FIXED_BITRATE 24000
/* About a second of audio each way: room for a stalled thread to catch up. */
#define RING_CAPACITY 64
/* Redundancy: one byte saying how far back the copied frame was sent, and
 * its two-byte length (docs/protocol.md §4). */
#define REDUNDANCY_HEADER 3
/* Tests only: a shorter ratchet step, so that a call outlives several. */
#define RATCHET_VARIABLE "EARSHOT_RATCHET_INTERVAL"
/* Loss is estimated over the peer's last reports until they cover this
 * many packets: one second of 60 ms packets is too few to tell 5 % from 15 %. */
#define LOSS_REPORTS 5
#define LOSS_MIN_PACKETS 100

struct _EsMediaSession
{
  GObject parent_instance;

  EsMediaCipher *sealer;
  EsMediaCipher *opener;
  EsMediaSendFunc send;
  gpointer send_data;
  EsAudioBackend *audio;
  GSource *outgoing_source;

  /* Set by the main context, read by the audio thread. */
  gint muted;
  gint requested_tier;
  gint expected_loss;

  /* Audio thread only. */
  EsOpusPacketizer *packetizer;
  EsJitterBuffer *jitter_buffer;
  guint32 capture_timestamp;

  EsPacketRing *outgoing;     /* encoded frames: audio thread → main context */
  EsPacketRing *incoming;     /* opened frames: main context → audio thread */

  /* Written by the audio thread when it can take the lock without waiting. */
  GMutex playout_lock;
  EsJitterBufferStats playout;

  /* Main context only. */
  EsAdaptiveQuality *quality;
  gboolean fixed_quality;
  double own_rtt_ms;
  gboolean have_audio_sequence;
  guint64 last_audio_sequence;
  guint64 loss_runs;
  guint64 lost_in_runs;
  double last_burst;
  guint64 last_expected;
  guint64 last_received;
  /* The peer's last reports, for a loss estimate over enough packets. */
  guint64 report_expected[LOSS_REPORTS];
  guint64 report_received[LOSS_REPORTS];
  guint n_reports;
  guint64 frames_sent;
  guint64 frames_received;
  gboolean have_sequence;
  guint64 highest_sequence;
  guint64 window_first_sequence;
  guint64 window_received;
  guint64 window_bytes;
  gint64 window_start_us;
  double transit_ms;
  double jitter_ms;
  gint64 last_receive_us;
  double last_loss_pct;
  double last_bitrate_kbps;
  EsQualityReport peer_report;
};

G_DEFINE_FINAL_TYPE (EsMediaSession, es_media_session, G_TYPE_OBJECT)

enum {
  QUALITY_REPORT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
es_media_session_dispose (GObject *object)
{
  EsMediaSession *self = ES_MEDIA_SESSION (object);

  es_media_session_stop (self);

  G_OBJECT_CLASS (es_media_session_parent_class)->dispose (object);
}

static void
es_media_session_finalize (GObject *object)
{
  EsMediaSession *self = ES_MEDIA_SESSION (object);

  g_clear_object (&self->sealer);
  g_clear_object (&self->opener);
  g_clear_object (&self->packetizer);
  g_clear_object (&self->jitter_buffer);
  g_clear_object (&self->quality);
  es_packet_ring_free (self->outgoing);
  es_packet_ring_free (self->incoming);
  g_mutex_clear (&self->playout_lock);
  G_OBJECT_CLASS (es_media_session_parent_class)->finalize (object);
}

static void
es_media_session_class_init (EsMediaSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = es_media_session_dispose;
  object_class->finalize = es_media_session_finalize;

  signals[QUALITY_REPORT] =
    g_signal_new ("quality-report", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
}

static void
es_media_session_init (EsMediaSession *self)
{
  g_autoptr(EsOpusDecoder) decoder = es_opus_decoder_new ();

  g_mutex_init (&self->playout_lock);
  self->outgoing = es_packet_ring_new (RING_CAPACITY, TRUE);
  self->incoming = es_packet_ring_new (RING_CAPACITY, FALSE);
  /* Benchmarks only: EARSHOT_QUALITY=fixed is issue 4's one tier, the
   * baseline the adaptive engine is measured against. */
  self->fixed_quality = g_strcmp0 (g_getenv ("EARSHOT_QUALITY"), "fixed") == 0;
  if (self->fixed_quality)
    self->packetizer = es_opus_packetizer_new_fixed (FIXED_BITRATE);
  else
    self->packetizer = es_opus_packetizer_new (INITIAL_TIER);
  self->quality = es_adaptive_quality_new (INITIAL_TIER);
  self->requested_tier = INITIAL_TIER;
  self->jitter_buffer = es_jitter_buffer_new (decoder);
}

EsMediaSession *
es_media_session_new (EsMediaCipher   *sealer,
                      EsMediaCipher   *opener,
                      EsMediaSendFunc  send,
                      gpointer         user_data)
{
  EsMediaSession *self = g_object_new (ES_TYPE_MEDIA_SESSION, NULL);

  const char *ratchet = g_getenv (RATCHET_VARIABLE);

  self->sealer = g_object_ref (sealer);
  self->opener = g_object_ref (opener);
  self->send = send;
  self->send_data = user_data;
  if (ratchet != NULL && g_ascii_strtoull (ratchet, NULL, 10) > 0)
    {
      es_media_cipher_set_ratchet_interval (sealer, g_ascii_strtoull (ratchet, NULL, 10));
      es_media_cipher_set_ratchet_interval (opener, g_ascii_strtoull (ratchet, NULL, 10));
    }
  return self;
}

/* ---- Audio thread -------------------------------------------------------- */

static void
on_capture (const gint16 *frame,
            gint64        time_us,
            gpointer      data)
{
  static const gint16 silence[ES_AUDIO_FRAME_SAMPLES];
  EsMediaSession *self = data;
  guint tier = (guint) g_atomic_int_get (&self->requested_tier);
  EsPacket packet;

  es_opus_packetizer_set_tier (self->packetizer, tier,
                               (guint) g_atomic_int_get (&self->expected_loss));
  /* Muted, the encoder hears silence, and DTX sends almost nothing. */
  if (g_atomic_int_get (&self->muted))
    frame = silence;
  if (es_opus_packetizer_push (self->packetizer, frame, self->capture_timestamp, &packet))
    {
      packet.time_us = time_us;
      packet.sequence = 0;
      es_packet_ring_push (self->outgoing, &packet);
    }
  self->capture_timestamp += ES_AUDIO_FRAME_SAMPLES;
}

static void
on_playback (gint16  *frame,
             gint64   time_us,
             gpointer data)
{
  EsMediaSession *self = data;
  EsPacket packet;

  while (es_packet_ring_pop (self->incoming, &packet))
    {
      EsJitterBufferPacketFlags flags = ES_JITTER_BUFFER_PACKET_NONE;

      if (packet.flags & ES_MEDIA_FRAME_FLAG_AFTER_SILENCE)
        flags |= ES_JITTER_BUFFER_PACKET_AFTER_SILENCE;
      if (packet.flags & ES_MEDIA_FRAME_FLAG_REDUNDANCY)
        flags |= ES_JITTER_BUFFER_PACKET_COPY_FOLLOWS;
      es_jitter_buffer_insert_with_flags (self->jitter_buffer, packet.sequence, packet.timestamp,
                                          flags, packet.data, packet.length, packet.time_us);
    }
  es_jitter_buffer_pull (self->jitter_buffer, frame, time_us);

  if (g_mutex_trylock (&self->playout_lock))
    {
      es_jitter_buffer_get_stats (self->jitter_buffer, &self->playout);
      g_mutex_unlock (&self->playout_lock);
    }
}

/* ---- Main context: sending ----------------------------------------------- */

static void
seal_and_send (EsMediaSession    *self,
               EsMediaFrameKind   kind,
               guint32            timestamp,
               guint              tier,
               EsMediaFrameFlags  flags,
               const guint8      *payload,
               gsize              length)
{
  g_autoptr(GBytes) frame = es_media_cipher_seal (self->sealer, kind, timestamp, (guint8) tier,
                                                  flags, payload, length);

  if (frame == NULL)
    return;
  if (self->send (g_bytes_get_data (frame, NULL), g_bytes_get_size (frame), self->send_data))
    self->frames_sent++;
}

/* With redundancy, the payload says how many sequence numbers back the
 * copied frame went, so that the receiver files the copy under the very
 * number the original had (and drops it if the original came). */
static void
send_audio (EsMediaSession *self,
            const EsPacket *packet)
{
  guint64 sequence = es_media_cipher_get_next_sequence (self->sealer);
  guint64 back = self->have_audio_sequence ? sequence - self->last_audio_sequence : 0;
  EsMediaFrameFlags flags = packet->flags;
  guint8 payload[REDUNDANCY_HEADER + ES_PACKET_MAX_PAYLOAD];
  gsize length = 0;

  if ((flags & ES_MEDIA_FRAME_FLAG_REDUNDANCY) && back >= 1 && back <= G_MAXUINT8)
    {
      payload[0] = (guint8) back;
      es_write_be16 (payload + 1, packet->redundant_length);
      length = REDUNDANCY_HEADER;
      memcpy (payload + length, packet->data, packet->length);
      length += packet->length;
    }
  else
    {
      flags &= ~ES_MEDIA_FRAME_FLAG_REDUNDANCY;
      length = packet->length - packet->redundant_length;
      memcpy (payload, packet->data + packet->redundant_length, length);
    }

  self->have_audio_sequence = TRUE;
  self->last_audio_sequence = sequence;
  seal_and_send (self, ES_MEDIA_FRAME_AUDIO, packet->timestamp, packet->tier, flags, payload,
                 length);
}

static gboolean
on_outgoing_ready (int          fd,
                   GIOCondition condition,
                   gpointer     data)
{
  EsMediaSession *self = data;
  EsPacket packet;

  es_packet_ring_acknowledge (self->outgoing);
  while (es_packet_ring_pop (self->outgoing, &packet))
    send_audio (self, &packet);
  return G_SOURCE_CONTINUE;
}

void
es_media_session_send_report (EsMediaSession *self,
                              double          rtt_ms)
{
  g_autoptr(JsonObject) report = json_object_new ();
  g_autofree char *text = NULL;

  json_object_set_double_member (report, "loss", self->last_loss_pct);
  json_object_set_double_member (report, "jitter_ms", self->jitter_ms);
  json_object_set_double_member (report, "rtt_ms", rtt_ms);
  json_object_set_double_member (report, "kbps", self->last_bitrate_kbps);
  json_object_set_double_member (report, "burst", self->last_burst);
  json_object_set_int_member (report, "expected", (gint64) self->last_expected);
  json_object_set_int_member (report, "received", (gint64) self->last_received);
  json_object_set_int_member (report, "seq", (gint64) self->highest_sequence);
  text = es_json_to_string (report);
  self->own_rtt_ms = rtt_ms;
  seal_and_send (self, ES_MEDIA_FRAME_QUALITY_REPORT, 0, g_atomic_int_get (&self->requested_tier),
                 ES_MEDIA_FRAME_FLAG_NONE, (const guint8 *) text, strlen (text));
}

/* ---- Main context: receiving --------------------------------------------- */

/* RFC 3550 §6.4.1: a smoothed mean deviation of the transit time. */
static void
update_jitter (EsMediaSession *self,
               guint32         timestamp,
               gint64          arrival_us)
{
  double transit = (double) arrival_us / 1000.0 - (double) timestamp / (ES_AUDIO_RATE / 1000);

  if (self->frames_received > 1)
    self->jitter_ms += (fabs (transit - self->transit_ms) - self->jitter_ms) / 16.0;
  self->transit_ms = transit;
}

static void
queue_for_playout (EsMediaSession *self,
                   guint64         sequence,
                   guint32         timestamp,
                   guint8          flags,
                   const guint8   *opus,
                   gsize           length,
                   gint64          now_us)
{
  EsPacket packet;

  packet.sequence = sequence;
  packet.timestamp = timestamp;
  packet.time_us = now_us;
  packet.flags = flags;
  packet.redundant_length = 0;
  packet.length = (guint16) length;
  memcpy (packet.data, opus, length);
  es_packet_ring_push (self->incoming, &packet);
}

/* [back][length][previous packet][current packet]: the previous one goes to
 * the jitter buffer first, under its own sequence number and time, where it
 * fills a gap or is dropped as a duplicate. */
static gboolean
queue_redundant_copy (EsMediaSession           *self,
                      const EsMediaFrameHeader *header,
                      const guint8             *data,
                      gsize                    *length,
                      const guint8            **current,
                      gint64                    now_us)
{
  guint back;
  gsize copy_length;
  gint copy_samples;

  if (*length < REDUNDANCY_HEADER)
    return FALSE;
  back = data[0];
  copy_length = es_read_be16 (data + 1);
  if (back == 0 || back > header->sequence || copy_length == 0 ||
      copy_length > *length - REDUNDANCY_HEADER)
    return FALSE;
  copy_samples = es_opus_packet_get_samples (data + REDUNDANCY_HEADER, copy_length);
  if (copy_samples <= 0)
    return FALSE;
  queue_for_playout (self, header->sequence - back, header->timestamp - (guint32) copy_samples, 0,
                     data + REDUNDANCY_HEADER, copy_length, now_us);
  *current = data + REDUNDANCY_HEADER + copy_length;
  *length -= REDUNDANCY_HEADER + copy_length;
  return TRUE;
}

static void
receive_audio (EsMediaSession           *self,
               const EsMediaFrameHeader *header,
               GBytes                   *payload,
               gint64                    now_us)
{
  gsize length = g_bytes_get_size (payload);
  const guint8 *data = g_bytes_get_data (payload, NULL);
  const guint8 *current = data;

  if (length > ES_PACKET_MAX_PAYLOAD)
    return;
  if ((header->flags & ES_MEDIA_FRAME_FLAG_REDUNDANCY) &&
      !queue_redundant_copy (self, header, data, &length, &current, now_us))
    return;   /* authenticated but malformed: the peer's bug, not worth playing */
  self->frames_received++;
  self->window_bytes += g_bytes_get_size (payload);
  update_jitter (self, header->timestamp, now_us);
  queue_for_playout (self, header->sequence, header->timestamp, header->flags, current, length,
                     now_us);
}

static gboolean
read_number (JsonObject *report,
             const char *member,
             double     *value)
{
  JsonNode *node = json_object_get_member (report, member);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      (json_node_get_value_type (node) != G_TYPE_DOUBLE &&
       json_node_get_value_type (node) != G_TYPE_INT64))
    return FALSE;
  *value = json_node_get_double (node);
  return isfinite (*value) && *value >= 0;
}

/* The peer says how our audio arrives; our tier follows (the audio thread
 * applies it at the next packet boundary). */
/* The loss over the peer's last reports, back until they cover enough
 * packets to mean something; the newest report alone when it lacks counts. */
static double
windowed_loss (EsMediaSession        *self,
               const EsQualityReport *report)
{
  guint64 expected = 0, received = 0;

  if (report->expected <= 0)
    return report->loss_pct;
  self->report_expected[self->n_reports % LOSS_REPORTS] = (guint64) report->expected;
  self->report_received[self->n_reports % LOSS_REPORTS] =
    MIN ((guint64) report->received, (guint64) report->expected);
  self->n_reports++;
  for (guint i = 0; i < MIN (self->n_reports, LOSS_REPORTS) && expected < LOSS_MIN_PACKETS; i++)
    {
      guint slot = (self->n_reports - 1 - i) % LOSS_REPORTS;

      expected += self->report_expected[slot];
      received += self->report_received[slot];
    }
  return 100.0 * (double) (expected - received) / (double) expected;
}

static void
adapt (EsMediaSession        *self,
       const EsQualityReport *report)
{
  EsQualityInput input;
  guint tier;

  if (self->fixed_quality)
    return;
  input = (EsQualityInput) {
    .loss_pct = windowed_loss (self, report),
    .jitter_ms = report->jitter_ms,
    .rtt_ms = self->own_rtt_ms + report->rtt_ms,
    .bursty = report->burst >= 2.0,
  };
  tier = es_adaptive_quality_update (self->quality, &input);

  g_atomic_int_set (&self->requested_tier, (gint) tier);
  g_atomic_int_set (&self->expected_loss, (gint) es_adaptive_quality_get_expected_loss (self->quality));
}

static void
receive_report (EsMediaSession *self,
                GBytes         *payload)
{
  gsize length = 0;
  const char *text = g_bytes_get_data (payload, &length);
  g_autoptr(JsonObject) object = es_json_from_string (text, (gssize) length, NULL);
  EsQualityReport report = { .valid = TRUE };

  /* Authenticated, so from the peer; still checked, as any input is. */
  if (object == NULL ||
      !read_number (object, "loss", &report.loss_pct) ||
      !read_number (object, "jitter_ms", &report.jitter_ms) ||
      !read_number (object, "rtt_ms", &report.rtt_ms) ||
      !read_number (object, "kbps", &report.kbps))
    return;
  read_number (object, "burst", &report.burst);
  read_number (object, "expected", &report.expected);
  read_number (object, "received", &report.received);
  self->peer_report = report;
  adapt (self, &report);
  g_signal_emit (self, signals[QUALITY_REPORT], 0, &self->peer_report);
}

/* Every kind of frame takes a number from one sequence per direction, so
 * loss is counted over all of them. */
static void
count_sequence (EsMediaSession *self,
                guint64         sequence)
{
  self->window_received++;
  if (!self->have_sequence)
    {
      self->have_sequence = TRUE;
      self->window_first_sequence = sequence;
      self->highest_sequence = sequence;
    }
  if (sequence > self->highest_sequence + 1)
    {
      /* A run of missing numbers (or reordering, which the next few frames
       * undo): burstiness is the mean length of these runs. */
      self->loss_runs++;
      self->lost_in_runs += sequence - self->highest_sequence - 1;
    }
  self->highest_sequence = MAX (self->highest_sequence, sequence);
}

void
es_media_session_receive (EsMediaSession *self,
                          const guint8   *frame,
                          gsize           length)
{
  g_autoptr(GBytes) payload = NULL;
  EsMediaFrameHeader header;
  gint64 now_us = g_get_monotonic_time ();

  payload = es_media_cipher_open (self->opener, frame, length, &header, NULL);
  if (payload == NULL)
    return;   /* counted by the cipher, by reason */
  self->last_receive_us = now_us;
  count_sequence (self, header.sequence);
  if (header.kind == ES_MEDIA_FRAME_AUDIO)
    receive_audio (self, &header, payload, now_us);
  else if (header.kind == ES_MEDIA_FRAME_QUALITY_REPORT)
    receive_report (self, payload);
}

gint64
es_media_session_get_last_receive_us (EsMediaSession *self)
{
  return self->last_receive_us;
}

/* ---- Statistics ---------------------------------------------------------- */

void
es_media_session_sample_stats (EsMediaSession *self,
                               EsMediaStats   *stats)
{
  gint64 now_us = g_get_monotonic_time ();
  double seconds = self->window_start_us != 0 ? (now_us - self->window_start_us) / 1e6 : 1.0;
  guint64 expected = self->have_sequence
                       ? self->highest_sequence - self->window_first_sequence + 1 : 0;
  EsMediaCipherStats cipher;

  /* Loss over the window just ended, not since the call began, so that the
   * figure says how the network is now. */
  self->last_expected = expected;
  self->last_received = MIN (self->window_received, expected);
  if (self->window_received > 0 || expected > 0)
    self->last_loss_pct = expected > self->window_received
                            ? 100.0 * (double) (expected - self->window_received) / (double) expected
                            : 0.0;
  self->last_bitrate_kbps = seconds > 0 ? self->window_bytes * 8.0 / 1000.0 / seconds : 0;
  self->last_burst = self->loss_runs > 0 ? (double) self->lost_in_runs / self->loss_runs : 0;

  stats->tier = (guint) g_atomic_int_get (&self->requested_tier);
  stats->loss_pct = self->last_loss_pct;
  stats->jitter_ms = self->jitter_ms;
  stats->bitrate_kbps = self->last_bitrate_kbps;
  stats->frames_sent = self->frames_sent;
  stats->frames_received = self->frames_received;
  es_media_cipher_get_stats (self->opener, &cipher);
  stats->frames_duplicate = cipher.replayed;
  stats->frames_rejected = cipher.failed_authentication + cipher.malformed;
  stats->peer_report = self->peer_report;
  g_mutex_lock (&self->playout_lock);
  stats->playout = self->playout;
  g_mutex_unlock (&self->playout_lock);

  self->window_first_sequence = self->highest_sequence + 1;
  self->window_received = 0;
  self->window_bytes = 0;
  self->loss_runs = 0;
  self->lost_in_runs = 0;
  self->window_start_us = now_us;
}

/* ---- Life ---------------------------------------------------------------- */

gboolean
es_media_session_start (EsMediaSession  *self,
                        EsAudioBackend  *audio,
                        GError         **error)
{
  g_return_val_if_fail (self->audio == NULL, FALSE);

  if (!es_audio_backend_start (audio, on_capture, on_playback, self, error))
    return FALSE;
  self->audio = g_object_ref (audio);
  self->window_start_us = g_get_monotonic_time ();
  self->outgoing_source = g_unix_fd_source_new (es_packet_ring_get_fd (self->outgoing), G_IO_IN);
  g_source_set_callback (self->outgoing_source, G_SOURCE_FUNC (on_outgoing_ready), self, NULL);
  g_source_attach (self->outgoing_source, g_main_context_get_thread_default ());
  return TRUE;
}

void
es_media_session_set_muted (EsMediaSession *self,
                            gboolean        muted)
{
  g_atomic_int_set (&self->muted, !!muted);
}

void
es_media_session_stop (EsMediaSession *self)
{
  if (self->audio != NULL)
    es_audio_backend_stop (self->audio);
  g_clear_object (&self->audio);
  if (self->outgoing_source != NULL)
    g_source_destroy (self->outgoing_source);
  g_clear_pointer (&self->outgoing_source, g_source_unref);
}
