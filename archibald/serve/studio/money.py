"""The overview's figures: spend against the all-premium baseline over time and by channel,
pipeline, provider and route; savings split into verified and unverified; budgets with their
live reservations, and alerts near a limit. Every figure is a sum of ledger rows.

The sums come from a :class:`Rollup`: the ledger grouped by day, channel, route, backend,
purpose and evidence, kept by the server process and brought up to date on each request by
the rows added since (a range of the primary key), so a page does not scan 200,000 rows. Rows
that may still change (a reservation not yet settled, an answer not yet checked) are summed
live, never kept; forgetting evidence, or five minutes passing, rebuilds it whole.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from sqlalchemy import func, or_, select

from ...core.budgets import BudgetGuard, month_start
from ...config import Settings
from ...store.memory import Memory
from ...store.migrations import attempts, runs

__all__ = ["overview", "Rollup", "VERIFIED", "ALERT_SHARE"]

#: evidence that makes a saving verified: a judge, a comparison with premium, a person
VERIFIED = ("judge", "shadow", "human")
#: a budget this full is an alert
ALERT_SHARE = 0.8
_DAY = 86400
_WEEK = 7 * _DAY
_MONDAY = 4 * _DAY  # 1970-01-01 was a Thursday: weeks start on Monday
#: what is drawn: the last 30 days, or the last 26 weeks
_SPAN = {"day": (_DAY, 30), "week": (_WEEK, 26)}
#: a rollup older than this is rebuilt whole (a correction to an old row shows within it)
REBUILD_SECONDS = 300.0
#: a reservation open longer than this (a killed run's) no longer holds the rollup back
_OPEN_WINDOW = 3600.0

Key = tuple[str, str, str, str, str]  # channel, route, backend, purpose, evidence
Sums = list[int]  # cost_nano, baseline_nano, count


def _grouped(memory: Memory, low: int, high: int | None) -> list[tuple[Any, ...]]:
    """The ledger rows with ``low < id <= high`` grouped by day and key, summed."""
    c = attempts.c
    day = func.floor(c.created_at / _DAY)
    stmt = (select(day, c.channel, c.route, c.backend, c.purpose, c.evidence,
                   func.sum(c.cost_nano), func.sum(c.baseline_nano), func.count())
            .where(c.id > low).group_by(day, c.channel, c.route, c.backend, c.purpose,
                                        c.evidence))
    if high is not None:
        stmt = stmt.where(c.id <= high)
    with memory.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(stmt)]


def _fold(rows: list[tuple[Any, ...]], keys: dict[Key, Sums], days: dict[int, Sums]) -> None:
    for day, channel, route, backend, purpose, evidence, cost, base, n in rows:
        k = (str(channel), str(route), str(backend), str(purpose), str(evidence))
        s = keys.setdefault(k, [0, 0, 0])
        s[0] += int(cost or 0)
        s[1] += int(base or 0)
        s[2] += int(n)
        d = days.setdefault(int(day) * _DAY, [0, 0, 0])
        d[0] += int(cost or 0)
        d[1] += int(base or 0)
        d[2] += int(n)


class Rollup:
    """The ledger's sums by key and by day for one server process (see the module's doc)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.upto = 0
        self.keys: dict[Key, Sums] = {}
        self.days: dict[int, Sums] = {}
        self.forgotten = -1
        self.built_at = 0.0
        self._building = False

    def _marks(self, memory: Memory, now: float) -> tuple[int, int, int]:
        """(rows forgotten, the highest id that can no longer change, the highest id)."""
        c = attempts.c
        with memory.engine.connect() as conn:
            forgotten = conn.execute(select(func.count()).select_from(attempts).where(
                c.evidence == "forgotten")).scalar_one()
            top = conn.execute(select(func.max(c.id))).scalar() or 0
            open_ = conn.execute(select(func.min(c.id)).where(
                or_(c.status == "pending", c.checked.is_(False)),
                c.created_at > now - _OPEN_WINDOW)).scalar()
        stable = int(open_) - 1 if open_ is not None else int(top)
        return int(forgotten), stable, int(top)

    def _build(self, memory: Memory, now: float) -> None:
        """Sum every row that can no longer change, from scratch, and take it as the rollup."""
        forgotten, stable, _ = self._marks(memory, now)
        keys: dict[Key, Sums] = {}
        days: dict[int, Sums] = {}
        _fold(_grouped(memory, 0, stable), keys, days)
        with self._lock:
            self.keys, self.days, self.upto = keys, days, stable
            self.forgotten, self.built_at, self._building = forgotten, now, False

    def warm(self, memory: Memory) -> None:
        """Build (or rebuild) in a thread of its own; pages meanwhile use what there is."""
        with self._lock:
            if self._building:
                return
            self._building = True
        threading.Thread(target=self._build, args=(memory, time.time()), daemon=True,
                         name="studio-rollup").start()

    def sums(self, memory: Memory, now: float | None = None
             ) -> tuple[dict[Key, Sums], dict[int, Sums]]:
        """Every row's sums by key and by day, as the ledger holds them now."""
        now = time.time() if now is None else now
        forgotten, stable, top = self._marks(memory, now)
        with self._lock:
            fresh = self.built_at > 0 and forgotten == self.forgotten and stable >= self.upto
        if not fresh:  # never built, or evidence forgotten since: rebuilt before answering
            self._build(memory, now)
        elif now - self.built_at > REBUILD_SECONDS:
            self.warm(memory)
        with self._lock:
            if stable > self.upto:
                _fold(_grouped(memory, self.upto, stable), self.keys, self.days)
                self.upto = stable
            keys = {k: list(v) for k, v in self.keys.items()}
            days = {k: list(v) for k, v in self.days.items()}
            upto = self.upto
        if top > upto:  # the rows that may still change: summed live, never kept
            _fold(_grouped(memory, upto, None), keys, days)
        return keys, days


def _provider(backend: str) -> str:
    """The provider of a backend name: ``anthropic:claude-…`` -> anthropic; local -> local."""
    head = backend.split(":", 1)[0] if ":" in backend else backend
    return head or "unknown"


def _by(keys: dict[Key, Sums], pick: Any) -> list[dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for k, (cost, base, n) in keys.items():
        name = pick(k)
        row = out.setdefault(name, {"key": name, "cost_nano": 0, "baseline_nano": 0, "n": 0})
        row["cost_nano"] += cost
        row["baseline_nano"] += base
        row["n"] += n
    return sorted(out.values(), key=lambda r: (-r["cost_nano"], -r["baseline_nano"], r["key"]))


def _bucket(ts: float, size: int) -> int:
    if size == _WEEK:
        return int((ts - _MONDAY) // _WEEK) * _WEEK + _MONDAY
    return int(ts // size) * size


def _series(days: dict[int, Sums], period: str, now: float) -> list[dict[str, Any]]:
    size, count = _SPAN[period]
    start = _bucket(now, size) - (count - 1) * size
    sums: dict[int, list[int]] = {}
    for day, (cost, base, _) in days.items():
        if day >= start:
            s = sums.setdefault(_bucket(day, size), [0, 0])
            s[0] += cost
            s[1] += base
    out: list[dict[str, Any]] = []
    for i in range(count):
        at = start + i * size
        cost, base = sums.get(at, [0, 0])
        out.append({"at": at, "cost_nano": cost, "baseline_nano": base})
    top = max([max(p["cost_nano"], p["baseline_nano"]) for p in out] + [1])
    for p in out:
        p["cost_h"], p["baseline_h"] = p["cost_nano"] / top, p["baseline_nano"] / top
    return out


def _savings(keys: dict[Key, Sums]) -> dict[str, int]:
    """Production savings (baseline - cost) backed by evidence of quality, and the rest; and
    what quality assurance (judge and shadow calls) cost."""
    verified = unverified = qa = 0
    for (_, _, _, purpose, evidence), (cost, base, _) in keys.items():
        if purpose == "production":
            if evidence in VERIFIED:
                verified += base - cost
            else:
                unverified += base - cost
        elif purpose in ("judge", "shadow"):
            qa += cost
    return {"verified_nano": verified, "unverified_nano": unverified, "qa_nano": qa}


def _budgets(memory: Memory, settings: Settings) -> list[dict[str, Any]]:
    """Each monthly budget: spent (settled plus reserved), the live reservations in it, and
    whether it is near or over its limit."""
    guard = BudgetGuard(settings.budgets, memory)
    since = month_start()
    c = attempts.c
    out = []
    limits: list[tuple[str, float | None, str | None]] = [
        ("this month (all channels)", guard.per_month, None)]
    limits += [(f"channel {name} this month", lim, name) for name, lim in guard.channels.items()]
    for label, limit, channel in limits:
        if limit is None:
            continue
        stmt = select(func.coalesce(func.sum(c.max_cost_nano), 0), func.count()).where(
            c.status == "pending", c.created_at >= since)
        if channel is not None:
            stmt = stmt.where(c.channel == channel)
        with memory.engine.connect() as conn:
            reserved, open_calls = conn.execute(stmt).one()
        spent = memory.spent_nano(since=since, channel=channel)
        limit_nano = int(round(limit * 1e9))
        share = spent / limit_nano if limit_nano else 1.0
        out.append({"label": label, "limit_nano": limit_nano, "spent_nano": spent,
                    "reserved_nano": int(reserved), "open_calls": int(open_calls),
                    "share": share, "alert": share >= ALERT_SHARE,
                    "over": spent >= limit_nano})
    return out


def overview(memory: Memory, settings: Settings, period: str = "day",
             now: float | None = None, rollup: Rollup | None = None) -> dict[str, Any]:
    """Everything the overview page shows (``rollup``: the process's, else one for now)."""
    now = time.time() if now is None else now
    period = period if period in _SPAN else "day"
    keys, days = (rollup or Rollup()).sums(memory, now)
    with memory.engine.connect() as conn:
        by_pipeline = [{"key": k, "cost_nano": int(cost or 0), "baseline_nano": int(base or 0),
                        "n": int(n)} for k, cost, base, n in conn.execute(
            select(runs.c.pipeline, func.sum(runs.c.cost_nano), func.sum(runs.c.baseline_nano),
                   func.count()).group_by(runs.c.pipeline))]
    budgets = _budgets(memory, settings)
    return {"period": period, "series": _series(days, period, now),
            "cost_nano": sum(v[0] for v in keys.values()),
            "baseline_nano": sum(v[1] for v in keys.values()),
            "attempts": sum(v[2] for v in keys.values()), "savings": _savings(keys),
            "by": {"channel": _by(keys, lambda k: k[0]),
                   "pipeline": sorted(by_pipeline, key=lambda r: (-r["cost_nano"], r["key"])),
                   "provider": _by(keys, lambda k: _provider(k[2])),
                   "route": _by(keys, lambda k: k[1])},
            "budgets": budgets, "alerts": [b for b in budgets if b["alert"]]}
