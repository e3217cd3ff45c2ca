"""The overview's figures: spend against the all-premium baseline over time and by channel,
pipeline, provider and route; savings split into verified and unverified; budgets with their
live reservations, and alerts near a limit. Every figure is a sum of ledger rows."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import case, func, select

from ...budgets import BudgetGuard, month_start
from ...config import Settings
from ...memory import Memory
from ...migrations import attempts, runs

__all__ = ["overview", "VERIFIED", "ALERT_SHARE"]

#: evidence that makes a saving verified: a judge, a comparison with premium, a person
VERIFIED = ("judge", "shadow", "human")
#: a budget this full is an alert
ALERT_SHARE = 0.8
_DAY = 86400
_WEEK = 7 * _DAY
#: what is drawn: the last 30 days, or the last 26 weeks
_SPAN = {"day": (_DAY, 30), "week": (_WEEK, 26)}


def _bucket(ts: float, size: int) -> int:
    if size == _WEEK:  # weeks start on Monday (1970-01-01 was a Thursday)
        return int((ts - 4 * _DAY) // _WEEK) * _WEEK + 4 * _DAY
    return int(ts // size) * size


def _provider(backend: str) -> str:
    """The provider of a backend name: ``anthropic:claude-…`` -> anthropic; local -> local."""
    head = backend.split(":", 1)[0] if ":" in backend else backend
    return head or "unknown"


def _rows_by(memory: Memory, col: Any, since: float | None = None) -> list[dict[str, Any]]:
    c = attempts.c
    stmt = select(col.label("key"), func.sum(c.cost_nano), func.sum(c.baseline_nano),
                  func.count()).group_by(col)
    if since is not None:
        stmt = stmt.where(c.created_at >= since)
    with memory.engine.connect() as conn:
        return [{"key": str(k), "cost_nano": int(cost or 0), "baseline_nano": int(base or 0),
                 "n": int(n)} for k, cost, base, n in conn.execute(stmt)]


def _series(memory: Memory, period: str, now: float) -> list[dict[str, Any]]:
    size, count = _SPAN[period]
    start = _bucket(now, size) - (count - 1) * size
    c = attempts.c
    key = func.floor(c.created_at / _DAY) if period == "day" else \
        func.floor((c.created_at - 4 * _DAY) / _WEEK)
    stmt = (select(key, func.sum(c.cost_nano), func.sum(c.baseline_nano))
            .where(c.created_at >= start).group_by(key))
    sums: dict[int, tuple[int, int]] = {}
    with memory.engine.connect() as conn:
        for k, cost, base in conn.execute(stmt):
            at = int(k) * _DAY if period == "day" else int(k) * _WEEK + 4 * _DAY
            sums[at] = (int(cost or 0), int(base or 0))
    out: list[dict[str, Any]] = []
    for i in range(count):
        at = start + i * size
        cost, base = sums.get(at, (0, 0))
        out.append({"at": at, "cost_nano": cost, "baseline_nano": base})
    top = max([max(p["cost_nano"], p["baseline_nano"]) for p in out] + [1])
    for p in out:
        p["cost_h"], p["baseline_h"] = p["cost_nano"] / top, p["baseline_nano"] / top
    return out


def _savings(memory: Memory) -> dict[str, int]:
    """Production savings (baseline - cost) backed by evidence of quality, and the rest."""
    c = attempts.c
    verified = c.evidence.in_(VERIFIED)
    saving = c.baseline_nano - c.cost_nano
    stmt = select(func.sum(case((verified, saving), else_=0)),
                  func.sum(case((verified, 0), else_=saving)),
                  func.sum(case((c.purpose != "production", c.cost_nano), else_=0))
                  ).where(c.purpose.in_(("production", "judge", "shadow")))
    with memory.engine.connect() as conn:
        v, u, qa = conn.execute(stmt).one()
    return {"verified_nano": int(v or 0), "unverified_nano": int(u or 0),
            "qa_nano": int(qa or 0)}


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
             now: float | None = None) -> dict[str, Any]:
    """Everything the overview page shows."""
    now = time.time() if now is None else now
    period = period if period in _SPAN else "day"
    c = attempts.c
    by_backend = _rows_by(memory, c.backend)
    providers: dict[str, dict[str, Any]] = {}
    for r in by_backend:
        p = providers.setdefault(_provider(r["key"]), {"key": _provider(r["key"]),
                                                       "cost_nano": 0, "baseline_nano": 0,
                                                       "n": 0})
        for k in ("cost_nano", "baseline_nano", "n"):
            p[k] += r[k]
    with memory.engine.connect() as conn:
        by_pipeline = [{"key": k, "cost_nano": int(cost or 0), "baseline_nano": int(base or 0),
                        "n": int(n)} for k, cost, base, n in conn.execute(
            select(runs.c.pipeline, func.sum(runs.c.cost_nano), func.sum(runs.c.baseline_nano),
                   func.count()).group_by(runs.c.pipeline))]
        totals = conn.execute(select(func.coalesce(func.sum(c.cost_nano), 0),
                                     func.coalesce(func.sum(c.baseline_nano), 0),
                                     func.count())).one()
    budgets = _budgets(memory, settings)

    def ranked(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return sorted(rows, key=lambda r: (-r["cost_nano"], -r["baseline_nano"], r["key"]))

    return {"period": period, "series": _series(memory, period, now),
            "cost_nano": int(totals[0]), "baseline_nano": int(totals[1]),
            "attempts": int(totals[2]), "savings": _savings(memory),
            "by": {"channel": ranked(_rows_by(memory, c.channel)),
                   "pipeline": ranked(by_pipeline),
                   "provider": ranked(list(providers.values())),
                   "route": ranked(_rows_by(memory, c.route))},
            "budgets": budgets, "alerts": [b for b in budgets if b["alert"]]}
