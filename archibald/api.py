"""The router, ledger and budgets around your own calls, and pipelines run from Python, from
sync or async code.

A function of yours becomes a route of a task type with :func:`backend`; :func:`open_router`
builds the router over the settings, the database and the shipped backends (yours on top);
``await router.run(task, context)`` routes a task from async code, :func:`run_sync` from
plain code. Every attempt is priced, checked against the budgets before it runs, and recorded
in the ledger, exactly as in a pipeline.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import os
from pathlib import Path
from typing import Any, Awaitable, Callable, Mapping, TypeVar

from .core.price_rules import FREE, PriceRule, per_call, per_second, per_unit, priced, rule_of
from .providers.backends.base import FunctionBackend
from .config import Settings, load_settings
from .errors import UserError
from .store.memory import Memory
from .core.router import Registry, RouteResult, Router
from .core.tasks import Context, Task

__all__ = ["backend", "open_router", "run_sync", "run", "run_async", "per_call", "per_unit",
           "per_second", "priced", "FREE", "PriceRule"]

F = TypeVar("F", bound=Callable[..., Any])


def backend(registry: Registry, task_type: str, route: str, *,
            name: str | None = None, price: PriceRule | None = None) -> Callable[[F], F]:
    """Register the decorated function as ``route`` of ``task_type`` in ``registry``.

    The function takes ``(task, context)`` and returns an :class:`~archibald.core.tasks.Outcome`
    (with what the call consumed: ``Outcome(..., usage=Usage(characters=1200))``) or just the
    artifact. It may be ``async def`` or plain; a plain one runs in a thread so the event loop
    is never blocked.

    ``price`` is its price rule (:func:`~archibald.core.price_rules.per_call`,
    :func:`~archibald.core.price_rules.per_unit`, :func:`~archibald.core.price_rules.
    per_second`, or :data:`~archibald.core.price_rules.FREE` for work on this machine): its
    calls are then reserved against the budgets before they are made and priced by it, like
    ours. Without one, a call is recorded at the cost the function reports, said so in the
    ledger; one that reports none is recorded at $0 with a warning (docs/backends.md)."""

    def register(fn: F) -> F:
        if inspect.iscoroutinefunction(fn):
            call: Callable[[Task, Context], Awaitable[object]] = fn
        else:
            async def call(task: Task, context: Context) -> object:
                return await asyncio.to_thread(fn, task, context)
        label = name or f"{route}:{getattr(fn, '__name__', 'function')}"
        rule = price if price is not None else rule_of(fn)
        registry.register(task_type, route, FunctionBackend(
            label, route, functools.wraps(fn)(call), price=rule, declared=rule is not None))
        return fn

    return register


def open_router(settings: Settings | str | os.PathLike[str] | None = None, *,
                memory: Memory | None = None, registry: Registry | None = None) -> Router:
    """A router over ``settings`` (or the archibald.toml at that path, or the usual lookup),
    ``memory`` (default: ARCHIBALD_DB or the user data folder) and the shipped backends, with
    every route of ``registry`` taking precedence. Close its memory when done:
    ``router.memory.close()``."""
    if not isinstance(settings, Settings):
        settings = load_settings(settings)
    memory = memory or Memory(half_life_days=settings.router.evidence_half_life_days)
    from .core.catalog import build_registry

    registry = registry or Registry()
    shipped = build_registry(settings, memory)
    for task_type, profile in settings.profiles.items():
        for route in profile.routes:
            found = shipped.get(task_type, route)
            if registry.get(task_type, route) is None and found is not None:
                registry.register(task_type, route, found)
    return Router(settings, memory, registry)


def run_sync(router: Router, task: Task, context: Context | None = None,
             **options: Any) -> RouteResult:
    """``router.run`` for code without an event loop (a script, a Flask view, a notebook
    cell without top-level await). Inside a running loop, ``await router.run(...)`` instead."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        context = context or Context(workdir=Path.cwd(), settings=router.settings)
        return asyncio.run(router.run(task, context, **options))
    raise UserError("run_sync() was called inside a running event loop; use "
                    "`await router.run(task, context)` there")


def _prepare_run(pipeline: Any, inputs: Mapping[str, Any] | None,
                 settings: Settings | str | os.PathLike[str] | None, out: str | os.PathLike[str],
                 channel: str, seed: int) -> tuple[Any, Settings]:
    from .pipeline.define import PipelineDef
    from .pipeline.run import RunRequest
    from .pipeline.spec import Pipeline, load_pipeline

    def resolve(known: Any) -> Pipeline:
        if isinstance(pipeline, PipelineDef):
            return pipeline.build(list(known))
        return pipeline if isinstance(pipeline, Pipeline) else load_pipeline(pipeline)

    if isinstance(settings, Settings):  # the caller's settings, overrides and all
        spec = resolve(settings.profiles)
        settings = settings.with_task_types(spec.task_types)
    else:  # a Python pipeline needs to know which task types the configuration defines
        known = load_settings(settings).profiles if isinstance(pipeline, PipelineDef) else ()
        spec = resolve(known)
        settings = load_settings(settings, pipeline=spec)
    req = RunRequest(pipeline=spec, inputs=spec.run_inputs(dict(inputs or {}), where="inputs"),
                     channel=channel, out=Path(out), seed=seed)
    return req, settings


async def run_async(pipeline: Any, inputs: Mapping[str, Any] | None = None, *,
                    out: str | os.PathLike[str] = "out", channel: str = "default",
                    seed: int = 0, settings: Settings | str | os.PathLike[str] | None = None,
                    router: Router | None = None, progress: Any = None) -> dict[str, Any]:
    """Run (or resume) a pipeline from async code: a :class:`PipelineDef` made in Python, a
    loaded pipeline, a pipeline file's path or a shipped pipeline's name. Returns run.json's
    content (also written to ``out`` with the outputs and the report)."""
    from .pipeline.run import run_pipeline_async

    req, settings = _prepare_run(pipeline, inputs, settings, out, channel, seed)
    own = router is None
    router = router or open_router(settings)
    try:
        return await run_pipeline_async(req, settings, memory=router.memory, router=router,
                                        progress=progress)
    finally:
        if own:
            router.memory.close()


def run(pipeline: Any, inputs: Mapping[str, Any] | None = None, **options: Any) -> dict[str, Any]:
    """:func:`run_async` for code without an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(run_async(pipeline, inputs, **options))
    raise UserError("archibald.run() was called inside a running event loop; use "
                    "`await archibald.run_async(...)` there")
