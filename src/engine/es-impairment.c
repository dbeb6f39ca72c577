/* es-impairment.c
 *
 * The kernel here has no netem, so loss and delay for tests are made on the
 * sending side. Loss follows a two-state Gilbert–Elliott chain: in the bad
 * state every packet is lost, in the good state none. With a mean burst
 * length N > 1 the chain leaves the bad state with probability r = 1/N, and
 * enters it with p = loss·r / (1 − loss), which makes the long-run loss rate
 * p / (p + r) = loss. N = 1 means independent ("random") loss.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsImpairment"

#include "es-impairment.h"

#include <math.h>

#include "es-error.h"

#define ENVIRONMENT_VARIABLE "EARSHOT_IMPAIR"

struct _EsImpairment
{
  double loss_percent;
  double burst;
  double delay_ms;
  double jitter_ms;
  double reorder_percent;
  double dup_percent;
  double from_s;        /* impaired only from this many seconds after creation... */
  double until_s;       /* ...until this many; 0: for ever */
  gint64 created_us;
  guint32 seed;

  GRand *rand;
  gboolean in_loss_burst;
  double enter_burst;   /* P(good → bad) */
  double leave_burst;   /* P(bad → good) */
};

typedef struct
{
  const char *key;
  gsize offset;
  double min;
  double max;
} NumericKey;

static const NumericKey numeric_keys[] = {
  { "loss", G_STRUCT_OFFSET (EsImpairment, loss_percent), 0, 100 },
  { "burst", G_STRUCT_OFFSET (EsImpairment, burst), 1, 1000 },
  { "delay", G_STRUCT_OFFSET (EsImpairment, delay_ms), 0, 60000 },
  { "jitter", G_STRUCT_OFFSET (EsImpairment, jitter_ms), 0, 60000 },
  { "reorder", G_STRUCT_OFFSET (EsImpairment, reorder_percent), 0, 100 },
  { "dup", G_STRUCT_OFFSET (EsImpairment, dup_percent), 0, 100 },
  { "from", G_STRUCT_OFFSET (EsImpairment, from_s), 0, 86400 },
  { "until", G_STRUCT_OFFSET (EsImpairment, until_s), 0, 86400 },
};

#define KNOWN_KEYS "loss, burst, delay, jitter, reorder, dup, from, until, seed"

static gboolean
parse_number (const NumericKey *key,
              const char       *value,
              double           *number,
              GError          **error)
{
  char *end = NULL;

  *number = g_ascii_strtod (value, &end);
  if (*value == '\0' || end == NULL || *end != '\0' || !isfinite (*number) ||
      *number < key->min || *number > key->max)
    {
      g_set_error (error, ES_ERROR, ES_ERROR_INVALID_ARGUMENT,
                   "%s=%s is not a number from %g to %g", key->key, value, key->min, key->max);
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_seed (const char *value,
            guint32    *seed,
            GError    **error)
{
  guint64 number = 0;

  if (!g_ascii_string_to_unsigned (value, 10, 0, G_MAXUINT32, &number, NULL))
    {
      g_set_error (error, ES_ERROR, ES_ERROR_INVALID_ARGUMENT,
                   "seed=%s is not a whole number from 0 to %u", value, G_MAXUINT32);
      return FALSE;
    }
  *seed = (guint32) number;
  return TRUE;
}

static const NumericKey *
find_numeric_key (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (numeric_keys); i++)
    if (g_str_equal (numeric_keys[i].key, name))
      return &numeric_keys[i];
  return NULL;
}

static gboolean
parse_item (EsImpairment *self,
            const char   *item,
            GHashTable   *seen,
            GError      **error)
{
  g_auto(GStrv) pair = g_strsplit (item, "=", 2);
  const char *name;
  const char *value;
  const NumericKey *key;

  /* An empty item splits into nothing at all. */
  if (pair[0] == NULL || pair[1] == NULL)
    {
      g_set_error (error, ES_ERROR, ES_ERROR_INVALID_ARGUMENT,
                   "“%s” is not KEY=VALUE (keys: " KNOWN_KEYS ")", item);
      return FALSE;
    }
  name = g_strstrip (pair[0]);
  value = g_strstrip (pair[1]);

  if (g_hash_table_contains (seen, name))
    {
      g_set_error (error, ES_ERROR, ES_ERROR_INVALID_ARGUMENT, "%s is given twice", name);
      return FALSE;
    }
  g_hash_table_add (seen, g_strdup (name));

  if (g_str_equal (name, "seed"))
    return parse_seed (value, &self->seed, error);

  key = find_numeric_key (name);
  if (key == NULL)
    {
      g_set_error (error, ES_ERROR, ES_ERROR_INVALID_ARGUMENT,
                   "unknown key “%s” (keys: " KNOWN_KEYS ")", name);
      return FALSE;
    }
  return parse_number (key, value, G_STRUCT_MEMBER_P (self, key->offset), error);
}

static gboolean
set_up_loss_chain (EsImpairment *self,
                   GError      **error)
{
  double loss = self->loss_percent / 100;

  if (self->burst <= 1 || loss >= 1)
    {
      /* Independent losses: the next state does not depend on this one. */
      self->enter_burst = loss;
      self->leave_burst = 1 - loss;
      return TRUE;
    }

  self->leave_burst = 1 / self->burst;
  self->enter_burst = loss * self->leave_burst / (1 - loss);
  if (self->enter_burst > 1)
    {
      g_set_error (error, ES_ERROR, ES_ERROR_INVALID_ARGUMENT,
                   "burst=%g is too short for loss=%g: at that loss rate bursts average "
                   "at least %g packets", self->burst, self->loss_percent, 1 / (1 - loss));
      return FALSE;
    }
  return TRUE;
}

EsImpairment *
es_impairment_new_from_string (const char *spec,
                               GError    **error)
{
  g_autoptr(EsImpairment) self = g_new0 (EsImpairment, 1);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_auto(GStrv) items = NULL;

  g_return_val_if_fail (spec != NULL, NULL);

  self->burst = 1;
  self->seed = g_random_int ();

  items = g_strsplit (spec, ",", -1);
  for (guint i = 0; items[i] != NULL; i++)
    if (!parse_item (self, items[i], seen, error))
      return NULL;

  if (!set_up_loss_chain (self, error))
    return NULL;
  if (self->until_s > 0 && self->until_s <= self->from_s)
    {
      g_set_error (error, ES_ERROR, ES_ERROR_INVALID_ARGUMENT,
                   "until=%g must come after from=%g", self->until_s, self->from_s);
      return NULL;
    }
  self->rand = g_rand_new_with_seed (self->seed);
  self->created_us = g_get_monotonic_time ();
  return g_steal_pointer (&self);
}

EsImpairment *
es_impairment_new_from_env (GError **error)
{
  const char *spec = g_getenv (ENVIRONMENT_VARIABLE);
  EsImpairment *self;

  if (spec == NULL || *spec == '\0')
    return NULL;

  self = es_impairment_new_from_string (spec, error);
  if (self == NULL)
    g_prefix_error (error, ENVIRONMENT_VARIABLE ": ");
  return self;
}

void
es_impairment_free (EsImpairment *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->rand, g_rand_free);
  g_free (self);
}

char *
es_impairment_to_string (EsImpairment *self)
{
  GString *text = g_string_new (NULL);

  g_return_val_if_fail (self != NULL, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (numeric_keys); i++)
    {
      char number[G_ASCII_DTOSTR_BUF_SIZE];
      double value = G_STRUCT_MEMBER (double, self, numeric_keys[i].offset);

      g_string_append_printf (text, "%s=%s,", numeric_keys[i].key,
                              g_ascii_formatd (number, sizeof number, "%g", value));
    }
  g_string_append_printf (text, "seed=%u", self->seed);
  return g_string_free (text, FALSE);
}

static gboolean
chance (EsImpairment *self,
        double        probability)
{
  return probability > 0 && g_rand_double (self->rand) < probability;
}

static gboolean
next_packet_lost (EsImpairment *self)
{
  if (self->in_loss_burst)
    self->in_loss_burst = !chance (self, self->leave_burst);
  else
    self->in_loss_burst = chance (self, self->enter_burst);
  return self->in_loss_burst;
}

/* from= and until= let a test change the network mid-call: impaired, then
 * clean again (or the other way round). */
static gboolean
in_window (EsImpairment *self)
{
  double elapsed_s = (g_get_monotonic_time () - self->created_us) / 1e6;

  return elapsed_s >= self->from_s && (self->until_s == 0 || elapsed_s < self->until_s);
}

static gint64
next_delay_us (EsImpairment *self)
{
  double delay_ms = self->delay_ms;

  if (self->jitter_ms > 0)
    delay_ms += g_rand_double_range (self->rand, -self->jitter_ms, self->jitter_ms);
  return (gint64) (MAX (delay_ms, 0) * 1000);
}

guint
es_impairment_next (EsImpairment *self,
                    gint64       *delays_us)
{
  guint copies = 1;

  g_return_val_if_fail (self != NULL, 1);

  if (!in_window (self))
    {
      delays_us[0] = 0;
      return 1;
    }
  if (next_packet_lost (self))
    return 0;

  delays_us[0] = next_delay_us (self);
  if (chance (self, self->reorder_percent / 100))
    delays_us[0] += (gint64) ((ES_IMPAIRMENT_REORDER_MS + 2 * self->jitter_ms) * 1000);
  if (chance (self, self->dup_percent / 100))
    delays_us[copies++] = next_delay_us (self);
  return copies;
}
