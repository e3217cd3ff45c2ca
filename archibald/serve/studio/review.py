"""Blind review: a route's answer and premium's to the same task (the same task type and
inputs), their routes hidden and their order random; a person says "A better", "B better",
"both fine" or "both bad". The verdict is kept as every person's verdict is
(:func:`archibald.quality.evidence.record_pair_verdict`): on the delegated answer's run and
stage, it replaces the judge's pair there, teaches the router and counts in the report's
quality maintenance. Pairs of two routes neither of which is premium are not offered: such a
verdict compares nothing with premium, and premium is what the router learns against."""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path
from typing import Any, Callable

from fastapi import FastAPI, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from sqlalchemy import and_, select

from ...store.memory import Memory
from ...store.migrations import attempts, runs
from .state import Studio

__all__ = ["candidates", "record_verdict", "VERDICTS", "add_routes", "SCORES"]

VERDICTS = {"a": "A better", "b": "B better", "both_fine": "both fine", "both_bad": "both bad"}
#: each side's quality for a verdict: (A's, B's)
SCORES = {"a": (1.0, 0.5), "b": (0.5, 1.0), "both_fine": (1.0, 1.0), "both_bad": (0.2, 0.2)}
#: the most candidate answers one page looks at
_SCAN = 2000


def _shown(artifact: Any, out_files: dict[str, Path]) -> dict[str, Any]:
    """What a person sees of an answer: its text, or its file (image, audio, video)."""
    from .runs import file_kind

    if isinstance(artifact, dict):
        text = artifact.get("text") or artifact.get("script") or artifact.get("markdown")
        if isinstance(text, str) and text.strip():
            return {"kind": "text", "text": text[:20000]}
        for key in ("path", "mix", "image", "audio"):
            value = artifact.get(key)
            if isinstance(value, str) and value:
                return {"kind": file_kind(value), "path": value}
        return {"kind": "text", "text": json.dumps(artifact, indent=2, default=str)[:20000]}
    if isinstance(artifact, str):
        return {"kind": "text", "text": artifact[:20000]}
    return {"kind": "text", "text": json.dumps(artifact, default=str)[:20000]}


def candidates(memory: Memory, limit: int = 20) -> list[dict[str, Any]]:
    """Pairs of settled, successful answers to the same task (task type and input): ``a`` a
    route's production answer, ``b`` premium's (a shadow or another run's), each with its
    stored answer, whose delegated run and stage no person has judged yet (newest first)."""
    from ...quality.evidence import reviewed

    p, q = attempts.alias("p"), attempts.alias("q")
    stmt = (select(p.c.id.label("a"), q.c.id.label("b"), p.c.run_id, p.c.stage)
            .select_from(p.join(q, and_(p.c.task_type == q.c.task_type,
                                        p.c.input_key == q.c.input_key)))
            .where(p.c.status == "settled", p.c.success.is_(True), p.c.outcome.is_not(None),
                   p.c.purpose == "production", p.c.input_key != "", p.c.route != "premium",
                   q.c.status == "settled", q.c.success.is_(True), q.c.outcome.is_not(None),
                   q.c.purpose.in_(("production", "shadow")), q.c.route == "premium")
            .order_by(p.c.id.desc(), q.c.id.desc()).limit(_SCAN))
    seen = reviewed(memory)
    with memory.engine.connect() as conn:
        rows = conn.execute(stmt).all()
    out: list[dict[str, Any]] = []
    for a, b, run_id, stage in rows:
        key = f"{run_id}/{stage}"
        if key in seen:
            continue
        seen.add(key)  # one pair per delegated answer
        out.append({"a": int(a), "b": int(b)})
        if len(out) >= limit:
            break
    return out


def _row(memory: Memory, attempt_id: int) -> dict[str, Any] | None:
    with memory.engine.connect() as conn:
        r = conn.execute(select(attempts).where(attempts.c.id == attempt_id)).mappings().first()
    return dict(r) if r else None


def blind_pair(memory: Memory, pair: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """The pair as shown: sides A and B in random order, with no route, model or cost."""
    rows = [_row(memory, pair["a"]), _row(memory, pair["b"])]
    rng.shuffle(rows)
    sides = []
    for r in rows:
        assert r is not None
        outcome = json.loads(r["outcome"] or "{}")
        sides.append({"id": r["id"], **_shown(outcome.get("artifact"), {})})
    first = rows[0]
    assert first is not None
    return {"task_type": first["task_type"], "a": sides[0], "b": sides[1],
            "brief": _brief(first)}


def _brief(row: dict[str, Any]) -> str:
    """What the task asked for (a route-blind description: its run's topic)."""
    return str(row.get("task_type", "")).replace("_", " ")


def record_verdict(memory: Memory, a_id: int, b_id: int,
                   verdict: str) -> dict[str, Any] | None:
    """Keep a person's verdict on answers ``a_id`` (shown as A) and ``b_id`` (B), each side's
    quality per :data:`SCORES`; None when that pair was judged already (the first verdict
    holds)."""
    from ...quality.evidence import record_pair_verdict

    if verdict not in SCORES:
        raise ValueError(f"verdict must be one of {', '.join(SCORES)}")
    a_row, b_row = _row(memory, a_id), _row(memory, b_id)
    if a_row is None or b_row is None or a_row["input_key"] != b_row["input_key"] \
            or a_row["task_type"] != b_row["task_type"] \
            or [a_row["route"], b_row["route"]].count("premium") != 1:
        raise ValueError("these two answers are not a route's and premium's to the same task")
    a_score, b_score = SCORES[verdict]
    if a_row["route"] == "premium":
        delegated, quality, premium_quality = b_row, b_score, a_score
    else:
        delegated, quality, premium_quality = a_row, a_score, b_score
    return record_pair_verdict(memory, delegated, quality=quality,
                               premium_quality=premium_quality, reviewer="studio",
                               note=f"blind review: {VERDICTS[verdict]}")


def _topic(memory: Memory, run_id: str) -> str:
    with memory.engine.connect() as conn:
        return str(conn.execute(select(runs.c.topic).where(runs.c.run_id == run_id))
                   .scalar() or "")


def add_routes(app: FastAPI, studio: Studio, page: Callable[..., Any],
               html: Callable[..., HTMLResponse], back: Callable[[str], Response]) -> None:
    from fastapi import Depends

    rng = random.Random()

    @app.get("/review", response_class=HTMLResponse, dependencies=[Depends(page)])
    def review_page(request: Request, done: str = "") -> HTMLResponse:
        pairs = candidates(studio.memory, limit=1)
        shown = blind_pair(studio.memory, pairs[0], rng) if pairs else None
        if shown is not None:
            a = _row(studio.memory, shown["a"]["id"])
            shown["topic"] = _topic(studio.memory, a["run_id"]) if a else ""
        return html("review.html", request, pair=shown, verdicts=VERDICTS, done=done)

    @app.post("/review", dependencies=[Depends(page)])
    def review_post(a: int = Form(...), b: int = Form(...),
                    verdict: str = Form(...)) -> Response:
        try:
            record_verdict(studio.memory, a, b, verdict)
        except ValueError:
            return back("/review")
        return back("/review?done=1")

    @app.get("/review/file/{attempt_id}", dependencies=[Depends(page)])
    def review_file(attempt_id: int) -> Response:
        """The file an answer names, when it lies inside a run folder the store knows."""
        row = _row(studio.memory, attempt_id)
        if row is None:
            return JSONResponse({"error": "no such answer"}, status_code=404)
        shown = _shown(json.loads(row["outcome"] or "{}").get("artifact"), {})
        path = Path(str(shown.get("path") or ""))
        with studio.memory.engine.connect() as conn:
            out = conn.execute(select(runs.c.out).where(runs.c.run_id == row["run_id"])).scalar()
        if not out or path.is_symlink() or not path.is_file() or \
                not path.resolve().is_relative_to(Path(str(out)).resolve()):
            return JSONResponse({"error": "no such file"}, status_code=404)
        return FileResponse(path)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]
