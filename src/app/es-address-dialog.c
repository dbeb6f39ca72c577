/* es-address-dialog.c
 *
 * The QR code carries the earshot: link with the display name, so that a
 * phone's camera or another Earshot fills in both (berty#4842).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsAddressDialog"

#include "config.h"

#include "es-address-dialog.h"

#include "es-earshot-uri.h"
#include "es-qr-code.h"

#define QR_MODULE_PIXELS 8

struct _EsAddressDialog
{
  AdwWindow parent_instance;

  char *fingerprint;
  char *link;

  GtkLabel *name_label;
  GtkPicture *qr_picture;
  GtkLabel *address_label;
  GtkWidget *copied_label;
  GtkWidget *copy_link_button;
};

G_DEFINE_FINAL_TYPE (EsAddressDialog, es_address_dialog, ADW_TYPE_WINDOW)

static void
copy (EsAddressDialog *self,
      const char      *text)
{
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)), text);
  gtk_widget_set_visible (self->copied_label, TRUE);
}

static void
on_copy_address_clicked (EsAddressDialog *self)
{
  copy (self, self->fingerprint);
}

static void
on_copy_link_clicked (EsAddressDialog *self)
{
  copy (self, self->link);
}

static void
es_address_dialog_finalize (GObject *object)
{
  EsAddressDialog *self = ES_ADDRESS_DIALOG (object);

  g_free (self->fingerprint);
  g_free (self->link);

  G_OBJECT_CLASS (es_address_dialog_parent_class)->finalize (object);
}

static void
es_address_dialog_class_init (EsAddressDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = es_address_dialog_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/earshot/Earshot/es-address-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, EsAddressDialog, name_label);
  gtk_widget_class_bind_template_child (widget_class, EsAddressDialog, qr_picture);
  gtk_widget_class_bind_template_child (widget_class, EsAddressDialog, address_label);
  gtk_widget_class_bind_template_child (widget_class, EsAddressDialog, copied_label);
  gtk_widget_class_bind_template_child (widget_class, EsAddressDialog, copy_link_button);
  gtk_widget_class_bind_template_callback (widget_class, on_copy_address_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_copy_link_clicked);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
es_address_dialog_init (EsAddressDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

EsAddressDialog *
es_address_dialog_new (EsApplication *application,
                       GtkWindow     *parent)
{
  EsAddressDialog *self = g_object_new (ES_TYPE_ADDRESS_DIALOG, "transient-for", parent, NULL);
  EsIdentity *identity = es_identity_store_get_identity (es_application_get_identity_store (application));
  g_autofree char *name = g_settings_get_string (es_application_get_settings (application),
                                                 "display-name");
  g_autoptr(GdkTexture) qr = NULL;
  g_autoptr(GError) error = NULL;

  if (identity == NULL)
    return self;
  self->fingerprint = g_strdup (es_identity_get_fingerprint (identity));
  self->link = es_earshot_uri_build (self->fingerprint, name);
  /* Without a name, the window's title says whose address this is. */
  gtk_label_set_text (self->name_label, name);
  gtk_widget_set_visible (GTK_WIDGET (self->name_label), name[0] != '\0');
  /* The first focus on the address would select it all: the button takes it. */
  gtk_window_set_focus (GTK_WINDOW (self), self->copy_link_button);
  gtk_label_set_text (self->address_label, self->fingerprint);
  qr = es_qr_code_new_texture (self->link, QR_MODULE_PIXELS, &error);
  if (qr != NULL)
    gtk_picture_set_paintable (self->qr_picture, GDK_PAINTABLE (qr));
  else
    g_warning ("%s", error->message);
  return self;
}
