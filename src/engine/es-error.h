/* es-error.h: the engine's general error domain
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define ES_ERROR (es_error_quark ())

typedef enum {
  ES_ERROR_FAILED,
  ES_ERROR_INVALID_ARGUMENT,    /* user input that cannot be right: an address, words, hex */
  ES_ERROR_NOT_FOUND,
  ES_ERROR_EXISTS,              /* refusing to replace something that exists */
  ES_ERROR_DAMAGED,             /* a file that does not parse or fails its own checks */
  ES_ERROR_PASSPHRASE_REQUIRED,
  ES_ERROR_WRONG_PASSPHRASE,
  ES_ERROR_PROTOCOL,            /* a peer broke the protocol */
} EsError;

GQuark es_error_quark (void);

G_END_DECLS
