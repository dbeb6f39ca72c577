/* es-onboarding.c
 *
 * A new address is only kept once its backup is proven: the 24 words are
 * shown, a few of them typed back, and only then is the identity written.
 * Quitting half way leaves nothing behind, so the next start begins again
 * instead of leaving an address nobody can restore.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsOnboarding"

#include "config.h"

#include "es-onboarding.h"

#include <glib/gi18n.h>
#include <stdlib.h>
#include <string.h>

#include "es-accessibility.h"
#include "es-identity.h"
#include "es-mnemonic.h"
#include "es-relay-spec.h"

#define WORDS_TO_CONFIRM 3

struct _EsOnboarding
{
  AdwBin parent_instance;

  EsApplication *application;
  EsIdentity *identity;          /* made or restored, not yet saved */
  char **words;
  GPtrArray *confirm_rows;       /* AdwEntryRow, with "word-index" data */
  GPtrArray *history;            /* step names, for Back */

  AdwWindowTitle *step_title;
  GtkWidget *back_button;
  GtkStack *steps;
  GtkFlowBox *words_box;
  GtkLabel *new_address_label;
  GtkListBox *confirm_list;
  GtkWidget *confirm_button;
  GtkTextView *restore_text;
  GtkLabel *restore_error;
  AdwEntryRow *name_row;
  AdwActionRow *relay_given_row;
  AdwEntryRow *relay_row;
  GtkLabel *relay_error;
};

G_DEFINE_FINAL_TYPE (EsOnboarding, es_onboarding, ADW_TYPE_BIN)

static const char *
step_title (const char *step)
{
  if (g_str_equal (step, "words"))
    return _("Backup Words");
  if (g_str_equal (step, "confirm"))
    return _("Check Backup");
  if (g_str_equal (step, "restore"))
    return _("Restore");
  if (g_str_equal (step, "name"))
    return _("Your Name");
  if (g_str_equal (step, "relay"))
    return _("Relay");
  return "";
}

static void
show_step (EsOnboarding *self,
           const char   *step,
           gboolean      remember)
{
  const char *current = gtk_stack_get_visible_child_name (self->steps);

  if (remember && current != NULL)
    g_ptr_array_add (self->history, g_strdup (current));
  gtk_stack_set_visible_child_name (self->steps, step);
  adw_window_title_set_title (self->step_title, step_title (step));
  gtk_widget_set_visible (self->back_button, self->history->len > 0);
}

static void
on_back_clicked (EsOnboarding *self)
{
  g_autofree char *previous = NULL;

  if (self->history->len == 0)
    return;
  previous = g_ptr_array_steal_index (self->history, self->history->len - 1);
  show_step (self, previous, FALSE);
}

/* ---- A new address ---------------------------------------------------------- */

static void
fill_words (EsOnboarding *self)
{
  GtkWidget *child;
  g_autofree char *address = NULL;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->words_box))) != NULL)
    gtk_flow_box_remove (self->words_box, child);
  for (guint i = 0; self->words[i] != NULL; i++)
    {
      g_autofree char *text = g_strdup_printf ("%u. %s", i + 1, self->words[i]);
      GtkWidget *label = gtk_label_new (text);

      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_widget_add_css_class (label, "es-word");
      gtk_flow_box_append (self->words_box, label);
    }
  address = g_strdup_printf (_("Your new address: %s"),
                             es_identity_get_fingerprint (self->identity));
  gtk_label_set_text (self->new_address_label, address);
}

static void
forget_pending_identity (EsOnboarding *self)
{
  g_clear_object (&self->identity);
  if (self->words != NULL)
    {
      for (guint i = 0; self->words[i] != NULL; i++)
        memset (self->words[i], 0, strlen (self->words[i]));
      g_clear_pointer (&self->words, g_strfreev);
    }
}

static void
on_create_clicked (EsOnboarding *self)
{
  g_autofree char *mnemonic = NULL;

  forget_pending_identity (self);
  self->identity = es_identity_new_random ();
  mnemonic = es_identity_export_mnemonic (self->identity);
  self->words = g_strsplit (mnemonic, " ", -1);
  memset (mnemonic, 0, strlen (mnemonic));
  fill_words (self);
  show_step (self, "words", TRUE);
}

static gboolean
word_matches (AdwEntryRow *row)
{
  const char *expected = g_object_get_data (G_OBJECT (row), "expected");
  g_autofree char *typed = g_strstrip (g_utf8_strdown (gtk_editable_get_text (GTK_EDITABLE (row)),
                                                       -1));

  return g_str_equal (typed, expected);
}

static void
on_confirm_word_changed (EsOnboarding *self)
{
  gboolean all = TRUE;

  for (guint i = 0; i < self->confirm_rows->len; i++)
    all = all && word_matches (self->confirm_rows->pdata[i]);
  gtk_widget_set_sensitive (self->confirm_button, all);
}

static void
clear_confirm_rows (EsOnboarding *self)
{
  for (guint i = 0; i < self->confirm_rows->len; i++)
    gtk_list_box_remove (self->confirm_list, self->confirm_rows->pdata[i]);
  g_ptr_array_set_size (self->confirm_rows, 0);
}

static int
compare_uints (gconstpointer a,
               gconstpointer b)
{
  return (int) *(const guint *) a - (int) *(const guint *) b;
}

static void
on_words_written_clicked (EsOnboarding *self)
{
  guint positions[WORDS_TO_CONFIRM];

  /* Distinct random positions, asked in order as one reads the paper. */
  for (guint i = 0; i < WORDS_TO_CONFIRM; i++)
    {
      gboolean taken;

      do
        {
          positions[i] = (guint) g_random_int_range (0, ES_MNEMONIC_WORD_COUNT);
          taken = FALSE;
          for (guint j = 0; j < i; j++)
            taken = taken || positions[j] == positions[i];
        }
      while (taken);
    }
  qsort (positions, WORDS_TO_CONFIRM, sizeof positions[0], compare_uints);

  clear_confirm_rows (self);
  for (guint i = 0; i < WORDS_TO_CONFIRM; i++)
    {
      GtkWidget *row = adw_entry_row_new ();
      g_autofree char *title = g_strdup_printf (_("Word %u"), positions[i] + 1);

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
      g_object_set_data (G_OBJECT (row), "expected", self->words[positions[i]]);
      g_signal_connect_swapped (row, "changed", G_CALLBACK (on_confirm_word_changed), self);
      gtk_list_box_append (self->confirm_list, row);
      g_ptr_array_add (self->confirm_rows, row);
    }
  gtk_widget_set_sensitive (self->confirm_button, FALSE);
  show_step (self, "confirm", TRUE);
  gtk_widget_grab_focus (self->confirm_rows->pdata[0]);
}

static void
on_confirm_clicked (EsOnboarding *self)
{
  show_step (self, "name", TRUE);
  gtk_widget_grab_focus (GTK_WIDGET (self->name_row));
}

/* ---- Restoring ----------------------------------------------------------------- */

static void
on_restore_clicked (EsOnboarding *self)
{
  gtk_widget_set_visible (GTK_WIDGET (self->restore_error), FALSE);
  show_step (self, "restore", TRUE);
  gtk_widget_grab_focus (GTK_WIDGET (self->restore_text));
}

static gboolean
looks_like_hex (const char *text)
{
  for (const char *p = text; *p != '\0'; p++)
    if (!g_ascii_isxdigit (*p))
      return FALSE;
  return TRUE;
}

static void
on_restore_words_clicked (EsOnboarding *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->restore_text);
  GtkTextIter start, end;
  g_autofree char *text = NULL;
  g_autofree char *joined = NULL;
  g_autofree char *normalized = NULL;
  g_auto(GStrv) words = NULL;
  g_autoptr(GError) error = NULL;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  text = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
  /* Words may come one per line or with extra spaces, as copied from paper. */
  words = g_regex_split_simple ("\\s+", g_strstrip (text), 0, 0);
  joined = g_strjoinv (" ", words);
  normalized = g_utf8_strdown (joined, -1);

  forget_pending_identity (self);
  if (looks_like_hex (normalized))
    self->identity = es_identity_new_from_hex (normalized, &error);
  else
    self->identity = es_identity_new_from_mnemonic (normalized, &error);
  memset (text, 0, strlen (text));
  memset (joined, 0, strlen (joined));
  memset (normalized, 0, strlen (normalized));
  if (self->identity == NULL)
    {
      g_autofree char *message = g_strdup_printf (_("These words do not restore an address: %s"),
                                                  error->message);

      gtk_label_set_text (self->restore_error, message);
      gtk_widget_set_visible (GTK_WIDGET (self->restore_error), TRUE);
      return;
    }
  gtk_text_buffer_set_text (buffer, "", 0);
  show_step (self, "name", TRUE);
  gtk_widget_grab_focus (GTK_WIDGET (self->name_row));
}

/* ---- Name and relay -------------------------------------------------------------- */

static void
prepare_relay_step (EsOnboarding *self)
{
  g_auto(GStrv) relays = es_application_dup_relays (self->application);
  gboolean given = es_application_relays_overridden (self->application);

  /* A relay given on the command line (the run command's local relay) is
   * used as is and not written to the settings: it lives only as long as
   * that run. */
  gtk_widget_set_visible (GTK_WIDGET (self->relay_given_row), given);
  gtk_widget_set_visible (GTK_WIDGET (self->relay_row), !given);
  if (given)
    adw_action_row_set_subtitle (self->relay_given_row, relays[0]);
  else if (relays[0] != NULL && gtk_editable_get_text (GTK_EDITABLE (self->relay_row))[0] == '\0')
    gtk_editable_set_text (GTK_EDITABLE (self->relay_row), relays[0]);
  gtk_widget_set_visible (GTK_WIDGET (self->relay_error), FALSE);
}

static void
on_name_done (EsOnboarding *self)
{
  prepare_relay_step (self);
  show_step (self, "relay", TRUE);
}

static gboolean
save_relay (EsOnboarding *self,
            GSettings    *settings)
{
  g_autofree char *text = NULL;
  g_autoptr(EsRelaySpec) spec = NULL;
  g_autoptr(GError) error = NULL;
  const char *relays[2] = { NULL, NULL };

  if (es_application_relays_overridden (self->application))
    return TRUE;
  text = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->relay_row))));
  if (text[0] == '\0')
    return TRUE;   /* the window then says that calls need a relay */
  spec = es_relay_spec_parse (text, &error);
  if (spec == NULL)
    {
      gtk_label_set_text (self->relay_error, error->message);
      gtk_widget_set_visible (GTK_WIDGET (self->relay_error), TRUE);
      return FALSE;
    }
  relays[0] = text;
  g_settings_set_strv (settings, "relays", relays);
  return TRUE;
}

static void
on_finish_clicked (EsOnboarding *self)
{
  GSettings *settings = es_application_get_settings (self->application);
  g_autofree char *name = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->name_row))));
  g_autoptr(GError) error = NULL;

  if (!save_relay (self, settings))
    return;
  g_settings_set_string (settings, "display-name", name);
  if (!es_application_set_identity (self->application, self->identity, &error))
    {
      gtk_label_set_text (self->relay_error, error->message);
      gtk_widget_set_visible (GTK_WIDGET (self->relay_error), TRUE);
      return;
    }
  forget_pending_identity (self);
  clear_confirm_rows (self);
  g_ptr_array_set_size (self->history, 0);
  show_step (self, "welcome", FALSE);
}

/* ---- GObject ----------------------------------------------------------------------- */

static void
es_onboarding_dispose (GObject *object)
{
  EsOnboarding *self = ES_ONBOARDING (object);

  forget_pending_identity (self);
  g_clear_object (&self->application);
  gtk_widget_dispose_template (GTK_WIDGET (self), ES_TYPE_ONBOARDING);

  G_OBJECT_CLASS (es_onboarding_parent_class)->dispose (object);
}

static void
es_onboarding_finalize (GObject *object)
{
  EsOnboarding *self = ES_ONBOARDING (object);

  g_ptr_array_unref (self->confirm_rows);
  g_ptr_array_unref (self->history);

  G_OBJECT_CLASS (es_onboarding_parent_class)->finalize (object);
}

static void
es_onboarding_class_init (EsOnboardingClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = es_onboarding_dispose;
  object_class->finalize = es_onboarding_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/earshot/Earshot/es-onboarding.ui");
  gtk_widget_class_bind_template_child (widget_class, EsOnboarding, step_title);
  gtk_widget_class_bind_template_child (widget_class, EsOnboarding, back_button);
  gtk_widget_class_bind_template_child (widget_class, EsOnboarding, steps);
  gtk_widget_class_bind_template_child (widget_class, EsOnboarding, words_box);
  gtk_widget_class_bind_template_child (widget_class, EsOnboarding, new_address_label);
  gtk_widget_class_bind_template_child (widget_class, EsOnboarding, confirm_list);
  gtk_widget_class_bind_template_child (widget_class, EsOnboarding, confirm_button);
  gtk_widget_class_bind_template_child (widget_class, EsOnboarding, restore_text);
  gtk_widget_class_bind_template_child (widget_class, EsOnboarding, restore_error);
  gtk_widget_class_bind_template_child (widget_class, EsOnboarding, name_row);
  gtk_widget_class_bind_template_child (widget_class, EsOnboarding, relay_given_row);
  gtk_widget_class_bind_template_child (widget_class, EsOnboarding, relay_row);
  gtk_widget_class_bind_template_child (widget_class, EsOnboarding, relay_error);
  gtk_widget_class_bind_template_callback (widget_class, on_back_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_create_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_restore_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_words_written_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_confirm_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_restore_words_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_name_done);
  gtk_widget_class_bind_template_callback (widget_class, on_finish_clicked);
}

static void
es_onboarding_init (EsOnboarding *self)
{
  self->confirm_rows = g_ptr_array_new ();
  self->history = g_ptr_array_new_with_free_func (g_free);
  gtk_widget_init_template (GTK_WIDGET (self));
  es_accessibility_follow_stack (GTK_WIDGET (self->steps));
}

void
es_onboarding_set_application (EsOnboarding  *self,
                               EsApplication *application)
{
  GSettings *settings = es_application_get_settings (application);
  g_autofree char *name = g_settings_get_string (settings, "display-name");
  const char *real_name = g_get_real_name ();

  g_set_object (&self->application, application);
  /* GLib says "Unknown" when the system has no name for the user. */
  if (name[0] == '\0' && g_strcmp0 (real_name, "Unknown") != 0)
    gtk_editable_set_text (GTK_EDITABLE (self->name_row), real_name);
  else
    gtk_editable_set_text (GTK_EDITABLE (self->name_row), name);
}
