"""CPU-heavy work in the shared worker processes: both cores, clean shutdown."""

from __future__ import annotations

import asyncio
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from archibald.errors import StageFailed
from archibald.pipeline import Engine, Stage, StageInput, StageResult


def _pid() -> int:
    return os.getpid()


def _square_sum(n: int, *, offset: int = 0) -> int:
    return sum(i * i for i in range(n)) + offset


def _handshake(folder: str, me: str, other: str) -> int:
    """Say I started, then wait for the other worker: only two processes at once get past."""
    Path(folder, me).touch()
    deadline = time.monotonic() + 20
    while not Path(folder, other).exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{other} never started alongside {me}")
        time.sleep(0.002)
    return os.getpid()


def _boom() -> None:
    raise ArithmeticError("overflow in the mixer")


def _gone(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "\nState:\tZ" in status  # exited, waiting to be reaped by its parent


def _engine(stages: list[Stage], workdir: Path, **kw: object) -> Engine:
    return Engine(stages, workdir, key_inputs={}, config_digest="c", **kw)  # type: ignore[arg-type]


def test_run_in_process_uses_another_process_and_shuts_it_down(tmp_path: Path) -> None:
    async def go(inp: StageInput) -> StageResult:
        pid = await inp.run_in_process(_pid)
        total = await inp.run_in_process(_square_sum, 10, offset=1)
        return StageResult(value={"pid": pid, "total": total})

    engine = _engine([Stage("mix", "music", (), go, cpu_bound=True)], tmp_path)
    result = asyncio.run(engine.run())
    value = result.stages["mix"].result.value
    assert value["total"] == 286
    assert value["pid"] != os.getpid()
    assert engine._pool is None  # shut down at the end of the run
    deadline = time.monotonic() + 10
    while not _gone(value["pid"]):
        assert time.monotonic() < deadline, "worker process outlived the run"
        time.sleep(0.01)


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="needs two cores")
def test_two_cpu_bound_stages_use_two_worker_processes(tmp_path: Path) -> None:
    def stage(me: str, other: str) -> Stage:
        async def go(inp: StageInput) -> StageResult:
            pid = await inp.run_in_process(_handshake, str(tmp_path), me, other)
            return StageResult(value={"pid": pid})
        return Stage(me, "art", (), go, cpu_bound=True)

    result = asyncio.run(_engine([stage("art", "music"), stage("music", "art")],
                                 tmp_path / "work").run())
    pids = {o.result.value["pid"] for o in result.stages.values()}
    assert len(pids) == 2 and os.getpid() not in pids


def test_worker_errors_and_unpicklable_functions_fail_the_stage(tmp_path: Path) -> None:
    async def raises(inp: StageInput) -> StageResult:
        await inp.run_in_process(_boom)
        return StageResult()

    with pytest.raises(StageFailed, match="overflow in the mixer") as info:
        asyncio.run(_engine([Stage("mix", "music", (), raises)], tmp_path).run())
    assert info.value.stage == "mix" and isinstance(info.value.cause, ArithmeticError)

    async def unpicklable(inp: StageInput) -> StageResult:
        await inp.run_in_process(lambda: 1)
        return StageResult()

    with pytest.raises(StageFailed) as info:
        asyncio.run(_engine([Stage("art", "art", (), unpicklable)], tmp_path).run())
    assert info.value.stage == "art" and "pickle" in str(info.value).lower()


def test_injected_executor_is_used_and_left_open(tmp_path: Path) -> None:
    async def go(inp: StageInput) -> StageResult:
        return StageResult(value={"pid": await inp.run_in_process(_pid)})

    with ThreadPoolExecutor(1) as pool:
        engine = _engine([Stage("s", "t", (), go)], tmp_path, executor=pool)
        result = asyncio.run(engine.run())
        assert result.stages["s"].result.value["pid"] == os.getpid()
        assert pool.submit(_pid).result() == os.getpid()  # still open
