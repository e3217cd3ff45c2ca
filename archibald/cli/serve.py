"""CLI command: `archibald serve` (the gateway; its keys are in archibald.cli.keys)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from typing import Iterator, Optional

import typer

from ..errors import InputError
from . import app
from .common import KEEP_ALIVE, ConfigOption, open_memory, open_settings

@app.command()
def serve(host: str = typer.Option("127.0.0.1", "--host", help="Address to bind (loopback by "
                                   "default: nobody else can reach it)."),
          port: int = typer.Option(8787, "--port", min=1, max=65535),
          workers: int = typer.Option(1, "--workers", min=1, max=64,
                                      help="Processes (share the store; use PostgreSQL "
                                           "through ARCHIBALD_DB for several)."),
          keep_alive: int = typer.Option(
              KEEP_ALIVE, "--keep-alive", min=1, max=3600,
              help="Seconds an idle client connection is kept open. Longer than the clients' "
                   "own (httpx, the openai and anthropic SDKs: 5 s), so that the client "
                   "always closes first: at equal timeouts a request sent as the server "
                   "closes is reset."),
          config: Optional[str] = ConfigOption) -> None:
    """Serve the OpenAI- and Anthropic-compatible gateway at http://HOST:PORT/v1."""
    try:
        import uvicorn
    except ImportError:
        raise InputError("archibald serve needs the serve extra: pip install "
                         "'archibald[serve]'") from None
    settings = open_settings(config)  # a bad archibald.toml is one line here, not per worker
    if config:
        os.environ["ARCHIBALD_CONFIG"] = config
    memory = open_memory(settings)
    try:
        from ..serve.gateway.keys import Keys

        active = [k for k in Keys(memory).all() if k.revoked_at is None]
        shared_file = memory.engine.dialect.name == "sqlite"
    finally:
        memory.close()
    if workers > 1 and shared_file:
        typer.echo(f"note: {workers} workers share one SQLite file and take turns at its "
                   f"write lock (a worker that waits sleeps 1 ms or more, its requests held); "
                   f"the store for several workers is PostgreSQL: set ARCHIBALD_DB to a "
                   f"postgresql+psycopg:// URL", err=True)
    if not active:
        typer.echo("note: no virtual key yet; make one with `archibald keys create NAME`",
                   err=True)
    # one login token and session secret for every worker (each builds its own app)
    from ..serve.studio import login_url, prepare_login_env

    token = prepare_login_env()
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    base = f"http://{shown}:{port}"
    typer.echo(f"Studio: {login_url(shown, port, token)}")
    typer.echo(f"API: {base}/v1 (OpenAI and Anthropic APIs), metrics at {base}/metrics; "
               f"{workers} worker(s)")
    from ..serve.gateway.keys import WORKERS_VAR

    os.environ[WORKERS_VAR] = str(workers)  # several count a key's rpm in the store
    with _metrics_folder(workers):
        uvicorn.run("archibald.serve.app:create_app", factory=True, host=host, port=port,
                    http="archibald.serve.joined:JoinedHttpToolsProtocol",
                    workers=workers, log_level="warning", access_log=False,
                    timeout_graceful_shutdown=30,
                    timeout_keep_alive=keep_alive)


@contextlib.contextmanager
def _metrics_folder(workers: int) -> Iterator[None]:
    """With several workers, a fresh folder where each keeps its Prometheus metrics (so that
    /metrics on any of them counts all), set before they start and removed after."""
    from ..serve.gateway.metrics import MULTIPROC_VAR

    if workers < 2 or os.environ.get(MULTIPROC_VAR):
        yield
        return
    with tempfile.TemporaryDirectory(prefix="archibald-metrics-") as folder:
        os.environ[MULTIPROC_VAR] = folder
        try:
            yield
        finally:
            os.environ.pop(MULTIPROC_VAR, None)
