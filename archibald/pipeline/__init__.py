"""Pipelines: a DAG of stages run concurrently, resumable, with progress for a person."""

from archibald.pipeline.engine import (
    PHASES,
    Engine,
    PhaseTiming,
    PipelineError,
    RunResult,
    Stage,
    StageInput,
    StageOutcome,
    StageResult,
)
from archibald.pipeline.progress import (
    LiveProgress,
    PlainProgress,
    ProgressCallback,
    StageEvent,
    progress_display,
    summary_lines,
    summary_table,
)
from archibald.pipeline.store import StageStore

__all__ = [
    "PHASES",
    "Engine",
    "PhaseTiming",
    "PipelineError",
    "RunResult",
    "Stage",
    "StageInput",
    "StageOutcome",
    "StageResult",
    "LiveProgress",
    "PlainProgress",
    "ProgressCallback",
    "StageEvent",
    "progress_display",
    "summary_lines",
    "summary_table",
    "StageStore",
]
