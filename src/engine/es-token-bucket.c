/* es-token-bucket.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "es-token-bucket.h"

void
es_token_bucket_init (EsTokenBucket *self,
                      double         rate,
                      double         burst)
{
  self->rate = rate;
  self->burst = burst;
  self->tokens = burst;
  self->updated_us = 0;
}

/* Takes `amount` tokens if there are enough; the caller passes the clock so
 * that one reading serves many buckets and tests can drive time. */
gboolean
es_token_bucket_take (EsTokenBucket *self,
                      double         amount,
                      gint64         now_us)
{
  if (self->updated_us != 0 && now_us > self->updated_us)
    self->tokens = MIN (self->burst,
                        self->tokens + self->rate * (double) (now_us - self->updated_us) / G_USEC_PER_SEC);
  self->updated_us = now_us;

  if (self->tokens < amount)
    return FALSE;
  self->tokens -= amount;
  return TRUE;
}
