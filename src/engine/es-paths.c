/* es-paths.c
 *
 * EARSHOT_HOME puts all state of a client in one directory, so that tests and
 * a second instance on the same machine never share files.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "es-paths.h"

static char *
home_override (void)
{
  const char *home = g_getenv ("EARSHOT_HOME");

  return home != NULL && home[0] != '\0' ? g_strdup (home) : NULL;
}

char *
es_paths_config_dir (void)
{
  char *home = home_override ();

  return home != NULL ? home : g_build_filename (g_get_user_config_dir (), "earshot", NULL);
}

char *
es_paths_data_dir (void)
{
  char *home = home_override ();

  return home != NULL ? home : g_build_filename (g_get_user_data_dir (), "earshot", NULL);
}

char *
es_paths_config_file (const char *name)
{
  g_autofree char *dir = es_paths_config_dir ();

  return g_build_filename (dir, name, NULL);
}

char *
es_paths_data_file (const char *name)
{
  g_autofree char *dir = es_paths_data_dir ();

  return g_build_filename (dir, name, NULL);
}
