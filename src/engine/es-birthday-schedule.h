/* es-birthday-schedule.h: how many birthday probes go out, when, and where
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The birthday method (DESIGN §7): the side behind a NAT that gives each
 * socket a random public port opens ES_BIRTHDAY_SOCKETS probe sockets; the
 * side behind an easy NAT sends ES_BIRTHDAY_PROBES checks to random ports
 * of the other's public address. Both stop by ES_BIRTHDAY_LIMIT_MS. */
#define ES_BIRTHDAY_SOCKETS        256
#define ES_BIRTHDAY_PROBES         1024
#define ES_BIRTHDAY_LIMIT_MS       10000
/* The ports a NAT picks random ones from (Linux: 1024-65535). */
#define ES_BIRTHDAY_FIRST_PORT     1024
#define ES_BIRTHDAY_PORTS          (65536 - ES_BIRTHDAY_FIRST_PORT)

typedef struct _EsBirthdaySchedule EsBirthdaySchedule;

/* @total things (sockets to open or probes to send), at most @per_second,
 * none after @limit_ms from @start_us (monotonic µs). @seed 0 picks one. */
EsBirthdaySchedule *es_birthday_schedule_new       (guint               total,
                                                    guint               per_second,
                                                    guint               limit_ms,
                                                    gint64              start_us,
                                                    guint32             seed);
void                es_birthday_schedule_free      (EsBirthdaySchedule *self);
/* How many may go out at @now_us, and counts them as gone: what the pace
 * allows since the start, less what went already, within the total; 0
 * once the time limit has passed. */
guint               es_birthday_schedule_take      (EsBirthdaySchedule *self,
                                                    gint64              now_us);
/* A port of ES_BIRTHDAY_FIRST_PORT..65535 not returned before by this
 * schedule (the probes of one attempt never repeat a port). */
guint16             es_birthday_schedule_next_port (EsBirthdaySchedule *self);
guint               es_birthday_schedule_get_taken (EsBirthdaySchedule *self);
/* Everything went out, or the time limit has passed. */
gboolean            es_birthday_schedule_is_over   (EsBirthdaySchedule *self,
                                                    gint64              now_us);
/* When the next one may go (monotonic µs), for a timer. */
gint64              es_birthday_schedule_next_time (EsBirthdaySchedule *self);

/* The chance that @probes distinct random ports of @ports include at least
 * one of @open random ports: 1 - C(ports - open, probes) / C(ports, probes). */
double              es_birthday_success_probability (guint              open,
                                                     guint              probes,
                                                     guint              ports);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsBirthdaySchedule, es_birthday_schedule_free)

G_END_DECLS
