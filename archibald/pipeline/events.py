"""What the engine tells the world while it runs: a stage changed state.

The engine reports through a plain callback, ``progress(event: StageEvent)``, so any callable
works (tests collect events in a list; the terminal display is :mod:`.progress`, the studio's
live page another listener). This module imports nothing of the engine's or a display's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["StageState", "StageEvent", "ProgressCallback"]

#: skipped: not run because a stage it depends on failed
StageState = Literal["waiting", "running", "done", "failed", "resumed", "skipped"]


@dataclass(frozen=True)
class StageEvent:
    """A stage changed state, ``at`` seconds after the run started."""

    stage: str
    state: StageState
    at: float
    phase: str = ""
    task_type: str = ""
    seconds: float | None = None  # how long the stage ran (done, failed)
    record: Mapping[str, Any] = field(default_factory=dict)
    error: str | None = None


ProgressCallback = Callable[[StageEvent], None]
