"""A NAT lab of Linux network namespaces, for tests that must see real NATs.

Python 3 standard library only; run as root. Topology (documentation ranges
only, so nothing can leak; see ../shared/notes/netns-nat-lab.md):

    a    192.168.1.100 / 2001:db8:1::100 --lan| nat1 |wan 203.0.113.1  / 2001:db8::1 --+
    b    192.168.2.100 / 2001:db8:2::100 --lan| nat2 |wan 198.51.100.1 / 2001:db8::2 --+-- br0 in
    server  203.0.113.100 + 198.51.100.100 / 2001:db8::100 ------------------------------+   "inet"
    outsider  203.0.113.50 / 2001:db8::50  (optional) ----------------------------------+   (.254, ::fe)

With shared_lan=True, b sits on nat1's LAN as 192.168.1.101 / 2001:db8:1::101
and there is no nat2. Node names: "inet", "nat1", "nat2", "a", "b", "server",
"outsider". Inside a router the interfaces are "wan" and "lan" (a bridge);
inside a host, "eth0". IPv4 LANs are only NATed, never routed; IPv6 is routed
to the LANs, with a stateful firewall and no NAT on the routers.

    import lab
    lab.require()                        # exit 77 with the reason if not possible
    with lab.Lab(nat1="eim", nat2="symmetric") as net:
        net.start_stun()                 # coturn on the server, RFC 5780 (two addresses)
        proc = net.spawn("a", [cli, "netcheck", "--json"], stdout=subprocess.PIPE)
        net.set_nat("nat1", "sequential")
        net.block("nat1", lab.SERVER_V4)   # drop forwarding to/from an address; unblock()

Lab(nat1="eim", nat2="eim", ipv6=True, hairpin=False, shared_lan=False,
    outsider=False, udp_blocked=())
  NAT modes (NAT_MODES): "eim" (masquerade: endpoint-independent, port
  preserving), "symmetric" (masquerade random), "fully-random" (masquerade
  fully-random), "sequential" (next port per new flow from 40000, an explicit
  numgen map). ipv6=False gives the clients no IPv6 at all. hairpin=True
  makes both routers reflect LAN traffic for their own public IPv4 address to
  their first client, ports unchanged (what a port-preserving mapping gives).
  udp_blocked: routers that drop all UDP from their LAN to the internet.

Module: require(*programs) exits 77 with the reason when not root, or ip,
nft, conntrack, ss or a named program is missing; unavailable_reason() says
the same without exiting; remove_stale() deletes what killed runs left
(Lab() calls it). Constants: SERVER_V4, SERVER_V4_ALT, SERVER_V6,
OUTSIDER_V4, OUTSIDER_V6, STUN_PORT, STUN_ALT_PORT, NAT_MODES.

Methods (all bounded in time; each raises LabError with the command's output
when something fails):
  env(**extra)       os.environ without EARSHOT_INTERFACES/EARSHOT_PORTMAP
                     (processes in the lab may use every interface they see)
  wrapper(node)      ("ip", "netns", "exec", NS): a prefix for argv
  run(node, argv, check=True, timeout=20, input=None, env=None) -> CompletedProcess
                     (text; env defaults to env())
  spawn(node, argv, env=None, **popen) -> Popen (env defaults to env()),
                     stopped by close()
  stop(proc)         SIGTERM, then SIGKILL after 3 s
  set_nat(router, mode), set_hairpin(router, on), set_udp_blocked(router, on)
  rebind(router, port, new_port)  client UDP port PORT leaves as NEW_PORT from now on
  block(router, address), unblock(router, address)
  start_stun() -> "203.0.113.100:3478" (idempotent)
  start_miniupnpd(router, natpmp=True, upnp=True, min_lifetime=120) -> Popen
                     (NAT-PMP and PCP share one switch in miniupnpd 2.3.1;
                     min_lifetime: the shortest NAT-PMP/PCP lifetime it grants,
                     lower for tests of refreshing); also starts STUN
  nft(router, *args) -> stdout of `nft ARGS` in the router (e.g. "list",
                     "chain", "inet", "filter", "prerouting_miniupnpd")
  wan_v4(router), wan_v6(router), lan_v4(client), lan_v6(client),
  gateway_v4(client), gateway_v6(client), router_of(client) -> str
  path(*parts)       a file in the lab's own temporary directory
  miniupnpd_log(router) -> str
  close()            stops every process and deletes every namespace;
                     also on exit, SIGTERM and SIGINT. Namespaces that a killed
                     run left behind are removed when the next Lab starts.
"""
import atexit
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time

SERVER_V4 = "203.0.113.100"
SERVER_V4_ALT = "198.51.100.100"
SERVER_V6 = "2001:db8::100"
OUTSIDER_V4 = "203.0.113.50"
OUTSIDER_V6 = "2001:db8::50"
STUN_PORT = 3478
STUN_ALT_PORT = 3479
NAT_MODES = ("eim", "symmetric", "fully-random", "sequential")
SEQUENTIAL_FIRST_PORT = 40000
SEQUENTIAL_PORTS = 1000

PREFIX = "eslab"
OWNER_DIR = "/run/earshot-lab"
COMMAND_TIMEOUT = 20
READY_TIMEOUT = 15.0
POLL_INTERVAL = 0.02

_ROUTERS = {
    "nat1": {"wan4": "203.0.113.1", "wan6": "2001:db8::1", "lan4": "192.168.1", "lan6": "2001:db8:1"},
    "nat2": {"wan4": "198.51.100.1", "wan6": "2001:db8::2", "lan4": "192.168.2", "lan6": "2001:db8:2"},
}
_INET_V4 = ("203.0.113.254/24", "198.51.100.254/24")
_INET_V6 = "2001:db8::fe/64"


class LabError(RuntimeError):
    pass


def unavailable_reason():
    """Why a lab cannot be built here, or None."""
    if os.geteuid() != 0:
        return "the NAT lab needs root (network namespaces, nftables)"
    for tool in ("ip", "nft", "conntrack", "ss"):
        if shutil.which(tool) is None:
            return f"the NAT lab needs “{tool}” (iproute2, nftables, conntrack)"
    return None


def require(*programs):
    """Exits 77 (skip) with the reason when the lab, or one of the named
    extra programs (e.g. "turnserver", "miniupnpd"), is not available."""
    reason = unavailable_reason()
    for program in programs:
        if reason is None and shutil.which(program) is None:
            reason = f"the test needs “{program}”"
    if reason is not None:
        print(f"SKIP: {reason}", file=sys.stderr)
        sys.exit(77)


def _run(argv, check=True, timeout=COMMAND_TIMEOUT, input=None, env=None):
    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                                input=input, env=env)
    except subprocess.TimeoutExpired as error:
        raise LabError(f"{' '.join(argv)} took more than {timeout} s") from error
    if check and result.returncode != 0:
        raise LabError(f"{' '.join(argv)} failed ({result.returncode}):\n"
                       f"{result.stdout}{result.stderr}")
    return result


def _process_start_time(pid):
    """The kernel's start time of a process (to tell a reused PID), or None."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return fields[19]
    except (OSError, IndexError):
        return None


def _owner_alive(lab_id):
    try:
        with open(os.path.join(OWNER_DIR, lab_id), encoding="ascii") as owner:
            pid, start = owner.read().split()
    except (OSError, ValueError):
        return False
    return _process_start_time(int(pid)) == start


def _kill_namespace(ns):
    pids = _run(["ip", "netns", "pids", ns], check=False).stdout.split()
    for pid in pids:
        try:
            os.kill(int(pid), signal.SIGKILL)
        except (ProcessLookupError, ValueError):
            pass
    _run(["ip", "netns", "del", ns], check=False)


def remove_stale():
    """Deletes the namespaces of labs whose process is gone (a killed run)."""
    pattern = re.compile(rf"^({PREFIX}[0-9a-f]{{8}})-")
    listed = _run(["ip", "netns", "list"], check=False).stdout.splitlines()
    stale_ids = set()
    for line in listed:
        match = pattern.match(line.split()[0]) if line.strip() else None
        if match and not _owner_alive(match.group(1)):
            _kill_namespace(line.split()[0])
            stale_ids.add(match.group(1))
    for lab_id in stale_ids:
        try:
            os.unlink(os.path.join(OWNER_DIR, lab_id))
        except OSError:
            pass


class Lab:
    """One NAT lab; see the module docstring."""

    def __init__(self, nat1="eim", nat2="eim", ipv6=True, hairpin=False, shared_lan=False,
                 outsider=False, udp_blocked=()):
        reason = unavailable_reason()
        if reason is not None:
            raise LabError(reason)
        for mode in (nat1, nat2):
            if mode not in NAT_MODES:
                raise LabError(f"unknown NAT mode “{mode}”; one of {', '.join(NAT_MODES)}")
        self.id = PREFIX + secrets.token_hex(4)
        self.ipv6 = ipv6
        self.shared_lan = shared_lan
        self.routers = ["nat1"] if shared_lan else ["nat1", "nat2"]
        self.hosts = ["server"] + (["outsider"] if outsider else [])
        self.clients = {"a": ("nat1", 100), "b": ("nat1", 101) if shared_lan else ("nat2", 100)}
        self.state = {name: {"nat": mode, "hairpin": hairpin, "udp_blocked": name in udp_blocked,
                             "blocked": set(), "rebound": {}}
                      for name, mode in (("nat1", nat1), ("nat2", nat2))
                      if name in self.routers}
        self.namespaces = []
        self.processes = []
        self.stun = None
        self.root = tempfile.mkdtemp(prefix=f"{self.id}-")
        self._closed = False
        self._previous_handlers = {}
        atexit.register(self.close)
        self._catch_signals()
        try:
            remove_stale()
            self._claim()
            self._build()
        except BaseException:
            self.close()
            raise

    # ---- life ----------------------------------------------------------------

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def _catch_signals(self):
        def stop(number, frame):
            self.close()
            raise SystemExit(128 + number)
        for number in (signal.SIGTERM, signal.SIGINT):
            if signal.getsignal(number) in (signal.SIG_DFL, signal.default_int_handler):
                self._previous_handlers[number] = signal.signal(number, stop)

    def _claim(self):
        os.makedirs(OWNER_DIR, exist_ok=True)
        with open(os.path.join(OWNER_DIR, self.id), "w", encoding="ascii") as owner:
            owner.write(f"{os.getpid()} {_process_start_time(os.getpid())}\n")

    def close(self):
        """Stops every process and deletes every namespace; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        for process in reversed(self.processes):
            self.stop(process)
        for ns in reversed(self.namespaces):
            _kill_namespace(ns)
        try:
            os.unlink(os.path.join(OWNER_DIR, self.id))
        except OSError:
            pass
        shutil.rmtree(self.root, ignore_errors=True)
        for number, handler in self._previous_handlers.items():
            signal.signal(number, handler)
        atexit.unregister(self.close)

    # ---- running things inside -------------------------------------------------

    def ns(self, node):
        return f"{self.id}-{node}"

    def wrapper(self, node):
        if self.ns(node) not in self.namespaces:
            raise LabError(f"no node “{node}” in this lab")
        return ("ip", "netns", "exec", self.ns(node))

    @staticmethod
    def env(**extra):
        env = {k: v for k, v in os.environ.items()
               if k not in ("EARSHOT_INTERFACES", "EARSHOT_PORTMAP")}
        env.update({k: str(v) for k, v in extra.items()})
        return env

    def run(self, node, argv, check=True, timeout=COMMAND_TIMEOUT, input=None, env=None):
        return _run([*self.wrapper(node), *argv], check=check, timeout=timeout, input=input,
                    env=env if env is not None else self.env())

    def spawn(self, node, argv, env=None, **popen):
        popen.setdefault("stdin", subprocess.DEVNULL)
        process = subprocess.Popen([*self.wrapper(node), *argv],
                                   env=env if env is not None else self.env(), **popen)
        self.processes.append(process)
        return process

    @staticmethod
    def stop(process):
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=3)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=3)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()

    def path(self, *parts):
        return os.path.join(self.root, *parts)

    # ---- addresses -------------------------------------------------------------

    def router_of(self, client):
        return self.clients[client][0]

    def wan_v4(self, router):
        return _ROUTERS[router]["wan4"]

    def wan_v6(self, router):
        return _ROUTERS[router]["wan6"]

    def lan_v4(self, client):
        router, host = self.clients[client]
        return f"{_ROUTERS[router]['lan4']}.{host}"

    def lan_v6(self, client):
        router, host = self.clients[client]
        return f"{_ROUTERS[router]['lan6']}::{host}"

    def gateway_v4(self, client):
        return f"{_ROUTERS[self.router_of(client)]['lan4']}.1"

    def gateway_v6(self, client):
        return f"{_ROUTERS[self.router_of(client)]['lan6']}::1"

    # ---- building --------------------------------------------------------------

    def _ip(self, node, *args):
        _run(["ip", "-n", self.ns(node), *args])

    def _sysctl(self, node, *settings):
        self.run(node, ["sysctl", "-q", "-w", *settings])

    def _add_node(self, node):
        ns = self.ns(node)
        _run(["ip", "netns", "add", ns])
        self.namespaces.append(ns)
        self._ip(node, "link", "set", "lo", "up")
        self._sysctl(node, "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0",
                     "net.ipv6.conf.all.accept_ra=0", "net.ipv6.conf.default.accept_ra=0")

    def _veth(self, node, name, peer_node, peer_name):
        _run(["ip", "-n", self.ns(node), "link", "add", name, "type", "veth",
              "peer", "name", peer_name, "netns", self.ns(peer_node)])

    def _bridge(self, node, name, ports):
        # With br_netfilter loaded (by anything on the host), bridged frames
        # would cross the IP hooks: the routers' NAT and filter rules would
        # see LAN-to-LAN traffic, and hairpinning breaks. Bridges here are
        # plain switches. -e: the keys exist only when the module is loaded.
        self.run(node, ["sysctl", "-q", "-e", "-w", "net.bridge.bridge-nf-call-iptables=0",
                        "net.bridge.bridge-nf-call-ip6tables=0",
                        "net.bridge.bridge-nf-call-arptables=0"])
        self._ip(node, "link", "add", name, "type", "bridge")
        for port in ports:
            self._ip(node, "link", "set", port, "master", name)
            self._ip(node, "link", "set", port, "up")
        self._ip(node, "link", "set", name, "up")

    def _build(self):
        self._add_node("inet")
        self._sysctl("inet", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1",
                     "net.ipv4.conf.all.send_redirects=0", "net.ipv4.conf.default.send_redirects=0")
        for client in self.clients:
            self._add_node(client)
        ports = []
        for router in self.routers:
            self._build_router(router)
            ports.append(f"p-{router}")
        for host in self.hosts:
            self._build_inet_host(host)
            ports.append(f"p-{host}")
        self._bridge("inet", "br0", ports)
        for address in _INET_V4:
            self._ip("inet", "addr", "add", address, "dev", "br0")
        self._ip("inet", "-6", "addr", "add", _INET_V6, "dev", "br0", "nodad")
        for router in self.routers:
            self._ip("inet", "-6", "route", "add", f"{_ROUTERS[router]['lan6']}::/64",
                     "via", _ROUTERS[router]["wan6"])
        for client in self.clients:
            self._build_client(client)
        for router in self.routers:
            self._load_miniupnpd_chains(router)
            self._load_rules(router)
        self._wait_links_ready()

    def _wait_links_ready(self):
        """The kernel activates a link's queue, and a bridge its port, only when
        its link watcher runs (up to a second after "up"); until then what
        the link carries is dropped, the first ARP request included, and the
        first packets of a test would be lost for a second. Waits until every
        link runs and every bridge port forwards."""
        deadline = time.monotonic() + READY_TIMEOUT
        for ns in self.namespaces:
            while True:
                links = _run(["ip", "-n", ns, "-o", "link", "show", "up"]).stdout.splitlines()
                ports = _run(["bridge", "-n", ns, "link", "show"]).stdout.splitlines()
                waiting = [l.split(":")[1].strip() for l in links
                           if "qdisc noop" in l or "LOWER_UP" not in l]
                waiting += [l.split(":")[1].strip() for l in ports if "state forwarding" not in l]
                if not waiting:
                    break
                if time.monotonic() > deadline:
                    raise LabError(f"links {', '.join(waiting)} in {ns} never came up")
                time.sleep(POLL_INTERVAL)

    def _build_router(self, router):
        addresses = _ROUTERS[router]
        self._add_node(router)
        self._sysctl(router, "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1")
        self._veth(router, "wan", "inet", f"p-{router}")
        self._ip(router, "addr", "add", f"{addresses['wan4']}/24", "dev", "wan")
        self._ip(router, "-6", "addr", "add", f"{addresses['wan6']}/64", "dev", "wan", "nodad")
        self._ip(router, "link", "set", "wan", "up")
        lan_ports = [f"lan-{client}" for client, (r, _) in self.clients.items() if r == router]
        for client in lan_ports:
            self._veth(router, client, client[4:], "eth0")
        self._bridge(router, "lan", lan_ports)
        self._ip(router, "addr", "add", f"{addresses['lan4']}.1/24", "dev", "lan")
        self._ip(router, "-6", "addr", "add", f"{addresses['lan6']}::1/64", "dev", "lan", "nodad")
        wan_prefix = addresses["wan4"].rsplit(".", 1)[0]
        self._ip(router, "route", "add", "default", "via", f"{wan_prefix}.254")
        self._ip(router, "-6", "route", "add", "default", "via", "2001:db8::fe")

    def _build_inet_host(self, host):
        self._add_node(host)
        self._veth(host, "eth0", "inet", f"p-{host}")
        v4 = [SERVER_V4, SERVER_V4_ALT] if host == "server" else [OUTSIDER_V4]
        v6 = SERVER_V6 if host == "server" else OUTSIDER_V6
        for address in v4:
            self._ip(host, "addr", "add", f"{address}/24", "dev", "eth0")
        self._ip(host, "-6", "addr", "add", f"{v6}/64", "dev", "eth0", "nodad")
        self._ip(host, "link", "set", "eth0", "up")
        self._ip(host, "route", "add", "default", "via", "203.0.113.254")
        self._ip(host, "-6", "route", "add", "default", "via", "2001:db8::fe")

    def _build_client(self, client):
        self._ip(client, "link", "set", "eth0", "up")
        self._ip(client, "addr", "add", f"{self.lan_v4(client)}/24", "dev", "eth0")
        self._ip(client, "route", "add", "default", "via", self.gateway_v4(client))
        if self.ipv6:
            self._ip(client, "-6", "addr", "add", f"{self.lan_v6(client)}/64", "dev", "eth0",
                     "nodad")
            self._ip(client, "-6", "route", "add", "default", "via", self.gateway_v6(client))
        else:
            self._sysctl(client, "net.ipv6.conf.all.disable_ipv6=1",
                         "net.ipv6.conf.default.disable_ipv6=1", "net.ipv6.conf.eth0.disable_ipv6=1")

    # ---- router rules ----------------------------------------------------------

    def nft(self, router, *args):
        return self.run(router, ["nft", *args]).stdout

    def _nft_load(self, router, text):
        self.run(router, ["nft", "-f", "-"], input=text)

    def _load_miniupnpd_chains(self, router):
        # miniupnpd 2.3.1 fills these chains of table inet filter but does not
        # make them. Its NAT chains run before the lab's, so its mappings win.
        self._nft_load(router, """
table inet filter {
  chain miniupnpd { }
  chain prerouting_miniupnpd { }
  chain postrouting_miniupnpd { }
  chain forward { type filter hook forward priority filter - 1; policy accept; jump miniupnpd; }
  chain prerouting { type nat hook prerouting priority dstnat - 1; policy accept; jump prerouting_miniupnpd; }
  chain postrouting { type nat hook postrouting priority srcnat - 1; policy accept; jump postrouting_miniupnpd; }
}
""")

    def _nat_rule(self, router):
        addresses = _ROUTERS[router]
        lan = f"ip saddr {addresses['lan4']}.0/24 oifname \"wan\""
        mode = self.state[router]["nat"]
        if mode == "eim":
            return f"{lan} masquerade"
        if mode == "symmetric":
            return f"{lan} masquerade random"
        if mode == "fully-random":
            return f"{lan} masquerade fully-random"
        # An explicit map: "numgen ... offset" lands byte-swapped (see the notes).
        ports = ", ".join(f"{i} : {SEQUENTIAL_FIRST_PORT + i}" for i in range(SEQUENTIAL_PORTS))
        return (f"{lan} meta l4proto {{ tcp, udp }} snat ip to {addresses['wan4']} : "
                f"numgen inc mod {SEQUENTIAL_PORTS} map {{ {ports} }}\n    {lan} masquerade")

    def _ruleset(self, router):
        state = self.state[router]
        addresses = _ROUTERS[router]
        lan4 = f"{addresses['lan4']}.0/24"
        blocks = "\n    ".join(
            f"ip{'6' if ':' in a else ''} daddr {a} drop\n    ip{'6' if ':' in a else ''} saddr {a} drop"
            for a in sorted(state["blocked"]))
        udp_block = 'iifname "lan" oifname "wan" meta l4proto udp drop' if state["udp_blocked"] else ""
        first_client = next(c for c, (r, _) in self.clients.items() if r == router)
        rebound = "\n    ".join(
            f"ip saddr {lan4} udp sport {port} oifname \"wan\" snat ip to {addresses['wan4']}:{new_port}"
            for port, new_port in sorted(state["rebound"].items()))
        hairpin_in = hairpin_out = ""
        if state["hairpin"]:
            hairpin_in = (f'iifname "lan" ip daddr {addresses["wan4"]} meta l4proto udp '
                          f'dnat ip to {self.lan_v4(first_client)}')
            hairpin_out = f"ip saddr {lan4} ip daddr {lan4} ct status dnat snat ip to {addresses['wan4']}"
        return f"""
table inet lab {{ }}
delete table inet lab
table inet lab {{
  chain input {{
    type filter hook input priority filter; policy accept;
    iifname "wan" ct state established,related accept
    iifname "wan" meta l4proto {{ icmp, ipv6-icmp }} accept
    iifname "wan" ip saddr {{ {SERVER_V4}, {SERVER_V4_ALT} }} udp sport {{ {STUN_PORT}, {STUN_ALT_PORT} }} accept
    iifname "wan" drop
  }}
  chain forward {{
    type filter hook forward priority filter; policy drop;
    {blocks}
    {udp_block}
    ct state established,related accept
    iifname "lan" accept
    icmpv6 type echo-request accept
    ct status dnat accept
  }}
  chain prerouting {{
    type nat hook prerouting priority dstnat; policy accept;
    {hairpin_in}
  }}
  chain postrouting {{
    type nat hook postrouting priority srcnat; policy accept;
    {hairpin_out}
    {rebound}
    {self._nat_rule(router)}
  }}
}}
"""

    def _load_rules(self, router):
        self._nft_load(router, self._ruleset(router))

    def _flush_conntrack(self, router):
        # conntrack exits 1 when there was nothing to delete.
        self.run(router, ["conntrack", "-F"], check=False)

    def _router(self, router):
        if router not in self.state:
            raise LabError(f"no router “{router}” in this lab")
        return self.state[router]

    def set_nat(self, router, mode):
        if mode not in NAT_MODES:
            raise LabError(f"unknown NAT mode “{mode}”; one of {', '.join(NAT_MODES)}")
        self._router(router)["nat"] = mode
        self._load_rules(router)
        self._flush_conntrack(router)

    def set_hairpin(self, router, on):
        self._router(router)["hairpin"] = bool(on)
        self._load_rules(router)
        # Old flows to the public address keep their old translation.
        self.run(router, ["conntrack", "-D", "-d", self.wan_v4(router)], check=False)

    def set_udp_blocked(self, router, on):
        self._router(router)["udp_blocked"] = bool(on)
        self._load_rules(router)

    def rebind(self, router, port, new_port):
        """A NAT rebinding: from now on the router maps its clients' UDP port
        PORT to NEW_PORT (still the same for every destination), and every
        existing flow is forgotten, as when a mapping times out."""
        self._router(router)["rebound"][port] = new_port
        self._load_rules(router)
        self._flush_conntrack(router)

    def block(self, router, address):
        """Drops everything the router forwards to or from address; existing
        conntrack entries survive, so unblock() restores the path as it was."""
        self._router(router)["blocked"].add(address)
        self._load_rules(router)

    def unblock(self, router, address):
        self._router(router)["blocked"].discard(address)
        self._load_rules(router)

    # ---- services ------------------------------------------------------------

    def _wait_listening(self, node, process, pattern, what):
        deadline = time.monotonic() + READY_TIMEOUT
        regex = re.compile(pattern)
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise LabError(f"{what} exited ({process.returncode}) before it was ready")
            sockets = self.run(node, ["ss", "-Hlntu"]).stdout
            if regex.search(sockets):
                return
            time.sleep(POLL_INTERVAL)
        raise LabError(f"{what} was not listening within {READY_TIMEOUT} s")

    def _wait_all_listening(self, node, process, patterns, what):
        for pattern in patterns:
            self._wait_listening(node, process, pattern, what)

    def start_stun(self):
        """coturn as a STUN-only server on both server IPv4 addresses (RFC 5780:
        OTHER-ADDRESS, CHANGE-REQUEST) and on its IPv6 address."""
        if self.stun is not None:
            return f"{SERVER_V4}:{STUN_PORT}"
        # An empty configuration: Debian's /etc/turnserver.conf says no-rfc5780.
        config = self.path("turnserver.conf")
        open(config, "w", encoding="ascii").close()
        argv = ["turnserver", "-c", config, "--stun-only", "--no-cli", "--no-tls", "--no-dtls",
                "--listening-port", str(STUN_PORT), "--alt-listening-port", str(STUN_ALT_PORT),
                "-L", SERVER_V4, "-L", SERVER_V4_ALT, "-L", SERVER_V6,
                "--log-file", "stdout", "--simple-log", "--no-software-attribute",
                "--pidfile", self.path("turnserver.pid"), "--userdb", self.path("turndb")]
        log = open(self.path("turnserver.log"), "w", encoding="utf-8")
        self.stun = self.spawn("server", argv, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self._wait_all_listening("server", self.stun, [
            rf"{re.escape(SERVER_V4)}:{STUN_PORT}\b", rf"{re.escape(SERVER_V4_ALT)}:{STUN_PORT}\b",
            rf"{re.escape(SERVER_V4)}:{STUN_ALT_PORT}\b", rf"\[{re.escape(SERVER_V6)}\]:{STUN_PORT}\b",
        ], "turnserver")
        return f"{SERVER_V4}:{STUN_PORT}"

    def start_miniupnpd(self, router, natpmp=True, upnp=True, min_lifetime=120):
        """miniupnpd 2.3.1 on a router, in the foreground; NAT-PMP and PCP
        share one switch (natpmp). Its STUN self-test (the lab's public
        addresses count as reserved for it) needs the lab's STUN server."""
        state = self._router(router)
        self.start_stun()
        lan4 = f"{_ROUTERS[router]['lan4']}.0/24"
        config = self.path(f"miniupnpd-{router}.conf")
        with open(config, "w", encoding="ascii") as out:
            out.write(f"""ext_ifname=wan
listening_ip=lan
http_port=5000
enable_natpmp={'yes' if natpmp else 'no'}
enable_upnp={'yes' if upnp else 'no'}
ext_perform_stun=yes
ext_stun_host={SERVER_V4}
ext_stun_port={STUN_PORT}
secure_mode=yes
system_uptime=no
ipv6_disable=yes
min_lifetime={min_lifetime}
max_lifetime=86400
notify_interval=60
clean_ruleset_interval=600
uuid=3d3cec3a-8cf0-11e0-98ee-001a6b{secrets.token_hex(3)}
lease_file={self.path(f'miniupnpd-{router}.leases')}
allow 1024-65535 {lan4} 1024-65535
deny 0-65535 0.0.0.0/0 0-65535
""")
        log = open(self.path(f"miniupnpd-{router}.log"), "w", encoding="utf-8")
        process = self.spawn(router, ["miniupnpd", "-d", "-f", config,
                                      "-P", self.path(f"miniupnpd-{router}.pid")],
                             stdout=log, stderr=subprocess.STDOUT)
        log.close()
        state["miniupnpd"] = process
        patterns = []
        if natpmp:
            patterns.append(r":5351\b")
        if upnp:
            patterns.append(r":5000\b")
        self._wait_all_listening(router, process, patterns, "miniupnpd")
        self._wait_log(self.path(f"miniupnpd-{router}.log"), process,
                       "port forwarding", "miniupnpd's STUN self-test")
        return process

    def _wait_log(self, path, process, needle, what):
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            with open(path, encoding="utf-8", errors="replace") as log:
                text = log.read()
            if needle.lower() in text.lower():
                return text
            if process.poll() is not None:
                raise LabError(f"{what}: the process exited ({process.returncode}):\n{text[-2000:]}")
            time.sleep(POLL_INTERVAL)
        raise LabError(f"{what} did not finish within {READY_TIMEOUT} s")

    def miniupnpd_log(self, router):
        with open(self.path(f"miniupnpd-{router}.log"), encoding="utf-8", errors="replace") as log:
            return log.read()
