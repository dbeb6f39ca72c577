/* quic-bench: the measuring end of bench/quic-bench.py. Not a test: it
 * prints figures as JSON lines (flushed) and leaves judging to the driver.
 *
 *   quic-bench pem DIR
 *       an identity as DIR/cert.pem and DIR/key.pem, for the gtls baseline
 *   quic-bench server
 *       accepts anyone; prints {"event":"ready","port":N,"fingerprint":..};
 *       each line on stdin prints {"event":"stats",...}: its CPU time and
 *       resident memory, and the DATAGRAMs received since the last line
 *       with the time from the first to the last of them; it exits when
 *       stdin closes
 *   quic-bench handshakes --connect ADDR:PORT --pin FP --count N
 *       N fresh connections one after the other, each timed from
 *       connect_async to HANDSHAKE_DONE; prints the durations and the CPU
 *   quic-bench datagrams --connect ADDR:PORT --pin FP --seconds S [--one-per-packet]
 *       120-byte DATAGRAMs as fast as the connection takes them
 *   quic-bench idle
 *       the resident memory of a process with a bound, idle endpoint that
 *       accepts connections, and of the same process before it made one
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib-unix.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "es-address.h"
#include "es-json.h"
#include "es-quic-endpoint.h"

#define DATAGRAM_SIZE 120
/* Deep enough that the sender never waits for the application. */
#define DATAGRAM_QUEUE 1024

static char *option_connect = NULL;
static char *option_pin = NULL;
static int option_count = 30;
static double option_seconds = 2;
static gboolean option_one_per_packet = FALSE;

static const GOptionEntry entries[] = {
  { "connect", 0, 0, G_OPTION_ARG_STRING, &option_connect, "Server", "ADDR:PORT" },
  { "pin", 0, 0, G_OPTION_ARG_STRING, &option_pin, "Server fingerprint", "FP" },
  { "count", 0, 0, G_OPTION_ARG_INT, &option_count, "Handshakes", "N" },
  { "seconds", 0, 0, G_OPTION_ARG_DOUBLE, &option_seconds, "Datagram run length", "S" },
  { "one-per-packet", 0, 0, G_OPTION_ARG_NONE, &option_one_per_packet,
    "Do not coalesce DATAGRAMs", NULL },
  { NULL }
};

typedef struct
{
  GMainLoop *loop;
  EsQuicEndpoint *endpoint;
  EsQuicConnection *connection;
  GError *error;
} Bench;

static gint64
cpu_us (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return (gint64) (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * G_USEC_PER_SEC +
         usage.ru_utime.tv_usec + usage.ru_stime.tv_usec;
}

static gint64
resident_kb (void)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL) ||
      (line = strstr (status, "VmRSS:")) == NULL)
    return -1;
  return g_ascii_strtoll (line + strlen ("VmRSS:"), NULL, 10);
}

static EsQuicEndpoint *
bound_endpoint (EsIdentity *identity)
{
  g_autoptr(EsQuicEndpoint) endpoint = es_quic_endpoint_new (identity, NULL);
  g_autoptr(GInetSocketAddress) local =
    G_INET_SOCKET_ADDRESS (g_inet_socket_address_new_from_string ("127.0.0.1", 0));
  g_autoptr(GError) error = NULL;

  if (!es_quic_endpoint_bind (endpoint, local, &error))
    g_error ("cannot bind: %s", error->message);
  return g_steal_pointer (&endpoint);
}

/* pem */

static int
run_pem (const char *directory)
{
  g_autoptr(EsIdentity) identity = es_identity_new_random ();
  g_autoptr(JsonObject) event = es_json_new_event ("pem");
  g_autoptr(GError) error = NULL;
  g_autofree char *certificate = NULL;
  g_autofree char *key = NULL;
  g_autofree char *certificate_path = g_build_filename (directory, "cert.pem", NULL);
  g_autofree char *key_path = g_build_filename (directory, "key.pem", NULL);

  if (!es_identity_export_tls_pem (identity, &certificate, &key, &error) ||
      !g_file_set_contents (certificate_path, certificate, -1, &error) ||
      !g_file_set_contents_full (key_path, key, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error))
    g_error ("cannot write the PEM files: %s", error->message);
  json_object_set_string_member (event, "certificate", certificate_path);
  json_object_set_string_member (event, "key", key_path);
  es_json_print_line (event);
  return 0;
}

/* server */

static gboolean
authorize_anyone (EsQuicEndpoint     *endpoint,
                  const char         *fingerprint,
                  GInetSocketAddress *remote,
                  gpointer            user_data)
{
  return TRUE;
}

typedef struct
{
  GMainLoop *loop;
  guint64 datagrams;
  gint64 first_us;
  gint64 last_us;
} Server;

static void
on_server_datagram (EsQuicConnection *connection,
                    GBytes           *datagram,
                    Server           *server)
{
  gint64 now = g_get_monotonic_time ();

  if (server->datagrams++ == 0)
    server->first_us = now;
  server->last_us = now;
}

static void
on_incoming (EsQuicEndpoint   *endpoint,
             EsQuicConnection *connection,
             Server           *server)
{
  g_signal_connect (connection, "datagram-received", G_CALLBACK (on_server_datagram), server);
}

static gboolean
on_stdin (int          fd,
          GIOCondition condition,
          gpointer     user_data)
{
  Server *server = user_data;
  char buffer[256];
  ssize_t length = read (fd, buffer, sizeof buffer);
  g_autoptr(JsonObject) event = es_json_new_event ("stats");

  if (length <= 0)
    {
      g_main_loop_quit (server->loop);
      return G_SOURCE_REMOVE;
    }
  json_object_set_int_member (event, "cpu_us", cpu_us ());
  json_object_set_int_member (event, "rss_kb", resident_kb ());
  json_object_set_int_member (event, "datagrams", server->datagrams);
  json_object_set_double_member (event, "datagram_seconds",
                                 (server->last_us - server->first_us) / (double) G_USEC_PER_SEC);
  es_json_print_line (event);
  server->datagrams = 0;
  server->first_us = server->last_us = 0;
  return G_SOURCE_CONTINUE;
}

static int
run_server (void)
{
  g_autoptr(EsIdentity) identity = es_identity_new_random ();
  g_autoptr(EsQuicEndpoint) endpoint = bound_endpoint (identity);
  Server server = { g_main_loop_new (NULL, FALSE), 0, 0, 0 };
  g_autoptr(JsonObject) event = es_json_new_event ("ready");

  es_quic_endpoint_set_authorize_func (endpoint, authorize_anyone, NULL, NULL);
  g_signal_connect (endpoint, "incoming-connection", G_CALLBACK (on_incoming), &server);
  json_object_set_int_member (event, "port", g_inet_socket_address_get_port (
                                es_quic_endpoint_get_local_address (endpoint)));
  json_object_set_string_member (event, "fingerprint", es_identity_get_fingerprint (identity));
  es_json_print_line (event);

  g_unix_fd_add (STDIN_FILENO, G_IO_IN | G_IO_HUP, on_stdin, &server);
  g_main_loop_run (server.loop);
  es_quic_endpoint_shutdown (endpoint);
  g_main_loop_unref (server.loop);
  return 0;
}

/* clients */

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Bench *bench = user_data;

  bench->connection = es_quic_endpoint_connect_finish (ES_QUIC_ENDPOINT (source), result,
                                                       &bench->error);
  g_main_loop_quit (bench->loop);
}

static EsQuicConnection *
connect_once (Bench *bench)
{
  g_autoptr(GInetSocketAddress) remote = NULL;
  g_autoptr(EsPeerPin) pin = NULL;
  guint8 fingerprint[ES_FINGERPRINT_SIZE];
  g_autoptr(GError) error = NULL;

  if (option_connect == NULL || option_pin == NULL ||
      (remote = es_address_parse (option_connect, &error)) == NULL ||
      !es_fingerprint_parse (option_pin, fingerprint, &error))
    g_error ("needs --connect ADDR:PORT --pin FINGERPRINT%s%s", error != NULL ? ": " : "",
             error != NULL ? error->message : "");
  pin = es_peer_pin_new_fingerprint (fingerprint);

  es_quic_endpoint_connect_async (bench->endpoint, remote, pin, NULL, on_connected, bench);
  g_main_loop_run (bench->loop);
  if (bench->connection == NULL)
    g_error ("cannot connect: %s", bench->error->message);
  return g_steal_pointer (&bench->connection);
}

static int
run_handshakes (void)
{
  g_autoptr(EsIdentity) identity = es_identity_new_random ();
  Bench bench = { g_main_loop_new (NULL, FALSE), bound_endpoint (identity) };
  g_autoptr(JsonObject) event = es_json_new_event ("handshakes");
  JsonArray *durations = json_array_new ();
  gint64 cpu_before = cpu_us ();

  for (int i = 0; i < option_count; i++)
    {
      gint64 start = g_get_monotonic_time ();
      g_autoptr(EsQuicConnection) connection = connect_once (&bench);

      json_array_add_int_element (durations, g_get_monotonic_time () - start);
      es_quic_connection_close (connection, ES_QUIC_APP_NO_ERROR, NULL);
    }

  json_object_set_array_member (event, "durations_us", durations);
  json_object_set_int_member (event, "cpu_us", cpu_us () - cpu_before);
  es_json_print_line (event);

  es_quic_endpoint_shutdown (bench.endpoint);
  g_object_unref (bench.endpoint);
  g_main_loop_unref (bench.loop);
  return 0;
}

typedef struct
{
  EsQuicConnection *connection;
  guint8 payload[DATAGRAM_SIZE];
  guint64 submitted;
  gint64 end_us;
  GMainLoop *loop;
} Sender;

/* Keeps the send queue full without ever overflowing it: whatever QUIC
 * has taken since the last call is topped up. */
static gboolean
top_up (gpointer user_data)
{
  Sender *sender = user_data;
  EsQuicStats stats;
  guint64 queued;

  if (g_get_monotonic_time () >= sender->end_us)
    {
      g_main_loop_quit (sender->loop);
      return G_SOURCE_REMOVE;
    }
  es_quic_connection_get_stats (sender->connection, &stats);
  queued = sender->submitted - stats.datagrams_sent - stats.datagrams_dropped;
  for (; queued < DATAGRAM_QUEUE; queued++, sender->submitted++)
    {
      if (!es_quic_connection_send_datagram (sender->connection, sender->payload,
                                             sizeof sender->payload))
        g_error ("the connection refused a %d-byte DATAGRAM", DATAGRAM_SIZE);
    }
  return G_SOURCE_CONTINUE;
}

static int
run_datagrams (void)
{
  g_autoptr(EsIdentity) identity = es_identity_new_random ();
  Bench bench = { g_main_loop_new (NULL, FALSE), bound_endpoint (identity) };
  g_autoptr(JsonObject) event = es_json_new_event ("datagrams");
  g_autoptr(EsQuicConnection) connection = NULL;
  Sender sender = { 0 };
  EsQuicStats stats;
  gint64 start;
  gint64 cpu_before;

  g_object_set (bench.endpoint, "datagram-queue-length", DATAGRAM_QUEUE,
                "coalesce-datagrams", !option_one_per_packet, NULL);
  connection = connect_once (&bench);

  sender.connection = connection;
  sender.loop = bench.loop;
  start = g_get_monotonic_time ();
  cpu_before = cpu_us ();
  sender.end_us = start + (gint64) (option_seconds * G_USEC_PER_SEC);
  g_idle_add (top_up, &sender);
  g_main_loop_run (bench.loop);

  es_quic_connection_get_stats (connection, &stats);
  json_object_set_int_member (event, "sent", stats.datagrams_sent);
  json_object_set_int_member (event, "cpu_us", cpu_us () - cpu_before);
  json_object_set_int_member (event, "lost", stats.datagrams_lost);
  json_object_set_int_member (event, "packets", stats.packets_sent);
  json_object_set_int_member (event, "cwnd", stats.congestion_window);
  json_object_set_int_member (event, "smoothed_rtt_us", stats.smoothed_rtt_us);
  json_object_set_double_member (event, "seconds",
                                 (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC);
  es_json_print_line (event);

  es_quic_connection_close (connection, ES_QUIC_APP_NO_ERROR, NULL);
  es_quic_endpoint_shutdown (bench.endpoint);
  g_object_unref (bench.endpoint);
  g_main_loop_unref (bench.loop);
  return 0;
}

static gboolean
quit_loop (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

static int
run_idle (void)
{
  /* What the program holds before any endpoint: mapped libraries. */
  gint64 before_kb = resident_kb ();
  g_autoptr(EsIdentity) identity = es_identity_new_random ();
  g_autoptr(EsQuicEndpoint) endpoint = bound_endpoint (identity);
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(JsonObject) event = es_json_new_event ("idle");

  es_quic_endpoint_set_authorize_func (endpoint, authorize_anyone, NULL, NULL);
  g_timeout_add (200, quit_loop, loop);
  g_main_loop_run (loop);
  json_object_set_int_member (event, "rss_kb", resident_kb ());
  json_object_set_int_member (event, "rss_kb_before_endpoint", before_kb);
  es_json_print_line (event);
  return 0;
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GOptionContext) context =
    g_option_context_new ("pem DIR | server | handshakes | datagrams | idle");
  g_autoptr(GError) error = NULL;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || argc < 2)
    {
      g_printerr ("quic-bench: %s\n", error != NULL ? error->message : "which mode?");
      return 2;
    }

  if (g_str_equal (argv[1], "pem") && argc == 3)
    return run_pem (argv[2]);
  if (g_str_equal (argv[1], "server"))
    return run_server ();
  if (g_str_equal (argv[1], "handshakes"))
    return run_handshakes ();
  if (g_str_equal (argv[1], "datagrams"))
    return run_datagrams ();
  if (g_str_equal (argv[1], "idle"))
    return run_idle ();
  g_printerr ("quic-bench: unknown mode %s\n", argv[1]);
  return 2;
}
