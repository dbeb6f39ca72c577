/* es-call-notifier.h: how a ringing call gets a person's attention
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "es-application.h"

G_BEGIN_DECLS

#define ES_TYPE_CALL_NOTIFIER (es_call_notifier_get_type ())

G_DECLARE_FINAL_TYPE (EsCallNotifier, es_call_notifier, ES, CALL_NOTIFIER, GObject)

EsCallNotifier *es_call_notifier_new (EsApplication *application);

G_END_DECLS
