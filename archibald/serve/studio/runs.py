"""Runs as the studio shows them: the list (filtered, newest first, a page at a time) and one
run's stages, attempts, quality evidence and outputs (from the store and its run.json)."""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from ...store.memory import Memory
from ...store.rows import _attempt
from ...store.migrations import attempts, publish_queue, runs, studio_jobs

__all__ = ["RunFilter", "list_runs", "run_detail", "output_file", "file_kind", "PAGE",
           "stage_states", "choices"]

PAGE = 50
_VIDEO = {".mp4", ".webm", ".mov", ".m4v"}
_AUDIO = {".wav", ".mp3", ".m4a", ".ogg", ".flac", ".opus"}
_IMAGE = {".jpg", ".jpeg", ".png", ".webp", ".gif"}
_TEXT = {".md", ".txt", ".srt", ".vtt", ".json", ".csv"}
#: text shown inline up to this size
_TEXT_MAX = 200_000


@dataclass(frozen=True)
class RunFilter:
    channel: str = ""
    pipeline: str = ""
    status: str = ""
    since: str = ""  # YYYY-MM-DD (UTC), inclusive
    until: str = ""  # YYYY-MM-DD (UTC), inclusive
    page: int = 1

    def where(self) -> list[Any]:
        c = runs.c
        out: list[Any] = []
        if self.channel:
            out.append(c.channel == self.channel)
        if self.pipeline:
            out.append(c.pipeline == self.pipeline)
        if self.status:
            out.append(c.status == self.status)
        if self.since:
            out.append(c.started_at >= _day(self.since))
        if self.until:
            out.append(c.started_at < _day(self.until) + 86400)
        return out


def _day(text: str) -> float:
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        return 0.0
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc).timestamp()


def list_runs(memory: Memory, f: RunFilter) -> dict[str, Any]:
    """One page of runs matching ``f`` and how many match."""
    where = f.where()
    page = max(1, f.page)
    with memory.engine.connect() as conn:
        total = int(conn.execute(select(func.count()).select_from(runs).where(*where))
                    .scalar_one())
        rows = [dict(r) for r in conn.execute(
            select(runs.c.run_id, runs.c.pipeline, runs.c.channel, runs.c.topic, runs.c.status,
                   runs.c.cost_nano, runs.c.baseline_nano, runs.c.seconds, runs.c.started_at,
                   runs.c.finished_at).where(*where)
            .order_by(runs.c.started_at.desc()).limit(PAGE).offset((page - 1) * PAGE))
            .mappings()]
    return {"rows": rows, "total": total, "page": page,
            "pages": max(1, (total + PAGE - 1) // PAGE)}


def choices(memory: Memory) -> dict[str, list[str]]:
    """The channels, pipelines and statuses that runs have (for the filters)."""
    with memory.engine.connect() as conn:
        return {name: [str(v) for v in conn.execute(
            select(col).distinct().order_by(col)).scalars()]
            for name, col in (("channels", runs.c.channel), ("pipelines", runs.c.pipeline),
                              ("statuses", runs.c.status))}


def _run_json(out: str | None) -> dict[str, Any]:
    if not out:
        return {}
    path = Path(out) / "run.json"
    try:
        if path.is_symlink():
            return {}
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def file_kind(name: str) -> str:
    suffix = Path(name).suffix.lower()
    for kind, group in (("video", _VIDEO), ("audio", _AUDIO), ("image", _IMAGE),
                        ("text", _TEXT)):
        if suffix in group:
            return kind
    return "file"


def output_file(out: str | None, files: dict[str, Any], name: str) -> Path | None:
    """The output ``name`` of a run, only if it is a regular file inside the run's folder
    (reached without a symbolic link)."""
    if not out or name not in files:
        return None
    root = Path(out).resolve()
    path = Path(str(files[name]))
    if not path.is_absolute():
        path = Path(out) / path
    try:
        if path.is_symlink() or not path.is_file():
            return None
        real = path.resolve(strict=True)
    except OSError:
        return None
    return real if real.is_relative_to(root) and real == path.absolute() else None


def _outputs(out: str | None, files: dict[str, Any]) -> list[dict[str, Any]]:
    shown = []
    for name in files:
        path = output_file(out, files, name)
        if path is None:
            continue
        kind = file_kind(name)
        item: dict[str, Any] = {"name": name, "kind": kind, "bytes": path.stat().st_size}
        if kind == "text" and item["bytes"] <= _TEXT_MAX:
            text = path.read_text(encoding="utf-8", errors="replace")
            if path.suffix.lower() == ".json":
                try:
                    text = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
                except ValueError:
                    pass
            item["text"] = text
        shown.append(item)
    order = {"video": 0, "audio": 1, "image": 2, "text": 3, "file": 4}
    return sorted(shown, key=lambda i: order[i["kind"]])


@dataclass
class StageView:
    name: str
    state: str = "waiting"
    task_type: str = ""
    route: str = ""
    decision: str = ""
    reason: str = ""
    cost_nano: int = 0
    baseline_nano: int = 0
    quality: float | None = None
    evidence: str = ""
    needs: list[str] = field(default_factory=list)
    level: int = 0
    seconds: float | None = None
    error: str = ""
    qa: dict[str, Any] = field(default_factory=dict)


def _needs(pipeline: str) -> dict[str, list[str]]:
    """Each stage's dependencies, from the pipeline file (empty if it cannot be found)."""
    from ...pipeline.spec import load_pipeline

    try:
        spec = load_pipeline(pipeline)
    except Exception:  # a pipeline file moved or renamed since: the stages show flat
        return {}
    return {s.name: list(s.needs) for s in spec.stages}


def stage_states(memory: Memory, run_id: str, pipeline: str, status: str,
                 data: dict[str, Any], job: dict[str, Any] | None) -> list[StageView]:
    """Every stage with its state, route, reason and money: run.json's record where the run
    wrote one, the live job's events while it runs, the ledger's attempts otherwise."""
    needs = _needs(pipeline)
    recorded: dict[str, Any] = data.get("stages") or {}
    live: dict[str, Any] = (job or {}).get("progress", {}).get("stages", {}) if job else {}
    names = list(dict.fromkeys([*needs, *recorded, *live]))
    ledger: dict[str, list[Any]] = {}
    for a in memory.attempts_of_run(run_id):
        ledger.setdefault(a.stage, []).append(a)
    names += [n for n in ledger if n not in names]
    views: dict[str, StageView] = {}
    for name in names:
        v = StageView(name, needs=needs.get(name, []))
        rec = recorded.get(name)
        if rec:
            v.state = "resumed" if rec.get("resumed") else "done"
            v.task_type, v.route = str(rec.get("task_type") or ""), str(rec.get("route") or "")
            v.decision, v.reason = str(rec.get("decision") or ""), str(rec.get("reason") or "")
            v.cost_nano, v.baseline_nano = int(rec.get("cost_nano") or 0), int(
                rec.get("baseline_nano") or 0)
            v.quality, v.seconds = rec.get("quality"), rec.get("seconds")
            v.qa = dict(rec.get("quality_assurance") or {})
            v.evidence = str(v.qa.get("evidence") or "")
        mine = [a for a in ledger.get(name, []) if a.purpose == "production"]
        if not rec and mine:
            last = mine[-1]
            v.task_type, v.route, v.reason = last.task_type, last.route, last.reason
            v.cost_nano = sum(a.cost_nano for a in ledger[name])
            v.state = ("running" if any(a.status == "pending" for a in mine)
                       else "done" if any(a.success for a in mine) else "failed")
            v.quality, v.evidence = last.quality, last.evidence
        ev = live.get(name)
        if ev and not rec:
            v.state = str(ev.get("state") or v.state)
            v.route = v.route or str(ev.get("route") or "")
            v.error = str(ev.get("error") or "")
            if ev.get("task_type"):
                v.task_type = str(ev["task_type"])
        if not rec and not ev and not mine and status not in ("running",):
            v.state = "not run"
        views[name] = v
    for v in views.values():  # depth in the DAG: the column it is drawn in
        v.level = _level(v.name, needs, {})
    return list(views.values())


def _level(name: str, needs: dict[str, list[str]], seen: dict[str, int]) -> int:
    if name in seen:
        return seen[name]
    seen[name] = 0  # a cycle (impossible in a loaded pipeline) ends here
    seen[name] = 1 + max((_level(n, needs, seen) for n in needs.get(name, [])), default=-1)
    return seen[name]


def job_of_run(memory: Memory, run_id: str) -> dict[str, Any] | None:
    """The newest studio job that runs this run, if any."""
    with memory.engine.connect() as conn:
        rows = conn.execute(select(studio_jobs).where(studio_jobs.c.run_id == run_id)
                            .order_by(studio_jobs.c.created_at.desc()).limit(1)).mappings().all()
    if not rows:
        return None
    job = dict(rows[0])
    job["progress"] = json.loads(job["progress"] or "{}")
    return job


def run_detail(memory: Memory, run_id: str) -> dict[str, Any] | None:
    """Everything the run's page shows, or None for an unknown run."""
    with memory.engine.connect() as conn:
        row = conn.execute(select(runs).where(runs.c.run_id == run_id)).mappings().first()
        queue = conn.execute(select(publish_queue).where(
            publish_queue.c.run_id == run_id)).mappings().first()
        rows = conn.execute(select(attempts).where(attempts.c.run_id == run_id)
                            .order_by(attempts.c.id)).mappings().all()
    job = job_of_run(memory, run_id)
    if row is None:
        if job is None:
            return None
        spec = json.loads(job["spec"] or "{}") if isinstance(job["spec"], str) else job["spec"]
        inputs = spec.get("inputs") or {}
        run = {"run_id": run_id, "pipeline": spec.get("pipeline", ""), "status": "starting",
               "channel": spec.get("channel", ""), "topic": str(inputs.get("topic", "")),
               "out": spec.get("out"), "cost_nano": 0, "baseline_nano": 0}
    else:
        run = dict(row)
    data = _run_json(run.get("out"))
    if data.get("run_id") not in (None, run_id):
        data = {}  # the folder holds another run now
    files = dict(data.get("files") or {})
    tried = [_attempt(r).as_dict() for r in rows]
    return {
        "run": run, "data": data, "job": job,
        "stages": stage_states(memory, run_id, run["pipeline"], run["status"], data, job),
        "attempts": tried,
        "spent_nano": sum(a["cost_nano"] for a in tried if a["status"] == "settled"),
        "outputs": _outputs(run.get("out"), files),
        "queue": dict(queue) if queue else None,
        "maintenance": (data.get("quality_maintenance") or {}).get("overall"),
        "inputs": data.get("inputs") or {},
        "out_exists": bool(run.get("out")) and os.path.isdir(str(run.get("out"))),
    }
