"""CLI commands: `archibald studio` (serve the studio and open it in the browser) and
`archibald schedule list|run`."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any, Optional

import typer

from ..errors import InputError
from . import app
from .common import KEEP_ALIVE, ConfigOption, open_memory, open_settings, print_json

schedule_app = typer.Typer(help="Channels on a timetable ([schedules.NAME]).",
                           no_args_is_help=True)
app.add_typer(schedule_app, name="schedule")


def _studio_app(settings: Any) -> Any:
    """The app `archibald serve` serves: the gateway under /v1 and the studio at /."""
    from ..serve.app import create_app

    application = create_app(settings)
    if not hasattr(application.state, "studio"):
        from ..serve.studio import install

        install(application, settings)
    return application


@app.command()
def studio(port: int = typer.Option(8787, "--port", min=1, max=65535),
           open_browser: bool = typer.Option(True, "--open/--no-open",
                                             help="Open the login link in the browser."),
           config: Optional[str] = ConfigOption) -> None:
    """Serve the studio on 127.0.0.1 and open it in the browser (one-time login link)."""
    try:
        import uvicorn
    except ImportError:
        raise InputError("archibald studio needs the serve extra: pip install "
                         "'archibald[serve]'") from None
    from ..serve.studio import login_url, prepare_login_env

    settings = open_settings(config)
    token = prepare_login_env()
    url = login_url("127.0.0.1", port, token)
    typer.echo(f"Archibald Studio: {url}  (the link logs in once; Ctrl-C stops)")
    if open_browser:
        import threading
        import webbrowser

        threading.Timer(1.5, webbrowser.open, args=(url,)).start()
    uvicorn.run(_studio_app(settings), host="127.0.0.1", port=port, log_level="warning",
                timeout_graceful_shutdown=30, timeout_keep_alive=KEEP_ALIVE)


def _when(ts: float | None) -> str:
    if ts is None:
        return "-"
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


@schedule_app.command("list")
def schedule_list(count: int = typer.Option(3, "--next", min=1, max=50,
                                            help="Next slots to show per schedule."),
                  as_json: bool = typer.Option(False, "--json", help="Print JSON."),
                  config: Optional[str] = ConfigOption) -> None:
    """Every schedule: its timetable, next slots, the topic up next and its last slots."""
    from ..serve.studio.schedules import load_schedules, next_index, next_slots, slots_of

    settings = open_settings(config)
    found = load_schedules(settings)
    memory = open_memory(settings)
    try:
        rows: list[dict[str, Any]] = []
        now = time.time()
        for s in found:
            nxt = next_slots(s.timetable, now, count)
            index = next_index(memory, s.name, now)
            rows.append({"name": s.name, "when": s.table.when, "channel": s.table.channel,
                         "pipeline": s.pipeline, "next": [_when(x) for x in nxt],
                         "topic": s.topics[index % len(s.topics)],
                         "last": [{"slot": _when(p["slot"]), "state": p["state"],
                                   "detail": p["detail"]} for p in slots_of(memory, s.name, 3)]})
    finally:
        memory.close()
    if as_json:
        print_json(rows)
        return
    if not rows:
        typer.echo("no schedules: add [schedules.NAME] to archibald.toml (when, channel, "
                   "pipeline, topics)")
    for r in rows:
        typer.echo(f"{r['name']}: {r['when']} (UTC), {r['pipeline']} on {r['channel']}; "
                   f"next topic: {r['topic']}")
        typer.echo(f"  next: {', '.join(r['next']) or 'none'}")
        for p in r["last"]:
            note = f" ({p['detail']})" if p["detail"] else ""
            typer.echo(f"  {p['slot']}: {p['state']}{note}")


@schedule_app.command("run")
def schedule_run(name: str = typer.Argument(..., help="The schedule's NAME."),
                 config: Optional[str] = ConfigOption) -> None:
    """Run the schedule's next topic now, through the batch runner (a slot of its own)."""
    from ..pipeline.batch import batch_display, run_batch
    from ..serve.studio.schedules import claim, close_slot, load_schedules, next_index, \
        out_root, slot_items
    from .common import open_pipeline

    settings = open_settings(config)
    s = next((x for x in load_schedules(settings) if x.name == name), None)
    if s is None:
        known = ", ".join(x.name for x in load_schedules(settings)) or "none"
        raise InputError(f"no schedule {name!r}; schedules: {known}")
    settings = settings.with_task_types(open_pipeline(s.pipeline).task_types)
    memory = open_memory(settings)
    slot = time.time()
    try:
        items = slot_items(settings, s, slot, next_index(memory, s.name, slot),
                           out_root(settings))
        claim(memory, s.name, slot, "cli", detail="archibald schedule run")
        state = "failed"
        try:
            with batch_display(items, settings.budgets.per_month_usd) as notify:
                result = run_batch(items, settings, memory, notify=notify)
            state = "failed" if result.failed else "done"
        finally:
            close_slot(memory, s.name, slot, state)
    finally:
        memory.close()
    for r in result.items:
        typer.echo(f"{r.item.topic}: {r.state} -> {r.item.out}"
                   + (f" ({r.error})" if r.error else ""))
    if result.failed:
        raise typer.Exit(1)
