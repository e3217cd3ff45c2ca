"""Wall time of `archibald produce` offline: all stages as the DAG allows vs one at a time.

Each run starts from an empty output folder and an empty ARCHIBALD_HOME (nothing resumed,
nothing remembered), with no provider keys, so every stage takes its local route.

    .venv/bin/python benchmarks/bench_produce.py --minutes 10 --runs 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KEYS = ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "DEEPSEEK_API_KEY", "PERPLEXITY_API_KEY",
        "ELEVENLABS_API_KEY", "FAL_KEY", "OPENHANDS_URL", "OPENHANDS_API_KEY", "OLLAMA_BASE_URL")


def produce(topic: str, minutes: float, seed: int, tmp: Path,
            sequential: bool = False) -> tuple[float, dict]:
    """One offline `archibald produce` into ``tmp`` (its output and ARCHIBALD_HOME): the wall
    time and run.json."""
    env = {k: v for k, v in os.environ.items() if k not in KEYS}
    env["ARCHIBALD_HOME"] = str(tmp / "home")
    out = tmp / "out"
    argv = [sys.executable, "-m", "archibald", "produce", "--topic", topic, "--minutes",
            str(minutes), "--out", str(out), "--seed", str(seed)] + (
        ["--sequential"] if sequential else [])
    t0 = time.perf_counter()
    proc = subprocess.run(argv, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(proc.stdout[-2000:] + proc.stderr[-2000:])
    return wall, json.loads((out / "run.json").read_text())


def one(minutes: float, sequential: bool, seed: int) -> tuple[float, dict]:
    with tempfile.TemporaryDirectory() as tmp:
        return produce("Evening calm after a long day", minutes, seed, Path(tmp), sequential)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    for sequential in (False, True):
        walls = []
        for i in range(args.runs):
            wall, data = one(args.minutes, sequential, seed=i)
            walls.append(wall)
            stages = sorted(data["stages"].items(), key=lambda kv: -kv[1]["seconds"])[:4]
            video = data["stages"]["video_assembly"]["output"].get("duration")
            print(f"{'one at a time' if sequential else 'parallel':>13} run {i + 1}: "
                  f"{wall:.1f} s wall (video {video:.0f} s); slowest stages: "
                  + ", ".join(f"{k} {v['seconds']:.1f}s" for k, v in stages), flush=True)
        print(f"{'one at a time' if sequential else 'parallel':>13}: median {statistics.median(walls):.1f} s "
              f"over {args.runs} runs", flush=True)


if __name__ == "__main__":  # worker processes import this module: run only when executed
    main()
