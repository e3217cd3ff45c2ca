"""Archibald Studio: every run, dollar and decision in the browser.

Server-rendered pages (Jinja templates, one small stylesheet and script shipped in the package)
over the same store as the CLI: the overview of money, the runs with their stages and outputs,
what the router has learned, blind review, the publish queue and the schedules. A one-time
login link sets a signed session cookie; without it every page is the login page and every
data endpoint answers 401.

``install(app, settings)`` adds the studio's routes to a FastAPI app (the gateway's, or one of
its own) and a lifespan hook that runs the schedules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import FastAPI

    from ...config import Settings

__all__ = ["install", "prepare_login_env", "login_url"]


def install(app: "FastAPI", settings: "Settings | None" = None, *,
            schedules: bool = True) -> None:
    """Add the studio to ``app``: pages at ``/``, ``/login``, ``/static``, ``/events`` and
    the form posts; with ``schedules``, the scheduler joins ``app.state.lifespan_hooks``."""
    from .pages import add_routes
    from .state import Studio

    studio = Studio(settings)
    app.state.studio = studio
    add_routes(app, studio)
    if schedules:
        from .schedules import scheduler_hook

        hooks: list[Any] = getattr(app.state, "lifespan_hooks", None) or []
        hooks.append(scheduler_hook)
        app.state.lifespan_hooks = hooks


def prepare_login_env() -> str:
    """Make the login token and the session secret (unless set) in this process's environment,
    before the server's workers start, so every worker accepts the same link and cookie."""
    from .auth import prepare_env

    return prepare_env()


def login_url(host: str, port: int, token: str) -> str:
    """The one-time login link printed at start."""
    from urllib.parse import quote

    return f"http://{host}:{port}/login?token={quote(token)}"
