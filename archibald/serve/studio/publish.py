"""The publish queue: with ``[publish] review = true`` a finished video waits as "ready for
review". Approve uploads it through the YouTube backend (now, or scheduled with publishAt);
reject keeps the reason with the run and uploads nothing. The state moves by conditional
updates, so two people (or two workers) cannot upload one video twice."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlencode

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select, update

from ...errors import ArchibaldError, InputError
from ...store.memory import Memory
from ...store.migrations import publish_queue, runs
from .state import Studio

__all__ = ["queue", "approve", "reject", "add_routes"]


def queue(memory: Memory, state: str = "") -> list[dict[str, Any]]:
    q = publish_queue.c
    stmt = (select(publish_queue, runs.c.topic, runs.c.channel, runs.c.pipeline, runs.c.out)
            .select_from(publish_queue.outerjoin(runs, runs.c.run_id == q.run_id))
            .order_by(q.created_at.desc()).limit(200))
    if state:
        stmt = stmt.where(q.state == state)
    with memory.engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(stmt).mappings()]
    for r in rows:
        r["metadata"] = _metadata(r)
    return rows


def _folder(row: dict[str, Any]) -> Path:
    """The publish folder of a queued run: the one its stage made, else the run's copy."""
    own = Path(str(row.get("publish_dir") or ""))
    if str(own) not in ("", ".") and own.is_dir() and not own.is_symlink():
        return own
    return Path(str(row.get("out") or "")) / "publish"


def _metadata(row: dict[str, Any]) -> dict[str, Any]:
    try:
        data = json.loads((_folder(row) / "metadata.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _claim(memory: Memory, run_id: str, to: str, **values: Any) -> bool:
    """Move a ready item to ``to``; False if it is not ready (already decided)."""
    with memory.engine.begin() as conn:
        return bool(conn.execute(update(publish_queue).where(
            publish_queue.c.run_id == run_id, publish_queue.c.state == "ready")
            .values(state=to, updated_at=time.time(), **values)).rowcount)


def _row(memory: Memory, run_id: str) -> dict[str, Any] | None:
    q = publish_queue.c
    with memory.engine.connect() as conn:
        r = conn.execute(select(publish_queue, runs.c.channel, runs.c.out)
                         .select_from(publish_queue.outerjoin(runs, runs.c.run_id == q.run_id))
                         .where(q.run_id == run_id)).mappings().first()
    return dict(r) if r else None


def _publish_at(text: str) -> str | None:
    """A publishAt time from the form (``2026-12-24T09:00``, UTC unless it says), in the
    future, as YouTube wants it; None for empty."""
    text = text.strip()
    if not text:
        return None
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"publish at {text!r} is not a time like 2026-12-24T09:00") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    if when.timestamp() <= time.time() + 60:
        raise InputError(f"publish at {text} is not in the future; give a later time or none "
                         f"to publish now")
    return when.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def approve(studio: Studio, run_id: str, publish_at: str = "") -> dict[str, Any]:
    """Upload a ready video through the YouTube backend; its queue row says what happened."""
    from ...providers.backends.youtube import load_credentials, upload

    when = _publish_at(publish_at)
    row = _row(studio.memory, run_id)
    if row is None:
        raise InputError(f"run {run_id} is not in the publish queue")
    folder = _folder(row)
    request = json.loads((folder / "request.json").read_text(encoding="utf-8"))
    body = request.get("videos.insert", {}).get("body", {})
    status = body.get("status") or {}
    metadata = _metadata(row)
    if not _claim(studio.memory, run_id, "uploading", publish_at=when):
        raise InputError(f"run {run_id} was already decided ({row['state']})")
    settings = studio.settings
    token = settings.channel(str(row.get("channel") or "default")).youtube_token
    privacy = "private" if when else str(settings.publish.get("privacy") or "private")
    try:
        captions = folder / "subtitles.srt"
        thumb = folder / "thumbnail.jpg"
        result = upload(folder / "video.mp4", thumb if thumb.is_file() else None, metadata,
                        privacy=privacy, publish_at=when,
                        credentials=load_credentials(path=token),
                        captions=captions if captions.is_file() else None,
                        synthetic=bool(status.get("containsSyntheticMedia", True)))
    except (ArchibaldError, OSError, ValueError) as exc:
        _set(studio.memory, run_id, state="failed", reason=" ".join(str(exc).split())[:500])
        raise
    _set(studio.memory, run_id, state="scheduled" if when else "uploaded",
         video_id=str(result["video_id"]), url=str(result["url"]),
         reason="; ".join(result.get("notes") or []))
    return dict(result)


def _set(memory: Memory, run_id: str, **values: Any) -> None:
    with memory.engine.begin() as conn:
        conn.execute(update(publish_queue).where(publish_queue.c.run_id == run_id)
                     .values(updated_at=time.time(), **values))


def reject(memory: Memory, run_id: str, reason: str) -> None:
    reason = " ".join(reason.split())
    if not reason:
        raise InputError("say why it is rejected (the reason is kept with the run)")
    if not _claim(memory, run_id, "rejected", reason=reason[:2000]):
        raise InputError(f"run {run_id} is not waiting for review")


def retry(memory: Memory, run_id: str) -> None:
    """A failed upload goes back to ready (the person approves it again)."""
    with memory.engine.begin() as conn:
        conn.execute(update(publish_queue).where(publish_queue.c.run_id == run_id,
                                                 publish_queue.c.state == "failed")
                     .values(state="ready", updated_at=time.time()))


def add_routes(app: FastAPI, studio: Studio, page: Callable[..., Any],
               html: Callable[..., HTMLResponse], back: Callable[[str], Response]) -> None:
    from fastapi import Depends

    @app.get("/publish", response_class=HTMLResponse, dependencies=[Depends(page)])
    def publish_page(request: Request, done: str = "", error: str = "") -> HTMLResponse:
        rows = queue(studio.memory)
        return html("publish.html", request, ready=[r for r in rows if r["state"] == "ready"],
                    decided=[r for r in rows if r["state"] != "ready"], done=done, error=error,
                    review_on=bool(studio.settings.publish.get("review")))

    @app.post("/publish/{run_id}/approve", dependencies=[Depends(page)])
    def approve_post(run_id: str, publish_at: str = Form("")) -> Response:
        try:
            result = approve(studio, run_id, publish_at)
        except (ArchibaldError, OSError, ValueError) as exc:
            return back("/publish?" + urlencode({"error": " ".join(str(exc).split())}))
        return back("/publish?" + urlencode({"done": f"uploaded: {result['url']}"}))

    @app.post("/publish/{run_id}/reject", dependencies=[Depends(page)])
    def reject_post(run_id: str, reason: str = Form("")) -> Response:
        try:
            reject(studio.memory, run_id, reason)
        except InputError as exc:
            return back("/publish?" + urlencode({"error": str(exc)}))
        return back("/publish?" + urlencode({"done": f"rejected {run_id}: nothing uploaded"}))

    @app.post("/publish/{run_id}/retry", dependencies=[Depends(page)])
    def retry_post(run_id: str) -> Response:
        retry(studio.memory, run_id)
        return back("/publish")
