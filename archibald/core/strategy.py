"""The bandit strategy of the router: Thompson sampling over the available routes, fed with
the decayed per-route statistics memory keeps (see archibald.learning.bandit).

What may teach it, at every complexity (issue 23.3, the rule the learned pattern follows too):
where a model route (premium, budget) is available, a route that is not a model (a template, a
remembered result) is weighed on judged evidence only (judge scores, judged pairs with premium,
people's verdicts, and its failures): its route-blind check says a result is usable — a
placeholder passes it every time — not that it is as good as a model's answer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..config import Profile
from ..learning.bandit import ArmStats, choose, matrix_prior
from ..store.memory import RouteStats
from .evidence_rules import MODEL_ROUTES, comparisons_fail, evidence_note, judged_only
from .tasks import Task, TaskAnalysis

if TYPE_CHECKING:
    from .decisions import RouterParts

__all__ = ["bandit_choice", "arm_stats", "MODEL_ROUTES", "judged_only", "evidence_note",
           "comparisons_fail"]



def _judged_arm(judged: RouteStats | None, s: RouteStats | None) -> ArmStats:
    """An arm from judged evidence (and failures) only, its cost from every outcome."""
    if judged is None or judged.w <= 0:
        return ArmStats()
    cost = s.w_cost / s.w * judged.w if s is not None and s.w > 0 else 0.0
    return ArmStats(n=judged.w, quality_sum=judged.w_quality,
                    quality_sq_sum=judged.w_quality_sq, cost_sum=cost,
                    successes=judged.w_success)


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
    from ..quality.evidence import judged_stats

    routes = [r for r in profile.routes if r not in unavailable]
    # a route that compared with premium keeps too little of its quality is not drawn
    kept = [r for r in routes if r == "premium" or not comparisons_fail(router, task, r,
                                                                         profile)]
    dropped = [r for r in routes if r not in kept]
    routes = kept or routes
    own = router.memory.route_stats(task.type, task.channel)
    everywhere = router.memory.route_stats(task.type)
    arms = {r: arm_stats(own.get(r)) for r in routes}
    pooled = {r: arm_stats(everywhere.get(r)) - arms[r] for r in routes}
    strict = [r for r in routes if judged_only(r, list(profile.routes), unavailable)]
    if strict:  # no preference over a model route from route-blind checks alone
        floor = profile.quality_floor
        j_own = judged_stats(router.memory, task.type, task.channel, floor=floor)
        j_all = judged_stats(router.memory, task.type, floor=floor)
        for r in strict:
            arms[r] = _judged_arm(j_own.get(r), own.get(r))
            pooled[r] = _judged_arm(j_all.get(r), everywhere.get(r)) - arms[r]
    costs = {r: router.estimate(task, r, analysis) for r in routes}
    prior = matrix_prior(routes, matrix_route, costs=costs)
    rng = np.random.default_rng(router.rng.randrange(2**32))
    d = choose(arms, floor=profile.quality_floor, rng=rng, prior=prior, pooled=pooled)
    reason = (f"bandit (Thompson sampling, floor {profile.quality_floor:.2f}) chose "
              f"{d.reason}; the matrix alone would say: {matrix_reason}")
    numbers: dict[str, Any] = {"bandit": {r: {k: round(v, 6) for k, v in nums.items()}
                                          for r, nums in d.numbers.items()}}
    if strict:
        numbers["judged_evidence_only"] = strict
    if dropped and kept:
        numbers["below_maintenance_floor"] = dropped
        reason += (f"; not drawn: {', '.join(dropped)} (compared with premium, under "
                   f"[quality] maintenance_floor)")
    return d.arm, reason, numbers
