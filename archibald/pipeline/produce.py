"""`archibald produce`: run the meditation pipeline into a folder, then write run.json and the
economics report from the ledger."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import time
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..config import Settings
from ..errors import InputError
from ..ledger import NANO
from ..memory import Memory
from ..quality.maintenance import quality_maintenance
from ..router import Router
from ..tasks import Task
from .engine import Engine, RunResult
from .meditation import STAGES, build_stages
from ..fsio import check_writable, sweep_temporaries, write_file
from .outputs import check_out, place_outputs, sweep_out
from .store import StageStore, digest

__all__ = ["ProduceRequest", "SharedResources", "produce", "produce_async", "run_json",
           "check_minutes"]


@dataclass(frozen=True)
class ProduceRequest:
    topic: str
    minutes: float
    channel: str = "default"
    out: Path = Path("out")
    seed: int = 0
    sequential: bool = False
    videos_per_month: int = 100
    #: when the video goes public (UTC); it is uploaded private with YouTube's publishAt
    publish_at: dt.datetime | None = None
    #: when the video must be ready: LLM calls may wait for a provider batch API until then
    deadline: dt.datetime | None = None


def check_minutes(minutes: float) -> None:
    """A video's length in minutes, as produce and plan take it: 1 to 180."""
    if not 1 <= minutes <= 180:
        raise InputError(f"--minutes {minutes:g} is out of range; use 1 to 180")


def _check(req: ProduceRequest) -> None:
    """Refuse bad options and an unusable --out before anything is opened, paid or written."""
    if not req.topic.strip():
        raise InputError("--topic is empty; say what the meditation is about")
    check_minutes(req.minutes)
    if req.videos_per_month < 1:
        raise InputError(f"--videos-per-month {req.videos_per_month} must be at least 1")
    if req.out.exists() and not req.out.is_dir():
        raise InputError(f"--out {req.out} is a file; give a folder")
    check_out(req.out)


def _check_forced_routes(req: ProduceRequest, settings: Settings, router: Router) -> None:
    """A route forced in the config that cannot run here (a key not set) is refused now, not
    after the stages before it have run."""
    for name in STAGES:
        if settings.profile(name).forced_route:
            router.decide(Task(name, {"minutes": req.minutes}, req.channel))


def _make_out(out: Path) -> list[Path]:
    """Create --out (and missing parents) if need be and check it takes files; return the
    folders this made, deepest first."""
    made = [p for p in (out, *out.parents) if not p.exists()]
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        _drop_if_empty(made)
        raise InputError(f"cannot create --out {out}: {exc.strerror}; choose another "
                         f"folder") from None
    try:
        check_writable(out)
    except InputError:
        _drop_if_empty(made)
        raise
    return made


def _drop_if_empty(made: list[Path]) -> None:
    """Remove the folders this run made for --out if it failed before writing in them."""
    for folder in made:
        try:
            os.rmdir(folder)  # fails, as it should, once anything is inside
        except OSError:
            return


def run_json(req: ProduceRequest, run_id: str, settings: Settings, result: RunResult,
             outcomes: dict[str, Any], status: str) -> dict[str, Any]:
    """Everything about the run, every cost in integer nano-dollars and in USD."""
    stages: dict[str, Any] = {}
    for name in STAGES:
        o = outcomes.get(name)
        if o is None:
            continue
        rec = dict(o.result.record)
        stages[name] = {
            "phase": o.phase, "task_type": rec.get("task_type", name),
            "route": rec.get("route"), "decision": rec.get("decision"),
            "reason": rec.get("reason"), "learned": rec.get("learned"),
            "backend": rec.get("backend"), "quality": rec.get("quality"),
            "below_floor": rec.get("below_floor", False),
            "cost_nano": rec.get("cost_nano", 0), "baseline_nano": rec.get("baseline_nano", 0),
            "baseline": rec.get("baseline"),
            "cost_usd": rec.get("cost_nano", 0) / NANO,
            "baseline_usd": rec.get("baseline_nano", 0) / NANO,
            "attempts": rec.get("attempts", []),
            "quality_assurance": rec.get("quality_assurance"),
            "qa_cost_nano": rec.get("qa_cost_nano", 0),
            "seconds": round(o.seconds, 3), "resumed": o.resumed,
            "output": {k: v for k, v in o.result.value.items()
                       if k in ("path", "duration", "mix", "lufs", "true_peak_dbtp", "contrast")}
            if isinstance(o.result.value, dict) else {},
            "changes": o.result.value.get("changes", [])[:50]
            if isinstance(o.result.value, dict) else [],
        }
    cost = sum(s["cost_nano"] for s in stages.values())
    base = sum(s["baseline_nano"] for s in stages.values())
    qa = sum(s["qa_cost_nano"] for s in stages.values())
    return {
        "run_id": run_id, "status": status, "topic": req.topic, "minutes": req.minutes,
        "channel": req.channel, "seed": req.seed, "config_digest": settings.digest,
        "concurrency": "one stage at a time" if req.sequential else "parallel",
        "wall_seconds": round(result.wall_seconds, 3) if result else None,
        "stages": stages,
        "totals": {"cost_nano": cost, "baseline_nano": base, "cost_usd": cost / NANO,
                   "baseline_usd": base / NANO, "qa_cost_nano": qa, "qa_cost_usd": qa / NANO,
                   "savings_pct": round(100.0 * (base - cost) / base, 2) if base else 0.0},
        "phases": [{"phase": p.phase, "stages": list(p.stages),
                    "wall_seconds": round(p.wall_seconds, 3),
                    "parallelism": round(p.parallelism, 2)} for p in result.phases()]
        if result else [],
    }


def _earlier_seconds(run_json_path: Path, run_id: str, memory: Memory) -> float | None:
    """How long this run took before, when it is being resumed: its last run.json, else the
    time memory recorded for it. None for a new run."""
    try:
        old = json.loads(run_json_path.read_text(encoding="utf-8"))
        if old.get("run_id") == run_id and old.get("wall_seconds") is not None:
            return float(old["wall_seconds"])
    except (OSError, ValueError, TypeError, AttributeError):
        pass
    seconds = memory.run_seconds(run_id)
    return seconds if seconds else None


def _execution(session: float | None, outcomes: dict[str, Any],
               earlier: float | None) -> dict[str, Any]:
    """The run's execution time: a resumed run adds this session to the original run's time
    (and when nothing ran again, reports the original time alone)."""
    session = session or 0.0
    resumed = sum(1 for o in outcomes.values() if o.resumed)
    ran = len(outcomes) - resumed
    if not resumed or earlier is None:
        total = session
    else:
        total = earlier + session if ran else earlier
    return {"seconds": round(total, 3), "session_seconds": round(session, 3),
            "resumed": bool(resumed), "resumed_stages": resumed, "ran_stages": ran,
            "earlier_seconds": earlier}


def _learn(memory: Memory, req: ProduceRequest, outcomes: dict[str, Any]) -> None:
    """What the next run should know: the thumbnail layout and the concept that worked."""
    thumb = outcomes.get("thumbnail")
    if thumb is not None and not thumb.resumed and thumb.result.record.get("quality"):
        memory.remember("thumbnail_layout", req.channel, thumb.result.record.get("backend", ""),
                        thumb.result.value.get("layout", {}), thumb.result.record["quality"])
    concept = outcomes.get("meditation_concept")
    polish = outcomes.get("quality_polish")
    if concept is not None and polish is not None and not polish.resumed:
        c = concept.result.value["concept"]
        memory.remember("concept_performance", req.channel, c["title"][:120],
                        {"theme": c["theme"], "technique": c["technique"],
                         "quality": polish.result.record.get("quality") or 0.0},
                        float(polish.result.record.get("quality") or 0.0))


async def _run(req: ProduceRequest, settings: Settings, memory: Memory, router: Router,
               progress: Any, shared: SharedResources | None = None) -> tuple[str, dict[str, Any]]:
    key = {"topic": req.topic, "minutes": req.minutes, "channel": req.channel}
    run_id = "run-" + digest({**key, "seed": req.seed, "config": settings.digest})[:16]
    if req.deadline is not None and getattr(router, "batcher", None) is not None:
        router.batcher.register(run_id, req.deadline.timestamp())
    publish_at = (req.publish_at.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
                  if req.publish_at else "")
    stages = build_stages(router, run_id=run_id, topic=req.topic, minutes=req.minutes,
                          channel=req.channel, settings=settings, publish_at=publish_at)
    engine = Engine(stages, req.out, key_inputs={**key, "publish_at": publish_at},
                    config_digest=settings.digest, seed=req.seed,
                    concurrency=1 if req.sequential else None, locked=True,
                    executor=shared.executor if shared else None,
                    cpu_slots=shared.cpu_slots if shared else None)
    earlier = _earlier_seconds(req.out / "run.json", run_id, memory)
    memory.start_run(run_id, "meditation", req.channel, req.topic, minutes=req.minutes)
    started = time.time()
    result: RunResult | None = None
    try:
        result = await engine.run(progress)
    finally:
        outcomes = dict(engine.outcomes)
        status = "done" if result is not None else "failed"
        data = run_json(req, run_id, settings, result, outcomes, status)  # type: ignore[arg-type]
        if result is None:
            data["wall_seconds"] = round(time.time() - started, 3)
        data["execution"] = _execution(data["wall_seconds"], outcomes, earlier)
        data["wall_seconds"] = data["execution"]["seconds"]
        data["quality_maintenance"] = quality_maintenance(memory.attempts_of_run(run_id))
        write_file(req.out / "run.json", json.dumps(data, indent=2, default=str))
        memory.finish_run(run_id, status, data["totals"]["cost_nano"],
                          data["totals"]["baseline_nano"], data["wall_seconds"] or 0.0)
    data["files"], problems = place_outputs(req.out, outcomes)
    if problems:
        data["problems"] = problems
    _learn(memory, req, outcomes)
    write_file(req.out / "run.json", json.dumps(data, indent=2, default=str))
    return run_id, data


@dataclass(frozen=True)
class SharedResources:
    """What runs in one event loop share (a batch): the worker processes and the CPU slots,
    so several pipelines together never run more CPU-heavy stages than there are cores."""

    executor: Executor
    cpu_slots: asyncio.Semaphore


async def produce_async(req: ProduceRequest, settings: Settings, *, memory: Memory,
                        router: Router, progress: Any = None,
                        shared: SharedResources | None = None) -> dict[str, Any]:
    """`produce` inside a running event loop, with the caller's memory, router and (in a
    batch) the worker pool and CPU slots it shares with other runs."""
    from ..reports.economics import write_reports

    # stage artifacts record absolute paths: a relative --out would be read from the wrong place
    req = replace(req, out=req.out.expanduser().absolute())
    _check(req)
    _check_forced_routes(req, settings, router)
    made = _make_out(req.out)
    try:
        # held around the engine and what follows it: a refused run writes nothing here
        with StageStore(req.out).lock():
            sweep_temporaries(req.out)
            sweep_out(req.out)
            _, data = await _run(req, settings, memory, router, progress, shared)
            write_reports(req.out, data, memory, videos_per_month=req.videos_per_month)
        if data.get("problems"):
            raise InputError("; ".join(data["problems"]))
        return data
    except BaseException:
        _drop_if_empty(made)
        raise


def produce(req: ProduceRequest, settings: Settings, *, progress: Any = None,
            memory: Memory | None = None) -> dict[str, Any]:
    """Make the video; return run.json's content (also written to req.out)."""
    from ..catalog import build_registry

    _check(replace(req, out=req.out.expanduser().absolute()))
    own = memory is None
    memory = memory or Memory(half_life_days=settings.router.evidence_half_life_days)
    try:
        router = Router(settings, memory, build_registry(settings, memory))
        return asyncio.run(produce_async(req, settings, memory=memory, router=router,
                                         progress=progress))
    finally:
        if own:
            memory.close()
