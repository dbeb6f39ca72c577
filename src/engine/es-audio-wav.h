/* es-audio-wav.h: a call's audio from and to WAV files, in real time
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "es-audio-backend.h"

G_BEGIN_DECLS

#define ES_TYPE_AUDIO_WAV (es_audio_wav_get_type ())

G_DECLARE_FINAL_TYPE (EsAudioWav, es_audio_wav, ES, AUDIO_WAV, GObject)

/* Either path may be NULL: no input captures silence, no output discards
 * what is played. Both files are opened (and the input checked) here. */
EsAudioWav *es_audio_wav_new               (const char  *input_path,
                                            const char  *output_path,
                                            GError     **error);

const char *es_audio_wav_get_input_path    (EsAudioWav  *self);
const char *es_audio_wav_get_output_path   (EsAudioWav  *self);
/* TRUE once the whole input file has been captured; "notify::input-ended". */
gboolean    es_audio_wav_get_input_ended   (EsAudioWav  *self);
/* How many 20 ms periods the media clock has run since start. */
guint64     es_audio_wav_get_n_periods     (EsAudioWav  *self);

/* Runs every 20 ms period whose deadline is at or before @now_us and returns
 * how many ran. The main-context clock calls it with g_get_monotonic_time();
 * a backend started with es_audio_wav_start_manual() runs only through it,
 * so that tests drive time themselves. */
guint       es_audio_wav_advance           (EsAudioWav  *self,
                                            gint64       now_us);
/* Like es_audio_backend_start(), but with the clock's origin at @start_us
 * and no main-context source: time moves only by es_audio_wav_advance(). */
gboolean    es_audio_wav_start_manual      (EsAudioWav          *self,
                                            EsAudioCaptureFunc   capture,
                                            EsAudioPlaybackFunc  playback,
                                            gpointer             user_data,
                                            gint64               start_us,
                                            GError             **error);

G_END_DECLS
