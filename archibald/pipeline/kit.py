"""What a stage's own code (a pipeline's local implementation) may use from the engine.

A local implementation is ``async def fn(task: Task, context: Context) -> dict``: its inputs are
``task.inputs`` (rendered from the pipeline file), its folder is ``context.workdir`` (write
files there, return their paths as strings), ``context.seed`` its seed. CPU-heavy work goes to
the engine's worker processes with :func:`in_process`, so several stages (and, in a batch,
several runs) share the cores without oversubscribing them.
"""

from __future__ import annotations

from typing import Any, Callable, TypeVar

from ..core.tasks import Context

__all__ = ["in_process", "cpu_workers"]

T = TypeVar("T")


def cpu_workers(context: Context, most: int = 2) -> int:
    """How many processes a CPU-heavy stage may use (one each when a batch shares the cores)."""
    stage = context.extra.get("stage")
    return max(1, min(most, int(getattr(stage, "cpu_workers", most))))


async def in_process(context: Context, fn: Callable[..., T], *args: Any, **kw: Any) -> T:
    """``fn(*args, **kw)`` in the engine's worker processes (``fn`` must be picklable: a
    module-level function); called outside an engine, it simply runs here."""
    stage = context.extra.get("stage")
    if stage is None:
        return fn(*args, **kw)
    result: T = await stage.run_in_process(fn, *args, **kw)
    return result
