#!/usr/bin/python3
"""Issue 6's figures in the namespace lab (tests/netns/lab.py): two clients
behind endpoint-independent NATs call through the lab's relay, RUNS times
with no added delay and RUNS times with 25 ms added to every packet each
side sends (50 ms more round trip), and for each call:

- time from `active` to `path kind=direct` on the caller, next to the target
  computed from the direct path's own RTT measured in the same call
  (2 RTT + 100 ms);
- the longest gap heard by the callee (a steady tone) around the switch from
  the relay to the direct path (target: none, i.e. no gap above one 10 ms
  analysis segment), and frames lost in that time;
- time from blocking the direct path on the caller's router to `path
  kind=relay` on the caller (target <= 1 s), and the gap heard meanwhile.

Prints median and worst of each. Needs root (exit 77 otherwise).
Usage: direct-path-bench.py CLI RELAY GAPS_TOOL [RUNS]
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "netns"))

import netns_support  # noqa: E402
from netns_support import LabCall, lab  # noqa: E402

CALL_S = 8
# Time on the direct path before it is blocked: long enough for the
# relay-to-direct overlap (500 ms) to be over and the recording to settle.
DIRECT_BEFORE_BLOCK_STATS = 2
# The recording's clock and ours differ by the callee's start: gaps this
# close to an event count as the event's.
SWITCH_MARGIN_MS = 200


class Cleanups(unittest.TestCase):
    """LabCall wants a test case for its clean-ups; the bench runs them itself."""

    def runTest(self):
        pass


def tone(path):
    subprocess.run(["sox", "-n", "-r", "48000", "-c", "1", "-b", "16", path,
                    "synth", str(CALL_S + 6), "sine", "440", "vol", "0.5"],
                   check=True, timeout=30)


def gaps_between(gaps_tool, recording, start_ms, end_ms):
    run = subprocess.run(["/usr/bin/python3", gaps_tool, recording], capture_output=True,
                         text=True, timeout=60, check=True)
    gaps = json.loads(run.stdout)["gaps"]
    return max((length for start, length in gaps if start_ms <= start < end_ms), default=0)


def one_call(gaps_tool, tone_path, delay_ms):
    owner = Cleanups()
    with lab.Lab(nat1="eim", nat2="eim", ipv6=False) as net:
        env = {"EARSHOT_IMPAIR": f"delay={delay_ms}"} if delay_ms else {}
        recording = net.path("b.wav")
        call = LabCall(owner, net)
        try:
            callee = call.client("b", "listen", "--auto-answer", "--record", recording,
                                 env_extra=env)
            callee.expect("registered")
            caller = call.client("a", "call", call.fingerprints["b"], "--play", tone_path,
                                 "--duration", str(CALL_S), env_extra=env)
            caller.expect("call-state", state="active", timeout=30)
            active_at = time.monotonic()
            direct = caller.expect("path", kind="direct", timeout=10)
            to_direct_ms = (time.monotonic() - active_at) * 1000
            for _ in range(DIRECT_BEFORE_BLOCK_STATS):
                caller.expect("stats")
            net.block("nat1", net.wan_v4("nat2"))
            blocked_at = time.monotonic()
            caller.expect("path", kind="relay", timeout=10)
            fallback_ms = (time.monotonic() - blocked_at) * 1000
            caller.wait_exit(timeout=30)
            callee.expect("call-state", state="ended", timeout=10)
        finally:
            owner.doCleanups()
        # The recording starts when the callee's call is active, about when
        # the caller's is: switch gaps lie before the block, fallback gaps
        # after it.
        block_ms = (blocked_at - active_at) * 1000
        return {
            "rtt_ms": direct["rtt_ms"],
            "to_direct_ms": to_direct_ms,
            # The switch, and the 500 ms both paths carry media after it.
            "switch_gap_ms": gaps_between(gaps_tool, recording, to_direct_ms - SWITCH_MARGIN_MS,
                                          to_direct_ms + 500 + SWITCH_MARGIN_MS),
            "other_gap_ms": max(gaps_between(gaps_tool, recording, 0,
                                             to_direct_ms - SWITCH_MARGIN_MS),
                                gaps_between(gaps_tool, recording,
                                             to_direct_ms + 500 + SWITCH_MARGIN_MS,
                                             block_ms - SWITCH_MARGIN_MS)),
            "fallback_ms": fallback_ms,
            "fallback_gap_ms": gaps_between(gaps_tool, recording, block_ms - SWITCH_MARGIN_MS,
                                            10 ** 9),
        }


def summary(name, values, unit="ms"):
    return (f"  {name:<34} median {statistics.median(values):8.1f} {unit}   "
            f"worst {max(values):8.1f} {unit}")


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    cli, relay, gaps_tool = argv[:3]
    runs = int(argv[3]) if len(argv) > 3 else 20
    netns_support.CLI, netns_support.RELAY = cli, relay
    reason = lab.unavailable_reason()
    if reason:
        print(f"SKIP: {reason}", file=sys.stderr)
        return 77
    with tempfile.TemporaryDirectory() as scratch:
        tone_path = os.path.join(scratch, "tone.wav")
        tone(tone_path)
        for delay_ms in (0, 25):
            results = [one_call(gaps_tool, tone_path, delay_ms) for _ in range(runs)]
            rtt = [r["rtt_ms"] for r in results]
            target = [2 * r["rtt_ms"] + 100 for r in results]
            print(f"EIM NATs, {delay_ms} ms added each way, {runs} calls "
                  f"(direct RTT median {statistics.median(rtt):.1f} ms)")
            print(summary("active -> direct", [r["to_direct_ms"] for r in results]))
            print(summary("  baseline: target 2 RTT + 100 ms", target))
            print(summary("gap heard at relay -> direct", [r["switch_gap_ms"] for r in results]))
            print(summary("  elsewhere before the block", [r["other_gap_ms"] for r in results]))
            print(summary("block -> back on relay", [r["fallback_ms"] for r in results]))
            print(summary("  gap heard meanwhile", [r["fallback_gap_ms"] for r in results]))
            sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
