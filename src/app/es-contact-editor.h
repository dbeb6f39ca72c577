/* es-contact-editor.h: adding a contact, renaming or removing one
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "es-application.h"

G_BEGIN_DECLS

#define ES_TYPE_CONTACT_EDITOR (es_contact_editor_get_type ())

G_DECLARE_FINAL_TYPE (EsContactEditor, es_contact_editor, ES, CONTACT_EDITOR, AdwMessageDialog)

/* @address and @name prefill the fields (an earshot: link, a caller). */
void es_contact_editor_present_new  (GtkWindow     *parent,
                                     EsApplication *application,
                                     const char    *address,
                                     const char    *name);
void es_contact_editor_present_edit (GtkWindow     *parent,
                                     EsApplication *application,
                                     EsContact     *contact);

G_END_DECLS
