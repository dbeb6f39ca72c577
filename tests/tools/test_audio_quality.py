#!/usr/bin/python3
"""Self-test of audio_quality.py: it must find a known delay, score a copy
perfectly, and score a noisy, band-limited or broken copy worse, in the
direction and roughly by the amount each damage implies."""
import json
import os
import subprocess
import sys
import tempfile
import unittest
import wave

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
try:
    import numpy as np
    import audio_quality
except SystemExit:
    print("SKIP: numpy is missing (apt-get install python3-numpy)")
    sys.exit(77)

RATE = 48000
TOOL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "audio_quality.py")


def speech_like(seconds=6.0, seed=1):
    """Voiced syllables (harmonics of a gliding pitch, 4 Hz envelope) with
    some noise, and a pause every 1.5 s: enough of speech's structure for
    alignment and per-segment scores."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * RATE)) / RATE
    pitch = 150 + 50 * np.sin(2 * np.pi * 0.7 * t)
    phase = 2 * np.pi * np.cumsum(pitch) / RATE
    voiced = sum(np.sin(k * phase) / k for k in range(1, 20))
    envelope = np.clip(np.sin(2 * np.pi * 4 * t), 0, None) ** 0.5
    envelope[(t % 1.5) > 1.2] = 0
    signal = envelope * (0.2 * voiced + 0.02 * rng.standard_normal(len(t)))
    return signal / np.max(np.abs(signal)) * 0.5


def write_wav(path, samples):
    data = np.clip(np.round(samples * 32768), -32768, 32767).astype("<i2")
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(data.tobytes())


class AudioQualityTest(unittest.TestCase):
    def setUp(self):
        self.reference = speech_like()

    def score(self, recorded):
        return audio_quality.analyse(self.reference, recorded, RATE)

    def test_identical_copy_with_known_delay(self):
        delay = 5923  # 123.40 ms
        result = self.score(np.concatenate([np.zeros(delay), self.reference, np.zeros(100)]))
        self.assertAlmostEqual(result["delay_ms"], 123.40, delta=0.03)
        self.assertEqual(result["delay_min_ms"], result["delay_max_ms"])
        self.assertGreater(result["correlation"], 0.9999)
        self.assertEqual(result["segsnr_db"], 35.0)
        self.assertLess(result["lsd_db"], 0.01)
        self.assertEqual(result["dropout_fraction"], 0.0)

    def test_recording_that_starts_early(self):
        result = self.score(self.reference[480:])
        self.assertAlmostEqual(result["delay_ms"], -10.0, delta=0.03)
        self.assertGreater(result["correlation"], 0.999)

    def test_noise_lowers_the_scores_by_its_level(self):
        rng = np.random.default_rng(2)
        noise = rng.standard_normal(len(self.reference))
        noise *= np.sqrt(np.mean(self.reference ** 2) / np.mean(noise ** 2)) * 10 ** (-10 / 20)
        result = self.score(self.reference + noise)
        self.assertAlmostEqual(result["delay_ms"], 0.0, delta=0.03)
        self.assertEqual(result["delay_min_ms"], result["delay_max_ms"])
        self.assertLess(result["correlation"], 0.97)
        self.assertGreater(result["correlation"], 0.9)
        # Overall SNR is 10 dB; louder segments score more, quieter less.
        self.assertGreater(result["segsnr_db"], 3.0)
        self.assertLess(result["segsnr_db"], 15.0)
        self.assertGreater(result["lsd_db"], 3.0)

    def test_decimation_raises_the_spectral_distance(self):
        # 8 kHz telephone band: average 6 samples, keep one, hold it.
        decimated = np.convolve(self.reference, np.ones(6) / 6, mode="same")[::6]
        recorded = np.repeat(decimated, 6)[:len(self.reference)]
        result = self.score(recorded)
        self.assertLess(result["correlation"], 0.99)
        self.assertLess(result["segsnr_db"], 20.0)
        self.assertGreater(result["lsd_db"], 5.0)
        self.assertEqual(result["dropout_fraction"], 0.0)

    def test_dropouts_are_counted(self):
        recorded = self.reference.copy()
        # Mute 100 ms in every 400 ms: a quarter of the time.
        for start in range(0, len(recorded), RATE * 4 // 10):
            recorded[start:start + RATE // 10] = 0
        result = self.score(recorded)
        self.assertGreater(result["dropout_fraction"], 0.18)
        self.assertLess(result["dropout_fraction"], 0.32)

    def test_moving_delay_is_followed(self):
        # A jitter buffer that grows its delay by one 20 ms block mid-way.
        half = len(self.reference) // 2
        recorded = np.concatenate([np.zeros(2400), self.reference[:half], np.zeros(960),
                                   self.reference[half:]])
        result = self.score(recorded)
        self.assertAlmostEqual(result["delay_min_ms"], 50.0, delta=0.03)
        self.assertAlmostEqual(result["delay_max_ms"], 70.0, delta=0.03)
        self.assertGreater(result["correlation"], 0.98)

    def test_command_line_prints_json(self):
        with tempfile.TemporaryDirectory() as work:
            reference = os.path.join(work, "reference.wav")
            recorded = os.path.join(work, "recorded.wav")
            write_wav(reference, self.reference)
            write_wav(recorded, np.concatenate([np.zeros(960), self.reference]))
            run = subprocess.run([sys.executable, TOOL, reference, recorded],
                                 capture_output=True, text=True, check=True)
            result = json.loads(run.stdout)
            self.assertAlmostEqual(result["delay_ms"], 20.0, delta=0.03)
            self.assertGreater(result["correlation"], 0.999)

            broken = os.path.join(work, "broken.wav")
            with open(broken, "wb") as f:
                f.write(b"RIFF\x00\x00")
            run = subprocess.run([sys.executable, TOOL, reference, broken],
                                 capture_output=True, text=True)
            self.assertEqual(run.returncode, 2)
            self.assertIn("broken.wav", run.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
