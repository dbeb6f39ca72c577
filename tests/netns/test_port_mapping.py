"""Port mapping against miniupnpd on the lab's router (issue 8): each protocol
maps the call socket's port, a packet from the internet reaches the client
through the mapping (and not before it), refreshing keeps the mapping past
its lifetime while an unrefreshed one expires, and release removes the
router's rules. NAT-PMP and PCP are separate clients of one daemon with
enable_natpmp=yes (miniupnpd 2.3.1 serves both from one switch); UPnP runs
against a daemon with enable_natpmp=no."""
import re
import sys
import time
import unittest

import netns_support as support
from netns_support import harness, lab

LIFETIME_S = 6           # asked for; the daemon grants it (min_lifetime below)
MIN_LIFETIME_S = 4
EXPIRY_WAIT_S = 25       # an unrefreshed mapping of 5 s must be gone by then
CONTROL_PORT = 45000
# Binds a port, says so, then reports what arrives within 1.5 s.
LISTENER = """
import json, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", int(sys.argv[1])))
s.settimeout(1.5)
print(json.dumps({"event": "bound"}), flush=True)
try:
    print(json.dumps({"event": "heard", "data": s.recvfrom(100)[0].decode()}), flush=True)
except socket.timeout:
    print(json.dumps({"event": "heard-nothing"}), flush=True)
"""


class PortMapping(unittest.TestCase):
    def setUp(self):
        self.net = lab.Lab()
        self.addCleanup(self.net.close)

    def start_tool(self, protocol):
        tool = harness.Process(f"port-mapper-{protocol}",
                               [support.PORT_MAPPER_TOOL, "--protocol", protocol,
                                "--lifetime", str(LIFETIME_S)],
                               self.net.env(), stdin=True, wrapper=self.net.wrapper("a"))
        self.addCleanup(tool.stop)
        return tool, tool.expect("ready")["port"]

    def rules(self):
        return self.net.nft("nat1", "list", "chain", "inet", "filter", "prerouting_miniupnpd")

    def assert_forwarded(self, external_port, internal_port):
        pattern = (rf"th dport {external_port} dnat ip to "
                   rf"{re.escape(self.net.lan_v4('a'))}:{internal_port}\b")
        self.assertRegex(self.rules(), pattern)

    def assert_reaches(self, tool, port, text):
        """Datagrams from the server to the router's public port reach the tool."""
        deadline = time.monotonic() + 5
        while True:
            support.send_udp(self.net, "server", self.net.wan_v4("nat1"), port, text)
            try:
                tool.expect("received", timeout=0.5, data=text)
                return
            except harness.TestFailure:
                if time.monotonic() > deadline:
                    raise

    def assert_does_not_reach(self, tool, port, text):
        support.send_udp(self.net, "server", self.net.wan_v4("nat1"), port, text)
        with self.assertRaises(harness.TestFailure):
            tool.expect("received", timeout=1.0, data=text)

    def map_refresh_release(self, protocol, control):
        tool, port = self.start_tool(protocol)
        self.assert_does_not_reach(tool, port, "before")

        started = time.monotonic()
        tool.send_line("map")
        mapped = tool.expect("mapped", timeout=15, protocol=protocol)
        print(f"time to a {protocol} mapping: {mapped['ms']} ms "
              f"(wall {1000 * (time.monotonic() - started):.0f} ms)", flush=True)
        self.assertEqual(mapped["external"].split(":")[0], self.net.wan_v4("nat1"))
        external_port = int(mapped["external"].split(":")[1])
        self.assertEqual(mapped["lifetime"], LIFETIME_S)
        if protocol != "upnp":
            # Refreshed at half the granted lifetime.
            self.assertLessEqual(mapped["refresh_in_ms"], LIFETIME_S * 1000 // 2)
            self.assertGreater(mapped["refresh_in_ms"], LIFETIME_S * 1000 // 2 - 1000)
        self.assert_forwarded(external_port, port)
        self.assert_reaches(tool, external_port, "through the mapping")

        # A control mapping that nobody refreshes expires on the router; ours stays.
        control()
        self.assertIn(f"dport {CONTROL_PORT} ", self.rules())
        deadline = time.monotonic() + EXPIRY_WAIT_S
        while f"dport {CONTROL_PORT} " in self.rules():
            self.assertLess(time.monotonic(), deadline,
                            "the router never expired the unrefreshed control mapping")
            time.sleep(0.5)
        self.assert_forwarded(external_port, port)
        self.assert_reaches(tool, external_port, "after the lifetime")
        self.assertNotIn("unmapped", [e.get("event") for e in tool.history])

        tool.send_line("release")
        released = tool.expect("released", timeout=10)
        self.assertTrue(released["ok"], released)
        self.assertEqual(tool.wait_exit(), 0, tool.stderr())
        self.assertNotIn(f"dport {external_port} ", self.rules())
        self.assert_does_not_reach_after_release(external_port)

    def assert_does_not_reach_after_release(self, external_port):
        """A listener on the old port hears nothing from the internet now."""
        listener = harness.Process("listener", ["python3", "-c", LISTENER, str(external_port)],
                                   self.net.env(), wrapper=self.net.wrapper("a"))
        self.addCleanup(listener.stop)
        listener.expect("bound")
        support.send_udp(self.net, "server", self.net.wan_v4("nat1"), external_port, "late")
        listener.expect("heard-nothing", timeout=5)

    def natpmpc_control(self):
        self.net.run("a", ["natpmpc", "-g", self.net.gateway_v4("a"), "-a", str(CONTROL_PORT),
                           str(CONTROL_PORT), "udp", "5"])

    def upnpc_control(self):
        self.net.run("a", ["upnpc", "-i", "-e", "control", "-a", self.net.lan_v4("a"),
                           str(CONTROL_PORT), str(CONTROL_PORT), "UDP", "5"], timeout=30)

    def test_nat_pmp(self):
        self.net.start_miniupnpd("nat1", natpmp=True, upnp=False, min_lifetime=MIN_LIFETIME_S)
        self.map_refresh_release("nat-pmp", self.natpmpc_control)

    def test_pcp(self):
        self.net.start_miniupnpd("nat1", natpmp=True, upnp=False, min_lifetime=MIN_LIFETIME_S)
        self.map_refresh_release("pcp", self.natpmpc_control)

    def test_upnp(self):
        self.net.start_miniupnpd("nat1", natpmp=False, upnp=True, min_lifetime=MIN_LIFETIME_S)
        self.map_refresh_release("upnp", self.upnpc_control)

    def test_no_service_fails_fast(self):
        """Without miniupnpd the gateway answers ICMP port unreachable: the
        NAT-PMP and PCP attempts end at once, nothing is mapped or hangs."""
        tool, _ = self.start_tool("nat-pmp")
        tool.send_line("map")
        tool.send_line("release")
        released = tool.expect("released", timeout=10)
        self.assertTrue(released["ok"])
        self.assertEqual(tool.wait_exit(), 0, tool.stderr())
        self.assertNotIn("mapped", [e.get("event") for e in tool.history])


if __name__ == "__main__":
    support.require("miniupnpd", "natpmpc", "upnpc", "turnserver")
    unittest.main(argv=sys.argv[:1] + sys.argv[1:], verbosity=2)
