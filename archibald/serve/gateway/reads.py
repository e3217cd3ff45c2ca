"""The gateway's store: the reads behind a routing decision kept for a moment.

``archibald/auto`` decides every request from what memory has learned: each route's decayed
statistics, the judged pairs against premium, people's verdicts, the evidence counted behind
them. Read from the database on every request, that is a handful of queries (a self-join of
the ledger among them) per request, for figures that change by one outcome in hundreds. The
gateway reads them through :class:`DecisionReads`: each read kept for ``ttl`` seconds (1 by
default, ``ARCHIBALD_DECISION_CACHE_SECONDS``; 0 keeps nothing), and forgotten at once when
this process records evidence that can turn a decision (a verdict, a regrade, a judge's or a
shadow's score; a route's statistics, one query, whenever an outcome joins them). Another
worker's evidence is seen within ``ttl``.

Only decisions read through it. Money never does: a reservation sums committed money inside
its own transaction (:meth:`Memory.reserve`), uncached.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any, TypeVar

from ...store.ledger import Attempt
from ...store.memory import Memory
from ...store.stats import RouteStats

__all__ = ["DecisionReads"]

T = TypeVar("T")
#: kinds of remembered item that are evidence (people's verdicts)
_EVIDENCE_KINDS = ("human",)


class DecisionReads(Memory):
    """A :class:`Memory` whose decision reads are kept ``ttl`` seconds (see the module)."""

    def __init__(self, url: str | None = None, *, half_life_days: float = 30.0,
                 ttl: float | None = None) -> None:
        super().__init__(url, half_life_days=half_life_days)
        self.ttl = float(os.environ.get("ARCHIBALD_DECISION_CACHE_SECONDS", "1")) \
            if ttl is None else ttl
        self._kept: dict[tuple[Any, ...], tuple[float, Any]] = {}

    def _read(self, key: tuple[Any, ...], read: Callable[[], T]) -> T:
        if self.ttl <= 0:
            return read()
        now = time.monotonic()
        hit = self._kept.get(key)
        if hit is not None and now - hit[0] < self.ttl:
            return hit[1]  # type: ignore[no-any-return]
        value = read()
        self._kept[key] = (now, value)
        return value

    def forget_reads(self) -> None:
        """Read everything afresh next time (evidence was recorded here)."""
        self._kept.clear()

    # -- the reads a decision makes ---------------------------------------------------------
    def route_stats(self, task_type: str, channel: str | None = None,
                    *, now: float | None = None) -> dict[str, RouteStats]:
        if now is not None:
            return super().route_stats(task_type, channel, now=now)
        return self._read(("route_stats", task_type, channel),
                          lambda: super(DecisionReads, self).route_stats(task_type, channel))

    def shadow_pairs(self, task_type: str | None = None, channel: str | None = None,
                     route: str | None = None, limit: int = 5000) -> list[dict[str, Any]]:
        return self._read(("shadow_pairs", task_type, channel, route, limit),
                          lambda: super(DecisionReads, self).shadow_pairs(
                              task_type, channel, route, limit))

    def evidence_count(self, task_type: str, route: str, *,
                       kinds: tuple[str, ...] = ("judge", "shadow")) -> dict[str, int]:
        return dict(self._read(("evidence_count", task_type, route, kinds),
                               lambda: super(DecisionReads, self).evidence_count(
                                   task_type, route, kinds=kinds)))

    def remembered(self, kind: str, channel: str | None = None) -> list[dict[str, Any]]:
        if kind not in _EVIDENCE_KINDS:
            return super().remembered(kind, channel)
        return self._read(("remembered", kind, channel),
                          lambda: super(DecisionReads, self).remembered(kind, channel))

    # -- writes of evidence that can turn a decision ------------------------------------------
    def remember(self, kind: str, channel: str, key: str, payload: dict[str, Any],
                 score: float) -> None:
        super().remember(kind, channel, key, payload, score)
        if kind in _EVIDENCE_KINDS:
            self.forget_reads()

    def regrade(self, attempt_id: int, quality: float, evidence: str) -> Attempt | None:
        found = super().regrade(attempt_id, quality, evidence)
        self.forget_reads()
        return found

    def record(self, a: Attempt) -> int:
        row = super().record(a)
        if a.purpose != "production" or a.evidence not in ("", "check", "unjudged"):
            self.forget_reads()  # a judge's or a shadow's score: a comparison may have changed
        return row

    def settle(self, a: Attempt, outcome: dict[str, Any] | None = None, *,
               also: Callable[[Any], None] | None = None, soon: bool = False,
               after: Callable[[], None] | None = None) -> bool:
        task_type, judged = a.task_type, a.evidence not in ("", "check", "unjudged")
        checked = a.checked

        def forget() -> None:
            if checked and judged:
                self.forget_reads()
            elif checked:  # one more outcome in its route's statistics: read afresh (a query)
                for key in [k for k in self._kept if k[:2] == ("route_stats", task_type)]:
                    self._kept.pop(key, None)
            if after is not None:
                after()
        return super().settle(a, outcome, also=also, soon=soon, after=forget)
