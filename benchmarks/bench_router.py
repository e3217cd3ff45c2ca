"""Router decision overhead with 100,000 stored outcomes.

Seeds a fresh SQLite memory with N outcomes spread over the 12 task types, 3 channels and
their routes, then times `Router.decide` (learned-pattern lookup + matrix + explanation) for
each task type in turn. Prints the median and p95 per decision, over REPEATS rounds.

    .venv/bin/python benchmarks/bench_router.py [--outcomes 100000] [--decisions 2000]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from archibald.core.catalog import build_registry
from archibald.config import load_settings
from archibald.store.ledger import Attempt
from archibald.store.memory import Memory
from archibald.core.router import Router
from archibald.core.tasks import Task


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--outcomes", type=int, default=100_000)
    ap.add_argument("--decisions", type=int, default=2000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    settings = load_settings()
    rng = random.Random(1)
    with tempfile.TemporaryDirectory() as tmp:
        memory = Memory(f"sqlite:///{Path(tmp) / 'bench.db'}")
        types = list(settings.profiles)
        channels = ["calm", "sleep", "focus"]
        now = time.time()
        t0 = time.perf_counter()
        batch = []
        for i in range(args.outcomes):
            tt = rng.choice(types)
            route = rng.choice(settings.profiles[tt].routes)
            batch.append(Attempt(tt, route, f"{route}:x", rng.random() < 0.9,
                                 rng.randrange(0, 5_000_000), rng.randrange(0, 50_000_000),
                                 channel=rng.choice(channels), quality=rng.random(),
                                 evidence="check",
                                 created_at=now - rng.random() * 90 * 86400))
            if len(batch) == 5000:
                memory.bulk_record(batch)
                batch = []
        memory.bulk_record(batch)
        print(f"seeded {args.outcomes} outcomes in {time.perf_counter() - t0:.1f} s")
        router = Router(settings, memory, build_registry(settings, memory))
        tasks = [Task(t, {"minutes": 10}, rng.choice(channels)) for t in types]
        for t in tasks:  # warm up imports and caches
            router.decide(t)
        medians = []
        for r in range(args.repeats):
            times = []
            for i in range(args.decisions):
                t = tasks[i % len(tasks)]
                s = time.perf_counter()
                router.decide(t)
                times.append(time.perf_counter() - s)
            times.sort()
            med = statistics.median(times) * 1000
            p95 = times[int(len(times) * 0.95)] * 1000
            medians.append(med)
            print(f"round {r + 1}: median {med:.3f} ms, p95 {p95:.3f} ms per decision")
        print(f"median of {args.repeats} rounds: {statistics.median(medians):.3f} ms per decision "
              f"({args.outcomes} stored outcomes)")
        memory.close()


if __name__ == "__main__":
    main()
