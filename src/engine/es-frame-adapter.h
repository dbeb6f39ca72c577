/* es-frame-adapter.h: exact frames from and to buffers of any size
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Receives one whole frame: a complete captured frame to consume, or an
 * empty frame to fill with what is to be played next. */
typedef void (*EsFrameFunc) (gint16   *frame,
                             gpointer  user_data);

typedef struct _EsFrameAdapter EsFrameAdapter;

/* All memory is allocated here: push and pull never allocate, so that they
 * can run on a real-time thread. An adapter serves one direction. */
EsFrameAdapter *es_frame_adapter_new         (guint           frame_samples);
void            es_frame_adapter_free        (EsFrameAdapter *self);

/* Capture: appends @n_samples; @func receives each frame as it completes. */
void            es_frame_adapter_push        (EsFrameAdapter *self,
                                              const gint16   *samples,
                                              gsize           n_samples,
                                              EsFrameFunc     func,
                                              gpointer        user_data);
/* Playback: copies @n_samples out; @func fills the next frame each time the
 * previous one is used up. */
void            es_frame_adapter_pull        (EsFrameAdapter *self,
                                              gint16         *samples,
                                              gsize           n_samples,
                                              EsFrameFunc     func,
                                              gpointer        user_data);
/* Samples held between calls: captured but not yet a whole frame, or
 * fetched but not yet pulled out. Always less than one frame. */
guint           es_frame_adapter_get_pending (EsFrameAdapter *self);
guint           es_frame_adapter_get_frame_samples (EsFrameAdapter *self);
/* Forgets what is held (after a gap in the stream). */
void            es_frame_adapter_reset       (EsFrameAdapter *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsFrameAdapter, es_frame_adapter_free)

G_END_DECLS
