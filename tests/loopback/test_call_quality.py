#!/usr/bin/python3
"""Call quality on impaired networks (issue 5): real clients on loopback,
EARSHOT_IMPAIR on both (so each direction loses, delays or jitters what it
sends), speech both ways, and the callee's recording scored against the
played file with tests/tools/audio_quality.py.

The thresholds come from measurement on this machine (11 s calls, loopback,
both clients impaired): correlation 0.94 clean, 0.90 at 5 % random loss, 0.86
to 0.87 at 10 %, 0.78 to 0.80 at 20 %, 0.89 to 0.90 at 10 % in bursts of 3, 0.94
with ±30 ms jitter; the fixed 24 kbit/s tier of issue 4 measured 0.86, 0.85,
0.80 and 0.86 in the same runs. Each bound sits about 0.1 under what was
measured: room for a loaded CI machine and for a seed's bad luck, while a
broken loss path (no concealment, no FEC, the wrong frames played) falls to
0.5 or less.
"""
import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.environ["EARSHOT_TEST_DATA"], "integration"))
from harness import Lab  # noqa: E402

SPEECH = os.environ.get("EARSHOT_SPEECH_WAV")
QUALITY_TOOL = os.path.join(os.environ["EARSHOT_TEST_DATA"], "tools", "audio_quality.py")
MAX_DROPOUT = 0.05


def quality(reference, recorded):
    run = subprocess.run(["/usr/bin/python3", QUALITY_TOOL, reference, recorded],
                         capture_output=True, text=True, timeout=120)
    if run.returncode != 0:
        raise AssertionError(f"quality tool failed: {run.stderr}")
    return json.loads(run.stdout)


class CallQuality(unittest.TestCase):
    def setUp(self):
        if not SPEECH or not os.path.exists(SPEECH):
            self.skipTest("no speech test signal (espeak-ng and sox make it at build time)")
        self.lab = Lab("earshot-quality")
        self.addCleanup(self.lab.close)

    def call(self, impair, duration, extra_env=None):
        """A call of DURATION seconds with EARSHOT_IMPAIR=IMPAIR on both sides;
        returns (caller stats, callee stats, score of what the callee heard)."""
        env = dict(extra_env or {}, EARSHOT_IMPAIR=impair)
        relay = self.lab.relay()
        a_home, a = self.lab.identity("a")
        b_home, b = self.lab.identity("b")
        recording = self.lab.path("b.wav")
        callee = self.lab.client("b", b_home, relay.spec, "listen", "--auto-answer",
                                 "--play", SPEECH, "--record", recording, env_extra=env)
        callee.expect("registered")
        caller = self.lab.client("a", a_home, relay.spec, "call", b, "--play", SPEECH,
                                 "--duration", str(duration), env_extra=env)
        self.assertEqual(caller.wait_exit(timeout=duration + 40), 0, caller.stderr())
        callee.expect("call-state", state="ended", reason="hangup")
        stats = [[e for e in process.all_events() if e.get("event") == "stats"]
                 for process in (caller, callee)]
        return stats[0], stats[1], quality(SPEECH, recording)

    def assert_heard(self, impair, min_correlation):
        _, _, score = self.call(impair, 11)
        self.assertGreaterEqual(score["correlation"], min_correlation, score)
        self.assertLessEqual(score["dropout_fraction"], MAX_DROPOUT, score)

    def test_loss_5(self):
        self.assert_heard("loss=5,seed=1", 0.80)

    def test_loss_10(self):
        self.assert_heard("loss=10,seed=2", 0.75)

    def test_loss_20(self):
        self.assert_heard("loss=20,seed=3", 0.65)

    def test_bursty_loss_10(self):
        self.assert_heard("loss=10,burst=3,seed=4", 0.75)

    def test_jitter_30(self):
        self.assert_heard("jitter=30,seed=5", 0.85)

    def test_buffer_grows_and_shrinks(self):
        """Up to 30 ms of extra delay for the first 6 s: the jitter buffer's
        target delay grows within seconds to cover it, then shrinks slowly once
        the jitter is gone."""
        _, callee_stats, _ = self.call("jitter=30,until=6,seed=5", 25)
        targets = [e["target_delay_ms"] for e in callee_stats]
        peak = max(targets[:6])
        # One 20 ms frame plus most of the 30 ms spread of arrival times.
        self.assertGreaterEqual(peak, 40, targets)
        self.assertLessEqual(targets[-1], peak - 15, targets)
        # Slowly: no step down of more than 25 ms from one second to the next.
        for before, after in zip(targets[6:], targets[7:]):
            self.assertGreater(after, before - 25, targets)

    def test_tier_follows_loss(self):
        """30 % loss for 6 s: the tier drops within a few seconds, and climbs
        back, one step at a time, after the network recovers."""
        caller_stats, _, _ = self.call("loss=30,until=6,seed=6", 30)
        tiers = [e["tier"] for e in caller_stats]
        self.assertGreaterEqual(max(tiers[:4]), 6, tiers)
        worst = tiers.index(max(tiers))
        self.assertLessEqual(tiers[-1], max(tiers) - 2, tiers)
        for before, after in zip(tiers[worst:], tiers[worst + 1:]):
            self.assertGreaterEqual(after, before - 1, tiers)

    def test_ratchet_across_steps(self):
        """A ratchet step every 50 frames (instead of 2^16): a 10 s call crosses
        about ten of them, with loss at the boundaries, and every frame that
        arrives still opens."""
        caller_stats, callee_stats, score = self.call(
            "loss=5,seed=7", 10, extra_env={"EARSHOT_RATCHET_INTERVAL": "50"})
        for stats in (caller_stats, callee_stats):
            self.assertGreater(stats[-1]["frames_received"], 300, stats[-1])
            self.assertEqual(stats[-1]["frames_rejected"], 0, stats[-1])
        self.assertGreaterEqual(score["correlation"], 0.80, score)


if __name__ == "__main__":
    unittest.main(verbosity=2)
