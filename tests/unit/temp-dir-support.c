/* temp-dir-support.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "temp-dir-support.h"

#include <glib/gstdio.h>

void
temp_dir_remove_tree (const char *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir == NULL)
    {
      g_unlink (path);
      return;
    }
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      temp_dir_remove_tree (child);
    }
  g_dir_close (dir);
  g_rmdir (path);
}
