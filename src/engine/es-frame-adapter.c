/* es-frame-adapter.c
 *
 * The call works in 20 ms frames; PipeWire hands over whatever its graph's
 * quantum and resampler make (512, 960, 1024 or an odd count after a rate
 * change). The adapter sits between the two with one preallocated frame:
 * capture fills it and hands it on when complete, playback has it filled by
 * the call and drains it into as many device buffers as it takes.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsFrameAdapter"

#include "es-frame-adapter.h"

#include <string.h>

struct _EsFrameAdapter
{
  gint16 *frame;
  guint frame_samples;
  /* Capture: samples collected in frame. Playback: samples of frame not yet
   * pulled out, at its end. Either way what is held between calls. */
  guint held;
};

EsFrameAdapter *
es_frame_adapter_new (guint frame_samples)
{
  EsFrameAdapter *self;

  g_return_val_if_fail (frame_samples > 0, NULL);

  self = g_new0 (EsFrameAdapter, 1);
  self->frame = g_new0 (gint16, frame_samples);
  self->frame_samples = frame_samples;
  return self;
}

void
es_frame_adapter_free (EsFrameAdapter *self)
{
  if (self == NULL)
    return;
  g_free (self->frame);
  g_free (self);
}

void
es_frame_adapter_push (EsFrameAdapter *self,
                       const gint16   *samples,
                       gsize           n_samples,
                       EsFrameFunc     func,
                       gpointer        user_data)
{
  while (n_samples > 0)
    {
      gsize n = MIN (n_samples, (gsize) (self->frame_samples - self->held));

      memcpy (self->frame + self->held, samples, n * sizeof *samples);
      self->held += (guint) n;
      samples += n;
      n_samples -= n;
      if (self->held == self->frame_samples)
        {
          self->held = 0;
          func (self->frame, user_data);
        }
    }
}

void
es_frame_adapter_pull (EsFrameAdapter *self,
                       gint16         *samples,
                       gsize           n_samples,
                       EsFrameFunc     func,
                       gpointer        user_data)
{
  while (n_samples > 0)
    {
      gsize n;

      if (self->held == 0)
        {
          memset (self->frame, 0, self->frame_samples * sizeof *self->frame);
          func (self->frame, user_data);
          self->held = self->frame_samples;
        }
      n = MIN (n_samples, (gsize) self->held);
      memcpy (samples, self->frame + (self->frame_samples - self->held), n * sizeof *samples);
      self->held -= (guint) n;
      samples += n;
      n_samples -= n;
    }
}

guint
es_frame_adapter_get_pending (EsFrameAdapter *self)
{
  return self->held;
}

guint
es_frame_adapter_get_frame_samples (EsFrameAdapter *self)
{
  return self->frame_samples;
}

void
es_frame_adapter_reset (EsFrameAdapter *self)
{
  self->held = 0;
}
