"""Issue 12's media checks, measured on offline `produce` runs for topics no test uses.

    .venv/bin/python benchmarks/media_checks.py --minutes 10 [--docs docs/media]

For each topic: `archibald produce` offline (no keys, every stage local) into a scratch folder,
then, from the files it wrote (route-blind, with the measures in archibald.media.quality):

- the music's gain through the mix (``archibald.quality.gain.music_gain_db``): fastest change;
- loudness of the middle minute and of the last minute (a sleep session must fall ≥ 3 LU);
- frames at 0 s, 30 s and 300 s: mean absolute difference of each pair (0..255);
- the encode spec (``validate_video``: H.264 High yuv420p BT.709 1080p30, AAC-LC 48 kHz,
  faststart) and the thumbnail's words and contrast.

With ``--docs`` it also writes small PNGs there: the three frames, the thumbnail and a
spectrogram of the mix, per topic.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from archibald.media.audio import read_audio
from archibald.media.loudness import integrated_lufs
from archibald.media.music import ambience_for
from archibald.media.probe import frame_at
from archibald.media.quality import validate_video
from archibald.quality.gain import gain_rate, music_gain_db
from archibald.media.scene import scene_kind

TOPICS = ("Sleep after a long-haul flight", "A quiet lake at dawn",
          "Grounding walk in an autumn forest")
KEYS = ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "DEEPSEEK_API_KEY", "PERPLEXITY_API_KEY",
        "ELEVENLABS_API_KEY", "FAL_KEY", "OPENHANDS_URL", "OPENHANDS_API_KEY", "OLLAMA_BASE_URL")
LEAD_IN = 3.0


def produce(topic: str, minutes: float, seed: int, out: Path, home: Path) -> float:
    env = {k: v for k, v in os.environ.items() if k not in KEYS}
    env["ARCHIBALD_HOME"] = str(home)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "archibald", "produce", "--topic", topic,
                           "--minutes", str(minutes), "--out", str(out), "--seed", str(seed)],
                          env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(proc.stdout[-2000:] + proc.stderr[-2000:])
    return time.perf_counter() - start


def stage_file(out: Path, stage: str, name: str) -> Path:
    return next((out / ".archibald" / "stages").glob(f"{stage}-*/files/{name}"))


def stage_value(out: Path, stage: str) -> dict[str, Any]:
    path = next((out / ".archibald" / "stages").glob(f"{stage}-*/result.json"))
    value: dict[str, Any] = json.loads(path.read_text())["value"]
    return value


def spectrogram(samples: np.ndarray, path: Path, title: str) -> None:
    """Power per ~1 s and frequency (up to 6 kHz), in dB: pauses and bed stay visible."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from scipy.signal import spectrogram as stft_power

    freqs, times, power = stft_power(samples.mean(axis=1), fs=48000, nperseg=4096,
                                     noverlap=0)
    group = max(1, len(times) // 480)
    cols = len(times) // group
    power = power[:, :cols * group].reshape(len(freqs), cols, group).mean(axis=2)
    keep = freqs <= 6000
    fig, ax = plt.subplots(figsize=(6.4, 2.6), dpi=80)
    ax.imshow(10 * np.log10(power[keep] + 1e-14), origin="lower", aspect="auto",
              cmap="magma", vmin=-110, vmax=-30,
              extent=(0, float(times[cols * group - 1]), 0, float(freqs[keep][-1])))
    ax.set_xlabel("seconds")
    ax.set_ylabel("Hz")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def small_png(pixels: np.ndarray, path: Path, width: int = 480) -> None:
    from PIL import Image

    image = Image.fromarray(pixels)
    image.resize((width, round(width * image.height / image.width)),
                 Image.Resampling.LANCZOS).save(path, optimize=True)


def check(topic: str, minutes: float, seed: int, docs: Path | None,
          slug: str) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        wall = produce(topic, minutes, seed, out, Path(tmp) / "home")
        concept = stage_value(out, "meditation_concept")["concept"]
        video = out / "video.mp4"
        mix, rate = read_audio(stage_file(out, "video_assembly", "mix.wav"))
        voice, voice_rate = read_audio(stage_file(out, "audio_generation", "voice.wav"))
        music, music_rate = read_audio(stage_file(out, "music_generation", "music.wav"))
        facts = validate_video(video, len(mix) / rate)
        gain = music_gain_db(mix, rate, music, music_rate, voice=(voice, voice_rate),
                             lead_in=LEAD_IN)
        spoken = slice(int(LEAD_IN / 0.1), int((LEAD_IN + len(voice) / voice_rate) / 0.1))
        minute = 60 * rate
        middle = len(mix) // 2
        frames = {s: frame_at(video, s) for s in (0.0, 30.0, 300.0) if s < len(mix) / rate}
        pairs = {f"{a:g}-{b:g}": float(np.mean(np.abs(frames[a].astype(float)
                                                       - frames[b].astype(float))))
                 for a in frames for b in frames if a < b}
        thumb = stage_value(out, "thumbnail")
        result: dict[str, object] = {
            "topic": topic, "wall_s": round(wall, 1), "sleep": bool(concept.get("sleep")),
            "title": concept.get("title"),
            "scene": scene_kind(f"{topic} {concept['theme']}", seed),
            "ambience": ambience_for(f"{topic} {concept['theme']}"),
            "video_s": round(len(mix) / rate, 1),
            "spec": f"{facts['profile']} {facts['pix_fmt']} {facts['width']}x{facts['height']} "
                    f"{facts['fps']:g} fps, {facts['audio_codec']} {facts['audio_profile']} "
                    f"{facts['sample_rate']} Hz, moov first",
            "music_gain_max_db_per_s": round(gain_rate(gain[spoken], 0.1), 2),
            "middle_minute_lufs": round(integrated_lufs(mix[middle - minute // 2:
                                                            middle + minute // 2], rate), 2),
            "last_minute_lufs": round(integrated_lufs(mix[-minute:], rate), 2),
            "frame_differences": {k: round(v, 2) for k, v in pairs.items()},
            "thumbnail": {"contrast": thumb.get("contrast"),
                          "at_1_8": thumb.get("small_contrast"), "words": thumb.get("text")},
        }
        if docs is not None:
            docs.mkdir(parents=True, exist_ok=True)
            for s, pixels in frames.items():
                small_png(pixels, docs / f"{slug}-frame-{s:03.0f}s.png")
            from PIL import Image

            with Image.open(out / "thumbnail.jpg") as im:
                small_png(np.asarray(im.convert("RGB")), docs / f"{slug}-thumbnail.png")
            spectrogram(mix, docs / f"{slug}-spectrogram.png", f"mix: {topic}")
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--docs", type=Path, help="write small PNGs here")
    ap.add_argument("--topics", nargs="*", default=list(TOPICS))
    args = ap.parse_args()
    for i, topic in enumerate(args.topics):
        result = check(topic, args.minutes, args.seed, args.docs, f"topic{i + 1}")
        drop = float(str(result["middle_minute_lufs"])) - float(str(result["last_minute_lufs"]))
        print(json.dumps(result), flush=True)
        print(f"| {topic} | {result['scene']} | {', '.join(map(str, result['ambience']))} | "
              f"{result['music_gain_max_db_per_s']} dB/s | {drop:.1f} LU | "
              f"{result['frame_differences']} | {result['spec']} | {result['wall_s']} s |",
              flush=True)


if __name__ == "__main__":
    main()
