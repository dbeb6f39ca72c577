"""earshot-cli netcheck in the NAT lab (issue 8): the right mapping, filtering
and port allocation for each emulated NAT (cross-checked with coturn's
turnutils_natdiscovery where it speaks to the same question), hairpinning on
and off, IPv6 on and off, UDP blocked, port mapping seen, and "unknown, and
why" when one destination cannot tell the mapping. Each prints the check's
duration: the figure to hold under 1.5 s."""
import sys
import time
import unittest

import netns_support as support
from netns_support import lab

# The target is 1.5 s; the bound leaves room for a loaded CI machine.
DURATION_BOUND_MS = 2500


class Netcheck(unittest.TestCase):
    def check(self, stun=True, relay=True, node="a", **lab_options):
        self.net = lab.Lab(**lab_options)
        self.addCleanup(self.net.close)
        self.net.start_stun()
        spec = None
        if relay:
            process, spec = support.start_relay(self.net)
            self.addCleanup(process.stop)
        self.spec = spec
        report = support.netcheck(self.net, node, spec, stun=stun)
        self.assertLess(report["duration_ms"], DURATION_BOUND_MS)
        return report

    def natdiscovery(self):
        """coturn's own verdict on the mapping (RFC 5780)."""
        run = self.net.run("a", ["turnutils_natdiscovery", "-m", lab.SERVER_V4],
                           check=False, timeout=30)
        return run.stdout

    def assert_common(self, report):
        """What every NAT of the lab shares."""
        self.assertTrue(report["udp_v4"])
        self.assertFalse(report["udp_blocked"])
        self.assertEqual(report["public_v4"], self.net.wan_v4("nat1"))
        self.assertEqual(report["gateway"], self.net.gateway_v4("a"))
        # Linux conntrack filters by address and port, whatever the mapping.
        self.assertEqual(report["filtering"], "address-and-port-dependent")
        self.assertEqual(len(report["relays"]), 1)
        relay = report["relays"][0]
        self.assertEqual(relay["relay"], self.spec)
        self.assertIsInstance(relay["rtt_ms"], float)
        self.assertEqual(report["preferred_relay"], self.spec)
        for protocol in ("nat_pmp", "pcp", "upnp"):
            self.assertFalse(report[protocol]["available"], report[protocol])
            self.assertIsInstance(report[protocol]["error"], str)
        self.assertIsInstance(report["summary"], str)

    def test_endpoint_independent(self):
        report = self.check(nat1="eim")
        self.assert_common(report)
        self.assertEqual(report["mapping"], "endpoint-independent")
        self.assertEqual(report["port_allocation"], "preserving")
        self.assertIs(report["hairpin"], False)
        self.assertTrue(report["udp_v6"])
        self.assertEqual(report["public_v6"], self.net.lan_v6("a"))
        self.assertIn("will be direct", report["summary"])
        self.assertIn("Endpoint Independent Mapping", self.natdiscovery())

    def test_symmetric(self):
        report = self.check(nat1="symmetric")
        self.assert_common(report)
        self.assertEqual(report["mapping"], "address-and-port-dependent")
        self.assertEqual(report["port_allocation"], "random")
        self.assertIn("will use the relay", report["summary"])
        self.assertIn("Address and Port Dependent Mapping", self.natdiscovery())

    def test_fully_random(self):
        report = self.check(nat1="fully-random")
        self.assert_common(report)
        self.assertEqual(report["mapping"], "address-and-port-dependent")
        self.assertEqual(report["port_allocation"], "random")

    def test_sequential(self):
        report = self.check(nat1="sequential")
        self.assert_common(report)
        self.assertEqual(report["mapping"], "address-and-port-dependent")
        self.assertEqual(report["port_allocation"], "sequential")
        self.assertEqual(report["delta"], 1)
        self.assertIn("in sequence", report["summary"])

    def test_hairpin(self):
        report = self.check(nat1="eim", hairpin=True)
        self.assert_common(report)
        self.assertIs(report["hairpin"], True)
        self.net.set_hairpin("nat1", False)
        report = support.netcheck(self.net, "a", self.spec)
        self.assertIs(report["hairpin"], False)
        self.assertIn("hairpinning", report["summary"])

    def test_ipv6_off(self):
        report = self.check(nat1="eim", ipv6=False)
        self.assert_common(report)
        self.assertFalse(report["udp_v6"])
        self.assertIsNone(report["public_v6"])
        self.assertNotIn("IPv6 works", report["summary"])

    def test_udp_blocked(self):
        report = self.check(nat1="eim", udp_blocked=("nat1",))
        self.assertTrue(report["udp_blocked"])
        self.assertFalse(report["udp_v4"])
        self.assertFalse(report["udp_v6"])
        self.assertIsNone(report["public_v4"])
        self.assertIsNone(report["relays"][0]["rtt_ms"])
        self.assertIsNone(report["preferred_relay"])
        self.assertEqual(report["mapping"], "unknown")
        self.assertIn("UDP is blocked", report["summary"])
        # The same client with UDP allowed again sees its NAT.
        self.net.set_udp_blocked("nat1", False)
        self.assertFalse(support.netcheck(self.net, "a", self.spec)["udp_blocked"])

    def test_port_mapping(self):
        self.net = lab.Lab(nat1="symmetric")
        self.addCleanup(self.net.close)
        self.net.start_miniupnpd("nat1", natpmp=True, upnp=True)
        process, self.spec = support.start_relay(self.net)
        self.addCleanup(process.stop)
        report = support.netcheck(self.net, "a", self.spec)
        self.assertLess(report["duration_ms"], DURATION_BOUND_MS)
        for protocol in ("nat_pmp", "pcp", "upnp"):
            probe = report[protocol]
            self.assertTrue(probe["available"], probe)
            self.assertEqual(probe["external"], self.net.wan_v4("nat1"), probe)
            self.assertIsInstance(probe["ms"], int)
            self.assertIsNone(probe["error"])
        # The probes leave nothing on the router: PCP's throw-away mapping is
        # deleted as soon as it answered (the router may take a moment).
        deadline = time.monotonic() + 5
        while "dnat" in self.net.nft("nat1", "list", "chain", "inet", "filter",
                                     "prerouting_miniupnpd"):
            self.assertLess(time.monotonic(), deadline, "a probe's mapping stayed on the router")
            time.sleep(0.1)
        self.assertIn("port mapping", report["summary"])

    def test_one_destination_is_not_enough(self):
        """With the relay alone, the mapping is unknown and the report says
        why; it never guesses."""
        report = self.check(nat1="symmetric", stun=False)
        self.assertTrue(report["udp_v4"])
        self.assertEqual(report["mapping"], "unknown")
        self.assertIn("two STUN destinations", report["mapping_note"])
        self.assertEqual(report["filtering"], "unknown")
        self.assertIn("--stun", report["filtering_note"])


if __name__ == "__main__":
    support.require("turnserver", "turnutils_natdiscovery", "miniupnpd")
    unittest.main(argv=sys.argv[:1] + sys.argv[1:], verbosity=2)
