#!/usr/bin/python3
"""The relays a relay knows (DESIGN §10.5): `registered` lists them with
their regions, and netcheck measures every relay it knows of, configured or
listed, names each one's region and prefers the lowest round trip. Two
relays on 127.0.0.1; the home relay lists the other.
"""
import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.environ["EARSHOT_TEST_DATA"], "integration"))
from harness import CLI, Lab  # noqa: E402


class RelayList(unittest.TestCase):
    def setUp(self):
        self.lab = Lab("earshot-relay-list")
        self.addCleanup(self.lab.close)
        self.far = self.lab.relay("far", extra_args=("--region", "far-away"))
        self.home = self.lab.relay("home", extra_args=(
            "--region", "nearby", "--known-relay", f"{self.far.spec}@far-away"))

    def netcheck(self, *relays):
        argv = [CLI]
        for spec in relays:
            argv += ["--relay", spec]
        run = subprocess.run([*argv, "netcheck", "--json"], env=self.lab.env(self.lab.home("nc")),
                             capture_output=True, text=True, timeout=30)
        self.assertEqual(run.returncode, 0, run.stderr)
        report = json.loads(run.stdout)
        print(f"netcheck: {report['duration_ms']} ms, relays {report['relays']}, "
              f"preferred {report['preferred_relay']}", flush=True)
        return report

    def test_registered_lists_relays(self):
        """A client hears the other relay and the home relay's region."""
        self.assertEqual(self.home.ready.get("region"), "nearby")
        home_dir, _ = self.lab.identity("a")
        client = self.lab.client("a", home_dir, self.home.spec, "listen")
        registered = client.expect("registered")
        self.assertEqual(registered["region"], "nearby")
        self.assertEqual(registered["relays"], [{"relay": self.far.spec, "region": "far-away"}])
        # A relay that knows no other lists none, and still says its region.
        b_home, _ = self.lab.identity("b")
        other = self.lab.client("b", b_home, self.far.spec, "listen")
        registered = other.expect("registered")
        self.assertEqual(registered["relays"], [])
        self.assertEqual(registered.get("region"), "far-away")

    def test_netcheck_measures_listed_relays(self):
        report = self.netcheck(self.home.spec)
        relays = {r["relay"]: r for r in report["relays"]}
        self.assertEqual(set(relays), {self.home.spec, self.far.spec}, report["relays"])
        self.assertEqual(relays[self.home.spec]["region"], "nearby")
        self.assertEqual(relays[self.far.spec]["region"], "far-away")
        for relay in relays.values():
            self.assertIsInstance(relay["rtt_ms"], float, relay)
            self.assertGreater(relay["rtt_ms"], 0)
        best = min(relays.values(), key=lambda r: r["rtt_ms"])
        self.assertEqual(report["preferred_relay"], best["relay"])

    def test_listed_relay_already_configured_once(self):
        """A listed relay that was also given is measured once, with its region."""
        report = self.netcheck(self.home.spec, self.far.spec)
        self.assertEqual(sorted(r["relay"] for r in report["relays"]),
                         sorted([self.home.spec, self.far.spec]))
        self.assertEqual({r["relay"]: r["region"] for r in report["relays"]},
                         {self.home.spec: "nearby", self.far.spec: "far-away"})

    def test_unpinned_relay_is_not_followed(self):
        """Without the home relay's key, netcheck does not register there and
        measures only what it was given."""
        host_port = self.home.spec.split("#")[0]
        report = self.netcheck(host_port)
        self.assertEqual([r["relay"] for r in report["relays"]], [host_port])
        self.assertIsNone(report["relays"][0]["region"])
        self.assertIsInstance(report["relays"][0]["rtt_ms"], float)


if __name__ == "__main__":
    unittest.main(verbosity=2)
