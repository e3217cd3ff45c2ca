"""Forecasts: the actual next-N total falls inside the interval in (nearly) every trial."""

from __future__ import annotations

import numpy as np
import pytest

from archibald.errors import InputError
from archibald.learning.forecast import forecast, per_video


def _history(rng: np.random.Generator, n: int) -> list[dict[str, float]]:
    return [{"cost": float(rng.gamma(4.0, 0.35 / 4.0)), "seconds": float(rng.lognormal(4.0, 0.3))}
            for _ in range(n)]


@pytest.mark.parametrize("history", [5, 20, 60])
def test_interval_covers_the_actual_total_and_next_video(history: int) -> None:
    rng = np.random.default_rng(history)
    trials, videos = 400, 30
    total_hits = one_hits = secs_hits = 0
    for _ in range(trials):
        f = forecast(_history(rng, history), videos, level=0.9)
        future = _history(rng, videos)
        total = sum(v["cost"] for v in future)
        total_hits += f.total_interval[0] <= total <= f.total_interval[1]
        one_hits += f.per_video_interval[0] <= future[0]["cost"] <= f.per_video_interval[1]
        secs = sum(v["seconds"] for v in future)
        secs_hits += f.total_seconds_interval[0] <= secs <= f.total_seconds_interval[1]
    # nominal 90%; tolerance for Monte Carlo error and the skewed (gamma) costs
    for hits in (total_hits, one_hits, secs_hits):
        assert 0.84 <= hits / trials <= 0.99


def test_few_videos_give_a_wide_interval_and_say_so() -> None:
    rng = np.random.default_rng(1)
    many = forecast(_history(rng, 50), 10)
    few = forecast(_history(rng, 3), 10)
    width = lambda f: f.total_interval[1] - f.total_interval[0]  # noqa: E731
    assert width(few) > width(many)
    assert "from 3 videos" in few.note and "narrows" in few.note
    for n in (1, 2):
        with pytest.raises(InputError, match="not enough history"):
            forecast(_history(rng, n), 10)


def test_stage_records_are_summed_per_video() -> None:
    history = [{"video": "a", "cost": 0.1, "seconds": 10},
               {"video": "a", "cost": 0.2, "seconds": 5},
               {"video": "b", "cost": 0.4, "seconds": 20},
               {"video": "c", "cost": 0.35, "seconds": 12}]
    cost, secs, _ = per_video(history)
    assert sorted(cost) == pytest.approx([0.3, 0.35, 0.4]) and sorted(secs) == [12, 15, 20]
    f = forecast(history, 4)
    assert f.total_mean == pytest.approx(4 * 0.35)


def test_no_history_is_a_user_error() -> None:
    with pytest.raises(InputError):
        forecast([], 3)
    with pytest.raises(InputError):
        forecast([{"cost": 1.0, "seconds": 1.0}], 0)
