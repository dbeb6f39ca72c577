/* es-netcheck-text.c
 *
 * The report's fields turned into what they mean for calls (tailscale#661:
 * people want to know whether they will be direct, and if not, why). A
 * member that is missing or null means "not measured" and says so; nothing
 * here guesses.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsNetcheckText"

#include "config.h"

#include "es-netcheck-text.h"

#include <glib/gi18n.h>

static const char *
string_member (JsonObject *object,
               const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

/* TRUE, FALSE, or -1 when missing or null (not tested). */
static int
boolean_member (JsonObject *object,
                const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return -1;
  return json_node_get_boolean (node);
}

static JsonObject *
object_member (JsonObject *object,
               const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

char *
es_netcheck_text_nat (JsonObject *report)
{
  const char *mapping = string_member (report, "mapping");
  const char *allocation = string_member (report, "port_allocation");

  if (boolean_member (report, "udp_blocked") == TRUE)
    return g_strdup (_("This network blocks UDP, which calls need. Try another network; "
                       "calls cannot work here."));
  if (g_strcmp0 (mapping, "endpoint-independent") == 0)
    return g_strdup (_("Your router keeps the same public port whoever you talk to "
                       "(an “easy” NAT): direct calls work with most people."));
  if (g_strcmp0 (mapping, "address-dependent") == 0 ||
      g_strcmp0 (mapping, "address-and-port-dependent") == 0)
    {
      if (g_strcmp0 (allocation, "sequential") == 0)
        return g_strdup (_("Your router picks a new public port for each destination, in "
                           "order (a “hard” NAT): Earshot predicts the next port, so direct "
                           "calls often work; otherwise the relay carries them."));
      return g_strdup (_("Your router picks a new public port for each destination "
                         "(a “hard” NAT): calls with people behind hard NATs too go through "
                         "the relay."));
    }
  /* The report's own note names command-line options; people here need
   * the way to fix it in this app. */
  return g_strdup (_("Not measured: that takes answers from two STUN servers at different "
                     "addresses. Add a STUN server in Preferences to find out."));
}

char *
es_netcheck_text_headline (JsonObject *report)
{
  const char *mapping = string_member (report, "mapping");

  if (boolean_member (report, "udp_blocked") == TRUE)
    return g_strdup (_("Calls cannot work on this network: it blocks UDP."));
  if (g_strcmp0 (mapping, "endpoint-independent") == 0)
    return g_strdup (_("Calls with most people will go directly between your computers."));
  if (g_strcmp0 (mapping, "address-dependent") == 0 ||
      g_strcmp0 (mapping, "address-and-port-dependent") == 0)
    return g_strdup (_("Calls with people behind a similar router will go through your relay; "
                       "others can go direct."));
  return g_strdup (_("Calls go directly between your computers when both networks allow it, "
                     "and through your relay otherwise."));
}

char *
es_netcheck_text_port_mapping (JsonObject *report)
{
  const char *names[] = { "pcp", "nat_pmp", "upnp" };
  const char *labels[] = { "PCP", "NAT-PMP", "UPnP" };
  g_autoptr(GPtrArray) offered = g_ptr_array_new ();

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (boolean_member (object_member (report, names[i]), "available") == TRUE)
      g_ptr_array_add (offered, (gpointer) labels[i]);
  if (offered->len == 0)
    return g_strdup (_("Your router offers no port mapping. That is common and fine."));
  g_ptr_array_add (offered, NULL);
  {
    g_autofree char *list = g_strjoinv (", ", (char **) offered->pdata);

    return g_strdup_printf (_("Your router opens ports on request (%s): people can reach you "
                              "directly even behind a hard NAT."), list);
  }
}

char *
es_netcheck_text_ipv6 (JsonObject *report)
{
  const char *address = string_member (report, "public_v6");

  if (boolean_member (report, "udp_v6") == TRUE && address != NULL)
    return g_strdup_printf (_("IPv6 works (%s): calls with others on IPv6 need no NAT tricks."),
                            address);
  if (boolean_member (report, "udp_v6") == TRUE)
    return g_strdup (_("IPv6 works."));
  return g_strdup (_("No IPv6 on this network."));
}

char *
es_netcheck_text_hairpin (JsonObject *report)
{
  switch (boolean_member (report, "hairpin"))
    {
    case TRUE:
      return g_strdup (_("Yes: calls between two computers on this network can go direct."));
    case FALSE:
      return g_strdup (_("No: calls within this network may use the relay."));
    default:
      return g_strdup (_("Not tested"));
    }
}

char *
es_netcheck_text_rtt (JsonObject *relay)
{
  JsonNode *node = relay != NULL ? json_object_get_member (relay, "rtt_ms") : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      (json_node_get_value_type (node) != G_TYPE_DOUBLE &&
       json_node_get_value_type (node) != G_TYPE_INT64))
    return g_strdup (_("no answer"));
  /* TRANSLATORS: a round-trip time */
  return g_strdup_printf (_("%.0f ms"), json_node_get_double (node));
}

static void
append_line (GString    *text,
             const char *label,
             const char *value)
{
  g_string_append_printf (text, "%s: %s\n", label, value != NULL ? value : _("unknown"));
}

static const char *
yes_no (int value)
{
  return value == TRUE ? _("yes") : value == FALSE ? _("no") : _("not tested");
}

char *
es_netcheck_text_report (JsonObject *report,
                         gint64      checked_at)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(GDateTime) when = g_date_time_new_from_unix_local (checked_at);
  g_autofree char *when_text = when != NULL ? g_date_time_format (when, "%F %T %Z") : NULL;
  g_autofree char *nat = es_netcheck_text_nat (report);
  g_autofree char *mapping_words = es_netcheck_text_port_mapping (report);
  g_autofree char *headline = es_netcheck_text_headline (report);
  JsonNode *relays = json_object_get_member (report, "relays");
  const char *names[] = { "pcp", "nat_pmp", "upnp" };

  g_string_append_printf (text, "Earshot %s — %s\n", PACKAGE_VERSION, _("network check"));
  append_line (text, _("Checked"), when_text);
  append_line (text, _("Verdict"), headline);
  if (string_member (report, "summary") != NULL)
    append_line (text, _("Summary"), string_member (report, "summary"));
  append_line (text, _("NAT"), nat);
  append_line (text, _("UDP over IPv4"), yes_no (boolean_member (report, "udp_v4")));
  append_line (text, _("UDP over IPv6"), yes_no (boolean_member (report, "udp_v6")));
  append_line (text, _("Public IPv4"), string_member (report, "public_v4"));
  append_line (text, _("Public IPv6"), string_member (report, "public_v6"));
  append_line (text, _("Mapping"), string_member (report, "mapping"));
  append_line (text, _("Filtering"), string_member (report, "filtering"));
  append_line (text, _("Port allocation"), string_member (report, "port_allocation"));
  append_line (text, _("Hairpinning"), yes_no (boolean_member (report, "hairpin")));
  append_line (text, _("Gateway"), string_member (report, "gateway"));
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    append_line (text, names[i],
                 yes_no (boolean_member (object_member (report, names[i]), "available")));
  append_line (text, _("Port mapping"), mapping_words);
  if (relays != NULL && JSON_NODE_HOLDS_ARRAY (relays))
    {
      JsonArray *array = json_node_get_array (relays);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *element = json_array_get_element (array, i);
          JsonObject *relay = JSON_NODE_HOLDS_OBJECT (element) ? json_node_get_object (element)
                                                               : NULL;
          g_autofree char *rtt = es_netcheck_text_rtt (relay);
          g_autofree char *label = g_strdup_printf (_("Relay %s"),
                                                    string_member (relay, "relay") != NULL
                                                      ? string_member (relay, "relay") : "?");
          append_line (text, label, rtt);
        }
    }
  append_line (text, _("Preferred relay"), string_member (report, "preferred_relay"));
  return g_string_free (g_steal_pointer (&text), FALSE);
}
