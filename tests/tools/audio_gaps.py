#!/usr/bin/python3
"""Finds the gaps in a recording of a continuous tone.

    audio_gaps.py RECORDED.wav [--threshold-db DB] [--segment-ms MS]

Where a call carried a steady tone, any stretch where the recording falls
more than --threshold-db (default 20) below its median level is a gap: audio
that did not arrive (the jitter buffer's concealment fades within tens of
milliseconds, so a gap is measured to within a segment). Leading and trailing
silence (before the call became active, after it ended) is not a gap.

Prints one JSON object: {"gaps":[[start_ms, length_ms], ...],
"longest_gap_ms": N, "total_gap_ms": N, "recorded_ms": N}.
Exit status: 0 measured, 2 bad input, 77 numpy missing.
"""
import argparse
import json
import sys
import wave

try:
    import numpy as np
except ImportError:
    print("audio_gaps.py needs numpy: apt-get install python3-numpy", file=sys.stderr)
    sys.exit(77)


def read_wav(path):
    with wave.open(path, "rb") as f:
        if f.getsampwidth() != 2:
            raise ValueError(f"{path}: 16-bit samples expected")
        frames = np.frombuffer(f.readframes(f.getnframes()), dtype="<i2").astype(np.float64)
        channels = f.getnchannels()
        return frames.reshape(-1, channels).mean(axis=1), f.getframerate()


def find_gaps(signal, rate, threshold_db, segment_ms):
    segment = int(rate * segment_ms / 1000)
    count = len(signal) // segment
    if count == 0:
        return []
    frames = signal[:count * segment].reshape(count, segment)
    level = 10 * np.log10(np.mean(frames ** 2, axis=1) + 1e-9)
    loud = level > np.median(level[level > level.max() - 40]) - threshold_db
    if not loud.any():
        return []
    first, last = int(np.argmax(loud)), count - 1 - int(np.argmax(loud[::-1]))
    gaps, start = [], None
    for i in range(first, last + 1):
        if not loud[i] and start is None:
            start = i
        elif loud[i] and start is not None:
            gaps.append([start * segment_ms, (i - start) * segment_ms])
            start = None
    return gaps


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("recorded")
    parser.add_argument("--threshold-db", type=float, default=20.0)
    parser.add_argument("--segment-ms", type=float, default=10.0)
    args = parser.parse_args(argv)
    try:
        signal, rate = read_wav(args.recorded)
    except (OSError, ValueError, EOFError, wave.Error) as error:
        print(f"audio_gaps.py: {error}", file=sys.stderr)
        return 2
    gaps = find_gaps(signal, rate, args.threshold_db, args.segment_ms)
    print(json.dumps({
        "gaps": gaps,
        "longest_gap_ms": max((g[1] for g in gaps), default=0),
        "total_gap_ms": sum(g[1] for g in gaps),
        "recorded_ms": round(len(signal) * 1000 / rate, 1),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
