#!/usr/bin/python3
"""Issue 5's table: real earshot-cli calls on loopback through earshot-relay,
speech played by the caller and recorded by the callee, scored with
tests/tools/audio_quality.py.

- mouth-to-ear delay of the engine (framing, network, jitter buffer,
  decoding; the WAV backends stand for the sound cards), with no impairment
  and with 30 ms of jitter (target <= 60 ms without impairment);
- quality (correlation with what was played) and concealed time at 0, 5, 10
  and 20 % random loss, for the adaptive engine next to the baseline of
  issue 4 measured in the same run: one fixed 24 kbit/s tier without FEC
  (EARSHOT_QUALITY=fixed);
- CPU of a whole call, both ends, as a share of one core, next to the same
  two clients registered and idle for as long (target <= 2 % of one core).

Usage: call-quality-bench.py CLI RELAY SPEECH.wav QUALITY_TOOL
"""
import json
import os
import resource
import statistics
import subprocess
import sys
import time

CALL_S = 11
SEEDS = 3


def children_cpu_s():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class Bench:
    def __init__(self, speech, quality_tool):
        import harness
        self.harness = harness
        self.speech = speech
        self.quality_tool = quality_tool

    def pair(self, lab):
        relay = lab.relay()
        a_home, _ = lab.identity("a")
        b_home, b = lab.identity("b")
        return relay, a_home, b_home, b

    def call(self, env):
        """One call; returns (quality report, callee's last stats, CPU s of
        both clients)."""
        lab = self.harness.Lab("earshot-quality-bench")
        try:
            relay, a_home, b_home, b = self.pair(lab)
            recording = lab.path("b.wav")
            before = children_cpu_s()
            callee = lab.client("b", b_home, relay.spec, "listen", "--auto-answer",
                                "--record", recording, env_extra=env)
            callee.expect("registered")
            caller = lab.client("a", a_home, relay.spec, "call", b, "--play", self.speech,
                                "--duration", str(CALL_S), env_extra=env)
            if caller.wait_exit(timeout=CALL_S + 40) != 0:
                raise RuntimeError(f"the call failed: {caller.stderr()}")
            callee.expect("call-state", state="ended")
            stats = [e for e in callee.all_events() if e.get("event") == "stats"]
            callee.stop()
            cpu = children_cpu_s() - before
            run = subprocess.run(["/usr/bin/python3", self.quality_tool, self.speech, recording],
                                 capture_output=True, text=True, timeout=120, check=True)
            return json.loads(run.stdout), stats[-1], cpu
        finally:
            lab.close()

    def idle_cpu(self):
        """Two clients registered with the relay, no call, for CALL_S."""
        lab = self.harness.Lab("earshot-quality-bench")
        try:
            relay, a_home, b_home, _ = self.pair(lab)
            before = children_cpu_s()
            clients = [lab.client(name, home, relay.spec, "listen")
                       for name, home in (("a", a_home), ("b", b_home))]
            for client in clients:
                client.expect("registered")
            time.sleep(CALL_S)   # the measured interval, not a wait for an event
            for client in clients:
                client.stop()
            return children_cpu_s() - before
        finally:
            lab.close()


def main(argv):
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    cli, relay, speech, quality_tool = argv
    os.environ.update(EARSHOT_CLI=cli, EARSHOT_RELAY_PROGRAM=relay,
                      EARSHOT_INTERFACES="lo", EARSHOT_PORTMAP="off")
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                    "..", "tests", "integration"))
    bench = Bench(speech, quality_tool)

    print(f"Mouth-to-ear delay over loopback ({CALL_S} s calls; target <= 60 ms clean)")
    for name, impair in (("no impairment", None), ("30 ms jitter", "jitter=30,seed=5")):
        report, stats, _ = bench.call({"EARSHOT_IMPAIR": impair} if impair else {})
        print(f"  {name:<16} {report['delay_ms']:6.1f} ms  (range {report['delay_min_ms']:.0f}"
              f"..{report['delay_max_ms']:.0f} ms; jitter buffer target "
              f"{stats['target_delay_ms']:.0f} ms)")
    sys.stdout.flush()

    print(f"Quality at random loss: correlation / concealed share of the call "
          f"(median of {SEEDS} calls, each with its own loss pattern)")
    print(f"  {'loss':>5}   {'baseline: fixed 24k':>22}   {'adaptive':>18}")
    for loss in (0, 5, 10, 20):
        row = []
        for quality in ("fixed", "adaptive"):
            correlations, concealed = [], []
            for seed in range(1, SEEDS + 1):
                env = {"EARSHOT_QUALITY": quality}
                if loss:
                    env["EARSHOT_IMPAIR"] = f"loss={loss},seed={seed}"
                report, stats, _ = bench.call(env)
                correlations.append(report["correlation"])
                concealed.append(stats["concealed_ms"] / (CALL_S * 1000))
            row.append(f"{statistics.median(correlations):.3f} / "
                       f"{statistics.median(concealed) * 100:4.1f} %")
        print(f"  {loss:>4}%   {row[0]:>22}   {row[1]:>18}")
        sys.stdout.flush()

    _, _, call_cpu = bench.call({})
    idle_cpu = bench.idle_cpu()
    print(f"CPU of both ends over a {CALL_S} s call, share of one core (target <= 2 % per end)")
    print(f"  call:  {call_cpu:6.2f} s = {call_cpu / CALL_S / 2 * 100:5.2f} % per end")
    print(f"  baseline, registered and idle: {idle_cpu:6.2f} s = "
          f"{idle_cpu / CALL_S / 2 * 100:5.2f} % per end")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
