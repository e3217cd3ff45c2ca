"""CLI command: `archibald batch MANIFEST` (many videos, one scheduler for the machine)."""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import typer

from ..store.ledger import format_usd
from . import app
from .common import ConfigOption, open_memory, open_settings, print_json

if TYPE_CHECKING:
    from ..config import Settings
    from ..pipeline.batch import BatchItem


@app.command()
def batch(manifest: Path = typer.Argument(..., help="CSV or TOML manifest of the videos."),
          out: Path = typer.Option(Path("batch-out"), "--out",
                                   help="Folder that holds one folder per item."),
          jobs: int = typer.Option(0, "--jobs", help="Items in flight at once (0: cores + 1)."),
          dry_run: bool = typer.Option(False, "--dry-run",
                                       help="Show the schedule and forecast cost; run nothing."),
          as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
          ray: Optional[str] = typer.Option(None, "--ray", help="Run items on a Ray cluster: "
                                            "auto, local, or its ADDRESS."),
          batch_api: bool = typer.Option(True, "--batch-api/--no-batch-api",
                                         help="Send LLM calls of items whose deadline is hours "
                                              "away through provider batch APIs (half price)."),
          config: Optional[str] = ConfigOption) -> None:
    """Make every video of a manifest; re-run it to resume (finished items are skipped)."""
    from ..errors import InputError
    from ..pipeline.batch import batch_display, load_manifest, run_batch, run_batch_ray

    if jobs < 0:
        raise InputError(f"--jobs {jobs} is negative; give 0 (automatic) or more")
    settings = open_settings(config)
    items = load_manifest(manifest, out.expanduser().absolute())
    if dry_run:
        _schedule(settings, items, as_json)
        return
    memory = open_memory(settings)
    try:
        with batch_display(items, settings.budgets.per_month_usd,
                           None if not as_json else sys.stderr) as notify:
            if ray:
                result = run_batch_ray(items, settings, memory, ray, notify=notify)
            else:
                result = run_batch(items, settings, memory, jobs=jobs, notify=notify,
                                   **({} if batch_api else {"batcher": None}))
        data = result.as_dict()
        data["channels"] = _channels(result, settings, memory)
    finally:
        memory.close()
    if as_json:
        print_json(data)
    else:
        typer.echo(f"batch: {data['done']}/{len(items)} done, {data['failed']} failed in "
                   f"{data['wall_seconds']:.1f} s; cost {format_usd(data['cost_usd'])}")
        for name, c in data["channels"].items():
            budget = "no budget of its own" if c["budget_usd"] is None else \
                f"its budget ${c['budget_usd']:g} a month"
            typer.echo(f"  channel {name}: cost {format_usd(c['cost_usd'])} against "
                       f"{format_usd(c['baseline_usd'])} all-premium; verified savings "
                       f"{format_usd(c['verified_savings_usd'])}, unverified "
                       f"{format_usd(c['unverified_savings_usd'])}; {budget}")
        api = data.get("batch_api") or {}
        if api.get("calls"):
            typer.echo(f"  provider batch APIs: {api['calls']} calls for "
                       f"{format_usd(api['cost_usd'])} instead of "
                       f"{format_usd(api['synchronous_usd'])} "
                       f"(saved {format_usd(api['saved_usd'])})")
        for r in result.failed:
            typer.echo(f"  failed: {r.item.out.name} ({r.item.where}): {r.error}")
    if result.failed:
        raise typer.Exit(1)


def _channels(result: Any, settings: Settings, memory: Any) -> dict[str, dict[str, Any]]:
    """Per channel: cost against the all-premium baseline, the savings split by what stands
    behind them (as each run's report splits them), and the channel's own budget."""
    import json as json_

    from ..reports.economics import economics

    out: dict[str, dict[str, Any]] = {}
    for r in result.items:
        c = out.setdefault(r.item.channel, {
            "cost_usd": 0.0, "baseline_usd": 0.0, "verified_savings_usd": 0.0,
            "unverified_savings_usd": 0.0,
            "budget_usd": settings.budgets.channels.get(r.item.channel)})
        c["cost_usd"] += r.cost_nano / 1e9
        c["baseline_usd"] += r.baseline_nano / 1e9
        run_json = r.item.out / "run.json"
        if r.state in ("done", "finished earlier") and run_json.is_file():
            try:
                eco = economics(json_.loads(run_json.read_text(encoding="utf-8")), memory)
            except (OSError, ValueError, KeyError):
                continue
            c["verified_savings_usd"] += eco["verified"]["saved"] / 1e6
            c["unverified_savings_usd"] += eco["unverified"]["saved"] / 1e6
    return out


def _schedule(settings: Settings, items: list[BatchItem], as_json: bool) -> None:
    """The dry run: when each item would publish and what it is forecast to cost."""
    from .plan import plan_data

    memory = open_memory(settings)
    try:
        from ..pipeline.spec import load_pipeline

        cache: dict[tuple[str, str, float], float] = {}
        rows: list[dict[str, Any]] = []
        far = datetime.max.replace(tzinfo=timezone.utc)
        for it in sorted(items, key=lambda i: i.publish_at or far):
            name = it.pipeline or settings.channel(it.channel).pipeline or "meditation"
            k = (name, it.channel, it.minutes)
            if k not in cache:
                cache[k] = plan_data(settings, memory, 1, it.channel, it.minutes,
                                     load_pipeline(name))["planned_cost_per_video_usd"]
            rows.append({"out": it.out.name, "topic": it.topic, "channel": it.channel,
                         "pipeline": name, "minutes": it.minutes,
                         "publish_at": it.publish_at.isoformat() if it.publish_at else None,
                         "planned_cost_usd": cache[k]})
    finally:
        memory.close()
    total = float(sum(r["planned_cost_usd"] for r in rows))
    if as_json:
        print_json({"items": rows, "planned_cost_total_usd": total})
        return
    typer.echo(f"schedule of {len(rows)} items (routes as planned now):")
    for r in rows:
        when = r["publish_at"] or "on upload (no publish time)"
        typer.echo(f"  {when:<26} {r['channel']:<12} {r['pipeline']:<10} {r['minutes']:>5g} "
                   f"min ~{format_usd(r['planned_cost_usd'], 4)}  {r['topic']}")
    typer.echo(f"forecast cost: {format_usd(total)} for {len(rows)} items")
