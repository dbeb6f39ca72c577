#!/usr/bin/python3
"""A private PipeWire for tests: its own XDG_RUNTIME_DIR, D-Bus session bus,
pipewire (20 ms quantum) and WirePlumber, with a null sink and a virtual
source as the default speaker and microphone. Nothing touches a user's
session, and everything stops at close(), even after a failure.

As a module:

    session = PipewireSession()      # raises Unavailable when not installed
    session.start()
    ... session.env, session.create_sink(name), session.play_into(source, wav) ...
    session.close()

As a wrapper: pipewire_session.py -- PROGRAM ARGS... runs the program inside
a private session and exits with its status (77 when PipeWire is missing).

Each part is waited for by its event, with a bounded wait: the socket's
creation (inotify), WirePlumber's defaults in the "default" metadata
(pw-metadata -m), ports and links (pw-link -m). Python 3 standard library.
"""
import ctypes
import ctypes.util
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

PROGRAMS = ("pipewire", "wireplumber", "dbus-daemon", "pw-cli", "pw-dump", "pw-metadata", "pw-link",
            "pw-play", "pw-record")
PACKAGES = "pipewire pipewire-bin wireplumber dbus-daemon"
SINK = "earshot_test_speaker"
SOURCE = "earshot_test_microphone"
TIMEOUT = 10.0

# A 960-frame quantum (20 ms): PipeWire rounds node.latency=960/48000 down to
# 512 with power-of-two quanta, and virtual machines get min-quantum 1024.
QUANTUM_CONF = """context.properties = {
    clock.power-of-two-quantum = false
    default.clock.rate = 48000
    default.clock.quantum = 960
    default.clock.min-quantum = 16
    vm.overrides = { default.clock.min-quantum = 16 }
}
"""


class Unavailable(Exception):
    """PipeWire is not installed: the suite skips (exit 77) saying this."""


class SessionError(AssertionError):
    pass


def missing_programs():
    return [name for name in PROGRAMS if shutil.which(name) is None]


def wait_for_file(path, timeout, alive=None):
    """Returns once path exists, woken by inotify rather than by polling."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    in_create, in_moved_to, in_nonblock, in_cloexec = 0x100, 0x80, 0o4000, 0o2000000
    fd = libc.inotify_init1(in_nonblock | in_cloexec)
    if fd < 0:
        raise SessionError(f"inotify_init1: {os.strerror(ctypes.get_errno())}")
    try:
        directory = os.path.dirname(path).encode()
        if libc.inotify_add_watch(fd, directory, in_create | in_moved_to) < 0:
            raise SessionError(f"inotify_add_watch: {os.strerror(ctypes.get_errno())}")
        deadline = time.monotonic() + timeout
        while not os.path.exists(path):
            if alive is not None:
                alive()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise SessionError(f"{path} did not appear within {timeout} s")
            # Also woken at least every second to notice a dead process.
            ready, _, _ = select.select([fd], [], [], min(remaining, 1.0))
            if ready:
                os.read(fd, 4096)
    finally:
        os.close(fd)


class LineWatcher:
    """Runs a monitoring command and keeps state from its lines, so that
    tests wait on a condition instead of polling."""

    def __init__(self, argv, env, parse):
        self.condition = threading.Condition()
        self.parse = parse
        self.lines = []
        self.process = subprocess.Popen(argv, env=env, text=True, bufsize=1,
                                        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL)
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        for line in self.process.stdout:
            with self.condition:
                self.lines.append(line.rstrip("\n"))
                self.parse(line.rstrip("\n"))
                self.condition.notify_all()
        with self.condition:
            self.condition.notify_all()

    def wait(self, predicate, timeout, what):
        with self.condition:
            if not self.condition.wait_for(predicate, timeout):
                raise SessionError(f"no {what} within {timeout} s; last lines: {self.lines[-10:]}")

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.thread.join(timeout=5)


class PipewireSession:
    def __init__(self):
        missing = missing_programs()
        if missing:
            raise Unavailable(f"no PipeWire here ({', '.join(missing)} missing): "
                              f"apt-get install {PACKAGES}")
        self.root = tempfile.mkdtemp(prefix="earshot-pipewire-")
        self.runtime = os.path.join(self.root, "runtime")
        os.mkdir(self.runtime, 0o700)
        self.processes = []
        self.watchers = []
        self.defaults = {}
        self.ports = set()
        self.links = set()
        env = dict(os.environ)
        for variable in ("PIPEWIRE_REMOTE", "PIPEWIRE_RUNTIME_DIR", "PULSE_SERVER", "DISPLAY",
                         "WAYLAND_DISPLAY", "DBUS_SESSION_BUS_ADDRESS"):
            env.pop(variable, None)
        env.update({
            "XDG_RUNTIME_DIR": self.runtime,
            "XDG_CONFIG_HOME": os.path.join(self.root, "config"),
            "XDG_STATE_HOME": os.path.join(self.root, "state"),
            "XDG_DATA_HOME": os.path.join(self.root, "data"),
            "DBUS_SESSION_BUS_ADDRESS": f"unix:path={self.runtime}/bus",
        })
        self.env = env
        conf_dir = os.path.join(env["XDG_CONFIG_HOME"], "pipewire", "pipewire.conf.d")
        os.makedirs(conf_dir)
        with open(os.path.join(conf_dir, "earshot-test-quantum.conf"), "w") as conf:
            conf.write(QUANTUM_CONF)

    # ---- life ------------------------------------------------------------------

    def _spawn(self, name, argv):
        log = open(os.path.join(self.root, f"{name}.log"), "w")
        process = subprocess.Popen(argv, env=self.env, stdin=subprocess.DEVNULL, stdout=log,
                                   stderr=subprocess.STDOUT)
        log.close()
        process.name = name
        self.processes.append(process)
        return process

    def log(self, name):
        try:
            with open(os.path.join(self.root, f"{name}.log")) as log:
                return log.read()[-3000:]
        except OSError:
            return ""

    def _check_alive(self, process):
        def alive():
            if process.poll() is not None:
                raise SessionError(f"{process.name} exited ({process.returncode}):\n"
                                   f"{self.log(process.name)}")
        return alive

    def start(self):
        dbus = self._spawn("dbus", ["dbus-daemon", "--session", "--nofork", "--nopidfile",
                                    f"--address=unix:path={self.runtime}/bus"])
        wait_for_file(os.path.join(self.runtime, "bus"), TIMEOUT, self._check_alive(dbus))
        pipewire = self._spawn("pipewire", ["pipewire"])
        wait_for_file(os.path.join(self.runtime, "pipewire-0"), TIMEOUT,
                      self._check_alive(pipewire))
        # Both watchers wait for what they watch to exist.
        self.watchers.append(LineWatcher(["pw-metadata", "-m"], self.env, self._parse_metadata))
        self.watchers.append(LineWatcher(["pw-link", "-m", "-o", "-i", "-l"], self.env,
                                         self._parse_graph))
        self._spawn("wireplumber", ["wireplumber"])
        self.create_sink(SINK)
        self.create_source(SOURCE)
        # WirePlumber is up when it has made them the defaults.
        self.wait_default("sink", SINK)
        self.wait_default("source", SOURCE)
        return self

    def close(self):
        for watcher in self.watchers:
            watcher.stop()
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=5)
        shutil.rmtree(self.root, ignore_errors=True)

    def kill_server(self):
        """Stops pipewire itself, as a crash would."""
        for process in self.processes:
            if process.name == "pipewire" and process.poll() is None:
                process.send_signal(signal.SIGKILL)
                process.wait(timeout=5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()

    # ---- the graph -------------------------------------------------------------

    def _parse_metadata(self, line):
        # update: id:0 key:'default.audio.sink' value:'{"name":"x"}' type:'Spa:String:JSON'
        if not line.startswith(("update:", "remove:")) or "key:'default.audio." not in line:
            return
        kind = line.split("key:'default.audio.")[1].split("'")[0]
        if line.startswith("remove:") or "value:'" not in line:
            self.defaults.pop(kind, None)
            return
        value = line.split("value:'")[1].split("' type:")[0]
        name = value.split('"name":')[-1].strip(' "}') if '"name"' in value else None
        self.defaults[kind] = name

    def _parse_graph(self, line):
        # "= port", "+ port", "- port", "+ out -> in", "- out -> in"
        if len(line) < 3 or line[0] not in "=+-":
            return
        sign, body = line[0], line[2:]
        target = self.links if " -> " in body else self.ports
        if sign == "-":
            target.discard(body)
        else:
            target.add(body)

    def wait_default(self, kind, name, timeout=TIMEOUT):
        self.watchers[0].wait(lambda: self.defaults.get(kind) == name, timeout,
                              f"default {kind} {name}")

    def wait_link(self, output_port, input_port, timeout=TIMEOUT):
        link = f"{output_port} -> {input_port}"
        self.watchers[1].wait(lambda: link in self.links, timeout, f"link {link}")

    def wait_link_from(self, node_prefix, to_node, timeout=TIMEOUT):
        """A link from any port of a node whose name starts with node_prefix
        to any port of to_node (or the other way round)."""
        def linked():
            for link in self.links:
                out, _, into = link.partition(" -> ")
                if (out.startswith(node_prefix + ":") and into.startswith(to_node + ":")) or \
                   (out.startswith(to_node + ":") and into.startswith(node_prefix + ":")):
                    return True
            return False
        self.watchers[1].wait(linked, timeout, f"link between {node_prefix} and {to_node}")

    def wait_port(self, port, timeout=TIMEOUT):
        self.watchers[1].wait(lambda: port in self.ports, timeout, f"port {port}")

    def wait_no_node(self, node, timeout=TIMEOUT):
        self.watchers[1].wait(lambda: not any(p.startswith(node + ":") for p in self.ports),
                              timeout, f"{node} gone")

    def run(self, *argv):
        result = subprocess.run(list(argv), env=self.env, capture_output=True, text=True,
                                timeout=TIMEOUT)
        if result.returncode != 0:
            raise SessionError(f"{' '.join(argv)} failed ({result.returncode}): {result.stderr}")
        return result.stdout

    def _create_node(self, name, media_class):
        self.run("pw-cli", "create-node", "adapter",
                 "{ factory.name=support.null-audio-sink node.name=" + name +
                 " media.class=" + media_class + " object.linger=true"
                 " audio.position=[MONO] audio.rate=48000 }")

    def create_sink(self, name):
        self._create_node(name, "Audio/Sink")
        self.wait_port(f"{name}:playback_MONO")

    def create_source(self, name):
        self._create_node(name, "Audio/Source/Virtual")
        self.wait_port(f"{name}:capture_MONO")

    def destroy_node(self, name):
        self.run("pw-cli", "destroy", name)
        self.wait_no_node(name)

    def set_default(self, kind, name):
        """What a person does in the sound settings: WirePlumber then moves
        the streams that follow the default."""
        self.run("pw-metadata", "0", f"default.configured.audio.{kind}",
                 '{ "name": "' + name + '" }', "Spa:String:JSON")
        self.wait_default(kind, name)

    # ---- sound in and out -----------------------------------------------------

    def play_into(self, source, wav, node="earshot-test-feed"):
        """A microphone that hears the WAV file: pw-play, not linked by the
        session manager, linked by hand to the virtual source's input."""
        process = subprocess.Popen(
            ["pw-play", "--target", "0", "--latency", "960", "-P",
             "{ node.name = " + node + " node.autoconnect = false }", wav],
            env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True)
        self.processes.append(process)
        process.name = "pw-play"
        self.wait_port(f"{node}:output_MONO")
        self.run("pw-link", f"{node}:output_MONO", f"{source}:input_MONO")
        self.wait_link(f"{node}:output_MONO", f"{source}:input_MONO")
        return process

    def record_sink(self, sink, path):
        """Records what the sink plays (its monitor) into a WAV file; stop
        with stop_recording()."""
        process = subprocess.Popen(
            ["pw-record", "--target", sink, "--rate", "48000", "--channels", "1",
             "--format", "s16", "--latency", "960", "-P",
             "{ stream.capture.sink = true node.name = earshot-test-recorder }", path],
            env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True)
        process.name = "pw-record"
        self.processes.append(process)
        self.wait_link_from("earshot-test-recorder", sink)
        return process

    def record_ports(self, path, left, right, node="earshot-test-ears"):
        """Records two output ports into the left and right channels of one
        WAV file, in the same graph cycles, so that the delay between them
        is exact; stop with stop_recording()."""
        process = subprocess.Popen(
            ["pw-record", "--target", "0", "--rate", "48000", "--channels", "2",
             "--channel-map", "FL,FR", "--format", "s16", "--latency", "960", "-P",
             "{ node.name = " + node + " node.autoconnect = false }", path],
            env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True)
        process.name = "pw-record"
        self.processes.append(process)
        for port, channel in ((left, "FL"), (right, "FR")):
            self.wait_port(f"{node}:input_{channel}")
            self.run("pw-link", port, f"{node}:input_{channel}")
            self.wait_link(port, f"{node}:input_{channel}")
        return process

    @staticmethod
    def stop_recording(process):
        # pw-record writes the WAV header's sizes when interrupted.
        process.send_signal(signal.SIGINT)
        process.wait(timeout=TIMEOUT)


def main(argv):
    if "--" not in argv or argv.index("--") == len(argv) - 1:
        print("usage: pipewire_session.py -- PROGRAM [ARGS...]", file=sys.stderr)
        return 2
    command = argv[argv.index("--") + 1:]
    try:
        session = PipewireSession()
    except Unavailable as error:
        print(f"SKIP: {error}", file=sys.stderr)
        return 77
    try:
        session.start()
        return subprocess.run(command, env=session.env).returncode
    finally:
        session.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
