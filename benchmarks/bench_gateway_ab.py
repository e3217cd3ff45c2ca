"""Two trees' gateways compared on the same machine at the same minutes: each tree's
`archibald serve` runs at once on one stub upstream, and bursts of requests go to one, then
the other, in alternating order, round after round. A VM's speed drifts by a quarter within
minutes (BENCHMARKS.md), which two separate runs of ``bench_gateway.py`` measure as the
code's; here each round's two bursts share the drift, and the figure is the median of the
rounds' ratios.

    .venv/bin/python benchmarks/bench_gateway_ab.py --old /tmp/old --new . \
        [--requests 1500] [--rounds 8] [--concurrency 50]

``--old`` and ``--new``: the roots of the two trees (e.g. a ``git worktree`` of an earlier
commit), each put first on its server's ``PYTHONPATH``. The upstream and the clients are
``bench_gateway.py``'s: 250 ms +- 50 % an answer, the same draws in the same order for both,
clients starting over 250 ms. Per burst: p50 and p99 of each request's time less its
upstream's (not less the direct call's: both sides share that), the server's own time at p50
(``x-archibald-overhead-ms``) and its CPU a request (``/proc``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench_gateway import UPSTREAM, _cpu_seconds, _load, _pct, _port, _wait, stop


def _serve(root: Path, work: Path, upstream: int) -> tuple[subprocess.Popen[bytes], str, int]:
    """A gateway of the tree at ``root`` on a port of its own, with its own store and key."""
    home = work / root.name
    home.mkdir()
    (home / "archibald.toml").write_text('[quality]\njudge_model = ""\n')
    env = {**os.environ, "ARCHIBALD_HOME": str(home / "home"),
           "ARCHIBALD_CONFIG": str(home / "archibald.toml"),
           "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]),
           "DEEPSEEK_API_KEY": "sk-bench-0123456789",
           "DEEPSEEK_BASE_URL": f"http://127.0.0.1:{upstream}", "ANTHROPIC_API_KEY": "",
           "OPENAI_API_KEY": ""}
    key = subprocess.run([sys.executable, "-m", "archibald", "keys", "create", "bench"],
                         env=env, capture_output=True, text=True, check=True).stdout.strip()
    port = _port()
    proc = subprocess.Popen([sys.executable, "-m", "archibald", "serve", "--port", str(port)],
                            env=env, cwd=home, stdout=subprocess.DEVNULL)
    return proc, key, port


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--old", required=True, type=Path, help="the earlier tree's root")
    ap.add_argument("--new", required=True, type=Path, help="the later tree's root")
    ap.add_argument("--requests", type=int, default=1500, help="a burst's requests")
    ap.add_argument("--rounds", type=int, default=8)
    ap.add_argument("--concurrency", type=int, default=50)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-gateway-ab-"))
    (work / "upstream.py").write_text(UPSTREAM)
    up = _port()
    procs: list[subprocess.Popen[bytes]] = [subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "upstream:app", "--port", str(up), "--log-level",
         "warning", "--no-access-log"], cwd=work)]
    try:
        sides: dict[str, tuple[subprocess.Popen[bytes], str, int]] = {}
        for name, root in (("old", args.old), ("new", args.new)):
            (work / name).mkdir()
            sides[name] = _serve(root.resolve(), work / name, up)
            procs.append(sides[name][0])
        _wait(f"http://127.0.0.1:{up}/docs")
        body: dict[str, Any] = {"model": "archibald/auto:cheap", "max_tokens": 64,
                                "messages": [{"role": "user", "content": "Reword: calm water"}]}

        def burst(name: str, n: int, delays: list[float] | None = None,
                  own: list[float] | None = None) -> list[float]:
            _, key, port = sides[name]
            return asyncio.run(_load(f"http://127.0.0.1:{port}/v1/chat/completions",
                                     {"authorization": f"Bearer {key}"}, body, n,
                                     args.concurrency, own, None, delays, 0.25))
        for name in sides:
            _wait(f"http://127.0.0.1:{sides[name][2]}/healthz")
            burst(name, 4 * args.concurrency)  # warm every path
        draw = random.Random(7)
        delays = [250 * (1 + 0.5 * (2 * draw.random() - 1)) for _ in range(args.requests)]
        rows: dict[str, list[tuple[float, float, float, float]]] = {"old": [], "new": []}
        for r in range(args.rounds):
            for name in (("old", "new") if r % 2 == 0 else ("new", "old")):
                pid, own = sides[name][0].pid, []
                used = _cpu_seconds(pid)
                times = burst(name, args.requests, delays, own)
                cpu = (_cpu_seconds(pid) - used) / args.requests * 1000
                rows[name].append((_pct(times, 0.5), _pct(times, 0.99), _pct(own, 0.5), cpu))
                print(f"round {r + 1} {name}: p50 {rows[name][-1][0]:.2f} ms, p99 "
                      f"{rows[name][-1][1]:.2f} ms, own p50 {rows[name][-1][2]:.2f} ms, CPU a "
                      f"request {cpu:.3f} ms", flush=True)
        labels = ("p50", "p99", "own p50", "CPU a request")
        for name, got in rows.items():
            print(f"{name} ({getattr(args, name)}), medians: " + ", ".join(
                f"{label} {statistics.median(x[i] for x in got):.2f} ms"
                for i, label in enumerate(labels)))
        pairs = list(zip(rows["new"], rows["old"]))
        print("new / old, median of the rounds' ratios: " + ", ".join(
            f"{label} {statistics.median(n[i] / o[i] for n, o in pairs):.2f}"
            for i, label in enumerate(labels)) + f" ({args.rounds} rounds of "
            f"{args.requests} requests at {args.concurrency} clients)")
    finally:
        stop(procs, work)


if __name__ == "__main__":
    main()
