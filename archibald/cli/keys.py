"""CLI commands: `archibald keys create|list|revoke`, the gateway's virtual keys."""

from __future__ import annotations

from typing import Optional, cast

import typer

from ..store.ledger import format_usd
from . import app
from .common import ConfigOption, open_memory, open_settings, print_json

keys_app = typer.Typer(help="The gateway's virtual keys.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


@keys_app.command("create")
def keys_create(name: str = typer.Argument(..., help="A name for the key (an app, a team)."),
                budget_usd: Optional[float] = typer.Option(None, "--budget-usd",
                                                           help="Most it may ever spend."),
                per_day_usd: Optional[float] = typer.Option(None, "--per-day-usd",
                                                            help="Most it may spend a day "
                                                                 "(UTC)."),
                rpm: Optional[int] = typer.Option(None, "--rpm", help="Requests a minute."),
                config: Optional[str] = ConfigOption) -> None:
    """Make a virtual key; it is printed once (only its hash is kept)."""
    from ..serve.gateway.keys import Keys

    memory = open_memory(open_settings(config))
    try:
        secret = Keys(memory).create(name, budget_usd=budget_usd, per_day_usd=per_day_usd,
                                     rpm=rpm)
    finally:
        memory.close()
    typer.echo(secret)
    typer.echo(f"key {name!r} made; it is shown only now: keep it (only its hash is stored)",
               err=True)


@keys_app.command("list")
def keys_list(as_json: bool = typer.Option(False, "--json"),
              config: Optional[str] = ConfigOption) -> None:
    """Every key, its limits and what it has spent (never the key itself)."""
    from ..serve.gateway.keys import Keys, channel_of

    memory = open_memory(open_settings(config))
    try:
        rows = [{**k.as_dict(), "spent_usd": memory.spent_nano(channel=channel_of(k.name))
                 / 1e9} for k in Keys(memory).all()]
    finally:
        memory.close()
    if as_json:
        print_json(rows)
        return
    if not rows:
        typer.echo("no keys; `archibald keys create NAME` makes one")
    for r in rows:
        # each text is made only for a limit the key has: formatting None with :g raises
        limits = ", ".join(text.format(value) for text, value in (
            ("budget ${:g}", r["budget_usd"]), ("${:g} a day", r["per_day_usd"]),
            ("{} requests a minute", r["rpm"])) if value is not None) or "no limits"
        spent = format_usd(cast(float, r["spent_usd"]))
        typer.echo(f"{r['name']:<20} {r['prefix']}…  spent {spent}  {limits}"
                   f"{'  (revoked)' if r['revoked'] else ''}")


@keys_app.command("revoke")
def keys_revoke(name: str = typer.Argument(...), config: Optional[str] = ConfigOption) -> None:
    """Stop a key at once (its ledger rows stay)."""
    from ..serve.gateway.keys import Keys

    memory = open_memory(open_settings(config))
    try:
        Keys(memory).revoke(name)
    finally:
        memory.close()
    typer.echo(f"key {name!r} revoked")
