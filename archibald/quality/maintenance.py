"""Quality maintenance: the judged quality of the routes chosen ÷ premium's on the same tasks.

The design's headline metric (>= 95%). It is measured only where a judge looked at both sides:
a shadow pair (a delegated task also run on premium and judged pairwise against it) gives both
numbers for one task. A task kept on premium is no comparison at all (premium against itself
proves nothing about delegating) and never counts. A run without a judge has no number, and
says "not measured (no judge)" instead of guessing.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from ..store.ledger import Attempt

__all__ = ["quality_maintenance", "summarise", "NO_JUDGE"]

NO_JUDGE = "not measured (no judge)"


def summarise(pairs: Sequence[tuple[float, float]], note: str = "") -> dict[str, Any]:
    """``pairs`` of (chosen route's judged quality, premium's) as ratio of means, the count,
    and a 95% interval (t interval of the per-pair ratios; None under two pairs)."""
    usable = [(a, b) for a, b in pairs if b > 0]
    if not usable:
        return {"ratio": None, "n": 0, "low": None, "high": None, "note": note or NO_JUDGE}
    ratio = sum(a for a, _ in usable) / sum(b for _, b in usable)
    low = high = None
    if len(usable) >= 2:
        from scipy import stats as st

        per = [a / b for a, b in usable]
        mean = sum(per) / len(per)
        sd = math.sqrt(sum((r - mean) ** 2 for r in per) / (len(per) - 1))
        half = float(st.t.ppf(0.975, len(per) - 1)) * sd / math.sqrt(len(per))
        low, high = round(ratio - half, 4), round(ratio + half, 4)
    return {"ratio": round(ratio, 4), "n": len(usable), "low": low, "high": high,
            "note": note or "judged against premium"}


def _pair(production: Attempt, shadows: list[Attempt]) -> tuple[float, float] | None:
    """The judged (chosen, premium) qualities of one task, when a judge gave both."""
    if production.quality is None:
        return None
    if production.evidence == "shadow":
        twin = next((s for s in shadows if s.created_at == production.created_at
                     and s.evidence == "shadow" and s.quality is not None), None)
        return None if twin is None or twin.quality is None else (production.quality,
                                                                  twin.quality)
    return None


def quality_maintenance(attempts: Iterable[Attempt],
                        human: Sequence[dict[str, Any]] = ()) -> dict[str, Any]:
    """Per stage and overall, from one run's attempts (production, judge and shadow) and the
    verdicts people gave on its pairs (``human``: :func:`archibald.quality.evidence.
    human_pairs` of the run, each replacing the judge's pair on its stage): the contract's
    ``{"overall": {...}, "stages": {stage: {...}}}`` with ratio, n, low, high, note."""
    rows = list(attempts)
    people = {str(h["stage"]): (float(h["quality"]), float(h["premium_quality"]))
              for h in human}
    stages: dict[str, Any] = {}
    pairs: list[tuple[float, float]] = []
    judged_any = any(a.purpose == "judge" for a in rows)
    for stage in dict.fromkeys(a.stage for a in rows if a.purpose == "production"):
        chosen = [a for a in rows if a.stage == stage and a.purpose == "production"
                  and a.success]
        if not chosen:
            continue
        shadows = [a for a in rows if a.stage == stage and a.purpose == "shadow"]
        verdict = people.get(stage) if chosen[-1].route != "premium" else None
        pair = verdict or _pair(chosen[-1], shadows)
        if pair is not None:
            pairs.append(pair)
            stages[stage] = summarise([pair], "a person's verdict on the pair with premium"
                                      if verdict else "")
        elif chosen[-1].route == "premium":
            stages[stage] = summarise([], "premium's own work: no comparison to make")
        elif chosen[-1].evidence == "judge":
            stages[stage] = summarise([], "not measured (judged; no premium answer to compare)")
        elif judged_any:
            stages[stage] = summarise([], "not measured (not judged: no rubric for this work)")
        else:
            stages[stage] = summarise([])
    overall = summarise(pairs) if pairs else summarise(
        [], "" if not judged_any else "not measured (no judged pair with premium)")
    return {"overall": overall, "stages": stages}
