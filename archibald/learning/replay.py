"""Replay real per-query model outcomes through routing policies, online.

The data (:mod:`.dataset`) is RouterBench's format. Each online policy sees the queries one at a
time in a random order, picks one model, and is told only that model's score and cost. Results
are averaged over several orders.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from . import policies
from .dataset import REFERENCE_MODEL, ReplayData, load

__all__ = ["ReplayData", "PolicyResult", "ReplayResult", "load", "run", "REFERENCE_MODEL"]


@dataclass
class PolicyResult:
    """One policy's figures, averaged over orders (medians and spreads alongside)."""

    name: str
    mean_quality: float
    total_cost: float
    pct_quality: float
    pct_cost: float
    per_order: list[tuple[float, float]] = field(default_factory=list)  # (% quality, % cost)

    def median(self) -> tuple[float, float]:
        if not self.per_order:
            return self.pct_quality, self.pct_cost
        arr = np.array(self.per_order)
        return float(np.median(arr[:, 0])), float(np.median(arr[:, 1]))


@dataclass
class ReplayResult:
    queries: int
    skipped: int
    datasets: list[str]
    models: list[str]
    orders: int
    seed: int
    policies: list[PolicyResult]

    def as_dict(self) -> dict[str, object]:
        return {
            "queries": self.queries, "skipped": self.skipped, "datasets": self.datasets,
            "models": self.models, "orders": self.orders, "seed": self.seed,
            "policies": [
                {"name": p.name, "mean_quality": p.mean_quality, "total_cost": p.total_cost,
                 "pct_of_reference_quality": p.pct_quality, "pct_of_reference_cost": p.pct_cost,
                 "median_pct_quality": p.median()[0], "median_pct_cost": p.median()[1],
                 "per_order": [list(x) for x in p.per_order]}
                for p in self.policies
            ],
        }


PolicyFactory = Callable[[ReplayData, np.random.Generator], policies.OnlinePolicy]


def _summary(name: str, picks: list[np.ndarray], data: ReplayData, ref: np.ndarray) -> PolicyResult:
    rows = np.arange(len(data.prompts))
    ref_q = data.scores[rows, ref].sum()
    ref_c = data.costs[rows, ref].sum()
    qs = [float(data.scores[rows, p].sum()) for p in picks]
    cs = [float(data.costs[rows, p].sum()) for p in picks]
    per_order = [(100 * q / ref_q if ref_q else math.nan, 100 * c / ref_c if ref_c else math.nan)
                 for q, c in zip(qs, cs)]
    q, c = float(np.mean(qs)), float(np.mean(cs))
    return PolicyResult(name, q / len(rows), c, 100 * q / ref_q if ref_q else math.nan,
                        100 * c / ref_c if ref_c else math.nan, per_order)


def run(
    data: ReplayData,
    *,
    orders: int = 5,
    seed: int = 0,
    online: Sequence[tuple[str, PolicyFactory]] | None = None,
) -> ReplayResult:
    """Every hindsight baseline once, every online policy over ``orders`` random orders."""
    ref = data.reference()
    results = [_summary(name, [pick], data, ref)
               for name, pick in policies.hindsight(data.scores, data.costs, data.dataset, ref)]
    n = len(data.prompts)
    root = np.random.default_rng(seed)
    order_seeds = root.integers(0, 2**32 - 1, size=orders)
    picks: dict[str, list[np.ndarray]] = {}
    for name, factory in online if online is not None else policies.ONLINE:
        picks[name] = []
    for s in order_seeds:
        order = np.random.default_rng(s).permutation(n)
        for k, (name, factory) in enumerate(online if online is not None else policies.ONLINE):
            rng = np.random.default_rng([int(s), k])
            policy = factory(data, rng)
            pick = np.empty(n, dtype=int)
            for i in order:
                m = policy.choose(i)
                pick[i] = m
                policy.observe(i, m, float(data.scores[i, m]), float(data.costs[i, m]))
            picks[name].append(pick)
    results += [_summary(name, p, data, ref) for name, p in picks.items()]
    return ReplayResult(n, data.skipped, data.datasets, data.models, orders, seed, results)
