"""A/B comparison of two routes on cost and quality, and the exploration coin.

:func:`compare` gives each metric's means, the difference B - A with a 95% interval, and a
sentence a user can act on. The interval is Welch's t interval (unequal variances), which is
what a reader expects and holds up well from ~10 outcomes a side; with fewer the interval
is honest but wide, and the verdict says there is too little evidence. With fewer than
:data:`MIN_INTERVAL` outcomes on a side there is no interval at all (never -inf to inf): the
bounds are None and the text says "not enough history".
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as st

from ..store.ledger import format_usd

__all__ = ["Difference", "Comparison", "difference", "compare", "explore", "MIN_INTERVAL"]

#: fewer outcomes than this on either side: the verdict says "too little evidence"
MIN_OUTCOMES = 5
#: fewer outcomes than this on either side: no interval, "not enough history"
MIN_INTERVAL = 3


@dataclass(frozen=True)
class Difference:
    """One metric: A's and B's means, B - A, its interval and the p-value of "no difference"."""

    metric: str
    n_a: int
    n_b: int
    mean_a: float
    mean_b: float
    diff: float
    low: float | None   # None: not enough history for an interval
    high: float | None
    level: float
    p_value: float

    @property
    def significant(self) -> bool:
        if self.low is None or self.high is None:
            return False
        return self.low > 0 or self.high < 0


@dataclass(frozen=True)
class Comparison:
    """Route A against route B on cost and quality, with a plain-language verdict."""

    a: str
    b: str
    cost: Difference
    quality: Difference
    verdict: str


def _mean_var(x: np.ndarray) -> tuple[float, float]:
    if len(x) == 0:
        return math.nan, math.nan
    return float(x.mean()), float(x.var(ddof=1)) if len(x) > 1 else math.nan


def difference(a: Sequence[float], b: Sequence[float], *, metric: str = "",
               level: float = 0.95) -> Difference:
    """Welch interval for mean(b) - mean(a)."""
    xa, xb = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    ma, va = _mean_var(xa)
    mb, vb = _mean_var(xb)
    d = mb - ma
    if len(xa) < MIN_INTERVAL or len(xb) < MIN_INTERVAL:
        return Difference(metric, len(xa), len(xb), ma, mb, d, None, None, level, 1.0)
    se2 = va / len(xa) + vb / len(xb)
    if se2 <= 0:  # both sides constant: the difference is known exactly
        p = 1.0 if d == 0 else 0.0
        return Difference(metric, len(xa), len(xb), ma, mb, d, d, d, level, p)
    df = se2**2 / ((va / len(xa)) ** 2 / (len(xa) - 1) + (vb / len(xb)) ** 2 / (len(xb) - 1))
    t = float(st.t.ppf(0.5 + level / 2, df))
    half = t * math.sqrt(se2)
    p = float(2 * st.t.sf(abs(d) / math.sqrt(se2), df))
    return Difference(metric, len(xa), len(xb), ma, mb, d, d - half, d + half, level, p)


def _money(x: float) -> str:
    return format_usd(x, 4, trim=True)  # -$0.0012, $0.00012: never a $0.0000 difference


def _describe(d: Difference, show: Callable[[float], str]) -> str:
    if d.low is None or d.high is None:
        return (f"not enough history for a {d.metric} interval (B - A = {show(d.diff)} "
                f"from {d.n_a} and {d.n_b} outcomes; an interval needs {MIN_INTERVAL} a side)")
    if not d.significant:
        return (f"no clear {d.metric} difference (B - A = {show(d.diff)}, "
                f"{d.level:.0%} interval {show(d.low)} to {show(d.high)})")
    word = "higher" if d.diff > 0 else "lower"
    return (f"B's {d.metric} is {word} by {show(abs(d.diff))} "
            f"({d.level:.0%} interval {show(d.low)} to {show(d.high)})")


def compare(
    a_samples: Sequence[Mapping[str, float]],
    b_samples: Sequence[Mapping[str, float]],
    *, a: str = "A", b: str = "B", level: float = 0.95,
) -> Comparison:
    """Compare route ``a`` with route ``b`` from their outcomes (``{"cost", "quality"}`` each)."""
    cost = difference([float(x["cost"]) for x in a_samples],
                      [float(x["cost"]) for x in b_samples], metric="cost", level=level)
    quality = difference([float(x["quality"]) for x in a_samples],
                         [float(x["quality"]) for x in b_samples], metric="quality", level=level)
    n_min = min(len(a_samples), len(b_samples))
    if n_min < MIN_OUTCOMES:
        verdict = (f"too little evidence: {n_min} outcomes on the smaller side; "
                   f"keep exploring until each route has at least {MIN_OUTCOMES}")
    else:
        cheaper = cost.significant and cost.diff < 0
        dearer = cost.significant and cost.diff > 0
        worse = quality.significant and quality.diff < 0
        better = quality.significant and quality.diff > 0
        if cheaper and not worse:
            verdict = f"prefer {b}: cheaper, and no evidence of lower quality"
        elif dearer and not better:
            verdict = f"prefer {a}: {b} costs more without evidence of higher quality"
        elif better and not dearer:
            verdict = f"prefer {b}: higher quality at no evidence of higher cost"
        elif worse and not cheaper:
            verdict = f"prefer {a}: {b}'s quality is lower at no evidence of lower cost"
        elif cheaper and worse:
            verdict = f"a trade-off: {b} is cheaper but its quality is lower"
        elif dearer and better:
            verdict = f"a trade-off: {b} has higher quality but costs more"
        else:
            verdict = "no clear difference yet; keep exploring"
    verdict += "; " + _describe(cost, _money) + "; " + _describe(quality, lambda x: f"{x:.3f}")
    return Comparison(a, b, cost, quality, verdict)


def explore(share: float, rng: np.random.Generator) -> bool:
    """True for a ``share`` of calls: this task explores an alternative route (A/B testing)."""
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"exploration share must be in [0, 1], got {share}")
    return bool(rng.random() < share)
