#!/usr/bin/python3
"""Scores a recorded WAV against the reference WAV it should reproduce.

    audio_quality.py REFERENCE.wav RECORDED.wav [--max-delay-ms MS]

Prints one JSON object on stdout:

  delay_ms          how much later the recording starts (cross-correlation;
                    negative if it starts earlier)
  delay_min_ms, delay_max_ms
                    the range of the local delay: a jitter buffer that grows
                    or shrinks its delay moves the audio by whole blocks, so
                    every 200 ms window is aligned on its own, within
                    --local-search-ms of the global delay
  correlation       normalised correlation of reference and aligned recording
  segsnr_db         segmental SNR over the speech-active 20 ms segments, each
                    clamped to [-10, 35] dB
  lsd_db            log-spectral distance over the same segments (spectra in
                    dB, each floored 60 dB below the reference's peak)
  dropout_fraction  share of active segments where the recording is silent or
                    more than 20 dB below the reference (dropouts, muting)
  duration_ms, recorded_ms, active_ms

A segment is active when its level is within 40 dB of the loudest segment of
the reference (and above -70 dBFS). Both files must have the same sample rate
and 16-bit samples; several channels are averaged.

Exit status: 0 scored, 2 bad input, 77 numpy missing (Debian: python3-numpy).
"""
import argparse
import json
import sys
import wave

try:
    import numpy as np
except ImportError:
    print("audio_quality.py needs numpy: apt-get install python3-numpy", file=sys.stderr)
    sys.exit(77)

SEGMENT_MS = 20
WINDOW_MS = 200
ACTIVE_RANGE_DB = 40.0
ACTIVE_FLOOR_DBFS = -70.0
SNR_MIN_DB, SNR_MAX_DB = -10.0, 35.0
SPECTRUM_RANGE_DB = 60.0
DROPOUT_DB = 20.0
# Below this local correlation a window keeps the previous window's delay:
# concealed or missing audio says nothing about where the audio is.
MIN_LOCAL_CORRELATION = 0.5
# A window moves off the delay before it only for a clearly better match:
# voiced speech is nearly periodic and matches almost as well a pitch
# period away.
LOCAL_MOVE_MARGIN = 0.05
EPSILON = 1e-12


class InputError(Exception):
    pass


def read_wav(path):
    """Returns (samples as float64 in [-1, 1), sample rate)."""
    try:
        with wave.open(path, "rb") as w:
            if w.getsampwidth() != 2:
                raise InputError(f"{path}: {8 * w.getsampwidth()}-bit samples; 16-bit needed")
            channels = w.getnchannels()
            rate = w.getframerate()
            raw = w.readframes(w.getnframes())
    except (OSError, EOFError, wave.Error) as error:
        raise InputError(f"{path}: {error}") from error
    samples = np.frombuffer(raw, dtype="<i2").astype(np.float64) / 32768.0
    return samples.reshape(-1, channels).mean(axis=1), rate


def cross_correlation(a, b):
    """c[k] = sum a[n] b[n + k] for every lag, through the FFT; index k and
    k - size for negative lags."""
    size = 1 << int(np.ceil(np.log2(len(a) + len(b) + 1)))
    spectrum = np.conj(np.fft.rfft(a, size)) * np.fft.rfft(b, size)
    return np.fft.irfft(spectrum, size), size


def find_delay(reference, recorded, max_lag):
    """The lag (in samples) at which the recording best matches."""
    correlation, size = cross_correlation(reference, recorded)
    lags = np.arange(-max_lag, max_lag + 1)
    values = correlation[lags % size]
    return int(lags[np.argmax(values)])


def shifted(signal, start, length):
    """signal[start:start + length], zeros where it does not reach."""
    out = np.zeros(length)
    lo, hi = max(start, 0), min(start + length, len(signal))
    if hi > lo:
        out[lo - start:hi - start] = signal[lo:hi]
    return out


def local_delays(reference, recorded, delay, window, search):
    """The best delay of each window, searched within +-search of delay."""
    delays = []
    current = delay
    for start in range(0, len(reference), window):
        ref = reference[start:start + window]
        region = shifted(recorded, start + delay - search, len(ref) + 2 * search)
        ref_energy = float(np.dot(ref, ref))
        if ref_energy > EPSILON:
            correlation, size = cross_correlation(ref, region)
            lags = np.arange(0, 2 * search + 1)
            cumulative = np.concatenate(([0.0], np.cumsum(region ** 2)))
            energies = cumulative[lags + len(ref)] - cumulative[lags]
            scores = correlation[lags % size] / np.sqrt(ref_energy * energies + EPSILON)
            best = int(np.argmax(scores))
            kept = scores[current - delay + search]
            if scores[best] >= MIN_LOCAL_CORRELATION and scores[best] > kept + LOCAL_MOVE_MARGIN:
                current = delay - search + best
        delays.append(current)
    return delays


def align(reference, recorded, delays, window):
    aligned = np.zeros(len(reference))
    for index, lag in enumerate(delays):
        start = index * window
        length = min(window, len(reference) - start)
        aligned[start:start + length] = shifted(recorded, start + lag, length)
    return aligned


def segment_levels_db(signal, segment):
    frames = signal[:len(signal) // segment * segment].reshape(-1, segment)
    return 10 * np.log10(np.mean(frames ** 2, axis=1) + EPSILON), frames


def log_spectral_distance(ref_frames, rec_frames):
    window = np.hanning(ref_frames.shape[1])
    ref_db = 10 * np.log10(np.abs(np.fft.rfft(ref_frames * window, axis=1)) ** 2 + EPSILON)
    rec_db = 10 * np.log10(np.abs(np.fft.rfft(rec_frames * window, axis=1)) ** 2 + EPSILON)
    floor = ref_db.max(axis=1, keepdims=True) - SPECTRUM_RANGE_DB
    difference = np.maximum(ref_db, floor) - np.maximum(rec_db, floor)
    return np.sqrt(np.mean(difference ** 2, axis=1))


def analyse(reference, recorded, rate, max_delay_ms=2000.0, local_search_ms=100.0):
    if len(reference) == 0 or len(recorded) == 0:
        raise InputError("nothing to compare: a file has no samples")
    ms = rate / 1000.0
    segment = int(SEGMENT_MS * ms)
    window = int(WINDOW_MS * ms)

    delay = find_delay(reference, recorded, int(max_delay_ms * ms))
    delays = local_delays(reference, recorded, delay, window, int(local_search_ms * ms))
    aligned = align(reference, recorded, delays, window)

    ref_db, ref_frames = segment_levels_db(reference, segment)
    rec_db, rec_frames = segment_levels_db(aligned, segment)
    active = (ref_db > ref_db.max() - ACTIVE_RANGE_DB) & (ref_db > ACTIVE_FLOOR_DBFS)
    if not active.any():
        raise InputError("the reference is silent")

    noise = np.sum((ref_frames - rec_frames) ** 2, axis=1)
    snr = 10 * np.log10(np.sum(ref_frames ** 2, axis=1) / (noise + EPSILON) + EPSILON)
    snr = np.clip(snr, SNR_MIN_DB, SNR_MAX_DB)
    lsd = log_spectral_distance(ref_frames[active], rec_frames[active])
    dropouts = rec_db[active] < ref_db[active] - DROPOUT_DB
    correlation = np.dot(reference, aligned) / np.sqrt(
        np.dot(reference, reference) * np.dot(aligned, aligned) + EPSILON)

    return {
        "delay_ms": round(delay / ms, 2),
        "delay_min_ms": round(min(delays) / ms, 2),
        "delay_max_ms": round(max(delays) / ms, 2),
        "correlation": round(float(correlation), 4),
        "segsnr_db": round(float(np.mean(snr[active])), 2),
        "lsd_db": round(float(np.mean(lsd)), 2),
        "dropout_fraction": round(float(np.mean(dropouts)), 4),
        "duration_ms": round(len(reference) / ms, 1),
        "recorded_ms": round(len(recorded) / ms, 1),
        "active_ms": round(float(np.sum(active)) * SEGMENT_MS, 1),
    }


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reference")
    parser.add_argument("recorded")
    parser.add_argument("--max-delay-ms", type=float, default=2000.0)
    parser.add_argument("--local-search-ms", type=float, default=100.0)
    args = parser.parse_args(argv)
    try:
        reference, rate = read_wav(args.reference)
        recorded, recorded_rate = read_wav(args.recorded)
        if rate != recorded_rate:
            raise InputError(f"sample rates differ: {rate} Hz and {recorded_rate} Hz")
        result = analyse(reference, recorded, rate, args.max_delay_ms, args.local_search_ms)
    except InputError as error:
        print(f"audio_quality.py: {error}", file=sys.stderr)
        return 2
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
