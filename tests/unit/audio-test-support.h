/* Shared by the audio tests: the speech signal, signals made in code, and
 * the measures the tests check.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The speech test signal (tests/data/make-speech.sh) padded to whole 20 ms
 * frames, or NULL after g_test_skip() when the build could not make it. */
gint16 *audio_test_load_speech      (gsize        *n_samples);
/* Tone bursts: @on_ms of a 440 Hz + 660 Hz chord at -10 dBFS, then @off_ms
 * of digital silence, repeated. Loud and quiet stretches like speech. */
gint16 *audio_test_make_bursts      (gsize         n_samples,
                                     guint         on_ms,
                                     guint         off_ms);
/* Normalised correlation of @a[i] and @b[i + lag] over @n samples. */
double  audio_test_correlation      (const gint16 *a,
                                     const gint16 *b,
                                     gsize         n,
                                     gssize        lag);
/* Signal-to-noise ratio in dB of @b against the reference @a. */
double  audio_test_snr_db           (const gint16 *a,
                                     const gint16 *b,
                                     gsize         n);
/* Root mean square level of @n samples, as a fraction of full scale. */
double  audio_test_rms              (const gint16 *samples,
                                     gsize         n);
void    audio_test_write_wav        (const char   *path,
                                     const gint16 *samples,
                                     gsize         n);

G_END_DECLS
