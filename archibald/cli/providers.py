"""CLI commands: `archibald doctor` and `archibald youtube login`."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path
from typing import Any, Optional

import httpx
import typer

from ..errors import RouteUnavailable
from ..providers.registry import SPECS, Provider, ProviderSettings
from . import app
from .common import ConfigOption, open_settings, print_json

youtube_app = typer.Typer(help="YouTube account.", no_args_is_help=True)
app.add_typer(youtube_app, name="youtube")

#: where a quick GET tells whether the server is there (any HTTP answer counts as reachable)
_PROBE_PATH = {"ollama": "api/version", "youtube": "discovery/v1/apis"}


async def _probe(provider: Provider, timeout: float) -> tuple[bool, str]:
    """Whether the provider's server answers at all; never sends its key."""
    url = provider.url(_PROBE_PATH.get(provider.name, ""))
    try:
        async with httpx.AsyncClient(timeout=timeout) as client:
            response = await client.get(url)
    except httpx.HTTPError as exc:
        return False, provider.redact(type(exc).__name__)
    return True, f"HTTP {response.status_code}"


async def _probe_all(providers: list[Provider], timeout: float) -> list[tuple[bool, str]]:
    return list(await asyncio.gather(*(_probe(p, timeout) for p in providers)))


def model_report(settings: Any, *, today: date | None = None,
                 warn_days: int = 30) -> list[dict[str, Any]]:
    """Every configured chat model: current, retiring within ``warn_days``, deprecated (past
    LiteLLM's ``deprecation_date``), local (Ollama) or unknown to LiteLLM's map (then priced
    only if the configuration gives a price)."""
    from ..core.prices import PriceBook, model_lifecycle

    prices = PriceBook.from_settings(settings)
    named = {alias: str(m) for alias, m in (getattr(settings, "models", None) or {}).items()
             if alias != "agent"}                  # "agent" names the server, not a model
    for task_type, profile in (getattr(settings, "profiles", None) or {}).items():
        model = getattr(profile, "premium_model", None)
        if model and model not in named.values():  # a literal name in [task_types.X]
            named[task_type] = model
    rows = []
    for alias, model in named.items():
        row = {"alias": alias, **model_lifecycle(model, today=today, warn_days=warn_days)}
        if row["state"] == "unknown" and model.split("/", 1)[0] in ("ollama", "ollama_chat"):
            row.update(state="local", price_source="runs on your own machine (Ollama), cost 0")
        elif row["state"] == "unknown":
            try:
                row["price_source"] = prices.source(model=model)
            except RouteUnavailable:
                row["price_source"] = None
        rows.append(row)
    return rows


def _model_line(row: dict[str, Any]) -> str:
    state, when = row["state"], row["deprecation_date"]
    if state == "deprecated":
        text = f"WARNING: deprecated since {when}; choose a current model"
    elif state == "retiring":
        text = f"WARNING: retires on {when}; choose a current model"
    elif state == "unknown":
        text = "WARNING: unknown to LiteLLM's map; " + (
            f"priced from {row['price_source']}" if row.get("price_source")
            else "no price known, so its route is unavailable")
    elif state == "local":
        text = row["price_source"]
    else:
        text = f"current (retires {when})" if when else "current"
    return f"{row['alias']:<18} {row['model']:<32} {text}"


def doctor_report(settings: Any, *, probe: bool = True, timeout: float = 3.0) -> dict[str, Any]:
    """Every provider (configured? reachable?), every configured model (deprecated?
    unknown?) and every route (available? why not?)."""
    providers = ProviderSettings.load(getattr(settings, "providers", None) or {})
    listed = list(providers)
    configured = [p for p in listed if p.configured]
    results = dict(zip((p.name for p in configured),
                       asyncio.run(_probe_all(configured, timeout)) if probe and configured
                       else [])) if probe else {}
    rows = []
    for p in listed:
        reachable, answer = results.get(p.name, (None, "not checked"))
        rows.append({"provider": p.name, "serves": SPECS[p.name].serves,
                     "configured": p.configured, "missing": p.missing,
                     "base_url": p.redact(p.base_url), "reachable": reachable,
                     "answer": answer})
    routes: list[dict[str, Any]] = []
    local = local_model_report(settings, probe=probe)
    if settings is not None and not probe:  # --offline: the registry probes nothing either
        import dataclasses

        off = settings.tables.local_model.model_copy(update={"detect": False})
        settings = dataclasses.replace(settings, tables=settings.tables.model_copy(
            update={"local_model": off}))
    if settings is not None:
        try:
            from ..core.catalog import build_registry, describe
            from ..store.memory import Memory

            memory = Memory(half_life_days=settings.router.evidence_half_life_days)
            try:
                routes = describe(build_registry(settings, memory, providers), settings)
            finally:
                memory.close()
        except Exception as exc:  # the provider table is still worth printing
            routes = [{"error": providers.redact(f"{type(exc).__name__}: {exc}")}]
    models = model_report(settings) if settings is not None else []
    return {"providers": rows, "local_model": local, "models": models, "routes": routes}


def local_model_report(settings: Any, *, probe: bool = True) -> dict[str, Any]:
    """The chat server found on this machine (which server, which models, the one the text
    stages' local route uses), or why there is none and how to get one."""
    from ..providers.local_model import HOW_TO_GET_ONE, OFF_VAR, detect, detection_off

    if not probe:
        return {"found": False, "line": "not checked (--offline)"}
    if detection_off(settings):
        return {"found": False, "line": f"not looked for ({OFF_VAR}=off or [local_model] "
                                        f"detect = false)"}
    server = detect(settings)
    if server is None:
        return {"found": False, "line": "none found, so the text stages' local route is the "
                                        f"offline writer; for one, {HOW_TO_GET_ONE}"}
    return {"found": True, "kind": server.kind, "base_url": server.base_url,
            "version": server.version, "models": list(server.models),
            "chosen": server.chosen or None, "line": server.describe()}


@app.command("doctor")
def doctor(as_json: bool = typer.Option(False, "--json", help="Print JSON."),
           offline: bool = typer.Option(False, "--offline", help="Do not contact any server."),
           timeout: float = typer.Option(3.0, "--timeout", help="Seconds per reachability check."),
           config: Optional[str] = ConfigOption) -> None:
    """List every provider and route (configured or not, reachable or not) and warn about
    configured models past or near their deprecation date or unknown to the price map."""
    from .common import open_settings

    settings = open_settings(config)
    report = doctor_report(settings, probe=not offline, timeout=timeout)
    if as_json:
        print_json(report)
        return
    for row in report["providers"]:
        if not row["configured"]:
            state = f"not configured (needs {row['missing']})"
        elif row["reachable"] is None:
            state = "configured"
        elif row["reachable"]:
            state = f"configured, reachable ({row['answer']})"
        else:
            state = f"configured, NOT reachable ({row['answer']})"
        typer.echo(f"{row['provider']:<11} {state:<60} {row['serves']}")
    typer.echo(f"\nlocal model: {report['local_model']['line']}")
    if report["models"]:
        typer.echo("")
        for m in report["models"]:
            typer.echo(_model_line(m))
    if report["routes"]:
        typer.echo("")
        for r in report["routes"]:
            if "error" in r:
                typer.echo(f"routes: {r['error']}")
                continue
            why = f"unavailable: {r['unavailable']}" if r["unavailable"] else "available"
            where = f"{r['provider']} {r['endpoint']} key {r['key_var'] or '-'}" \
                if r.get("provider") else "-"
            typer.echo(f"{r['task_type']:<22} {r['route']:<8} {r['backend'] or '-':<36} "
                       f"{where:<60} {why}")


@youtube_app.command("login")
def youtube_login(client_secrets: Path = typer.Option(
        Path("client_secret.json"), "--client-secrets",
        help="OAuth client file (type 'Desktop app') from the Google Cloud console."),
        channel: Optional[str] = typer.Option(None, "--channel",
                                              help="Store it as this channel's youtube_token."),
        config: Optional[str] = ConfigOption) -> None:
    """Sign in to YouTube in the browser and store the token (0600): under ARCHIBALD_HOME, or
    at the channel's ``youtube_token`` ([channels.NAME])."""
    from ..providers.backends.youtube import login
    from ..errors import InputError

    target = None
    if channel is not None:
        target = open_settings(config).channel(channel).youtube_token
        if target is None:
            raise InputError(f"channel {channel!r} has no youtube_token; set "
                             f"[channels.{channel}] youtube_token = \"{channel}.json\" first")
    path = login(client_secrets, path=target)
    typer.echo(f"YouTube login stored in {path}")
