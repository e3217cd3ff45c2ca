"""What the router has learned, per task type: the evidence behind each route (outcomes,
quality with its interval, cost, a person's and the judge's comparisons with premium), what it
would decide now and why (the router's own ``explain``), and forget / export as
`archibald memory forget|export` do."""

from __future__ import annotations

import math
from typing import Any, Callable, Iterator

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from sqlalchemy import select

from ...errors import ArchibaldError, UserError
from ...store.memory import Memory, RouteStats
from ...store.migrations import route_stats
from .state import Studio

__all__ = ["learning", "add_routes", "quality_interval"]


def quality_interval(s: RouteStats) -> tuple[float, float] | None:
    """A 95% interval of the route's judged quality (normal, from its decayed evidence);
    None under two outcomes with evidence."""
    n = s.w_evidence
    if n < 2 or s.w_evidence <= 0 or s.quality_n < 2:
        return None
    mean = s.w_quality / n
    var = max(0.0, s.w_quality_sq / n - mean * mean) * n / (n - 1)
    half = 1.96 * math.sqrt(var / n)
    return max(0.0, mean - half), min(1.0, mean + half)


def _task_types(memory: Memory) -> list[str]:
    with memory.engine.connect() as conn:
        return [str(t) for t in conn.execute(select(route_stats.c.task_type).distinct()
                                             .order_by(route_stats.c.task_type)).scalars()]


def _pairs_summary(pairs: list[dict[str, Any]]) -> dict[str, Any]:
    from ...quality.maintenance import summarise

    people = [p for p in pairs if p["evidence"] == "human"]
    try:
        ratio = summarise([(float(p["quality"]), float(p["premium_quality"]))
                           for p in pairs if p["quality"] is not None
                           and p["premium_quality"] is not None])
    except ImportError:  # scipy (the learning extra) missing: no interval, the ratio alone
        usable = [(p["quality"], p["premium_quality"]) for p in pairs
                  if p["premium_quality"]]
        ratio = {"ratio": sum(a for a, _ in usable) / sum(b for _, b in usable)
                 if usable else None, "n": len(usable), "low": None, "high": None}
    return {**ratio, "human": len(people), "judge": len(pairs) - len(people)}


def learning(studio: Studio, channel: str = "default") -> list[dict[str, Any]]:
    """Per task type with outcomes in memory: each route's evidence and the decision now."""
    from ...core.catalog import build_registry
    from ...core.router import Router
    from ...quality.evidence import comparisons_by_route

    memory, settings = studio.memory, studio.settings
    router = Router(settings, memory, build_registry(settings, memory))
    out = []
    for task_type in _task_types(memory):
        stats = memory.route_stats(task_type)
        # a person's verdicts and the judge's pairs with premium, as the router reads them,
        # every route's at once
        grouped = comparisons_by_route(memory, task_type, None)
        routes = []
        for route, s in sorted(stats.items()):
            pairs = grouped.get(route, []) if route != "premium" else []
            routes.append({"route": route, "n": s.n, "evidence_n": s.evidence_n,
                           "success_rate": s.success_rate, "quality": s.mean_quality,
                           "interval": quality_interval(s), "mean_cost_nano":
                           int(s.cost_nano_sum / s.n) if s.n else 0,
                           "unjudged": s.unjudged, "pairs": _pairs_summary(pairs)
                           if pairs else None})
        try:
            decision: dict[str, Any] | None = router.explain(task_type, channel)
            why_not = ""
        except (UserError, ArchibaldError) as exc:
            decision, why_not = None, " ".join(str(exc).split())
        out.append({"task_type": task_type, "routes": routes, "decision": decision,
                    "why_not": why_not})
    return out


def add_routes(app: FastAPI, studio: Studio, page: Callable[..., Any], data: Callable[..., Any],
               html: Callable[..., HTMLResponse], back: Callable[[str], Response]) -> None:
    from fastapi import Depends

    @app.get("/learning", response_class=HTMLResponse, dependencies=[Depends(page)])
    def learning_page(request: Request, channel: str = "default",
                      done: str = "", error: str = "") -> HTMLResponse:
        return html("learning.html", request, rows=learning(studio, channel), channel=channel,
                    done=done, error=error, channels=sorted({"default", *studio.settings
                                                             .channels}))

    @app.post("/learning/forget", dependencies=[Depends(page)])
    def forget(task_type: str = Form(""), route: str = Form(""),
               channel: str = Form("")) -> Response:
        from urllib.parse import urlencode

        if not (task_type or route or channel):
            return back("/learning?" + urlencode({"error": "say what to forget: a task type, "
                                                           "a route and/or a channel"}))
        done = studio.memory.forget(task_type=task_type or None, route=route or None,
                                    channel=channel or None)
        what = ", ".join(f"{k} {v}" for k, v in (("task type", task_type), ("route", route),
                                                  ("channel", channel)) if v)
        return back("/learning?" + urlencode({"done": (
            f"forgot {what}: {done['route_stats']} route statistics, {done['attempts']} "
            f"outcomes no longer evidence, {done['remembered']} remembered results (costs "
            f"stay in the ledger)")}))

    @app.get("/learning/export", dependencies=[Depends(data)])
    def export() -> Response:
        def lines() -> Iterator[str]:
            for line in studio.memory.export_lines():
                yield line + "\n"
        return StreamingResponse(lines(), media_type="application/x-ndjson", headers={
            "Content-Disposition": 'attachment; filename="archibald-memory.jsonl"'})
