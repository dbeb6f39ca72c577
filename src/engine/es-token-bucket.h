/* es-token-bucket.h: a rate limit
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Allows `rate` units per second on average and bursts of up to `burst`. */
typedef struct
{
  double rate;
  double burst;
  double tokens;
  gint64 updated_us;
} EsTokenBucket;

void     es_token_bucket_init (EsTokenBucket *self,
                               double         rate,
                               double         burst);
gboolean es_token_bucket_take (EsTokenBucket *self,
                               double         amount,
                               gint64         now_us);

G_END_DECLS
