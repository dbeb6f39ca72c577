/* es-tone-player.h: the ring tone and the call sounds
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum {
  ES_TONE_RING,        /* an incoming call; loops (media.role Notification) */
  ES_TONE_RINGBACK,    /* the caller hears the other side ringing; loops */
  ES_TONE_CONNECTED,   /* the call was answered; short */
  ES_TONE_ENDED,       /* the call ended; short */
} EsTone;

#define ES_TYPE_TONE_PLAYER (es_tone_player_get_type ())

G_DECLARE_FINAL_TYPE (EsTonePlayer, es_tone_player, ES, TONE_PLAYER, GObject)

/* Connects to PipeWire; @output_name (a node.name, as EsAudioDevice's
 * "name") or NULL for the default speaker, which the sounds then follow. */
EsTonePlayer *es_tone_player_new        (const char    *output_name,
                                         GError       **error);

/* Plays @tone, instead of whatever was playing. A looping tone plays until
 * stopped; a short one emits "finished" when it has been heard to the end.
 * "error" (a GError) reports a speaker or server that went away. */
gboolean      es_tone_player_play       (EsTonePlayer  *self,
                                         EsTone         tone,
                                         GError       **error);
void          es_tone_player_stop       (EsTonePlayer  *self);
/* "notify::playing" */
gboolean      es_tone_player_get_playing (EsTonePlayer *self);

/* The synthesis, without PipeWire (48 kHz mono 16-bit): writes @tone's
 * samples from @position on and returns how many there were, fewer than
 * @n_samples at the end of a short tone; a looping tone never ends. */
gsize         es_tone_render            (EsTone         tone,
                                         guint64        position,
                                         gint16        *samples,
                                         gsize          n_samples);
/* A short tone's length, or a looping tone's period, in samples. */
gsize         es_tone_get_length        (EsTone         tone);
gboolean      es_tone_loops             (EsTone         tone);

G_END_DECLS
