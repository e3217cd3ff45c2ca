"""Budgets per task, run, month and channel, checked before a call is made."""

from __future__ import annotations

import datetime as dt

from .config import Budgets
from .errors import BudgetExceeded
from .ledger import NANO, to_nano
from .memory import Memory

__all__ = ["BudgetGuard", "month_start"]


def month_start(now: dt.datetime | None = None) -> float:
    """The Unix time at which the current calendar month (UTC) began."""
    now = now or dt.datetime.now(dt.timezone.utc)
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0).timestamp()


class BudgetGuard:
    """Refuses a call whose cost would cross any budget. Nothing is spent when it refuses."""

    def __init__(self, budgets: Budgets, memory: Memory) -> None:
        self.budgets = budgets
        self.memory = memory

    def check(self, cost_usd: float, *, channel: str, run_id: str, task_spent_nano: int = 0,
              now: dt.datetime | None = None) -> None:
        """Raise BudgetExceeded if spending ``cost_usd`` more would cross a limit."""
        if cost_usd <= 0:
            return
        cost = to_nano(cost_usd)
        b = self.budgets
        if b.per_task_usd is not None:
            self._cross("this task", task_spent_nano, cost, b.per_task_usd,
                        "[budgets] per_task_usd")
        if b.per_run_usd is not None and run_id:
            spent = self.memory.spent_nano(run_id=run_id)
            self._cross(f"run {run_id}", spent, cost, b.per_run_usd, "[budgets] per_run_usd")
        since = month_start(now)
        if b.per_month_usd is not None:
            spent = self.memory.spent_nano(since=since)
            self._cross("this month", spent, cost, b.per_month_usd, "[budgets] per_month_usd")
        if channel in b.channels:
            spent = self.memory.spent_nano(since=since, channel=channel)
            self._cross(f"channel {channel!r} this month", spent, cost, b.channels[channel],
                        f"[budgets.channels] {channel}")

    @staticmethod
    def _cross(scope: str, spent: int, cost: int, limit_usd: float, setting: str) -> None:
        if spent + cost > to_nano(limit_usd):
            raise BudgetExceeded(scope, spent / NANO, cost / NANO, limit_usd, setting)
