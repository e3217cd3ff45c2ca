"""CLI commands: `archibald memory stats|ab`."""

from __future__ import annotations

from typing import Optional

import typer

from . import app
from .common import ConfigOption, open_memory, open_settings, print_json

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
               f"${data['cost_usd']:.4f}   all-premium baseline: ${data['baseline_usd']:.4f}")
    if not data["groups"]:
        typer.echo("no outcomes recorded yet")
        return
    typer.echo(f"{'task type':<20} {'channel':<12} {'route':<8} {'n':>5} {'success':>8} "
               f"{'quality':>8} {'mean cost':>11} {'saved':>10}")
    for g in data["groups"]:
        q = "-" if g["mean_quality"] is None else f"{g['mean_quality']:.2f}"
        typer.echo(f"{g['task_type']:<20} {g['channel']:<12} {g['route']:<8} {g['n']:>5} "
                   f"{g['success_rate']:>8.0%} {q:>8} ${g['mean_cost_usd']:>10.4f} "
                   f"${g['savings_usd']:>9.4f}")
