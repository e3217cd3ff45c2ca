"""Archibald Studio's pages with a large store: 10,000 runs and 200,000 attempts.

Seeds a fresh SQLite store (runs over the last 180 days on 5 channels and the 3 shipped
pipelines; attempts over every shipped task type and its routes, some judged, some shadow
pairs, some stored answers for review, a few pending reservations; a publish queue), then
requests every page through the app in-process (FastAPI's test client: routing, the store's
queries and the Jinja rendering, not the network) and prints the median and the slowest of
REPEATS requests per page. The limit is 300 ms a page.

    .venv/bin/python benchmarks/bench_studio.py [--runs 10000] [--attempts 200000]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

LIMIT_MS = 300.0


def seed(url: str, n_runs: int, n_attempts: int) -> list[str]:
    from sqlalchemy import insert

    from archibald.config import load_settings
    from archibald.store.memory import Memory
    from archibald.store.migrations import attempts, publish_queue, route_stats, runs

    settings = load_settings()
    rng = random.Random(7)
    memory = Memory(url)
    now = time.time()
    channels = ["calm", "sleep", "focus", "kids", "default"]
    pipelines = ["meditation", "podcast", "short"]
    run_rows = []
    for i in range(n_runs):
        started = now - rng.random() * 180 * 86400
        status = rng.choice(["done"] * 8 + ["failed", "running"])
        run_rows.append({"run_id": f"run-{i:012x}", "pipeline": rng.choice(pipelines),
                         "channel": rng.choice(channels), "topic": f"topic number {i}",
                         "status": status, "cost_nano": rng.randrange(0, 200_000_000),
                         "baseline_nano": rng.randrange(100_000_000, 400_000_000),
                         "seconds": rng.random() * 300, "started_at": started,
                         "finished_at": started + 300 if status != "running" else None,
                         "minutes": 10.0, "out": None})
    types = {name: p.routes for name, p in settings.profiles.items()}
    names = list(types)
    stats: dict[tuple[str, str, str], dict[str, float]] = {}
    rows = []
    for j in range(n_attempts):
        run = run_rows[j % n_runs]
        task_type = names[j % len(names)]
        route = rng.choice(list(types[task_type]))
        kind = rng.random()
        evidence = "judge" if kind < 0.2 else "shadow" if kind < 0.25 else "check"
        purpose = "shadow" if evidence == "shadow" and route == "premium" else "production"
        quality = round(0.6 + rng.random() * 0.4, 3)
        cost = 0 if route in ("local", "memory") else rng.randrange(1000, 30_000_000)
        created = run["started_at"] + rng.random() * 300
        status = "pending" if j % 20_000 == 0 else "settled"
        outcome = json.dumps({"artifact": {"text": f"answer {j}"}}) if j % 500 < 2 else None
        rows.append({"run_id": run["run_id"], "stage": task_type, "task_type": task_type,
                     "channel": run["channel"], "route": route,
                     "backend": f"{route}:{task_type}", "model": None, "success": True,
                     "quality": quality, "cost_nano": cost,
                     "baseline_nano": rng.randrange(1_000_000, 40_000_000),
                     "seconds": rng.random(), "usage": "{}", "error": None, "reason": "seeded",
                     "config_digest": "", "price_source": "", "created_at": created,
                     "status": status, "idempotency_key": "", "request_id": "",
                     "max_cost_nano": cost * 2, "input_key": f"k{j // 500}-{j % 500 < 2}",
                     "checked": True, "outcome": outcome, "purpose": purpose,
                     "evidence": evidence})
        key = (task_type, run["channel"], route)
        s = stats.setdefault(key, {"n": 0, "q": 0.0, "qq": 0.0, "c": 0, "b": 0})
        s["n"] += 1
        s["q"] += quality
        s["qq"] += quality * quality
        s["c"] += cost
        s["b"] += rows[-1]["baseline_nano"]
    with memory.engine.begin() as conn:
        conn.execute(insert(runs), run_rows)
        for k in range(0, len(rows), 20_000):
            conn.execute(insert(attempts), rows[k:k + 20_000])
        conn.execute(insert(route_stats), [
            {"task_type": t, "channel": c, "route": r, "n": int(s["n"]),
             "successes": int(s["n"]), "quality_n": int(s["n"]), "quality_sum": s["q"],
             "cost_nano_sum": int(s["c"]), "baseline_nano_sum": int(s["b"]),
             "seconds_sum": 0.0, "w": s["n"], "w_success": s["n"], "w_quality": s["q"],
             "w_quality_sq": s["qq"], "w_cost": s["c"] / 1e9, "decayed_at": now,
             "w_evidence": s["n"], "unjudged": 0} for (t, c, r), s in stats.items()])
        conn.execute(insert(publish_queue), [
            {"run_id": r["run_id"], "state": "ready" if i < 20 else "uploaded",
             "publish_dir": "", "reason": "", "created_at": r["started_at"],
             "updated_at": r["started_at"]} for i, r in enumerate(run_rows[:200])])
    memory.close()
    return [r["run_id"] for r in run_rows[:50]]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=10_000)
    ap.add_argument("--attempts", type=int, default=200_000)
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'studio.db'}"
        os.environ.update(ARCHIBALD_DB=url, ARCHIBALD_HOME=tmp,
                          ARCHIBALD_LOGIN_TOKEN="bench", LITELLM_LOCAL_MODEL_COST_MAP="True")
        t0 = time.perf_counter()
        run_ids = seed(url, args.runs, args.attempts)
        print(f"seeded {args.runs} runs and {args.attempts} attempts in "
              f"{time.perf_counter() - t0:.1f} s")
        from fastapi import FastAPI
        from fastapi.testclient import TestClient

        from archibald.serve.studio import install

        app = FastAPI()
        app.state.lifespan_hooks = []
        install(app)
        client = TestClient(app)
        client.get("/login?token=bench")
        start = time.perf_counter()
        assert client.get("/").status_code == 200
        print(f"first overview after start (sums built in the request; `archibald serve` "
              f"builds them in the background at start): "
              f"{(time.perf_counter() - start) * 1000:.0f} ms")
        pages = ["/", "/?period=week", "/runs", "/runs?channel=calm&status=done",
                 "/runs?page=150", f"/runs/{run_ids[3]}", "/runs/new", "/learning",
                 "/review", "/publish", "/schedules"]
        worst = 0.0
        print(f"{'page':<36} {'median ms':>10} {'max ms':>8}")
        for page in pages:
            assert client.get(page).status_code == 200, page  # warm: imports, templates
            times = []
            for _ in range(args.repeats):
                start = time.perf_counter()
                r = client.get(page)
                times.append((time.perf_counter() - start) * 1000)
                assert r.status_code == 200
            med = statistics.median(times)
            worst = max(worst, med)
            print(f"{page:<36} {med:>10.1f} {max(times):>8.1f}")
        app.state.studio.close()
        print(f"slowest page median: {worst:.1f} ms (limit {LIMIT_MS:.0f} ms): "
              f"{'ok' if worst <= LIMIT_MS else 'OVER'}")


if __name__ == "__main__":
    main()
