"""Videos per hour offline: `archibald batch` vs a shell loop of `archibald produce`.

Both make the same N videos (default 6 two-minute videos across 3 channels) from an empty
output folder and an empty ARCHIBALD_HOME, with no provider keys, so every stage runs locally.
The loop starts one `produce` process per video, each with its own worker pool; the batch runs
them in one process sharing one pool and the CPU slots.

    .venv/bin/python benchmarks/bench_batch.py --videos 6 --minutes 2 --runs 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KEYS = ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "DEEPSEEK_API_KEY", "PERPLEXITY_API_KEY",
        "ELEVENLABS_API_KEY", "FAL_KEY", "OPENHANDS_URL", "OPENHANDS_API_KEY", "OLLAMA_BASE_URL")
TOPICS = ("Evening calm after a long day", "Focus before an exam", "Sleep after a night shift",
          "Gratitude on a morning walk", "Letting go of worry", "Calm before a flight")
CHANNELS = ("sleep", "focus", "joy")


def items(n: int) -> list[tuple[str, str, int]]:
    return [(TOPICS[i % len(TOPICS)], CHANNELS[i % len(CHANNELS)], i) for i in range(n)]


def env_for(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in KEYS}
    env["ARCHIBALD_HOME"] = str(tmp / "home")
    return env


def loop(n: int, minutes: float) -> float:
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        t0 = time.perf_counter()
        for topic, channel, seed in items(n):
            subprocess.run([sys.executable, "-m", "archibald", "produce", "--topic", topic,
                            "--minutes", str(minutes), "--channel", channel, "--seed", str(seed),
                            "--out", str(tmp / f"v{seed}")], env=env_for(tmp), check=True,
                           capture_output=True)
        return time.perf_counter() - t0


def batch(n: int, minutes: float) -> float:
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        manifest = tmp / "m.csv"
        manifest.write_text("topic,minutes,channel,seed\n" + "".join(
            f"{t},{minutes},{c},{s}\n" for t, c, s in items(n)))
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "archibald", "batch", str(manifest), "--out",
                        str(tmp / "out")], env=env_for(tmp), check=True, capture_output=True)
        return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--videos", type=int, default=6)
    ap.add_argument("--minutes", type=float, default=2)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    walls: dict[str, list[float]] = {"loop": [], "batch": []}
    ratios = []
    for i in range(args.runs):  # paired, in turn, so drift in the machine's speed cancels
        a = loop(args.videos, args.minutes)
        b = batch(args.videos, args.minutes)
        walls["loop"].append(a)
        walls["batch"].append(b)
        ratios.append(a / b)
        print(f"run {i + 1}: loop {a:.1f} s, batch {b:.1f} s, {a / b:.2f}x", flush=True)
    for name, w in walls.items():
        med = statistics.median(w)
        print(f"{name:>5}: median {med:.1f} s for {args.videos} x {args.minutes:g}-minute videos "
              f"= {3600 * args.videos / med:.0f} videos/hour (min {min(w):.1f}, max {max(w):.1f})")
    print(f"batch / loop throughput: median {statistics.median(ratios):.2f}x "
          f"(paired, {args.runs} runs; {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
