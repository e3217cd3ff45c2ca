"""What a quality figure is worth: the ranking of evidence, and the comparisons behind it.

Evidence ranks, strongest first (ARCHITECTURE.md, "Quality: who judges"):

====================  ================================================================
``human``             a person's verdict on a pair: a delegated result and premium's on
                      the same input, seen blind (the studio's review)
``shadow``            a judge's pairwise comparison of the same two
``judge``             a judge's score of the delegated result alone, against a rubric
``check``             a route-blind check (loudness, legibility, a script's timing...)
``unjudged`` / ""     nothing independent looked at it
====================  ================================================================

Only the first three teach the router that a route may replace a model route (a check says a
result is usable, not that it is as good), and only the first two are *comparisons*: quality
maintenance, and the report's verified savings, come from them alone.

Human verdicts are remembered results of kind ``"human"`` (one per run and stage), written by
:func:`record_verdict` (``Memory.record_verdict``) and read back by :func:`human_pairs`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..store.stats import RouteStats

if TYPE_CHECKING:
    from ..store.ledger import Attempt

#: a store.memory.Memory (not imported: the store reads this module, not the other way)
Memory = Any

__all__ = ["RANK", "TEACHES", "COMPARES", "HUMAN", "rank", "strongest", "describe",
           "record_verdict", "record_pair_verdict", "reviewed", "human_pairs", "comparisons_by_route", "judged_stats", "comparisons", "PREFERENCE",
           "evidence_counts", "run_comparisons"]

#: evidence kinds, weakest to strongest
RANK = {"": 0, "forgotten": 0, "unjudged": 1, "check": 2, "judge": 3, "shadow": 4, "human": 5}
#: evidence that may teach the router to prefer a route over an available model route
TEACHES = ("judge", "shadow", "human")
#: evidence that compares a delegated result with premium's on the same input
COMPARES = ("shadow", "human")
#: the memory kind the studio's blind review stores its verdicts under
HUMAN = "human"
#: a plain preference as the pair of scores it stands for (delegated, premium)
PREFERENCE = {"delegated": (1.0, 0.5), "premium": (0.5, 1.0), "same": (1.0, 1.0)}

_WORDS = {"human": "a person's verdict on a pair with premium",
          "shadow": "judged pairwise against premium on the same input",
          "judge": "a judge's score (not compared with premium)",
          "check": "a route-blind check only", "unjudged": "nothing independent (unjudged)",
          "forgotten": "forgotten", "": "none"}


def rank(kind: str | None) -> int:
    """How strong an evidence kind is (0: none)."""
    return RANK.get(kind or "", 0)


def strongest(kinds: Iterable[str | None]) -> str:
    """The strongest of ``kinds`` ("" when there is none)."""
    return max((k or "" for k in kinds), key=rank, default="")


def describe(kind: str | None) -> str:
    """An evidence kind in words, for reports and `route explain`."""
    return _WORDS.get(kind or "", str(kind))


# -- human verdicts -------------------------------------------------------------------------
@dataclass(frozen=True)
class _Side:
    task_type: str
    channel: str
    route: str


def _delegated(memory: Memory, run_id: str, stage: str) -> _Side:
    """The accepted production result of a run's stage: the delegated side of the pair."""
    accepted = [a for a in memory.attempts_of_run(run_id, stage)
                if a.purpose == "production" and a.success]
    if not accepted:
        raise ValueError(f"run {run_id!r} has no accepted result for stage {stage!r} to "
                         f"give a verdict on")
    a = accepted[-1]
    if a.route == "premium":
        raise ValueError(f"{stage} of run {run_id} ran on premium: a premium result compared "
                         f"with premium is no evidence; give verdicts on delegated stages")
    return _Side(a.task_type, a.channel, a.route)


def record_verdict(memory: Memory, run_id: str, stage: str, *,
                   delegated: float | None = None, premium: float | None = None,
                   preferred: str | None = None, reviewer: str = "",
                   note: str = "") -> dict[str, Any]:
    """Keep a person's verdict on a pair: the delegated result of ``stage`` in ``run_id`` and
    premium's answer to the same input, seen blind.

    Give both scores in [0, 1] (``delegated``, ``premium``), or a plain ``preferred``
    ("delegated", "premium" or "same", scored as :data:`PREFERENCE` says). A later verdict on
    the same pair replaces an earlier one. Returns the verdict as stored.
    """
    if preferred is not None:
        if preferred not in PREFERENCE:
            raise ValueError(f"preferred must be one of {', '.join(PREFERENCE)}, "
                             f"not {preferred!r}")
        if delegated is not None or premium is not None:
            raise ValueError("give either both scores or preferred, not both")
        delegated, premium = PREFERENCE[preferred]
    for name, v in (("delegated", delegated), ("premium", premium)):
        if v is None or isinstance(v, bool) or not isinstance(v, (int, float)) \
                or not math.isfinite(v) or not 0 <= v <= 1:
            raise ValueError(f"{name} must be a score from 0 to 1, not {v!r}")
    assert delegated is not None and premium is not None
    return _keep(memory, _delegated(memory, run_id, stage), run_id, stage, float(delegated),
                 float(premium), preferred=preferred, reviewer=reviewer, note=note)


def record_pair_verdict(memory: Memory, delegated: dict[str, Any], *, quality: float,
                        premium_quality: float, reviewer: str = "",
                        note: str = "") -> dict[str, Any] | None:
    """Keep a person's verdict given on two ledger rows seen blind (the studio's review): the
    ``delegated`` row (a production answer, not premium's) and premium's answer to the same
    input. The verdict belongs to the delegated row's run and stage, as
    :func:`record_verdict`'s do; None when a person already judged that pair (the first
    verdict holds: another tab, another person)."""
    if delegated.get("route") == "premium" or delegated.get("purpose") != "production":
        raise ValueError("the delegated side of a pair is a production answer of a route "
                         "other than premium")
    run_id, stage = str(delegated["run_id"]), str(delegated["stage"])
    if f"{run_id}/{stage}" in reviewed(memory):
        return None
    side = _Side(str(delegated["task_type"]), str(delegated["channel"]),
                 str(delegated["route"]))
    return _keep(memory, side, run_id, stage, quality, premium_quality, preferred=None,
                 reviewer=reviewer, note=note)


def reviewed(memory: Memory) -> set[str]:
    """The pairs a person gave a verdict on, as "run id/stage"."""
    return {str(item["key"]) for item in memory.remembered(HUMAN)}


def _keep(memory: Memory, side: _Side, run_id: str, stage: str, delegated: float,
          premium: float, *, preferred: str | None, reviewer: str,
          note: str) -> dict[str, Any]:
    payload = {"run_id": run_id, "stage": stage, "task_type": side.task_type,
               "channel": side.channel, "route": side.route, "quality": delegated,
               "premium_quality": premium, "preferred": preferred,
               "reviewer": reviewer[:200], "note": note[:2000], "at": time.time()}
    memory.remember(HUMAN, side.channel, f"{run_id}/{stage}", payload, delegated)
    return payload


def human_pairs(memory: Memory, *, task_type: str | None = None,
                channel: str | None = None, route: str | None = None,
                run_id: str | None = None) -> list[dict[str, Any]]:
    """People's verdicts on pairs (the newest per run and stage), filtered; each has
    ``quality`` (delegated), ``premium_quality``, ``task_type``, ``route``, ``run_id``,
    ``stage``. Rows the studio wrote in another shape are skipped, not guessed at."""
    latest: dict[str, dict[str, Any]] = {}
    for item in memory.remembered(HUMAN, channel):
        p = item.get("payload")
        if not isinstance(p, dict) or not _usable(p):
            continue
        latest[str(item["key"])] = p  # oldest first: a later verdict replaces it
    out = []
    for p in latest.values():
        if (task_type is not None and p["task_type"] != task_type) or \
                (route is not None and p["route"] != route) or \
                (run_id is not None and p["run_id"] != run_id):
            continue
        out.append(p)
    return out


def _usable(p: dict[str, Any]) -> bool:
    def score(v: Any) -> bool:
        return isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v <= 1
    return all(isinstance(p.get(k), str) for k in ("run_id", "stage", "task_type", "route")) \
        and score(p.get("quality")) and score(p.get("premium_quality")) \
        and p.get("route") != "premium"


# -- comparisons (shadow pairs and human verdicts) ----------------------------------------------
def comparisons(memory: Memory, task_type: str, channel: str | None,
                route: str) -> list[dict[str, Any]]:
    """Every comparison of ``route`` with premium on the same input for a task type: judged
    pairs, with a person's verdict replacing the judge's on the same run and stage."""
    return comparisons_by_route(memory, task_type, channel, route).get(route, [])


def comparisons_by_route(memory: Memory, task_type: str, channel: str | None,
                         route: str | None = None) -> dict[str, list[dict[str, Any]]]:
    """:func:`comparisons` of every route of a task type (or of ``route``), read at once:
    route -> its pairs, people's verdicts first."""
    human = human_pairs(memory, task_type=task_type, channel=channel, route=route)
    seen = {(h["run_id"], h["stage"]) for h in human}
    out: dict[str, list[dict[str, Any]]] = {}
    for h in human:
        out.setdefault(h["route"], []).append(dict(h, evidence="human"))
    for p in memory.shadow_pairs(task_type, channel, route):
        if (p["run_id"], p["stage"]) not in seen:
            out.setdefault(p["route"], []).append(dict(p, evidence="shadow"))
    return out


def evidence_counts(memory: Memory, task_type: str, route: str,
                    with_evidence: int | None = None) -> dict[str, int]:
    """How many outcomes of ``route`` for a task type (all channels) each kind of evidence
    stronger than a check backs: what `route explain` says the router learned from. Given
    ``with_evidence`` (the outcomes with any evidence, checks included), the rest are counted
    as route-blind checks."""
    counts: dict[str, int] = memory.evidence_count(task_type, route, kinds=("judge", "shadow"))
    checks = (with_evidence or 0) - sum(counts.values())
    if checks > 0:
        counts["check"] = checks
    human = len(human_pairs(memory, task_type=task_type, route=route))
    if human:
        counts["human"] = human
    return counts


def judged_stats(memory: Memory, task_type: str, channel: str | None = None,
                 *, floor: float | None = None,
                 now: float | None = None) -> dict[str, RouteStats]:
    """Per route, the outcomes of a task type whose quality a judge or a person gave (judge
    scores, judged pairs, human verdicts), and its failures (a failure is a fact about a route
    whoever saw it; it scores its check's figure, or 0) and, given a ``floor``, the outcomes a
    route-blind check scored below it (a check can show work is poor, not that it is as good as
    a model's): the statistics the router may learn a preference over a model route from. Decayed with memory's half-life, like
    :meth:`Memory.route_stats`."""
    now = time.time() if now is None else now
    rows: dict[str, list[tuple[float, float, bool, int]]] = {}
    human = human_pairs(memory, task_type=task_type, channel=channel)
    people = {(h["run_id"], h["stage"]) for h in human}
    kinds = ("judge", "shadow", "check") if floor is not None else ("judge", "shadow")
    for a in memory.evidence_outcomes(task_type, channel, kinds=kinds, failures=True):
        if a.success and a.evidence == "check" and (a.quality or 0.0) >= (floor or 0.0):
            continue  # a passing check: usable, not shown as good as a model's answer
        if a.success and (a.run_id, a.stage) in people:
            continue  # a person's verdict on this result replaces the judge's
        rows.setdefault(a.route, []).append((a.created_at, float(a.quality or 0.0), a.success,
                                             a.cost_nano))
    for h in human:
        rows.setdefault(h["route"], []).append((float(h.get("at") or now), h["quality"],
                                                True, 0))
    out: dict[str, RouteStats] = {}
    for route, items in rows.items():
        w = ws = wq = wq2 = 0.0
        q_sum, cost = 0.0, 0
        for at, q, ok, c in items:
            f = memory._decay(now - at)
            w, ws, wq, wq2 = w + f, ws + f * ok, wq + f * q, wq2 + f * q * q
            q_sum, cost = q_sum + q, cost + c
        n = len(items)
        out[route] = RouteStats(route, n, sum(ok for _, _, ok, _ in items), n, q_sum, cost, 0,
                                0.0, w, ws, wq, wq2, 0.0, w, 0)
    return out


def run_comparisons(attempts: list["Attempt"], human: list[dict[str, Any]]
                    ) -> dict[str, tuple[float, float, str]]:
    """Per stage of one run: (delegated quality, premium's, evidence) of its comparison, a
    person's verdict over the judge's pair."""
    out: dict[str, tuple[float, float, str]] = {}
    for stage in dict.fromkeys(a.stage for a in attempts if a.purpose == "production"):
        chosen = [a for a in attempts if a.stage == stage and a.purpose == "production"
                  and a.success]
        if not chosen or chosen[-1].route == "premium":
            continue
        a = chosen[-1]
        if a.evidence == "shadow" and a.quality is not None:
            twin = next((s for s in attempts if s.stage == stage and s.purpose == "shadow"
                         and s.created_at == a.created_at and s.evidence == "shadow"
                         and s.quality is not None), None)
            if twin is not None and twin.quality is not None:
                out[stage] = (a.quality, twin.quality, "shadow")
    for h in human:
        out[h["stage"]] = (h["quality"], h["premium_quality"], "human")
    return out
