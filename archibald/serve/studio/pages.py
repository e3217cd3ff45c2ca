"""The studio's routes: thin functions that read a request, call the module that owns the
work (runs, money, learning, review, publish, schedules, jobs) and render a template."""

from __future__ import annotations

import asyncio
import json
import mimetypes
import time
from pathlib import Path
from typing import Any, AsyncIterator
from urllib.parse import urlencode

from fastapi import Depends, FastAPI, Form, Query, Request
from fastapi.responses import (FileResponse, HTMLResponse, JSONResponse, RedirectResponse,
                               Response, StreamingResponse)
from fastapi.staticfiles import StaticFiles

from ...errors import ArchibaldError, UserError
from .auth import COOKIE, SESSION_DAYS, NotLoggedIn
from .state import Studio

__all__ = ["add_routes"]

#: the longest one live view (server-sent events) stays open, seconds
SSE_MAX = 3600.0


def _form_error(exc: Exception) -> str:
    return " ".join(str(exc).split())


def add_routes(app: FastAPI, studio: Studio) -> None:
    """Add every page, form post, file and event stream of the studio to ``app``."""
    from . import learning, money, publish, review, runs, schedules

    static = Path(__file__).parent / "static"
    app.mount("/static", StaticFiles(directory=static), name="studio-static")

    def page(request: Request) -> None:
        if not studio.auth.valid(request.cookies.get(COOKIE)):
            raise NotLoggedIn()

    def data(request: Request) -> None:
        if not studio.auth.valid(request.cookies.get(COOKIE)):
            raise NotLoggedIn(data=True)

    @app.exception_handler(NotLoggedIn)
    async def _login_needed(request: Request, exc: NotLoggedIn) -> Response:
        if exc.data:
            return JSONResponse({"error": "log in first: open the link `archibald serve` "
                                          "printed"}, status_code=401)
        return HTMLResponse(studio.render("login.html", message=exc.message,
                                          nav=False), status_code=401)

    def html(name: str, request: Request, **context: Any) -> HTMLResponse:
        return HTMLResponse(studio.render(name, path=request.url.path, nav=True, **context))

    def back(url: str) -> RedirectResponse:
        return RedirectResponse(url, status_code=303)

    # -- login ----------------------------------------------------------------------------
    def _login(request: Request, token: str) -> Response:
        why = studio.auth.use_token(token)
        if why is not None:
            if studio.auth.valid(request.cookies.get(COOKIE)):
                return back("/")  # a second click on a used link, already logged in
            raise NotLoggedIn(message=why)
        resp = back("/")
        resp.set_cookie(COOKIE, studio.auth.session_cookie(), max_age=SESSION_DAYS * 86400,
                        httponly=True, samesite="strict", path="/")
        return resp

    @app.get("/login", response_class=HTMLResponse)
    def login_get(request: Request, token: str = "") -> Response:
        if not token:
            raise NotLoggedIn()
        return _login(request, token)

    @app.post("/login")
    def login_post(request: Request, token: str = Form("")) -> Response:
        return _login(request, token.strip())

    @app.post("/logout", dependencies=[Depends(page)])
    def logout() -> Response:
        resp = back("/login")
        resp.delete_cookie(COOKIE, path="/")
        return resp

    # -- overview -------------------------------------------------------------------------
    @app.get("/", response_class=HTMLResponse, dependencies=[Depends(page)])
    def overview_page(request: Request, period: str = "day") -> HTMLResponse:
        data_ = money.overview(studio.memory, studio.settings, period, rollup=studio.rollup)
        return html("overview.html", request, o=data_,
                    schedules=schedules.upcoming(studio), jobs=studio.jobs.recent(8))

    # -- runs -----------------------------------------------------------------------------
    @app.get("/runs", response_class=HTMLResponse, dependencies=[Depends(page)])
    def runs_page(request: Request, channel: str = "", pipeline: str = "", status: str = "",
                  since: str = "", until: str = "",
                  page_: int = Query(1, alias="page", ge=1)) -> HTMLResponse:
        f = runs.RunFilter(channel, pipeline, status, since, until, page_)
        listing = runs.list_runs(studio.memory, f)
        query = {k: v for k, v in (("channel", channel), ("pipeline", pipeline),
                                   ("status", status), ("since", since), ("until", until)) if v}
        return html("runs.html", request, listing=listing, f=f, choices=runs.choices(
            studio.memory), query=urlencode(query), jobs=studio.jobs.recent(10))

    @app.get("/runs/new", response_class=HTMLResponse, dependencies=[Depends(page)])
    def new_run_page(request: Request, pipeline: str = "", error: str = "") -> HTMLResponse:
        from .jobs import load_any_pipeline, pipeline_choices

        names = list(pipeline_choices(studio.settings))
        chosen = pipeline if pipeline in names else (names[0] if names else "")
        try:
            spec = load_any_pipeline(studio.settings, chosen) if chosen else None
        except (UserError, ArchibaldError) as exc:  # a pipeline file with a mistake
            spec, error = None, error or _form_error(exc)
        return html("new_run.html", request, names=names, chosen=chosen, spec=spec,
                    channels=sorted({"default", *studio.settings.channels}), error=error)

    @app.post("/runs/new", dependencies=[Depends(page)])
    async def new_run(request: Request) -> Response:
        form = await request.form()
        pipeline = str(form.get("pipeline") or "")
        channel = str(form.get("channel") or "default")
        raw = {k[3:]: str(v) for k, v in form.items() if k.startswith("in_") and str(v) != ""}
        try:
            seed = int(str(form.get("seed") or 0))
            req, settings = await asyncio.to_thread(studio.jobs.run_request, pipeline, raw,
                                                    channel, seed)
        except (UserError, ArchibaldError, ValueError) as exc:
            return back("/runs/new?" + urlencode({"pipeline": pipeline,
                                                  "error": _form_error(exc)}))
        studio.jobs.start_run(req, settings)
        return back(f"/runs/{req.run_id}")

    @app.post("/batches/new", dependencies=[Depends(page)])
    async def new_batch(request: Request) -> Response:
        form = await request.form()
        try:
            items = schedules.batch_items(studio, str(form.get("pipeline") or ""),
                                          str(form.get("channel") or "default"),
                                          str(form.get("topics") or "").splitlines())
        except (UserError, ArchibaldError, ValueError) as exc:
            return back("/runs/new?" + urlencode({"error": _form_error(exc)}))
        job_id = studio.jobs.start_batch(f"batch of {len(items)}", items)
        return back(f"/jobs/{job_id}")

    @app.get("/runs/{run_id}", response_class=HTMLResponse, dependencies=[Depends(page)])
    def run_page(request: Request, run_id: str) -> HTMLResponse:
        d = runs.run_detail(studio.memory, run_id)
        if d is None:
            return HTMLResponse(studio.render("missing.html", nav=True, path="/runs",
                                              what=f"run {run_id}"), status_code=404)
        return html("run.html", request, d=d, run_id=run_id)

    @app.get("/runs/{run_id}/live", response_class=HTMLResponse, dependencies=[Depends(data)])
    def run_live(request: Request, run_id: str) -> HTMLResponse:
        d = runs.run_detail(studio.memory, run_id)
        if d is None:
            return HTMLResponse("", status_code=404)
        return HTMLResponse(studio.render("run_live.html", d=d, run_id=run_id))

    @app.get("/runs/{run_id}/files/{name:path}", dependencies=[Depends(data)])
    def run_file(run_id: str, name: str) -> Response:
        d = runs.run_detail(studio.memory, run_id)
        if d is None:
            return JSONResponse({"error": "no such run"}, status_code=404)
        path = runs.output_file(d["run"].get("out"), dict(d["data"].get("files") or {}), name)
        if path is None:
            return JSONResponse({"error": "no such file"}, status_code=404)
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if kind.startswith("text/") or path.suffix in (".md", ".srt", ".json"):
            kind = "text/plain; charset=utf-8"
        return FileResponse(path, media_type=kind)  # answers Range requests (206)

    @app.post("/runs/{run_id}/resume", dependencies=[Depends(page)])
    def resume(run_id: str) -> Response:
        d = runs.run_detail(studio.memory, run_id)
        if d is None or not d["data"]:
            return back(f"/runs/{run_id}")
        data_ = d["data"]
        try:
            req, settings = studio.jobs.run_request(
                data_["pipeline"], {k: v for k, v in data_.get("inputs", {}).items()},
                data_.get("channel", "default"), int(data_.get("seed") or 0),
                out=Path(str(d["run"]["out"])))
        except (UserError, ArchibaldError, ValueError):
            return back(f"/runs/{run_id}")
        studio.jobs.start_run(req, settings)
        return back(f"/runs/{req.run_id}")

    @app.post("/runs/{run_id}/cancel", dependencies=[Depends(page)])
    def cancel_run(run_id: str) -> Response:
        job = runs.job_of_run(studio.memory, run_id)
        if job is not None:
            studio.jobs.cancel(job["job_id"])
        return back(f"/runs/{run_id}")

    @app.get("/jobs/{job_id}", response_class=HTMLResponse, dependencies=[Depends(page)])
    def job_page(request: Request, job_id: str) -> HTMLResponse:
        job = studio.jobs.get(job_id)
        if job is None:
            return HTMLResponse(studio.render("missing.html", nav=True, path="/runs",
                                              what=f"job {job_id}"), status_code=404)
        return html("job.html", request, job=job)

    @app.get("/jobs/{job_id}/live", response_class=HTMLResponse, dependencies=[Depends(data)])
    def job_live(job_id: str) -> HTMLResponse:
        job = studio.jobs.get(job_id)
        if job is None:
            return HTMLResponse("", status_code=404)
        return HTMLResponse(studio.render("job_live.html", job=job))

    @app.post("/jobs/{job_id}/cancel", dependencies=[Depends(page)])
    def cancel_job(job_id: str) -> Response:
        studio.jobs.cancel(job_id)
        return back(f"/jobs/{job_id}")

    # -- live updates -----------------------------------------------------------------------
    @app.get("/events", dependencies=[Depends(data)])
    async def events(request: Request, run: str = "", job: str = "") -> Response:
        async def stream() -> AsyncIterator[str]:
            last, started, beat = None, time.monotonic(), time.monotonic()
            yield "retry: 2000\n\n"
            while time.monotonic() - started < SSE_MAX:
                if await request.is_disconnected():
                    return
                state = await asyncio.to_thread(_snapshot, studio, run, job)
                if state != last:
                    last = state
                    yield f"event: change\ndata: {json.dumps(state)}\n\n"
                    beat = time.monotonic()
                if state.get("finished"):
                    yield "event: end\ndata: {}\n\n"
                    return
                if time.monotonic() - beat > 15:
                    yield ": still here\n\n"
                    beat = time.monotonic()
                await asyncio.sleep(0.5)

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store"})

    learning.add_routes(app, studio, page, data, html, back)
    review.add_routes(app, studio, page, html, back)
    publish.add_routes(app, studio, page, html, back)

    # -- schedules --------------------------------------------------------------------------
    @app.get("/schedules", response_class=HTMLResponse, dependencies=[Depends(page)])
    def schedules_page(request: Request, error: str = "") -> HTMLResponse:
        return html("schedules.html", request, rows=schedules.upcoming(studio, 5), error=error)

    @app.post("/schedules/{name}/run", dependencies=[Depends(page)])
    def run_schedule_now(name: str) -> Response:
        try:
            job_id = schedules.run_now(studio, name)
        except (ArchibaldError, OSError) as exc:
            return back("/schedules?" + urlencode({"error": _form_error(exc)}))
        return back(f"/jobs/{job_id}")


def _snapshot(studio: Studio, run: str, job: str) -> dict[str, Any]:
    """What a live view compares to see a change: the run's or job's state and progress."""
    from sqlalchemy import func, select

    from ...store.migrations import attempts, runs

    out: dict[str, Any] = {}
    if job:
        j = studio.jobs.get(job)
        if j is None:
            return {"finished": True}
        out.update(job=j["state"], progress=j["progress"], updated=j["updated_at"])
        out["finished"] = j["state"] != "running"
    if run:
        with studio.memory.engine.connect() as conn:
            row = conn.execute(select(runs.c.status, runs.c.finished_at).where(
                runs.c.run_id == run)).first()
            n, last = conn.execute(select(func.count(), func.max(attempts.c.id)).where(
                attempts.c.run_id == run)).one()
        from .runs import job_of_run

        j = job_of_run(studio.memory, run)
        out.update(status=row[0] if row else "starting", attempts=int(n), last=last,
                   job=j["state"] if j else None, progress=j["progress"] if j else None)
        running = (row is not None and row[0] == "running") or (
            j is not None and j["state"] == "running")
        out["finished"] = not running and row is not None
    return out
