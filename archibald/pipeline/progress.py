"""Progress for a person: a Rich live table on a terminal, plain lines otherwise.

The engine reports through a plain callback, ``progress(event: StageEvent)``, so any callable
works (tests collect events in a list). ``progress_display()`` picks the right display.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TextIO

from rich.console import Console
from rich.live import Live
from rich.table import Table

from ..store.ledger import format_usd
from .events import ProgressCallback, StageEvent, StageState

if TYPE_CHECKING:
    from .engine import RunResult

__all__ = ["StageState", "StageEvent", "ProgressCallback", "PlainProgress", "LiveProgress",
           "progress_display", "summary_table", "summary_lines"]


def _details(event: StageEvent) -> str:
    """``route=local cost=$0`` from the record, for whichever keys it has."""
    parts = []
    route = event.record.get("route")
    if route is not None:
        parts.append(f"route={route}")
    cost = event.record.get("cost")
    if isinstance(cost, (int, float)):
        parts.append(f"cost={format_usd(cost, 4)}")
    return " ".join(parts)


class PlainProgress:
    """One line per stage start and end: ``[  3.2s] script_writing  done  route=local ...``."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream
        self.width = 0

    def __call__(self, event: StageEvent) -> None:
        self.width = max(self.width, len(event.stage))
        if event.state == "waiting":
            return
        line = f"[{event.at:5.1f}s] {event.stage:<{self.width}}  {event.state}"
        details = _details(event)
        if event.state == "resumed":
            details = (details + " (kept from an earlier run)").strip()
        elif event.state == "failed":
            details = f"error: {event.error}"
        elif event.state == "skipped":
            details = "a stage it needs failed"
        if details:
            line += f"  {details}"
        stream = self.stream if self.stream is not None else sys.stdout
        print(line, file=stream, flush=True)


_STYLE = {"waiting": "dim", "running": "yellow", "done": "green", "failed": "bold red",
          "resumed": "cyan", "skipped": "dim red"}


class LiveProgress:
    """A Rich live table of the stages; use as a context manager around ``engine.run``."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console()
        self._lock = threading.Lock()
        self._events: dict[str, StageEvent] = {}
        self._started: dict[str, float] = {}  # monotonic time a stage began running
        self._live = Live(self, console=self.console, refresh_per_second=8, transient=False)

    def __call__(self, event: StageEvent) -> None:
        with self._lock:
            self._events[event.stage] = event
            if event.state == "running":
                self._started[event.stage] = time.monotonic()
        self._live.refresh()

    def __enter__(self) -> "LiveProgress":
        self._live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._live.stop()

    def __rich__(self) -> Table:
        with self._lock:
            events = list(self._events.values())
            started = dict(self._started)
        table = Table(title="pipeline", expand=False)
        for column in ("stage", "phase", "state", "route", "cost", "seconds"):
            table.add_column(column, justify="right" if column in ("cost", "seconds") else "left")
        now = time.monotonic()
        for ev in events:
            if ev.state == "running" and ev.stage in started:
                secs = f"{now - started[ev.stage]:.1f}"
            else:
                secs = f"{ev.seconds:.1f}" if ev.seconds is not None else ""
            cost = ev.record.get("cost")
            state = ev.state if ev.state != "failed" else f"failed: {ev.error}"
            table.add_row(ev.stage, ev.phase, f"[{_STYLE[ev.state]}]{state}[/]",
                          str(ev.record.get("route", "")),
                          format_usd(cost, 4) if isinstance(cost, (int, float)) else "", secs)
        return table


@contextmanager
def progress_display(stream: TextIO | None = None, *,
                     live: bool | None = None) -> Iterator[ProgressCallback]:
    """The live table when ``stream`` (default stdout) is a terminal, plain lines otherwise."""
    out = stream if stream is not None else sys.stdout
    if live is None:
        live = out.isatty()
    if live:
        with LiveProgress(Console(file=out)) as display:
            yield display
    else:
        yield PlainProgress(out)


def summary_table(result: RunResult) -> Table:
    """Stages by phase, then the phases: when they ran, their wall time and parallelism."""
    table = Table(title=f"run: {result.wall_seconds:.1f}s wall", expand=False)
    for column in ("phase", "stages", "start", "end", "wall", "busy", "parallel"):
        table.add_column(column, justify="left" if column in ("phase", "stages") else "right")
    for p in result.phases():
        table.add_row(p.phase or "-", ", ".join(p.stages), f"{p.started:.1f}",
                      f"{p.finished:.1f}", f"{p.wall_seconds:.1f}", f"{p.busy_seconds:.1f}",
                      f"{p.parallelism:.2f}x")
    return table


def summary_lines(result: RunResult) -> list[str]:
    """The same summary as plain text lines."""
    lines = [f"run: {result.wall_seconds:.1f}s wall, {len(result.stages)} stages "
             f"({sum(o.resumed for o in result.stages.values())} resumed)"]
    for p in result.phases():
        lines.append(f"  {p.phase or '-':<22} {p.started:6.1f}s -> {p.finished:6.1f}s  "
                     f"wall {p.wall_seconds:5.1f}s  busy {p.busy_seconds:5.1f}s  "
                     f"x{p.parallelism:.2f}  {', '.join(p.stages)}")
    return lines
