/* es-error.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "es-error.h"

G_DEFINE_QUARK (es-error-quark, es_error)
