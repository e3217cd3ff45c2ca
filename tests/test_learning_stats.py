"""A/B comparison intervals and the exploration share."""

from __future__ import annotations

import numpy as np
import pytest

from archibald.learning.stats import compare, difference, explore


def _samples(rng: np.random.Generator, n: int, cost: float,
             quality: float) -> list[dict[str, float]]:
    return [{"cost": float(rng.gamma(4.0, cost / 4.0)), "quality": float(rng.random() < quality)}
            for _ in range(n)]


def test_interval_covers_the_true_difference_in_most_trials() -> None:
    rng = np.random.default_rng(11)
    trials, covered_cost, covered_quality = 400, 0, 0
    for _ in range(trials):
        a = _samples(rng, 30, 0.010, 0.90)
        b = _samples(rng, 25, 0.002, 0.80)
        c = compare(a, b)
        covered_cost += c.cost.low <= 0.002 - 0.010 <= c.cost.high
        covered_quality += c.quality.low <= 0.80 - 0.90 <= c.quality.high
    # nominal 95%; allow for Monte Carlo error and Welch's approximation on 0/1 data
    assert covered_cost / trials >= 0.91
    assert covered_quality / trials >= 0.90


def test_verdicts_say_what_to_do() -> None:
    rng = np.random.default_rng(12)
    cheap_same = compare(_samples(rng, 200, 0.01, 0.9), _samples(rng, 200, 0.001, 0.9),
                         a="premium", b="budget")
    assert cheap_same.verdict.startswith("prefer budget")
    assert cheap_same.cost.significant and cheap_same.cost.diff < 0
    worse = compare(_samples(rng, 300, 0.01, 0.95), _samples(rng, 300, 0.001, 0.5))
    assert worse.verdict.startswith("a trade-off")
    few = compare(_samples(rng, 2, 0.01, 0.9), _samples(rng, 3, 0.001, 0.9))
    assert few.verdict.startswith("too little evidence")


def test_difference_edge_cases() -> None:
    for a, b in (([1.0], [2.0]), ([1.0, 1.5], [2.0, 2.5, 3.0])):
        d = difference(a, b)
        assert d.low is None and d.high is None and not d.significant  # never -inf to inf
    same = difference([1.0, 1.0, 1.0], [1.0, 1.0, 1.0])
    assert same.low == same.high == 0.0 and not same.significant


def test_explore_share() -> None:
    rng = np.random.default_rng(13)
    hits = sum(explore(0.1, rng) for _ in range(5000))
    assert 400 <= hits <= 600
    assert not any(explore(0.0, rng) for _ in range(100))
    with pytest.raises(ValueError):
        explore(1.5, rng)
