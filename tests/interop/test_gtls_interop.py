#!/usr/bin/python3
"""Interoperability of the engine's QUIC endpoint with Debian's gtlsclient and
gtlsserver (ngtcp2's GnuTLS examples, packages ngtcp2-client and
ngtcp2-server), mutual TLS with Ed25519 certificates and ALPN h3.

    test_gtls_interop.py QUIC_PEER SCENARIO

SCENARIO is one of:
  client-to-gtlsserver  our client pins gtlsserver's SPKI and completes the
                        handshake, presenting its own certificate
  gtlsclient-to-server  gtlsclient, with an identity exported by quic-peer,
                        completes the handshake with our server, which
                        derives the client's fingerprint from it
  wrong-pin             our client refuses gtlsserver under another pin:
                        TLS alert 42

gtlsserver --verify-client requests a client certificate without checking
it (DESIGN §11), so client verification is tested between our own
endpoints; here the server's checks are ours. Exits 77 (skip) when a tool
is missing, saying which package provides it.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

SKIP = 77
WAIT_SECONDS = 15


def find_tool(name, package):
    path = shutil.which(name, path=os.environ.get("PATH", "") + ":/usr/sbin:/usr/bin")
    if path is None:
        print(f"SKIP: {name} is not installed (Debian package {package})")
        sys.exit(SKIP)
    return path


def run_json(command):
    """Runs a quic-peer command to completion; returns (status, events)."""
    result = subprocess.run(command, capture_output=True, text=True, timeout=WAIT_SECONDS + 5)
    sys.stderr.write(result.stderr)
    events = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    for event in events:
        print("quic-peer:", json.dumps(event))
    return result.returncode, events


def export_identity(quic_peer, directory):
    status, events = run_json([quic_peer, "pem", directory])
    assert status == 0 and events[0]["event"] == "pem", events
    return events[0]


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def udp_port_bound(port):
    with open("/proc/net/udp") as table:
        next(table)
        return any(line.split()[1].endswith(f":{port:04X}") for line in table)


def wait_for(condition, what):
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def start_gtlsserver(identity):
    gtlsserver = find_tool("gtlsserver", "ngtcp2-server")
    port = free_udp_port()
    server = subprocess.Popen(
        [gtlsserver, "-q", "--verify-client", "--timeout=10s", "127.0.0.1", str(port),
         identity["key"], identity["certificate"]],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: udp_port_bound(port) or server.poll() is not None,
                 "gtlsserver to listen")
    except AssertionError:
        server.kill()
        raise
    if server.poll() is not None:
        raise AssertionError(f"gtlsserver exited: {server.stderr.read()}")
    return server, port


def stop(process):
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def client_to_gtlsserver(quic_peer, directory, pin_identity=None):
    server_identity = export_identity(quic_peer, directory)
    pin = pin_identity if pin_identity is not None else server_identity
    server, port = start_gtlsserver(server_identity)
    try:
        return server_identity, run_json(
            [quic_peer, "client", "--connect", f"127.0.0.1:{port}", "--alpn", "h3",
             "--pin-spki", pin["spki_sha256"], "--timeout", str(WAIT_SECONDS)])
    finally:
        stop(server)


def scenario_client_to_gtlsserver(quic_peer, directory):
    server_identity, (status, events) = client_to_gtlsserver(quic_peer, directory)
    assert status == 0, events
    connected = events[-1]
    assert connected["event"] == "connected", connected
    assert connected["alpn"] == "h3", connected
    assert connected["peer_fingerprint"] == server_identity["fingerprint"], connected


def scenario_wrong_pin(quic_peer, directory):
    other_directory = os.path.join(directory, "other")
    os.mkdir(other_directory)
    someone_else = export_identity(quic_peer, other_directory)
    _, (status, events) = client_to_gtlsserver(quic_peer, directory, pin_identity=someone_else)
    assert status == 1, events
    error = events[-1]
    assert error["event"] == "error", error
    assert error["code"] == "PEER_VERIFICATION", error
    assert "TLS alert 42 (bad certificate)" in error["message"], error
    assert "does not match the pinned SPKI hash" in error["message"], error


def scenario_gtlsclient_to_server(quic_peer, directory):
    gtlsclient = find_tool("gtlsclient", "ngtcp2-client")
    client_identity = export_identity(quic_peer, directory)
    server = subprocess.Popen(
        [quic_peer, "server", "--listen", "127.0.0.1:0", "--alpn", "h3", "--once",
         "--allow", client_identity["fingerprint"], "--timeout", str(WAIT_SECONDS)],
        stdout=subprocess.PIPE, text=True)
    client = None
    try:
        ready = json.loads(server.stdout.readline())
        print("quic-peer:", json.dumps(ready))
        assert ready["event"] == "ready", ready
        client = subprocess.Popen(
            [gtlsclient, "-q", "--timeout=10s", "--key", client_identity["key"],
             "--cert", client_identity["certificate"], "127.0.0.1", str(ready["port"])],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        incoming = json.loads(server.stdout.readline())
        print("quic-peer:", json.dumps(incoming))
        assert incoming["event"] == "incoming", incoming
        assert incoming["alpn"] == "h3", incoming
        assert incoming["fingerprint"] == client_identity["fingerprint"], incoming
        assert server.wait(timeout=WAIT_SECONDS) == 0
        # Our server closed the connection: gtlsclient must see it and stop.
        client.wait(timeout=WAIT_SECONDS)
    finally:
        stop(server)
        if client is not None:
            stop(client)


SCENARIOS = {
    "client-to-gtlsserver": scenario_client_to_gtlsserver,
    "gtlsclient-to-server": scenario_gtlsclient_to_server,
    "wrong-pin": scenario_wrong_pin,
}


def main():
    if len(sys.argv) != 3 or sys.argv[2] not in SCENARIOS:
        print(f"usage: {sys.argv[0]} QUIC_PEER {'|'.join(SCENARIOS)}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="earshot-interop-") as directory:
        SCENARIOS[sys.argv[2]](sys.argv[1], directory)
    print(f"{sys.argv[2]}: passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
