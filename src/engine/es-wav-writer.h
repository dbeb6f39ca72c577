/* es-wav-writer.h: records 48 kHz mono 16-bit WAV files
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _EsWavWriter EsWavWriter;

/* Creates or truncates @path and writes a header for an empty recording. */
EsWavWriter *es_wav_writer_new           (const char    *path,
                                          GError       **error);
gboolean     es_wav_writer_write         (EsWavWriter   *self,
                                          const gint16  *samples,
                                          gsize          n_samples,
                                          GError       **error);
/* Writes the final sizes and closes the file. */
gboolean     es_wav_writer_close         (EsWavWriter   *self,
                                          GError       **error);
/* Closes the file if still open (errors are logged) and frees. */
void         es_wav_writer_free          (EsWavWriter   *self);

guint64      es_wav_writer_get_n_samples (EsWavWriter   *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsWavWriter, es_wav_writer_free)

G_END_DECLS
