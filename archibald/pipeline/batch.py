"""`archibald batch MANIFEST`: many videos, one engine, one scheduler for the machine.

A manifest is a CSV file (a header row, then one item per row) or a TOML file (``[defaults]``
and ``[[items]]``) with these fields:

    topic       what the video is about (required)
    minutes     its length (default 10)
    channel     the channel (brand) it is for (default "default")
    seed        same topic + seed, same script (default 0)
    pipeline    which shipped pipeline makes it (default: the channel's [channels.NAME]
                pipeline, else meditation; a podcast or Short takes the row's topic and
                minutes)
    publish_at  when it goes public, ISO 8601 with a time zone (optional)
    deadline    when it must be ready (default: an hour before publish_at); LLM stages of an
                item whose deadline is hours away go through the providers' batch APIs
                (Anthropic Message Batches, OpenAI Batch) at about half price
    out         its folder under the batch's --out (default: slug of the topic + a digest)

Every item runs in this process's event loop on its own :class:`~archibald.pipeline.engine.
Engine`, but they share one pool of worker processes and one set of CPU slots, so CPU-heavy
stages (voice, music, art, encode) from all items together never outnumber the cores, while
network-bound and light stages overlap freely. Each item's folder keeps its finished stages,
so re-running the manifest skips finished items and resumes half-done ones; one item's failure
does not stop the others.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import difflib
import io
import math
import multiprocessing
import os
import re
import sys
import time
import tomllib
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TextIO

from ..config import Settings
from ..errors import InputError
from ..store.ledger import NANO, format_usd
from ..store.memory import Memory
from .lifeline import Lifeline, guarded
from .spec import has_words
from .store import digest

__all__ = ["BatchItem", "ItemResult", "BatchResult", "load_manifest", "run_batch",
           "run_batch_ray", "batch_display", "FIELDS"]

#: manifest fields and their defaults (None: required or optional without a default)
FIELDS: dict[str, Any] = {"topic": None, "minutes": 10.0, "channel": "default", "seed": 0,
                          "pipeline": None, "publish_at": None, "deadline": None,
                          "out": None}
_SLUG = re.compile(r"[^a-z0-9]+")

ItemState = Literal["waiting", "running", "done", "failed", "finished earlier"]


@dataclass(frozen=True)
class BatchItem:
    """One video of the batch, as the manifest gives it (``where`` names its row)."""

    topic: str
    minutes: float
    channel: str
    seed: int
    pipeline: str
    publish_at: dt.datetime | None
    out: Path
    where: str
    deadline: dt.datetime | None = None
    #: the pipeline's other inputs, as (name, value) pairs (a schedule's ``inputs``)
    inputs: tuple[tuple[str, Any], ...] = ()

    @property
    def key(self) -> str:
        return digest({"topic": self.topic, "minutes": self.minutes, "channel": self.channel,
                       "seed": self.seed, "pipeline": self.pipeline})[:10]


@dataclass
class ItemResult:
    item: BatchItem
    state: ItemState = "waiting"
    stage: str = ""  # the stage it is on
    cost_nano: int = 0
    baseline_nano: int = 0
    seconds: float = 0.0
    error: str = ""
    started: float | None = None


@dataclass
class BatchResult:
    items: list[ItemResult]
    wall_seconds: float
    budget_usd: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def failed(self) -> list[ItemResult]:
        return [r for r in self.items if r.state == "failed"]

    @property
    def cost_nano(self) -> int:
        return sum(r.cost_nano for r in self.items)

    def as_dict(self) -> dict[str, Any]:
        return {"wall_seconds": round(self.wall_seconds, 3),
                "items": [{"topic": r.item.topic, "channel": r.item.channel,
                           "minutes": r.item.minutes, "seed": r.item.seed,
                           "publish_at": r.item.publish_at.isoformat()
                           if r.item.publish_at else None,
                           "out": str(r.item.out), "state": r.state, "error": r.error or None,
                           "cost_usd": r.cost_nano / NANO, "seconds": round(r.seconds, 3)}
                          for r in self.items],
                "done": sum(r.state in ("done", "finished earlier") for r in self.items),
                "failed": len(self.failed), "cost_usd": self.cost_nano / NANO, **self.extra}


# -- the manifest -------------------------------------------------------------------------------
def _suggest(name: str) -> str:
    close = difflib.get_close_matches(name, list(FIELDS), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _slug(text: str) -> str:
    return _SLUG.sub("-", text.lower()).strip("-")[:40] or "item"


def _item(raw: Mapping[str, Any], where: str, root: Path) -> BatchItem:
    unknown = [k for k in raw if k not in FIELDS]
    if unknown:
        raise InputError(f"{where}: unknown field {unknown[0]!r}{_suggest(unknown[0])}; "
                         f"fields are {', '.join(FIELDS)}")
    data = {k: (v.strip() if isinstance(v, str) else v) for k, v in raw.items()}
    data = {k: v for k, v in data.items() if v not in ("", None)}
    topic = str(data.get("topic", ""))
    if not topic:
        raise InputError(f"{where}: topic is empty; say what the video is about")
    if not has_words(topic):
        raise InputError(f"{where}: topic {topic!r} has no words; say what the video is "
                         f"about in words")
    try:
        minutes = float(data.get("minutes", FIELDS["minutes"]))
    except (TypeError, ValueError):
        raise InputError(f"{where}: minutes {data['minutes']!r} is not a number") from None
    if not (math.isfinite(minutes) and 1 <= minutes <= 180):
        raise InputError(f"{where}: minutes {minutes:g} is out of range; use 1 to 180")
    try:
        seed = int(data.get("seed", 0))
    except (TypeError, ValueError):
        raise InputError(f"{where}: seed {data['seed']!r} is not a whole number") from None
    if not 0 <= seed < 2**32:
        raise InputError(f"{where}: seed {seed} is out of range; use 0 to {2**32 - 1}")
    channel = str(data.get("channel", "default"))
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", channel):
        raise InputError(f"{where}: channel {channel!r} must be 1-64 letters, digits, '_.-'")
    pipeline = str(data.get("pipeline") or "")  # "": the channel's, else meditation
    from ..pipelines import shipped_pipelines

    if pipeline and pipeline not in shipped_pipelines():
        raise InputError(f"{where}: unknown pipeline {pipeline!r}; known: "
                         f"{', '.join(shipped_pipelines())}")
    publish_at = _when(data.get("publish_at"), where, "publish_at")
    deadline = _when(data.get("deadline"), where, "deadline")
    if deadline is None and publish_at is not None:
        deadline = publish_at - dt.timedelta(hours=1)
    if publish_at is not None and deadline is not None and deadline > publish_at:
        raise InputError(f"{where}: deadline {deadline.isoformat()} is after publish_at; the "
                         f"video must be ready before it goes public")
    sub = str(data.get("out") or f"{_slug(topic)}-{channel}-{seed}")
    rel = Path(sub)
    if rel.is_absolute() or ".." in rel.parts or not rel.parts:
        raise InputError(f"{where}: out {sub!r} must be a folder name inside the batch's --out")
    if "\x00" in sub or any(ord(c) < 32 for c in sub):
        raise InputError(f"{where}: out {sub[:40]!r} holds a control character; give a plain "
                         f"folder name")
    if len(sub) > 200 or any(len(part.encode()) > 255 for part in rel.parts):
        raise InputError(f"{where}: out is {len(sub)} characters long; give a folder name of "
                         f"at most 200 (a name of at most 255 bytes per folder)")
    return BatchItem(topic, minutes, channel, seed, pipeline, publish_at, root / rel, where,
                     deadline)


def _when(value: Any, where: str, name: str) -> dt.datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        when = value
    else:
        try:
            when = dt.datetime.fromisoformat(str(value))
        except ValueError:
            raise InputError(f"{where}: {name} {value!r} is not an ISO 8601 time like "
                             f"2026-12-01T09:00:00+00:00") from None
    if when.tzinfo is None:
        raise InputError(f"{where}: {name} {value!r} has no time zone; add one, e.g. "
                         f"+00:00 or Z")
    return when.astimezone(dt.timezone.utc)


def load_manifest(path: Path, out: Path) -> list[BatchItem]:
    """The items of a CSV or TOML manifest, each checked; a mistake is one line naming it."""
    if path.is_symlink() or not path.is_file():
        raise InputError(f"manifest {path} is not a file; give a .csv or .toml manifest")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read manifest {path}: {exc}") from None
    rows: list[tuple[str, Mapping[str, Any]]] = []
    if path.suffix.lower() == ".toml":
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise InputError(f"{path}: not valid TOML ({exc})") from None
        extra = [k for k in data if k not in ("defaults", "items")]
        if extra:
            raise InputError(f"{path}: unknown table {extra[0]!r}; a manifest has [defaults] "
                             f"and [[items]]")
        defaults = data.get("defaults", {})
        items = data.get("items", [])
        if not isinstance(defaults, dict) or not isinstance(items, list):
            raise InputError(f"{path}: [defaults] must be a table and items an array of tables "
                             f"([[items]])")
        for i, item in enumerate(items, 1):
            if not isinstance(item, dict):
                raise InputError(f"{path}: items[{i}] must be a table")
            rows.append((f"{path.name} item {i}", {**defaults, **item}))
    elif path.suffix.lower() == ".csv":
        reader = csv.DictReader(io.StringIO(text))
        if not reader.fieldnames:
            raise InputError(f"{path}: empty; the first row names the fields (topic, minutes, "
                             f"channel, ...)")
        for row in reader:
            if None in row:
                raise InputError(f"{path} line {reader.line_num}: more values than the header "
                                 f"has fields")
            if any((v or "").strip() for v in row.values()):
                rows.append((f"{path.name} line {reader.line_num}", row))
    else:
        raise InputError(f"manifest {path}: use a .csv or .toml file")
    if not rows:
        raise InputError(f"{path}: no items; add at least one row with a topic")
    items_out = [_item(row, where, out) for where, row in rows]
    seen: dict[Path, str] = {}
    for it in items_out:
        if it.out in seen:
            raise InputError(f"{it.where}: same folder {it.out.name!r} as {seen[it.out]}; give "
                             f"it another seed, channel or out")
        seen[it.out] = it.where
    return items_out


# -- running ------------------------------------------------------------------------------------
def _finished(item: BatchItem) -> dict[str, Any] | None:
    """run.json of an item that finished in an earlier batch, if its video is still there."""
    import json

    run = item.out / "run.json"
    try:
        data = json.loads(run.read_text())
    except (OSError, ValueError):
        return None
    files = data.get("files") or {}
    if data.get("status") == "done" and files and all(
            os.path.exists(p) for p in files.values()):
        return dict(data)
    return None


def item_request(item: BatchItem, settings: Settings) -> Any:
    """The run of one item: its pipeline (the row's, else its channel's ``[channels.NAME]
    pipeline``, else meditation) with the row's topic, minutes and publish_at (those the
    pipeline takes)."""
    from .produce import ProduceRequest, meditation_request
    from .run import RunRequest
    from .spec import load_pipeline

    name = item.pipeline or settings.channel(item.channel).pipeline or "meditation"
    if name == "meditation":
        return meditation_request(ProduceRequest(
            topic=item.topic, minutes=item.minutes, channel=item.channel, out=item.out,
            seed=item.seed, publish_at=item.publish_at, deadline=item.deadline))
    pipeline = load_pipeline(name)
    row = {"topic": item.topic, "minutes": item.minutes, **dict(item.inputs)}
    if item.publish_at is not None:
        row["publish_at"] = item.publish_at.astimezone(dt.timezone.utc).strftime(
            "%Y-%m-%dT%H:%M:%SZ")
    inputs = pipeline.run_inputs({k: v for k, v in row.items() if k in pipeline.inputs},
                                 where=item.where)
    return RunRequest(pipeline=pipeline, inputs=inputs, channel=item.channel, out=item.out,
                      seed=item.seed, deadline=item.deadline)


def _results(items: list[BatchItem], notify: Callable[[ItemResult], None]) -> list[ItemResult]:
    """One result per item; those finished by an earlier run of the manifest say so at once."""
    results = [ItemResult(it) for it in items]
    for r in results:
        done = _finished(r.item)
        if done is not None:
            r.state = "finished earlier"
            r.cost_nano = int(done.get("totals", {}).get("cost_nano", 0))
            r.baseline_nano = int(done.get("totals", {}).get("baseline_nano", 0))
            notify(r)
    return results


def _pool(workers: int, lifeline: Lifeline) -> ProcessPoolExecutor:
    """The batch's worker pool; its workers (and the forkserver) die with this process, even
    when it is SIGKILLed (:mod:`.lifeline`)."""
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context(method),
                               initializer=guarded, initargs=lifeline.initargs())


async def _run_item(r: ItemResult, settings: Settings, memory: Memory, router: Any,
                    shared: Any, notify: Callable[[ItemResult], None],
                    slots: asyncio.Semaphore) -> None:
    from ..errors import ArchibaldError
    from .run import run_pipeline_async

    async with slots:
        r.state, r.started = "running", time.monotonic()
        notify(r)

        def stage_event(event: Any) -> None:
            if event.state == "running":
                r.stage = event.stage
                notify(r)

        try:
            data = await run_pipeline_async(item_request(r.item, settings), settings, memory=memory,
                                            router=router, progress=stage_event, shared=shared)
        except (ArchibaldError, OSError) as exc:
            r.state, r.error = "failed", " ".join(str(exc).split())[:300] or type(exc).__name__
        else:
            r.state = "done"
            r.cost_nano = int(data["totals"]["cost_nano"])
            r.baseline_nano = int(data["totals"]["baseline_nano"])
        r.seconds = time.monotonic() - (r.started or time.monotonic())
        r.stage = ""
        notify(r)


async def _run_all(results: list[ItemResult], settings: Settings, memory: Memory,
                   jobs: int, notify: Callable[[ItemResult], None], batcher: Any) -> None:
    from ..core.catalog import build_registry
    from ..core.router import Router
    from .produce import SharedResources

    router = Router(settings, memory, build_registry(settings, memory))
    router.batcher = batcher
    cores = os.cpu_count() or 1
    lifeline = Lifeline()
    pool = _pool(cores, lifeline)
    shared = SharedResources(executor=pool, cpu_slots=asyncio.Semaphore(cores))
    slots = asyncio.Semaphore(jobs)
    cancelled = True
    # batches an earlier run left open are collected (or cancelled and collected) meanwhile
    resume = asyncio.ensure_future(batcher.collect_open()) if batcher is not None else None
    try:
        await asyncio.gather(*(_run_item(r, settings, memory, router, shared, notify, slots)
                               for r in results if r.state == "waiting"))
        cancelled = False
    finally:
        if batcher is not None:  # no batch outlives the run unrecorded
            await batcher.close()
            if resume is not None:
                await asyncio.gather(resume, return_exceptions=True)
        if cancelled:
            for proc in list(getattr(pool, "_processes", {}).values()):
                proc.terminate()
        await asyncio.to_thread(pool.shutdown, wait=not cancelled, cancel_futures=cancelled)
        lifeline.close()


def default_batcher(settings: Settings, memory: Memory) -> Any:
    """A Batcher for every configured provider that has a batch API (None when there is none)."""
    from ..providers.backends.batchapi import AnthropicBatches, Batcher, BatchStore, OpenAIBatches
    from ..providers.registry import ProviderSettings

    providers = ProviderSettings.load(settings.providers)
    clients: dict[str, Any] = {}
    for name, cls in (("anthropic", AnthropicBatches), ("openai", OpenAIBatches)):
        p = providers.get(name)
        if p.configured:
            clients[name] = cls(p)
    return Batcher(BatchStore(memory.engine), clients) if clients else None


async def _stoppable(work: Any, should_stop: Callable[[], bool] | None) -> None:
    """Await ``work``, cancelling it (CancelledError) once ``should_stop()`` says so."""
    task = asyncio.ensure_future(work)
    while should_stop is not None and not task.done():
        await asyncio.wait({task}, timeout=0.5)
        if not task.done() and await asyncio.to_thread(should_stop):
            task.cancel()
    await task


def run_batch(items: list[BatchItem], settings: Settings, memory: Memory, *, jobs: int = 0,
              notify: Callable[[ItemResult], None] | None = None,
              batcher: Any = "default",
              should_stop: Callable[[], bool] | None = None) -> BatchResult:
    """Run every item (skipping those finished earlier); failures are collected, not raised.

    ``batcher``: the Batcher that LLM calls of items with a far deadline go through ("default":
    one for the configured providers; None: always synchronous). ``should_stop``: asked twice
    a second; True cancels the batch (its running items stop, their workers end) and raises
    asyncio.CancelledError."""
    start = time.monotonic()
    notify = notify or (lambda r: None)
    results = _results(items, notify)
    jobs = jobs or (os.cpu_count() or 1) + 1  # one more than cores: light stages fill the gaps
    if batcher == "default":
        batcher = default_batcher(settings, memory) if any(
            it.deadline for it in items) else None
    asyncio.run(_stoppable(_run_all(results, settings, memory, jobs, notify, batcher),
                           should_stop))
    budget = settings.budgets.per_month_usd
    return BatchResult(results, time.monotonic() - start, budget,
                       extra={"batch_api": batch_api_savings(results)})


def batch_api_savings(results: list[ItemResult]) -> dict[str, Any]:
    """What the provider batch APIs cost and saved over the batch's items: the report's own
    figure (:func:`~archibald.reports.economics.batch_api_calls`) summed over their run.json."""
    import json as _json

    from ..reports.economics import batch_api_calls

    calls, cost, sync = 0, 0, 0
    for r in results:
        try:
            data = _json.loads((r.item.out / "run.json").read_text())
        except (OSError, ValueError):
            continue
        c, paid, full = batch_api_calls(data)
        calls, cost, sync = calls + c, cost + paid, sync + full
    return {"calls": calls, "cost_usd": cost / NANO, "synchronous_usd": sync / NANO,
            "saved_usd": (sync - cost) / NANO}


# -- Ray: items across machines -----------------------------------------------------------------
def _ray_item(item: BatchItem, settings: Settings, db_url: str) -> dict[str, Any]:
    """One item on a Ray worker: one core, its own one-process pool, the shared database."""
    from ..core.catalog import build_registry
    from ..core.router import Router
    from .run import SharedResources, run_pipeline_async

    async def go() -> dict[str, Any]:
        lifeline = Lifeline()
        try:
            with _pool(1, lifeline) as pool:
                shared = SharedResources(executor=pool, cpu_slots=asyncio.Semaphore(1))
                return await run_pipeline_async(item_request(item, settings), settings,
                                                memory=memory, router=router, shared=shared)
        finally:
            lifeline.close()

    memory = Memory(db_url, half_life_days=settings.router.evidence_half_life_days)
    try:
        router = Router(settings, memory, build_registry(settings, memory))
        data = asyncio.run(go())
        return {"cost_nano": int(data["totals"]["cost_nano"]),
                "baseline_nano": int(data["totals"]["baseline_nano"])}
    finally:
        memory.close()


def run_batch_ray(items: list[BatchItem], settings: Settings, memory: Memory, address: str, *,
                  notify: Callable[[ItemResult], None] | None = None) -> BatchResult:
    """Run the items as Ray tasks (one core each) on the cluster at ``address``.

    ``address`` is ``auto`` (the cluster this machine belongs to), ``local`` (start a
    throwaway one-machine cluster) or ``ray://HOST:PORT`` / ``HOST:PORT``. The workers share
    the ledger through ``memory``'s database, which must be PostgreSQL unless the cluster is
    this machine; outputs land under ``--out``, which must be a folder every node sees.
    """
    try:
        import ray
    except ImportError:
        raise InputError("--ray needs Ray: pip install 'archibald[ray]'") from None
    from ..errors import ArchibaldError

    if address != "local" and memory.engine.dialect.name == "sqlite":
        raise InputError("--ray with a cluster needs a shared database: set ARCHIBALD_DB to a "
                         "postgresql+psycopg:// URL every node can reach")
    notify = notify or (lambda r: None)
    start = time.monotonic()
    results = _results(items, notify)
    db_url = memory.engine.url.render_as_string(hide_password=False)
    started_here = not ray.is_initialized()
    if started_here:
        try:
            if address == "local":
                ray.init(include_dashboard=False, log_to_driver=False,
                         object_store_memory=100 * 1024 * 1024, configure_logging=False)
            else:
                ray.init(address=address, log_to_driver=False, configure_logging=False)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise InputError(f"cannot reach the Ray cluster at {address!r}: "
                             f"{' '.join(str(exc).split())[:200]}") from None
    try:
        remote = ray.remote(num_cpus=1, max_retries=0)(_ray_item)
        pending = {}
        for r in results:
            if r.state == "waiting":
                pending[remote.remote(r.item, settings, db_url)] = r
                r.state, r.started = "running", time.monotonic()
                notify(r)
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            r = pending.pop(ready[0])
            try:
                totals = ray.get(ready[0])
            except ray.exceptions.RayTaskError as exc:
                cause = exc.cause if isinstance(exc.cause, ArchibaldError | OSError) else exc
                r.state = "failed"
                r.error = " ".join(str(cause).split())[:300] or type(cause).__name__
            else:
                r.state = "done"
                r.cost_nano, r.baseline_nano = totals["cost_nano"], totals["baseline_nano"]
            r.seconds = time.monotonic() - (r.started or time.monotonic())
            notify(r)
    finally:
        if started_here:
            ray.shutdown()
    return BatchResult(results, time.monotonic() - start, settings.budgets.per_month_usd,
                       extra={"ray": address})


# -- progress -----------------------------------------------------------------------------------
class PlainBatchProgress:
    """One line whenever an item starts, finishes or fails."""

    def __init__(self, total: int, stream: TextIO) -> None:
        self.total, self.stream, self.t0 = total, stream, time.monotonic()

    def __call__(self, r: ItemResult) -> None:
        if r.state == "running" and r.stage:
            return  # stage changes are for the live view
        extra = {"done": f"cost {format_usd(r.cost_nano / NANO, 4)} in {r.seconds:.1f} s",
                 "failed": f"error: {r.error}"}.get(r.state, "")
        print(f"[{time.monotonic() - self.t0:6.1f}s] {r.item.out.name}  {r.state}  {extra}"
              .rstrip(), file=self.stream, flush=True)


class LiveBatchProgress:
    """A Rich live view: items done, running, failed; spend vs budget; an ETA."""

    def __init__(self, items: list[BatchItem], budget_usd: float | None,
                 stream: TextIO) -> None:
        from rich.console import Console
        from rich.live import Live

        #: each item's latest result as the runner reported it (a placeholder until then)
        self.rows = {it.out: ItemResult(it) for it in items}
        self.budget, self.t0 = budget_usd, time.monotonic()
        self._live = Live(self, console=Console(file=stream), refresh_per_second=4)

    @property
    def results(self) -> list[ItemResult]:
        return list(self.rows.values())

    def __call__(self, r: ItemResult) -> None:
        self.rows[r.item.out] = r
        self._live.refresh()

    def __enter__(self) -> "LiveBatchProgress":
        self._live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._live.stop()

    def eta(self) -> float | None:
        """Seconds left: the mean wall time per item finished in this batch x those left."""
        ran = [r for r in self.results if r.state in ("done", "failed")]
        left = sum(r.state in ("waiting", "running") for r in self.results)
        if not ran or not left:
            return None
        per_item = (time.monotonic() - self.t0) / len(ran)
        return per_item * left

    def __rich__(self) -> Any:
        from rich.table import Table

        rs = self.results
        counts = {s: sum(r.state == s for r in rs) for s in
                  ("done", "finished earlier", "running", "waiting", "failed")}
        spent = sum(r.cost_nano for r in rs) / NANO
        eta = self.eta()
        title = (f"batch: {counts['done'] + counts['finished earlier']}/{len(rs)} done, "
                 f"{counts['running']} running, {counts['failed']} failed; spent {format_usd(spent)}"
                 + (f" of {format_usd(self.budget)} this month" if self.budget is not None else "")
                 + (f"; ETA {eta:.0f} s" if eta is not None else ""))
        table = Table(title=title, expand=False)
        for col in ("item", "channel", "state", "stage", "cost", "seconds"):
            table.add_column(col, justify="right" if col in ("cost", "seconds") else "left")
        now = time.monotonic()
        for r in rs:
            secs = (now - r.started) if r.state == "running" and r.started else r.seconds
            table.add_row(r.item.out.name, r.item.channel,
                          r.state if r.state != "failed" else f"failed: {r.error[:60]}",
                          r.stage, format_usd(r.cost_nano / NANO, 4),
                          f"{secs:.1f}" if secs else "")
        return table


@contextmanager
def batch_display(items: list[BatchItem], budget_usd: float | None,
                  stream: TextIO | None = None, *, live: bool | None = None
                  ) -> Iterator[Callable[[ItemResult], None]]:
    """A progress callback for run_batch: the live view on a terminal, plain lines otherwise."""
    out = stream if stream is not None else sys.stdout
    if live if live is not None else out.isatty():
        with LiveBatchProgress(items, budget_usd, out) as display:
            yield display
    else:
        yield PlainBatchProgress(len(items), out)
