#!/usr/bin/python3
"""Direct calls on loopback (issue 6): with EARSHOT_INTERFACES=lo the host
candidates are loopback addresses, so two clients find each other directly
while the relay introduces them. The NAT-lab suite (tests/netns) covers
NATs, IPv6 routing, blocking and fallback.
"""
import json
import os
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.environ["EARSHOT_TEST_DATA"], "integration"))
from harness import Lab  # noqa: E402

SPEECH = os.environ.get("EARSHOT_SPEECH_WAV")
QUALITY_TOOL = os.path.join(os.environ["EARSHOT_TEST_DATA"], "tools", "audio_quality.py")
ROGUE_RELAY = os.environ["EARSHOT_ROGUE_RELAY_PROGRAM"]
QUIC_PEER = os.environ["EARSHOT_QUIC_PEER_PROGRAM"]

# Thresholds as in the relay suite (test_relay_calls.py), which measured them.
MIN_CORRELATION = 0.85
MAX_DROPOUT = 0.05
# On loopback the direct path is verified within a few milliseconds of
# becoming active; a second is the bound for a loaded CI machine.
DIRECT_WITHIN_S = 1.0


def quality(reference, recorded):
    run = subprocess.run(["/usr/bin/python3", QUALITY_TOOL, reference, recorded],
                         capture_output=True, text=True, timeout=120)
    if run.returncode != 0:
        raise AssertionError(f"quality tool failed: {run.stderr}")
    return json.loads(run.stdout)


class DirectCalls(unittest.TestCase):
    def setUp(self):
        self.lab = Lab("earshot-direct")
        self.addCleanup(self.lab.close)

    def require_speech(self):
        if not SPEECH or not os.path.exists(SPEECH):
            self.skipTest("no speech test signal (espeak-ng and sox make it at build time)")

    def test_direct_via_host_candidates(self):
        """Media starts on the relay, moves to the direct path, and the switch
        is not heard."""
        self.require_speech()
        relay = self.lab.relay()
        a_home, a = self.lab.identity("a")
        b_home, b = self.lab.identity("b")
        a_wav, b_wav = self.lab.path("a.wav"), self.lab.path("b.wav")
        callee = self.lab.client("b", b_home, relay.spec, "listen", "--auto-answer",
                                 "--play", SPEECH, "--record", b_wav)
        callee.expect("registered")
        caller = self.lab.client("a", a_home, relay.spec, "call", b, "--play", SPEECH,
                                 "--record", a_wav, "--duration", "11")

        caller.expect("call-state", state="active")
        active_at = time.monotonic()
        first = caller.expect("path")
        self.assertEqual(first["kind"], "relay")
        direct = caller.expect("path", kind="direct")
        self.assertLess(time.monotonic() - active_at, DIRECT_WITHIN_S)
        self.assertEqual(direct["candidate"], "host")
        callee_direct = callee.expect("path", kind="direct")
        self.assertIn(callee_direct["candidate"], ("host", "peer-reflexive"))

        stats = caller.expect("stats", path="direct")
        self.assertEqual(stats["frames_rejected"], 0)
        self.assertEqual(caller.wait_exit(timeout=30), 0, caller.stderr())
        # During the switch every frame went both ways: the copies were
        # dropped as duplicates and no frame was lost on either side. (Late
        # frames, which a loaded machine can cause, are concealed and counted
        # apart; the benchmark reports them.)
        for process in (caller, callee):
            process.expect("call-state", state="ended")
            last = [e for e in process.all_events() if e.get("event") == "stats"][-1]
            self.assertGreater(last["frames_duplicate"], 0, last)
            self.assertEqual(last["frames_lost"], 0, last)
        for recorded in (a_wav, b_wav):
            score = quality(SPEECH, recorded)
            self.assertGreaterEqual(score["correlation"], MIN_CORRELATION, score)
            self.assertLessEqual(score["dropout_fraction"], MAX_DROPOUT, score)

    def test_privacy_mode_reveals_no_address(self):
        """No host, mapped or reflexive address reaches the relay, and the call
        stays on the relay."""
        log = self.lab.path("messages.jsonl")
        relay = self.lab.relay("rogue", program=ROGUE_RELAY, extra_args=("--log", log))
        a_home, a = self.lab.identity("a")
        b_home, b = self.lab.identity("b")
        callee = self.lab.client("b", b_home, relay.spec, "listen", "--auto-answer",
                                 global_args=("--privacy",))
        callee_registered = callee.expect("registered")
        caller = self.lab.client("a", a_home, relay.spec, "call", b, "--duration", "2",
                                 global_args=("--privacy",))
        caller_registered = caller.expect("registered")
        caller.expect("path", kind="relay")
        self.assertEqual(caller.wait_exit(), 0, caller.stderr())
        self.assertNotIn("direct", [e.get("kind") for e in caller.all_events()])

        with open(log) as f:
            messages = [json.loads(line) for line in f if line.strip()]
        self.assertTrue(any(m["type"] == "call-offer" for m in messages))
        own_ports = {r["observed"].rsplit(":", 1)[1]
                     for r in (callee_registered, caller_registered)}
        for message in messages:
            body = json.loads(message["body"])
            for candidate in body.get("candidates", []):
                self.assertEqual(candidate["type"], "relay", message)
            for port in own_ports:
                self.assertNotIn(f":{port}", message["body"], message)

    def test_stranger_refused_during_race(self):
        """A third party that knows the acceptor's address and tries to connect
        while the call races is refused in the handshake; the call goes on."""
        relay = self.lab.relay()
        a_home, a = self.lab.identity("a")
        b_home, b = self.lab.identity("b")
        callee = self.lab.client("b", b_home, relay.spec, "listen", "--auto-answer")
        callee_address = callee.expect("registered")["observed"]
        caller = self.lab.client("a", a_home, relay.spec, "call", b, "--duration", "3")
        caller_address = caller.expect("registered")["observed"]
        caller.expect("call-state", state="active")

        for target, fingerprint in ((callee_address, b), (caller_address, a)):
            run = subprocess.run([QUIC_PEER, "client", "--connect", target, "--pin", fingerprint,
                                  "--timeout", "5"], capture_output=True, text=True, timeout=20)
            self.assertEqual(run.returncode, 1, run.stdout + run.stderr)
            self.assertIn('"event":"error"', run.stdout)

        self.assertEqual(caller.wait_exit(), 0, caller.stderr())
        callee.expect("call-state", state="ended", reason="hangup")


if __name__ == "__main__":
    unittest.main(verbosity=2)
