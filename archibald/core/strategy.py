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
from .tasks import Task, TaskAnalysis

if TYPE_CHECKING:
    from .decisions import RouterParts

__all__ = ["bandit_choice", "arm_stats", "MODEL_ROUTES", "judged_only", "evidence_note",
           "comparisons_fail"]

#: routes that call a model
MODEL_ROUTES = ("premium", "budget")


def judged_only(route: str, routes: list[str], unavailable: dict[str, str]) -> bool:
    """Whether ``route`` may be weighed on judged evidence only: it is not a model route and
    a model route is available."""
    return route not in MODEL_ROUTES and any(
        m in routes and m not in unavailable for m in MODEL_ROUTES)


def _judged_arm(judged: RouteStats | None, s: RouteStats | None) -> ArmStats:
    """An arm from judged evidence (and failures) only, its cost from every outcome."""
    if judged is None or judged.w <= 0:
        return ArmStats()
    cost = s.w_cost / s.w * judged.w if s is not None and s.w > 0 else 0.0
    return ArmStats(n=judged.w, quality_sum=judged.w_quality,
                    quality_sq_sum=judged.w_quality_sq, cost_sum=cost,
                    successes=judged.w_success)


def comparisons_fail(router: "RouterParts", task: Task, route: str, profile: Profile) -> bool:
    """Whether enough comparisons of ``route`` with premium on the same inputs (judged pairs,
    people's verdicts) show it keeping less than ``[quality] maintenance_floor`` of premium's
    quality, or less than the floor: then no record of checks earns it the task type."""
    from ..quality.evidence import comparisons

    pairs = comparisons(router.memory, task.type, None, route)
    if len(pairs) < router.settings.router.learned_min_outcomes:
        return False
    mine = float(sum(p["quality"] for p in pairs)) / len(pairs)
    premium = float(sum(p["premium_quality"] for p in pairs)) / len(pairs)
    floor = float(router.settings.quality.maintenance_floor)
    return mine < profile.quality_floor or (premium > 0 and mine / premium < floor)


def evidence_note(router: "RouterParts", task: Task, profile: Profile,
                  unavailable: dict[str, str]) -> str:
    """Why memory's outcomes on routes that are not models taught nothing (for `route
    explain`): checked only, while a model route is available."""
    from ..quality.evidence import evidence_counts

    routes = list(profile.routes)
    said = []
    for route, s in router.memory.route_stats(task.type).items():
        if s.n and route not in unavailable and judged_only(route, routes, unavailable):
            counts = evidence_counts(router.memory, task.type, route)
            if counts.get("shadow", 0) + counts.get("human", 0) \
                    < router.settings.router.learned_min_outcomes:
                said.append(f"{s.n} on {route}, {counts.get('shadow', 0)} judged against "
                            f"premium, {counts.get('human', 0)} by people")
    if not said:
        return ""
    return (f"; memory's outcomes ({'; '.join(said)}) teach no preference over an available "
            f"model route: route-blind checks are not enough, judged comparisons are")


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
