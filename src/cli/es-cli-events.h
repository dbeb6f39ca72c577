/* es-cli-events.h: the JSON event lines of listen and call (DESIGN §8)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "es-call.h"
#include "es-signal-channel.h"

G_BEGIN_DECLS

/* One object per line on stdout, flushed at once (DESIGN §10.7). */
void es_cli_emit_simple       (const char      *name,
                               const char      *member,
                               const char      *value);
void es_cli_emit_error        (const char      *message);
void es_cli_emit_registered   (EsSignalChannel *channel,
                               const char      *fingerprint);
void es_cli_emit_call_state   (EsCall          *call);
void es_cli_emit_path         (EsCall          *call,
                               EsSignalChannel *channel);
void es_cli_emit_stats        (EsCall          *call);

G_END_DECLS
