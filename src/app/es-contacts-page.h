/* es-contacts-page.h: the address book
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "es-application.h"

G_BEGIN_DECLS

#define ES_TYPE_CONTACTS_PAGE (es_contacts_page_get_type ())

G_DECLARE_FINAL_TYPE (EsContactsPage, es_contacts_page, ES, CONTACTS_PAGE, AdwBin)

void es_contacts_page_set_application (EsContactsPage *self,
                                       EsApplication  *application);
void es_contacts_page_focus_search    (EsContactsPage *self);

G_END_DECLS
