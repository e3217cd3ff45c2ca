"""What every command shares: loading settings, memory and the router from the options."""

from __future__ import annotations

import json
from typing import Any, Optional

import typer

from ..config import Settings, load_settings
from ..memory import Memory

ConfigOption = typer.Option(None, "--config", "-c", envvar="ARCHIBALD_CONFIG",
                            help="archibald.toml to use (default: ./archibald.toml if present).")


def open_settings(config: Optional[str]) -> Settings:
    return load_settings(config)


def open_memory(settings: Settings) -> Memory:
    return Memory(half_life_days=settings.router.evidence_half_life_days)


def open_router(settings: Settings, memory: Memory) -> Any:
    from ..catalog import build_registry
    from ..router import Router

    return Router(settings, memory, build_registry(settings, memory))


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, sort_keys=False, default=str))
