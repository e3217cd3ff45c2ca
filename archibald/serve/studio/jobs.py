"""Work the studio starts: a run of a pipeline, or a batch (a schedule's slot, a list of
topics). Each runs in a thread of this process with its own event loop, so pages keep
answering; its progress goes into the store (``studio_jobs``) for every worker's live view,
and a cancel request made by any worker is seen by the one running it within half a second.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Protocol

from sqlalchemy import select, update

from ...errors import ArchibaldError, InputError
from ...store.migrations import studio_jobs

if TYPE_CHECKING:
    from ...config import Settings
    from ...pipeline.batch import BatchItem, ItemResult
    from ...pipeline.run import RunRequest
    from ...store.memory import Memory

__all__ = ["Jobs", "pipeline_choices", "load_any_pipeline"]

#: how often a running job looks for a cancel request, seconds
POLL = 0.5


def pipeline_choices(settings: "Settings") -> dict[str, str]:
    """The pipelines the "New run" form offers: name -> what to load (shipped names, then the
    files of ``[studio] pipelines``)."""
    from ...pipelines import shipped_pipelines

    out = {name: name for name in shipped_pipelines()}
    for raw in settings.tables.studio.pipelines:
        path = Path(raw).expanduser()
        if not path.is_absolute() and settings.path is not None:
            path = settings.path.parent / path
        out[path.stem] = str(path)
    return out


def load_any_pipeline(settings: "Settings", name: str) -> Any:
    from ...pipeline.spec import load_pipeline

    choices = pipeline_choices(settings)
    return load_pipeline(choices.get(name, name))


class Host(Protocol):
    """What jobs need of the studio that runs them (archibald.serve.studio.state.Studio)."""

    settings: "Settings"
    memory: "Memory"
    #: who this process is, in the store's jobs
    owner: str

    @property
    def out_root(self) -> Path: ...


def _now() -> float:
    return time.time()


class Jobs:
    """The jobs of one server process, and the cancel requests of every process's jobs."""

    def __init__(self, studio: "Host") -> None:
        self.studio = studio
        self.engine = studio.memory.engine
        self._threads: dict[str, threading.Thread] = {}
        self._lock = threading.Lock()
        self.orphans()

    def orphans(self) -> int:
        """Jobs left "running" by a server of this machine that has stopped (killed, crashed)
        say so, instead of showing as running for ever; return how many."""
        import os
        import socket

        host = socket.gethostname()
        with self.engine.connect() as conn:
            rows = conn.execute(select(studio_jobs.c.job_id, studio_jobs.c.owner).where(
                studio_jobs.c.state == "running")).all()
        gone = []
        for job_id, owner in rows:
            where, _, pid = str(owner).rpartition(":")
            if where != host or not pid.isdigit() or int(pid) == os.getpid():
                continue
            try:
                os.kill(int(pid), 0)
            except ProcessLookupError:
                gone.append(job_id)
            except PermissionError:  # alive, another user's
                continue
        for job_id in gone:
            self._update(job_id, state="failed", error="the server that ran it stopped; "
                                                       "resume the run to finish it")
        return len(gone)

    # -- the store ------------------------------------------------------------------------
    def _insert(self, kind: str, title: str, spec: dict[str, Any],
                run_id: str | None = None) -> str:
        job_id = uuid.uuid4().hex[:16]
        now = _now()
        with self.engine.begin() as conn:
            conn.execute(studio_jobs.insert().values(
                job_id=job_id, kind=kind, run_id=run_id, title=title,
                spec=json.dumps(spec, default=str), state="running", progress="{}",
                cancel=False, owner=self.studio.owner, error="", created_at=now,
                updated_at=now))
        return job_id

    def _update(self, job_id: str, **values: Any) -> None:
        if "progress" in values:
            values["progress"] = json.dumps(values["progress"], default=str)
        with self.engine.begin() as conn:
            conn.execute(update(studio_jobs).where(studio_jobs.c.job_id == job_id)
                         .values(updated_at=_now(), **values))

    def get(self, job_id: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(studio_jobs).where(studio_jobs.c.job_id == job_id)
                               ).mappings().first()
        if row is None:
            return None
        job = dict(row)
        job["progress"] = json.loads(job["progress"] or "{}")
        job["spec"] = json.loads(job["spec"] or "{}")
        return job

    def recent(self, limit: int = 20) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(
                select(studio_jobs.c.job_id, studio_jobs.c.kind, studio_jobs.c.title,
                       studio_jobs.c.state, studio_jobs.c.run_id, studio_jobs.c.created_at)
                .order_by(studio_jobs.c.created_at.desc()).limit(limit)).mappings()]

    def cancel(self, job_id: str) -> bool:
        """Ask the job's process to stop it; False if it is not running."""
        with self.engine.begin() as conn:
            done = conn.execute(update(studio_jobs).where(
                studio_jobs.c.job_id == job_id, studio_jobs.c.state == "running")
                .values(cancel=True, updated_at=_now())).rowcount
        return bool(done)

    def _cancelled(self, job_id: str) -> bool:
        with self.engine.connect() as conn:
            return bool(conn.execute(select(studio_jobs.c.cancel).where(
                studio_jobs.c.job_id == job_id)).scalar())

    # -- running --------------------------------------------------------------------------
    def _spawn(self, job_id: str, work: Callable[[], None]) -> None:
        thread = threading.Thread(target=work, name=f"studio-job-{job_id}", daemon=True)
        with self._lock:
            self._threads[job_id] = thread
        thread.start()

    async def _watch(self, job_id: str, coro: Any) -> Any:
        """Run ``coro``; cancel it when the job's cancel flag is set."""
        task = asyncio.ensure_future(coro)
        while not task.done():
            await asyncio.wait({task}, timeout=POLL)
            if not task.done() and await asyncio.to_thread(self._cancelled, job_id):
                task.cancel()
                break
        return await task

    def _finish(self, job_id: str, body: Callable[[], Any]) -> None:
        try:
            body()
        except asyncio.CancelledError:
            self._update(job_id, state="cancelled", error="cancelled from the studio")
        except (ArchibaldError, OSError, ValueError) as exc:
            self._update(job_id, state="failed", error=" ".join(str(exc).split())[:500])
        except Exception as exc:  # a bug: the job says so instead of hanging as "running"
            self._update(job_id, state="failed", error=f"{type(exc).__name__}: {exc}"[:500])
            raise
        finally:
            with self._lock:
                self._threads.pop(job_id, None)

    def run_request(self, pipeline_name: str, raw_inputs: dict[str, Any], channel: str,
                    seed: int = 0, out: Path | None = None) -> "tuple[RunRequest, Settings]":
        """A checked run request (an InputError/ConfigError names what to fix)."""
        from ...pipeline.run import RunRequest, check_request

        settings = self.studio.settings
        spec = load_any_pipeline(settings, pipeline_name)
        inputs = spec.run_inputs(raw_inputs, where="the form")
        settings = settings.with_task_types(spec.task_types)
        for s in spec.stages:
            settings.profile(s.task_type)
        req = RunRequest(pipeline=spec, inputs=inputs, channel=channel or "default",
                         out=Path("."), seed=seed)
        folder = out or self.studio.out_root / "runs" / f"{spec.name}-{req.run_id[4:]}"
        req = replace(req, out=folder)
        check_request(req)
        return req, settings

    def start_run(self, req: "RunRequest", settings: "Settings") -> str:
        """Run (or resume) ``req`` in this process; return the job's id."""
        title = f"{req.pipeline.name}: {req.inputs.get('topic', '') or req.run_id}"
        job_id = self._insert("run", title, {"pipeline": req.pipeline.name,
                                             "inputs": dict(req.inputs),
                                             "channel": req.channel, "out": str(req.out)},
                              run_id=req.run_id)
        self._spawn(job_id, lambda: self._finish(job_id, lambda: self._run(job_id, req,
                                                                          settings)))
        return job_id

    def _run(self, job_id: str, req: "RunRequest", settings: "Settings") -> None:
        from ...core.catalog import build_registry
        from ...pipeline.run import run_pipeline_async
        from ...core.router import Router

        memory = self.studio.memory
        stages: dict[str, dict[str, Any]] = {s.name: {"state": "waiting",
                                                      "task_type": s.task_type}
                                             for s in req.pipeline.stages}
        self._update(job_id, progress={"stages": stages})

        def event(ev: Any) -> None:
            rec = dict(ev.record or {})
            stages[ev.stage] = {"state": ev.state, "task_type": ev.task_type,
                                "route": rec.get("route"), "cost_nano": rec.get("cost_nano"),
                                "error": ev.error, "seconds": ev.seconds}
            self._update(job_id, progress={"stages": stages})

        router = Router(settings, memory, build_registry(settings, memory))
        data = asyncio.run(self._watch(job_id, run_pipeline_async(
            req, settings, memory=memory, router=router, progress=event)))
        self._update(job_id, state="done" if data.get("status") == "done" else "failed",
                     progress={"stages": stages})

    def start_batch(self, title: str, items: "list[BatchItem]",
                    on_done: Callable[[str, str], None] | None = None) -> str:
        """Run ``items`` through the batch runner in this process; return the job's id.
        ``on_done(job_id, state)`` is called when it ends (a schedule closes its slot)."""
        if not items:
            raise InputError("a batch needs at least one item")
        job_id = self._insert("batch", title, {"items": [
            {"topic": it.topic, "channel": it.channel, "pipeline": it.pipeline,
             "out": str(it.out)} for it in items]})

        def body() -> None:
            try:
                self._batch(job_id, items)
            finally:
                if on_done is not None:
                    job = self.get(job_id)
                    on_done(job_id, job["state"] if job else "failed")
        self._spawn(job_id, lambda: self._finish(job_id, body))
        return job_id

    def _batch(self, job_id: str, items: "list[BatchItem]") -> None:
        from ...pipeline.batch import run_batch

        rows: dict[str, dict[str, Any]] = {}
        run_ids = {str(it.out): _run_id_of(it, self.studio.settings) for it in items}

        def notify(r: "ItemResult") -> None:
            rows[str(r.item.out)] = {"topic": r.item.topic, "channel": r.item.channel,
                                     "state": r.state, "stage": r.stage, "error": r.error,
                                     "cost_nano": r.cost_nano, "out": str(r.item.out),
                                     "run_id": run_ids[str(r.item.out)]}
            self._update(job_id, progress={"items": list(rows.values())})

        for it in items:
            notify(_waiting(it))
        settings = self.studio.settings
        for name in sorted({it.pipeline for it in items if it.pipeline}):
            # a pipeline file's own task types join the settings (shipped ones are there)
            settings = settings.with_task_types(load_any_pipeline(settings, name).task_types)
        try:
            result = run_batch(items, settings, self.studio.memory, notify=notify,
                               should_stop=lambda: self._cancelled(job_id))
        except asyncio.CancelledError:
            for row in rows.values():
                if row["state"] in ("waiting", "running"):
                    row["state"], row["stage"] = "cancelled", ""
            self._update(job_id, progress={"items": list(rows.values())})
            raise
        failed = len(result.failed)
        self._update(job_id, state="failed" if failed == len(items) else "done",
                     error=f"{failed} of {len(items)} items failed" if failed else "",
                     progress={"items": list(rows.values())})

    def close(self, timeout: float = 20.0) -> None:
        """Stop this process's jobs (a server shutting down) and wait for them a while."""
        with self._lock:
            running = dict(self._threads)
        for job_id in running:
            self.cancel(job_id)
        deadline = time.monotonic() + timeout
        for thread in running.values():
            thread.join(max(0.0, deadline - time.monotonic()))


def _waiting(item: "BatchItem") -> "ItemResult":
    from ...pipeline.batch import ItemResult

    return ItemResult(item)


def _run_id_of(item: "BatchItem", settings: "Settings") -> str:
    """The run id the item's run will have (its link on the batch's page)."""
    from ...pipeline.batch import item_request

    try:
        return str(item_request(item, settings).run_id)
    except (ArchibaldError, OSError):
        return ""
