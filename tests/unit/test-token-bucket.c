/* Rate limits.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "es-token-bucket.h"

static void
test_burst_then_rate (void)
{
  EsTokenBucket bucket;
  gint64 now = 1000000;
  guint taken = 0;

  es_token_bucket_init (&bucket, 10, 5);
  for (guint i = 0; i < 20; i++)
    taken += es_token_bucket_take (&bucket, 1, now);
  g_assert_cmpuint (taken, ==, 5);

  /* One second later, ten more (capped at the burst of five). */
  now += G_USEC_PER_SEC;
  taken = 0;
  for (guint i = 0; i < 20; i++)
    taken += es_token_bucket_take (&bucket, 1, now);
  g_assert_cmpuint (taken, ==, 5);

  /* Over ten seconds at 100 attempts a second, the average holds at 10/s. */
  taken = 0;
  for (guint i = 0; i < 1000; i++)
    {
      now += G_USEC_PER_SEC / 100;
      taken += es_token_bucket_take (&bucket, 1, now);
    }
  g_assert_cmpuint (taken, >=, 99);
  g_assert_cmpuint (taken, <=, 101);
}

static void
test_amounts (void)
{
  EsTokenBucket bucket;

  es_token_bucket_init (&bucket, 1000, 1500);
  g_assert_true (es_token_bucket_take (&bucket, 1200, 1));
  g_assert_false (es_token_bucket_take (&bucket, 1200, 1));
  g_assert_true (es_token_bucket_take (&bucket, 1200, 1 + G_USEC_PER_SEC));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/token-bucket/burst-then-rate", test_burst_then_rate);
  g_test_add_func ("/token-bucket/amounts", test_amounts);
  return g_test_run ();
}
