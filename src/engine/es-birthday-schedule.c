/* es-birthday-schedule.c
 *
 * The birthday method is a bet with bounded stakes: N sockets on one side,
 * M probes from the other, each probe a chance of N in 64512 to hit one.
 * This keeps the stakes bounded — never more than the total, never faster
 * than the pace, nothing after the time limit — and never sends two probes
 * of one attempt to the same port, which would waste a chance.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsBirthdaySchedule"

#include "es-birthday-schedule.h"

#include <string.h>

#define N_PORTS 65536

struct _EsBirthdaySchedule
{
  guint total;
  guint per_second;
  gint64 start_us;
  gint64 end_us;
  guint taken;
  GRand *rand;
  guint8 used[N_PORTS / 8];
};

EsBirthdaySchedule *
es_birthday_schedule_new (guint   total,
                          guint   per_second,
                          guint   limit_ms,
                          gint64  start_us,
                          guint32 seed)
{
  EsBirthdaySchedule *self;

  g_return_val_if_fail (per_second > 0, NULL);
  g_return_val_if_fail (total <= ES_BIRTHDAY_PORTS, NULL);

  self = g_new0 (EsBirthdaySchedule, 1);
  self->total = total;
  self->per_second = per_second;
  self->start_us = start_us;
  self->end_us = start_us + (gint64) limit_ms * 1000;
  self->rand = seed != 0 ? g_rand_new_with_seed (seed) : g_rand_new ();
  return self;
}

void
es_birthday_schedule_free (EsBirthdaySchedule *self)
{
  g_rand_free (self->rand);
  g_free (self);
}

guint
es_birthday_schedule_take (EsBirthdaySchedule *self,
                           gint64              now_us)
{
  gint64 allowed;
  guint due;

  if (now_us < self->start_us || now_us >= self->end_us)
    return 0;
  /* One at the start, then one per 1/per_second. */
  allowed = 1 + (now_us - self->start_us) * self->per_second / G_USEC_PER_SEC;
  allowed = MIN (allowed, (gint64) self->total);
  due = allowed > self->taken ? (guint) (allowed - self->taken) : 0;
  self->taken += due;
  return due;
}

guint16
es_birthday_schedule_next_port (EsBirthdaySchedule *self)
{
  guint port;

  /* At most ES_BIRTHDAY_PROBES of 64512 are used: a free one is found in
   * a try or two; a full table falls back to a linear search. */
  for (guint attempt = 0; attempt < 64; attempt++)
    {
      port = (guint) g_rand_int_range (self->rand, ES_BIRTHDAY_FIRST_PORT, N_PORTS);
      if (!(self->used[port / 8] & (1u << (port % 8))))
        goto found;
    }
  for (port = ES_BIRTHDAY_FIRST_PORT; port < N_PORTS; port++)
    if (!(self->used[port / 8] & (1u << (port % 8))))
      goto found;
  /* Every port was used: start over rather than fail. */
  memset (self->used, 0, sizeof self->used);
  port = ES_BIRTHDAY_FIRST_PORT;

found:
  self->used[port / 8] |= 1u << (port % 8);
  return (guint16) port;
}

guint
es_birthday_schedule_get_taken (EsBirthdaySchedule *self)
{
  return self->taken;
}

gboolean
es_birthday_schedule_is_over (EsBirthdaySchedule *self,
                              gint64              now_us)
{
  return self->taken >= self->total || now_us >= self->end_us;
}

gint64
es_birthday_schedule_next_time (EsBirthdaySchedule *self)
{
  /* The (taken + 1)-th may go when 1 + elapsed * rate / 1e6 > taken. */
  return self->start_us + ((gint64) self->taken * G_USEC_PER_SEC + self->per_second - 1) /
                          self->per_second;
}

double
es_birthday_success_probability (guint open,
                                 guint probes,
                                 guint ports)
{
  double miss = 1.0;

  if (open == 0 || probes == 0)
    return 0.0;
  if (open + probes > ports)
    return 1.0;
  /* Each probe misses the open ports among the ports not probed yet. */
  for (guint i = 0; i < probes; i++)
    miss *= (double) (ports - open - i) / (double) (ports - i);
  return 1.0 - miss;
}
