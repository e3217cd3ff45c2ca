"""`archibald produce`: run the meditation pipeline into a folder, then write run.json and the
economics report from the ledger."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import shutil
import time
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..config import Settings
from ..errors import InputError
from ..ledger import NANO
from ..memory import Memory
from ..router import Router
from .engine import Engine, RunResult
from .meditation import STAGES, build_stages
from .publish import link_or_copy, write_atomic
from .store import digest

__all__ = ["ProduceRequest", "SharedResources", "produce", "produce_async", "run_json"]


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


def _check(req: ProduceRequest) -> None:
    if not req.topic.strip():
        raise InputError("--topic is empty; say what the meditation is about")
    if not 1 <= req.minutes <= 180:
        raise InputError(f"--minutes {req.minutes:g} is out of range; use 1 to 180")
    out = req.out
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out} is a file; give a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".archibald-write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        raise InputError(f"cannot write to --out {out}: {exc.strerror}; choose another "
                         f"folder") from None


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
            "cost_usd": rec.get("cost_nano", 0) / NANO,
            "baseline_usd": rec.get("baseline_nano", 0) / NANO,
            "attempts": rec.get("attempts", []),
            "seconds": round(o.seconds, 3), "resumed": o.resumed,
            "output": {k: v for k, v in o.result.value.items()
                       if k in ("path", "duration", "mix", "lufs", "true_peak_dbtp", "contrast")}
            if isinstance(o.result.value, dict) else {},
            "changes": o.result.value.get("changes", [])[:50]
            if isinstance(o.result.value, dict) else [],
        }
    cost = sum(s["cost_nano"] for s in stages.values())
    base = sum(s["baseline_nano"] for s in stages.values())
    return {
        "run_id": run_id, "status": status, "topic": req.topic, "minutes": req.minutes,
        "channel": req.channel, "seed": req.seed, "config_digest": settings.digest,
        "concurrency": "one stage at a time" if req.sequential else "parallel",
        "wall_seconds": round(result.wall_seconds, 3) if result else None,
        "stages": stages,
        "totals": {"cost_nano": cost, "baseline_nano": base, "cost_usd": cost / NANO,
                   "baseline_usd": base / NANO,
                   "savings_pct": round(100.0 * (base - cost) / base, 2) if base else 0.0},
        "phases": [{"phase": p.phase, "stages": list(p.stages),
                    "wall_seconds": round(p.wall_seconds, 3),
                    "parallelism": round(p.parallelism, 2)} for p in result.phases()]
        if result else [],
    }


def _publish_files(out: Path, outcomes: dict[str, Any]) -> dict[str, str]:
    """Put the finished files at the top of --out (link or copy, then rename)."""
    wanted = {
        "video.mp4": ("video_assembly", "path"),
        "thumbnail.jpg": ("thumbnail", "path"),
        "subtitles.srt": ("youtube_upload", "srt"),
    }
    placed = {}
    for name, (stage, key) in wanted.items():
        o = outcomes.get(stage)
        if o is None or key not in o.result.value:
            continue
        src = Path(o.result.value[key])
        tmp = out / f".{name}.tmp"
        if tmp.exists():
            tmp.unlink()
        link_or_copy(src, tmp)
        os.replace(tmp, out / name)
        placed[name] = str(out / name)
    up = outcomes.get("youtube_upload")
    if up is not None:
        write_atomic(out / "metadata.json", json.dumps(up.result.value["metadata"], indent=2))
        placed["metadata.json"] = str(out / "metadata.json")
        src_pub = Path(up.result.value["publish_dir"])
        dst_pub = out / "publish"
        if dst_pub.exists():
            shutil.rmtree(dst_pub)
        shutil.copytree(src_pub, dst_pub, copy_function=link_or_copy)
        placed["publish"] = str(dst_pub)
    script = outcomes.get("tts_qa") or outcomes.get("quality_polish")
    if script is not None:
        from .local import script_from_dict

        md = script_from_dict(script.result.value["script"]).to_markdown()
        write_atomic(out / "script.md", md)
        placed["script.md"] = str(out / "script.md")
    return placed


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
    history = [m["payload"] for m in memory.remembered("concept_performance", req.channel)]
    if req.deadline is not None and getattr(router, "batcher", None) is not None:
        router.batcher.register(run_id, req.deadline.timestamp())
    publish_at = (req.publish_at.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
                  if req.publish_at else "")
    stages = build_stages(router, run_id=run_id, topic=req.topic, minutes=req.minutes,
                          channel=req.channel, history=history[-20:], settings=settings,
                          publish_at=publish_at)
    engine = Engine(stages, req.out, key_inputs={**key, "publish_at": publish_at}, config_digest=settings.digest,
                    seed=req.seed, concurrency=1 if req.sequential else None,
                    executor=shared.executor if shared else None,
                    cpu_slots=shared.cpu_slots if shared else None)
    memory.start_run(run_id, "meditation", req.channel, req.topic)
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
        write_atomic(req.out / "run.json", json.dumps(data, indent=2, default=str))
        memory.finish_run(run_id, status, data["totals"]["cost_nano"],
                          data["totals"]["baseline_nano"], data["wall_seconds"] or 0.0)
    data["files"] = _publish_files(req.out, outcomes)
    _learn(memory, req, outcomes)
    write_atomic(req.out / "run.json", json.dumps(data, indent=2, default=str))
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
    """`produce` inside a running event loop, with the caller's memory, router and pool."""
    from ..reports.economics import write_reports

    req = replace(req, out=req.out.expanduser().absolute())
    await asyncio.to_thread(_check, req)
    _, data = await _run(req, settings, memory, router, progress, shared)
    await asyncio.to_thread(write_reports, req.out, data, memory,
                            videos_per_month=req.videos_per_month)
    return data


def produce(req: ProduceRequest, settings: Settings, *, progress: Any = None,
            memory: Memory | None = None) -> dict[str, Any]:
    """Make the video; return run.json's content (also written to req.out)."""
    from ..catalog import build_registry

    # stage artifacts record absolute paths: a relative --out would be read from the wrong place
    req = replace(req, out=req.out.expanduser().absolute())
    _check(req)
    own = memory is None
    memory = memory or Memory(half_life_days=settings.router.evidence_half_life_days)
    try:
        router = Router(settings, memory, build_registry(settings, memory))
        return asyncio.run(produce_async(req, settings, memory=memory, router=router,
                                         progress=progress))
    finally:
        if own:
            memory.close()
