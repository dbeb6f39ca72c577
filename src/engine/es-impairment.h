/* es-impairment.h: test-only loss, delay and jitter on what a process sends
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* EARSHOT_IMPAIR="loss=P,burst=N,delay=MS,jitter=MS,reorder=P,dup=P,seed=S"
 * (DESIGN §10.8). Applies to packets this process sends. loss in %, burst the
 * mean loss burst length in packets (Gilbert–Elliott; 1 = random), jitter
 * uniform ± ms, reorder and dup in %. A reordered packet is held back
 * ES_IMPAIRMENT_REORDER_MS + 2 × jitter more than the others, so that the
 * packets sent after it (at least one 20 ms audio frame's worth) overtake it;
 * a duplicate gets its own delay. Unknown keys, repeated keys and values out
 * of range are errors that name the key. Without a seed, one is picked at
 * random and shown by es_impairment_to_string(). Deterministic for one seed. */
typedef struct _EsImpairment EsImpairment;

#define ES_IMPAIRMENT_MAX_COPIES 2
#define ES_IMPAIRMENT_REORDER_MS 25

EsImpairment *es_impairment_new_from_string (const char   *spec,
                                             GError      **error);
/* NULL and no error when EARSHOT_IMPAIR is unset or empty. */
EsImpairment *es_impairment_new_from_env    (GError      **error);
void          es_impairment_free            (EsImpairment *self);
char         *es_impairment_to_string       (EsImpairment *self);

/* Decides the fate of the next packet: returns how many copies to send (0 =
 * lost, 2 = duplicated) and, for each, the delay in microseconds from now. */
guint         es_impairment_next            (EsImpairment *self,
                                             gint64       *delays_us);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsImpairment, es_impairment_free)

G_END_DECLS
