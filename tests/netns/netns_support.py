"""What the NAT-lab tests share: the programs under test, a relay in the lab,
and small helpers. Python 3 standard library only."""
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import harness  # noqa: E402
import lab  # noqa: E402

CLI = os.environ.get("EARSHOT_CLI")
RELAY = os.environ.get("EARSHOT_RELAY_PROGRAM")
PORT_MAPPER_TOOL = os.environ.get("EARSHOT_PORT_MAPPER_TOOL")
RELAY_PORT = 4433


def require(*programs):
    """Skips (exit 77) with the reason when the lab or a program is missing."""
    for variable, path in (("EARSHOT_CLI", CLI), ("EARSHOT_RELAY_PROGRAM", RELAY),
                           ("EARSHOT_PORT_MAPPER_TOOL", PORT_MAPPER_TOOL)):
        if not path:
            print(f"SKIP: {variable} is not set (run through meson test)", file=sys.stderr)
            sys.exit(77)
    lab.require(*programs)


def start_relay(net, listen=f"[::]:{RELAY_PORT}"):
    """earshot-relay on the server, by default dual-stack on port 4433;
    returns (process, spec) with the spec on the server's first IPv4 address.
    A relay bound to the wildcard answers from whichever of the server's two
    IPv4 addresses routing picks (the endpoint does not read IP_PKTINFO),
    so calls between two NATed clients bind it to that first address."""
    home = net.path("relay")
    os.makedirs(home, exist_ok=True)
    process = harness.Process("relay", [RELAY, "--listen", listen,
                                        "--identity", os.path.join(home, "identity")],
                              net.env(EARSHOT_HOME=home), wrapper=net.wrapper("server"))
    ready = process.expect("relay-ready")
    return process, f"{lab.SERVER_V4}:{RELAY_PORT}#{ready['fingerprint']}"


def netcheck(net, node, relay_spec=None, stun=True):
    """Runs earshot-cli netcheck --json in node; returns the report."""
    argv = [CLI]
    if relay_spec:
        argv += ["--relay", relay_spec]
    if stun:
        argv += ["--stun", f"{lab.SERVER_V4}:{lab.STUN_PORT}",
                 "--stun", f"[{lab.SERVER_V6}]:{lab.STUN_PORT}"]
    argv += ["netcheck", "--json"]
    started = time.monotonic()
    result = net.run(node, argv, check=False, timeout=30)
    wall = time.monotonic() - started
    if result.returncode != 0:
        raise harness.TestFailure(f"netcheck exited {result.returncode}: {result.stderr}")
    report = json.loads(result.stdout)
    print(f"netcheck in {node}: {report['duration_ms']} ms (wall {wall * 1000:.0f} ms): "
          f"{json.dumps(report, sort_keys=True)}", flush=True)
    return report


def send_udp(net, node, host, port, payload):
    """One datagram from node to host:port."""
    net.run(node, ["python3", "-c",
                   "import socket, sys; "
                   "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
                   "s.sendto(sys.argv[3].encode(), (sys.argv[1], int(sys.argv[2])))",
                   host, str(port), payload])


class LabCall:
    """A relay in the lab's server namespace and identities for clients a
    and b; stops every process it started when the test ends."""

    def __init__(self, test, net):
        self.net = net
        self.processes = []
        test.addCleanup(self.stop)
        relay, self.spec = start_relay(net, listen=f"{lab.SERVER_V4}:{RELAY_PORT}")
        self.processes.append(relay)
        self.homes = {}
        self.fingerprints = {}
        for client in ("a", "b"):
            home = net.path(f"home-{client}")
            os.makedirs(home, exist_ok=True)
            run = subprocess.run([CLI, "identity", "create"], capture_output=True, text=True,
                                 env=dict(net.env(), EARSHOT_HOME=home), timeout=30, check=True)
            self.homes[client] = home
            self.fingerprints[client] = run.stdout.strip()

    def client(self, node, command, *args, global_args=(), env_extra=None):
        """earshot-cli in node (a or b) with its own home, on the lab's relay."""
        env = dict(self.net.env(), EARSHOT_HOME=self.homes[node], **(env_extra or {}))
        process = harness.Process(node, [CLI, "--relay", self.spec, *global_args, command, *args],
                                  env, wrapper=self.net.wrapper(node))
        self.processes.append(process)
        return process

    def call(self, *caller_args, callee_args=(), env_extra=None):
        """b listens and answers, a calls it; returns both once a's call is active."""
        callee = self.client("b", "listen", "--auto-answer", *callee_args, env_extra=env_extra)
        callee.expect("registered")
        caller = self.client("a", "call", self.fingerprints["b"], *caller_args,
                             env_extra=env_extra)
        caller.expect("call-state", state="active")
        return caller, callee

    def stop(self):
        for process in reversed(self.processes):
            process.stop()
