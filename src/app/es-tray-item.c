/* es-tray-item.c
 *
 * The StatusNotifierItem protocol and com.canonical.dbusmenu spoken
 * directly over GDBus: libayatana-appindicator would pull GTK 3 into a GTK 4
 * process. The item shows whether calls can ring (online, offline, in a
 * call), asks for attention while one rings, and its menu shows the window,
 * toggles do-not-disturb and quits. It needs no polling: it follows the
 * application's properties and re-registers whenever a watcher (a panel)
 * appears.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsTrayItem"

#include "config.h"

#include "es-tray-item.h"

#include <glib/gi18n.h>
#include <unistd.h>

#define ITEM_PATH "/StatusNotifierItem"
#define MENU_PATH "/StatusNotifierMenu"
#define WATCHER_NAME "org.kde.StatusNotifierWatcher"
#define WATCHER_PATH "/StatusNotifierWatcher"

enum {
  MENU_ROOT = 0,
  MENU_STATUS,
  MENU_SHOW,
  MENU_SEPARATOR_1,
  MENU_DO_NOT_DISTURB,
  MENU_SEPARATOR_2,
  MENU_QUIT,
};

static const char introspection_xml[] =
  "<node>"
  "  <interface name='org.kde.StatusNotifierItem'>"
  "    <property name='Category' type='s' access='read'/>"
  "    <property name='Id' type='s' access='read'/>"
  "    <property name='Title' type='s' access='read'/>"
  "    <property name='Status' type='s' access='read'/>"
  "    <property name='WindowId' type='i' access='read'/>"
  "    <property name='IconName' type='s' access='read'/>"
  "    <property name='IconThemePath' type='s' access='read'/>"
  "    <property name='OverlayIconName' type='s' access='read'/>"
  "    <property name='AttentionIconName' type='s' access='read'/>"
  "    <property name='ToolTip' type='(sa(iiay)ss)' access='read'/>"
  "    <property name='ItemIsMenu' type='b' access='read'/>"
  "    <property name='Menu' type='o' access='read'/>"
  "    <method name='ContextMenu'><arg name='x' type='i' direction='in'/>"
  "      <arg name='y' type='i' direction='in'/></method>"
  "    <method name='Activate'><arg name='x' type='i' direction='in'/>"
  "      <arg name='y' type='i' direction='in'/></method>"
  "    <method name='SecondaryActivate'><arg name='x' type='i' direction='in'/>"
  "      <arg name='y' type='i' direction='in'/></method>"
  "    <method name='Scroll'><arg name='delta' type='i' direction='in'/>"
  "      <arg name='orientation' type='s' direction='in'/></method>"
  "    <signal name='NewTitle'/>"
  "    <signal name='NewIcon'/>"
  "    <signal name='NewAttentionIcon'/>"
  "    <signal name='NewOverlayIcon'/>"
  "    <signal name='NewToolTip'/>"
  "    <signal name='NewStatus'><arg name='status' type='s'/></signal>"
  "  </interface>"
  "  <interface name='com.canonical.dbusmenu'>"
  "    <property name='Version' type='u' access='read'/>"
  "    <property name='TextDirection' type='s' access='read'/>"
  "    <property name='Status' type='s' access='read'/>"
  "    <property name='IconThemePath' type='as' access='read'/>"
  "    <method name='GetLayout'>"
  "      <arg name='parentId' type='i' direction='in'/>"
  "      <arg name='recursionDepth' type='i' direction='in'/>"
  "      <arg name='propertyNames' type='as' direction='in'/>"
  "      <arg name='revision' type='u' direction='out'/>"
  "      <arg name='layout' type='(ia{sv}av)' direction='out'/>"
  "    </method>"
  "    <method name='GetGroupProperties'>"
  "      <arg name='ids' type='ai' direction='in'/>"
  "      <arg name='propertyNames' type='as' direction='in'/>"
  "      <arg name='properties' type='a(ia{sv})' direction='out'/>"
  "    </method>"
  "    <method name='GetProperty'>"
  "      <arg name='id' type='i' direction='in'/>"
  "      <arg name='name' type='s' direction='in'/>"
  "      <arg name='value' type='v' direction='out'/>"
  "    </method>"
  "    <method name='Event'>"
  "      <arg name='id' type='i' direction='in'/>"
  "      <arg name='eventId' type='s' direction='in'/>"
  "      <arg name='data' type='v' direction='in'/>"
  "      <arg name='timestamp' type='u' direction='in'/>"
  "    </method>"
  "    <method name='EventGroup'>"
  "      <arg name='events' type='a(isvu)' direction='in'/>"
  "      <arg name='idErrors' type='ai' direction='out'/>"
  "    </method>"
  "    <method name='AboutToShow'>"
  "      <arg name='id' type='i' direction='in'/>"
  "      <arg name='needUpdate' type='b' direction='out'/>"
  "    </method>"
  "    <method name='AboutToShowGroup'>"
  "      <arg name='ids' type='ai' direction='in'/>"
  "      <arg name='updatesNeeded' type='ai' direction='out'/>"
  "      <arg name='idErrors' type='ai' direction='out'/>"
  "    </method>"
  "    <signal name='ItemsPropertiesUpdated'>"
  "      <arg name='updatedProps' type='a(ia{sv})'/>"
  "      <arg name='removedProps' type='a(ias)'/>"
  "    </signal>"
  "    <signal name='LayoutUpdated'>"
  "      <arg name='revision' type='u'/>"
  "      <arg name='parent' type='i'/>"
  "    </signal>"
  "    <signal name='ItemActivationRequested'>"
  "      <arg name='id' type='i'/>"
  "      <arg name='timestamp' type='u'/>"
  "    </signal>"
  "  </interface>"
  "</node>";

struct _EsTrayItem
{
  GObject parent_instance;

  EsApplication *application;    /* unowned: the application owns us */
  GDBusConnection *connection;
  GDBusNodeInfo *node_info;
  char *bus_name;
  guint name_id;
  guint watcher_id;
  guint item_registration;
  guint menu_registration;
  guint32 menu_revision;
  char *status_text;             /* what the first menu line and the tooltip say */
};

G_DEFINE_FINAL_TYPE (EsTrayItem, es_tray_item, G_TYPE_OBJECT)

/* ---- What it shows ------------------------------------------------------------- */

static gboolean
is_ringing (EsTrayItem *self)
{
  return es_application_get_ringing_call (self->application) != NULL;
}

static char *
describe_status (EsTrayItem *self)
{
  EsCall *call = es_application_get_current_call (self->application);

  if (is_ringing (self))
    return g_strdup (_("Incoming call"));
  if (call != NULL)
    {
      const char *name = es_application_lookup_name (self->application, es_call_get_peer (call));

      return name != NULL ? g_strdup_printf (_("In a call with %s"), name)
                          : g_strdup (_("In a call"));
    }
  switch (es_application_get_status (self->application))
    {
    case ES_APP_STATUS_ONLINE:
      return g_strdup (_("Online: calls ring here"));
    case ES_APP_STATUS_CONNECTING:
      return g_strdup (_("Connecting…"));
    case ES_APP_STATUS_NO_IDENTITY:
      return g_strdup (_("Not set up yet"));
    case ES_APP_STATUS_LOCKED:
      return g_strdup (_("Locked: enter your passphrase"));
    case ES_APP_STATUS_NO_RELAY:
    case ES_APP_STATUS_RETRYING:
    case ES_APP_STATUS_FAILED:
    default:
      return g_strdup (_("Offline: calls cannot ring"));
    }
}

static const char *
item_status (EsTrayItem *self)
{
  return is_ringing (self) ? "NeedsAttention" : "Active";
}

static const char *
overlay_icon (EsTrayItem *self)
{
  if (es_application_get_current_call (self->application) != NULL || is_ringing (self))
    return "call-start-symbolic";
  if (es_application_get_status (self->application) != ES_APP_STATUS_ONLINE)
    return "user-offline-symbolic";
  return "";
}

static gboolean
do_not_disturb (EsTrayItem *self)
{
  return g_settings_get_boolean (es_application_get_settings (self->application),
                                 "do-not-disturb");
}

static GVariant *
tooltip (EsTrayItem *self)
{
  return g_variant_new ("(s@a(iiay)ss)", APPLICATION_ID,
                        g_variant_new_array (G_VARIANT_TYPE ("(iiay)"), NULL, 0),
                        _("Earshot"), self->status_text);
}

static GVariant *
item_property (EsTrayItem *self,
               const char *name)
{
  if (g_str_equal (name, "Category"))
    return g_variant_new_string ("Communications");
  if (g_str_equal (name, "Id"))
    return g_variant_new_string (APPLICATION_ID);
  if (g_str_equal (name, "Title"))
    return g_variant_new_string (_("Earshot"));
  if (g_str_equal (name, "Status"))
    return g_variant_new_string (item_status (self));
  if (g_str_equal (name, "WindowId"))
    return g_variant_new_int32 (0);
  if (g_str_equal (name, "IconName"))
    return g_variant_new_string (APPLICATION_ID "-symbolic");
  if (g_str_equal (name, "IconThemePath"))
    return g_variant_new_string (DATADIR "/icons");
  if (g_str_equal (name, "OverlayIconName"))
    return g_variant_new_string (overlay_icon (self));
  if (g_str_equal (name, "AttentionIconName"))
    return g_variant_new_string ("call-incoming-symbolic");
  if (g_str_equal (name, "ToolTip"))
    return tooltip (self);
  if (g_str_equal (name, "ItemIsMenu"))
    return g_variant_new_boolean (FALSE);
  if (g_str_equal (name, "Menu"))
    return g_variant_new_object_path (MENU_PATH);
  return NULL;
}

/* ---- The menu ------------------------------------------------------------------------ */

static GVariant *
menu_item_properties (EsTrayItem *self,
                      int         id)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a{sv}"));
  switch (id)
    {
    case MENU_ROOT:
      g_variant_builder_add (&builder, "{sv}", "children-display", g_variant_new_string ("submenu"));
      break;
    case MENU_STATUS:
      g_variant_builder_add (&builder, "{sv}", "label", g_variant_new_string (self->status_text));
      g_variant_builder_add (&builder, "{sv}", "enabled", g_variant_new_boolean (FALSE));
      break;
    case MENU_SHOW:
      g_variant_builder_add (&builder, "{sv}", "label", g_variant_new_string (_("_Show Earshot")));
      break;
    case MENU_DO_NOT_DISTURB:
      g_variant_builder_add (&builder, "{sv}", "label", g_variant_new_string (_("_Do Not Disturb")));
      g_variant_builder_add (&builder, "{sv}", "toggle-type", g_variant_new_string ("checkmark"));
      g_variant_builder_add (&builder, "{sv}", "toggle-state",
                             g_variant_new_int32 (do_not_disturb (self) ? 1 : 0));
      break;
    case MENU_QUIT:
      g_variant_builder_add (&builder, "{sv}", "label", g_variant_new_string (_("_Quit")));
      break;
    case MENU_SEPARATOR_1:
    case MENU_SEPARATOR_2:
    default:
      g_variant_builder_add (&builder, "{sv}", "type", g_variant_new_string ("separator"));
      break;
    }
  return g_variant_builder_end (&builder);
}

static gboolean
menu_item_exists (int id)
{
  return id >= MENU_ROOT && id <= MENU_QUIT;
}

static GVariant *
menu_layout (EsTrayItem *self,
             int         id,
             int         depth)
{
  GVariantBuilder children;

  g_variant_builder_init (&children, G_VARIANT_TYPE ("av"));
  if (id == MENU_ROOT && depth != 0)
    for (int child = MENU_STATUS; child <= MENU_QUIT; child++)
      g_variant_builder_add (&children, "v", menu_layout (self, child, depth - 1));
  return g_variant_new ("(i@a{sv}av)", id, menu_item_properties (self, id), &children);
}

static void
emit (EsTrayItem *self,
      const char *path,
      const char *interface,
      const char *signal,
      GVariant   *parameters)
{
  if (self->connection == NULL || self->item_registration == 0)
    {
      if (parameters != NULL)
        g_variant_unref (g_variant_ref_sink (parameters));
      return;
    }
  g_dbus_connection_emit_signal (self->connection, NULL, path, interface, signal, parameters,
                                 NULL);
}

static void
menu_changed (EsTrayItem *self)
{
  GVariantBuilder updated, removed;

  g_variant_builder_init (&updated, G_VARIANT_TYPE ("a(ia{sv})"));
  g_variant_builder_add (&updated, "(i@a{sv})", MENU_STATUS,
                         menu_item_properties (self, MENU_STATUS));
  g_variant_builder_add (&updated, "(i@a{sv})", MENU_DO_NOT_DISTURB,
                         menu_item_properties (self, MENU_DO_NOT_DISTURB));
  g_variant_builder_init (&removed, G_VARIANT_TYPE ("a(ias)"));
  emit (self, MENU_PATH, "com.canonical.dbusmenu", "ItemsPropertiesUpdated",
        g_variant_new ("(a(ia{sv})a(ias))", &updated, &removed));
  self->menu_revision++;
  emit (self, MENU_PATH, "com.canonical.dbusmenu", "LayoutUpdated",
        g_variant_new ("(ui)", self->menu_revision, MENU_ROOT));
}

static gboolean
quit_later (gpointer data)
{
  g_action_group_activate_action (G_ACTION_GROUP (data), "quit", NULL);
  return G_SOURCE_REMOVE;
}

/* The caller gets its reply first: quitting before replying would leave
 * the panel waiting for an answer that never comes. */
static void
menu_item_clicked (EsTrayItem *self,
                   int         id)
{
  GSettings *settings = es_application_get_settings (self->application);

  switch (id)
    {
    case MENU_SHOW:
      g_action_group_activate_action (G_ACTION_GROUP (self->application), "show", NULL);
      break;
    case MENU_DO_NOT_DISTURB:
      g_settings_set_boolean (settings, "do-not-disturb", !do_not_disturb (self));
      break;
    case MENU_QUIT:
      g_idle_add_full (G_PRIORITY_DEFAULT, quit_later, g_object_ref (self->application),
                       g_object_unref);
      break;
    default:
      break;
    }
}

static void
handle_menu_call (EsTrayItem            *self,
                  const char            *method,
                  GVariant              *parameters,
                  GDBusMethodInvocation *invocation)
{
  if (g_str_equal (method, "GetLayout"))
    {
      int parent, depth;

      g_variant_get (parameters, "(ii^a&s)", &parent, &depth, NULL);
      if (!menu_item_exists (parent))
        {
          g_dbus_method_invocation_return_dbus_error (invocation, "com.canonical.dbusmenu.Error",
                                                      "no such menu item");
          return;
        }
      g_dbus_method_invocation_return_value (invocation,
                                             g_variant_new ("(u@(ia{sv}av))", self->menu_revision,
                                                            menu_layout (self, parent, depth)));
    }
  else if (g_str_equal (method, "GetGroupProperties"))
    {
      g_autoptr(GVariantIter) ids = NULL;
      GVariantBuilder result;
      int id;

      g_variant_get (parameters, "(ai^a&s)", &ids, NULL);
      g_variant_builder_init (&result, G_VARIANT_TYPE ("a(ia{sv})"));
      while (g_variant_iter_next (ids, "i", &id))
        if (menu_item_exists (id))
          g_variant_builder_add (&result, "(i@a{sv})", id, menu_item_properties (self, id));
      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(a(ia{sv}))", &result));
    }
  else if (g_str_equal (method, "GetProperty"))
    {
      g_autoptr(GVariant) properties = NULL;
      g_autoptr(GVariant) value = NULL;
      const char *name;
      int id;

      g_variant_get (parameters, "(i&s)", &id, &name);
      properties = menu_item_exists (id) ? menu_item_properties (self, id) : NULL;
      if (properties != NULL)
        value = g_variant_lookup_value (properties, name, NULL);
      if (value == NULL)
        g_dbus_method_invocation_return_dbus_error (invocation, "com.canonical.dbusmenu.Error",
                                                    "no such property");
      else
        g_dbus_method_invocation_return_value (invocation, g_variant_new ("(v)", value));
    }
  else if (g_str_equal (method, "Event"))
    {
      const char *event;
      int id;

      g_variant_get (parameters, "(i&svu)", &id, &event, NULL, NULL);
      g_dbus_method_invocation_return_value (invocation, NULL);
      if (g_str_equal (event, "clicked"))
        menu_item_clicked (self, id);
    }
  else if (g_str_equal (method, "EventGroup"))
    {
      g_autoptr(GVariantIter) events = NULL;
      g_autoptr(GArray) clicked = g_array_new (FALSE, FALSE, sizeof (int));
      GVariantBuilder errors;
      const char *event;
      int id;

      g_variant_get (parameters, "(a(isvu))", &events);
      g_variant_builder_init (&errors, G_VARIANT_TYPE ("ai"));
      while (g_variant_iter_loop (events, "(i&svu)", &id, &event, NULL, NULL))
        {
          if (!menu_item_exists (id))
            g_variant_builder_add (&errors, "i", id);
          else if (g_str_equal (event, "clicked"))
            g_array_append_val (clicked, id);
        }
      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(ai)", &errors));
      for (guint i = 0; i < clicked->len; i++)
        menu_item_clicked (self, g_array_index (clicked, int, i));
    }
  else if (g_str_equal (method, "AboutToShow"))
    g_dbus_method_invocation_return_value (invocation, g_variant_new ("(b)", FALSE));
  else if (g_str_equal (method, "AboutToShowGroup"))
    g_dbus_method_invocation_return_value (invocation, g_variant_new ("(@ai@ai)",
      g_variant_new_array (G_VARIANT_TYPE_INT32, NULL, 0),
      g_variant_new_array (G_VARIANT_TYPE_INT32, NULL, 0)));
  else
    g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD,
                                           "unknown method %s", method);
}

static GVariant *
menu_property (const char *name)
{
  if (g_str_equal (name, "Version"))
    return g_variant_new_uint32 (3);
  if (g_str_equal (name, "TextDirection"))
    return g_variant_new_string (gtk_widget_get_default_direction () == GTK_TEXT_DIR_RTL ? "rtl"
                                                                                         : "ltr");
  if (g_str_equal (name, "Status"))
    return g_variant_new_string ("normal");
  if (g_str_equal (name, "IconThemePath"))
    return g_variant_new_strv (NULL, 0);
  return NULL;
}

/* ---- D-Bus plumbing ----------------------------------------------------------------- */

static void
on_method_call (GDBusConnection       *connection,
                const char            *sender,
                const char            *path,
                const char            *interface,
                const char            *method,
                GVariant              *parameters,
                GDBusMethodInvocation *invocation,
                gpointer               data)
{
  EsTrayItem *self = data;

  if (g_str_equal (interface, "com.canonical.dbusmenu"))
    {
      handle_menu_call (self, method, parameters, invocation);
      return;
    }
  /* The panel gets its reply before the window is made. ContextMenu: the
   * host draws the menu itself; Scroll means nothing here. */
  g_dbus_method_invocation_return_value (invocation, NULL);
  if (g_str_equal (method, "Activate") || g_str_equal (method, "SecondaryActivate"))
    g_action_group_activate_action (G_ACTION_GROUP (self->application), "show", NULL);
}

static GVariant *
on_get_property (GDBusConnection *connection,
                 const char      *sender,
                 const char      *path,
                 const char      *interface,
                 const char      *name,
                 GError         **error,
                 gpointer         data)
{
  EsTrayItem *self = data;
  GVariant *value = g_str_equal (interface, "com.canonical.dbusmenu") ? menu_property (name)
                                                                       : item_property (self, name);

  if (value == NULL)
    g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_PROPERTY, "no property %s", name);
  return value;
}

static const GDBusInterfaceVTable vtable = { on_method_call, on_get_property, NULL, { 0 } };

static void
on_registered (GObject      *source,
               GAsyncResult *result,
               gpointer      data)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  if (reply == NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_message ("the tray did not take the icon: %s", error->message);
}

static void
on_watcher_appeared (GDBusConnection *connection,
                     const char      *name,
                     const char      *owner,
                     gpointer         data)
{
  EsTrayItem *self = data;

  if (self->bus_name == NULL)
    return;
  g_dbus_connection_call (connection, WATCHER_NAME, WATCHER_PATH, WATCHER_NAME,
                          "RegisterStatusNotifierItem", g_variant_new ("(s)", self->bus_name),
                          NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, on_registered, NULL);
}

static void
on_name_acquired (GDBusConnection *connection,
                  const char      *name,
                  gpointer         data)
{
  EsTrayItem *self = data;

  /* Registered only once the name is ours, so the watcher can find us. */
  if (self->watcher_id == 0)
    self->watcher_id = g_bus_watch_name_on_connection (connection, WATCHER_NAME,
                                                       G_BUS_NAME_WATCHER_FLAGS_NONE,
                                                       on_watcher_appeared, NULL, self, NULL);
}

static void
refresh (EsTrayItem *self)
{
  g_free (self->status_text);
  self->status_text = describe_status (self);
  emit (self, ITEM_PATH, "org.kde.StatusNotifierItem", "NewStatus",
        g_variant_new ("(s)", item_status (self)));
  emit (self, ITEM_PATH, "org.kde.StatusNotifierItem", "NewToolTip", NULL);
  emit (self, ITEM_PATH, "org.kde.StatusNotifierItem", "NewOverlayIcon", NULL);
  menu_changed (self);
}

static void
on_call_rings (EsApplication *application,
               EsCall        *call,
               EsTrayItem    *self)
{
  refresh (self);
  g_signal_connect_object (call, "state-changed", G_CALLBACK (refresh), self, G_CONNECT_SWAPPED);
}

static gboolean
export (EsTrayItem *self,
        GError    **error)
{
  self->node_info = g_dbus_node_info_new_for_xml (introspection_xml, error);
  if (self->node_info == NULL)
    return FALSE;
  self->item_registration =
    g_dbus_connection_register_object (self->connection, ITEM_PATH,
                                       self->node_info->interfaces[0], &vtable, self, NULL, error);
  if (self->item_registration == 0)
    return FALSE;
  self->menu_registration =
    g_dbus_connection_register_object (self->connection, MENU_PATH,
                                       self->node_info->interfaces[1], &vtable, self, NULL, error);
  return self->menu_registration != 0;
}

static void
es_tray_item_dispose (GObject *object)
{
  EsTrayItem *self = ES_TRAY_ITEM (object);

  g_clear_handle_id (&self->watcher_id, g_bus_unwatch_name);
  g_clear_handle_id (&self->name_id, g_bus_unown_name);
  if (self->connection != NULL)
    {
      if (self->item_registration != 0)
        g_dbus_connection_unregister_object (self->connection, self->item_registration);
      if (self->menu_registration != 0)
        g_dbus_connection_unregister_object (self->connection, self->menu_registration);
    }
  self->item_registration = self->menu_registration = 0;
  if (self->application != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->application, self);
      g_signal_handlers_disconnect_by_data (es_application_get_settings (self->application), self);
    }
  self->application = NULL;
  g_clear_object (&self->connection);
  g_clear_pointer (&self->node_info, g_dbus_node_info_unref);

  G_OBJECT_CLASS (es_tray_item_parent_class)->dispose (object);
}

static void
es_tray_item_finalize (GObject *object)
{
  EsTrayItem *self = ES_TRAY_ITEM (object);

  g_free (self->bus_name);
  g_free (self->status_text);

  G_OBJECT_CLASS (es_tray_item_parent_class)->finalize (object);
}

static void
es_tray_item_class_init (EsTrayItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = es_tray_item_dispose;
  object_class->finalize = es_tray_item_finalize;
}

static void
es_tray_item_init (EsTrayItem *self)
{
}

EsTrayItem *
es_tray_item_new (EsApplication *application)
{
  EsTrayItem *self = g_object_new (ES_TYPE_TRAY_ITEM, NULL);
  GDBusConnection *connection = g_application_get_dbus_connection (G_APPLICATION (application));
  g_autoptr(GError) error = NULL;

  self->application = application;
  self->status_text = describe_status (self);
  g_signal_connect_swapped (application, "notify::status", G_CALLBACK (refresh), self);
  g_signal_connect_swapped (application, "notify::current-call", G_CALLBACK (refresh), self);
  g_signal_connect (application, "incoming-call", G_CALLBACK (on_call_rings), self);
  g_signal_connect_swapped (es_application_get_settings (application), "changed::do-not-disturb",
                            G_CALLBACK (refresh), self);
  if (connection == NULL)
    return self;

  self->connection = g_object_ref (connection);
  if (!export (self, &error))
    {
      g_warning ("no tray icon: %s", error->message);
      return self;
    }
  /* The name the specification asks for: one per process and item. */
  self->bus_name = g_strdup_printf ("org.kde.StatusNotifierItem-%d-1", (int) getpid ());
  self->name_id = g_bus_own_name_on_connection (connection, self->bus_name,
                                                G_BUS_NAME_OWNER_FLAGS_NONE, on_name_acquired,
                                                NULL, self, NULL);
  return self;
}

