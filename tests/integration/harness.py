"""Runs the real binaries for integration tests: relays and clients on
loopback, each with its own EARSHOT_HOME, their JSON event lines read as they
come, every wait bounded, every process stopped at the end.

Used by the loopback and network-lab suites. Python 3 standard library only.
"""
import json
import os
import queue
import shutil
import signal
import subprocess
import tempfile
import threading
import time

CLI = os.environ.get("EARSHOT_CLI")
RELAY = os.environ.get("EARSHOT_RELAY_PROGRAM")

DEFAULT_TIMEOUT = 20.0


class TestFailure(AssertionError):
    pass


class Process:
    """A program whose stdout is one JSON object per line (DESIGN §8)."""

    def __init__(self, name, argv, env, stdin=False, cwd=None, wrapper=()):
        self.name = name
        self.argv = list(wrapper) + list(argv)
        self.events = queue.Queue()
        self.history = []
        self.stderr_lines = []
        self.process = subprocess.Popen(
            self.argv, env=env, cwd=cwd, text=True, bufsize=1,
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self._readers = [
            threading.Thread(target=self._read_stdout, daemon=True),
            threading.Thread(target=self._read_stderr, daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    def _read_stdout(self):
        for line in self.process.stdout:
            line = line.strip()
            if not line:
                continue
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                event = {"event": "unparsable", "line": line}
            self.events.put(event)
        self.events.put({"event": "exit"})

    def _read_stderr(self):
        for line in self.process.stderr:
            self.stderr_lines.append(line.rstrip("\n"))

    def stderr(self):
        return "\n".join(self.stderr_lines)

    def wait_event(self, predicate, timeout=DEFAULT_TIMEOUT, what="event"):
        """Returns the first event (since the last wait) that matches;
        events that do not match are kept in history."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TestFailure(f"{self.name}: no {what} within {timeout} s; "
                                  f"saw {self.history[-12:]}; stderr:\n{self.stderr()[-3000:]}")
            try:
                event = self.events.get(timeout=remaining)
            except queue.Empty:
                continue
            self.history.append(event)
            if event.get("event") == "exit" and not predicate(event):
                raise TestFailure(f"{self.name} exited ({self.process.poll()}) before {what}; "
                                  f"saw {self.history[-12:]}; stderr:\n{self.stderr()[-3000:]}")
            if predicate(event):
                return event

    def expect(self, event_name, timeout=DEFAULT_TIMEOUT, **fields):
        def matches(event):
            return event.get("event") == event_name and all(
                event.get(key) == value for key, value in fields.items())
        return self.wait_event(matches, timeout, what=f"{event_name} {fields or ''}")

    def all_events(self):
        """Every event seen so far, including those no wait has consumed."""
        while True:
            try:
                self.history.append(self.events.get_nowait())
            except queue.Empty:
                return list(self.history)

    def send_line(self, line):
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def signal(self, number):
        if self.process.poll() is None:
            self.process.send_signal(number)

    def wait_exit(self, timeout=DEFAULT_TIMEOUT):
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise TestFailure(f"{self.name} did not exit within {timeout} s; "
                              f"stderr:\n{self.stderr()[-3000:]}")

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        for reader in self._readers:
            reader.join(timeout=5)
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


class Lab:
    """Owns every process and directory a test makes; close() cleans up."""

    def __init__(self, name="earshot"):
        self.root = tempfile.mkdtemp(prefix=f"{name}-")
        self.processes = []
        self.base_env = dict(os.environ)
        self.base_env.setdefault("EARSHOT_INTERFACES", "lo")
        self.base_env.setdefault("EARSHOT_PORTMAP", "off")

    def path(self, *parts):
        return os.path.join(self.root, *parts)

    def home(self, name):
        path = self.path(name)
        os.makedirs(path, exist_ok=True)
        return path

    def env(self, home=None, **extra):
        env = dict(self.base_env)
        if home is not None:
            env["EARSHOT_HOME"] = home
        env.update({k: str(v) for k, v in extra.items() if v is not None})
        return env

    def start(self, name, argv, env, stdin=False, wrapper=()):
        process = Process(name, argv, env, stdin=stdin, wrapper=wrapper)
        self.processes.append(process)
        return process

    def relay(self, name="relay", listen="127.0.0.1:0", extra_args=(), env=None, wrapper=(),
              identity=None, program=None):
        """Starts earshot-relay (or a program with the same interface) and
        waits for its relay-ready line."""
        home = self.home(name)
        identity = identity or os.path.join(home, "identity")
        argv = [program or RELAY, "--listen", listen, "--identity", identity]
        argv += list(extra_args)
        process = self.start(name, argv, env or self.env(home), wrapper=wrapper)
        ready = process.expect("relay-ready")
        process.ready = ready
        process.spec = f"{ready['listen']}#{ready['fingerprint']}"
        return process

    def identity(self, name):
        """Creates a client identity and returns (home, fingerprint)."""
        home = self.home(name)
        run = subprocess.run([CLI, "identity", "create"], env=self.env(home),
                             capture_output=True, text=True, timeout=30)
        if run.returncode != 0:
            raise TestFailure(f"identity create failed: {run.stderr}")
        return home, run.stdout.strip()

    def client(self, name, home, relay_spec, command, *args, env_extra=None, stdin=False,
               wrapper=(), global_args=()):
        argv = [CLI, "--relay", relay_spec, *global_args, command, *args]
        return self.start(name, argv, self.env(home, **(env_extra or {})), stdin=stdin,
                          wrapper=wrapper)

    def close(self):
        for process in reversed(self.processes):
            process.stop()
        shutil.rmtree(self.root, ignore_errors=True)
