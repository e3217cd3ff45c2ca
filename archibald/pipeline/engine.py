"""The pipeline engine: a DAG of stages run concurrently, each finished stage kept for resume.

Every stage whose dependencies are done runs at once as an asyncio task (``concurrency`` caps
how many; 1 runs them one at a time). A stage's key is a digest of its name, its own key
inputs, the config digest, the seed and its dependencies' *result* digests, so a changed
input reruns exactly the stages it reaches. Finished stages found in the store are loaded, not
run, and reported ``resumed=True`` so nobody charges them twice.

    async def script(inp: StageInput) -> StageResult:
        path = inp.stage_dir / "script.md"
        path.write_text(write(inp.inputs["topic"], inp.deps["concept"].value, inp.seed))
        return StageResult(value={"words": 1400}, files={"script": path},
                           record={"route": "local", "cost": 0.0})

    engine = Engine([Stage("concept", "concept", (), concept, phase=PHASES[0]),
                     Stage("script", "script_writing", ("concept",), script,
                           phase=PHASES[0])],
                    out_dir, key_inputs={"topic": "sleep", "minutes": 10},
                    config_digest=settings_digest, seed=7)
    with progress_display() as progress:
        result = await engine.run(progress)

Work for ``run_in_process`` runs in a forkserver pool, which imports the program's
``__main__``: scripts that build an Engine need an ``if __name__ == "__main__":`` guard.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import multiprocessing
import os
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar

from archibald.errors import StageFailed
from archibald.pipeline.lifeline import Lifeline, guarded
from archibald.pipeline.dag import PipelineError, dag_order
from archibald.pipeline.events import ProgressCallback, StageEvent, StageState
from archibald.store.fsio import sweep_stage_folder
from archibald.pipeline.store import StageStore, digest

__all__ = ["PHASES", "Stage", "StageInput", "StageResult", "StageOutcome", "PhaseTiming",
           "RunResult", "Engine", "PipelineError"]

T = TypeVar("T")
log = logging.getLogger(__name__)

#: the design's five phases, in order
PHASES = ("creative work", "parallel execution", "parallel delegation", "local + memory",
          "publishing + learning")



@dataclass
class StageResult:
    """What a stage returns: a JSON-able value, its files (under stage_dir), its run record."""

    value: dict[str, Any] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)
    record: dict[str, Any] = field(default_factory=dict)  # route, cost... opaque to the engine


@dataclass(frozen=True)
class StageInput:
    """What a stage's ``run`` receives."""

    stage: str
    deps: Mapping[str, StageResult]  # the results of the stages it depends on, by name
    inputs: Mapping[str, Any]  # its key inputs (only those it declared, if it declared any)
    workdir: Path
    stage_dir: Path  # an empty folder for this stage's files; kept with its result
    seed: int
    _executor: Callable[[], Executor] = field(repr=False)
    #: processes a CPU-bound stage may keep busy: every core alone, one when runs share them
    cpu_workers: int = field(default_factory=lambda: os.cpu_count() or 1)

    async def run_in_process(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn(*args, **kwargs)`` in the shared worker processes (fn must be picklable)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor(), functools.partial(fn, *args,
                                                                              **kwargs))

    async def run_in_thread(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run blocking I/O (a subprocess, a file copy) without stalling the other stages."""
        return await asyncio.to_thread(fn, *args, **kwargs)


@dataclass(frozen=True)
class Stage:
    """One node of the pipeline: a task type, the stages it needs, and how to run it."""

    name: str
    task_type: str
    deps: tuple[str, ...]
    run: Callable[[StageInput], Awaitable[StageResult]]
    cpu_bound: bool = False  # at most os.cpu_count() such stages run at once
    phase: str = ""
    #: names of the engine's key inputs this stage reads; None means all of them
    key_inputs: tuple[str, ...] | None = None
    #: bump when the stage's code changes its output, to invalidate stored results
    version: str = ""


@dataclass(frozen=True)
class StageOutcome:
    """A stage's result in this run, with when it ran (seconds from the run's start)."""

    name: str
    result: StageResult
    seconds: float
    started: float
    finished: float
    resumed: bool  # loaded from an earlier run: not run, not to be charged again
    key: str
    result_digest: str
    phase: str = ""
    task_type: str = ""


@dataclass(frozen=True)
class PhaseTiming:
    """When a phase's stages ran; busy/wall above 1 means they overlapped."""

    phase: str
    stages: tuple[str, ...]
    started: float
    finished: float
    busy_seconds: float

    @property
    def wall_seconds(self) -> float:
        return max(0.0, self.finished - self.started)

    @property
    def parallelism(self) -> float:
        return self.busy_seconds / self.wall_seconds if self.wall_seconds > 0 else 0.0


@dataclass(frozen=True)
class RunResult:
    """Every stage's outcome and the run's wall time."""

    stages: dict[str, StageOutcome]
    wall_seconds: float
    started_at: str  # ISO 8601, UTC
    concurrency: int | None

    def records(self) -> dict[str, dict[str, Any]]:
        """Each stage's record, with its timing and whether it was resumed."""
        return {n: {**o.result.record, "seconds": round(o.seconds, 3), "resumed": o.resumed}
                for n, o in self.stages.items()}

    def phases(self) -> list[PhaseTiming]:
        """The phases in the design's order (others after), from the stages that ran."""
        by_phase: dict[str, list[StageOutcome]] = {}
        for o in self.stages.values():
            by_phase.setdefault(o.phase, []).append(o)
        order = [p for p in PHASES if p in by_phase] + sorted(p for p in by_phase
                                                              if p not in PHASES)
        return [PhaseTiming(phase=p, stages=tuple(o.name for o in by_phase[p]),
                            started=min(o.started for o in by_phase[p]),
                            finished=max(o.finished for o in by_phase[p]),
                            busy_seconds=sum(o.seconds for o in by_phase[p]))
                for p in order]


def topological_order(stages: Iterable[Stage]) -> list[str]:
    """Stage names, dependencies first; validates the DAG (see :func:`.dag.dag_order`)."""
    return dag_order((s.name, s.deps) for s in stages)


class Engine:
    """Runs a pipeline in ``workdir``; see the module docstring."""

    def __init__(self, stages: Iterable[Stage], workdir: Path | str, *,
                 key_inputs: Mapping[str, Any], config_digest: str, seed: int = 0,
                 concurrency: int | None = None, keep_going: bool = True,
                 executor: Executor | None = None, locked: bool = False,
                 cpu_slots: asyncio.Semaphore | None = None) -> None:
        stage_list = list(stages)
        self.order = topological_order(stage_list)
        self.stages = {s.name: s for s in stage_list}
        for s in stage_list:
            missing = [k for k in s.key_inputs or () if k not in key_inputs]
            if missing:
                raise PipelineError(f"stage {s.name!r} reads key inputs {missing} that the "
                                    f"engine was not given")
        if concurrency is not None and concurrency < 1:
            raise PipelineError(f"concurrency must be at least 1, not {concurrency}")
        self.workdir = Path(workdir)
        self.key_inputs = dict(key_inputs)
        self.config_digest = config_digest
        self.seed = seed
        self.concurrency = concurrency
        self.keep_going = keep_going  # after a failure, still run stages that do not need it
        self.store = StageStore(self.workdir)
        #: the caller holds ``store.lock()`` around the whole run (and what it writes after)
        self.locked = locked
        self._given_executor = executor
        #: shared with other engines in the same event loop (a batch): one CPU budget for all
        self._cpu_slots = cpu_slots
        self._pool: ProcessPoolExecutor | None = None
        self._lifeline: Lifeline | None = None
        #: the stages finished (run or resumed) by the last ``run``, kept when it fails
        self.outcomes: dict[str, StageOutcome] = {}

    def stage_key(self, stage: Stage, deps: Mapping[str, StageOutcome]) -> str:
        """The digest a stage's stored result is kept under."""
        return digest({"stage": stage.name, "task_type": stage.task_type,
                       "version": stage.version, "inputs": self._inputs_of(stage),
                       "config": self.config_digest, "seed": self.seed,
                       "deps": {d: deps[d].result_digest for d in stage.deps}})

    def _inputs_of(self, stage: Stage) -> dict[str, Any]:
        if stage.key_inputs is None:
            return dict(self.key_inputs)
        return {k: self.key_inputs[k] for k in stage.key_inputs}

    def _executor(self) -> Executor:
        if self._given_executor is not None:
            return self._given_executor
        if self._pool is None:
            method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() \
                else "spawn"
            # workers (and, through them, the forkserver) die with this process, even SIGKILLed
            self._lifeline = Lifeline()
            self._pool = ProcessPoolExecutor(max_workers=os.cpu_count() or 1,
                                             mp_context=multiprocessing.get_context(method),
                                             initializer=guarded,
                                             initargs=self._lifeline.initargs())
        return self._pool

    def _shutdown_pool(self, *, cancelled: bool) -> None:
        pool, self._pool = self._pool, None
        lifeline, self._lifeline = self._lifeline, None
        if pool is None:
            return
        if cancelled:  # do not wait for work nobody will collect
            for proc in list(getattr(pool, "_processes", {}).values()):
                proc.terminate()
            pool.shutdown(wait=False, cancel_futures=True)
        else:
            pool.shutdown(wait=True)
        if lifeline is not None:
            lifeline.close()

    async def run(self, progress: ProgressCallback | None = None) -> RunResult:
        """Run (or resume) the pipeline; raise StageFailed naming the first failed stage."""
        emit: ProgressCallback = progress or (lambda event: None)
        t0 = time.perf_counter()
        started_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        slots = asyncio.Semaphore(self.concurrency) if self.concurrency else None
        cpu_slots = self._cpu_slots or asyncio.Semaphore(os.cpu_count() or 1)
        outcomes: dict[str, StageOutcome] = {}
        self.outcomes = outcomes
        failures: dict[str, BaseException] = {}
        running: dict[asyncio.Task[StageOutcome], str] = {}
        pending = list(self.order)
        skipped: set[str] = set()
        cancelled = True
        with contextlib.nullcontext() if self.locked else self.store.lock():
            for name in self.order:
                self._emit(emit, name, "waiting", t0)
            try:
                while True:
                    for name in list(pending):  # dependencies first: skips cascade
                        deps = self.stages[name].deps
                        if (failures and not self.keep_going) \
                                or any(d in failures or d in skipped for d in deps):
                            pending.remove(name)
                            skipped.add(name)
                            self._emit(emit, name, "skipped", t0)
                        elif all(d in outcomes for d in deps):
                            pending.remove(name)
                            task = asyncio.create_task(self._run_stage(
                                self.stages[name], outcomes, emit, t0, slots, cpu_slots))
                            running[task] = name
                    if not running:
                        break
                    done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                    for task in sorted(done, key=lambda t: self.order.index(running[t])):
                        name = running.pop(task)
                        exc = (asyncio.CancelledError(f"stage {name!r} was cancelled")
                               if task.cancelled() else task.exception())
                        if exc is None:
                            outcomes[name] = task.result()
                        else:
                            failures[name] = exc
                            self._emit(emit, name, "failed", t0,
                                       error=str(exc) or type(exc).__name__)
                cancelled = False
                if not failures:  # every stage stored: what is left unfinished is stale
                    await asyncio.to_thread(self.store.sweep)
            finally:
                for task in running:
                    task.cancel()
                if running:
                    await asyncio.gather(*running, return_exceptions=True)
                await asyncio.to_thread(self._shutdown_pool, cancelled=cancelled)
        if failures:
            name, exc = next(iter(failures.items()))
            err = StageFailed(name, exc)
            for other, other_exc in list(failures.items())[1:]:
                err.add_note(f"stage {other!r} also failed: {other_exc}")
            kept = [n for n in self.order if n in outcomes]
            err.add_note(f"kept for the next run: {', '.join(kept) or 'nothing'}")
            raise err from exc
        return RunResult(stages={n: outcomes[n] for n in self.order},
                         wall_seconds=time.perf_counter() - t0, started_at=started_at,
                         concurrency=self.concurrency)

    def _stage_dir(self, name: str, key: str) -> Path:
        """The stage's folder; one a killed run left is kept, not cleared: it may hold an
        answer already paid for, which the ledger points at and a resume re-uses. Only the
        temporaries it was writing are swept."""
        files = self.store.files_dir(name, key)
        if files.is_dir() and not files.is_symlink() and not files.parent.is_symlink():
            sweep_stage_folder(files)
            return files
        return self.store.prepare(name, key)

    def _emit(self, emit: ProgressCallback, name: str, state: StageState, t0: float,
              **extra: Any) -> None:
        stage = self.stages[name]
        try:
            emit(StageEvent(stage=name, state=state, at=time.perf_counter() - t0,
                            phase=stage.phase, task_type=stage.task_type, **extra))
        except Exception:  # a broken display must not fail a (paid) pipeline
            log.exception("progress display failed on %s %s", name, state)

    async def _run_stage(self, stage: Stage, outcomes: Mapping[str, StageOutcome],
                         emit: ProgressCallback, t0: float, slots: asyncio.Semaphore | None,
                         cpu_slots: asyncio.Semaphore) -> StageOutcome:
        deps = {d: outcomes[d] for d in stage.deps}
        key = self.stage_key(stage, deps)
        began = time.perf_counter()
        entry = await asyncio.to_thread(self.store.load, stage.name, key)
        if entry is None:
            async with AsyncExitStack() as stack:
                if slots is not None:
                    await stack.enter_async_context(slots)
                if stage.cpu_bound:
                    await stack.enter_async_context(cpu_slots)
                stage_dir = await asyncio.to_thread(self._stage_dir, stage.name, key)
                began = time.perf_counter()
                self._emit(emit, stage.name, "running", t0)
                result = await stage.run(StageInput(
                    stage=stage.name, deps={d: o.result for d, o in deps.items()},
                    inputs=self._inputs_of(stage), workdir=self.workdir, stage_dir=stage_dir,
                    seed=self.seed, _executor=self._executor,
                    cpu_workers=1 if self._cpu_slots is not None else os.cpu_count() or 1))
                if not isinstance(result, StageResult):
                    raise TypeError(f"run() returned {type(result).__name__}, not StageResult")
                # what a worker killed mid-write left (its own stage kept going) goes too
                await asyncio.to_thread(sweep_stage_folder, stage_dir)
                entry = await asyncio.to_thread(
                    self.store.save, stage.name, key, value=result.value, files=result.files,
                    record=result.record, seconds=time.perf_counter() - began)
            resumed = False
        else:
            resumed = True
        ended = time.perf_counter()
        outcome = StageOutcome(
            name=stage.name, result=StageResult(value=entry.value, files=entry.files,
                                                record=entry.record),
            seconds=ended - began, started=began - t0, finished=ended - t0, resumed=resumed,
            key=key, result_digest=entry.result_digest, phase=stage.phase,
            task_type=stage.task_type)
        self._emit(emit, stage.name, "resumed" if resumed else "done", t0,
                   seconds=outcome.seconds, record=entry.record)
        return outcome
