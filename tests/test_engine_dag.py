"""The engine's scheduling: concurrency, dependency order, DAG validation, failures."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from archibald.errors import StageFailed
from archibald.pipeline import Engine, PipelineError, Stage, StageEvent, StageInput, StageResult

TIMEOUT = 5.0


def run(engine: Engine, events: list[StageEvent] | None = None) -> Any:
    return asyncio.run(engine.run(events.append if events is not None else None))


def make(stages: list[Stage], workdir: Path, **kw: Any) -> Engine:
    return Engine(stages, workdir, key_inputs={"topic": "sea"}, config_digest="cfg", **kw)


def simple(name: str, deps: tuple[str, ...] = (), log: list[str] | None = None,
           **kw: Any) -> Stage:
    async def go(inp: StageInput) -> StageResult:
        if log is not None:
            log.append(name)
        return StageResult(value={"name": name, "deps": sorted(inp.deps)})
    return Stage(name, "t", deps, go, **kw)


def test_independent_stages_run_concurrently(tmp_path: Path) -> None:
    started: dict[str, asyncio.Event] = {}

    def waits_for(me: str, other: str) -> Stage:
        async def go(inp: StageInput) -> StageResult:
            started[me].set()
            # if the engine ran stages one at a time this would time out
            await asyncio.wait_for(started[other].wait(), TIMEOUT)
            return StageResult(value={"saw": other})
        return Stage(me, "t", ("root",), go)

    async def main() -> Any:
        started.update(a=asyncio.Event(), b=asyncio.Event())
        engine = make([simple("root"), waits_for("a", "b"), waits_for("b", "a")], tmp_path)
        return await engine.run()

    result = asyncio.run(main())
    assert result.stages["a"].result.value == {"saw": "b"}
    assert result.stages["b"].result.value == {"saw": "a"}
    assert not any(o.resumed for o in result.stages.values())


def test_concurrency_one_runs_stages_one_at_a_time(tmp_path: Path) -> None:
    live = 0
    peak = 0
    names = ["a", "b", "c", "d"]

    def stage(name: str, all_in: asyncio.Event | None) -> Stage:
        async def go(inp: StageInput) -> StageResult:
            nonlocal live, peak
            live += 1
            peak = max(peak, live)
            if all_in is None:
                await asyncio.sleep(0.02)  # room for another stage to start, were it allowed
            else:  # every stage waits until all four are in: only possible if concurrent
                if peak == len(names):
                    all_in.set()
                await asyncio.wait_for(all_in.wait(), TIMEOUT)
            live -= 1
            return StageResult()
        return Stage(name, "t", (), go)

    async def main(concurrency: int | None, barrier: bool, workdir: Path) -> None:
        event = asyncio.Event() if barrier else None
        await make([stage(n, event) for n in names], workdir, concurrency=concurrency).run()

    asyncio.run(main(1, False, tmp_path / "serial"))
    assert peak == 1
    peak = 0
    asyncio.run(main(None, True, tmp_path / "parallel"))
    assert peak == 4
    peak = 0
    asyncio.run(main(2, False, tmp_path / "two"))
    assert peak <= 2


def test_dependencies_finish_before_dependants_start(tmp_path: Path) -> None:
    log: list[str] = []
    events: list[StageEvent] = []
    stages = [simple("d", ("b", "c"), log), simple("b", ("a",), log),
              simple("c", ("a",), log), simple("a", (), log)]
    result = run(make(stages, tmp_path), events)
    assert log[0] == "a" and log[-1] == "d"
    assert result.stages["d"].result.value == {"name": "d", "deps": ["b", "c"]}
    done_at = {e.stage: e.at for e in events if e.state == "done"}
    start_at = {e.stage: e.at for e in events if e.state == "running"}
    for s in stages:
        for dep in s.deps:
            assert done_at[dep] <= start_at[s.name]
        assert result.stages[s.name].started <= result.stages[s.name].finished
    assert list(result.stages) == ["a", "b", "c", "d"]  # dependencies first


def test_unknown_dependency_is_named(tmp_path: Path) -> None:
    with pytest.raises(PipelineError, match="'b' depends on 'nope'"):
        make([simple("a"), simple("b", ("nope",))], tmp_path)


def test_cycle_is_reported_with_its_path(tmp_path: Path) -> None:
    stages = [simple("a", ("c",)), simple("b", ("a",)), simple("c", ("b",)), simple("x")]
    with pytest.raises(PipelineError, match="cycle: a -> c -> b -> a"):
        make(stages, tmp_path)
    with pytest.raises(PipelineError, match="cycle"):
        make([simple("self", ("self",))], tmp_path)


def test_duplicate_and_unsafe_names_are_refused(tmp_path: Path) -> None:
    with pytest.raises(PipelineError, match="two stages"):
        make([simple("a"), simple("a")], tmp_path)
    with pytest.raises(PipelineError, match="stage name"):
        make([simple("../a")], tmp_path)
    with pytest.raises(PipelineError, match="key inputs"):
        make([simple("a", key_inputs=("minutes",))], tmp_path)


def test_failing_stage_names_itself_and_keeps_the_others(tmp_path: Path) -> None:
    log: list[str] = []

    async def main() -> tuple[list[StageEvent], BaseException]:
        slow_started = asyncio.Event()

        async def slow(inp: StageInput) -> StageResult:
            slow_started.set()
            for _ in range(20):
                await asyncio.sleep(0)
            log.append("slow")
            return StageResult(value={"ok": True})

        async def bad(inp: StageInput) -> StageResult:
            await asyncio.wait_for(slow_started.wait(), TIMEOUT)  # fail while slow runs
            raise RuntimeError("voice model missing")

        stages = [Stage("slow", "t", (), slow), Stage("bad", "t", (), bad),
                  simple("after_bad", ("bad",), log), simple("after_slow", ("slow",), log),
                  simple("last", ("after_bad", "after_slow"), log)]
        events: list[StageEvent] = []
        with pytest.raises(StageFailed) as info:
            await make(stages, tmp_path).run(events.append)
        return events, info.value

    events, err = asyncio.run(main())
    assert isinstance(err, StageFailed)
    assert err.stage == "bad" and isinstance(err.cause, RuntimeError)
    assert "stage 'bad' failed: voice model missing" in str(err)
    assert "slow" in log and "after_slow" in log  # independent work went on
    assert "after_bad" not in log and "last" not in log
    states = {e.stage: e.state for e in events}
    assert states == {"slow": "done", "bad": "failed", "after_slow": "done",
                      "after_bad": "skipped", "last": "skipped"}

    # the kept work is not redone on the next run; the failed stage runs again
    log.clear()
    with pytest.raises(StageFailed):
        run(make([simple("slow", log=log), simple("after_slow", ("slow",), log)]
                 + [Stage("bad", "t", (), _raise)], tmp_path))
    assert log == []


async def _raise(inp: StageInput) -> StageResult:
    raise ValueError("still broken")


def test_keep_going_false_stops_launching(tmp_path: Path) -> None:
    log: list[str] = []
    stages = [Stage("bad", "t", (), _raise), simple("later", ("bad",), log),
              simple("other", ("gate",), log), simple("gate", ("bad",), log)]
    with pytest.raises(StageFailed, match="still broken"):
        run(make(stages, tmp_path, keep_going=False))
    assert log == []


def test_bad_results_fail_the_stage(tmp_path: Path) -> None:
    async def outside(inp: StageInput) -> StageResult:
        path = inp.workdir / "elsewhere.txt"
        path.write_text("x")
        return StageResult(files={"f": path})

    async def not_json(inp: StageInput) -> StageResult:
        return StageResult(value={"x": object()})

    async def wrong_type(inp: StageInput) -> Any:
        return {"value": 1}

    for fn, message in [(outside, "outside the stage's folder"),
                        (not_json, "not JSON-serialisable"), (wrong_type, "not StageResult")]:
        with pytest.raises(StageFailed, match=message) as info:
            run(make([Stage("s", "t", (), fn)], tmp_path))
        assert info.value.stage == "s"


def test_cancelling_the_run_cancels_its_stages(tmp_path: Path) -> None:
    cancelled = False

    started = asyncio.Event()

    async def forever(inp: StageInput) -> StageResult:
        nonlocal cancelled
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled = True
            raise
        return StageResult()

    async def main() -> None:
        task = asyncio.create_task(make([Stage("f", "t", (), forever)], tmp_path).run())
        await asyncio.wait_for(started.wait(), TIMEOUT)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert cancelled
