#!/usr/bin/python3
"""Direct calls through emulated NATs (issue 6), in the namespace lab of
lab.py: a relay on the "internet", two home routers doing nftables NAT, a
client behind each. Each test method is one meson test and builds its own
lab; run as root (exit 77 otherwise).
"""
import json
import os
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from netns_support import LabCall, lab  # noqa: E402

QUIC_PEER = os.environ["EARSHOT_QUIC_PEER_PROGRAM"]
GAPS_TOOL = os.path.join(os.environ["EARSHOT_TEST_DATA"], "tools", "audio_gaps.py")

# Issue 6: back on the relay within a second of the direct path dying. The
# gap heard is the consent timeout (600 ms) plus the relay's transit; the
# bound leaves room for a loaded machine, not for a design that misses it.
FALLBACK_GAP_MS = 1000
# On the lab's ~0 ms RTT a verified direct path takes a few checks and one
# handshake: milliseconds. Two seconds is WarzonePhone's budget for the dial.
DIRECT_WITHIN_S = 2.0


class DirectPathsLab(unittest.TestCase):
    def setUp(self):
        reason = lab.unavailable_reason()
        if reason:
            self.skipTest(reason)

    def expect_direct(self, process, candidate=None, family=None):
        start = time.monotonic()
        event = process.expect("path", kind="direct", timeout=DIRECT_WITHIN_S + 5)
        self.assertLess(time.monotonic() - start, DIRECT_WITHIN_S, event)
        if candidate is not None:
            self.assertEqual(event["candidate"], candidate, event)
        if family is not None:
            self.assertEqual(event["family"], family, event)
        return event

    def test_same_lan_direct_via_host(self):
        with lab.Lab(shared_lan=True, ipv6=False) as net:
            call = LabCall(self, net)
            caller, callee = call.call("--duration", "3")
            self.expect_direct(caller, candidate="host", family="ipv4")
            self.assertEqual(caller.wait_exit(), 0, caller.stderr())

    def test_eim_nats_direct_via_reflexive(self):
        with lab.Lab(nat1="eim", nat2="eim", ipv6=False) as net:
            call = LabCall(self, net)
            caller, callee = call.call("--duration", "3")
            event = self.expect_direct(caller, family="ipv4")
            self.assertIn(event["candidate"], ("reflexive", "peer-reflexive"), event)
            self.assertTrue(event["remote"].startswith(net.wan_v4("nat2")), event)
            self.assertEqual(caller.wait_exit(), 0, caller.stderr())

    def test_symmetric_nats_stay_on_relay(self):
        with lab.Lab(nat1="symmetric", nat2="symmetric", ipv6=False) as net:
            call = LabCall(self, net)
            caller, callee = call.call("--duration", "4")
            self.assertEqual(caller.wait_exit(timeout=30), 0, caller.stderr())
            events = caller.all_events()
            kinds = {e.get("kind") for e in events if e.get("event") == "path"}
            self.assertEqual(kinds, {"relay"})
            stats = [e for e in events if e.get("event") == "stats"]
            self.assertTrue(stats and all(e["path"] == "relay" for e in stats))

    def test_ipv6_direct_through_stateful_firewalls(self):
        with lab.Lab(nat1="symmetric", nat2="symmetric", ipv6=True) as net:
            call = LabCall(self, net)
            caller, callee = call.call("--duration", "3")
            event = self.expect_direct(caller, candidate="host", family="ipv6")
            self.assertTrue(event["remote"].startswith("[2001:db8:2::"), event)
            self.assertEqual(caller.wait_exit(), 0, caller.stderr())

    def test_block_falls_back_and_returns(self):
        """The direct path is blocked mid-call: audio continues over the relay
        within a second (measured in the recording), and goes back to the
        direct path once it is unblocked."""
        with lab.Lab(nat1="eim", nat2="eim", ipv6=False) as net:
            tone = net.path("tone.wav")
            subprocess.run(["sox", "-n", "-r", "48000", "-c", "1", "-b", "16", tone,
                            "synth", "20", "sine", "440", "vol", "0.5"], check=True, timeout=30)
            recording = net.path("b.wav")
            call = LabCall(self, net)
            caller, callee = call.call("--play", tone, "--duration", "14",
                                       callee_args=("--record", recording))
            self.expect_direct(caller)
            callee.expect("path", kind="direct", timeout=10)
            peer = net.wan_v4("nat2")
            net.block("nat1", peer)
            blocked_at = time.monotonic()
            caller.expect("path", kind="relay", timeout=5)
            self.assertLess(time.monotonic() - blocked_at, 1.5)
            callee.expect("path", kind="relay", timeout=5)
            net.unblock("nat1", peer)
            caller.expect("path", kind="direct", timeout=10)
            self.assertEqual(caller.wait_exit(timeout=30), 0, caller.stderr())
            callee.expect("call-state", state="ended")

            run = subprocess.run(["/usr/bin/python3", GAPS_TOOL, recording], capture_output=True,
                                 text=True, timeout=60, check=True)
            gaps = json.loads(run.stdout)
            self.assertLessEqual(gaps["longest_gap_ms"], FALLBACK_GAP_MS, gaps)

    def test_nat_rebinding_recovers(self):
        """Mid-call, the caller's NAT maps its socket to a new port (as after
        a mapping timeout): the call goes on, audio keeps flowing, and it is
        direct again, through the new port, within seconds."""
        with lab.Lab(nat1="eim", nat2="eim", ipv6=False) as net:
            tone = net.path("tone.wav")
            subprocess.run(["sox", "-n", "-r", "48000", "-c", "1", "-b", "16", tone,
                            "synth", "20", "sine", "440", "vol", "0.5"], check=True, timeout=30)
            recording = net.path("b.wav")
            call = LabCall(self, net)
            caller, callee = call.call("--play", tone, "--duration", "14",
                                       callee_args=("--record", recording))
            self.expect_direct(caller)
            callee.expect("path", kind="direct", timeout=10)
            port = int(next(e for e in caller.history if e.get("event") == "registered")
                       ["observed"].rsplit(":", 1)[1])
            new_port = 20000 + port % 10000
            net.rebind("nat1", port, new_port)
            rebound_at = time.monotonic()
            new_remote = f"{net.wan_v4('nat1')}:{new_port}"
            callee.expect("path", kind="direct", remote=new_remote, timeout=10)
            print(f"direct through the new port after {time.monotonic() - rebound_at:.2f} s")
            self.assertEqual(caller.wait_exit(timeout=30), 0, caller.stderr())
            callee.expect("call-state", state="ended", reason="hangup")

            run = subprocess.run(["/usr/bin/python3", GAPS_TOOL, recording], capture_output=True,
                                 text=True, timeout=60, check=True)
            gaps = json.loads(run.stdout)
            self.assertLessEqual(gaps["longest_gap_ms"], FALLBACK_GAP_MS, gaps)

    def test_new_address_mid_call_goes_direct(self):
        """The caller has no IPv6 when the call starts, so behind two
        symmetric NATs it goes over the relay; mid-call its IPv6 address comes
        up: it gathers again, sends the peer a new generation of candidates,
        and the call goes direct over IPv6."""
        with lab.Lab(nat1="symmetric", nat2="symmetric", ipv6=True) as net:
            address = f"{net.lan_v6('a')}/64"
            gateway = net.gateway_v6("a")
            net.run("a", ["ip", "-6", "addr", "del", address, "dev", "eth0"])
            call = LabCall(self, net)
            caller, callee = call.call("--duration", "12")
            for _ in range(2):
                self.assertEqual(caller.expect("stats")["path"], "relay")
            net.run("a", ["ip", "-6", "addr", "add", address, "dev", "eth0", "nodad"])
            net.run("a", ["ip", "-6", "route", "replace", "default", "via", gateway])
            event = caller.expect("path", kind="direct", timeout=8)
            self.assertEqual(event["family"], "ipv6", event)
            self.assertEqual(caller.wait_exit(timeout=30), 0, caller.stderr())

    def test_stranger_refused_during_race(self):
        """A third host that knows the clients' public addresses tries to
        connect while they race: refused in the handshake; the call is not
        disturbed."""
        with lab.Lab(nat1="eim", nat2="eim", ipv6=False, outsider=True) as net:
            call = LabCall(self, net)
            caller, callee = call.call("--duration", "4")
            b_port = callee.history[0]["observed"].rsplit(":", 1)[1]
            a_port = next(e for e in caller.history
                          if e.get("event") == "registered")["observed"].rsplit(":", 1)[1]
            for router, port, fingerprint in (("nat2", b_port, call.fingerprints["b"]),
                                              ("nat1", a_port, call.fingerprints["a"])):
                run = net.run("outsider", [QUIC_PEER, "client", "--connect",
                                           f"{net.wan_v4(router)}:{port}", "--pin", fingerprint,
                                           "--timeout", "3"], check=False, timeout=20)
                self.assertEqual(run.returncode, 1, run.stdout + run.stderr)
            self.expect_direct(caller)
            self.assertEqual(caller.wait_exit(), 0, caller.stderr())


if __name__ == "__main__":
    unittest.main(verbosity=2)
