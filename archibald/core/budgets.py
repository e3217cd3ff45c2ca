"""Budgets per task, run, month and channel, as reservations made before a call.

A call reserves the most it can cost (its maximum, from its max_tokens, image size, characters
or seconds) in the database, in the same transaction that sums what is already committed
(settled costs plus every other open reservation) and writes the call's pending ledger row.
The transaction is serialised across processes (see :meth:`archibald.store.memory.Memory.reserve`),
so two runs sharing a database cannot both fit under one limit. Settling replaces the maximum
with the real cost.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..config import Budgets
from ..errors import BudgetExceeded, ConfigError
from ..store.ledger import NANO, Attempt, to_nano
from ..store.memory import Memory, SpentFn

__all__ = ["BudgetGuard", "Limit", "month_start", "checked_limit"]


def month_start(now: dt.datetime | None = None) -> float:
    """The Unix time at which the current calendar month (UTC) began."""
    now = now or dt.datetime.now(dt.timezone.utc)
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0).timestamp()


def checked_limit(value: object, setting: str) -> float | None:
    """A budget limit as a finite number >= 0 (None: no limit); anything else is a
    ConfigError naming ``setting``.

    The configuration loader validates too; this is the guard money itself keeps, so a nan
    (which compares false with everything) can never switch a budget off.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"must be a number of US dollars, not {value!r}", setting=setting)
    limit = float(value)
    if not math.isfinite(limit) or limit < 0:
        raise ConfigError(f"must be a finite amount >= 0, not {value!r}", setting=setting)
    return limit


@dataclass(frozen=True)
class Limit:
    """One budget that applies to a call: how to sum its spend, its limit and its setting."""

    scope: str
    limit_nano: int
    setting: str
    since: float | None = None
    channel: str | None = None
    run_id: str | None = None

    def spent(self, spent_fn: SpentFn) -> int:
        return spent_fn(since=self.since, channel=self.channel, run_id=self.run_id)

    def room(self, spent_fn: SpentFn) -> int:
        """What may still be reserved under this limit, in nano-dollars."""
        return self.limit_nano - self.spent(spent_fn)


class BudgetGuard:
    """Reserves before a call and refuses one whose maximum would cross any budget."""

    def __init__(self, budgets: Budgets, memory: Memory) -> None:
        self.budgets = budgets
        self.memory = memory
        self.per_task = checked_limit(budgets.per_task_usd, "budgets.per_task_usd")
        self.per_run = checked_limit(budgets.per_run_usd, "[budgets] per_run_usd")
        self.per_month = checked_limit(budgets.per_month_usd, "[budgets] per_month_usd")
        self.channels = {name: checked_limit(v, f"[budgets.channels] {name}")
                         for name, v in budgets.channels.items()}
        #: more limits by channel, from elsewhere than the settings (the gateway's virtual
        #: keys): each is asked for the limits of a call's channel, inside the reservation
        self.sources: list[Callable[[str], list[Limit]]] = []

    def limits(self, *, channel: str, run_id: str,
               now: dt.datetime | None = None) -> list[Limit]:
        """The stored-spend limits that apply to a call of this run on this channel."""
        out = []
        since = month_start(now)
        if self.per_run is not None and run_id:
            out.append(Limit(f"run {run_id}", to_nano(self.per_run), "[budgets] per_run_usd",
                             run_id=run_id))
        if self.per_month is not None:
            out.append(Limit("this month", to_nano(self.per_month), "[budgets] per_month_usd",
                             since=since))
        limit = self.channels.get(channel)
        if limit is not None:
            out.append(Limit(f"channel {channel!r} this month", to_nano(limit),
                             f"[budgets.channels] {channel}", since=since, channel=channel))
        for source in self.sources:
            out.extend(source(channel))
        return out

    def task_room(self, task_spent_nano: int) -> int | None:
        """What this task may still spend under per_task_usd, or None without that limit."""
        if self.per_task is None:
            return None
        return to_nano(self.per_task) - task_spent_nano

    def reserve(self, attempt: Attempt, *, task_spent_nano: int = 0,
                now: dt.datetime | None = None,
                also: Callable[[Any, int], None] | None = None) -> int:
        """Write ``attempt`` (its ``max_cost_nano`` set) as a pending row if it fits every
        budget, atomically; raise BudgetExceeded, writing nothing, when it does not.
        ``also(conn, row_id)``: more written in the reservation's transaction."""
        limits = self.limits(channel=attempt.channel, run_id=attempt.run_id, now=now)

        def check(spent: SpentFn) -> None:
            self._fits(attempt.max_cost_nano, limits, spent, task_spent_nano)

        return self.memory.reserve(attempt, check, also=also)

    def room(self, *, channel: str, run_id: str, task_spent_nano: int = 0,
             now: dt.datetime | None = None) -> int | None:
        """The most a call may reserve right now under every budget, or None if unlimited
        (a hint for shrinking a call; the reservation itself re-checks atomically)."""
        rooms = [lim.room(self.memory.spent_nano)
                 for lim in self.limits(channel=channel, run_id=run_id, now=now)]
        task = self.task_room(task_spent_nano)
        if task is not None:
            rooms.append(task)
        return min(rooms) if rooms else None

    def _fits(self, cost: int, limits: list[Limit], spent_fn: SpentFn,
              task_spent_nano: int) -> None:
        if cost <= 0:
            return
        task = self.task_room(task_spent_nano)
        if task is not None and cost > task:
            raise BudgetExceeded("this task", task_spent_nano / NANO, cost / NANO,
                                 self.per_task or 0.0, "budgets.per_task_usd")
        for lim in limits:
            spent = lim.spent(spent_fn)
            if spent + cost > lim.limit_nano:
                raise BudgetExceeded(lim.scope, spent / NANO, cost / NANO,
                                     lim.limit_nano / NANO, lim.setting)
