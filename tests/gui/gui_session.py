"""Runs the real desktop app for the gui suite, headless: an Xvfb display, a
private session bus (the one of a private PipeWire, so calls have a
microphone and a speaker), a relay on loopback, and in this process a test
notification server and a test StatusNotifierWatcher, so that what the app
shows on the bus is seen here. The app is read and driven through its
accessibility tree (AT-SPI), as a screen reader would.

Every wait is for an event (an accessibility or D-Bus event wakes this
process's GLib main loop; a program's output line wakes its reader) and is
bounded; everything started is stopped at close(), even after a failure.

A suite without Xvfb or dbus-daemon exits 77 saying so (Skip).
"""
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
sys.path.insert(0, os.path.join(HERE, "..", "audio"))

import harness  # noqa: E402
import pipewire_session  # noqa: E402

APP = os.environ.get("EARSHOT_APP")
# Debian's ImageMagick; a "convert" earlier on PATH may be something else.
CONVERT = "/usr/bin/convert"
IMPORT = "/usr/bin/import"
APP_ID = "io.github.earshot.Earshot"
TIMEOUT = 20.0
SCREEN = (1280, 800)

NOTIFICATIONS_XML = """
<node>
  <interface name='org.freedesktop.Notifications'>
    <method name='Notify'>
      <arg type='s' direction='in'/><arg type='u' direction='in'/>
      <arg type='s' direction='in'/><arg type='s' direction='in'/>
      <arg type='s' direction='in'/><arg type='as' direction='in'/>
      <arg type='a{sv}' direction='in'/><arg type='i' direction='in'/>
      <arg type='u' direction='out'/>
    </method>
    <method name='CloseNotification'><arg type='u' direction='in'/></method>
    <method name='GetCapabilities'><arg type='as' direction='out'/></method>
    <method name='GetServerInformation'>
      <arg type='s' direction='out'/><arg type='s' direction='out'/>
      <arg type='s' direction='out'/><arg type='s' direction='out'/>
    </method>
    <signal name='NotificationClosed'><arg type='u'/><arg type='u'/></signal>
    <signal name='ActionInvoked'><arg type='u'/><arg type='s'/></signal>
  </interface>
</node>"""

WATCHER_XML = """
<node>
  <interface name='org.kde.StatusNotifierWatcher'>
    <method name='RegisterStatusNotifierItem'><arg type='s' direction='in'/></method>
    <method name='RegisterStatusNotifierHost'><arg type='s' direction='in'/></method>
    <property name='RegisteredStatusNotifierItems' type='as' access='read'/>
    <property name='IsStatusNotifierHostRegistered' type='b' access='read'/>
    <property name='ProtocolVersion' type='i' access='read'/>
    <signal name='StatusNotifierItemRegistered'><arg type='s'/></signal>
    <signal name='StatusNotifierItemUnregistered'><arg type='s'/></signal>
  </interface>
</node>"""


class Skip(Exception):
    """Something the suite needs is not installed (exit 77)."""


class GuiFailure(AssertionError):
    pass


def require_programs(*names):
    missing = [name for name in names if shutil.which(name) is None]
    if missing:
        raise Skip(f"{', '.join(missing)} not installed (apt-get install xvfb dbus "
                   f"at-spi2-core imagemagick)")


class NotificationServer:
    """org.freedesktop.Notifications, recording what it is asked to show."""

    def __init__(self, session):
        from gi.repository import Gio
        self.session = session
        self.notifications = {}          # id → dict
        self.closed = set()
        self.next_id = 1
        info = Gio.DBusNodeInfo.new_for_xml(NOTIFICATIONS_XML).interfaces[0]
        self.connection = session.bus
        self.registration = self.connection.register_object(
            "/org/freedesktop/Notifications", info, self._on_call, None, None)
        self.owner = Gio.bus_own_name_on_connection(
            self.connection, "org.freedesktop.Notifications", Gio.BusNameOwnerFlags.NONE,
            None, None)

    def _on_call(self, connection, sender, path, interface, method, parameters, invocation):
        from gi.repository import GLib
        if method == "Notify":
            app, replaces, icon, summary, body, actions, hints, timeout = parameters.unpack()
            number = replaces or self.next_id
            self.next_id = max(self.next_id, number + 1)
            self.notifications[number] = {
                "id": number, "app": app, "summary": summary, "body": body,
                "actions": dict(zip(actions[1::2], actions[0::2])),   # label → key
                "hints": hints, "sender": sender,
            }
            self.closed.discard(number)
            invocation.return_value(GLib.Variant("(u)", (number,)))
        elif method == "CloseNotification":
            number = parameters.unpack()[0]
            self.closed.add(number)
            invocation.return_value(None)
        elif method == "GetCapabilities":
            invocation.return_value(GLib.Variant("(as)", (["actions", "body"],)))
        else:
            invocation.return_value(GLib.Variant("(ssss)", ("earshot-test", "earshot", "1", "1.2")))

    def find(self, predicate):
        for notification in self.notifications.values():
            if notification["id"] not in self.closed and predicate(notification):
                return notification
        return None

    def click(self, notification, label):
        """What a person does with a notification's button."""
        from gi.repository import GLib
        key = notification["actions"][label]
        self.connection.emit_signal(notification["sender"], "/org/freedesktop/Notifications",
                                    "org.freedesktop.Notifications", "ActionInvoked",
                                    GLib.Variant("(us)", (notification["id"], key)))

    def close(self):
        from gi.repository import Gio
        Gio.bus_unown_name(self.owner)
        self.connection.unregister_object(self.registration)


class StatusNotifierWatcher:
    """The smallest org.kde.StatusNotifierWatcher: what a panel's tray runs."""

    def __init__(self, session):
        from gi.repository import Gio
        self.session = session
        self.items = []
        info = Gio.DBusNodeInfo.new_for_xml(WATCHER_XML).interfaces[0]
        self.connection = session.bus
        self.registration = self.connection.register_object(
            "/StatusNotifierWatcher", info, self._on_call, self._on_get_property, None)
        self.owner = Gio.bus_own_name_on_connection(
            self.connection, "org.kde.StatusNotifierWatcher", Gio.BusNameOwnerFlags.NONE,
            None, None)

    def _on_call(self, connection, sender, path, interface, method, parameters, invocation):
        from gi.repository import GLib
        service = parameters.unpack()[0]
        if method == "RegisterStatusNotifierItem":
            # A bus name, or an object path on the sender's connection.
            item = service if not service.startswith("/") else f"{sender}{service}"
            if item not in self.items:
                self.items.append(item)
            connection.emit_signal(None, "/StatusNotifierWatcher",
                                   "org.kde.StatusNotifierWatcher",
                                   "StatusNotifierItemRegistered", GLib.Variant("(s)", (item,)))
        invocation.return_value(None)

    def _on_get_property(self, connection, sender, path, interface, name):
        from gi.repository import GLib
        if name == "RegisteredStatusNotifierItems":
            return GLib.Variant("as", self.items)
        if name == "IsStatusNotifierHostRegistered":
            return GLib.Variant("b", True)
        return GLib.Variant("i", 0)

    def close(self):
        from gi.repository import Gio
        Gio.bus_unown_name(self.owner)
        self.connection.unregister_object(self.registration)


class GuiSession:
    def __init__(self, name, pipewire=True):
        require_programs("Xvfb", "dbus-daemon", IMPORT, CONVERT, "gdbus")
        if APP is None:
            raise Skip("EARSHOT_APP is not set (run through meson test)")
        self.root = tempfile.mkdtemp(prefix=f"earshot-gui-{name}-")
        self.artefacts = os.environ.get("EARSHOT_GUI_ARTEFACTS", os.path.join(self.root, "shots"))
        os.makedirs(self.artefacts, exist_ok=True)
        self.name = name
        self.processes = []
        self.xvfb = None
        self.dbus = None
        self.pipewire = None
        self.lab = None
        self.app = None
        self.app_log = None
        self.want_pipewire = pipewire
        self.stop_events = False

    # ---- life ------------------------------------------------------------------

    def start(self):
        env = dict(os.environ)
        if self.want_pipewire:
            try:
                self.pipewire = pipewire_session.PipewireSession()
            except pipewire_session.Unavailable as error:
                raise Skip(str(error))
            self.pipewire.start()
            env.update(self.pipewire.env)
        else:
            env.update(self._start_dbus())
        env.update({
            "DISPLAY": self._start_xvfb(),
            "GDK_BACKEND": "x11",
            "XDG_CONFIG_HOME": self.path("config"),
            "XDG_DATA_HOME": self.path("data"),
            "XDG_CACHE_HOME": self.path("cache"),
            "HOME": self.path("home"),
            "GSETTINGS_BACKEND": "keyfile",
            "NO_AT_BRIDGE": "0",
            "GTK_A11Y": "atspi",
        })
        for key in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "HOME"):
            os.makedirs(env[key], exist_ok=True)
        self.env = env
        # This process talks to the same bus and display as the app.
        os.environ.update({key: env[key] for key in ("DISPLAY", "DBUS_SESSION_BUS_ADDRESS",
                                                     "XDG_RUNTIME_DIR")})
        import gi
        gi.require_version("Atspi", "2.0")
        from gi.repository import Atspi, Gio, GLib
        self.GLib = GLib
        self.Atspi = Atspi
        self.bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)
        self._wait_for_accessibility_bus()
        Atspi.init()
        # Any change in the app's accessibility tree wakes a wait.
        self.listener = Atspi.EventListener.new(lambda event: None)
        for event in ("object:children-changed", "object:state-changed",
                      "object:property-change", "window:", "object:text-changed"):
            self.listener.register(event)
        self.lab = harness.Lab(f"earshot-gui-{self.name}")
        self.lab.base_env = dict(env)
        self.lab.base_env.setdefault("EARSHOT_INTERFACES", "lo")
        self.lab.base_env.setdefault("EARSHOT_PORTMAP", "off")
        return self

    def _wait_for_accessibility_bus(self, attempts=3):
        """The session bus starts at-spi-bus-launcher on first use, and
        Atspi.init() aborts this process if the accessibility bus does not
        answer at once (seen on a loaded machine): ask for its address first,
        which waits for the launcher, and ask again if a launch failed."""
        from gi.repository import Gio, GLib
        for attempt in range(attempts):
            try:
                self.bus.call_sync("org.a11y.Bus", "/org/a11y/bus", "org.a11y.Bus", "GetAddress",
                                   None, GLib.VariantType("(s)"), Gio.DBusCallFlags.NONE,
                                   int(TIMEOUT * 1000), None)
                return
            except GLib.Error as error:
                if attempt == attempts - 1:
                    raise GuiFailure(f"the accessibility bus did not start: {error.message}")

    def _start_dbus(self):
        runtime = self.path("runtime")
        os.makedirs(runtime, mode=0o700, exist_ok=True)
        address = f"unix:path={runtime}/bus"
        self.dbus = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--nopidfile",
                                      f"--address={address}"],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        pipewire_session.wait_for_file(os.path.join(runtime, "bus"), TIMEOUT)
        return {"DBUS_SESSION_BUS_ADDRESS": address, "XDG_RUNTIME_DIR": runtime}

    def _start_xvfb(self):
        read_end, write_end = os.pipe()
        log = open(self.path("xvfb.log"), "w")
        self.xvfb = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write_end), "-screen", "0",
             f"{SCREEN[0]}x{SCREEN[1]}x24", "-nolisten", "tcp", "-noreset"],
            pass_fds=(write_end,), stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        os.close(write_end)
        log.close()
        # Xvfb writes the number, then the newline: read up to the newline,
        # because closing the pipe before it arrives kills the server (EPIPE).
        import select
        deadline = time.monotonic() + TIMEOUT
        text = b""
        while not text.endswith(b"\n"):
            ready, _, _ = select.select([read_end], [], [], max(0, deadline - time.monotonic()))
            chunk = os.read(read_end, 64) if ready else b""
            if not chunk:
                break
            text += chunk
        os.close(read_end)
        number = text.decode().strip() if text.endswith(b"\n") else ""
        if not number:
            raise GuiFailure(f"Xvfb did not start: {open(self.path('xvfb.log')).read()[-2000:]}")
        return f":{number}"

    def path(self, *parts):
        return os.path.join(self.root, *parts)

    def close(self):
        """Stops everything; then fails if the app did not end cleanly on
        SIGTERM (it quits as from its menu), which is also how a sanitizer's
        report (leaks, errors) in the app fails the test."""
        unclean = None
        if self.app is not None and self.app.poll() is None:
            self.app.terminate()
            try:
                self.app.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.app.kill()
                self.app.wait(timeout=5)
            if self.app.returncode != 0:
                unclean = (f"the app ended with status {self.app.returncode} on SIGTERM:\n"
                           f"{self.app_log_text()}")
        if self.lab is not None:
            self.lab.close()
        for process in (self.xvfb, self.dbus):
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    process.kill()
        if self.pipewire is not None:
            self.pipewire.close()
        shutil.rmtree(self.root, ignore_errors=True)
        if unclean is not None:
            raise GuiFailure(unclean)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        if exc[0] is not None and self.app_log is not None:
            print(f"--- app log ---\n{self.app_log_text()}", file=sys.stderr)
        self.close()

    # ---- waiting ----------------------------------------------------------------

    def wait_until(self, predicate, what, timeout=TIMEOUT):
        """Runs the main loop (D-Bus and accessibility events) until predicate()
        holds; output of programs arrives through their reader threads, so the
        loop also wakes every 50 ms to look at it."""
        context = self.GLib.MainContext.default()
        deadline = time.monotonic() + timeout
        while True:
            result = predicate()
            if result:
                return result
            if self.app is not None and self.app.poll() is not None and what != "app exit":
                raise GuiFailure(f"the app exited ({self.app.returncode}) while waiting for "
                                 f"{what}:\n{self.app_log_text()}")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                shot = self.failure_screenshot()
                raise GuiFailure(f"no {what} within {timeout} s (screen: {shot})\n"
                                 f"{self.programs_report()}{self.app_log_text()}")
            fired = []
            timer = self.GLib.timeout_add(int(min(remaining, 0.05) * 1000) + 1,
                                          lambda: fired.append(True) or False)
            context.iteration(True)
            if not fired:
                self.GLib.source_remove(timer)

    def programs_report(self):
        """The last words of the other programs, for a failure's message."""
        report = []
        for process in self.lab.processes if self.lab is not None else []:
            report.append(f"--- {process.name}: {process.history[-6:]}\n"
                          f"{process.stderr()[-1500:]}\n")
        return "".join(report)

    @staticmethod
    def drain(process):
        """Forgets the events that came so far: the next wait is for new ones."""
        while True:
            try:
                process.history.append(process.events.get_nowait())
            except queue.Empty:
                return

    def cli_event(self, process, name, timeout=TIMEOUT, **fields):
        """The next event of earshot-cli named name with these fields."""
        found = []

        def arrived():
            while True:
                try:
                    event = process.events.get_nowait()
                except queue.Empty:
                    return bool(found)
                process.history.append(event)
                if event.get("event") == name and all(event.get(k) == v
                                                      for k, v in fields.items()):
                    found.append(event)
                    return True
                if event.get("event") == "exit":
                    raise GuiFailure(f"{process.name} exited before {name} {fields}; saw "
                                     f"{process.history[-10:]}\n{process.stderr()[-2000:]}")
        self.wait_until(arrived, f"{process.name} {name} {fields}", timeout)
        return found[0]

    # ---- the programs ----------------------------------------------------------------

    def relay(self):
        return self.lab.relay()

    def identity(self, name):
        home, fingerprint = self.lab.identity(name)
        return home, fingerprint

    def set_setting(self, key, value):
        """Writes the keyfile GSettings reads (GSETTINGS_BACKEND=keyfile)."""
        directory = os.path.join(self.env["XDG_CONFIG_HOME"], "glib-2.0", "settings")
        os.makedirs(directory, exist_ok=True)
        path = os.path.join(directory, "keyfile")
        lines = open(path).read().splitlines() if os.path.exists(path) else [
            "[io/github/earshot/Earshot]"]
        lines = [line for line in lines if not line.startswith(key + "=")]
        lines.append(f"{key}={value}")
        with open(path, "w") as keyfile:
            keyfile.write("\n".join(lines) + "\n")

    def start_app(self, home, *args, env_extra=None):
        env = dict(self.env)
        env["EARSHOT_HOME"] = home
        env.setdefault("EARSHOT_INTERFACES", "lo")
        env.setdefault("EARSHOT_PORTMAP", "off")
        # EARSHOT_GUI_DEBUG=EsAudioPipewire,… shows those domains' debug messages in the app log.
        env["G_MESSAGES_DEBUG"] = os.environ.get("EARSHOT_GUI_DEBUG", "")
        env.update(env_extra or {})
        self.app_log = open(self.path(f"app-{len(self.processes)}.log"), "w+")
        self.app = subprocess.Popen([APP, *args], env=env, stdin=subprocess.DEVNULL,
                                    stdout=self.app_log, stderr=subprocess.STDOUT)
        self.processes.append(self.app)
        return self.app

    def app_log_text(self):
        if self.app_log is None:
            return ""
        self.app_log.flush()
        with open(self.app_log.name) as log:
            return log.read()[-4000:]

    def wait_app_exit(self, timeout=TIMEOUT):
        self.wait_until(lambda: self.app.poll() is not None, "app exit", timeout)
        return self.app.returncode

    # ---- the accessibility tree -----------------------------------------------------

    def accessible_app(self):
        desktop = self.Atspi.get_desktop(0)
        for i in range(desktop.get_child_count()):
            child = desktop.get_child_at_index(i)
            try:
                if child is not None and child.get_process_id() == self.app.pid:
                    return child
            except self.GLib.Error:
                continue
        return None

    def has_size(self, node):
        """Never allocated (a stack page not shown yet) means no size."""
        try:
            extents = node.get_extents(self.Atspi.CoordType.WINDOW)
        except self.GLib.Error:
            return True          # no Component interface: nothing says it is hidden
        return extents.width > 0 and extents.height > 0

    def on_screen(self, node):
        """What a person can see: it has a size, and neither it nor a parent
        is hidden (GTK 4.8 sets no SHOWING state; the app marks the pages its
        stacks do not show as hidden, see src/app/es-accessibility.c)."""
        if not self.has_size(node):
            return False
        try:
            while node is not None and node.get_role_name() not in ("frame", "dialog",
                                                                     "window", "application"):
                if not node.get_state_set().contains(self.Atspi.StateType.VISIBLE):
                    return False
                node = node.get_parent()
        except self.GLib.Error:
            return False
        return True

    def nodes(self, root=None, showing_only=True):
        """Every node under root, depth first; what is not on screen is skipped."""
        root = root or self.accessible_app()
        if root is None:
            return
        stack = [root]
        while stack:
            node = stack.pop()
            try:
                # GTK 4.8 has no AT-SPI cache interface: AT-SPI's own copy of a
                # name can be older than a label's text.
                node.clear_cache()
                if showing_only and node is not root and node.get_role_name() != "frame" and \
                        not self.has_size(node):
                    continue
                yield node
                count = node.get_child_count()
                for i in reversed(range(count)):
                    child = node.get_child_at_index(i)
                    if child is not None:
                        stack.append(child)
            except self.GLib.Error:
                continue

    @classmethod
    def node_name(cls, node):
        """The name a screen reader would say. A label's is its text, read
        live. GTK 4.8 names a labelled button by its label and then its child
        label again ("Call Call"): one is kept."""
        name = (cls.node_text(node) if node.get_role_name() == "label" else "") or \
            node.get_name() or ""
        for space in (i for i, char in enumerate(name) if char == " "):
            # "_Answer Answer": the mnemonic's underscore is in the first half.
            if name[:space].replace("_", "") == name[space + 1:]:
                return name[space + 1:]
        return name

    @staticmethod
    def node_text(node):
        """A label's or an entry's text, read live (names are cached)."""
        from gi.repository import Atspi
        try:
            return Atspi.Text.get_text(node, 0, Atspi.Text.get_character_count(node))
        except Exception:
            return ""

    def find_all(self, role=None, name=None, contains=None, text_contains=None, root=None):
        found = []
        for node in self.nodes(root):
            try:
                if role is not None and node.get_role_name() != role:
                    continue
                node_name = self.node_name(node)
                if name is not None and node_name != name:
                    continue
                if contains is not None and contains not in node_name:
                    continue
                if text_contains is not None and text_contains not in self.node_text(node) \
                        and text_contains not in node_name:
                    continue
                if not self.on_screen(node):
                    continue
                found.append(node)
            except self.GLib.Error:
                continue
        return found

    def find(self, role=None, name=None, contains=None, text_contains=None, timeout=TIMEOUT,
             root=None):
        what = f"{role or 'node'} {name or contains or text_contains!r}"
        return self.wait_until(
            lambda: (self.find_all(role, name, contains, text_contains, root) or [None])[0],
            what, timeout)

    def gone(self, role=None, name=None, contains=None, timeout=TIMEOUT):
        self.wait_until(lambda: not self.find_all(role, name, contains),
                        f"{role} {name or contains!r} to go", timeout)

    def click(self, node):
        """Clicks node, or the part of it that takes clicks (a menu button's
        inner button)."""
        pending = [node]
        while pending:
            candidate = pending.pop(0)
            for i in range(candidate.get_n_actions()):
                if candidate.get_action_name(i) in ("click", "press", "activate", "toggle"):
                    candidate.do_action(i)
                    return
            pending.extend(candidate.get_child_at_index(i)
                           for i in range(candidate.get_child_count()))
        raise GuiFailure(f"{node.get_role_name()} {node.get_name()!r} cannot be clicked")

    def click_button(self, name, timeout=TIMEOUT):
        self.click(self.find("push button", name=name, timeout=timeout))

    def type_into(self, node, text):
        node.set_text_contents(text)

    def window_extents(self):
        frames = [node for node in self.nodes() if node.get_role_name() in ("frame", "window")]
        if not frames:
            raise GuiFailure("the app shows no window")
        extents = frames[0].get_extents(self.Atspi.CoordType.WINDOW)
        return extents.x, extents.y, extents.width, extents.height

    # ---- what a person sees ---------------------------------------------------------------

    def screenshot(self, name, region=None):
        """Saves the screen (or region x, y, w, h) as an artefact and checks it
        is not blank: many colours and a real spread of brightness."""
        path = os.path.join(self.artefacts, f"{name}.png")
        subprocess.run([IMPORT, "-display", self.env["DISPLAY"], "-window", "root", path],
                       check=True, timeout=TIMEOUT, env=self.env)
        if region is not None:
            x, y, w, h = region
            subprocess.run([CONVERT, path, "-crop", f"{w}x{h}+{x}+{y}", "+repage", path],
                           check=True, timeout=TIMEOUT)
        measured = subprocess.run([CONVERT, path, "-format",
                                   "%[fx:standard_deviation] %k", "info:"],
                                  capture_output=True, text=True, check=True, timeout=TIMEOUT)
        deviation, colours = measured.stdout.split()
        if float(deviation) < 0.05 or int(colours) < 16:
            raise GuiFailure(f"screenshot {name} looks blank (deviation {deviation}, "
                             f"{colours} colours): {path}")
        return path

    def failure_screenshot(self):
        """What the screen showed when a wait failed, for the person reading the log."""
        path = os.path.join(self.artefacts, f"failure-{self.name}.png")
        subprocess.run([IMPORT, "-display", self.env["DISPLAY"], "-window", "root", path],
                       timeout=TIMEOUT, env=self.env, capture_output=True)
        return path

    def window_screenshot(self, name):
        return self.screenshot(name, self.window_extents())

    # ---- D-Bus ------------------------------------------------------------------------------

    def gdbus(self, *args):
        result = subprocess.run(["gdbus", "call", "--session", *args], env=self.env,
                                capture_output=True, text=True, timeout=TIMEOUT)
        if result.returncode != 0:
            raise GuiFailure(f"gdbus call {' '.join(args)} failed: {result.stderr}")
        return result.stdout.strip()

    def notification_server(self):
        return NotificationServer(self)

    def status_notifier_watcher(self):
        return StatusNotifierWatcher(self)


def history_rows(home):
    """The call history as contacts.db has it."""
    import sqlite3
    with sqlite3.connect(os.path.join(home, "contacts.db")) as db:
        return [dict(zip(("peer", "outgoing", "answered", "duration", "end_reason"), row))
                for row in db.execute("SELECT peer, outgoing, answered, duration, end_reason "
                                      "FROM calls ORDER BY started, id")]


def run(test_class, argv):
    """unittest main that turns Skip into exit 77."""
    import unittest
    suite = unittest.TestSuite()
    loader = unittest.TestLoader()
    names = argv[1:] or None
    suite.addTests(loader.loadTestsFromNames(names, sys.modules[test_class.__module__])
                   if names else loader.loadTestsFromTestCase(test_class))
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    skipped = [reason for _, reason in result.skipped]
    if result.wasSuccessful() and skipped and len(skipped) == result.testsRun:
        print(f"SKIP: {skipped[0]}", file=sys.stderr)
        return 77
    return 0 if result.wasSuccessful() else 1

