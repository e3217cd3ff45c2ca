"""What may teach the router, at every complexity (issue 23.3): where a model route is
available, a route that is not a model (a template, a remembered result) is weighed on judged
evidence only; a route whose comparisons with premium fall under the floor earns nothing.
These rules read memory and the settings only (no numpy: `route explain` runs without the
learning extra); the bandit (:mod:`.strategy`) and the learned pattern (:mod:`.router`) use
them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import Profile
from .tasks import Task

if TYPE_CHECKING:
    from .decisions import RouterParts

__all__ = ["MODEL_ROUTES", "judged_only", "comparisons_fail", "evidence_note"]

#: routes that call a model
MODEL_ROUTES = ("premium", "budget")


def judged_only(route: str, routes: list[str], unavailable: dict[str, str]) -> bool:
    """Whether ``route`` may be weighed on judged evidence only: it is not a model route and
    a model route is available."""
    return route not in MODEL_ROUTES and any(
        m in routes and m not in unavailable for m in MODEL_ROUTES)


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
