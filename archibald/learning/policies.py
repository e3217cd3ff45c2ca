"""Routing policies the replay compares: hindsight baselines and online routers.

Hindsight baselines see every outcome at once (they bound what is possible); online policies
see one query at a time and only the outcome of the model they chose. All online policies that
trade quality for cost share one :class:`Pacer`, so they are compared at the same budget.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Protocol

import numpy as np

from . import bandit, pooling
from .bandit import ArmPrior, ArmStats
from .features import hashed_tfidf

from .dataset import ReplayData

__all__ = ["OnlinePolicy", "Pacer", "hindsight", "BanditRouter", "KnnRouter", "MemoryRule",
           "RandomRouter", "ONLINE", "COST_SHARE"]

#: default budget of the cost-aware online routers, as a share of the premium model's cost
COST_SHARE = 0.24


class OnlinePolicy(Protocol):
    def choose(self, i: int) -> int: ...
    def observe(self, i: int, model: int, score: float, cost: float) -> None: ...


class Pacer:
    """Budget pacing: a dual variable (quality per premium-cost unit) held to a cost share.

    After each query the price of cost rises when the query spent more than ``share`` of what
    the premium model would have, and falls otherwise (projected subgradient steps).
    """

    def __init__(self, share: float, *, step: float = 0.05, start: float = 0.5) -> None:
        self.share = share
        self.step = step
        self.weight = start

    def observe(self, cost: float, premium_cost: float) -> None:
        """One query spent ``cost`` where premium would have spent ``premium_cost`` (both in
        the same unit, e.g. dollars over the mean premium cost per query)."""
        self.weight = max(0.0, self.weight + self.step * (cost - self.share * premium_cost))


def hindsight(scores: np.ndarray, costs: np.ndarray, dataset: np.ndarray,
              ref: np.ndarray) -> Iterator[tuple[str, np.ndarray]]:
    """(name, model picked per query) for the baselines that know every outcome."""
    avail = ~np.isnan(scores)
    s = np.where(avail, scores, -np.inf)
    c = np.where(avail, costs, np.inf)
    yield "always premium", ref.copy()
    totals = np.nansum(scores, axis=0) + np.where(avail.all(axis=0), 0, -np.inf)
    mean_cost = np.nansum(costs, axis=0) / np.maximum(1, avail.sum(axis=0))
    best = int(np.lexsort((mean_cost, -totals))[0])
    yield "best single model (hindsight)", np.where(avail[:, best], best, ref)
    pick = ref.copy()
    for d in np.unique(dataset):
        r = dataset == d
        q = np.where(avail[r].all(axis=0), scores[r].mean(axis=0), -np.inf)
        ok = q >= 0.95 * q.max()
        pick[r] = int(np.argmin(np.where(ok, costs[r].mean(axis=0), np.inf)))
    yield "per-dataset cheapest within 5% of best (hindsight)", pick
    top = s.max(axis=1, keepdims=True)
    yield "oracle (cheapest best per query)", np.argmin(np.where(s == top, c, np.inf), axis=1)


class RandomRouter:
    """A model uniformly at random among the query's available models."""

    def __init__(self, data: ReplayData, rng: np.random.Generator) -> None:
        self.avail = data.available
        self.rng = rng

    def choose(self, i: int) -> int:
        return int(self.rng.choice(np.flatnonzero(self.avail[i])))

    def observe(self, i: int, model: int, score: float, cost: float) -> None:
        pass


class MemoryRule:
    """The design's rule: the cheapest model with >= 3 outcomes at >= 80% success, else premium.

    Outcomes for a cheap model only exist if it is tried, so (as the decision matrix would
    delegate) the cheapest model that could still qualify is tried until it has 3 outcomes.
    Models are ranked by their list price (their mean cost in the file).
    """

    def __init__(self, data: ReplayData, rng: np.random.Generator,
                 min_outcomes: int = 3, min_rate: float = 0.8) -> None:
        self.data, self.ref = data, data.reference()
        self.n = np.zeros((len(data.datasets), len(data.models)))
        self.ok = np.zeros_like(self.n)
        seen = np.maximum(1, data.available.sum(axis=0))
        self.price = np.nansum(data.costs, axis=0) / seen
        self.min_outcomes, self.min_rate = min_outcomes, min_rate

    def choose(self, i: int) -> int:
        d, ref = self.data.dataset[i], int(self.ref[i])
        n, ok = self.n[d], self.ok[d]
        for m in np.argsort(self.price):
            if not self.data.available[i, m] or m == ref:
                continue
            if n[m] >= self.min_outcomes and ok[m] >= self.min_rate * n[m]:
                return int(m)
            if n[m] < self.min_outcomes and ok[m] == n[m]:
                return int(m)
        return ref

    def observe(self, i: int, model: int, score: float, cost: float) -> None:
        d = self.data.dataset[i]
        self.n[d, model] += 1
        self.ok[d, model] += score >= 0.5


class _CostAware:
    """Shared bookkeeping: per dataset and model, observed cost; the premium cost estimate."""

    def __init__(self, data: ReplayData, share: float) -> None:
        self.data, self.ref = data, data.reference()
        shape = (len(data.datasets), len(data.models))
        self.cost_n, self.cost_sum = np.zeros(shape), np.zeros(shape)
        self.pacer = Pacer(share)
        self.premium_total, self.queries = 0.0, 0

    def cost_weight(self) -> float:
        """The pacer's price of cost in quality per dollar (it works per mean premium cost)."""
        scale = self.premium_total / self.queries if self.queries else 1.0
        return self.pacer.weight / scale

    def cost_estimate(self, d: int) -> np.ndarray:
        """Mean observed cost per model in dataset ``d``, else across datasets, else 0."""
        own = np.divide(self.cost_sum[d], self.cost_n[d], out=np.zeros(len(self.data.models)),
                        where=self.cost_n[d] > 0)
        alln, alls = self.cost_n.sum(axis=0), self.cost_sum.sum(axis=0)
        other = np.divide(alls, alln, out=np.zeros_like(alls), where=alln > 0)
        return np.asarray(np.where(self.cost_n[d] > 0, own, other))

    def premium_unknown(self, i: int) -> bool:
        """True until the premium model has been tried once in this query's dataset: the
        cold start sends a new dataset's first query to premium, which also prices the budget."""
        return bool(self.cost_n[int(self.data.dataset[i]), self.ref[i]] == 0)

    def premium_cost(self, i: int) -> float:
        est = self.cost_estimate(int(self.data.dataset[i]))
        r = float(est[self.ref[i]])
        return r if r > 0 else float(est.max()) if est.max() > 0 else 1.0

    def record_cost(self, i: int, model: int, cost: float) -> None:
        d = int(self.data.dataset[i])
        premium = self.premium_cost(i)
        self.cost_n[d, model] += 1
        self.cost_sum[d, model] += cost
        self.premium_total += premium
        self.queries += 1
        scale = self.premium_total / self.queries
        self.pacer.observe(cost / scale, premium / scale)


class KnnRouter(_CostAware):
    """Online kNN: a model's score on a query is predicted from its k nearest earlier queries
    of the same dataset on which that model was tried (cosine over hashed TF-IDF)."""

    def __init__(self, data: ReplayData, rng: np.random.Generator, *, k: int = 10,
                 explore: float = 0.05, share: float = COST_SHARE) -> None:
        super().__init__(data, share)
        self.rng, self.k, self.explore = rng, k, explore
        self.x = _vectors(data)
        self.seen: list[list[list[int]]] = [[[] for _ in data.models] for _ in data.datasets]
        self.got: list[list[list[float]]] = [[[] for _ in data.models] for _ in data.datasets]

    def choose(self, i: int) -> int:
        avail = np.flatnonzero(self.data.available[i])
        if self.premium_unknown(i):
            return int(self.ref[i])
        if self.rng.random() < self.explore:
            return int(self.rng.choice(avail))
        d = int(self.data.dataset[i])
        pred = np.full(len(self.data.models), -np.inf)
        for m in avail:
            idx = self.seen[d][m]
            if not idx:
                pred[m] = 1.0  # optimistic: try every model once
                continue
            sims = self.x[idx] @ self.x[i]
            top = np.argsort(-sims)[: self.k]
            got = np.asarray(self.got[d][m])[top]
            pred[m] = (got.sum() + 0.5) / (len(got) + 1.0)
        return int(np.argmax(pred - self.cost_weight() * self.cost_estimate(d)))

    def observe(self, i: int, model: int, score: float, cost: float) -> None:
        d = int(self.data.dataset[i])
        self.seen[d][model].append(i)
        self.got[d][model].append(score)
        self.record_cost(i, model, cost)


class BanditRouter(_CostAware):
    """Ours: Thompson sampling per dataset over sufficient statistics (:mod:`.bandit`), with
    evidence shared across datasets (:mod:`.pooling`) and a paced price of cost."""

    def __init__(self, data: ReplayData, rng: np.random.Generator, *,
                 share: float = COST_SHARE, sharing: str = "additive", pool_cap: float = 4.0,
                 exploration: float = 0.6, premium_prior: tuple[float, float] | None = None,
                 shared_weight: float = 15.0) -> None:
        super().__init__(data, share)
        self.rng, self.pool_cap, self.exploration = rng, pool_cap, exploration
        self.sharing, self.premium_prior, self.shared_weight = sharing, premium_prior, shared_weight
        self.stats: dict[int, dict[str, ArmStats]] = {d: {} for d in range(len(data.datasets))}

    def decide(self, i: int) -> bandit.Decision:
        d = int(self.data.dataset[i])
        names = [str(m) for m in np.flatnonzero(self.data.available[i])]
        arms = {m: self.stats[d].get(m, ArmStats()) for m in names}
        base: dict[str, ArmPrior] = {}
        if self.premium_prior is not None:
            q, w = self.premium_prior
            base[str(self.ref[i])] = ArmPrior(q, w)
        prior: dict[str, ArmPrior] | None = base or None
        pooled = None
        if self.sharing == "additive":
            prior = pooling.shared_priors(self.stats, d, names, base=base,
                                          weight=self.shared_weight)
        elif self.sharing == "pooled":
            pooled = pooling.pooled_evidence(self.stats, d)
        return bandit.choose(arms, floor=0.0, rng=self.rng, prior=prior, pooled=pooled,
                             cost_weight=self.cost_weight(),
                             pool_cap=self.pool_cap, exploration=self.exploration)

    def choose(self, i: int) -> int:
        if self.premium_unknown(i):
            return int(self.ref[i])
        return int(self.decide(i).arm)

    def observe(self, i: int, model: int, score: float, cost: float) -> None:
        d, m = int(self.data.dataset[i]), str(model)
        self.stats[d][m] = bandit.update(self.stats[d].get(m, ArmStats()), score, cost)
        self.record_cost(i, model, cost)


def _vectors(data: ReplayData) -> np.ndarray:
    cached = getattr(data, "_tfidf", None)
    if cached is None:
        cached = hashed_tfidf(data.prompts)
        data._tfidf = cached  # type: ignore[attr-defined]
    return np.asarray(cached)


Factory = Callable[["ReplayData", np.random.Generator], OnlinePolicy]

#: the online policies of the replay table, in order
ONLINE: list[tuple[str, Factory]] = [
    ("random", RandomRouter),
    ("memory rule (>= 3 outcomes at >= 80%)", MemoryRule),
    ("kNN router (online)", KnnRouter),
    ("ours: Thompson sampling + pacing", BanditRouter),
]
