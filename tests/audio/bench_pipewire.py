#!/usr/bin/python3
"""Live audio's figures, each next to a baseline measured in the same run:

- CPU of each end of a call with --audio pipewire (PipeWire streams, echo
  cancellation, noise suppression, gain control) over SECONDS of speech,
  against the same call with --audio wav (the engine alone: files, no
  PipeWire, no voice processing). User + system time from /proc/PID/stat
  (what getrusage reports for the process), sampled on the caller's
  per-second stats events, divided by the wall time between them.
- Mouth-to-ear delay through PipeWire: one recorder hears the caller's
  microphone and the callee's speaker in the same graph cycle, and the
  quality tool aligns the two. Baseline: the WAV call's recording against
  the WAV it played (the engine's path without devices; each side's clock
  starts at its own "active", so it is approximate).
- The voice processing's cost per 20 ms frame against Opus encoding of the
  same frame (bench-echo-canceller).

    bench_pipewire.py BENCH_ECHO_CANCELLER [--seconds 30]

A benchmark, not a test: exits 0 whatever the figures (1 if a run fails,
77 without PipeWire).
"""
import argparse
import json
import os
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_pipewire  # noqa: E402
from test_pipewire import Lab, PipewireSession, quality, read_wav, write_wav  # noqa: E402
import pipewire_session  # noqa: E402

SPEECH = os.environ.get("EARSHOT_SPEECH_WAV")
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS       # utime + stime


def wall_seconds():
    return os.times().elapsed


def looped_speech(lab, seconds):
    path = lab.path("looped.wav")
    repeats = int(seconds / 9) + 2
    subprocess.run(["sox", SPEECH, path, "repeat", str(repeats)], check=True, timeout=60)
    return path


def measure_cpu(caller, callee, seconds):
    """CPU % of both ends between the 2nd and the (2 + seconds)th stats
    event after the call became active."""
    samples = []
    for count in range(2 + seconds + 1):
        caller.expect("stats", timeout=10)
        if count in (2, 2 + seconds):
            samples.append((wall_seconds(), cpu_seconds(caller.process.pid),
                            cpu_seconds(callee.process.pid)))
    (t0, a0, b0), (t1, a1, b1) = samples
    return 100 * (a1 - a0) / (t1 - t0), 100 * (b1 - b0) / (t1 - t0)


def two_clients(lab, caller_args, callee_args):
    relay = lab.relay()
    a_home, _ = lab.identity("a")
    b_home, b = lab.identity("b")
    callee = lab.client("b", b_home, relay.spec, "listen", "--auto-answer", *callee_args)
    callee.expect("registered")
    caller = lab.client("a", a_home, relay.spec, "call", b, *caller_args)
    caller.expect("call-state", state="active", timeout=30)
    callee.expect("call-state", state="active", timeout=30)
    return caller, callee


def hang_up(caller):
    caller.signal(signal.SIGINT)
    caller.expect("call-state", state="ended", timeout=20)
    caller.wait_exit()


def wav_call(seconds):
    lab = Lab("earshot-bench-wav")
    try:
        speech = looped_speech(lab, seconds)
        heard = lab.path("heard.wav")
        caller, callee = two_clients(lab, ["--play", speech], ["--record", heard])
        cpu = measure_cpu(caller, callee, seconds)
        hang_up(caller)
        callee.stop()
        # Scored over what the call lasted: the file played on past it.
        recorded = read_wav(heard)[:, 0]
        played = lab.path("played.wav")
        write_wav(played, read_wav(speech)[:len(recorded), 0])
        return cpu, quality(played, heard)
    finally:
        lab.close()


def pipewire_call(seconds):
    session = PipewireSession()
    lab = Lab("earshot-bench-pipewire")
    try:
        session.start()
        lab.base_env.update(session.env)
        for name in ("mic_a", "mic_b"):
            session.create_source(name)
        for name in ("speaker_a", "speaker_b"):
            session.create_sink(name)
        both = lab.path("both.wav")
        recorder = session.record_ports(both, "mic_a:capture_MONO", "speaker_b:monitor_MONO")
        caller, callee = two_clients(
            lab, ["--audio", "pipewire", "--input", "mic_a", "--output", "speaker_a"],
            ["--audio", "pipewire", "--input", "mic_b", "--output", "speaker_b"])
        session.play_into("mic_a", looped_speech(lab, seconds))
        cpu = measure_cpu(caller, callee, seconds)
        hang_up(caller)
        callee.stop()
        PipewireSession.stop_recording(recorder)
        channels = read_wav(both)
        mouth, ear = lab.path("mouth.wav"), lab.path("ear.wav")
        write_wav(mouth, channels[:, 0])
        write_wav(ear, channels[:, 1])
        return cpu, quality(mouth, ear)
    finally:
        lab.close()
        session.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bench_echo_canceller")
    parser.add_argument("--seconds", type=int, default=30)
    args = parser.parse_args()
    if pipewire_session.missing_programs() or test_pipewire.np is None or not SPEECH:
        print("SKIP: needs PipeWire, numpy and the speech signal")
        return 77

    run = subprocess.run([args.bench_echo_canceller, SPEECH], capture_output=True, text=True,
                         timeout=300, check=True)
    costs = json.loads(run.stdout)
    (wav_caller, wav_callee), wav_score = wav_call(args.seconds)
    (pw_caller, pw_callee), pw_score = pipewire_call(args.seconds)

    print(f"Live audio, {args.seconds} s of speech per call, this machine")
    print(f"{'figure':<44} {'pipewire + voice processing':>28} {'baseline: wav':>14}")
    print(f"{'CPU of the caller (% of one core)':<44} {pw_caller:>28.2f} {wav_caller:>14.2f}")
    print(f"{'CPU of the callee (% of one core)':<44} {pw_callee:>28.2f} {wav_callee:>14.2f}")
    print(f"{'mouth-to-ear delay (ms)':<44} {pw_score['delay_ms']:>28.1f} "
          f"{wav_score['delay_ms']:>14.1f}")
    print(f"{'correlation with what was said':<44} {pw_score['correlation']:>28.3f} "
          f"{wav_score['correlation']:>14.3f}")
    print(f"{'dropouts (share of speech)':<44} {pw_score['dropout_fraction']:>28.3f} "
          f"{wav_score['dropout_fraction']:>14.3f}")
    print()
    print(f"{'per 20 ms frame (µs of one core)':<44} {'':>28} {'baseline: Opus':>14}")
    print(f"{'echo cancellation + noise + gain':<44} {costs['echo_noise_gain_us']:>28.1f} "
          f"{costs['opus_encode_us']:>14.1f}")
    print(f"{'echo cancellation alone':<44} {costs['echo_only_us']:>28.1f} "
          f"{costs['opus_encode_us']:>14.1f}")
    print(json.dumps({"pipewire": {"cpu_caller_pct": pw_caller, "cpu_callee_pct": pw_callee,
                                   **pw_score},
                      "wav": {"cpu_caller_pct": wav_caller, "cpu_callee_pct": wav_callee,
                              **wav_score},
                      "processing_us_per_frame": costs}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
