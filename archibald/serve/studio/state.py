"""What one server process's studio holds: the settings, the store, the templates, the login
and the jobs it runs."""

from __future__ import annotations

import datetime as dt
import os
import socket
from pathlib import Path
from typing import Any

from ...config import Settings, load_settings
from ...store.ledger import NANO, format_usd
from ...store.memory import Memory

__all__ = ["Studio", "money", "when", "out_root"]


def money(nano: int | float | None, places: int = 2) -> str:
    """Nano-dollars as ``$1,234.57``, a sub-cent amount as ``$0.000021``, none as ``$0``
    (:func:`archibald.store.ledger.format_usd`)."""
    return format_usd((nano or 0) / NANO, places)


def when(ts: float | None) -> str:
    """An epoch time as ``2026-12-05 09:00 UTC`` (empty for None)."""
    if ts is None:
        return ""
    return dt.datetime.fromtimestamp(float(ts), dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def out_root(settings: Settings) -> Path:
    """Where runs the studio and the schedules start write their folders: ``[studio] out``
    (relative to the settings file), else ARCHIBALD_HOME/studio."""
    from ...config import archibald_home

    own = settings.tables.studio.out
    if own:
        p = Path(own).expanduser()
        if not p.is_absolute() and settings.path is not None:
            p = settings.path.parent / p
        return p
    return archibald_home() / "studio"


class Studio:
    """The studio of one server process."""

    def __init__(self, settings: Settings | None = None) -> None:
        from jinja2 import Environment, PackageLoader, select_autoescape

        from .auth import Auth
        from .jobs import Jobs

        self.settings = settings if settings is not None else load_settings()
        self.memory = Memory(half_life_days=self.settings.router.evidence_half_life_days)
        self.auth = Auth(self.memory.engine)
        #: who this process is, in the store's leases and jobs
        self.owner = f"{socket.gethostname()}:{os.getpid()}"
        self.templates = Environment(loader=PackageLoader("archibald.serve.studio", "templates"),
                                     autoescape=select_autoescape(["html"]),
                                     trim_blocks=True, lstrip_blocks=True)
        self.templates.filters["money"] = money
        self.templates.filters["when"] = when
        self.templates.filters["pct"] = lambda v: "-" if v is None else f"{float(v):.0%}"
        self.jobs = Jobs(self)
        from .money import Rollup

        #: the ledger's sums for the overview, kept up to date by the rows added since
        self.rollup = Rollup()

    @property
    def out_root(self) -> Path:
        """Where runs started from the studio write their folders."""
        return out_root(self.settings)

    def render(self, name: str, **context: Any) -> str:
        return self.templates.get_template(name).render(**context)

    def close(self) -> None:
        self.jobs.close()
        self.memory.close()
