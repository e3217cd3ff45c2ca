"""`archibald produce`: the friendly shortcut for the shipped meditation pipeline.

``produce`` is ``archibald run meditation --set topic=... --set minutes=...``: a ProduceRequest
becomes a :class:`~archibald.pipeline.run.RunRequest` of the pipeline file
archibald/pipelines/meditation/pipeline.toml, run by the same runner as every other pipeline.
"""

from __future__ import annotations

import math

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import Settings
from ..errors import InputError
from ..store.memory import Memory
from ..core.router import Router
from .run import RunRequest, SharedResources, run_pipeline, run_pipeline_async
from .spec import Pipeline, has_words, load_pipeline

__all__ = ["ProduceRequest", "SharedResources", "produce", "produce_async", "check_minutes",
           "meditation_request"]

PIPELINE = "meditation"


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
    if not (math.isfinite(minutes) and 1 <= minutes <= 180):
        raise InputError(f"--minutes {minutes:g} is out of range; use 1 to 180")


def _check(req: ProduceRequest) -> None:
    """Refuse bad options before anything is opened, paid or written."""
    if not req.topic.strip():
        raise InputError("--topic is empty; say what the meditation is about")
    if not has_words(req.topic):
        raise InputError(f"--topic {req.topic.strip()!r} has no words; say what the "
                         f"meditation is about in words")
    check_minutes(req.minutes)
    if req.videos_per_month < 1:
        raise InputError(f"--videos-per-month {req.videos_per_month} must be at least 1")


def meditation_request(req: ProduceRequest, pipeline: Pipeline | None = None) -> RunRequest:
    """The meditation pipeline's run for a ProduceRequest."""
    _check(req)
    publish_at = (req.publish_at.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
                  if req.publish_at else "")
    pipeline = pipeline or load_pipeline(PIPELINE)
    inputs = pipeline.run_inputs({"topic": req.topic, "minutes": float(req.minutes),
                                  "publish_at": publish_at}, where="produce")
    return RunRequest(pipeline=pipeline, inputs=inputs, channel=req.channel, out=req.out,
                      seed=req.seed, sequential=req.sequential,
                      runs_per_month=req.videos_per_month, deadline=req.deadline)


async def produce_async(req: ProduceRequest, settings: Settings, *, memory: Memory,
                        router: Router, progress: Any = None,
                        shared: SharedResources | None = None) -> dict[str, Any]:
    """`produce` inside a running event loop, with the caller's memory, router and (in a
    batch) the worker pool and CPU slots it shares with other runs."""
    return await run_pipeline_async(meditation_request(req), settings, memory=memory,
                                    router=router, progress=progress, shared=shared)


def produce(req: ProduceRequest, settings: Settings, *, progress: Any = None,
            memory: Memory | None = None) -> dict[str, Any]:
    """Make the video; return run.json's content (also written to req.out)."""
    return run_pipeline(meditation_request(req), settings, progress=progress, memory=memory)
