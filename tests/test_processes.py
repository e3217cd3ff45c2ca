"""Worker processes die with their parent, however it ends (issue 16, item 9)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import pytest

from archibald.pipeline.lifeline import Lifeline, guarded
from proc_helpers import alive, command, descendants

#: an Engine whose one stage sleeps in the worker pool, so the pool is up when we kill it
ENGINE = r"""
import asyncio, sys, time
from pathlib import Path
from archibald.pipeline import Engine, Stage, StageResult

def nap(marker):
    Path(marker).touch()
    time.sleep(120)

async def stage(inp):
    await inp.run_in_process(nap, sys.argv[2])
    return StageResult()

if __name__ == "__main__":
    engine = Engine([Stage("nap", "t", (), stage)], Path(sys.argv[1]), key_inputs={},
                    config_digest="c")
    asyncio.run(engine.run())
"""


def _kill_and_wait(proc: subprocess.Popen[bytes], family: dict[int, int],
                   within: float = 5.0) -> None:
    """SIGKILL ``proc``; every one of ``family`` must be gone ``within`` seconds."""
    family = {**family, **descendants(proc.pid)}
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + within
    while alive(family) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = alive(family)
    assert not left, [command(p) for p in left]


def _wait_for(proc: subprocess.Popen[bytes], ready: object, timeout: float) -> dict[int, int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        family = descendants(proc.pid)
        if ready(family):  # type: ignore[operator]
            return family
        time.sleep(0.05)
    proc.kill()
    raise AssertionError(f"not ready in {timeout} s: {proc.communicate()}")


def test_sigkilled_engine_leaves_no_worker_nor_forkserver(tmp_path: Path) -> None:
    script, marker = tmp_path / "engine.py", tmp_path / "working"
    script.write_text(ENGINE)
    proc = subprocess.Popen([sys.executable, str(script), str(tmp_path / "w"), str(marker)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    family = _wait_for(proc, lambda f: marker.exists() and len(f) >= 3, timeout=60)
    _kill_and_wait(proc, family)


@pytest.mark.slow
def test_sigkilled_produce_leaves_no_descendant(tmp_path: Path) -> None:
    """The pool's workers, their forkserver, the voice's forkserver and its helpers."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "archibald", "produce", "--topic", "Slow breath by the sea",
         "--minutes", "3", "--out", str(tmp_path / "out")],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def voice_helpers_up(family: dict[int, int]) -> bool:
        servers = [p for p in family if "archibald.media.voice" in command(p)]
        return any(descendants(s) for s in servers)

    family = _wait_for(proc, voice_helpers_up, timeout=240)
    assert len(family) >= 5, [command(p) for p in family]
    _kill_and_wait(proc, family)


def _pid() -> int:
    return os.getpid()


def test_closing_the_lifeline_ends_the_workers() -> None:
    lifeline = Lifeline()
    pool = ProcessPoolExecutor(max_workers=1, mp_context=get_context("forkserver"),
                               initializer=guarded, initargs=lifeline.initargs())
    worker = pool.submit(_pid).result(timeout=60)
    started = {worker: int(Path(f"/proc/{worker}/stat").read_text().rsplit(")", 1)[1]
                           .split()[19])}
    lifeline.close()
    deadline = time.monotonic() + 5
    while alive(started) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(started)
    pool.shutdown(wait=True)
