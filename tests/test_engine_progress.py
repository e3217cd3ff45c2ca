"""Progress: plain lines off a terminal, a Rich table on one, and the phase summary."""

from __future__ import annotations

import asyncio
import io
import re
from pathlib import Path

import pytest
from rich.console import Console

from archibald.errors import StageFailed
from archibald.pipeline import (
    PHASES,
    Engine,
    LiveProgress,
    PlainProgress,
    RunResult,
    Stage,
    StageEvent,
    StageInput,
    StageResult,
    progress_display,
    summary_lines,
    summary_table,
)


def _stage(name: str, deps: tuple[str, ...], phase: str, cost: float = 0.0,
           fail: bool = False) -> Stage:
    async def go(inp: StageInput) -> StageResult:
        if fail:
            raise RuntimeError("ffmpeg exited 1")
        return StageResult(value={}, record={"route": "local" if not cost else "premium",
                                             "cost": cost})
    return Stage(name, name, deps, go, phase=phase)


STAGES = [_stage("market_research", (), PHASES[0], 0.0123),
          _stage("script_writing", ("market_research",), PHASES[0]),
          _stage("audio", ("script_writing",), PHASES[1]),
          _stage("image", ("script_writing",), PHASES[1]),
          _stage("upload", ("audio", "image"), PHASES[4])]


class NotATerminal(io.StringIO):
    def isatty(self) -> bool:
        return False


def _run(workdir: Path, progress: object, stages: list[Stage] = STAGES) -> RunResult:
    engine = Engine(stages, workdir, key_inputs={}, config_digest="c")
    return asyncio.run(engine.run(progress))  # type: ignore[arg-type]


def test_plain_lines_when_not_a_terminal(tmp_path: Path) -> None:
    out = NotATerminal()
    with progress_display(out) as progress:
        assert isinstance(progress, PlainProgress)
        _run(tmp_path, progress)
    lines = out.getvalue().splitlines()
    assert len(lines) == 10  # running + done for each stage
    done = [ln for ln in lines if " done " in ln]
    assert re.fullmatch(r"\[ +\d+\.\ds\] market_research  done  route=premium cost=\$0\.0123",
                        done[0])
    assert re.fullmatch(r"\[ +\d+\.\ds\] script_writing   done  route=local cost=\$0",
                        done[1])

    out = NotATerminal()
    with progress_display(out) as progress:
        _run(tmp_path, progress)
    assert all("resumed" in ln and "kept from an earlier run" in ln
               for ln in out.getvalue().splitlines())


def test_failed_and_skipped_lines(tmp_path: Path) -> None:
    out = io.StringIO()
    stages = [_stage("voice", (), PHASES[1], fail=True), _stage("video", ("voice",), PHASES[1])]
    with pytest.raises(StageFailed):
        _run(tmp_path, PlainProgress(out), stages)
    text = out.getvalue()
    assert "voice  failed  error: ffmpeg exited 1" in text
    assert "video  skipped  a stage it needs failed" in text


def test_events_are_a_plain_callback(tmp_path: Path) -> None:
    events: list[StageEvent] = []
    _run(tmp_path, events.append)
    assert [e.state for e in events[:5]] == ["waiting"] * 5
    done = {e.stage: e for e in events if e.state == "done"}
    assert done["market_research"].record == {"route": "premium", "cost": 0.0123}
    assert done["audio"].phase == "parallel execution"
    assert all(e.seconds is not None and e.seconds >= 0 for e in done.values())


def test_live_table_on_a_terminal(tmp_path: Path) -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=120, color_system=None)
    with LiveProgress(console) as live:
        _run(tmp_path, live)
    text = out.getvalue()
    for name in ("market_research", "script_writing", "audio", "image", "upload"):
        assert name in text
    assert "$0.0123" in text and "premium" in text and "done" in text


def test_terminal_gets_the_live_display() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    with progress_display(Terminal()) as progress:
        assert isinstance(progress, LiveProgress)


def test_summary_shows_the_phases_in_order(tmp_path: Path) -> None:
    result = _run(tmp_path, None)
    phases = result.phases()
    assert [p.phase for p in phases] == [PHASES[0], PHASES[1], PHASES[4]]
    assert phases[0].stages == ("market_research", "script_writing")
    assert phases[0].started <= phases[0].finished <= phases[1].started + 1e-9
    lines = summary_lines(result)
    assert lines[0].startswith("run: ") and "5 stages (0 resumed)" in lines[0]
    assert "creative work" in lines[1] and "upload" in lines[3]
    out = io.StringIO()
    Console(file=out, width=140).print(summary_table(result))
    assert "publishing + learning" in out.getvalue()
    records = result.records()
    assert records["market_research"]["cost"] == 0.0123
    assert records["market_research"]["resumed"] is False


def test_a_broken_display_does_not_fail_the_run(tmp_path: Path) -> None:
    def broken(event: StageEvent) -> None:
        raise ValueError("terminal went away")

    result = _run(tmp_path, broken)
    assert len(result.stages) == 5
