/* The birthday method's schedule (es-birthday-schedule.h): bounded in
 * count, rate and time, never a port twice, and a success rate that
 * matches its own formula.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "es-birthday-schedule.h"

#define START_US (1000 * G_USEC_PER_SEC)

static void
test_paced_and_bounded (void)
{
  g_autoptr(EsBirthdaySchedule) schedule = es_birthday_schedule_new (1024, 1000, 10000, START_US,
                                                                      1);
  guint taken = 0;

  /* Nothing before the start; one at once. */
  g_assert_cmpuint (es_birthday_schedule_take (schedule, START_US - 1), ==, 0);
  g_assert_cmpuint (es_birthday_schedule_take (schedule, START_US), ==, 1);
  /* Asking again at the same moment gives nothing more. */
  g_assert_cmpuint (es_birthday_schedule_take (schedule, START_US), ==, 0);
  g_assert_cmpint (es_birthday_schedule_next_time (schedule), ==, START_US + 1000);

  /* 100 ms later, 100 more at 1000/s. */
  g_assert_cmpuint (es_birthday_schedule_take (schedule, START_US + 100 * 1000), ==, 100);
  g_assert_cmpuint (es_birthday_schedule_get_taken (schedule), ==, 101);
  g_assert_false (es_birthday_schedule_is_over (schedule, START_US + 100 * 1000));

  /* Ticks every 5 ms for 3 s: the total, never more, never faster. */
  taken = es_birthday_schedule_get_taken (schedule);
  for (gint64 now = START_US + 105 * 1000; now < START_US + 3 * G_USEC_PER_SEC; now += 5000)
    {
      guint due = es_birthday_schedule_take (schedule, now);

      g_assert_cmpuint (due, <=, 5);
      taken += due;
      g_assert_cmpuint (taken, <=, 1 + (now - START_US) / 1000);
    }
  g_assert_cmpuint (taken, ==, 1024);
  g_assert_true (es_birthday_schedule_is_over (schedule, START_US + 3 * G_USEC_PER_SEC));
}

static void
test_time_limit (void)
{
  g_autoptr(EsBirthdaySchedule) schedule = es_birthday_schedule_new (256, 10, 1000, START_US, 1);

  /* A slow pace: the limit ends it before the total. */
  g_assert_cmpuint (es_birthday_schedule_take (schedule, START_US + 999 * 1000), ==, 10);
  g_assert_false (es_birthday_schedule_is_over (schedule, START_US + 999 * 1000));
  g_assert_cmpuint (es_birthday_schedule_take (schedule, START_US + 1000 * 1000), ==, 0);
  g_assert_true (es_birthday_schedule_is_over (schedule, START_US + 1000 * 1000));
}

static void
test_ports_distinct (void)
{
  g_autoptr(EsBirthdaySchedule) schedule = es_birthday_schedule_new (ES_BIRTHDAY_PROBES, 1000,
                                                                      10000, START_US, 7);
  g_autoptr(GHashTable) seen = g_hash_table_new (NULL, NULL);
  guint low = 0;
  guint high = 0;

  for (guint i = 0; i < 4 * ES_BIRTHDAY_PROBES; i++)
    {
      guint16 port = es_birthday_schedule_next_port (schedule);

      g_assert_cmpuint (port, >=, ES_BIRTHDAY_FIRST_PORT);
      g_assert_false (g_hash_table_contains (seen, GUINT_TO_POINTER (port)));
      g_hash_table_add (seen, GUINT_TO_POINTER (port));
      low += port < 33280;
      high += port >= 33280;
    }
  /* Spread over the range, not bunched at one end. */
  g_assert_cmpuint (low, >, ES_BIRTHDAY_PROBES);
  g_assert_cmpuint (high, >, ES_BIRTHDAY_PROBES);
}

static void
test_exhausts_range (void)
{
  g_autoptr(EsBirthdaySchedule) schedule = es_birthday_schedule_new (16, 1000, 10000, START_US, 3);
  g_autoptr(GHashTable) seen = g_hash_table_new (NULL, NULL);

  /* Every port once, then it starts over rather than fail. */
  for (guint i = 0; i < ES_BIRTHDAY_PORTS; i++)
    g_hash_table_add (seen, GUINT_TO_POINTER (es_birthday_schedule_next_port (schedule)));
  g_assert_cmpuint (g_hash_table_size (seen), ==, ES_BIRTHDAY_PORTS);
  g_assert_cmpuint (es_birthday_schedule_next_port (schedule), >=, ES_BIRTHDAY_FIRST_PORT);
}

/* A simulated NAT: @open random ports; the schedule's probes hit or not. */
static gboolean
simulate (guint32 seed)
{
  g_autoptr(EsBirthdaySchedule) schedule = es_birthday_schedule_new (ES_BIRTHDAY_PROBES, 1000,
                                                                      10000, START_US, seed);
  g_autoptr(GRand) nat = g_rand_new_with_seed (seed ^ 0x5eed);
  g_autoptr(GHashTable) open = g_hash_table_new (NULL, NULL);

  while (g_hash_table_size (open) < ES_BIRTHDAY_SOCKETS)
    g_hash_table_add (open, GUINT_TO_POINTER (g_rand_int_range (nat, ES_BIRTHDAY_FIRST_PORT,
                                                                65536)));
  for (guint i = 0; i < ES_BIRTHDAY_PROBES; i++)
    if (g_hash_table_contains (open, GUINT_TO_POINTER (es_birthday_schedule_next_port (schedule))))
      return TRUE;
  return FALSE;
}

static void
test_success_rate (void)
{
  double theory = es_birthday_success_probability (ES_BIRTHDAY_SOCKETS, ES_BIRTHDAY_PROBES,
                                                   ES_BIRTHDAY_PORTS);
  guint runs = 2000;
  guint hits = 0;
  double rate;

  /* 256 sockets and 1024 probes over 64512 ports: about 98 %. */
  g_assert_cmpfloat (theory, >, 0.98);
  g_assert_cmpfloat (theory, <, 0.99);
  g_assert_cmpfloat (es_birthday_success_probability (0, 1024, 64512), ==, 0.0);
  g_assert_cmpfloat (es_birthday_success_probability (1, 1, 2), ==, 0.5);
  g_assert_cmpfloat (es_birthday_success_probability (10, 64510, 64512), ==, 1.0);

  for (guint i = 0; i < runs; i++)
    hits += simulate (i + 1);
  rate = (double) hits / runs;
  g_test_message ("simulated %u attempts: %.1f %% found a port (theory %.1f %%)", runs,
                  100 * rate, 100 * theory);
  /* Three standard deviations of a binomial of 2000 at 98 %: ±0.9 %. */
  g_assert_cmpfloat (ABS (rate - theory), <, 0.01);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/birthday-schedule/paced-and-bounded", test_paced_and_bounded);
  g_test_add_func ("/birthday-schedule/time-limit", test_time_limit);
  g_test_add_func ("/birthday-schedule/ports-distinct", test_ports_distinct);
  g_test_add_func ("/birthday-schedule/exhausts-range", test_exhausts_range);
  g_test_add_func ("/birthday-schedule/success-rate", test_success_rate);
  return g_test_run ();
}
