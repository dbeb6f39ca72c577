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

#include "es-json.h"
#include "es-opus-encoder.h"
#include "es-packet-ring.h"

/* Issue 4's one fixed tier: Opus at 24 kbit/s in 20 ms frames. */
#define FIXED_TIER 3
#define FIXED_BITRATE 24000
/* About a second of audio each way: room for a stalled thread to catch up. */
#define RING_CAPACITY 64

struct _EsMediaSession
{
  GObject parent_instance;

  EsMediaCipher *sealer;
  EsMediaCipher *opener;
  EsMediaSendFunc send;
  gpointer send_data;
  EsAudioBackend *audio;
  GSource *outgoing_source;

  /* Audio thread only. */
  EsOpusEncoder *encoder;
  EsJitterBuffer *jitter_buffer;
  guint32 capture_timestamp;

  EsPacketRing *outgoing;     /* encoded frames: audio thread → main context */
  EsPacketRing *incoming;     /* opened frames: main context → audio thread */

  /* Written by the audio thread when it can take the lock without waiting. */
  GMutex playout_lock;
  EsJitterBufferStats playout;

  /* Main context only. */
  guint64 frames_sent;
  guint64 frames_received;
  guint64 frames_rejected;
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
  g_clear_object (&self->encoder);
  g_clear_object (&self->jitter_buffer);
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
  self->encoder = es_opus_encoder_new ();
  es_opus_encoder_set_bitrate (self->encoder, FIXED_BITRATE);
  es_opus_encoder_set_frame_ms (self->encoder, ES_AUDIO_FRAME_MS);
  self->jitter_buffer = es_jitter_buffer_new (decoder);
}

EsMediaSession *
es_media_session_new (EsMediaCipher   *sealer,
                      EsMediaCipher   *opener,
                      EsMediaSendFunc  send,
                      gpointer         user_data)
{
  EsMediaSession *self = g_object_new (ES_TYPE_MEDIA_SESSION, NULL);

  self->sealer = g_object_ref (sealer);
  self->opener = g_object_ref (opener);
  self->send = send;
  self->send_data = user_data;
  return self;
}

/* ---- Audio thread -------------------------------------------------------- */

static void
on_capture (const gint16 *frame,
            gint64        time_us,
            gpointer      data)
{
  EsMediaSession *self = data;
  EsPacket packet;
  gssize size;

  size = es_opus_encoder_encode (self->encoder, frame, packet.data, sizeof packet.data, NULL);
  packet.timestamp = self->capture_timestamp;
  self->capture_timestamp += ES_AUDIO_FRAME_SAMPLES;
  if (size <= 0)
    return;
  packet.length = (guint16) size;
  packet.time_us = time_us;
  packet.sequence = 0;
  es_packet_ring_push (self->outgoing, &packet);
}

static void
on_playback (gint16  *frame,
             gint64   time_us,
             gpointer data)
{
  EsMediaSession *self = data;
  EsPacket packet;

  while (es_packet_ring_pop (self->incoming, &packet))
    es_jitter_buffer_insert (self->jitter_buffer, packet.sequence, packet.timestamp,
                             packet.data, packet.length, packet.time_us);
  es_jitter_buffer_pull (self->jitter_buffer, frame, time_us);

  if (g_mutex_trylock (&self->playout_lock))
    {
      es_jitter_buffer_get_stats (self->jitter_buffer, &self->playout);
      g_mutex_unlock (&self->playout_lock);
    }
}

/* ---- Main context: sending ----------------------------------------------- */

static void
seal_and_send (EsMediaSession  *self,
               EsMediaFrameKind kind,
               guint32          timestamp,
               const guint8    *payload,
               gsize            length)
{
  g_autoptr(GBytes) frame = es_media_cipher_seal (self->sealer, kind, timestamp, FIXED_TIER,
                                                  ES_MEDIA_FRAME_FLAG_NONE, payload, length);

  if (frame == NULL)
    return;
  if (self->send (g_bytes_get_data (frame, NULL), g_bytes_get_size (frame), self->send_data))
    self->frames_sent++;
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
    seal_and_send (self, ES_MEDIA_FRAME_AUDIO, packet.timestamp, packet.data, packet.length);
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
  json_object_set_int_member (report, "seq", (gint64) self->highest_sequence);
  text = es_json_to_string (report);
  seal_and_send (self, ES_MEDIA_FRAME_QUALITY_REPORT, 0, (const guint8 *) text, strlen (text));
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
receive_audio (EsMediaSession           *self,
               const EsMediaFrameHeader *header,
               GBytes                   *payload,
               gint64                    now_us)
{
  EsPacket packet;
  gsize length = g_bytes_get_size (payload);

  if (length > ES_PACKET_MAX_PAYLOAD)
    return;
  self->frames_received++;
  self->window_bytes += length;
  update_jitter (self, header->timestamp, now_us);

  packet.sequence = header->sequence;
  packet.timestamp = header->timestamp;
  packet.time_us = now_us;
  packet.length = (guint16) length;
  memcpy (packet.data, g_bytes_get_data (payload, NULL), length);
  es_packet_ring_push (self->incoming, &packet);
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
  self->peer_report = report;
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
    {
      self->frames_rejected++;
      return;
    }
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

  /* Loss over the window just ended, not since the call began, so that the
   * figure says how the network is now. */
  if (self->window_received > 0 || expected > 0)
    self->last_loss_pct = expected > self->window_received
                            ? 100.0 * (double) (expected - self->window_received) / (double) expected
                            : 0.0;
  self->last_bitrate_kbps = seconds > 0 ? self->window_bytes * 8.0 / 1000.0 / seconds : 0;

  stats->tier = FIXED_TIER;
  stats->loss_pct = self->last_loss_pct;
  stats->jitter_ms = self->jitter_ms;
  stats->bitrate_kbps = self->last_bitrate_kbps;
  stats->frames_sent = self->frames_sent;
  stats->frames_received = self->frames_received;
  stats->frames_rejected = self->frames_rejected;
  stats->peer_report = self->peer_report;
  g_mutex_lock (&self->playout_lock);
  stats->playout = self->playout;
  g_mutex_unlock (&self->playout_lock);

  self->window_first_sequence = self->highest_sequence + 1;
  self->window_received = 0;
  self->window_bytes = 0;
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
es_media_session_stop (EsMediaSession *self)
{
  if (self->audio != NULL)
    es_audio_backend_stop (self->audio);
  g_clear_object (&self->audio);
  if (self->outgoing_source != NULL)
    g_source_destroy (self->outgoing_source);
  g_clear_pointer (&self->outgoing_source, g_source_unref);
}
