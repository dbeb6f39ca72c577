/* temp-dir-support.h: the unit tests' scratch directories
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Removes @path and, if it is a directory, everything below it. */
void temp_dir_remove_tree (const char *path);

G_END_DECLS
