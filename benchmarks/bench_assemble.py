"""Picture + audio → MP4: the design's command vs `assemble` vs the floor, side by side.

    python benchmarks/bench_assemble.py                  # 120 s audio, median of 3 runs each
    python benchmarks/bench_assemble.py --seconds 600 --design-runs 1   # the long variant
    python benchmarks/bench_assemble.py --seconds 600 --design-runs 0   # without the design

"assemble" is a still image (a segment encoded beside the audio); "assemble-loop" is the
moving scene's loop (`render_loop`, drawn and encoded once: "render-loop", which the pipeline
runs beside the mix) repeated by stream copy.

The floor is encoding the audio alone to AAC (no video at all) with the same encoder settings
as ours (`audio_args`): no method can beat it. For reference the same audio is also encoded
with FFmpeg's default AAC coder (what the design's command uses), "floor-default".
Each round runs the three methods one after the other on the same 1080p image and audio.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from archibald.media import ffmpeg
from archibald.media.art import render_art, render_loop
from archibald.media.probe import probe_video
from archibald.media.video import assemble, audio_args

DESIGN = ["-y", "-loop", "1", "-i", "{image}", "-i", "{audio}", "-c:v", "libx264",
          "-preset", "fast", "-c:a", "aac", "-shortest", "-vf", "scale=1920:1080,fps=30",
          "{out}"]
FLOOR_DEFAULT = ["-y", "-i", "{audio}", "-vn", "-c:a", "aac", "-b:a", "192k", "-ar", "48000",
                 "-ac", "2", "{out}"]


def _fill(template: list[str], **paths: Path) -> list[str]:
    return [a.format(**{k: str(v) for k, v in paths.items()}) for a in template]


def _cpu() -> float:
    """CPU seconds used so far by this process and its finished children (ffmpeg)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), \
        resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _timed(fn: object, *args: object) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one call."""
    cpu, start = _cpu(), time.perf_counter()
    fn(*args)  # type: ignore[operator]
    return time.perf_counter() - start, _cpu() - cpu


def _record(times: dict[str, list[float]], cpu: dict[str, list[float]], key: str,
            measured: tuple[float, float]) -> None:
    times[key].append(measured[0])
    cpu[key].append(measured[1])


def make_audio(path: Path, seconds: float) -> None:
    """A 48 kHz stereo WAV of soft pink noise under two tones (realistic work for AAC)."""
    ffmpeg.run(["-y", "-f", "lavfi", "-i", f"anoisesrc=c=pink:a=0.05:d={seconds}:r=48000",
                "-f", "lavfi", "-i", f"sine=f=220:d={seconds}:r=48000",
                "-f", "lavfi", "-i", f"sine=f=330:d={seconds}:r=48000",
                "-filter_complex", "[0][1][2]amix=inputs=3,volume=2", "-ac", "2",
                "-c:a", "pcm_s16le", str(path)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=120.0, help="audio length")
    parser.add_argument("--runs", type=int, default=3, help="runs of ours and the floor")
    parser.add_argument("--design-runs", type=int, default=None,
                        help="runs of the design's command (default: --runs)")
    parser.add_argument("--image", type=Path, help="1080p image (default: render_art)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    design_runs = args.runs if args.design_runs is None else args.design_runs

    with tempfile.TemporaryDirectory(prefix="bench-assemble-") as tmp:
        work = Path(tmp)
        image = args.image or render_art("ocean calm", work / "bg.png", seed=1)
        audio = work / "audio.wav"
        make_audio(audio, args.seconds)
        keys = ("design", "assemble", "assemble-loop", "render-loop", "floor", "floor-default")
        times: dict[str, list[float]] = {k: [] for k in keys}
        cpu: dict[str, list[float]] = {k: [] for k in keys}
        design_facts: dict[str, object] = {}
        for i in range(max(args.runs, design_runs)):
            if i < design_runs:
                out = work / f"design{i}.mp4"
                _record(times, cpu, "design",
                        _timed(ffmpeg.run, _fill(DESIGN, image=image, audio=audio, out=out)))
                facts = probe_video(out)
                design_facts = {k: facts[k] for k in ("pix_fmt", "profile", "duration")}
                out.unlink()
            if i < args.runs:
                out = work / f"ours{i}.mp4"
                _record(times, cpu, "assemble", _timed(assemble, image, audio, out))
                out.unlink()
                loop = work / f"loop{i}.mp4"
                _record(times, cpu, "render-loop",
                        _timed(lambda: render_loop("ocean calm", loop, seed=1)))
                _record(times, cpu, "assemble-loop",
                        _timed(lambda: assemble(None, audio, out, loop=loop)))
                out.unlink()
                loop.unlink()
                out = work / f"floor{i}.m4a"
                _record(times, cpu, "floor", _timed(ffmpeg.run, audio_args(audio, out)))
                out.unlink()
                _record(times, cpu, "floor-default",
                        _timed(ffmpeg.run, _fill(FLOOR_DEFAULT, audio=audio, out=out)))
                out.unlink()
            print(f"round {i + 1}: " + ", ".join(f"{k} {v[-1]:.2f} s ({cpu[k][-1]:.2f} CPU-s)"
                                                 for k, v in times.items() if len(v) > i),
                  file=sys.stderr, flush=True)

    med = {k: statistics.median(v) for k, v in times.items() if v}
    med_cpu = {k: statistics.median(v) for k, v in cpu.items() if v}
    result = {
        "audio_seconds": args.seconds, "runs": args.runs, "design_runs": design_runs,
        "cores": os.cpu_count(), "python": platform.python_version(),
        "ffmpeg": ffmpeg.executable().rsplit("/", 1)[-1],
        "times": times, "median": med, "cpu": cpu, "median_cpu": med_cpu,
        "speedup_vs_design": med["design"] / med["assemble"] if "design" in med else None,
        "ratio_to_floor": med["assemble"] / med["floor"],
        "loop_ratio_to_floor": med["assemble-loop"] / med["floor"],
        "design_output": design_facts,
        "load_average": os.getloadavg(),
    }
    print("| audio | design's command | assemble (still) | assemble (loop) | floor (AAC only) "
          "| still vs floor | loop vs floor | loop render (once) |")
    print("|---|---|---|---|---|---|---|---|")
    print(f"| {args.seconds:.0f} s | {med.get('design', float('nan')):.2f} s "
          f"(n={len(times['design'])}) | {med['assemble']:.2f} s | "
          f"{med['assemble-loop']:.2f} s | {med['floor']:.2f} s (n={args.runs}) | "
          f"{result['ratio_to_floor']:.2f}x | {result['loop_ratio_to_floor']:.2f}x | "
          f"{med['render-loop']:.2f} s ({med_cpu['render-loop']:.2f} CPU-s) |")
    print("CPU-s medians: " + ", ".join(f"{k} {v:.2f}" for k, v in med_cpu.items()))
    print(f"design output: {design_facts}; load average {result['load_average']}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
