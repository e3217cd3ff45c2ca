"""A route's statistics row kept up to date as outcomes arrive: each settled, checked attempt
folded in once (decayed sums, the share with evidence behind it), and a later, stronger
verdict put in place of the quality it was folded with. :class:`~.memory.Memory` writes
through these inside its transactions."""

from __future__ import annotations

from typing import Any

from .ledger import EVIDENCE, Attempt
from .migrations import route_stats
from .rows import STATS_SELECT, STATS_UPDATE, run, stats_insert

__all__ = ["fold", "refold", "decay"]


def decay(dt: float, half_life_s: float) -> float:
    """What weight is left after ``dt`` seconds with this half-life (none: 1)."""
    if half_life_s <= 0 or dt <= 0:
        return 1.0
    return float(0.5 ** (dt / half_life_s))


def _stats_row(conn: Any, a: Attempt, key: dict[str, str]) -> Any:
    """The route's statistics row, created empty if missing, locked for this transaction:
    processes folding outcomes of the same route at once (a batch on one PostgreSQL) queue
    on it instead of losing each other's counts or colliding on its first insert."""
    found = run(conn, STATS_SELECT, key).mappings().first()
    if found is not None:
        return found
    empty: dict[str, Any] = {c.name: 0 for c in route_stats.columns}
    empty.update(task_type=a.task_type, channel=a.channel, route=a.route,
                 decayed_at=a.created_at)
    conn.execute(stats_insert(conn.dialect.name), empty)
    return conn.execute(STATS_SELECT, key).mappings().one()

def fold(conn: Any, a: Attempt, half_life_s: float) -> None:
    """Add an attempt to its route's statistics. A judge's call is no outcome of the route
    it judged, so it stays out; a quality figure counts only with evidence behind it."""
    if a.purpose in ("judge", "human"):  # a verdict, not an outcome of the route
        return
    key = {"k_task_type": a.task_type, "k_channel": a.channel, "k_route": a.route}
    cur = _stats_row(conn, a, key)
    has_q = a.quality is not None and a.evidence in EVIDENCE
    q = a.quality if has_q and a.quality is not None else 0.0
    # a failure (no result at all) is a fact about the route: the bandit scores it 0
    counted = float(has_q or (not a.success and a.quality is None))
    unjudged = int(a.success and a.evidence == "unjudged")
    cost = a.cost_nano / 1e9
    f = decay(a.created_at - cur["decayed_at"], half_life_s)
    run(conn, STATS_UPDATE, dict(
        key, n=cur["n"] + 1, successes=cur["successes"] + int(a.success),
        quality_n=cur["quality_n"] + int(has_q), quality_sum=cur["quality_sum"] + q,
        cost_nano_sum=cur["cost_nano_sum"] + a.cost_nano,
        baseline_nano_sum=cur["baseline_nano_sum"] + a.baseline_nano,
        seconds_sum=cur["seconds_sum"] + a.seconds,
        w=cur["w"] * f + 1.0, w_success=cur["w_success"] * f + float(a.success),
        w_quality=cur["w_quality"] * f + (q if has_q else 0.0),
        w_quality_sq=cur["w_quality_sq"] * f + (q * q if has_q else 0.0),
        w_cost=cur["w_cost"] * f + cost, w_evidence=cur["w_evidence"] * f + counted,
        unjudged=cur["unjudged"] + unjudged,
        decayed_at=max(a.created_at, cur["decayed_at"])))


def refold(conn: Any, old: Attempt, quality: float, half_life_s: float) -> None:
    """Replace ``old``'s quality contribution to its route's statistics with ``quality``
    (as evidence), decayed as much as the original has been since it was folded."""
    key = {"k_task_type": old.task_type, "k_channel": old.channel, "k_route": old.route}
    cur = _stats_row(conn, old, key)
    had = old.quality is not None and old.evidence in EVIDENCE
    q0 = old.quality if had and old.quality is not None else 0.0
    counted = float(had or (not old.success and old.quality is None))
    f = decay(cur["decayed_at"] - old.created_at, half_life_s)
    conn.execute(STATS_UPDATE, dict(
        key, quality_n=cur["quality_n"] - int(had) + 1,
        quality_sum=cur["quality_sum"] - q0 + quality,
        w_quality=cur["w_quality"] + f * (quality - q0),
        w_quality_sq=cur["w_quality_sq"] + f * (quality * quality - q0 * q0),
        w_evidence=cur["w_evidence"] + f * (1.0 - counted),
        unjudged=max(0, cur["unjudged"] - int(old.success and old.evidence == "unjudged"))))
