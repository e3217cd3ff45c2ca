"""The CPU-bound audio steps of a video, alone: the music bed and the mix.

    .venv/bin/python benchmarks/bench_mix.py [--seconds 600] [--runs 3] [--topic "forest walk"]

Music: `render_music(seconds, topic=...)` to a WAV: drone, chords, bells and the topic's
nature ambience (the default topic has birdsong; "rain" and "ocean" cost the most). Mix: `mix(voice, music)` — loudness of voice and
music, ducking, BS.1770 normalisation with the true-peak limiter, the measurement of the
written 16-bit samples and the write. The voice is a 22,050 Hz mono narration stand-in
(harmonic bursts of 0.4–3 s with 1–4 s silences, the shape of a read script), so no Piper run
is needed. Wall seconds, median of ``--runs``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from archibald.media.audio import write_wav
from archibald.media.mix import mix
from archibald.media.music import render_music


def narration(seconds: float, rate: int = 22050, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = np.zeros(int(seconds * rate), dtype=np.float32)
    t = 1.0
    while t < seconds - 4:
        length = rng.uniform(0.4, 3.0)
        n = int(length * rate)
        k = np.arange(n) / rate
        f0 = rng.uniform(90, 200)
        tone = sum(np.sin(2 * np.pi * f0 * h * k + rng.uniform(0, 6)) / h for h in range(1, 12))
        envelope = np.sin(np.pi * np.arange(n) / n) ** 0.3
        start = int(t * rate)
        out[start:start + n] = (rng.uniform(0.15, 0.5) * tone * envelope / 3).astype(np.float32)
        t += length + rng.uniform(1.0, 4.0)
    return out[:, None]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=600.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--topic", default="forest walk")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        voice = write_wav(work / "voice.wav", narration(args.seconds - 18), 22050)
        times: dict[str, list[float]] = {"music": [], "mix": []}
        for _ in range(args.runs):
            start = time.perf_counter()
            render_music(args.seconds, work / "music.wav", seed=1, topic=args.topic)
            times["music"].append(time.perf_counter() - start)
            start = time.perf_counter()
            result = mix(voice, work / "music.wav", work / "mix.wav")
            times["mix"].append(time.perf_counter() - start)
    print(f"{args.seconds:.0f} s of audio, {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}; "
          f"mix {result.lufs:.2f} LUFS, true peak {result.true_peak_dbtp:.2f} dBTP, music gain "
          f"at most {result.music_gain_rate:.2f} dB/s")
    for name, values in times.items():
        print(f"| {name} | " + " / ".join(f"{v:.2f}" for v in values)
              + f" | **{statistics.median(values):.2f} s** |")


if __name__ == "__main__":
    main()
