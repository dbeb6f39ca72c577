/* port-mapper-tool: EsPortMapper on a socket of its own, for the NAT lab
 *
 *   port-mapper-tool [--protocol nat-pmp|pcp|upnp|all] [--lifetime S]
 *
 * Binds a UDP socket (the "call socket") and prints JSON lines on stdout:
 *   {"event":"ready","port":P}
 *   {"event":"mapped","protocol":..,"external":"IP:PORT","lifetime":S,
 *    "ms":..,"refresh_in_ms":..}           on every mapping-changed with a mapping
 *   {"event":"unmapped"}                    on mapping-changed without one
 *   {"event":"received","from":"IP:PORT","data":TEXT}   a datagram on the socket
 *   {"event":"released","ok":bool,"error":..}           then it exits
 *   {"event":"error","message":..}
 * and reads commands on stdin: "map" (start mapping), "refresh", "release".
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "PortMapperTool"

#include <gio/gio.h>
#include <gio/gunixinputstream.h>
#include <json-glib/json-glib.h>
#include <stdio.h>

#include "es-address.h"
#include "es-json.h"
#include "es-port-mapper.h"

typedef struct
{
  GMainLoop *loop;
  GSocket *socket;
  EsPortMapper *mapper;
  GDataInputStream *commands;
  gint64 started;
  int status;
} Tool;

static void
emit_error (const char *message)
{
  g_autoptr(JsonObject) event = es_json_new_event ("error");

  json_object_set_string_member (event, "message", message);
  es_json_print_line (event);
}

static void
on_mapping_changed (EsPortMapper  *mapper,
                    EsPortMapping *mapping,
                    Tool          *tool)
{
  g_autoptr(JsonObject) event = json_object_new ();
  g_autofree char *external = NULL;
  gint64 refresh = es_port_mapper_get_refresh_time (mapper);

  if (mapping == NULL)
    {
      json_object_set_string_member (event, "event", "unmapped");
      es_json_print_line (event);
      return;
    }
  external = es_address_to_string (mapping->external);
  json_object_set_string_member (event, "event", "mapped");
  json_object_set_string_member (event, "protocol", es_port_map_protocol_to_string (mapping->protocol));
  json_object_set_string_member (event, "external", external);
  json_object_set_int_member (event, "lifetime", mapping->lifetime_s);
  json_object_set_int_member (event, "ms", (mapping->granted_at - tool->started) / 1000);
  if (refresh > 0)
    json_object_set_int_member (event, "refresh_in_ms", (refresh - g_get_monotonic_time ()) / 1000);
  else
    json_object_set_null_member (event, "refresh_in_ms");
  es_json_print_line (event);
}

static gboolean
on_datagram (GSocket      *socket,
             GIOCondition  condition,
             gpointer      data)
{
  g_autoptr(GSocketAddress) from = NULL;
  g_autoptr(JsonObject) event = json_object_new ();
  g_autofree char *sender = NULL;
  char buffer[1500];
  gssize length;

  length = g_socket_receive_from (socket, &from, buffer, sizeof buffer - 1, NULL, NULL);
  if (length < 0 || !G_IS_INET_SOCKET_ADDRESS (from))
    return G_SOURCE_CONTINUE;
  buffer[length] = '\0';
  sender = es_address_to_string (G_INET_SOCKET_ADDRESS (from));
  json_object_set_string_member (event, "event", "received");
  json_object_set_string_member (event, "from", sender);
  json_object_set_string_member (event, "data", g_utf8_validate (buffer, length, NULL) ? buffer : "");
  es_json_print_line (event);
  return G_SOURCE_CONTINUE;
}

static void
on_released (GObject      *source,
             GAsyncResult *result,
             gpointer      data)
{
  Tool *tool = data;
  g_autoptr(JsonObject) event = json_object_new ();
  g_autoptr(GError) error = NULL;
  gboolean ok = es_port_mapper_release_finish (ES_PORT_MAPPER (source), result, &error);

  json_object_set_string_member (event, "event", "released");
  json_object_set_boolean_member (event, "ok", ok);
  if (error != NULL)
    json_object_set_string_member (event, "error", error->message);
  else
    json_object_set_null_member (event, "error");
  es_json_print_line (event);
  g_main_loop_quit (tool->loop);
}

static void read_command (Tool *tool);

static void
run_command (Tool       *tool,
             const char *command)
{
  g_autoptr(GError) error = NULL;

  if (g_str_equal (command, "map"))
    {
      tool->started = g_get_monotonic_time ();
      if (!es_port_mapper_start (tool->mapper, &error))
        emit_error (error->message);
    }
  else if (g_str_equal (command, "refresh"))
    es_port_mapper_refresh (tool->mapper);
  else if (g_str_equal (command, "release"))
    {
      es_port_mapper_release_async (tool->mapper, NULL, on_released, tool);
      return;
    }
  else
    emit_error ("unknown command");
  read_command (tool);
}

static void
on_line (GObject      *source,
         GAsyncResult *result,
         gpointer      data)
{
  Tool *tool = data;
  g_autofree char *line = g_data_input_stream_read_line_finish (G_DATA_INPUT_STREAM (source),
                                                                result, NULL, NULL);

  if (line == NULL)
    {
      /* stdin closed: release, as a program that exits should. */
      es_port_mapper_release_async (tool->mapper, NULL, on_released, tool);
      return;
    }
  run_command (tool, g_strstrip (line));
}

static void
read_command (Tool *tool)
{
  g_data_input_stream_read_line_async (tool->commands, G_PRIORITY_DEFAULT, NULL, on_line, tool);
}

static EsPortMapProtocols
parse_protocols (const char *text)
{
  if (g_strcmp0 (text, "nat-pmp") == 0)
    return ES_PORT_MAP_PROTOCOLS_NAT_PMP;
  if (g_strcmp0 (text, "pcp") == 0)
    return ES_PORT_MAP_PROTOCOLS_PCP;
  if (g_strcmp0 (text, "upnp") == 0)
    return ES_PORT_MAP_PROTOCOLS_UPNP;
  if (text == NULL || g_strcmp0 (text, "all") == 0)
    return ES_PORT_MAP_PROTOCOLS_ALL;
  return 0;
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *protocol = NULL;
  int lifetime = ES_PORT_MAPPER_DEFAULT_LIFETIME_S;
  const GOptionEntry entries[] = {
    { "protocol", 0, 0, G_OPTION_ARG_STRING, &protocol, "nat-pmp, pcp, upnp or all", "NAME" },
    { "lifetime", 0, 0, G_OPTION_ARG_INT, &lifetime, "Lifetime to ask for", "S" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) any = g_inet_address_new_any (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (any, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GInputStream) stdin_stream = NULL;
  g_autoptr(GSource) source = NULL;
  g_autoptr(JsonObject) ready = json_object_new ();
  EsPortMapProtocols protocols;
  Tool tool = { NULL };
  guint16 port;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || lifetime <= 0)
    {
      g_printerr ("port-mapper-tool: %s\n", error != NULL ? error->message : "bad lifetime");
      return 2;
    }
  protocols = parse_protocols (protocol);
  if (protocols == 0)
    {
      g_printerr ("port-mapper-tool: unknown protocol “%s”\n", protocol);
      return 2;
    }

  tool.socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP,
                              &error);
  if (tool.socket == NULL || !g_socket_bind (tool.socket, address, FALSE, &error) ||
      (bound = g_socket_get_local_address (tool.socket, &error)) == NULL)
    {
      g_printerr ("port-mapper-tool: %s\n", error->message);
      return 1;
    }
  g_socket_set_blocking (tool.socket, FALSE);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  source = g_socket_create_source (tool.socket, G_IO_IN, NULL);
  g_source_set_callback (source, (GSourceFunc) (GCallback) on_datagram, &tool, NULL);
  g_source_attach (source, NULL);

  tool.loop = g_main_loop_new (NULL, FALSE);
  tool.mapper = es_port_mapper_new (port);
  es_port_mapper_set_protocols (tool.mapper, protocols);
  es_port_mapper_set_lifetime (tool.mapper, (guint32) lifetime);
  g_signal_connect (tool.mapper, "mapping-changed", G_CALLBACK (on_mapping_changed), &tool);
  stdin_stream = g_unix_input_stream_new (0, FALSE);
  tool.commands = g_data_input_stream_new (stdin_stream);

  json_object_set_string_member (ready, "event", "ready");
  json_object_set_int_member (ready, "port", port);
  es_json_print_line (ready);
  read_command (&tool);
  g_main_loop_run (tool.loop);

  g_source_destroy (source);
  g_clear_object (&tool.commands);
  g_clear_object (&tool.mapper);
  g_clear_object (&tool.socket);
  g_main_loop_unref (tool.loop);
  return tool.status;
}
