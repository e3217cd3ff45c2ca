"""CLI commands: `archibald route explain`."""

from __future__ import annotations

from typing import Any, Optional

import typer

from ..store.ledger import format_usd
from . import app
from .common import ConfigOption, check_channel, open_memory, open_router, open_settings, print_json

route_app = typer.Typer(help="Inspect routing decisions.", no_args_is_help=True)
app.add_typer(route_app, name="route")


@route_app.command("explain")
def explain(task_type: str = typer.Argument(..., help="A task type, e.g. script_review."),
            channel: str = typer.Option("default", "--channel", help="Channel (brand)."),
            minutes: float = typer.Option(10.0, "--minutes", help="Target video length."),
            as_json: bool = typer.Option(False, "--json", help="Print JSON."),
            config: Optional[str] = ConfigOption) -> None:
    """Say which route a task type would take now, and why."""
    from ..pipeline.produce import check_minutes

    check_minutes(minutes)  # nan, inf and out of range are one line, as for produce
    settings = open_settings(config)
    memory = open_memory(settings)
    check_channel(settings, channel, memory)
    router = open_router(settings, memory)
    data = router.explain(task_type, channel, {"minutes": minutes})
    data["batch_api"] = _batch_api(router, task_type, data["route"])
    memory.close()
    if as_json:
        print_json(data)
        return
    a = data["analysis"]
    typer.echo(f"{data['task_type']} (channel {data['channel']}): {data['decision'].upper()} "
               f"-> {data['route']}")
    typer.echo(f"  why: {data['reason']}")
    typer.echo(f"  analysis: complexity {a['complexity']}/10, creative "
               f"{'yes' if a['creativity_required'] else 'no'}, execution-focused "
               f"{'yes' if a['execution_focused'] else 'no'}, premium would cost "
               f"{format_usd(a['estimated_cost'], 4, trim=True)}")
    learned = data["learned"]
    if learned:
        judged = (f", {learned['relative_quality']:.0%} of premium's judged quality"
                  if "relative_quality" in learned else "")
        typer.echo(f"  learned: {learned['count']} outcomes on {learned['route']} "
                   f"({learned['evidence_kind']}), {learned['success_rate']:.0%} success"
                   f"{judged}, {format_usd(learned['mean_cost_usd'], 4, trim=True)} each "
                   f"({learned['evidence']})")
        used = learned.get("evidence_used") or {}
        typer.echo("  evidence used: " + (", ".join(
            f"{n} {_EVIDENCE.get(k, k)}" for k, n in sorted(
                used.items(), key=lambda kv: -_rank(kv[0]))) or "none"))
    else:
        typer.echo("  learned: no pattern yet")
    typer.echo(f"  fallback chain: {' -> '.join(data['fallback_chain'])}")
    for route, why in data["unavailable"].items():
        typer.echo(f"  unavailable: {route}: {why}")
    if data["batch_api"]:
        typer.echo(f"  work that can wait: {data['batch_api']}")
    for k, v in data.get("numbers", {}).items():
        typer.echo(f"  {k}: {v}")


_EVIDENCE = {"human": "people's verdicts on pairs", "shadow": "judged pairs with premium",
             "judge": "judge scores", "check": "route-blind checks"}


def _rank(kind: str) -> int:
    from ..quality.evidence import rank

    return rank(kind)


def _batch_api(router: Any, task_type: str, route: str) -> str | None:
    """What a run with a far deadline (`archibald batch`, a deadline hours away) would pay on
    this route through the provider's batch API, when there is one."""
    from ..providers.backends.batchapi import batch_price
    from ..errors import DelegationError

    backend = router.registry.get(task_type, route)
    provider = getattr(getattr(backend, "provider", None), "name", "")
    model = getattr(backend, "model", None)
    if provider not in ("anthropic", "openai") or not model:
        return None
    try:
        price = batch_price(router.prices, provider, model)
    except DelegationError:  # no batch or synchronous price known: nothing to promise
        return None
    sync = router.prices.model(model)
    return (f"{provider}'s batch API at {per_mtok(price.input_per_token)}/"
            f"{per_mtok(price.output_per_token)} per Mtok instead of "
            f"{per_mtok(sync.input_per_token)}/{per_mtok(sync.output_per_token)} "
            f"({price.source})")


def per_mtok(per_token: float) -> str:
    """A token price per million tokens with its real digits: $0.075, $0.28, $15."""
    return format_usd(per_token * 1e6, 6, trim=True)

