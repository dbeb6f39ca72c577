/* es-paths.h: where a client keeps its state (DESIGN §10.1)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

char *es_paths_config_dir (void);
char *es_paths_data_dir   (void);
char *es_paths_config_file (const char *name);
char *es_paths_data_file   (const char *name);

G_END_DECLS
