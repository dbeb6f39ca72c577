/* Replays a fuzz target's corpus as an ordinary test, so that every build
 * (not only the clang fuzzing build) checks that no input that once found a
 * bug, and no seed, crashes or leaks.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib.h>
#include <stdint.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
main (int argc, char **argv)
{
  guint replayed = 0;

  for (int i = 1; i < argc; i++)
    {
      g_autoptr(GDir) dir = g_dir_open (argv[i], 0, NULL);
      const char *name;

      if (dir == NULL)
        {
          g_printerr ("cannot open corpus %s\n", argv[i]);
          return 1;
        }
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *path = g_build_filename (argv[i], name, NULL);
          g_autofree char *contents = NULL;
          gsize length = 0;

          if (!g_file_get_contents (path, &contents, &length, NULL))
            {
              g_printerr ("cannot read %s\n", path);
              return 1;
            }
          LLVMFuzzerTestOneInput ((const uint8_t *) contents, length);
          replayed++;
        }
    }

  if (replayed == 0)
    {
      g_printerr ("empty corpus: nothing was replayed\n");
      return 1;
    }
  printf ("replayed %u inputs\n", replayed);
  return 0;
}
