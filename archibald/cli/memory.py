"""CLI commands: `archibald memory stats|forget|export|import`."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..store import fsio
from ..errors import InputError, UnknownTaskType

from . import app
from .common import ConfigOption, open_memory, open_settings, print_json
from ..store.ledger import format_usd

memory_app = typer.Typer(help="What memory has learned.", no_args_is_help=True)
app.add_typer(memory_app, name="memory")


@memory_app.command("stats")
def stats(as_json: bool = typer.Option(False, "--json", help="Print JSON."),
          config: Optional[str] = ConfigOption) -> None:
    """Outcomes per task type x route x channel: success rate, quality, cost, savings."""
    settings = open_settings(config)
    memory = open_memory(settings)
    data = memory.summary()
    memory.close()
    if as_json:
        print_json(data)
        return
    typer.echo(f"database: {data['database']}")
    typer.echo(f"attempts: {data['attempts']}   runs: {data['runs']}   spent: "
               f"{format_usd(data['cost_usd'])}   all-premium baseline: "
               f"{format_usd(data['baseline_usd'])}")
    if not data["groups"]:
        typer.echo("no outcomes recorded yet")
        return
    typer.echo(f"quality assurance (judge and shadow calls): {format_usd(data['qa_cost_usd'])}")
    typer.echo(f"{'task type':<20} {'channel':<12} {'route':<8} {'n':>5} {'success':>8} "
               f"{'quality':>8} {'evidence':>8} {'unjudged':>8} {'mean cost':>11} "
               f"{'saved':>10}")
    for g in data["groups"]:
        q = "-" if g["mean_quality"] is None else f"{g['mean_quality']:.2f}"
        typer.echo(f"{g['task_type']:<20} {g['channel']:<12} {g['route']:<8} {g['n']:>5} "
                   f"{g['success_rate']:>8.0%} {q:>8} {g['evidence_n']:>8} {g['unjudged']:>8} "
                   f"{format_usd(g['mean_cost_usd'], 4):>11} {format_usd(g['savings_usd']):>10}")
    typer.echo("quality maintenance (judged quality / premium's on the same tasks):")
    if not data["quality_maintenance"]:
        typer.echo("  not measured (no judge): no shadow pair judged yet")
    for key, m in data["quality_maintenance"].items():
        interval = "" if m["low"] is None else f", 95% interval {m['low']:.0%} to {m['high']:.0%}"
        typer.echo(f"  {key:<28} {m['ratio']:.0%} (n = {m['n']}{interval})")


@memory_app.command("forget")
def forget(task_type: Optional[str] = typer.Option(None, "--task-type", help="A task type."),
           route: Optional[str] = typer.Option(None, "--route", help="A route."),
           channel: Optional[str] = typer.Option(None, "--channel", help="A channel."),
           config: Optional[str] = ConfigOption) -> None:
    """Forget what was learned (route statistics, evidence) for a task type, route or channel;
    the ledger's cost rows stay."""
    if task_type is None and route is None and channel is None:
        raise InputError("say what to forget: --task-type, --route and/or --channel")
    settings = open_settings(config)
    memory = open_memory(settings)
    if task_type is not None and task_type not in memory.task_types():
        # a custom pipeline's task type memory knows is forgettable; anything else is a
        # one-line error with a did-you-mean
        try:
            settings.profile(task_type)
        except UnknownTaskType:
            known = [*settings.profiles, *memory.task_types()]
            memory.close()
            raise UnknownTaskType(task_type, known) from None
    done = memory.forget(task_type=task_type, route=route, channel=channel)
    memory.close()
    what = ", ".join(f"{k} {v}" for k, v in (("task type", task_type), ("route", route),
                                              ("channel", channel)) if v is not None)
    typer.echo(f"forgot {what}: {done['route_stats']} route statistics, {done['attempts']} "
               f"outcomes no longer evidence, {done['remembered']} remembered results "
               f"(costs stay in the ledger)")


@memory_app.command("export")
def export(file: Path = typer.Argument(..., help="JSON lines file to write."),
           config: Optional[str] = ConfigOption) -> None:
    """Write every outcome and remembered result to FILE as JSON lines."""
    if file.is_dir():
        raise InputError(f"{file} is a folder; give a file name")
    folder = file.parent if str(file.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"folder {folder} does not exist; create it first")
    memory = open_memory(open_settings(config))
    try:
        lines = list(memory.export_lines())
    finally:
        memory.close()
    fsio.write_file(file, "".join(line + "\n" for line in lines))  # whole, never via a link
    typer.echo(f"exported {len(lines)} records to {file}")


@memory_app.command("import")
def import_(file: str = typer.Argument(..., help="A file `archibald memory export` wrote."),
            config: Optional[str] = ConfigOption) -> None:
    """Add the outcomes and remembered results of FILE (records already here are skipped)."""
    from ..store.memory import read_export

    records = read_export(file)
    memory = open_memory(open_settings(config))
    try:
        added = memory.import_records(records)
    finally:
        memory.close()
    typer.echo(f"imported {added['attempts']} outcomes and {added['remembered']} remembered "
               f"results from {file} ({added['skipped']} already here)")
