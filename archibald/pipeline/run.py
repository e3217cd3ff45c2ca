"""`archibald run PIPELINE --set k=v`: any pipeline file on the engine, through the router.

Each stage of the file becomes an engine stage that renders its inputs and prompt, routes the
task (the router picks the route, reserves the budget, falls back, escalates on a failed
route-blind check and records every attempt), adopts whatever route answered into the local
route's shape and keeps its files. After the run: run.json, the outputs at the top of --out,
report.md and report.html. Nothing here knows what a pipeline makes.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import time
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Awaitable, Callable, Mapping

from ..config import Settings
from ..errors import InputError
from ..store.fsio import check_writable, sweep_temporaries, write_file
from ..store.ledger import NANO
from ..store.memory import Memory
from ..quality.assurance import valid_score
from ..quality.evidence import human_pairs
from ..quality.maintenance import quality_maintenance
from ..core.router import Registry, RouteResult, Router
from ..core.tasks import Context, Outcome, Task
from .engine import Engine, RunResult, Stage, StageInput, StageResult
from .outputs import check_out, place_outputs, sweep_out
from .spec import Pipeline, StageSpec, render
from .store import StageStore, digest

__all__ = ["RunRequest", "SharedResources", "run_pipeline", "run_pipeline_async", "run_json",
           "install", "stage_task", "stage_check", "default_check", "routed", "engine_stages"]


@dataclass(frozen=True)
class RunRequest:
    """One run of a pipeline: its inputs (typed by :meth:`Pipeline.run_inputs`) and where."""

    pipeline: Pipeline
    inputs: Mapping[str, Any]
    channel: str = "default"
    out: Path = Path("out")
    seed: int = 0
    sequential: bool = False
    runs_per_month: int = 100
    #: when the run must be ready: LLM calls may wait for a provider batch API until then
    deadline: dt.datetime | None = None

    @property
    def run_id(self) -> str:
        """The run's id: its pipeline, inputs, channel, seed and output folder. A re-run into
        the same folder resumes the same run; the same inputs into another folder are another
        run, whose report and baseline count its own attempts only (issue 23.4)."""
        return "run-" + digest({"pipeline": self.pipeline.name, "inputs": dict(self.inputs),
                                "channel": self.channel, "seed": self.seed,
                                "file": self.pipeline.text,
                                "out": str(Path(self.out).resolve())})[:16]


@dataclass(frozen=True)
class SharedResources:
    """What runs in one event loop share (a batch): the worker processes and the CPU slots,
    so several pipelines together never run more CPU-heavy stages than there are cores."""

    executor: Executor
    cpu_slots: asyncio.Semaphore


# -- the router's side: local and memory routes of the pipeline's task types -----------------
def install(pipeline: Pipeline, registry: Registry, memory: Memory) -> None:
    """Bind the pipeline's local implementations and re-users to its task types' routes."""
    from ..core.catalog import LocalBackend, MemoryBackend

    for s in pipeline.stages:
        found = getattr(registry.get(s.task_type, "local"), "last_resort", None) is not None
        if s.local and (not _has_local_model(registry, s.task_type)
                        or (found and not (s.prompt and s.adopt))):
            # (a model found on this machine writes only a stage that sends it a prompt and
            # can adopt its text)
            registry.register(s.task_type, "local", LocalBackend(s.task_type, s.local))
        if s.reuse:
            registry.register(s.task_type, "memory",
                              MemoryBackend(s.task_type, f"{s.task_type}_layout", memory,
                                            s.reuse))


def _has_local_model(registry: Registry, task_type: str) -> bool:
    """A local chat model configured for the task type answers on the local route."""
    backend = registry.get(task_type, "local")
    return backend is not None and getattr(backend, "model", None) is not None


# -- one stage -----------------------------------------------------------------------------------
def _media(settings: Settings, channel: str) -> dict[str, Any]:
    """{media.*}: [media] with the channel's own voice, music, art and language over it."""
    look = settings.channel(channel)
    return {**settings.media, "voice_id": look.voice_id, "music_style": look.music_style,
            "art_style": look.art_style, "language": look.language}


def _publish(settings: Settings, channel: str) -> dict[str, Any]:
    """{publish.*}: [publish] with the channel's synthetic-media disclosure over it."""
    table = settings.channels.get(channel)
    own = getattr(table, "synthetic_media", None)
    return {**settings.publish, **({"synthetic_media": own} if own is not None else {})}


def stage_task(spec: StageSpec, si: StageInput, inputs: Mapping[str, Any], channel: str,
               settings: Settings) -> Task:
    """The stage's task: its inputs rendered (and prepared), its prompt and system."""
    namespace: dict[str, Any] = {**inputs, "channel": channel, "seed": si.seed,
                                 "media": _media(settings, channel),
                                 "publish": _publish(settings, channel),
                                 "stage_dir": str(si.stage_dir),
                                 **{d: r.value for d, r in si.deps.items()}}
    rendered = render(dict(spec.inputs), namespace)
    if spec.prepare is not None:
        rendered = dict(spec.prepare(si, rendered))
    if "minutes" in inputs and "minutes" not in rendered:
        rendered["minutes"] = inputs["minutes"]  # scales the premium route's expected usage
    # a prompt sees the stage's own inputs over the run's, and its needs over both
    words = {**namespace, **rendered, **{d: r.value for d, r in si.deps.items()}}
    if spec.prompt:
        rendered["prompt"] = render(spec.prompt, words)
    if spec.system:
        rendered["system"] = render(spec.system, words)
    if spec.max_tokens is not None:
        rendered.setdefault("max_tokens", spec.max_tokens)
    return Task(spec.task_type, rendered, channel)


def _adopt(spec: StageSpec, task: Task, outcome: Outcome) -> Any:
    """The artifact in the local route's shape, whichever route produced it."""
    art = outcome.artifact
    if isinstance(art, dict):
        return art
    if spec.adopt is not None:
        return spec.adopt(task, str(art))
    return {"text": str(art)}


def default_check(task: Task, art: Any) -> tuple[float, dict[str, Any]]:
    """What every artifact must be when its stage names no check: not empty, its text not a
    refusal, and every file it names present and not empty. Route-blind: it sees the work."""
    if art is None or art == {} or art == "":
        return 0.0, {"error": "the answer is empty"}
    if isinstance(art, dict):
        text = art.get("text")
        if isinstance(text, str):
            stripped = text.strip()
            if not stripped:
                return 0.0, {"error": "the text is empty"}
            low = stripped[:200].lower()
            if low.startswith(("i'm sorry", "i am sorry", "i cannot", "i can't", "as an ai")):
                return 0.2, {"error": "the text reads as a refusal"}
        for key, value in art.items():
            if key in ("path", "mix") or str(key).endswith("_path"):
                p = Path(str(value))
                if not p.is_file() or p.stat().st_size == 0:
                    return 0.0, {"error": f"{key}: {value} is missing or empty"}
    return 1.0, {}


def stage_check(spec: StageSpec, task: Task, provides: frozenset[str] = frozenset()
                ) -> Callable[[Outcome], tuple[float, dict[str, Any]]]:
    check = spec.check or default_check

    def run(outcome: Outcome) -> tuple[float, dict[str, Any]]:
        art = _adopt(spec, task, outcome)
        missing = sorted(k for k in provides if not (isinstance(art, dict) and k in art))
        if missing:  # unusable here, whoever made it: the route falls back at this stage
            raise ValueError(f"{outcome.backend}'s answer lacks {', '.join(map(repr, missing))}"
                             f", which later stages read")
        outcome.detail["artifact"] = art
        # a check's mistake (a NaN, a score outside 0..1) is named as the check's, never
        # taken for the route's work or reaching the ledger
        return valid_score(check(task, art), check)
    run.__name__ = getattr(check, "__name__", "check")
    run.__module__ = getattr(check, "__module__", run.__module__)
    return run


def _record(result: RouteResult) -> dict[str, Any]:
    """The stage's record for run.json: every attempt, and the baseline with its working."""
    d = result.decision
    attempts = [{"route": a.route, "backend": a.backend, "model": a.model,
                 "success": a.success, "cost_nano": a.cost_nano,
                 "baseline_nano": a.baseline_nano, "quality": a.quality,
                 "seconds": round(a.seconds, 3), "usage": a.usage, "error": a.error,
                 "price_source": a.price_source, "status": a.status,
                 "max_cost_nano": a.max_cost_nano,
                 "purpose": a.purpose, "evidence": a.evidence} for a in result.attempts]
    baseline = result.outcome.detail.get("baseline") if not result.below_floor else None
    return {"task_type": d.task_type, "route": result.outcome.route,
            "decision": d.decision, "reason": d.reason, "learned": d.learned,
            "estimated_premium_usd": d.analysis.estimated_cost,
            "attempts": attempts, "cost_nano": result.cost_nano,
            "baseline_nano": result.baseline_nano,
            "baseline": baseline or {"nano": 0, "missing": "no accepted result to price"},
            "quality": result.outcome.quality, "below_floor": result.below_floor,
            "backend": result.outcome.backend,
            # what the judge (and the shadow) said; their calls are attempts with a purpose
            "quality_assurance": result.outcome.detail.get("quality_assurance"),
            "qa_cost_nano": result.qa_cost_nano}


def _files(art: Any, stage_dir: Path) -> dict[str, Path]:
    """The files an artifact names inside its stage's folder (kept with its result)."""
    if not isinstance(art, dict):
        return {}
    root = stage_dir.resolve()
    out: dict[str, Path] = {}
    for k, v in art.items():
        if isinstance(v, str) and v and len(v) < 4096 and os.path.isabs(v):
            p = Path(v)
            if p.resolve().is_relative_to(root) and p.is_file():
                out[k] = p
    return out


def routed(spec: StageSpec, router: Router, run_id: str, channel: str, settings: Settings,
           inputs: Mapping[str, Any], provides: frozenset[str] = frozenset()
           ) -> Callable[[StageInput], Awaitable[StageResult]]:
    """An engine stage: build the task, route it, adopt the answer (which must hold the
    ``provides`` keys later stages read), keep its files."""
    async def run(si: StageInput) -> StageResult:
        task = stage_task(spec, si, inputs, channel, settings)
        context = Context(workdir=si.stage_dir, seed=si.seed, settings=settings,
                          extra={"stage": si, "run_id": run_id,
                                 "batcher": getattr(router, "batcher", None),
                                 # this stage's own local route and re-use, whatever another
                                 # pipeline sharing the router bound to the task type
                                 "local": spec.local, "reuse": spec.reuse})
        result = await router.run(task, context, run_id=run_id, stage=si.stage,
                                  check=stage_check(spec, task, provides))
        art = result.outcome.detail.get("artifact") or _adopt(spec, task, result.outcome)
        return StageResult(value=art, files=_files(art, si.stage_dir), record=_record(result))
    return run


def engine_stages(req: RunRequest, router: Router, run_id: str,
                  settings: Settings) -> list[Stage]:
    inputs = dict(req.inputs)
    return [Stage(s.name, s.task_type, s.needs,
                  routed(s, router, run_id, req.channel, settings, inputs,
                         req.pipeline.provides(s.name)),
                  cpu_bound=s.cpu, phase=s.phase or settings.profile(s.task_type).phase,
                  key_inputs=s.reads, version=s.version)
            for s in req.pipeline.stages]


# -- run.json ------------------------------------------------------------------------------------
_SHOWN = ("path", "duration", "mix", "lufs", "true_peak_dbtp", "contrast", "seconds", "words")


def run_json(req: RunRequest, run_id: str, settings: Settings, result: RunResult | None,
             outcomes: Mapping[str, Any], status: str) -> dict[str, Any]:
    """Everything about the run, every cost in integer nano-dollars and in USD."""
    stages: dict[str, Any] = {}
    for s in req.pipeline.stages:
        o = outcomes.get(s.name)
        if o is None:
            continue
        rec = dict(o.result.record)
        value = o.result.value if isinstance(o.result.value, dict) else {}
        stages[s.name] = {
            "phase": o.phase, "task_type": rec.get("task_type", s.task_type),
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
            "output": {k: v for k, v in value.items() if k in _SHOWN},
            "changes": list(value.get("changes", []))[:50],
            # what a stage's own code says the reader must know (the podcast's offline demo)
            **({"notice": str(value["notice"])} if value.get("notice") else {}),
        }
    cost = sum(s["cost_nano"] for s in stages.values())
    base = sum(s["baseline_nano"] for s in stages.values())
    qa = sum(s["qa_cost_nano"] for s in stages.values())
    inputs = dict(req.inputs)
    return {
        "run_id": run_id, "status": status, "pipeline": req.pipeline.name,
        "unit": req.pipeline.unit, "inputs": inputs,
        "topic": str(inputs.get("topic", "")), "minutes": inputs.get("minutes"),
        "channel": req.channel, "seed": req.seed, "config_digest": settings.digest,
        "concurrency": "one stage at a time" if req.sequential else "parallel",
        "wall_seconds": round(result.wall_seconds, 3) if result else None,
        "stages": stages,
        "notices": [s["notice"] for s in stages.values() if s.get("notice")],
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


def _execution(session: float | None, outcomes: Mapping[str, Any],
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


# -- --out ---------------------------------------------------------------------------------------
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


def check_request(req: RunRequest) -> None:
    """Refuse an unusable --out before anything is opened, paid or written."""
    if req.runs_per_month < 1:
        raise InputError(f"--per-month {req.runs_per_month} must be at least 1")
    if req.out.exists() and not req.out.is_dir():
        raise InputError(f"--out {req.out} is a file; give a folder")
    check_out(req.out, list(req.pipeline.outputs()))


def _check_forced_routes(req: RunRequest, settings: Settings, router: Router) -> None:
    """A route forced in the config that cannot run here (a key not set) is refused now, not
    after the stages before it have run."""
    for s in req.pipeline.stages:
        if settings.profile(s.task_type).forced_route:
            router.decide(Task(s.task_type, {"minutes": req.inputs.get("minutes", 10)},
                               req.channel))


# -- the run ---------------------------------------------------------------------------------------
async def _run(req: RunRequest, settings: Settings, memory: Memory, router: Router,
               progress: Any, shared: SharedResources | None) -> dict[str, Any]:
    run_id = req.run_id
    if req.deadline is not None and getattr(router, "batcher", None) is not None:
        router.batcher.register(run_id, req.deadline.timestamp())
    engine = Engine(engine_stages(req, router, run_id, settings), req.out,
                    key_inputs={**req.inputs, "channel": req.channel},
                    config_digest=settings.digest, seed=req.seed,
                    concurrency=1 if req.sequential else None, locked=True,
                    executor=shared.executor if shared else None,
                    cpu_slots=shared.cpu_slots if shared else None)
    earlier = _earlier_seconds(req.out / "run.json", run_id, memory)
    minutes = req.inputs.get("minutes")
    memory.start_run(run_id, req.pipeline.name, req.channel, str(req.inputs.get("topic", "")),
                     minutes=float(minutes) if isinstance(minutes, (int, float)) else None,
                     out=str(req.out))
    started = time.time()
    result: RunResult | None = None
    try:
        result = await engine.run(progress)
    finally:
        outcomes = dict(engine.outcomes)
        status = "done" if result is not None else "failed"
        data = run_json(req, run_id, settings, result, outcomes, status)
        if result is None:
            data["wall_seconds"] = round(time.time() - started, 3)
        data["execution"] = _execution(data["wall_seconds"], outcomes, earlier)
        data["wall_seconds"] = data["execution"]["seconds"]
        data["quality_maintenance"] = quality_maintenance(
            memory.attempts_of_run(run_id), human_pairs(memory, run_id=run_id))
        write_file(req.out / "run.json", json.dumps(data, indent=2, default=str))
        memory.finish_run(run_id, status, data["totals"]["cost_nano"],
                          data["totals"]["baseline_nano"], data["wall_seconds"] or 0.0)
    data["files"], problems = place_outputs(req.out, req.pipeline.outputs(), outcomes)
    if problems:
        data["problems"] = problems
    _hold_for_review(memory, run_id, outcomes)
    if req.pipeline.learn is not None:
        req.pipeline.learn(memory, req.channel, outcomes)
    write_file(req.out / "run.json", json.dumps(data, indent=2, default=str))
    return data


def _hold_for_review(memory: Memory, run_id: str, outcomes: Mapping[str, Any]) -> None:
    """A stage that made something to publish and was told to wait for a person
    (``[publish] review = true``) said so with ``review = "ready"``: the run joins the
    studio's publish queue (once; a resumed run keeps its place and its verdict)."""
    for o in outcomes.values():
        value = o.result.value
        if isinstance(value, dict) and value.get("review") == "ready":
            memory.hold_for_review(run_id, str(value.get("publish_dir") or ""))


def _register_rubrics(pipeline: Pipeline) -> None:
    if pipeline.rubrics:
        from ..quality.judge import add_rubrics

        add_rubrics(pipeline.rubrics)


async def run_pipeline_async(req: RunRequest, settings: Settings, *, memory: Memory,
                             router: Router, progress: Any = None,
                             shared: SharedResources | None = None) -> dict[str, Any]:
    """Run (or resume) a pipeline inside a running event loop, with the caller's memory and
    router (and, in a batch, the worker pool and CPU slots it shares with other runs)."""
    from ..reports.economics import write_reports

    # stage artifacts record absolute paths: a relative --out would be read from the wrong place
    req = replace(req, out=req.out.expanduser().absolute())
    check_request(req)
    for s in req.pipeline.stages:
        settings.profile(s.task_type)  # every task type known before anything runs
    install(req.pipeline, router.registry, memory)
    _register_rubrics(req.pipeline)
    _check_forced_routes(req, settings, router)
    made = _make_out(req.out)
    try:
        # held around the engine and what follows it: a refused run writes nothing here
        with StageStore(req.out).lock():
            sweep_temporaries(req.out)
            sweep_out(req.out)
            StageStore(req.out).sweep()  # what killed runs left in the stages' folders
            data = await _run(req, settings, memory, router, progress, shared)
            write_reports(req.out, data, memory, videos_per_month=req.runs_per_month)
        if data.get("problems"):
            raise InputError("; ".join(data["problems"]))
        return data
    except BaseException:
        _drop_if_empty(made)
        raise


def run_pipeline(req: RunRequest, settings: Settings, *, progress: Any = None,
                 memory: Memory | None = None) -> dict[str, Any]:
    """Run (or resume) a pipeline; return run.json's content (also written to req.out)."""
    from ..core.catalog import build_registry

    check_request(replace(req, out=req.out.expanduser().absolute()))
    own = memory is None
    memory = memory or Memory(half_life_days=settings.router.evidence_half_life_days)
    try:
        router = Router(settings, memory, build_registry(settings, memory))
        return asyncio.run(run_pipeline_async(req, settings, memory=memory, router=router,
                                              progress=progress))
    finally:
        if own:
            memory.close()

