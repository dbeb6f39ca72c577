#!/usr/bin/python3
"""Startup benchmark of the desktop app (meson test --benchmark --suite gui).

Time from starting the program to its first frame on screen, and the resident
memory of the idle app a few seconds later, with GTK's cairo and GL renderers,
next to a baseline measured in the same run: a minimal libadwaita window
(minimal-window.c). Printed, not asserted: targets are 400 ms and 80 MB.
Headless: Xvfb and a private session bus (tests/gui/gui_session.py), Mesa's
software GL. Each figure is the median of RUNS starts.
"""
import os
import statistics
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gui_session  # noqa: E402

RUNS = int(os.environ.get("EARSHOT_BENCH_RUNS", "5"))
SETTLE_S = 3.0        # idle time before reading the memory, as after a start at login
BASELINE = os.environ.get("EARSHOT_BASELINE_WINDOW")


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def measure(session, argv, env):
    """Seconds to the first frame, and MB resident once idle."""
    drawn = threading.Event()
    start = time.monotonic()
    # GLib writes debug messages on stdout, the baseline on stderr: read both.
    process = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def read():
        for line in process.stdout:
            if "first frame drawn" in line:
                drawn.frame_at = time.monotonic()
                drawn.set()
    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        if not drawn.wait(timeout=gui_session.TIMEOUT):
            raise gui_session.GuiFailure(f"{argv[0]} drew no frame")
        first_frame = drawn.frame_at - start
        # Idle: nothing to wait for but time itself.
        time.sleep(SETTLE_S)
        return first_frame, rss_mb(process.pid)
    finally:
        process.terminate()
        process.wait(timeout=10)


def main():
    try:
        session = gui_session.GuiSession("bench", pipewire=False)
        session.start()
    except gui_session.Skip as reason:
        print(f"SKIP: {reason}", file=sys.stderr)
        return 77
    try:
        relay = session.relay()
        home, _ = session.identity("app")
        results = {}
        for renderer in ("cairo", "gl"):
            env = dict(session.env, GSK_RENDERER=renderer, EARSHOT_HOME=home,
                       G_MESSAGES_DEBUG="EsWindow")
            programs = [("minimal libadwaita window", [BASELINE]),
                        ("earshot", [gui_session.APP, "--relay", relay.spec])]
            for name, argv in programs:
                runs = [measure(session, argv, env) for _ in range(RUNS)]
                results[(name, renderer)] = (
                    statistics.median(run[0] for run in runs) * 1000,
                    statistics.median(run[1] for run in runs))
        print(f"startup of the idle app, median of {RUNS} starts (targets: first frame "
              f"<= 400 ms, RSS <= 80 MB)")
        print(f"{'program':28} {'renderer':8} {'first frame':>12} {'RSS':>10}")
        for (name, renderer), (frame_ms, rss) in results.items():
            print(f"{name:28} {renderer:8} {frame_ms:9.0f} ms {rss:7.1f} MB")
        return 0
    finally:
        session.close()


if __name__ == "__main__":
    sys.exit(main())
