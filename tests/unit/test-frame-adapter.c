/* The frame adapter between PipeWire's buffers and the call's 20 ms frames:
 * whatever sizes come in (odd quanta, a resampler's uneven counts), exact
 * frames come out, in order, with nothing lost, repeated or reordered.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib.h>

#include "es-audio-backend.h"
#include "es-frame-adapter.h"

#define FRAME ES_AUDIO_FRAME_SAMPLES

/* Buffer sizes PipeWire hands over: power-of-two quanta, the 960 we ask
 * for, a resampler's off-by-one counts, tiny and huge ones. */
static const gsize odd_sizes[] = { 512, 1024, 960, 959, 961, 441, 1, 7, 2048, 3000, 480, 256, 13 };

/* A signal where every sample says where it is. */
static gint16
ramp (gsize i)
{
  return (gint16) (i % 30011);
}

typedef struct
{
  GArray *frames;       /* every sample of every frame received, in order */
  guint n_frames;
  gsize next;           /* playback: the next sample to hand out */
} Collector;

static void
collect_frame (gint16   *frame,
               gpointer  data)
{
  Collector *collector = data;

  g_array_append_vals (collector->frames, frame, FRAME);
  collector->n_frames++;
  /* The canceller works on the frame in place; that must not matter. */
  frame[0] = G_MAXINT16;
}

static void
test_push_odd_sizes (void)
{
  g_autoptr(EsFrameAdapter) adapter = es_frame_adapter_new (FRAME);
  Collector collector = { g_array_new (FALSE, FALSE, sizeof (gint16)) };
  gsize total = 0;

  for (guint round = 0; round < 20; round++)
    for (guint k = 0; k < G_N_ELEMENTS (odd_sizes); k++)
      {
        g_autofree gint16 *buffer = g_new (gint16, odd_sizes[k]);

        for (gsize i = 0; i < odd_sizes[k]; i++)
          buffer[i] = ramp (total + i);
        es_frame_adapter_push (adapter, buffer, odd_sizes[k], collect_frame, &collector);
        total += odd_sizes[k];

        /* Every whole frame is out, and what is held is less than one. */
        g_assert_cmpuint (collector.n_frames, ==, total / FRAME);
        g_assert_cmpuint (es_frame_adapter_get_pending (adapter), ==, total % FRAME);
        /* The caller's buffer is never written. */
        for (gsize i = 0; i < odd_sizes[k]; i++)
          g_assert_cmpint (buffer[i], ==, ramp (total - odd_sizes[k] + i));
      }

  g_assert_cmpuint (collector.frames->len, ==, collector.n_frames * FRAME);
  for (gsize i = 0; i < collector.frames->len; i++)
    if (i % FRAME != 0)
      g_assert_cmpint (g_array_index (collector.frames, gint16, i), ==, ramp (i));
  g_array_unref (collector.frames);
}

static void
fill_frame (gint16   *frame,
            gpointer  data)
{
  Collector *collector = data;

  /* Handed out silent, so that a callback that writes nothing plays nothing. */
  for (guint i = 0; i < FRAME; i++)
    g_assert_cmpint (frame[i], ==, 0);
  for (guint i = 0; i < FRAME; i++)
    frame[i] = ramp (collector->next++);
  collector->n_frames++;
}

static void
test_pull_odd_sizes (void)
{
  g_autoptr(EsFrameAdapter) adapter = es_frame_adapter_new (FRAME);
  Collector collector = { NULL };
  gsize total = 0;

  for (guint round = 0; round < 20; round++)
    for (guint k = 0; k < G_N_ELEMENTS (odd_sizes); k++)
      {
        g_autofree gint16 *buffer = g_new (gint16, odd_sizes[k]);

        es_frame_adapter_pull (adapter, buffer, odd_sizes[k], fill_frame, &collector);
        for (gsize i = 0; i < odd_sizes[k]; i++)
          g_assert_cmpint (buffer[i], ==, ramp (total + i));
        total += odd_sizes[k];

        /* A frame is asked for only when the last one is used up. */
        g_assert_cmpuint (collector.n_frames, ==, (total + FRAME - 1) / FRAME);
        g_assert_cmpuint (es_frame_adapter_get_pending (adapter), ==,
                          collector.n_frames * FRAME - total);
      }
}

/* 441 samples a cycle, as a 44.1 kHz device's 10 ms quantum resampled:
 * 49 cycles make 22 whole frames and 489 samples more. */
static void
test_frames_keep_time (void)
{
  g_autoptr(EsFrameAdapter) adapter = es_frame_adapter_new (FRAME);
  Collector collector = { g_array_new (FALSE, FALSE, sizeof (gint16)) };
  gint16 buffer[441] = { 0 };

  for (guint cycle = 0; cycle < 49; cycle++)
    es_frame_adapter_push (adapter, buffer, G_N_ELEMENTS (buffer), collect_frame, &collector);
  g_assert_cmpuint (collector.n_frames, ==, 22);
  g_assert_cmpuint (es_frame_adapter_get_pending (adapter), ==, FRAME / 2 + 9);
  g_array_unref (collector.frames);
}

static void
test_reset (void)
{
  g_autoptr(EsFrameAdapter) adapter = es_frame_adapter_new (FRAME);
  Collector collector = { g_array_new (FALSE, FALSE, sizeof (gint16)) };
  gint16 buffer[700];

  for (gsize i = 0; i < G_N_ELEMENTS (buffer); i++)
    buffer[i] = ramp (i);
  es_frame_adapter_push (adapter, buffer, G_N_ELEMENTS (buffer), collect_frame, &collector);
  g_assert_cmpuint (es_frame_adapter_get_pending (adapter), ==, 700);

  /* After a gap, the old partial frame is not glued to new audio. */
  es_frame_adapter_reset (adapter);
  g_assert_cmpuint (es_frame_adapter_get_pending (adapter), ==, 0);
  es_frame_adapter_push (adapter, buffer, G_N_ELEMENTS (buffer), collect_frame, &collector);
  es_frame_adapter_push (adapter, buffer, G_N_ELEMENTS (buffer), collect_frame, &collector);
  g_assert_cmpuint (collector.n_frames, ==, 1);
  g_assert_cmpint (g_array_index (collector.frames, gint16, 1), ==, ramp (1));
  g_assert_cmpint (g_array_index (collector.frames, gint16, 700), ==, ramp (0));
  g_assert_cmpuint (es_frame_adapter_get_frame_samples (adapter), ==, FRAME);
  g_array_unref (collector.frames);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/frame-adapter/push-odd-sizes", test_push_odd_sizes);
  g_test_add_func ("/frame-adapter/pull-odd-sizes", test_pull_odd_sizes);
  g_test_add_func ("/frame-adapter/frames-keep-time", test_frames_keep_time);
  g_test_add_func ("/frame-adapter/reset", test_reset);

  return g_test_run ();
}
