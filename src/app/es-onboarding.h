/* es-onboarding.h: the first run: a new address or a restored one
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "es-application.h"

G_BEGIN_DECLS

#define ES_TYPE_ONBOARDING (es_onboarding_get_type ())

G_DECLARE_FINAL_TYPE (EsOnboarding, es_onboarding, ES, ONBOARDING, AdwBin)

void es_onboarding_set_application (EsOnboarding  *self,
                                    EsApplication *application);

G_END_DECLS
