"""Cross-context sharing of evidence: priors for one context from all the others.

Two ways, both returning inputs for :func:`archibald.learning.bandit.choose`:

- :func:`pooled_evidence` — plain pooling: a route's evidence in the *other* contexts, summed.
  Right when contexts are alike (one task type on several channels); pass it as ``pooled=``.
- :func:`shared_priors` — an additive model on the logit scale,
  ``logit q[context, route] = mu + a[context] + b[route]``, fitted by weighted least squares to
  every context's evidence. A context's prior for a route is then the route's general standing
  ``b`` moved to the context's difficulty ``a``: right when contexts differ in difficulty but
  routes keep their rank (datasets, task types). Pass it as ``prior=``.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import TypeVar

import numpy as np

from .bandit import ArmPrior, ArmStats, pool

__all__ = ["pooled_evidence", "shared_priors", "fit_additive"]

K = TypeVar("K", bound=Hashable)


def pooled_evidence(
    table: Mapping[K, Mapping[str, ArmStats]], context: K
) -> dict[str, ArmStats]:
    """Per route, its evidence summed over every context except ``context``."""
    routes = {r for stats in table.values() for r in stats}
    return {r: pool(s[r] for c, s in table.items() if c != context and r in s) for r in routes}


def fit_additive(
    n: np.ndarray, quality_sum: np.ndarray, *, ridge: float = 1.0, iterations: int = 25
) -> tuple[float, np.ndarray, np.ndarray]:
    """Fit ``logit q = mu + a[row] + b[col]`` to an evidence matrix; returns (mu, a, b).

    Cells are weighted by the inverse variance of their empirical logit; ``ridge`` pulls
    ``a`` and ``b`` towards 0 (it is worth ``ridge`` units of inverse variance).
    """
    p = (quality_sum + 0.5) / (n + 1.0)
    y = np.log(p / (1 - p))
    w = n * p * (1 - p)
    total = w.sum()
    mu = float((w * y).sum() / total) if total > 0 else 0.0
    a = np.zeros(n.shape[0])
    b = np.zeros(n.shape[1])
    for _ in range(iterations):
        a = (w * (y - mu - b[None, :])).sum(axis=1) / (w.sum(axis=1) + ridge)
        b = (w * (y - mu - a[:, None])).sum(axis=0) / (w.sum(axis=0) + ridge)
        if total > 0:
            mu = float((w * (y - a[:, None] - b[None, :])).sum() / total)
    return mu, a, b


def shared_priors(
    table: Mapping[K, Mapping[str, ArmStats]],
    context: K,
    routes: list[str] | None = None,
    *,
    base: Mapping[str, ArmPrior] | None = None,
    weight: float = 6.0,
    half_evidence: float = 5.0,
) -> dict[str, ArmPrior]:
    """Priors for ``context``'s routes from the additive model over every context.

    A route's shared prior is worth up to ``weight`` outcomes, and half that when the other
    contexts hold ``half_evidence`` outcomes of it; it is added to its ``base`` prior (if any).
    The cost prior is the route's mean cost elsewhere.
    """
    contexts = list(table)
    if context not in table:
        contexts.append(context)
    names = sorted(routes if routes is not None else {r for s in table.values() for r in s})
    n = np.zeros((len(contexts), len(names)))
    qs = np.zeros_like(n)
    cost_n = np.zeros(len(names))
    cost_s = np.zeros(len(names))
    for i, c in enumerate(contexts):
        for j, r in enumerate(names):
            s = table.get(c, {}).get(r)
            if s is not None:
                n[i, j], qs[i, j] = s.n, s.quality_sum
                if c != context:
                    cost_n[j] += s.n
                    cost_s[j] += s.cost_sum
    mu, a, b = fit_additive(n, qs)
    row = contexts.index(context)
    elsewhere = n.sum(axis=0) - n[row]
    out: dict[str, ArmPrior] = {}
    for j, r in enumerate(names):
        start = (base or {}).get(r, ArmPrior())
        w = weight * elsewhere[j] / (elsewhere[j] + half_evidence)
        if w <= 0:
            out[r] = start
            continue
        q = float(1 / (1 + np.exp(-(mu + a[row] + b[j]))))
        cost = start.cost if start.cost is not None else (
            float(cost_s[j] / cost_n[j]) if cost_n[j] > 0 else None)
        total = start.weight + w
        out[r] = ArmPrior((start.weight * start.quality + w * q) / total, total, cost)
    return out
