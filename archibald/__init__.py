"""Archibald: a cost-aware meta-orchestrator for AI content pipelines."""

from __future__ import annotations

from .errors import (
    ArchibaldError,
    BudgetExceeded,
    ConfigError,
    DelegationError,
    UserError,
)
from .tasks import Context, Outcome, Task, TaskAnalysis, Usage

__version__ = "0.1.0"

__all__ = [
    "ArchibaldError",
    "BudgetExceeded",
    "ConfigError",
    "Context",
    "DelegationError",
    "Outcome",
    "Task",
    "TaskAnalysis",
    "Usage",
    "UserError",
    "__version__",
]
