#!/usr/bin/python3
"""Issue 8's hard-NAT figures in the namespace lab (tests/netns/lab.py).
Each call is a fresh lab, a relay on its server, b listening and a calling;
the time measured is from the caller's `active` to the callee's `path
kind=direct` (the callee names the candidate that a's NAT opened: mapped,
predicted or birthday).

- Birthday: RUNS calls, a behind a fully random NAT, b behind an
  endpoint-independent one. Success rate within the 10 s limit and time to
  direct, next to the theoretical rate for the bounds of one attempt
  (N = 256 sockets, M = 1024 probes: 1 - C(P - N, M) / C(P, M), P = 64512
  ports), and the sockets and packets each side spent (from the racer's
  debug log).
- Sequential: RUNS / 2 calls, a behind a sequential NAT, b behind EIM:
  success rate and time to a predicted port.
- Mapped: MAPPED_RUNS calls per protocol (NAT-PMP, PCP, UPnP IGD), both NATs
  symmetric, miniupnpd on a's router: time to direct over the mapping.
- Baseline, measured in the same run: MAPPED_RUNS calls between two EIM NATs
  (the easy case: time to a reflexive pair).

Prints median and worst of each. Needs root (exit 77 otherwise).
Usage: hard-nat-bench.py CLI RELAY [RUNS]
"""
import math
import os
import re
import statistics
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "netns"))

import netns_support  # noqa: E402
from netns_support import LabCall, harness, lab  # noqa: E402

MAPPED_RUNS = 5
# The birthday method gives up after 10 s; a call lasts long enough for that
# and for the handshake after it.
BIRTHDAY_LIMIT_S = 10.0
BIRTHDAY_CALL_S = 13
OTHER_CALL_S = 3
PORTS = 65536 - 1024
# The bounds of es-birthday-schedule.h: an attempt that finds nothing has
# used them all.
BIRTHDAY_SOCKETS = 256
BIRTHDAY_PROBES = 1024
REPORT = re.compile(r"birthday attempt \((hard|easy) side\) (.+?) after (\d+) ms: "
                    r"(\d+) (?:probe sockets|probes), (\d+) packets")


class Cleanups(unittest.TestCase):
    """LabCall wants a test case for its clean-ups; the bench runs them itself."""

    def runTest(self):
        pass


def birthday_probability(sockets, probes, ports=PORTS):
    """1 - C(ports - sockets, probes) / C(ports, probes), in logarithms."""
    if sockets + probes > ports:
        return 1.0
    log_miss = (math.lgamma(ports - sockets + 1) - math.lgamma(ports - sockets - probes + 1)
                - math.lgamma(ports + 1) + math.lgamma(ports - probes + 1))
    return 1.0 - math.exp(log_miss)


def debug_lines(process):
    """The racer's g_debug lines (on stdout next to the JSON events)."""
    return [e["line"] for e in process.all_events() if e.get("event") == "unparsable"] + \
        process.stderr_lines


def birthday_report(process):
    """(side, sockets or probes, packets) from the racer's last report."""
    found = None
    for line in debug_lines(process):
        match = REPORT.search(line)
        if match:
            found = (match.group(1), int(match.group(4)), int(match.group(5)))
    return found


def one_call(nat1, nat2, timeout, duration, protocol=None, debug=False):
    """One call; returns (seconds to direct or None, candidate, caller, callee)."""
    owner = Cleanups()
    with lab.Lab(nat1=nat1, nat2=nat2, ipv6=False) as net:
        env = {"EARSHOT_PORTMAP": protocol or "off"}
        if debug:
            env["G_MESSAGES_DEBUG"] = "EsPathRacer"
        if protocol:
            net.start_miniupnpd("nat1", natpmp=protocol != "upnp", upnp=protocol == "upnp")
        call = LabCall(owner, net)
        try:
            caller, callee = call.call("--duration", str(duration), env_extra=env)
            active_at = time.monotonic()
            try:
                event = callee.expect("path", kind="direct", timeout=timeout)
                elapsed = time.monotonic() - active_at
            except harness.TestFailure:
                event, elapsed = None, None
            caller.wait_exit(timeout=30)
            callee.expect("call-state", state="ended", timeout=10)
        finally:
            owner.doCleanups()
    return elapsed, event["candidate"] if event else None, caller, callee


def summary(name, values, unit="ms"):
    if not values:
        return f"  {name:<36} no value"
    return (f"  {name:<36} median {statistics.median(values):8.1f} {unit}   "
            f"worst {max(values):8.1f} {unit}   ({len(values)} values)")


def timed_series(label, runs, nat1, nat2, want, timeout, protocol=None):
    times, wrong = [], []
    for _ in range(runs):
        elapsed, candidate, _, _ = one_call(nat1, nat2, timeout, OTHER_CALL_S, protocol)
        if elapsed is not None and candidate == want:
            times.append(elapsed * 1000)
        else:
            wrong.append(candidate)
    print(f"{label}: direct via {want} in {len(times)}/{runs} calls"
          + (f" (others: {wrong})" if wrong else ""))
    print(summary("active -> direct", times))
    sys.stdout.flush()
    return times


def birthday_series(runs):
    times, failures, hard, easy = [], 0, [], []
    for run in range(1, runs + 1):
        elapsed, candidate, caller, callee = one_call("fully-random", "eim",
                                                      BIRTHDAY_LIMIT_S + 1, BIRTHDAY_CALL_S,
                                                      debug=True)
        hard_report, easy_report = birthday_report(caller), birthday_report(callee)
        if hard_report:
            hard.append(hard_report)
        if easy_report:
            easy.append(easy_report)
        ok = elapsed is not None and candidate == "birthday" and elapsed <= BIRTHDAY_LIMIT_S
        if ok:
            times.append(elapsed * 1000)
        else:
            failures += 1
        print(f"  run {run:2}: {'direct' if ok else 'relay '} "
              f"{'' if elapsed is None else f'{elapsed:.2f} s'} ({candidate}) "
              f"hard {hard_report} easy {easy_report}", flush=True)
    print(f"Birthday, fully random NAT vs EIM, {runs} calls: direct within "
          f"{BIRTHDAY_LIMIT_S:.0f} s in {len(times)}/{runs} = {100 * len(times) / runs:.0f} %")
    print(f"  baseline: theory for {BIRTHDAY_SOCKETS} sockets x {BIRTHDAY_PROBES} probes over "
          f"{PORTS} ports = {100 * birthday_probability(BIRTHDAY_SOCKETS, BIRTHDAY_PROBES):.1f} %")
    print(summary("active -> direct", times))
    print(summary("hard side: probe sockets opened", [r[1] for r in hard], unit="  "))
    print(summary("hard side: checks sent", [r[2] for r in hard], unit="  "))
    print(summary("easy side: ports probed", [r[1] for r in easy], unit="  "))
    print(summary("easy side: checks sent", [r[2] for r in easy], unit="  "))
    sys.stdout.flush()


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    netns_support.CLI, netns_support.RELAY = argv[:2]
    runs = int(argv[2]) if len(argv) > 2 else 20
    reason = lab.unavailable_reason()
    if reason:
        print(f"SKIP: {reason}", file=sys.stderr)
        return 77
    lab.require("miniupnpd")
    timed_series("Baseline, EIM vs EIM", MAPPED_RUNS, "eim", "eim", "reflexive", 5)
    for protocol in ("nat-pmp", "pcp", "upnp"):
        timed_series(f"Mapped ({protocol}), symmetric vs symmetric", MAPPED_RUNS,
                     "symmetric", "symmetric", "mapped", 5, protocol)
    timed_series("Sequential vs EIM", max(runs // 2, 1), "sequential", "eim", "predicted", 5)
    birthday_series(runs)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
