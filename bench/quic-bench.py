#!/usr/bin/python3
"""The QUIC endpoint's figures on loopback, between two processes, next to a
baseline measured in the same run with Debian's gtlsclient and gtlsserver
(ngtcp2's own GnuTLS examples, packages ngtcp2-client and ngtcp2-server).

    quic-bench.py QUIC_BENCH [--handshakes N] [--seconds S]

Prints one table. It is a benchmark, not a test: it reports whether each
target was met but exits 0 either way (1 only when a run itself fails).

How each figure is taken:
- handshake: N fresh connections one after the other. Ours: connect_async
  to HANDSHAKE_DONE, monotonic clock in the client. gtls: the timestamp of
  the "frm rx ... HANDSHAKE_DONE" line in gtlsclient's own ngtcp2 log, which
  counts milliseconds from the creation of the connection (so 1 ms steps).
- CPU per handshake: user + system time of both processes over the N
  handshakes, divided by N. gtls starts one gtlsclient process per
  handshake (it has no other way), so its figure includes process start-up;
  it is taken in a second pass with -q, because the verbose log that gives
  the timing costs CPU itself.
- DATAGRAMs per second: 120-byte DATAGRAMs for S seconds, counted by the
  receiving process between its first and last arrival; once with one
  DATAGRAM per packet and once coalesced. gtls cannot send DATAGRAMs.
- idle RSS: VmRSS of a process with a bound endpoint that accepts
  connections and has none; for gtls, gtlsserver before its first client.
  The program links only the engine objects the endpoint needs, so the
  figure is not inflated by the audio stack. Also shown: the growth from
  the same process before it made the identity and the endpoint.
"""

import argparse
import json
import os
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

SETTLE_SECONDS = 0.3
RUN_TIMEOUT = 60
HANDSHAKE_DONE = re.compile(r"^I(\d{8}) .* frm rx \d+ 1RTT HANDSHAKE_DONE")


def run_json(command):
    result = subprocess.run(command, capture_output=True, text=True, timeout=RUN_TIMEOUT,
                            check=True)
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


class BenchServer:
    """quic-bench server: answers one "stats" line per line written."""

    def __init__(self, bench):
        self.process = subprocess.Popen([bench, "server"], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True)
        ready = json.loads(self.process.stdout.readline())
        self.port = ready["port"]
        self.fingerprint = ready["fingerprint"]

    def stats(self):
        self.process.stdin.write("stats\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def close(self):
        self.process.stdin.close()
        self.process.wait(timeout=RUN_TIMEOUT)


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def measure_ours(bench, handshakes, seconds):
    figures = {}
    server = BenchServer(bench)
    target = ["--connect", f"127.0.0.1:{server.port}", "--pin", server.fingerprint]
    try:
        before = server.stats()
        result = run_json([bench, "handshakes", *target, "--count", str(handshakes)])[-1]
        after = server.stats()
        durations = [us / 1000 for us in result["durations_us"]]
        figures["handshake_median"] = statistics.median(durations)
        figures["handshake_p90"] = percentile(durations, 0.9)
        figures["handshake_cpu"] = (result["cpu_us"] + after["cpu_us"] - before["cpu_us"]) \
            / handshakes / 1000

        for name, flags in (("one_per_packet", ["--one-per-packet"]), ("coalesced", [])):
            before = server.stats()
            sent = run_json([bench, "datagrams", *target, "--seconds", str(seconds), *flags])[-1]
            time.sleep(SETTLE_SECONDS)
            received = server.stats()
            count = received["datagrams"]
            figures[f"datagrams_{name}"] = count / received["datagram_seconds"]
            figures[f"datagrams_{name}_detail"] = (
                f"{sent['sent']} sent in {sent['packets']} packets, {count} received, "
                f"{sent['lost']} declared lost; CPU per DATAGRAM: sender "
                f"{sent['cpu_us'] / sent['sent']:.2f} us, receiver "
                f"{(received['cpu_us'] - before['cpu_us']) / max(count, 1):.2f} us")
    finally:
        server.close()

    idle = run_json([bench, "idle"])[-1]
    figures["idle_rss"] = idle["rss_kb"] / 1024
    figures["idle_rss_endpoint"] = (idle["rss_kb"] - idle["rss_kb_before_endpoint"]) / 1024
    return figures


def find_tool(name):
    return shutil.which(name, path=os.environ.get("PATH", "") + ":/usr/sbin:/usr/bin")


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def udp_port_bound(port):
    with open("/proc/net/udp") as table:
        next(table)
        return any(line.split()[1].endswith(f":{port:04X}") for line in table)


def process_cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_rss_mb(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def children_cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure_gtls(bench, handshakes, directory):
    gtlsserver = find_tool("gtlsserver")
    gtlsclient = find_tool("gtlsclient")
    if gtlsserver is None or gtlsclient is None:
        return None, "gtlsclient/gtlsserver not installed (ngtcp2-client, ngtcp2-server)"

    identity = run_json([bench, "pem", directory])[-1]
    port = free_udp_port()
    server = subprocess.Popen(
        [gtlsserver, "-q", "--verify-client", "-d", directory, "127.0.0.1", str(port),
         identity["key"], identity["certificate"]],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    figures = {}
    try:
        deadline = time.monotonic() + 10
        while not udp_port_bound(port):
            if time.monotonic() > deadline or server.poll() is not None:
                return None, "gtlsserver did not start"
            time.sleep(0.02)
        figures["idle_rss"] = process_rss_mb(server.pid)

        client = [gtlsclient, "--exit-on-all-streams-close", "--key", identity["key"],
                  "--cert", identity["certificate"], "127.0.0.1", str(port),
                  f"https://127.0.0.1:{port}/"]
        durations = []
        for _ in range(handshakes):
            log = subprocess.run(client, capture_output=True, text=True, timeout=RUN_TIMEOUT)
            done = [HANDSHAKE_DONE.match(line) for line in log.stderr.splitlines()]
            done = [int(match.group(1)) for match in done if match]
            if not done:
                return None, "gtlsclient never saw HANDSHAKE_DONE"
            durations.append(done[0])
        figures["handshake_median"] = statistics.median(durations)
        figures["handshake_p90"] = percentile(durations, 0.9)

        server_before = process_cpu_seconds(server.pid)
        children_before = children_cpu_seconds()
        for _ in range(handshakes):
            subprocess.run([client[0], "-q", *client[1:]], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=RUN_TIMEOUT, check=True)
        cpu = (children_cpu_seconds() - children_before) + \
            (process_cpu_seconds(server.pid) - server_before)
        figures["handshake_cpu"] = cpu / handshakes * 1000
    finally:
        server.terminate()
        server.wait(timeout=10)
    return figures, None


def cell(figures, key, digits):
    if figures is None or key not in figures:
        return "n/a"
    value = figures[key]
    return f"{value:,.0f}" if digits == 0 else f"{value:.{digits}f}"


def verdict(value, limit, higher_is_better=False):
    met = value >= limit if higher_is_better else value <= limit
    return "met" if met else "MISSED"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("bench")
    parser.add_argument("--handshakes", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=2.0)
    options = parser.parse_args()

    ours = measure_ours(options.bench, options.handshakes, options.seconds)
    with tempfile.TemporaryDirectory(prefix="earshot-bench-") as directory:
        gtls, why_not = measure_gtls(options.bench, options.handshakes, directory)

    n = options.handshakes
    rows = [
        (f"handshake median, {n} fresh connections (ms)", "handshake_median", 2,
         verdict(ours["handshake_median"], 2.0) + " (target <= 2 ms)"),
        (f"handshake p90, {n} fresh connections (ms)", "handshake_p90", 2, ""),
        ("CPU per handshake, both processes (ms)", "handshake_cpu", 2,
         "gtls includes a gtlsclient process start per handshake"),
        ("DATAGRAMs/s, 120 B, one per packet", "datagrams_one_per_packet", 0,
         verdict(ours["datagrams_one_per_packet"], 150000, True) + " (target >= 150,000)"),
        ("DATAGRAMs/s, 120 B, coalesced", "datagrams_coalesced", 0, ""),
        ("RSS of an idle endpoint (MB)", "idle_rss", 1,
         verdict(ours["idle_rss"], 8.0) + " (target <= 8 MB)"),
        ("  of which the endpoint itself (MB)", "idle_rss_endpoint", 1,
         "identity, TLS setup, socket, sources: on top of the mapped libraries"),
    ]
    print(f"{'figure':<48} {'earshot':>12} {'gtls':>10}  note")
    for title, key, digits, note in rows:
        print(f"{title:<48} {cell(ours, key, digits):>12} {cell(gtls, key, digits):>10}  {note}")
    print()
    print("one per packet:", ours["datagrams_one_per_packet_detail"])
    print("coalesced:     ", ours["datagrams_coalesced_detail"])
    if why_not is not None:
        print(f"gtls baseline not measured: {why_not}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
