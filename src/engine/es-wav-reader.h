/* es-wav-reader.h: reads a WAV file as 48 kHz mono 16-bit samples
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Most channels a file may have (WAVE_FORMAT_EXTENSIBLE names 18 speakers). */
#define ES_WAV_READER_MAX_CHANNELS 32

typedef struct _EsWavReader EsWavReader;

EsWavReader *es_wav_reader_new_for_path   (const char    *path,
                                           GError       **error);
/* @stream must be seekable; @name names it in error messages. */
EsWavReader *es_wav_reader_new_for_stream (GInputStream  *stream,
                                           const char    *name,
                                           GError       **error);
void         es_wav_reader_free           (EsWavReader   *self);

guint        es_wav_reader_get_channels   (EsWavReader   *self);
guint        es_wav_reader_get_bits       (EsWavReader   *self);
gboolean     es_wav_reader_get_is_float   (EsWavReader   *self);
guint64      es_wav_reader_get_n_frames   (EsWavReader   *self);

/* Reads up to @max_frames frames, each mixed down to one 16-bit sample, into
 * @samples. Returns how many it read (0 at the end) or -1 with @error set. */
gssize       es_wav_reader_read           (EsWavReader   *self,
                                           gint16        *samples,
                                           gsize          max_frames,
                                           GError       **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsWavReader, es_wav_reader_free)

G_END_DECLS
