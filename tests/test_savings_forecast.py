"""Forecasts that scale with the work: `plan` by video length, finite intervals that narrow as
runs accumulate, "not enough history" below three runs; `memory ab` never prints -inf..inf."""

from __future__ import annotations

import json
import math
import random

import numpy as np
import pytest

from archibald.cli import main
from archibald.errors import InputError
from archibald.learning.forecast import forecast
from archibald.store.ledger import Attempt, to_nano
from archibald.store.memory import Memory


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:  # type: ignore[type-arg]
    try:
        main(list(argv))
    except SystemExit as exc:
        assert not exc.code
    return json.loads(capsys.readouterr().out)  # type: ignore[no-any-return]


def _video(rng: random.Random, minutes: float) -> tuple[float, float]:
    """One simulated video: a fixed part plus a part per minute, with noise (USD, seconds)."""
    cost = max(0.0, 0.02 + 0.011 * minutes + rng.gauss(0, 0.004))
    seconds = max(1.0, 40 + 9.0 * minutes + rng.gauss(0, 6))
    return cost, seconds


def _remember(rng: random.Random, lengths: list[float], channel: str = "calm") -> None:
    m = Memory()
    for i, minutes in enumerate(lengths):
        cost, seconds = _video(rng, minutes)
        m.start_run(f"{channel}-{i}", "meditation", channel, "t", minutes=minutes)
        m.finish_run(f"{channel}-{i}", "done", to_nano(cost), to_nano(1.0), seconds)
    m.close()


def test_plan_scales_by_minutes_after_three_short_and_three_long_runs(
        capsys: pytest.CaptureFixture[str]) -> None:
    _remember(random.Random(3), [2, 2, 2, 10, 10, 10])
    short = _cli(capsys, "plan", "--videos", "10", "--minutes", "2", "--channel", "calm",
                 "--json")["forecast"]
    long = _cli(capsys, "plan", "--videos", "10", "--minutes", "10", "--channel", "calm",
                "--json")["forecast"]
    assert short["history_videos"] == long["history_videos"] == 6
    assert short["scaled"] == "by length (regression)"
    for f in (short, long):
        for key in ("per_video_interval_usd", "total_interval_usd", "seconds_interval",
                    "total_seconds_interval"):
            lo, hi = f[key]
            assert math.isfinite(lo) and math.isfinite(hi) and 0 <= lo <= hi, (key, f)
    assert long["per_video_usd"] > 3 * short["per_video_usd"]
    assert long["seconds_per_video"] > 2 * short["seconds_per_video"]
    # the true means (0.042 and 0.13 USD) lie inside the per-video intervals
    lo, hi = short["per_video_interval_usd"]
    assert lo <= 0.02 + 0.011 * 2 <= hi
    lo, hi = long["per_video_interval_usd"]
    assert lo <= 0.02 + 0.011 * 10 <= hi


def test_the_actual_falls_inside_the_interval_for_a_simulated_history() -> None:
    rng = random.Random(7)
    trials, hits, total_hits, secs_hits = 300, 0, 0, 0
    for _ in range(trials):
        lengths = [rng.choice([2.0, 5.0, 10.0]) for _ in range(8)]
        history = []
        for minutes in lengths:
            cost, seconds = _video(rng, minutes)
            history.append({"cost": cost, "seconds": seconds, "minutes": minutes})
        f = forecast(history, 5, minutes=6.0, level=0.9)
        actual = [_video(rng, 6.0) for _ in range(5)]
        hits += f.per_video_interval[0] <= actual[0][0] <= f.per_video_interval[1]
        total_hits += f.total_interval[0] <= sum(c for c, _ in actual) <= f.total_interval[1]
        secs_hits += f.seconds_interval[0] <= actual[0][1] <= f.seconds_interval[1]
    for h in (hits, total_hits, secs_hits):
        assert 0.84 <= h / trials <= 0.99  # a 90% interval, with Monte Carlo slack


def test_one_length_only_is_scaled_per_minute() -> None:
    rng = random.Random(5)
    history = [{"cost": c, "seconds": s, "minutes": 10.0}
               for c, s in (_video(rng, 10) for _ in range(5))]
    ten = forecast(history, 1, minutes=10.0)
    five = forecast(history, 1, minutes=5.0)
    assert five.model == "per minute"
    assert five.per_video_mean == pytest.approx(ten.per_video_mean / 2)


def test_the_interval_narrows_as_runs_accumulate() -> None:
    rng = random.Random(9)

    def width(n: int) -> float:
        widths = []
        for _ in range(40):
            history = [{"cost": c, "seconds": s, "minutes": m}
                       for m in ([2.0, 10.0] * n)[:n] for c, s in [_video(rng, m)]]
            f = forecast(history, 10, minutes=6.0)
            widths.append(f.total_interval[1] - f.total_interval[0])
        return float(np.median(widths))

    assert width(3) > width(6) > width(30)


def test_fewer_than_three_runs_is_not_enough_history(capsys: pytest.CaptureFixture[str]) -> None:
    _remember(random.Random(1), [2, 10])
    data = _cli(capsys, "plan", "--videos", "10", "--minutes", "2", "--channel", "calm",
                "--json")
    assert data["forecast"] is None and "not enough history" in data["forecast_note"]
    with pytest.raises(InputError, match="not enough history"):
        forecast([{"cost": 1.0, "seconds": 1.0, "minutes": 2.0}] * 2, 3, minutes=2.0)
    main(["plan", "--videos", "10", "--minutes", "2", "--channel", "calm"])
    assert "not enough history" in capsys.readouterr().out


def test_memory_ab_never_prints_an_infinite_interval(
        capsys: pytest.CaptureFixture[str]) -> None:
    m = Memory()
    m.record(Attempt("script_review", "premium", "opus", True, to_nano(0.04), to_nano(0.04),
                     quality=0.9, evidence="check"))
    for q in (0.8, 0.9):
        m.record(Attempt("script_review", "budget", "ds", True, to_nano(0.001), to_nano(0.04),
                         quality=q, evidence="check"))
    m.close()
    data = _cli(capsys, "memory", "ab", "script_review", "--json")
    (c,) = data["comparisons"]
    assert c["cost_interval"] == [None, None] and c["quality_interval"] == [None, None]
    assert "not enough history" in c["verdict"]
    main(["memory", "ab", "script_review"])
    text = capsys.readouterr().out
    assert "inf" not in text and "not enough history" in text


def test_a_database_from_before_run_lengths_is_upgraded(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import time

    from sqlalchemy import create_engine, inspect, text

    from archibald.store import migrations as mg

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:  # the schema as 0004 shipped it: runs without minutes
        mg.applied.create(conn)
        for name, fn in mg.MIGRATIONS[:3]:
            fn(conn)
        conn.execute(text("CREATE TABLE runs (run_id VARCHAR(64) PRIMARY KEY, pipeline "
                          "VARCHAR(64) NOT NULL, channel VARCHAR(64) NOT NULL, topic TEXT NOT "
                          "NULL, status VARCHAR(16) NOT NULL, cost_nano BIGINT NOT NULL, "
                          "baseline_nano BIGINT NOT NULL, seconds FLOAT NOT NULL, started_at "
                          "FLOAT NOT NULL, finished_at FLOAT)"))
        conn.execute(text("INSERT INTO runs VALUES ('old', 'meditation', 'c', 't', 'done', 5, "
                          "6, 7.0, 1.0, 2.0)"))
        for name, _ in mg.MIGRATIONS[:4]:
            conn.execute(mg.applied.insert().values(name=name, applied_at=time.time()))
    engine.dispose()
    m = Memory(url)
    m.start_run("new", "meditation", "c", "t", minutes=3.0)
    m.finish_run("new", "done", 5, 6, 7.0)
    assert {r["run_id"]: r["minutes"] for r in m.finished_runs("c")} == {"old": None, "new": 3.0}
    with m.engine.connect() as conn:
        assert "minutes" in {c["name"] for c in inspect(conn).get_columns("runs")}
    m.close()
