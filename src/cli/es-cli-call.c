/* es-cli-call.c: earshot-cli listen and earshot-cli call (DESIGN §8, §10.2)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsCli"

#include "es-cli.h"

#include <gio/gunixinputstream.h>
#include <glib-unix.h>

#include "es-address.h"
#include "es-audio-pipewire.h"
#include "es-audio-wav.h"
#include "es-cli-events.h"
#include "es-json.h"
#include "es-engine.h"
#include "es-error.h"
#include "es-fingerprint.h"

/* `call` gives up when the relay does not take its registration by then. */
#define REGISTER_TIMEOUT_S 15

typedef struct
{
  gboolean listening;
  gboolean auto_answer;
  char *play;
  char *record;
  char *audio;                   /* --audio: "wav" (NULL too) or "pipewire" */
  char *input;
  char *output;
  int duration;
  char *target;

  GMainLoop *loop;
  EsEngine *engine;
  EsCall *call;                  /* the call that has the audio files */
  gboolean call_was_active;
  guint duration_id;
  guint register_timeout_id;
  gboolean dialled;
  GDataInputStream *commands;
  GCancellable *cancellable;
  int status;
} Session;

static void
session_clear (Session *session)
{
  g_clear_handle_id (&session->duration_id, g_source_remove);
  g_clear_handle_id (&session->register_timeout_id, g_source_remove);
  if (session->cancellable != NULL)
    g_cancellable_cancel (session->cancellable);
  g_clear_object (&session->cancellable);
  g_clear_object (&session->commands);
  if (session->call != NULL)
    g_signal_handlers_disconnect_by_data (session->call, session);
  g_clear_object (&session->call);
  g_clear_object (&session->engine);
  g_clear_pointer (&session->loop, g_main_loop_unref);
  g_free (session->play);
  g_free (session->record);
  g_free (session->audio);
  g_free (session->input);
  g_free (session->output);
  g_free (session->target);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Session, session_clear)

static void
finish (Session *session,
        int      status)
{
  session->status = status;
  g_main_loop_quit (session->loop);
}

/* ---- One call ------------------------------------------------------------- */

static gboolean
on_duration_over (gpointer data)
{
  Session *session = data;

  session->duration_id = 0;
  if (session->call != NULL)
    es_call_hangup (session->call);
  return G_SOURCE_REMOVE;
}

static void
call_ended (Session *session,
            EsCall  *call)
{
  EsCallEndReason reason = es_call_get_end_reason (call);

  g_clear_handle_id (&session->duration_id, g_source_remove);
  if (call != session->call)
    return;
  g_signal_handlers_disconnect_by_data (call, session);
  g_clear_object (&session->call);
  if (session->listening)
    return;

  /* `call` succeeds only for a call that became active and was hung up. */
  if (session->call_was_active && reason == ES_CALL_END_HANGUP)
    finish (session, ES_CLI_EXIT_OK);
  else
    finish (session, es_cli_failure ("the call ended: %s", es_call_end_reason_to_string (reason)));
}

static void
on_call_state_changed (EsCall      *call,
                       EsCallState  state,
                       EsCallState  old_state,
                       Session     *session)
{
  switch (state)
    {
    case ES_CALL_STATE_RINGING:
      if (es_call_is_outgoing (call))
        es_cli_emit_simple ("ringing", "call_id", es_call_get_id (call));
      break;
    case ES_CALL_STATE_CONNECTING:
      es_cli_emit_call_state (call);
      break;
    case ES_CALL_STATE_ACTIVE:
      session->call_was_active = TRUE;
      es_cli_emit_call_state (call);
      es_cli_emit_path (call, es_engine_get_signal_channel (session->engine));
      if (session->duration > 0)
        session->duration_id = g_timeout_add_seconds ((guint) session->duration,
                                                      on_duration_over, session);
      break;
    case ES_CALL_STATE_ENDED:
      es_cli_emit_call_state (call);
      call_ended (session, call);
      break;
    case ES_CALL_STATE_DIALING:
    default:
      break;
    }
}

static void
on_call_stats (EsCall  *call,
               Session *session)
{
  es_cli_emit_stats (call);
}

static void
on_call_path_changed (EsCall  *call,
                      Session *session)
{
  if (es_call_get_state (call) == ES_CALL_STATE_ACTIVE)
    es_cli_emit_path (call, es_engine_get_signal_channel (session->engine));
}

/* A device or recording that failed mid-call. */
static void
on_audio_error (EsAudioBackend *audio,
                GError         *error,
                gpointer        data)
{
  es_cli_emit_error (error->message);
}

static EsAudioBackend *
open_audio (Session *session,
            GError **error)
{
  EsAudioBackend *audio;

  if (g_strcmp0 (session->audio, "pipewire") == 0)
    audio = ES_AUDIO_BACKEND (es_audio_pipewire_new (session->input, session->output, error));
  else
    audio = ES_AUDIO_BACKEND (es_audio_wav_new (session->play, session->record, error));
  if (audio != NULL)
    g_signal_connect (audio, "error", G_CALLBACK (on_audio_error), NULL);
  return audio;
}

static void
follow_call (Session *session,
             EsCall  *call)
{
  session->call = g_object_ref (call);
  session->call_was_active = FALSE;
  g_signal_connect (call, "state-changed", G_CALLBACK (on_call_state_changed), session);
  g_signal_connect (call, "stats", G_CALLBACK (on_call_stats), session);
  g_signal_connect (call, "path-changed", G_CALLBACK (on_call_path_changed), session);
}

static void
answer (Session *session,
        EsCall  *call)
{
  g_autoptr(EsAudioBackend) audio = NULL;
  g_autoptr(GError) error = NULL;

  if (session->call != NULL)
    {
      /* The audio files serve one call at a time. */
      es_call_decline_busy (call);
      return;
    }
  audio = open_audio (session, &error);
  if (audio == NULL)
    {
      es_cli_emit_error (error->message);
      es_call_decline (call);
      return;
    }
  es_call_set_audio (call, audio);
  follow_call (session, call);
  es_call_answer (call);
}

/* ---- listen ------------------------------------------------------------------ */

static void
on_incoming_call (EsEngine *engine,
                  EsCall   *call,
                  Session  *session)
{
  g_autoptr(JsonObject) event = json_object_new ();

  json_object_set_string_member (event, "event", "incoming");
  json_object_set_string_member (event, "call_id", es_call_get_id (call));
  json_object_set_string_member (event, "from", es_call_get_peer (call));
  es_json_print_line (event);

  if (session->auto_answer)
    answer (session, call);
  else
    g_signal_connect (call, "state-changed", G_CALLBACK (on_call_state_changed), session);
}

static EsCall *
find_call (Session    *session,
           const char *call_id)
{
  GListModel *calls = es_engine_get_calls (session->engine);

  for (guint i = 0; i < g_list_model_get_n_items (calls); i++)
    {
      g_autoptr(EsCall) call = g_list_model_get_item (calls, i);

      if (g_strcmp0 (es_call_get_id (call), call_id) == 0)
        return call;
    }
  return NULL;
}

static void read_next_command (Session *session);

/* "answer CALL_ID", "decline CALL_ID", "hangup CALL_ID" (DESIGN §10.2). */
static void
run_command (Session    *session,
             const char *line)
{
  g_auto(GStrv) words = g_strsplit (g_strstrip ((char *) line), " ", -1);
  EsCall *call;

  if (words[0] == NULL || words[0][0] == '\0')
    return;
  if (g_strv_length (words) != 2)
    {
      es_cli_emit_error ("commands are: answer CALL_ID, decline CALL_ID, hangup CALL_ID");
      return;
    }
  call = find_call (session, words[1]);
  if (call == NULL)
    {
      g_autofree char *message = g_strdup_printf ("no call %s", words[1]);
      es_cli_emit_error (message);
      return;
    }

  if (g_str_equal (words[0], "answer"))
    {
      g_signal_handlers_disconnect_by_data (call, session);
      answer (session, call);
    }
  else if (g_str_equal (words[0], "decline"))
    es_call_decline (call);
  else if (g_str_equal (words[0], "hangup"))
    es_call_hangup (call);
  else
    es_cli_emit_error ("commands are: answer CALL_ID, decline CALL_ID, hangup CALL_ID");
}

static void
on_command_read (GObject      *source,
                 GAsyncResult *result,
                 gpointer      data)
{
  Session *session = data;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;

  line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result, NULL,
                                                    &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (line == NULL)
    return;   /* end of input: keep listening, answer nothing more */
  run_command (session, line);
  read_next_command (session);
}

static void
read_next_command (Session *session)
{
  g_data_input_stream_read_line_async (session->commands, G_PRIORITY_DEFAULT,
                                       session->cancellable, on_command_read, session);
}

static void
read_commands (Session *session)
{
  g_autoptr(GInputStream) input = g_unix_input_stream_new (0, FALSE);

  session->commands = g_data_input_stream_new (input);
  read_next_command (session);
}

/* ---- call ------------------------------------------------------------------------ */

static void
dial (Session *session)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EsAudioBackend) audio = NULL;
  g_autoptr(EsCall) call = NULL;

  session->dialled = TRUE;
  g_clear_handle_id (&session->register_timeout_id, g_source_remove);
  audio = open_audio (session, &error);
  if (audio != NULL)
    call = es_engine_place_call (session->engine, session->target, audio, &error);
  if (call == NULL)
    {
      finish (session, es_cli_failure ("%s", error->message));
      return;
    }
  follow_call (session, call);
}

static gboolean
on_register_timeout (gpointer data)
{
  Session *session = data;
  const GError *error = es_signal_channel_get_error (es_engine_get_signal_channel (session->engine));

  session->register_timeout_id = 0;
  finish (session, es_cli_failure ("could not register with the relay in %d s%s%s",
                                   REGISTER_TIMEOUT_S, error != NULL ? ": " : "",
                                   error != NULL ? error->message : ""));
  return G_SOURCE_REMOVE;
}

/* ---- Both --------------------------------------------------------------------- */

static void
on_channel_state_changed (EsSignalChannel *channel,
                          Session         *session)
{
  const GError *error = es_signal_channel_get_error (channel);
  EsIdentity *identity = es_engine_get_identity (session->engine);

  switch (es_signal_channel_get_state (channel))
    {
    case ES_SIGNAL_CHANNEL_REGISTERED:
      es_cli_emit_registered (channel, es_identity_get_fingerprint (identity));
      if (!session->listening && !session->dialled)
        dial (session);
      break;
    case ES_SIGNAL_CHANNEL_WAITING:
      if (error != NULL)
        es_cli_emit_error (error->message);
      break;
    case ES_SIGNAL_CHANNEL_FAILED:
      es_cli_emit_error (error->message);
      finish (session, es_cli_failure ("%s", error->message));
      break;
    case ES_SIGNAL_CHANNEL_CONNECTING:
    case ES_SIGNAL_CHANNEL_STOPPED:
    default:
      break;
    }
}

static void
on_refused (EsEngine *engine,
            GError   *error,
            Session  *session)
{
  es_cli_emit_error (error->message);
}

static void
on_notice (EsEngine   *engine,
           const char *text,
           Session    *session)
{
  es_cli_emit_simple ("notice", "message", text);
}

/* SIGINT/SIGTERM: hang up (cancel while ringing), then leave. */
static gboolean
on_stop_signal (gpointer data)
{
  Session *session = data;

  if (session->call != NULL)
    {
      es_call_hangup (session->call);
      /* `call` has finished with the call's own outcome. */
      if (!session->listening && session->call == NULL)
        return G_SOURCE_CONTINUE;
    }
  finish (session, session->listening ? ES_CLI_EXIT_OK
                                      : es_cli_failure ("interrupted before the call began"));
  return G_SOURCE_CONTINUE;
}

static void
on_shutdown (GObject      *source,
             GAsyncResult *result,
             gpointer      data)
{
  Session *session = data;

  es_engine_shutdown_finish (ES_ENGINE (source), result, NULL);
  g_main_loop_quit (session->loop);
}

static GPtrArray *
parse_relays (const EsCliGlobalOptions *global,
              GError                  **error)
{
  g_autoptr(GPtrArray) relays = g_ptr_array_new_with_free_func ((GDestroyNotify) es_relay_spec_free);
  g_auto(GStrv) from_env = NULL;
  char **texts = global->relays;

  if (texts == NULL && g_getenv ("EARSHOT_RELAY") != NULL)
    texts = from_env = g_strsplit (g_getenv ("EARSHOT_RELAY"), ",", -1);
  if (texts == NULL || texts[0] == NULL)
    {
      g_set_error_literal (error, ES_ERROR, ES_ERROR_INVALID_ARGUMENT,
                           "no relay: give --relay HOST:PORT#FINGERPRINT (or EARSHOT_RELAY)");
      return NULL;
    }
  for (guint i = 0; texts[i] != NULL; i++)
    {
      EsRelaySpec *spec = es_relay_spec_parse (texts[i], error);

      if (spec == NULL)
        return NULL;
      g_ptr_array_add (relays, spec);
    }
  return g_steal_pointer (&relays);
}

/* --stun, else EARSHOT_STUN=HOST:PORT,... (DESIGN §8); numeric addresses. */
static GPtrArray *
parse_stun_servers (const EsCliGlobalOptions *global,
                    GError                  **error)
{
  g_autoptr(GPtrArray) servers = g_ptr_array_new_with_free_func (g_object_unref);
  g_auto(GStrv) from_env = NULL;
  char **texts = global->stun;

  if (texts == NULL && g_getenv ("EARSHOT_STUN") != NULL && g_getenv ("EARSHOT_STUN")[0] != '\0')
    texts = from_env = g_strsplit (g_getenv ("EARSHOT_STUN"), ",", -1);
  for (guint i = 0; texts != NULL && texts[i] != NULL; i++)
    {
      GInetSocketAddress *server = es_address_parse (texts[i], error);

      if (server == NULL)
        {
          g_prefix_error (error, "STUN server: ");
          return NULL;
        }
      g_ptr_array_add (servers, server);
    }
  return g_steal_pointer (&servers);
}

static int
run_session (const EsCliGlobalOptions *global,
             Session                  *session)
{
  g_autoptr(GPtrArray) relays = NULL;
  g_autoptr(GPtrArray) stun = NULL;
  g_autoptr(EsIdentityStore) store = es_identity_store_new_default ();
  g_autoptr(EsIdentity) identity = NULL;
  g_autoptr(GError) error = NULL;
  guint sigint, sigterm;

  relays = parse_relays (global, &error);
  if (relays == NULL)
    return es_cli_usage_error (NULL, "%s", error->message);
  stun = parse_stun_servers (global, &error);
  if (stun == NULL)
    return es_cli_usage_error (NULL, "%s", error->message);
  identity = es_cli_open_identity (store, &error);
  if (identity == NULL)
    return es_cli_failure ("%s", error->message);

  session->loop = g_main_loop_new (NULL, FALSE);
  session->cancellable = g_cancellable_new ();
  session->engine = es_engine_new (identity);
  for (guint i = 0; i < relays->len; i++)
    es_engine_add_relay (session->engine, relays->pdata[i]);
  for (guint i = 0; i < stun->len; i++)
    es_engine_add_stun_server (session->engine, stun->pdata[i]);
  es_engine_set_privacy (session->engine, global->privacy);
  g_signal_connect (session->engine, "refused", G_CALLBACK (on_refused), session);
  g_signal_connect (session->engine, "notice", G_CALLBACK (on_notice), session);
  if (session->listening)
    g_signal_connect (session->engine, "incoming-call", G_CALLBACK (on_incoming_call), session);
  if (!es_engine_start (session->engine, &error))
    return es_cli_failure ("%s", error->message);
  g_signal_connect (es_engine_get_signal_channel (session->engine), "state-changed",
                    G_CALLBACK (on_channel_state_changed), session);

  if (session->listening && !session->auto_answer)
    read_commands (session);
  if (!session->listening)
    session->register_timeout_id = g_timeout_add_seconds (REGISTER_TIMEOUT_S,
                                                          on_register_timeout, session);

  sigint = g_unix_signal_add (SIGINT, on_stop_signal, session);
  sigterm = g_unix_signal_add (SIGTERM, on_stop_signal, session);
  g_main_loop_run (session->loop);
  g_source_remove (sigint);
  g_source_remove (sigterm);

  /* Hang up, wait until the relay has what was just said, then leave. */
  es_engine_shutdown_async (session->engine, on_shutdown, session);
  g_main_loop_run (session->loop);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  return session->status;
}

/* --audio, --input and --output, the same for listen and call. */
#define AUDIO_OPTION_ENTRIES(session) \
  { "audio", 0, 0, G_OPTION_ARG_STRING, &(session).audio, \
    "wav (the default: --play and --record) or pipewire (live, with echo cancellation)", \
    "wav|pipewire" }, \
  { "input", 0, 0, G_OPTION_ARG_STRING, &(session).input, \
    "With --audio pipewire: the microphone, by node name (default: the system's)", "NAME" }, \
  { "output", 0, 0, G_OPTION_ARG_STRING, &(session).output, \
    "With --audio pipewire: the speaker, by node name (default: the system's)", "NAME" }

static gboolean
parse_media_options (GOptionContext *context,
                     Session        *session,
                     int            *argc,
                     char         ***argv,
                     int            *status)
{
  *status = es_cli_parse_options (context, argc, argv);
  if (*status != ES_CLI_EXIT_OK)
    return FALSE;
  if (session->duration < 0)
    {
      *status = es_cli_usage_error (context, "--duration must be positive");
      return FALSE;
    }
  if (session->audio != NULL && !g_str_equal (session->audio, "wav") &&
      !g_str_equal (session->audio, "pipewire"))
    {
      *status = es_cli_usage_error (context, "--audio is wav or pipewire, not “%s”",
                                    session->audio);
      return FALSE;
    }
  if (g_strcmp0 (session->audio, "pipewire") == 0 &&
      (session->play != NULL || session->record != NULL))
    {
      *status = es_cli_usage_error (context, "--play and --record go with --audio wav");
      return FALSE;
    }
  if (g_strcmp0 (session->audio, "pipewire") != 0 &&
      (session->input != NULL || session->output != NULL))
    {
      *status = es_cli_usage_error (context, "--input and --output go with --audio pipewire");
      return FALSE;
    }
  return TRUE;
}

int
es_cli_listen_main (const EsCliGlobalOptions *global,
                    int                       argc,
                    char                    **argv)
{
  g_auto(Session) session = { .listening = TRUE };
  g_autoptr(GOptionContext) context = g_option_context_new ("listen");
  const GOptionEntry entries[] = {
    { "auto-answer", 0, 0, G_OPTION_ARG_NONE, &session.auto_answer,
      "Answer every call (else: commands on standard input)", NULL },
    { "play", 0, 0, G_OPTION_ARG_FILENAME, &session.play, "Send this WAV file, in real time",
      "IN.wav" },
    { "record", 0, 0, G_OPTION_ARG_FILENAME, &session.record, "Record what is heard", "OUT.wav" },
    AUDIO_OPTION_ENTRIES (session),
    { "duration", 0, 0, G_OPTION_ARG_INT, &session.duration,
      "Hang up this many seconds after a call becomes active", "SECONDS" },
    { NULL }
  };
  int status;

  g_option_context_set_description (context,
    "Waits for calls and prints one JSON event per line. Without --auto-answer,\n"
    "standard input takes: answer CALL_ID, decline CALL_ID, hangup CALL_ID.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!parse_media_options (context, &session, &argc, &argv, &status))
    return status;
  if (argc > 1)
    return es_cli_usage_error (context, "unexpected argument “%s”", argv[1]);
  return run_session (global, &session);
}

int
es_cli_call_main (const EsCliGlobalOptions *global,
                  int                       argc,
                  char                    **argv)
{
  g_auto(Session) session = { .listening = FALSE };
  g_autoptr(GOptionContext) context = g_option_context_new ("call FINGERPRINT");
  g_autoptr(GError) error = NULL;
  const GOptionEntry entries[] = {
    { "play", 0, 0, G_OPTION_ARG_FILENAME, &session.play, "Send this WAV file, in real time",
      "IN.wav" },
    { "record", 0, 0, G_OPTION_ARG_FILENAME, &session.record, "Record what is heard", "OUT.wav" },
    AUDIO_OPTION_ENTRIES (session),
    { "duration", 0, 0, G_OPTION_ARG_INT, &session.duration,
      "Hang up this many seconds after the call becomes active", "SECONDS" },
    { NULL }
  };
  int status;

  g_option_context_set_description (context,
    "Calls an address and prints one JSON event per line. Exits 0 only if the\n"
    "call became active and ended by a hang-up. SIGINT or SIGTERM hangs up.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!parse_media_options (context, &session, &argc, &argv, &status))
    return status;
  if (argc != 2)
    return es_cli_usage_error (context, argc < 2 ? "whom to call? give a FINGERPRINT"
                                                 : "unexpected argument “%s”", argv[argc - 1]);
  session.target = es_fingerprint_normalize (argv[1], &error);
  if (session.target == NULL)
    return es_cli_usage_error (context, "%s", error->message);
  return run_session (global, &session);
}
