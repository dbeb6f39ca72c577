/* es-timer-queue.h: many deadlines on one timerfd, with microsecond accuracy
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define ES_TIMER_NEVER G_MAXUINT64

typedef struct _EsTimerQueue EsTimerQueue;
typedef struct _EsTimer EsTimer;

typedef void (*EsTimerFunc) (EsTimer  *timer,
                             gpointer  user_data);

/* Embedded in its owner; the queue never allocates or frees one. */
struct _EsTimer
{
  guint64 deadline;
  guint position;    /* index in the heap + 1; 0 while not scheduled */
  EsTimerFunc func;
  gpointer user_data;
};

/* CLOCK_MONOTONIC in nanoseconds: the clock of ngtcp2 and of the timerfd. */
guint64       es_timer_now            (void);

/* Watches its timerfd on @context. @owner (which owns the queue) is kept
 * alive while timers fire, so a timer function may drop the last reference
 * to it. */
EsTimerQueue *es_timer_queue_new      (GMainContext *context,
                                       GObject      *owner,
                                       GError      **error);
void          es_timer_queue_free     (EsTimerQueue *self);

void          es_timer_init           (EsTimer      *timer,
                                       EsTimerFunc   func,
                                       gpointer      user_data);
/* Moves @timer to @deadline (ns, es_timer_now() clock); ES_TIMER_NEVER
 * cancels it. A deadline in the past fires on the next main loop iteration. */
void          es_timer_queue_schedule (EsTimerQueue *self,
                                       EsTimer      *timer,
                                       guint64       deadline);
void          es_timer_queue_cancel   (EsTimerQueue *self,
                                       EsTimer      *timer);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsTimerQueue, es_timer_queue_free)

G_END_DECLS
