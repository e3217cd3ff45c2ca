"""`archibald plan` and `archibald memory ab` against a simulated history."""

from __future__ import annotations

import json
import random

import pytest

from archibald.cli import main
from archibald.store.ledger import Attempt, to_nano
from archibald.store.memory import Memory


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    try:
        main(list(argv))
    except SystemExit as exc:
        assert not exc.code
    return json.loads(capsys.readouterr().out)


def test_plan_forecast_covers_the_actual_runs(capsys: pytest.CaptureFixture[str]) -> None:
    rng = random.Random(11)
    draw = lambda: max(0.0, rng.gauss(0.12, 0.03))  # noqa: E731  cost of one video, USD
    m = Memory()
    for i in range(40):
        m.start_run(f"r{i}", "meditation", "calm", "t")
        m.finish_run(f"r{i}", "done", to_nano(draw()), to_nano(8.0), 50 + rng.random() * 10)
    m.close()
    data = _run(capsys, "plan", "--videos", "20", "--channel", "calm", "--json")
    f = data["forecast"]
    assert f["history_videos"] == 40
    inside = 0
    trials = 200
    for _ in range(trials):
        actual = sum(draw() for _ in range(20))
        lo, hi = f["total_interval_usd"]
        inside += lo <= actual <= hi
    assert inside / trials >= 0.8  # a 90% interval: the actual total falls inside
    lo, hi = f["seconds_interval"]
    assert lo <= 55 <= hi
    assert len(data["stages"]) == 12
    assert all(s["route"] for s in data["stages"])


def test_plan_without_history_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    data = _run(capsys, "plan", "--videos", "5", "--json")
    assert data["forecast"] is None and "run one first" in data["forecast_note"]


def test_memory_ab_prefers_the_cheaper_route_of_equal_quality(
        capsys: pytest.CaptureFixture[str]) -> None:
    rng = random.Random(2)
    m = Memory()
    for _ in range(30):
        m.record(Attempt("script_review", "premium", "opus", True,
                         to_nano(0.04 + rng.random() * 0.004), to_nano(0.04),
                         quality=0.9 + rng.random() * 0.05, evidence="check"))
        m.record(Attempt("script_review", "budget", "ds", True,
                         to_nano(0.001 + rng.random() * 0.0002), to_nano(0.04),
                         quality=0.9 + rng.random() * 0.05, evidence="check"))
    m.close()
    data = _run(capsys, "memory", "ab", "script_review", "--json")
    (c,) = data["comparisons"]
    assert (c["a"], c["b"]) == ("premium", "budget")
    assert c["cost_interval"][1] < 0  # budget is cheaper, and the interval says so
    assert c["quality_interval"][0] < 0 < c["quality_interval"][1]
    assert c["verdict"].startswith("prefer budget")
