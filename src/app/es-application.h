/* es-application.h: the Earshot desktop app
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "es-audio-device-monitor.h"
#include "es-contact-store.h"
#include "es-engine.h"
#include "es-identity-store.h"

G_BEGIN_DECLS

/* Where the app stands, in the words the window and the tray show. */
typedef enum {
  ES_APP_STATUS_NO_IDENTITY,   /* onboarding has not made an address yet */
  ES_APP_STATUS_LOCKED,        /* the identity file needs its passphrase */
  ES_APP_STATUS_NO_RELAY,      /* nothing to register with: see status-detail */
  ES_APP_STATUS_CONNECTING,
  ES_APP_STATUS_ONLINE,
  ES_APP_STATUS_RETRYING,      /* the relay is unreachable for now: see status-detail */
  ES_APP_STATUS_FAILED,        /* cannot work until the user changes something */
} EsAppStatus;

#define ES_TYPE_APPLICATION (es_application_get_type ())

G_DECLARE_FINAL_TYPE (EsApplication, es_application, ES, APPLICATION, AdwApplication)

/* Properties (read-only, notified): engine, status, status-detail,
 * current-call, do-not-disturb.
 * Signals: incoming-call (EsCall *call): a call rings here and should be
 * shown (not emitted under do-not-disturb). */

EsApplication   *es_application_new                 (void);

GSettings       *es_application_get_settings        (EsApplication *self);
EsIdentityStore *es_application_get_identity_store  (EsApplication *self);
/* NULL when contacts.db could not be opened: then the error says why. */
EsContactStore  *es_application_get_contacts        (EsApplication *self);
const char      *es_application_get_contacts_error  (EsApplication *self);
/* NULL until there is an identity and a relay. */
EsEngine        *es_application_get_engine          (EsApplication *self);
EsAppStatus      es_application_get_status          (EsApplication *self);
const char      *es_application_get_status_detail   (EsApplication *self);
/* The call the window shows: placed or answered here and not yet ended. */
EsCall          *es_application_get_current_call    (EsApplication *self);
/* An incoming call still ringing here, if any. */
EsCall          *es_application_get_ringing_call    (EsApplication *self);
/* The relays in effect: --relay, else EARSHOT_RELAY, else the settings. */
GStrv            es_application_dup_relays          (EsApplication *self);
/* TRUE when --relay or EARSHOT_RELAY chose them, not the settings. */
gboolean         es_application_relays_overridden   (EsApplication *self);

/* Onboarding is done: keep the identity and start. */
gboolean         es_application_set_identity        (EsApplication *self,
                                                     EsIdentity    *identity,
                                                     GError       **error);
gboolean         es_application_unlock              (EsApplication *self,
                                                     const char    *passphrase,
                                                     GError       **error);

/* Places a call, showing it in the window; errors go to the window. */
void             es_application_place_call          (EsApplication *self,
                                                     const char    *fingerprint);
void             es_application_answer              (EsApplication *self,
                                                     EsCall        *call);
/* Uses these devices (node names; NULL or "" for the system default) for
 * the call in progress, if any, and for calls from now on. */
gboolean         es_application_choose_audio        (EsApplication *self,
                                                     const char    *input,
                                                     const char    *output,
                                                     GError       **error);
/* The microphones and speakers there are; NULL with @error when there is
 * no sound server. */
EsAudioDeviceMonitor *es_application_get_device_monitor (EsApplication *self,
                                                         GError       **error);
/* What to call a peer: the contact's name, else NULL. */
const char      *es_application_lookup_name         (EsApplication *self,
                                                     const char    *fingerprint);
/* Shows the main window (making it if needed) and returns it. */
GtkWindow       *es_application_present_window      (EsApplication *self);

G_END_DECLS
