"""The bandit strategy of the router: Thompson sampling over the available routes, fed with
the decayed per-route statistics memory keeps (see archibald.learning.bandit)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..config import Profile
from ..learning.bandit import ArmStats, choose, matrix_prior
from ..store.memory import RouteStats
from .tasks import Task, TaskAnalysis

if TYPE_CHECKING:
    from .decisions import RouterParts

__all__ = ["bandit_choice", "arm_stats"]


def arm_stats(s: RouteStats | None) -> ArmStats:
    """Memory's decayed sums as the bandit's sufficient statistics, over the outcomes whose
    quality is evidence (route-blind check, judge, shadow pair): an outcome nothing independent
    looked at tells the bandit nothing about quality. Cost is every outcome's, rescaled."""
    if s is None or s.w_evidence <= 0:
        return ArmStats()
    share = s.w_evidence / s.w if s.w > 0 else 1.0
    return ArmStats(n=s.w_evidence, quality_sum=s.w_quality, quality_sq_sum=s.w_quality_sq,
                    cost_sum=s.w_cost * share, successes=s.w_success * share)


def bandit_choice(router: "RouterParts", task: Task, profile: Profile, analysis: TaskAnalysis,
                  unavailable: dict[str, str], matrix_route: str,
                  matrix_reason: str) -> tuple[str, str, dict[str, Any]]:
    """Choose among the available routes; the matrix's choice is the cold-start prior."""
    routes = [r for r in profile.routes if r not in unavailable]
    own = router.memory.route_stats(task.type, task.channel)
    everywhere = router.memory.route_stats(task.type)
    arms = {r: arm_stats(own.get(r)) for r in routes}
    pooled = {r: arm_stats(everywhere.get(r)) - arms[r] for r in routes}
    costs = {r: router.estimate(task, r, analysis) for r in routes}
    prior = matrix_prior(routes, matrix_route, costs=costs)
    rng = np.random.default_rng(router.rng.randrange(2**32))
    d = choose(arms, floor=profile.quality_floor, rng=rng, prior=prior, pooled=pooled)
    reason = (f"bandit (Thompson sampling, floor {profile.quality_floor:.2f}) chose "
              f"{d.reason}; the matrix alone would say: {matrix_reason}")
    numbers = {"bandit": {r: {k: round(v, 6) for k, v in nums.items()}
                          for r, nums in d.numbers.items()}}
    return d.arm, reason, numbers
