#!/usr/bin/python3
"""The NAT toolkit's figures in the namespace lab (tests/netns/lab.py), each
next to a baseline measured in the same run:

- netcheck's duration per emulated NAT (target 1.5 s), next to the time
  coturn's turnutils_natdiscovery takes for its mapping and filtering tests
  (fewer questions: no relays, port allocation, hairpin or port mapping);
- the time to a port mapping per protocol with EsPortMapper, next to
  miniupnpc's natpmpc (NAT-PMP) and upnpc (UPnP) doing the same.

Needs root (exit 77 otherwise). Usage: nat-lab-bench.py CLI RELAY PORT_MAPPER_TOOL [RUNS]
"""
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "netns"))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))

import lab  # noqa: E402
from harness import Process  # noqa: E402


def timed(net, node, argv, timeout=60):
    started = time.monotonic()
    result = net.run(node, argv, check=False, timeout=timeout)
    return (time.monotonic() - started) * 1000, result


def start_relay(net, relay):
    process = Process("relay", [relay, "--listen", f"[::]:4433", "--identity",
                                net.path("relay-identity")],
                      net.env(EARSHOT_HOME=net.path()), wrapper=net.wrapper("server"))
    ready = process.expect("relay-ready")
    return process, f"{lab.SERVER_V4}:4433#{ready['fingerprint']}"


def bench_netcheck(cli, relay, runs):
    print("netcheck duration per NAT (median of %d; wall time includes process start)" % runs)
    print(f"  {'NAT':<14} {'netcheck ms':>12} {'wall ms':>9} {'natdiscovery ms':>16}")
    for mode in lab.NAT_MODES:
        with lab.Lab(nat1=mode) as net:
            net.start_stun()
            process, spec = start_relay(net, relay)
            durations, walls, baselines = [], [], []
            for _ in range(runs):
                wall, result = timed(net, "a", [cli, "--relay", spec,
                                                "--stun", f"{lab.SERVER_V4}:3478",
                                                "--stun", f"[{lab.SERVER_V6}]:3478",
                                                "netcheck", "--json"])
                durations.append(json.loads(result.stdout)["duration_ms"])
                walls.append(wall)
                baseline, _ = timed(net, "a", ["turnutils_natdiscovery", "-m", "-f",
                                               lab.SERVER_V4])
                baselines.append(baseline)
            process.stop()
            print(f"  {mode:<14} {statistics.median(durations):>12.0f} "
                  f"{statistics.median(walls):>9.0f} {statistics.median(baselines):>16.0f}")


def time_to_mapping(net, tool, protocol):
    process = Process(protocol, [tool, "--protocol", protocol], net.env(), stdin=True,
                      wrapper=net.wrapper("a"))
    process.expect("ready")
    process.send_line("map")
    mapped = process.expect("mapped", timeout=20)
    process.send_line("release")
    process.expect("released", timeout=20)
    process.stop()
    return mapped["ms"]


def bench_mapping(tool, runs):
    print("time to a port mapping (median of %d)" % runs)
    print(f"  {'protocol':<9} {'EsPortMapper ms':>16} {'baseline':>10} {'baseline ms':>12}")
    cases = (("nat-pmp", True, ["natpmpc", "-g", "192.168.1.1", "-a", "41000", "41000", "udp",
                                "120"], "natpmpc"),
             ("pcp", True, None, None),
             ("upnp", False, ["upnpc", "-i", "-a", "192.168.1.100", "41000", "41000", "UDP",
                              "120"], "upnpc"))
    for protocol, natpmp, baseline_argv, baseline_name in cases:
        with lab.Lab() as net:
            net.start_miniupnpd("nat1", natpmp=natpmp, upnp=not natpmp)
            ours, theirs = [], []
            for _ in range(runs):
                ours.append(time_to_mapping(net, tool, protocol))
                if baseline_argv:
                    wall, _ = timed(net, "a", baseline_argv)
                    theirs.append(wall)
            baseline = f"{statistics.median(theirs):>12.0f}" if theirs else f"{'-':>12}"
            print(f"  {protocol:<9} {statistics.median(ours):>16.0f} "
                  f"{baseline_name or '(none)':>10} {baseline}")


def main():
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    reason = lab.unavailable_reason()
    if reason:
        print(f"SKIP: {reason}", file=sys.stderr)
        return 77
    cli, relay, tool = sys.argv[1:4]
    runs = int(sys.argv[4]) if len(sys.argv) > 4 else 5
    bench_netcheck(cli, relay, runs)
    bench_mapping(tool, runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
