"""Pictures of what the podcast and Short pipelines make offline, for docs/media/.

    .venv/bin/python benchmarks/pipeline_media.py --docs docs/media

Runs `archibald run short` and `archibald run podcast` (no keys) in a temporary folder, then
writes: two frames of the Short (0 s and its middle: the scene moves) and its cover, scaled
down; a spectrogram of the podcast episode with its chapter starts marked.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from media_checks import small_png, spectrogram


def run(argv: list[str], out: Path, home: Path) -> dict[str, object]:
    env = {**os.environ, "ARCHIBALD_HOME": str(home)}
    subprocess.run([sys.executable, "-m", "archibald", "run", *argv, "--out", str(out),
                    "--seed", "3"], check=True, env=env, stdout=subprocess.DEVNULL)
    data: dict[str, object] = json.loads((out / "run.json").read_text())
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=Path, required=True)
    args = parser.parse_args()
    from PIL import Image

    from archibald.media.audio import read_audio
    from archibald.media.probe import frame_at, probe_video

    args.docs.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        run(["short", "--set", "topic=Calm before a job interview"], work / "short",
            work / "home")
        video = work / "short" / "short.mp4"
        middle = probe_video(video)["duration"] / 2
        for name, at in (("000s", 0.0), ("mid", middle)):
            small_png(np.asarray(frame_at(video, at)), args.docs / f"short-frame-{name}.png",
                      width=270)
        with Image.open(work / "short" / "cover.jpg") as cover:
            small_png(np.asarray(cover.convert("RGB")), args.docs / "short-cover.png", width=270)

        run(["podcast", "--set", "topic=The history of coffee", "--set", "minutes=3"],
            work / "podcast", work / "home")
        samples, rate = read_audio(work / "podcast" / "episode.mp3")
        stereo = samples if samples.ndim == 2 else np.stack([samples, samples], axis=1)
        if rate != 48000:  # the spectrogram's axis is drawn at 48 kHz
            from scipy.signal import resample_poly

            stereo = resample_poly(stereo, 48000, rate, axis=0)
        chapters = json.loads((work / "podcast" / "chapters.json").read_text())["chapters"]
        starts = ", ".join(f"{c['startTime']:.0f}" for c in chapters)
        spectrogram(stereo, args.docs / "podcast-spectrogram.png",
                    f"podcast episode: {len(chapters)} chapters, starting at {starts} s")
    print("written:", *sorted(p.name for p in args.docs.glob("short-*.png")),
          "podcast-spectrogram.png")


if __name__ == "__main__":
    main()
