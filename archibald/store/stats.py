"""What memory knows about one route for one task type: decayed sums of its outcomes, and
the share of them that independent evidence (a check, the judge, a shadow pair, a person)
looked at. The router, its strategy and the reports read these."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["RouteStats", "add_stats"]


@dataclass(frozen=True)
class RouteStats:
    """What memory knows about one route for one task type (and channel, or all channels)."""

    route: str
    n: int
    successes: int
    quality_n: int
    quality_sum: float
    cost_nano_sum: int
    baseline_nano_sum: int
    seconds_sum: float
    w: float = 0.0
    w_success: float = 0.0
    w_quality: float = 0.0
    w_quality_sq: float = 0.0
    w_cost: float = 0.0
    #: decayed count of outcomes whose quality is evidence (w_quality's denominator)
    w_evidence: float = 0.0
    #: successful outcomes nothing independent looked at (a creative task's cheap route, no judge)
    unjudged: int = 0

    @property
    def success_rate(self) -> float:
        return self.successes / self.n if self.n else 0.0

    @property
    def mean_quality(self) -> float | None:
        """Mean quality over the outcomes with evidence (check, judge, shadow); None if none."""
        return self.quality_sum / self.quality_n if self.quality_n else None

    @property
    def evidence_n(self) -> int:
        return self.quality_n

    @property
    def mean_cost(self) -> float:
        return self.cost_nano_sum / self.n / 1e9 if self.n else 0.0

    @property
    def savings(self) -> float:
        return (self.baseline_nano_sum - self.cost_nano_sum) / 1e9

    def as_dict(self) -> dict[str, Any]:
        return {"route": self.route, "n": self.n, "successes": self.successes,
                "success_rate": round(self.success_rate, 4),
                "mean_quality": None if self.mean_quality is None else round(self.mean_quality, 4),
                "evidence_n": self.quality_n, "unjudged": self.unjudged,
                "mean_cost_usd": round(self.mean_cost, 9), "savings_usd": round(self.savings, 9)}


def add_stats(a: RouteStats, b: RouteStats) -> RouteStats:
    return RouteStats(a.route, a.n + b.n, a.successes + b.successes, a.quality_n + b.quality_n,
                      a.quality_sum + b.quality_sum, a.cost_nano_sum + b.cost_nano_sum,
                      a.baseline_nano_sum + b.baseline_nano_sum, a.seconds_sum + b.seconds_sum,
                      a.w + b.w, a.w_success + b.w_success, a.w_quality + b.w_quality,
                      a.w_quality_sq + b.w_quality_sq, a.w_cost + b.w_cost,
                      a.w_evidence + b.w_evidence, a.unjudged + b.unjudged)
