"""The learning router's bandit: converges, respects the floor, forgets, borrows evidence."""

from __future__ import annotations

import numpy as np
import pytest

from archibald.learning.bandit import (
    ArmPrior, ArmStats, choose, decay_factor, decayed, matrix_prior, pool, posterior, update,
)
from archibald.learning.pooling import fit_additive, pooled_evidence, shared_priors

#: true mean quality and cost of three routes
ROUTES = {"premium": (0.92, 0.010), "budget": (0.85, 0.001), "tiny": (0.45, 0.0001)}


def _simulate(routes: dict[str, tuple[float, float]], rounds: int, *, floor: float,
              seed: int, decay: float = 1.0, stats: dict[str, ArmStats] | None = None,
              prior: dict[str, ArmPrior] | None = None) -> tuple[list[str], dict[str, ArmStats]]:
    rng = np.random.default_rng(seed)
    stats = dict(stats or {a: ArmStats() for a in routes})
    picks = []
    for _ in range(rounds):
        d = choose(stats, floor=floor, rng=rng, prior=prior)
        q_true, cost = routes[d.arm]
        q = float(rng.random() < q_true)
        stats[d.arm] = update(stats[d.arm], q, cost, decay=decay)
        picks.append(d.arm)
    return picks, stats


def test_converges_to_cheapest_route_that_meets_the_floor() -> None:
    picks, stats = _simulate(ROUTES, 400, floor=0.7, seed=1)
    last = picks[-100:]
    assert last.count("budget") >= 85
    assert last.count("tiny") <= 5  # cheapest of all, but below the floor


def test_uses_premium_when_only_premium_meets_the_floor() -> None:
    picks, _ = _simulate(ROUTES, 400, floor=0.89, seed=2)
    assert picks[-100:].count("premium") >= 80


def test_route_that_turns_bad_is_abandoned_with_decay() -> None:
    good, _ = _simulate(ROUTES, 300, floor=0.7, seed=3, decay=0.97)
    assert good[-50:].count("budget") >= 40
    # the budget route now fails most of the time
    _, stats = _simulate(ROUTES, 300, floor=0.7, seed=3, decay=0.97)
    broken = dict(ROUTES, budget=(0.3, 0.001))
    after, _ = _simulate(broken, 150, floor=0.7, seed=4, decay=0.97, stats=stats)
    assert after[-50:].count("premium") >= 40
    # without decay, old evidence keeps the bad route in use for longer
    slow, _ = _simulate(broken, 150, floor=0.7, seed=4, decay=1.0, stats=stats)
    assert slow.count("budget") >= after.count("budget")


def test_pooled_evidence_helps_a_cold_channel() -> None:
    rng = np.random.default_rng(5)
    other = {"premium": ArmStats(), "budget": ArmStats()}
    for _ in range(60):
        other["budget"] = update(other["budget"], float(rng.random() < 0.9), 0.001)
    cold = {"premium": ArmStats(), "budget": ArmStats()}
    prior = matrix_prior(cold, "premium", costs={"premium": 0.01, "budget": 0.001})
    with_pool = [choose(cold, floor=0.7, rng=rng, prior=prior, pooled=other).arm
                 for _ in range(300)]
    alone = [choose(cold, floor=0.7, rng=rng, prior=prior).arm for _ in range(300)]
    assert with_pool.count("budget") > 0.8 * 300
    assert alone.count("budget") < 0.5 * 300


def test_cost_weight_trades_quality_for_cost() -> None:
    stats = {"premium": ArmStats(200, 184, 184, 2.0, 184),
             "budget": ArmStats(200, 170, 170, 0.2, 170)}
    rng = np.random.default_rng(6)
    cheap = [choose(stats, floor=0.0, rng=rng, cost_weight=100.0).arm for _ in range(100)]
    dear = [choose(stats, floor=0.0, rng=rng, cost_weight=0.0).arm for _ in range(100)]
    assert cheap.count("budget") > 90
    assert dear.count("premium") > 90


def test_decision_explains_itself() -> None:
    d = choose({"a": ArmStats(), "b": ArmStats(3, 3, 3, 0.3, 3)}, floor=0.5,
               rng=np.random.default_rng(0))
    assert d.arm in d.reason
    assert set(d.numbers) == {"a", "b"}
    for numbers in d.numbers.values():
        assert {"sampled_quality", "p_meets_floor", "expected_cost", "outcomes"} <= set(numbers)
        assert 0 <= numbers["p_meets_floor"] <= 1


def test_update_decay_and_pool_are_plain_arithmetic() -> None:
    s = update(ArmStats(), 0.8, 0.5)
    assert (s.n, s.quality_sum, s.cost_sum, s.successes) == (1, 0.8, 0.5, 1)
    s = update(s, 0.2, 0.5, decay=0.5)
    assert s.n == pytest.approx(1.5) and s.successes == pytest.approx(0.5)
    assert decayed(s, 0.0) == ArmStats()
    assert decay_factor(10, 10) == pytest.approx(0.5)
    assert decay_factor(5, 0) == 1.0
    assert pool([s, s]).n == pytest.approx(3.0)
    assert (pool([s, s]) - s).n == pytest.approx(1.5)
    with pytest.raises(ValueError):
        decayed(s, 1.5)


def test_posterior_matches_beta_bernoulli_for_binary_scores() -> None:
    s = ArmStats(10, 7, 7, 0.0, 7)
    a, b = posterior(s, ArmPrior(0.5, 2.0))
    assert a / (a + b) == pytest.approx(8 / 12)
    assert a + b == pytest.approx(12, rel=0.1)


def test_shared_priors_carry_a_routes_standing_to_a_new_context() -> None:
    table = {
        "easy": {"good": ArmStats(50, 45, 45, 0.1, 45), "bad": ArmStats(50, 30, 30, 0.1, 30)},
        "hard": {"good": ArmStats(50, 35, 35, 0.1, 35), "bad": ArmStats(50, 15, 15, 0.1, 15)},
        "new": {},
    }
    priors = shared_priors(table, "new", ["good", "bad"])
    assert priors["good"].quality > priors["bad"].quality
    assert priors["good"].weight > ArmPrior().weight
    assert pooled_evidence(table, "easy")["good"].n == 50
    mu, a, b = fit_additive(np.array([[50.0, 50.0]]), np.array([[45.0, 30.0]]))
    assert b[0] > b[1]
