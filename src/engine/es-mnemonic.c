/* es-mnemonic.c
 *
 * The seed itself is BIP39 *entropy*: 256 bits plus an 8-bit checksum (the
 * first byte of SHA-256 of the entropy) make 24 words of 11 bits each. This is
 * not BIP39's PBKDF2 seed derivation, which would make restore one-way.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsMnemonic"

#include "es-mnemonic.h"

#include <gio/gio.h>
#include <sodium.h>
#include <string.h>

#include "es-error.h"

#define WORDLIST_SIZE 2048
#define WORDLIST_RESOURCE "/io/github/earshot/engine/bip39-english.txt"

static const char * const *
wordlist (void)
{
  static char **words;

  if (g_once_init_enter (&words))
    {
      g_autoptr(GBytes) bytes = NULL;
      g_autofree char *text = NULL;
      char **list;

      bytes = g_resources_lookup_data (WORDLIST_RESOURCE, G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
      g_assert (bytes != NULL);
      text = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
      g_strstrip (text);
      list = g_strsplit (text, "\n", -1);
      g_assert (g_strv_length (list) == WORDLIST_SIZE);
      g_once_init_leave (&words, list);
    }

  return (const char * const *) words;
}

const char *
es_mnemonic_word (guint index)
{
  g_return_val_if_fail (index < WORDLIST_SIZE, NULL);
  return wordlist ()[index];
}

static int
compare_word (const void *key,
              const void *element)
{
  return strcmp (key, *(const char * const *) element);
}

/* The English list is sorted, so a binary search finds a word. */
int
es_mnemonic_word_index (const char *word)
{
  const char * const *words = wordlist ();
  const char * const *found;

  found = bsearch (word, words, WORDLIST_SIZE, sizeof *words, compare_word);
  return found != NULL ? (int) (found - words) : -1;
}

char *
es_mnemonic_from_entropy (const guint8 *entropy)
{
  guint8 digest[crypto_hash_sha256_BYTES];
  guint8 bits[ES_MNEMONIC_ENTROPY_SIZE + 1];
  GString *text = g_string_new (NULL);

  crypto_hash_sha256 (digest, entropy, ES_MNEMONIC_ENTROPY_SIZE);
  memcpy (bits, entropy, ES_MNEMONIC_ENTROPY_SIZE);
  bits[ES_MNEMONIC_ENTROPY_SIZE] = digest[0];

  for (guint w = 0; w < ES_MNEMONIC_WORD_COUNT; w++)
    {
      guint index = 0;

      for (guint b = w * 11; b < w * 11 + 11; b++)
        index = (index << 1) | ((bits[b / 8] >> (7 - b % 8)) & 1);
      if (w > 0)
        g_string_append_c (text, ' ');
      g_string_append (text, es_mnemonic_word (index));
    }

  sodium_memzero (bits, sizeof bits);
  return g_string_free (text, FALSE);
}

static guint
edit_distance (const char *a,
               const char *b)
{
  guint la = strlen (a), lb = strlen (b);
  g_autofree guint *row = g_new (guint, lb + 1);

  for (guint j = 0; j <= lb; j++)
    row[j] = j;
  for (guint i = 1; i <= la; i++)
    {
      guint diagonal = row[0];

      row[0] = i;
      for (guint j = 1; j <= lb; j++)
        {
          guint above = row[j];
          guint cost = a[i - 1] == b[j - 1] ? 0 : 1;

          row[j] = MIN (MIN (row[j] + 1, row[j - 1] + 1), diagonal + cost);
          diagonal = above;
        }
    }
  return row[lb];
}

/* The list words closest to a mistyped one ("deer" or "year" for "yeer"),
 * or NULL when nothing is close enough to be a plausible typo. */
static char *
closest_words (const char *word)
{
  const char * const *words = wordlist ();
  g_autoptr(GPtrArray) best = g_ptr_array_new ();
  guint best_distance = 3;

  for (guint i = 0; i < WORDLIST_SIZE; i++)
    {
      guint distance = edit_distance (word, words[i]);

      if (distance < best_distance)
        {
          best_distance = distance;
          g_ptr_array_set_size (best, 0);
        }
      if (distance == best_distance && best->len < 4)
        g_ptr_array_add (best, (gpointer) words[i]);
    }
  if (best->len == 0)
    return NULL;

  GString *text = g_string_new (NULL);
  for (guint i = 0; i < best->len; i++)
    {
      if (i > 0)
        g_string_append (text, i + 1 == best->len ? " or " : ", ");
      g_string_append_printf (text, "“%s”", (const char *) best->pdata[i]);
    }
  return g_string_free (text, FALSE);
}

static void
set_unknown_word_error (GError    **error,
                        guint       position,
                        const char *word)
{
  g_autofree char *lowered = g_ascii_strdown (word, -1);
  g_autofree char *suggestions = closest_words (lowered);

  if (suggestions != NULL)
    g_set_error (error, ES_ERROR, ES_ERROR_INVALID_ARGUMENT,
                 "word %u (“%s”) is not in the BIP39 English word list; did you mean %s?",
                 position, word, suggestions);
  else
    g_set_error (error, ES_ERROR, ES_ERROR_INVALID_ARGUMENT,
                 "word %u (“%s”) is not in the BIP39 English word list", position, word);
}

gboolean
es_mnemonic_to_entropy (const char *words,
                        guint8     *entropy,
                        GError    **error)
{
  g_auto(GStrv) tokens = NULL;
  guint8 bits[ES_MNEMONIC_ENTROPY_SIZE + 1] = { 0 };
  guint8 digest[crypto_hash_sha256_BYTES];
  guint count = 0;

  g_return_val_if_fail (words != NULL, FALSE);

  tokens = g_strsplit_set (words, " \t\r\n", -1);
  for (guint i = 0; tokens[i] != NULL; i++)
    {
      g_autofree char *word = NULL;
      int index;

      if (tokens[i][0] == '\0')
        continue;
      if (++count > ES_MNEMONIC_WORD_COUNT)
        continue;

      word = g_ascii_strdown (tokens[i], -1);
      index = es_mnemonic_word_index (word);
      if (index < 0)
        {
          set_unknown_word_error (error, count, tokens[i]);
          return FALSE;
        }
      for (guint b = 0; b < 11; b++)
        {
          guint bit = (count - 1) * 11 + b;

          if ((index >> (10 - b)) & 1)
            bits[bit / 8] |= (guint8) (1 << (7 - bit % 8));
        }
    }

  if (count != ES_MNEMONIC_WORD_COUNT)
    {
      g_set_error (error, ES_ERROR, ES_ERROR_INVALID_ARGUMENT,
                   "expected %u words, got %u", ES_MNEMONIC_WORD_COUNT, count);
      return FALSE;
    }

  crypto_hash_sha256 (digest, bits, ES_MNEMONIC_ENTROPY_SIZE);
  if (digest[0] != bits[ES_MNEMONIC_ENTROPY_SIZE])
    {
      sodium_memzero (bits, sizeof bits);
      g_set_error_literal (error, ES_ERROR, ES_ERROR_INVALID_ARGUMENT,
                           "the words fail their checksum: one of them is wrong "
                           "or two are swapped (the last word carries the checksum)");
      return FALSE;
    }

  memcpy (entropy, bits, ES_MNEMONIC_ENTROPY_SIZE);
  sodium_memzero (bits, sizeof bits);
  return TRUE;
}
