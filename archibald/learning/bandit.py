"""Thompson-sampling route choice from sufficient statistics.

Everything here is a pure function of numbers a database can store: per route (arm) an
:class:`ArmStats` of decayed sums. The router loads them, calls :func:`choose`, runs the task,
and stores :func:`update`'s result. No I/O, no clocks, no global random state.

The model. An arm's mean quality (a score in [0, 1]) has a posterior Beta distribution whose
mean and variance come from the arm's own evidence plus a prior. The prior is, in order of
precedence, the evidence *pooled* from other contexts (e.g. the same task type on other
channels; at most ``pool_cap`` observations of it, so a channel with evidence of its own is
soon dominated by it) on top of an :class:`ArmPrior` (the cold start: the decision matrix's
choice gets an informative one). With scores that are 0 or 1 this is exactly the Beta-Bernoulli
posterior; with graded scores the per-outcome variance is estimated from ``quality_sq_sum``.

The decision. Draw one quality per arm from its posterior. Among arms whose draw meets the
floor, take the one with the lowest expected cost (or, given a ``cost_weight``, the highest
``quality - cost_weight * cost``); when no draw meets the floor, take the best draw. Drawing
instead of using the mean is what makes the router explore an arm exactly as often as it might
be the right one.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
from scipy.special import betainc

from ..store.ledger import format_usd

__all__ = [
    "ArmStats",
    "ArmPrior",
    "Decision",
    "choose",
    "update",
    "decayed",
    "decay_factor",
    "pool",
    "matrix_prior",
    "posterior",
    "expected_cost",
]

#: smallest per-outcome variance assumed; keeps a route that always scored the same explorable
MIN_VARIANCE = 1e-3


@dataclass(frozen=True)
class ArmStats:
    """Decayed sufficient statistics of one route's outcomes in one context."""

    n: float = 0.0
    quality_sum: float = 0.0
    quality_sq_sum: float = 0.0
    cost_sum: float = 0.0
    successes: float = 0.0

    @property
    def mean_quality(self) -> float | None:
        return self.quality_sum / self.n if self.n > 0 else None

    @property
    def mean_cost(self) -> float | None:
        return self.cost_sum / self.n if self.n > 0 else None

    @property
    def success_rate(self) -> float | None:
        return self.successes / self.n if self.n > 0 else None

    @property
    def sum_sq_dev(self) -> float:
        """Sum of squared deviations of the quality from its mean."""
        if self.n <= 0:
            return 0.0
        return max(0.0, self.quality_sq_sum - self.quality_sum**2 / self.n)

    def __add__(self, other: ArmStats) -> ArmStats:
        return ArmStats(
            self.n + other.n,
            self.quality_sum + other.quality_sum,
            self.quality_sq_sum + other.quality_sq_sum,
            self.cost_sum + other.cost_sum,
            self.successes + other.successes,
        )

    def __sub__(self, other: ArmStats) -> ArmStats:
        """Remove ``other``'s evidence (e.g. one channel's share of a pooled total)."""
        return ArmStats(
            max(0.0, self.n - other.n),
            max(0.0, self.quality_sum - other.quality_sum),
            max(0.0, self.quality_sq_sum - other.quality_sq_sum),
            max(0.0, self.cost_sum - other.cost_sum),
            max(0.0, self.successes - other.successes),
        )


@dataclass(frozen=True)
class ArmPrior:
    """Belief about a route before any evidence: mean quality worth ``weight`` outcomes."""

    quality: float = 0.5
    weight: float = 2.0
    cost: float | None = None


@dataclass(frozen=True)
class Decision:
    """The chosen route, a sentence saying why, and per route the numbers it decided on."""

    arm: str
    reason: str
    numbers: dict[str, dict[str, float]] = field(default_factory=dict)
    floor: float = 0.0
    cost_weight: float = 0.0


def decayed(stats: ArmStats, factor: float) -> ArmStats:
    """Scale all evidence by ``factor`` (0 forgets everything, 1 keeps it all)."""
    if not 0.0 <= factor <= 1.0:
        raise ValueError(f"decay factor must be in [0, 1], got {factor}")
    return ArmStats(
        stats.n * factor,
        stats.quality_sum * factor,
        stats.quality_sq_sum * factor,
        stats.cost_sum * factor,
        stats.successes * factor,
    )


def decay_factor(elapsed: float, half_life: float) -> float:
    """Exponential decay after ``elapsed`` units with the given half-life (seconds or counts)."""
    if half_life <= 0 or math.isinf(half_life):
        return 1.0
    return float(0.5 ** (max(0.0, elapsed) / half_life))


def update(
    stats: ArmStats,
    quality: float,
    cost: float,
    *,
    decay: float = 1.0,
    success: bool | None = None,
) -> ArmStats:
    """Decay ``stats`` by ``decay``, then add one outcome (success defaults to quality >= 0.5)."""
    q = min(1.0, max(0.0, float(quality)))
    ok = (q >= 0.5) if success is None else bool(success)
    base = decayed(stats, decay) if decay != 1.0 else stats
    return base + ArmStats(1.0, q, q * q, float(cost), 1.0 if ok else 0.0)


def pool(stats: Iterable[ArmStats]) -> ArmStats:
    """Sum evidence across contexts (e.g. one task type over every channel)."""
    total = ArmStats()
    for s in stats:
        total = total + s
    return total


def matrix_prior(
    arms: Iterable[str],
    chosen: str,
    *,
    costs: Mapping[str, float] | None = None,
    quality: float = 0.85,
    weight: float = 6.0,
) -> dict[str, ArmPrior]:
    """Cold-start priors: the decision matrix's ``chosen`` route is believed good (``quality``
    worth ``weight`` outcomes), the others 50/50; ``costs`` are the routes' estimated costs."""
    costs = costs or {}
    return {
        a: ArmPrior(quality, weight, costs.get(a)) if a == chosen else ArmPrior(cost=costs.get(a))
        for a in arms
    }


def posterior(
    stats: ArmStats,
    prior: ArmPrior | None = None,
    pooled: ArmStats | None = None,
    *,
    pool_cap: float = 10.0,
    exploration: float = 1.0,
) -> tuple[float, float]:
    """Beta(alpha, beta) posterior of an arm's mean quality.

    ``exploration`` scales the posterior's standard deviation (1 is plain Thompson sampling;
    below 1 explores less, which pays when a short horizon meets many routes).
    """
    base = prior or ArmPrior()
    m0 = min(1 - 1e-6, max(1e-6, base.quality))
    w0 = max(1e-6, base.weight)
    v0 = m0 * (1 - m0)
    if pooled is not None and pooled.n > 0:
        # the pooled evidence refines the prior; its weight is capped at ``pool_cap``
        mp = (w0 * m0 + pooled.quality_sum) / (w0 + pooled.n)
        bernoulli_var = (w0 * v0 + pooled.sum_sq_dev) / (w0 + pooled.n)
        m0, v0 = mp, bernoulli_var
        w0 = w0 + min(pooled.n, pool_cap)
    w = w0 + stats.n
    mean = (w0 * m0 + stats.quality_sum) / w
    mean = min(1 - 1e-6, max(1e-6, mean))
    per_outcome = max(MIN_VARIANCE, (w0 * v0 + stats.sum_sq_dev) / w)
    var_mean = per_outcome / (w + 1.0) * exploration**2
    var_mean = min(max(var_mean, 1e-9), mean * (1 - mean) * 0.999)
    kappa = mean * (1 - mean) / var_mean - 1.0
    return mean * kappa, (1 - mean) * kappa


def expected_cost(stats: ArmStats, prior: ArmPrior | None = None,
                  pooled: ArmStats | None = None) -> float | None:
    """Posterior mean cost of an arm, or None with no cost evidence or prior at all."""
    if prior is not None and prior.cost is not None:
        c0, w0 = prior.cost, 1.0
    elif pooled is not None and pooled.n > 0:
        c0, w0 = pooled.cost_sum / pooled.n, min(pooled.n, 3.0)
    else:
        c0, w0 = 0.0, 0.0
    if stats.n + w0 <= 0:
        return None
    return (w0 * c0 + stats.cost_sum) / (w0 + stats.n)


def choose(
    arms: Mapping[str, ArmStats],
    *,
    floor: float,
    rng: np.random.Generator,
    prior: Mapping[str, ArmPrior] | None = None,
    pooled: Mapping[str, ArmStats] | None = None,
    cost_weight: float | None = None,
    pool_cap: float = 10.0,
    exploration: float = 1.0,
) -> Decision:
    """Pick a route: the cheapest whose sampled quality meets ``floor``.

    ``arms`` lists every available route (``ArmStats()`` for one never tried). With a
    ``cost_weight`` (quality per dollar, >= 0) the route with the best ``quality - cost_weight *
    cost`` is taken among those meeting the floor, instead of the cheapest.
    """
    if not arms:
        raise ValueError("choose() needs at least one arm")
    names = sorted(arms)
    alphas, betas, costs = [], [], []
    for a in names:
        al, be = posterior(arms[a], prior.get(a) if prior else None,
                           pooled.get(a) if pooled else None, pool_cap=pool_cap,
                           exploration=exploration)
        alphas.append(al)
        betas.append(be)
        costs.append(expected_cost(arms[a], prior.get(a) if prior else None,
                                   pooled.get(a) if pooled else None))
    # a route whose cost nobody knows is assumed as dear as the dearest known one
    known = [c for c in costs if c is not None]
    dearest = max(known) if known else 0.0
    al_v, be_v = np.array(alphas), np.array(betas)
    cost_v = np.array([dearest if c is None else c for c in costs])
    draws = rng.beta(al_v, be_v)
    p_floor = 1.0 - betainc(al_v, be_v, min(max(floor, 0.0), 1.0))
    weight = 0.0 if cost_weight is None else float(cost_weight)
    score = draws - weight * cost_v
    meets = draws >= floor
    if meets.any():
        idx = np.flatnonzero(meets)
        if cost_weight is not None:
            i = int(idx[np.argmax(score[idx])])
            why = (f"best sampled quality minus {weight:g}/$ x cost among routes whose "
                   f"sampled quality meets the floor {floor:.2f}")
        else:
            order = np.lexsort((-draws[idx], cost_v[idx]))
            i = int(idx[order[0]])
            why = f"cheapest route whose sampled quality meets the floor {floor:.2f}"
    else:
        i = int(np.argmax(draws))
        why = f"no route's sampled quality meets the floor {floor:.2f}; best sampled quality"
    chosen = names[i]
    s = arms[chosen]
    reason = (f"{chosen}: {why} (sampled {draws[i]:.2f}, mean {al_v[i] / (al_v[i] + be_v[i]):.2f}, "
              f"P(quality >= floor) {p_floor[i]:.2f}, "
              f"expected cost {format_usd(float(cost_v[i]), 4, trim=True)}, "
              f"{s.n:.1f} outcomes)")
    numbers = {
        a: {
            "sampled_quality": float(draws[j]),
            "mean_quality": float(al_v[j] / (al_v[j] + be_v[j])),
            "p_meets_floor": float(p_floor[j]),
            "expected_cost": float(cost_v[j]),
            "outcomes": float(arms[a].n),
            "score": float(score[j]),
        }
        for j, a in enumerate(names)
    }
    return Decision(chosen, reason, numbers, floor, weight)
