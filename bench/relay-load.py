#!/usr/bin/python3
"""earshot-relay under load on loopback, next to a baseline measured in the
same run: Debian's coturn (turnserver) relaying the same packets, driven by
its own load tool turnutils_uclient (packages coturn).

    relay-load.py --relay-load RELAY_LOAD --earshot-relay EARSHOT_RELAY
                  [--steps 100,250,...] [--seconds S] [--warmup S]
                  [--latency-calls N] [--idle-clients N] [--quick]

Prints one table. It is a benchmark, not a test: it says whether each target
of issue 4 was met but exits 0 either way (1 only when a run itself fails).

How each figure is taken:
- Load: relay-load sets up N real calls through earshot-relay (2N clients,
  each with its own identity and QUIC connection; signed offer and answer;
  call-route gives the handle), then every leg sends 50 datagrams/s of
  96 bytes (a 24 kbit/s Opus frame with the frame header, tag and handle),
  paced by a 1 ms timer, each carrying its send time.
- CPU per forwarded packet: utime + stime of the relay process
  (/proc/PID/stat) over the measured window, divided by the growth of its
  own earshot_relay_forwarded_packets_total (--metrics) over that window.
- Calls per core: a ramp of N, one fresh relay per step. A step is sustained
  when its loss is below 0.1 % and the relay used less than a whole core.
  The relay is pinned to CPU 0 and the generator to CPU 1 (both at nice -10
  when allowed, so that other work on the machine disturbs them less); the
  generator's own CPU and timer lateness are reported so that a step lost to
  the generator is not blamed on the relay. The extrapolation 1 core / (CPU
  per packet x 100 packets/s per call) is printed beside it.
- Added latency: p99 one-way latency of the datagrams through the relay at
  N calls, minus the p99 of the same datagrams at the same rate between the
  same two generator sockets with no relay (relay-load --direct), both
  measured by the generator's clock on send and on receipt.
- Idle RSS: VmRSS of a fresh relay holding 1,000 registered clients that
  only keep their connections alive, and of the same relay before any.
- coturn: turnserver on 127.0.0.1 with one relay thread, pinned like the
  relay; `turnutils_uclient -y -c -m 2N -n COUNT -l 96 -z 20` makes N pairs
  of clients, each sending 96-byte messages every 20 ms to its partner
  through both of their allocations (client-to-client, TURN channels). CPU
  per relayed packet is turnserver's CPU over a window after every client
  has started (uclient staggers starts over 1-6 s), divided by the messages
  delivered in that window (uclient's tot_recv_msgs). Each such message
  crosses turnserver twice (into A's allocation, then from B's allocation
  to B), as any TURN client-to-client call does.
"""

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

TARGET_CALLS_PER_CORE = 1000
TARGET_P99_MS = 2.0
TARGET_IDLE_RSS_MB = 60
LOSS_LIMIT_PCT = 0.1
PACKETS_PER_CALL_PER_SECOND = 100
RELAY_CPU = 0
GENERATOR_CPU = 1
START_TIMEOUT = 10
RUN_MARGIN = 120
COTURN_START_SECONDS = 7
# Clock ticks of /proc/PID/stat.
TICKS = os.sysconf("SC_CLK_TCK")


class RunFailed(Exception):
    pass


REALTIME = False


def pinned(cpu):
    """Runs the child on one CPU, at a better priority when allowed: nice
    -10, or with --realtime SCHED_FIFO (the kernel still leaves other work
    5 % of each CPU), so that other work on the machine delays it less."""
    def prepare():
        if cpu < os.cpu_count():
            os.sched_setaffinity(0, {cpu})
        try:
            if REALTIME:
                os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(10))
            else:
                os.setpriority(os.PRIO_PROCESS, 0, -10)
        except PermissionError:
            pass
    return prepare


def process_cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    # utime and stime are fields 14 and 15; fields[0] here is field 3.
    return (int(fields[11]) + int(fields[12])) / TICKS


def process_rss_kb(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RunFailed(f"no VmRSS for process {pid}")


def read_event(process, wanted, deadline):
    """The next JSON line of `process` whose event is `wanted`; fails when
    the process ends or says something else is wrong first."""
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            raise RunFailed(f"{process.args[0]} ended (status {process.wait()}) "
                            f"before {wanted}")
        if not line.startswith("{"):
            continue
        event = json.loads(line)
        if event.get("event") == wanted:
            return event
    raise RunFailed(f"no {wanted} from {process.args[0]} in time")


def stop(process):
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=START_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Relay:
    """earshot-relay on 127.0.0.1, with its metrics."""

    def __init__(self, program, workdir):
        identity = os.path.join(workdir, "relay-identity")
        self.process = subprocess.Popen(
            [program, "--listen", "127.0.0.1:0", "--identity", identity,
             "--metrics", "127.0.0.1:0"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            preexec_fn=pinned(RELAY_CPU))
        try:
            ready = read_event(self.process, "relay-ready", time.monotonic() + START_TIMEOUT)
        except Exception:
            stop(self.process)
            raise
        self.spec = f"{ready['listen']}#{ready['fingerprint']}"
        self.metrics_url = f"http://{ready['metrics']}/metrics"

    def metric(self, name):
        with urllib.request.urlopen(self.metrics_url, timeout=START_TIMEOUT) as response:
            text = response.read().decode()
        total = 0
        for line in text.splitlines():
            if line.startswith(name + " ") or line.startswith(name + "{"):
                total += float(line.rsplit(" ", 1)[1])
        return total

    def sample(self):
        return {"cpu": process_cpu_seconds(self.process.pid),
                "forwarded": self.metric("earshot_relay_forwarded_packets_total"),
                "dropped": self.metric("earshot_relay_dropped_packets_total"),
                "time": time.monotonic()}

    def close(self):
        stop(self.process)


def run_calls(args, workdir, calls, direct=False):
    """One step: a fresh relay (unless direct), N calls, one window."""
    relay = None if direct else Relay(args.earshot_relay, workdir)
    command = [args.relay_load, "calls", "--calls", str(calls), "--warmup", str(args.warmup),
               "--seconds", str(args.seconds)]
    command += ["--direct"] if direct else ["--relay", relay.spec]
    generator = subprocess.Popen(command, stdout=subprocess.PIPE, text=True,
                                 preexec_fn=pinned(GENERATOR_CPU))
    deadline = time.monotonic() + args.warmup + args.seconds + RUN_MARGIN
    try:
        ready = read_event(generator, "calls-ready", deadline)
        read_event(generator, "window-start", deadline)
        before = relay.sample() if relay else None
        read_event(generator, "window-end", deadline)
        after = relay.sample() if relay else None
        result = read_event(generator, "result", deadline)
        if generator.wait(timeout=START_TIMEOUT) != 0:
            raise RunFailed(f"relay-load ended with status {generator.returncode}")
    finally:
        stop(generator)
        if relay:
            relay.close()

    result["setup_seconds"] = ready["setup_seconds"]
    result["generator_cpu_fraction"] = result["generator_cpu_us"] / 1e6 / result["window_seconds"]
    if relay:
        forwarded = after["forwarded"] - before["forwarded"]
        cpu = after["cpu"] - before["cpu"]
        result["relay_forwarded"] = forwarded
        result["relay_dropped"] = after["dropped"] - before["dropped"]
        result["relay_cpu_fraction"] = cpu / (after["time"] - before["time"])
        result["relay_cpu_per_packet_us"] = cpu * 1e6 / forwarded if forwarded else float("inf")
    return result


def describe_step(step):
    text = (f"{step['calls']:5d} calls: loss {step['loss_pct']:.3f} %, "
            f"p50 {step['latency_p50_us'] / 1000:.2f} ms, p99 {step['latency_p99_us'] / 1000:.2f} ms, "
            f"generator CPU {step['generator_cpu_fraction'] * 100:.0f} % "
            f"({step['late_ticks']} late ticks, worst {step['max_tick_lateness_us'] / 1000:.1f} ms)")
    if "relay_cpu_fraction" in step:
        text += (f", relay CPU {step['relay_cpu_fraction'] * 100:.0f} %, "
                 f"{step['relay_cpu_per_packet_us']:.1f} us/packet, "
                 f"{step['relay_dropped']:.0f} dropped by the relay")
    return text


def sustained(step):
    return step["loss_pct"] < LOSS_LIMIT_PCT and step["relay_cpu_fraction"] < 0.98


def ramp(args, workdir):
    steps = []
    for calls in args.steps:
        step = run_calls(args, workdir, calls)
        steps.append(step)
        print("  relay " + describe_step(step), flush=True)
        if not sustained(step):
            break
    return steps


def idle_rss(args, workdir):
    relay = Relay(args.earshot_relay, workdir)
    generator = None
    try:
        before_kb = process_rss_kb(relay.process.pid)
        generator = subprocess.Popen(
            [args.relay_load, "idle", "--relay", relay.spec, "--clients", str(args.idle_clients),
             "--hold", str(RUN_MARGIN)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            preexec_fn=pinned(GENERATOR_CPU))
        ready = read_event(generator, "idle-ready", time.monotonic() + RUN_MARGIN)
        registered = relay.metric("earshot_relay_registered_clients")
        # Idle means idle: let handshake buffers go and keep-alives run once.
        time.sleep(args.idle_settle)
        after_kb = process_rss_kb(relay.process.pid)
        generator.stdin.close()
        generator.wait(timeout=START_TIMEOUT)
    finally:
        if generator:
            stop(generator)
        relay.close()
    return {"before_mb": before_kb / 1024, "after_mb": after_kb / 1024,
            "clients": ready["clients"], "registered": registered}


class Coturn:
    """turnserver on 127.0.0.1 with a static user, one relay thread."""

    USER = "bench"

    def __init__(self, turnserver, workdir, port):
        self.port = port
        log = os.path.join(workdir, "turnserver.log")
        self.process = subprocess.Popen(
            [turnserver, "-n", "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1",
             f"--listening-port={port}", "--min-port=40000", "--max-port=59999",
             "--relay-threads=1", "--lt-cred-mech", f"--user={self.USER}:{self.USER}",
             "--realm=bench", "--no-tls", "--no-dtls", "--no-cli", "--allow-loopback-peers",
             "--no-stdout-log", f"--log-file={log}", "--simple-log",
             f"--pidfile={os.path.join(workdir, 'turnserver.pid')}",
             f"--userdb={os.path.join(workdir, 'turndb')}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=pinned(RELAY_CPU))

    def close(self):
        stop(self.process)


UCLIENT_PROGRESS = re.compile(r"tot_send_msgs=(\d+), tot_recv_msgs=(\d+)")


def free_udp_port():
    import socket
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def coturn_baseline(args, workdir, calls):
    turnserver = shutil.which("turnserver")
    uclient = shutil.which("turnutils_uclient")
    if turnserver is None or uclient is None:
        return {"missing": "turnserver and turnutils_uclient (Debian package coturn)"}

    port = free_udp_port()
    server = Coturn(turnserver, workdir, port)
    # uclient allocates one client after the other (~0.1 s each here) and is
    # stopped once the window is measured, so COUNT only has to outlast it.
    seconds = COTURN_START_SECONDS + args.seconds + RUN_MARGIN
    command = [uclient, "-y", "-c", "-m", str(2 * calls), "-n", str(int(seconds * 50)),
               "-l", "96", "-z", "20", "-u", Coturn.USER, "-w", Coturn.USER,
               "-p", str(port), "127.0.0.1"]
    client = None
    try:
        wait_for_udp_listener(port, server.process)
        client = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True, preexec_fn=pinned(GENERATOR_CPU))
        deadline = time.monotonic() + seconds
        started = None
        before = after = None
        for line in client.stdout:
            if time.monotonic() > deadline:
                break
            progress = UCLIENT_PROGRESS.search(line)
            if not progress or "msz=" not in line:
                continue
            sent, received = int(progress.group(1)), int(progress.group(2))
            now = time.monotonic()
            if started is None and received > 0:
                started = now
            if started is None:
                continue
            if before is None and now - started >= COTURN_START_SECONDS:
                before = (now, process_cpu_seconds(server.process.pid), sent, received)
            elif before is not None and now - before[0] >= args.seconds:
                after = (now, process_cpu_seconds(server.process.pid), sent, received)
                break
    finally:
        if client:
            stop(client)
        server.close()
    if before is None or after is None:
        raise RunFailed("turnutils_uclient printed no steady window in time")
    sent = after[2] - before[2]
    delivered = after[3] - before[3]
    cpu = after[1] - before[1]
    return {"command": " ".join(["turnutils_uclient"] + command[1:]),
            "calls": calls, "delivered_per_second": delivered / (after[0] - before[0]),
            "cpu_fraction": cpu / (after[0] - before[0]),
            "cpu_per_packet_us": cpu * 1e6 / delivered if delivered else float("inf"),
            # Over the window, so messages still in flight at its ends count.
            "loss_pct": max(0.0, 100.0 * (sent - delivered) / sent) if sent else 0.0}


def wait_for_udp_listener(port, process):
    """turnserver has no ready line: wait until its port is bound."""
    deadline = time.monotonic() + START_TIMEOUT
    needle = f":{port:04X} "
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RunFailed(f"turnserver ended with status {process.returncode}")
        with open("/proc/net/udp") as table:
            if any(needle in line.split("00000000:0000")[0] for line in table):
                return
        time.sleep(0.05)
    raise RunFailed("turnserver did not bind its port")


def verdict(met):
    return "met" if met else "MISSED"


def report(args, steps, latency, direct, idle, coturn):
    print()
    print("earshot-relay under load (loopback, 96-byte datagrams at 50/s per leg)")
    passing = [step for step in steps if sustained(step)]
    best = max(passing, key=lambda step: step["calls"]) if passing else None
    reference = next(step for step in steps if step["calls"] == args.compare_calls)
    # The extrapolation uses the best-batched figure the relay reached
    # while keeping up: the highest sustained step.
    capacity_step = best or reference
    extrapolated = 1e6 / (capacity_step["relay_cpu_per_packet_us"] * PACKETS_PER_CALL_PER_SECOND)
    failing = steps[-1] if steps and not sustained(steps[-1]) else None
    generator_bound = failing is not None and (failing["generator_cpu_fraction"] > 0.9 or
                                               failing["max_tick_lateness_us"] > 20000)

    print(f"  relay CPU per forwarded packet at {reference['calls']} calls: "
          f"{reference['relay_cpu_per_packet_us']:.1f} us  (relay at "
          f"{reference['relay_cpu_fraction'] * 100:.0f} % of a core)")
    if "missing" in coturn or "failed" in coturn:
        print(f"  coturn baseline: not measured: {coturn.get('missing') or coturn['failed']}")
    else:
        print(f"  coturn CPU per relayed packet at {coturn['calls']} calls: "
              f"{coturn['cpu_per_packet_us']:.1f} us  (turnserver at "
              f"{coturn['cpu_fraction'] * 100:.0f} % of a core, "
              f"{coturn['delivered_per_second']:.0f} packets/s delivered, loss "
              f"{coturn['loss_pct']:.3f} %)")
        print(f"    command: {coturn['command']}")
    print(f"  most calls sustained (< {LOSS_LIMIT_PCT} % loss, under one core): "
          f"{best['calls'] if best else 0}"
          + (f"; the next step failed: {describe_step(failing)}" if failing else
             "; no step of the ramp failed"))
    print(f"  calls per core extrapolated from CPU per packet at {capacity_step['calls']} calls "
          f"({capacity_step['relay_cpu_per_packet_us']:.1f} us): {extrapolated:.0f}")
    if generator_bound:
        print("    the failing step had a busy or late generator: the ramp figure is a lower "
              "bound, the extrapolation is the better estimate")
    added_p99 = (latency["latency_p99_us"] - direct["latency_p99_us"]) / 1000
    added_p50 = (latency["latency_p50_us"] - direct["latency_p50_us"]) / 1000
    print(f"  one-way latency at {latency['calls']} calls: through the relay p50 "
          f"{latency['latency_p50_us'] / 1000:.2f} ms, p99 {latency['latency_p99_us'] / 1000:.2f} ms "
          f"(loss {latency['loss_pct']:.3f} %); direct p50 {direct['latency_p50_us'] / 1000:.2f} ms, "
          f"p99 {direct['latency_p99_us'] / 1000:.2f} ms (loss {direct['loss_pct']:.3f} %)")
    print(f"  added by the relay: p50 {added_p50:.2f} ms, p99 {added_p99:.2f} ms")
    print(f"  relay RSS with {idle['clients']} idle registered clients: {idle['after_mb']:.1f} MB "
          f"(relay reported {idle['registered']:.0f} registered; {idle['before_mb']:.1f} MB before any)")
    print()
    calls_met = (best is not None and best["calls"] >= TARGET_CALLS_PER_CORE) or \
        (generator_bound and extrapolated >= TARGET_CALLS_PER_CORE)
    print(f"  target >= {TARGET_CALLS_PER_CORE} calls per core: {verdict(calls_met)}")
    print(f"  target p99 added <= {TARGET_P99_MS} ms at {latency['calls']} calls: "
          f"{verdict(added_p99 <= TARGET_P99_MS and latency['loss_pct'] < LOSS_LIMIT_PCT)}")
    print(f"  target RSS <= {TARGET_IDLE_RSS_MB} MB at {idle['clients']} idle clients: "
          f"{verdict(idle['after_mb'] <= TARGET_IDLE_RSS_MB)}")
    print(json.dumps({"steps": steps, "latency": latency, "direct": direct, "idle": idle,
                      "coturn": coturn}), file=args.json_file)


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--relay-load", required=True)
    parser.add_argument("--earshot-relay", required=True)
    parser.add_argument("--steps", default="100,250,500,750,1000,1250,1500,2000")
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--latency-calls", type=int, default=500)
    parser.add_argument("--compare-calls", type=int, default=100,
                        help="calls at which CPU per packet is compared with coturn "
                             "(uclient sets its clients up one by one: ~0.1 s each)")
    parser.add_argument("--idle-clients", type=int, default=1000)
    parser.add_argument("--idle-settle", type=float, default=3)
    parser.add_argument("--quick", action="store_true",
                        help="a short run with small steps, to check that everything works")
    parser.add_argument("--realtime", action="store_true",
                        help="run the relay, the generator and coturn under SCHED_FIFO")
    parser.add_argument("--json", help="also write every figure as JSON to this file")
    args = parser.parse_args()
    if args.quick:
        args.steps, args.seconds, args.warmup = "20,50", 2, 1
        args.latency_calls, args.idle_clients, args.idle_settle = 50, 100, 0.5
        args.compare_calls = 20
    args.steps = sorted(set(int(step) for step in args.steps.split(",")) | {args.compare_calls})
    return args


def main():
    global REALTIME
    args = parse_arguments()
    REALTIME = args.realtime
    os.environ.setdefault("EARSHOT_INTERFACES", "lo")
    os.environ.setdefault("EARSHOT_PORTMAP", "off")
    with tempfile.TemporaryDirectory(prefix="relay-load-") as workdir, \
            open(args.json or os.devnull, "w") as json_file:
        args.json_file = json_file
        os.environ["EARSHOT_HOME"] = workdir
        try:
            print("ramp (one fresh relay per step):", flush=True)
            steps = ramp(args, workdir)
            if not any(step["calls"] == args.compare_calls for step in steps):
                steps.append(run_calls(args, workdir, args.compare_calls))
                print("  relay " + describe_step(steps[-1]), flush=True)
            latency = next((step for step in steps if step["calls"] == args.latency_calls), None)
            if latency is None:
                latency = run_calls(args, workdir, args.latency_calls)
                print("  relay " + describe_step(latency), flush=True)
            direct = run_calls(args, workdir, args.latency_calls, direct=True)
            print("  direct " + describe_step(direct), flush=True)
            idle = idle_rss(args, workdir)
        except (RunFailed, OSError, subprocess.SubprocessError, ValueError) as error:
            print(f"relay-load: {error}", file=sys.stderr)
            return 1
        try:
            coturn = coturn_baseline(args, workdir, args.compare_calls)
        except (RunFailed, OSError, subprocess.SubprocessError) as error:
            coturn = {"failed": str(error)}
        report(args, steps, latency, direct, idle, coturn)
    # Figures without their baseline are not a complete run.
    return 1 if "failed" in coturn else 0


if __name__ == "__main__":
    sys.exit(main())
