"""CLI commands: `archibald plan` (predictive delegation and budget planning) and
`archibald memory ab` (route A/B comparison)."""

from __future__ import annotations

from typing import Any, Optional

import typer

from . import app
from .common import (ConfigOption, check_channel, open_memory, open_pipeline, open_router, open_settings,
                     print_json)
from ..store.ledger import format_usd
from .memory import memory_app
from ..core.tasks import Usage


def plan_data(settings: Any, memory: Any, videos: int, channel: str,
              minutes: float, pipeline: Any = None) -> dict[str, Any]:
    """The route each stage of ``pipeline`` (default: meditation) would take now with its
    expected cost, and a forecast from memory's finished runs of it with an interval."""
    from ..errors import InputError
    from ..learning.forecast import forecast
    from ..pipeline.run import install
    from ..core.baseline import has_baseline
    from ..core.tasks import Task

    pipeline = pipeline or open_pipeline(None)
    router = open_router(settings, memory)
    install(pipeline, router.registry, memory)
    stages = []
    for spec in pipeline.stages:
        name = spec.task_type
        task = Task(name, {"minutes": minutes}, channel)
        d = router.decide(task)
        model = settings.model_for("budget") if d.route == "budget" else \
            settings.profile(name).premium_model if d.route == "premium" else None
        # the report's baseline rule: no premium price where no premium backend exists here
        premium = d.analysis.estimated_cost if has_baseline(router.registry, name) else None
        stages.append({"stage": spec.name, "task_type": name, "route": d.route,
                       "decision": d.decision,
                       "expected_cost_usd": round(router.estimate(task, d.route, d.analysis), 6),
                       "premium_cost_usd": None if premium is None else round(premium, 6),
                       "qa_cost_usd": round(_qa_estimate(router, settings, task, d.route,
                                                         premium or 0.0), 6),
                       "rate": router.prices.rate(model),   # e.g. DeepSeek's off-peak rate
                       "reason": d.reason})
    planned = sum(s["expected_cost_usd"] + s["qa_cost_usd"] for s in stages)
    history = [{"cost": r["cost_nano"] / 1e9, "seconds": r["seconds"],
                "minutes": r.get("minutes")}
               for r in memory.finished_runs(channel, pipeline.name)]
    out: dict[str, Any] = {"pipeline": pipeline.name, "unit": pipeline.unit,
                           "videos": videos, "channel": channel, "minutes": minutes,
                           "stages": stages, "planned_cost_per_video_usd": round(planned, 6),
                           "planned_cost_total_usd": round(planned * videos, 6),
                           **_savings(stages, memory), "forecast": None}
    try:
        f = forecast(history, videos, minutes=minutes)
    except InputError as exc:
        out["forecast_note"] = str(exc)
        return out
    out["forecast"] = {"level": f.level, "history_videos": f.history, "note": f.note,
                       "minutes": f.minutes, "scaled": f.model,
                       "per_video_usd": f.per_video_mean,
                       "per_video_interval_usd": list(f.per_video_interval),
                       "total_usd": f.total_mean, "total_interval_usd": list(f.total_interval),
                       "seconds_per_video": f.seconds_mean,
                       "seconds_interval": list(f.seconds_interval),
                       "total_seconds": f.total_seconds_mean,
                       "total_seconds_interval": list(f.total_seconds_interval)}
    return out


def _savings(stages: list[dict[str, Any]], memory: Any) -> dict[str, Any]:
    """Per video, what the planned routes save against premium, split as the report splits
    it: *verified* where the stage's route has comparisons with premium on the same input on
    record (judged pairs, people's verdicts), with the quality they kept; *unverified* where it
    has none. Quality assurance is subtracted from the total, not from either."""
    from ..quality.evidence import comparisons
    from ..quality.maintenance import summarise

    split = {"verified": 0.0, "unverified": 0.0}
    named: dict[str, list[str]] = {"verified": [], "unverified": []}
    pairs: list[tuple[float, float]] = []
    for s in stages:
        if s["premium_cost_usd"] is None or s["route"] == "premium":
            continue
        found = comparisons(memory, s["task_type"], None, s["route"])
        which = "verified" if found else "unverified"
        split[which] += s["premium_cost_usd"] - s["expected_cost_usd"]
        named[which].append(s["stage"])
        pairs += [(p["quality"], p["premium_quality"]) for p in found]
    qa = sum(s["qa_cost_usd"] for s in stages)
    return {"savings": {
        "verified_usd": round(split["verified"], 6), "verified_stages": named["verified"],
        "unverified_usd": round(split["unverified"], 6),
        "unverified_stages": named["unverified"], "qa_usd": round(qa, 6),
        "total_usd": round(split["verified"] + split["unverified"] - qa, 6),
        "quality_kept": summarise(pairs, "judged against premium on the same input")}}


def savings_line(data: dict[str, Any]) -> str:
    """The plan's savings per video in the report's words: verified and unverified."""
    s = data["savings"]
    kept = s["quality_kept"]
    if kept["n"]:
        interval = ("" if kept["low"] is None else
                    f", 95% interval {kept['low']:.1%} to {kept['high']:.1%}")
        behind = (f"{kept['n']} judged comparisons with premium on record, quality kept "
                  f"{kept['ratio']:.1%}{interval}")
    else:
        behind = "no judged comparison yet"
    unverified = ", ".join(s["unverified_stages"])
    return (f"verified savings {format_usd(s['verified_usd'], 4)} ({behind}); unverified savings "
            f"{format_usd(s['unverified_usd'], 4)} (no comparison yet"
            f"{': ' + unverified if unverified else ''}); quality assurance "
            f"{format_usd(-s['qa_usd'], 4)}")


def _qa_estimate(router: Any, settings: Any, task: Any, route: str, premium: float) -> float:
    """What quality assurance is expected to cost for one stage: a judge's call on every
    outcome of a task type with a rubric, and for a delegated one the shadow's share of a
    premium answer judged pairwise (both orders). Nothing where no judge can run."""
    from ..quality.judge import rubric
    from ..quality.senses import media_kind

    kind = media_kind(settings.profile(task.type).capability)
    if kind is not None:
        return _media_qa_estimate(router, settings, task, route, premium, kind)
    judge = router.assurance.judge
    if judge is None or rubric(task.type) is None:
        return 0.0
    usage = settings.profile(task.type).expected_usage(task)
    # the judge reads the work (about the premium answer's length) and the rubric, and answers
    # a short verdict
    work = int(getattr(usage, "output_tokens", 0) or 0) + 600
    try:
        one = router.prices.cost(Usage(input_tokens=work, output_tokens=200), model=judge.model)
    except Exception:  # noqa: BLE001 - an unpriced judge model: said as unknown (0) here
        return 0.0
    if route == "premium":
        return float(one)
    share = float(settings.quality.shadow_share)
    return float(one + share * (premium + 2 * one))


def _media_qa_estimate(router: Any, settings: Any, task: Any, route: str, premium: float,
                       kind: str) -> float:
    """An image's or a sound's judging: one call that sees (two copies of the picture) or
    hears (the excerpt), and for a delegated picture the shadow's share of premium's picture
    judged in both orders. Nothing where no judge can see or hear."""
    from ..quality.senses import AUDIO_TOKENS_PER_S, IMAGE_TOKENS, audio_rate

    judge, _ = router.assurance.media_judge(kind)
    if judge is None:
        return 0.0
    try:
        price = router.prices.model(judge.model)
    except Exception:  # noqa: BLE001 - an unpriced judge model: said as unknown (0) here
        return 0.0
    seen = 2 * IMAGE_TOKENS if kind == "image" else int(
        AUDIO_TOKENS_PER_S * settings.quality.audio_excerpt_seconds)
    per_in = max(price.input_per_token, (audio_rate(judge.model) or 0.0)
                 if kind == "audio" else 0.0)
    one = (seen + 600) * per_in + 200 * price.output_per_token
    if route == "premium" or kind != "image":
        return float(one)
    pair = (2 * seen + 700) * per_in + 200 * price.output_per_token
    share = float(settings.quality.shadow_share)
    return float((1 - share) * one + share * (premium + 2 * pair))


@app.command()
def plan(videos: int = typer.Option(10, "--videos", "--runs",
                                    help="How many videos (runs) to plan."),
         pipeline: Optional[str] = typer.Option(None, "--pipeline",
                                                help="A pipeline file or a shipped pipeline "
                                                     "(default: the channel's, else "
                                                     "meditation)."),
         channel: str = typer.Option("default", "--channel"),
         minutes: float = typer.Option(10.0, "--minutes"),
         as_json: bool = typer.Option(False, "--json"),
         config: Optional[str] = ConfigOption) -> None:
    """Forecast cost and time per video and in all, before anything runs."""
    from ..errors import InputError
    from ..pipeline.produce import check_minutes

    if videos < 1:
        raise InputError(f"--videos {videos} must be at least 1")
    check_minutes(minutes)
    base = open_settings(config)
    check_channel(base, channel)
    spec = open_pipeline(pipeline, base.channel(channel))
    settings = open_settings(config, spec)
    memory = open_memory(settings)
    data = plan_data(settings, memory, videos, channel, minutes, spec)
    memory.close()
    if as_json:
        print_json(data)
        return
    typer.echo(f"plan for {videos} x {minutes:g}-minute {spec.unit}s of {spec.name} on "
               f"channel {channel}:")
    for s in data["stages"]:
        rate = f", {s['rate']} rate" if s["rate"] not in ("", "standard") else ""
        premium = "no premium backend" if s["premium_cost_usd"] is None else \
            f"premium {format_usd(s['premium_cost_usd'], 4)}"
        qa = f", QA ~{format_usd(s['qa_cost_usd'], 4)}" if s["qa_cost_usd"] else ""
        typer.echo(f"  {s['stage']:<20} {s['route']:<8} ~{format_usd(s['expected_cost_usd'], 4)} "
                   f"({premium}{qa}{rate})")
    typer.echo(f"routes as planned now, quality assurance (judge and shadow) included: "
               f"{format_usd(data['planned_cost_per_video_usd'], 4)} per {spec.unit}, "
               f"{format_usd(data['planned_cost_total_usd'])} for {videos}")
    typer.echo(f"per {spec.unit}: {savings_line(data)}")
    f = data["forecast"]
    if f is None:
        typer.echo(f"forecast: {data.get('forecast_note')}")
        return
    lo, hi = f["per_video_interval_usd"]
    tlo, thi = f["total_interval_usd"]
    slo, shi = f["seconds_interval"]
    typer.echo(f"forecast ({f['level']:.0%} interval, {f['note']}):")
    typer.echo(f"  cost per video {format_usd(f['per_video_usd'], 4)} [{format_usd(lo, 4)}, "
               f"{format_usd(hi, 4)}]; all {videos}: {format_usd(f['total_usd'])} "
               f"[{format_usd(tlo)}, {format_usd(thi)}]")
    typer.echo(f"  time per video {f['seconds_per_video']:.0f} s [{slo:.0f}, {shi:.0f}]")


@memory_app.command("ab")
def ab(task_type: str = typer.Argument(..., help="Task type to compare routes for."),
       channel: Optional[str] = typer.Option(None, "--channel"),
       as_json: bool = typer.Option(False, "--json"),
       config: Optional[str] = ConfigOption) -> None:
    """Compare the routes a task type has taken, on cost and quality, with intervals."""
    from ..learning.stats import compare

    settings = open_settings(config)
    settings.profile(task_type)
    memory = open_memory(settings)
    samples = {}
    for route in settings.profile(task_type).routes:
        # only outcomes with evidence behind their quality (a route's own grade is none)
        rows = [(c, q) for c, q, _ in memory.samples(task_type, route, channel) if q is not None]
        if rows:
            samples[route] = [{"cost": c, "quality": q} for c, q in rows]
    memory.close()
    routes = sorted(samples, key=lambda r: -len(samples[r]))
    if len(routes) < 2:
        msg = (f"{task_type}: outcomes on {len(routes)} route(s) only; set [router] "
               f"explore_share (e.g. 0.1) so some tasks try another route")
        if as_json:
            print_json({"task_type": task_type, "comparisons": [], "note": msg})
        else:
            typer.echo(msg)
        return
    base = "premium" if "premium" in samples else routes[0]
    out = []
    for other in routes:
        if other == base:
            continue
        c = compare(samples[base], samples[other], a=base, b=other)
        out.append({"a": base, "b": other, "n_a": c.cost.n_a, "n_b": c.cost.n_b,
                    "cost_diff": c.cost.diff, "cost_interval": [c.cost.low, c.cost.high],
                    "quality_diff": c.quality.diff,
                    "quality_interval": [c.quality.low, c.quality.high],
                    "verdict": c.verdict})
    if as_json:
        print_json({"task_type": task_type, "comparisons": out})
        return
    for row in out:
        typer.echo(f"{task_type}: {row['b']} vs {row['a']} ({row['n_b']} vs {row['n_a']} "
                   f"outcomes): {row['verdict']}")
