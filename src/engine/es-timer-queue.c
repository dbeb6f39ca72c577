/* es-timer-queue.c
 *
 * GLib's own timers round to milliseconds, too coarse for QUIC's pacing and
 * ACK timers on a loopback path where the whole RTT is ~100 µs. One timerfd
 * (CLOCK_MONOTONIC, absolute) is armed for the earliest deadline of a binary
 * min-heap. It is moved only when a deadline comes earlier than the one it
 * is armed for: when the earliest deadline moves later, or the last timer
 * goes, the timerfd is left alone, fires early, finds nothing due and is
 * armed then for what is earliest. A busy endpoint moves some connection's
 * ACK or loss timer later with nearly every packet; re-arming each time cost
 * a timerfd_settime() per packet, and in a virtual machine that system call
 * cost more than the packet (half of the relay's CPU in bench/relay-load).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsTimerQueue"

#include "es-timer-queue.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

struct _EsTimerQueue
{
  GObject *owner;
  int fd;
  GSource *source;
  GPtrArray *heap;          /* EsTimer *, earliest first */
  guint64 armed_deadline;   /* when the timerfd fires, never later than the earliest
                             * deadline; ES_TIMER_NEVER when it will not fire */
};

guint64
es_timer_now (void)
{
  struct timespec now;

  clock_gettime (CLOCK_MONOTONIC, &now);
  return (guint64) now.tv_sec * G_GUINT64_CONSTANT (1000000000) + (guint64) now.tv_nsec;
}

static EsTimer *
heap_at (EsTimerQueue *self,
         guint         index)
{
  return g_ptr_array_index (self->heap, index);
}

static void
heap_place (EsTimerQueue *self,
            EsTimer      *timer,
            guint         index)
{
  self->heap->pdata[index] = timer;
  timer->position = index + 1;
}

static void
sift_up (EsTimerQueue *self,
         guint         index)
{
  EsTimer *timer = heap_at (self, index);

  while (index > 0)
    {
      guint parent = (index - 1) / 2;

      if (heap_at (self, parent)->deadline <= timer->deadline)
        break;
      heap_place (self, heap_at (self, parent), index);
      index = parent;
    }
  heap_place (self, timer, index);
}

static void
sift_down (EsTimerQueue *self,
           guint         index)
{
  EsTimer *timer = heap_at (self, index);
  guint length = self->heap->len;

  for (;;)
    {
      guint child = 2 * index + 1;

      if (child >= length)
        break;
      if (child + 1 < length && heap_at (self, child + 1)->deadline < heap_at (self, child)->deadline)
        child++;
      if (timer->deadline <= heap_at (self, child)->deadline)
        break;
      heap_place (self, heap_at (self, child), index);
      index = child;
    }
  heap_place (self, timer, index);
}

static void
heap_remove (EsTimerQueue *self,
             EsTimer      *timer)
{
  guint index = timer->position - 1;
  EsTimer *last = g_ptr_array_steal_index (self->heap, self->heap->len - 1);

  timer->position = 0;
  if (last == timer)
    return;
  heap_place (self, last, index);
  sift_up (self, index);
  sift_down (self, last->position - 1);
}

static void
arm_for_earliest (EsTimerQueue *self)
{
  guint64 earliest = self->heap->len > 0 ? heap_at (self, 0)->deadline : ES_TIMER_NEVER;
  struct itimerspec spec = { { 0, 0 }, { 0, 0 } };
  guint64 deadline;

  if (earliest >= self->armed_deadline)
    return;

  /* A zero it_value would disarm the timer: a deadline of 0 (long past)
   * becomes 1 ns, which fires at once. */
  deadline = MAX (earliest, 1);
  spec.it_value.tv_sec = (time_t) (deadline / G_GUINT64_CONSTANT (1000000000));
  spec.it_value.tv_nsec = (long) (deadline % G_GUINT64_CONSTANT (1000000000));
  if (timerfd_settime (self->fd, TFD_TIMER_ABSTIME, &spec, NULL) != 0)
    g_critical ("timerfd_settime failed: %s", g_strerror (errno));
  self->armed_deadline = earliest;
}

static gboolean
on_timerfd_ready (int          fd,
                  GIOCondition condition,
                  gpointer     user_data)
{
  EsTimerQueue *self = user_data;
  GObject *owner = self->owner;
  guint64 expirations;
  guint64 now;
  guint budget;

  /* Reading clears the readiness; EAGAIN means it was re-armed meanwhile. */
  if (read (fd, &expirations, sizeof expirations) < 0 && errno != EAGAIN)
    g_critical ("reading the timerfd failed: %s", g_strerror (errno));
  self->armed_deadline = ES_TIMER_NEVER;

  /* A timer that reschedules itself into the past must not hold the main
   * loop: each dispatch fires at most the timers that were queued when it
   * began; the rest fire on the next iteration. */
  now = es_timer_now ();
  budget = self->heap->len;
  g_object_ref (owner);
  while (budget-- > 0 && self->heap->len > 0 && heap_at (self, 0)->deadline <= now)
    {
      EsTimer *timer = heap_at (self, 0);

      heap_remove (self, timer);
      timer->deadline = ES_TIMER_NEVER;
      timer->func (timer, timer->user_data);
    }
  arm_for_earliest (self);

  /* The last reference may go here, and with it this queue. */
  g_object_unref (owner);
  return G_SOURCE_CONTINUE;
}

EsTimerQueue *
es_timer_queue_new (GMainContext *context,
                    GObject      *owner,
                    GError      **error)
{
  EsTimerQueue *self;
  int fd = timerfd_create (CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);

  if (fd < 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "cannot create a timer: %s", g_strerror (saved_errno));
      return NULL;
    }

  self = g_new0 (EsTimerQueue, 1);
  self->owner = owner;
  self->fd = fd;
  self->heap = g_ptr_array_new ();
  self->armed_deadline = ES_TIMER_NEVER;
  self->source = g_unix_fd_source_new (fd, G_IO_IN);
  /* Unblocking a source after its dispatch costs a wakeup of the main
   * context (three system calls); firing timers is safe to nest: each pop
   * leaves the heap whole. */
  g_source_set_can_recurse (self->source, TRUE);
  g_source_set_callback (self->source, G_SOURCE_FUNC (on_timerfd_ready), self, NULL);
  g_source_set_static_name (self->source, "EsTimerQueue");
  g_source_attach (self->source, context);
  return self;
}

void
es_timer_queue_free (EsTimerQueue *self)
{
  if (self == NULL)
    return;

  /* The owners of the timers outlive this call; leave them unscheduled. */
  for (guint i = 0; i < self->heap->len; i++)
    heap_at (self, i)->position = 0;
  g_ptr_array_unref (self->heap);
  g_source_destroy (self->source);
  g_source_unref (self->source);
  close (self->fd);
  g_free (self);
}

void
es_timer_init (EsTimer     *timer,
               EsTimerFunc  func,
               gpointer     user_data)
{
  memset (timer, 0, sizeof *timer);
  timer->deadline = ES_TIMER_NEVER;
  timer->func = func;
  timer->user_data = user_data;
}

void
es_timer_queue_cancel (EsTimerQueue *self,
                       EsTimer      *timer)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (timer != NULL);

  timer->deadline = ES_TIMER_NEVER;
  if (timer->position == 0)
    return;
  heap_remove (self, timer);
  arm_for_earliest (self);
}

void
es_timer_queue_schedule (EsTimerQueue *self,
                         EsTimer      *timer,
                         guint64       deadline)
{
  guint64 previous;

  g_return_if_fail (self != NULL);
  g_return_if_fail (timer != NULL);

  if (deadline == ES_TIMER_NEVER)
    {
      es_timer_queue_cancel (self, timer);
      return;
    }

  previous = timer->deadline;
  timer->deadline = deadline;
  if (timer->position == 0)
    {
      g_ptr_array_add (self->heap, timer);
      sift_up (self, self->heap->len - 1);
    }
  else if (deadline < previous)
    sift_up (self, timer->position - 1);
  else if (deadline > previous)
    sift_down (self, timer->position - 1);
  arm_for_earliest (self);
}
