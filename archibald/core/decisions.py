"""What the router and its helpers share: the backends registered per route, the router's
decision for one task, a task's accepted result, and the check a stage passes.

The router (:mod:`.router`), quality assurance (:mod:`.assurance`), the strategy and the
baseline all read these; this module reads none of them. :class:`RouterParts` is what
assurance uses of the router, so it is typed without importing it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Protocol

from ..providers.backends.base import Backend
from ..store.ledger import Attempt
from .tasks import Outcome, Task, TaskAnalysis

if TYPE_CHECKING:
    from ..config import Settings
    from ..store.memory import Memory
    from .budgets import BudgetGuard
    from .prices import PriceBook

__all__ = ["Registry", "Decision", "RouteResult", "QualityCheck", "RouterParts"]

#: a stage's check: scores an outcome in [0, 1] with details
QualityCheck = Callable[[Outcome], tuple[float, dict[str, Any]]]


class Registry:
    """Which backend serves which (task type, route)."""

    def __init__(self) -> None:
        self._backends: dict[tuple[str, str], Backend] = {}

    def register(self, task_type: str, route: str, backend: Backend) -> None:
        self._backends[(task_type, route)] = backend

    def get(self, task_type: str, route: str) -> Backend | None:
        return self._backends.get((task_type, route))

    def backends(self) -> list[Backend]:
        """Every backend registered, each once."""
        return list({id(b): b for b in self._backends.values()}.values())

    def unavailable(self, task_type: str, route: str) -> str | None:
        """Why this route cannot run this task type here, or None when it can."""
        backend = self.get(task_type, route)
        if backend is None:
            return f"no {route} backend for {task_type}"
        return backend.unavailable_reason()


@dataclass
class Decision:
    """The router's choice for one task, with everything `route explain` shows."""

    task_type: str
    channel: str
    analysis: TaskAnalysis
    decision: str  # "keep" or "delegate"
    route: str
    reason: str
    learned: dict[str, Any] | None
    chain: list[str]
    unavailable: dict[str, str] = field(default_factory=dict)
    numbers: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"task_type": self.task_type, "channel": self.channel,
                "analysis": self.analysis.as_dict(), "decision": self.decision,
                "route": self.route, "reason": self.reason, "learned": self.learned,
                "fallback_chain": self.chain, "unavailable": self.unavailable,
                "numbers": self.numbers}


@dataclass
class RouteResult:
    """The accepted outcome of a task and every attempt it took to get there."""

    outcome: Outcome
    decision: Decision
    attempts: list[Attempt]
    below_floor: bool = False

    @property
    def cost_nano(self) -> int:
        return sum(a.cost_nano for a in self.attempts)

    @property
    def baseline_nano(self) -> int:
        return sum(a.baseline_nano for a in self.attempts)

    @property
    def qa_attempts(self) -> list[Attempt]:
        """The judge and shadow calls among the attempts (the cost of quality assurance)."""
        return [a for a in self.attempts if a.purpose != "production"]

    @property
    def qa_cost_nano(self) -> int:
        return sum(a.cost_nano for a in self.qa_attempts)


class RouterParts(Protocol):
    """What quality assurance uses of the :class:`~.router.Router` it serves."""

    settings: Settings
    memory: Memory
    registry: Registry
    prices: PriceBook
    budget: BudgetGuard
    rng: random.Random

    def estimate(self, task: Task, route: str, analysis: TaskAnalysis) -> float: ...

    def _attempt(self, task: Task, route: str, backend: Backend, success: bool, cost: int,
                 baseline: int, run_id: str, stage: str, seconds: float, reason: str, *,
                 outcome: Outcome | None = None, error: str | None = None) -> Attempt: ...
