"""A real SIGKILL mid-run: the next run redoes no stage that had been stored."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

#: a three-stage pipeline in its own process; each stage run appends "<run> <stage>" to a log
SCRIPT = r'''
import asyncio, sys
from pathlib import Path
from archibald.pipeline import Engine, PlainProgress, Stage, StageResult

work, run_id, work_ms = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
log, gate = work.parent / "runs.log", work.parent / "gate"

def count(name):
    with open(log, "a") as f:
        f.write(f"{run_id} {name}\n")

async def busy(inp, name):
    count(name)
    out = inp.stage_dir / f"{name}.bin"
    with open(out, "wb") as f:
        for i in range(20):  # written in pieces, so a kill can land mid-file
            f.write(bytes([i % 256]) * 4096)
            f.flush()
            await asyncio.sleep(work_ms / 20000)
    text = ",".join(inp.deps[d].value["text"] for d in sorted(inp.deps)) + "+" + name
    return StageResult({"text": text}, {"out": out}, {"route": "local", "cost": 0.0})

async def plain(inp):
    return await busy(inp, inp.stage)

async def middle(inp):
    result = await busy(inp, inp.stage)
    while not gate.exists():
        await asyncio.sleep(0.005)
    return result

stages = [Stage("first", "t", (), plain), Stage("middle", "t", ("first",), middle),
          Stage("side", "t", ("first",), plain), Stage("last", "t", ("middle", "side"), plain)]
result = asyncio.run(Engine(stages, work, key_inputs={"topic": "sea"}, config_digest="c")
                     .run(PlainProgress()))
print("RESULT", result.stages["last"].result.value["text"])
'''


def _start(tmp_path: Path, run_id: str, work_ms: int = 0) -> subprocess.Popen[str]:
    script = tmp_path / "pipeline.py"
    script.write_text(SCRIPT)
    return subprocess.Popen([sys.executable, str(script), str(tmp_path / "work"), run_id,
                             str(work_ms)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def _runs(tmp_path: Path) -> list[tuple[str, str]]:
    log = tmp_path / "runs.log"
    if not log.exists():
        return []
    return [tuple(line.split()) for line in log.read_text().splitlines()]  # type: ignore[misc]


def _stored(tmp_path: Path) -> set[str]:
    root = tmp_path / "work" / ".archibald" / "stages"
    return {json.loads(p.read_text())["name"] for p in root.glob("*/result.json")}


def _wait_for(predicate: object, proc: subprocess.Popen[str], timeout: float = 20.0,
              allow_exit: bool = False) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        assert allow_exit or proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "timed out waiting for the pipeline"
        time.sleep(0.005)


def test_sigkill_mid_stage_then_rerun_redoes_no_finished_stage(tmp_path: Path) -> None:
    proc = _start(tmp_path, "1")
    # the middle stage blocks on the gate file; it starts only once "first" is stored
    _wait_for(lambda: ("1", "middle") in _runs(tmp_path) and "first" in _stored(tmp_path), proc)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    _stored_after_kill = _stored(tmp_path)
    assert "middle" not in _stored_after_kill  # killed mid-stage: no completion marker

    (tmp_path / "gate").touch()
    proc = _start(tmp_path, "2")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    runs = _runs(tmp_path)
    assert [s for r, s in runs if r == "2"].count("first") == 0  # stored stage not rerun
    assert "side" in _stored_after_kill or [s for r, s in runs if r == "2"].count("side") == 1
    assert sorted(s for r, s in runs if r == "2" and s != "side") == ["last", "middle"]
    assert re.search(r"first +resumed", out)
    assert "RESULT +first+middle,+first+side+last" in out
    assert _stored(tmp_path) == {"first", "middle", "side", "last"}


def test_sigkill_at_random_moments_never_loses_a_stored_stage(tmp_path: Path) -> None:
    """Where each kill lands depends on timing; whatever it hit, nothing stored is redone."""
    (tmp_path / "gate").touch()
    rng = random.Random(3)
    stored_before: dict[str, set[str]] = {}
    ids = [str(i) for i in range(4)] + ["final"]
    for run_id in ids[:-1]:
        proc = _start(tmp_path, run_id, work_ms=120)
        # once this run has started a stage (or finished), kill at a random moment
        _wait_for(lambda: any(r == run_id for r, _ in _runs(tmp_path))
                  or proc.poll() is not None, proc, allow_exit=True)
        time.sleep(rng.uniform(0.0, 0.35))
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        assert proc.returncode in (0, -signal.SIGKILL), proc.communicate()
        stored_before[run_id] = _stored(tmp_path)
    proc = _start(tmp_path, "final", work_ms=120)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "RESULT +first+middle,+first+side+last" in out
    runs = _runs(tmp_path)
    for before, after in zip(ids, ids[1:]):
        rerun = {s for r, s in runs if r == after}
        assert not stored_before[before] & rerun, (after, stored_before[before], rerun)
    assert _stored(tmp_path) == {"first", "middle", "side", "last"}
