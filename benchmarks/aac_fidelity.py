"""FFmpeg's AAC coders on a real mix: encode time and how close the decoded audio stays.

    .venv/bin/python benchmarks/aac_fidelity.py MIX.wav [--runs 3]

MIX.wav is a 48 kHz stereo mix (e.g. the `mix.wav` a `produce` run keeps under
OUT/.archibald/stages/video_assembly-*/files/). Each coder encodes it at our settings
(`video.audio_args`, AAC-LC 192 kb/s) with only `-aac_coder` changed; the result is decoded
and compared sample by sample with the source: SNR over the whole track and the median and
5th percentile of per-second SNR (silent seconds left out). Encode seconds are the median of
``--runs``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from archibald.media import ffmpeg
from archibald.media.audio import read_audio
from archibald.media.video import audio_args


def _snr(source: np.ndarray, decoded: np.ndarray, rate: int) -> tuple[float, float, float]:
    n = min(len(source), len(decoded))
    a, err = source[:n].astype(np.float64), source[:n] - decoded[:n]
    k = n // rate
    signal = (a[:k * rate] ** 2).reshape(k, rate, -1).sum(axis=(1, 2))
    noise = (err[:k * rate].astype(np.float64) ** 2).reshape(k, rate, -1).sum(axis=(1, 2))
    keep = signal > 1e-6 * signal.max()
    per_second = 10 * np.log10(signal[keep] / np.maximum(noise[keep], 1e-20))
    whole = 10 * np.log10(float((a ** 2).sum()) / float((err.astype(np.float64) ** 2).sum()))
    return whole, float(np.median(per_second)), float(np.percentile(per_second, 5))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mix", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    source, rate = read_audio(args.mix)
    print(f"{args.mix}: {len(source) / rate:.1f} s, {rate} Hz, {source.shape[1]} channels")
    print("| coder | encode (median) | SNR whole | SNR per second: median | 5th percentile |")
    print("|---|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for coder in ("twoloop", "fast"):
            out, wav = Path(tmp) / f"{coder}.m4a", Path(tmp) / f"{coder}.wav"
            argv = audio_args(args.mix, out)
            argv[argv.index("-aac_coder") + 1] = coder
            times = []
            for _ in range(args.runs):
                start = time.perf_counter()
                ffmpeg.run(argv)
                times.append(time.perf_counter() - start)
            ffmpeg.run(["-y", "-i", str(out), "-c:a", "pcm_s16le", str(wav)])
            decoded, _ = read_audio(wav)
            whole, median, low = _snr(source, decoded, rate)
            print(f"| {coder} | {statistics.median(times):.2f} s | {whole:.1f} dB | "
                  f"{median:.1f} dB | {low:.1f} dB |")


if __name__ == "__main__":
    main()
