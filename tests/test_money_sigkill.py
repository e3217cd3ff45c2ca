"""A run SIGKILLed 0-20 ms after a provider answered, then re-run: the provider is not called
(nor paid) a second time, and the ledger holds exactly what the provider billed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from stubs.fal import FalStub
from stubs.fixtures import fal_stub, provider_env  # noqa: F401

pytestmark = pytest.mark.slow

#: one routed image stage (forced onto fal) in its own process, as `produce` runs it
SCRIPT = r'''
import asyncio, sys
from pathlib import Path
from archibald.core.catalog import build_registry
from archibald.config import load_settings
from archibald.store.memory import Memory
from archibald.pipeline.engine import Engine, Stage
from archibald.pipeline.run import routed
from archibald.pipeline.spec import load_pipeline
from archibald.core.router import Router

work, db = Path(sys.argv[1]), sys.argv[2]
settings = load_settings()
memory = Memory(f"sqlite:///{db}")
router = Router(settings, memory, build_registry(settings, memory))

spec = load_pipeline("meditation").stage("image_generation")
spec = type(spec)(**{**spec.__dict__, "needs": (), "inputs": {
    "theme": "lake", "topic": "lake", "width": 1920, "height": 1080,
    "out": "{stage_dir}/background.png"}, "prompt": "a calm lake at dawn"})
stage = Stage("image_generation", "image_generation", (),
              routed(spec, router, "run-kill", "default", settings, {"minutes": 2.0}))
result = asyncio.run(Engine([stage], work, key_inputs={"topic": "lake"},
                            config_digest=settings.digest).run())
print("RESULT", result.stages["image_generation"].result.record["route"])
'''

CONFIG = """
[task_types.image_generation]
complexity = 5
capability = "image"
routes = ["premium", "local"]
route = "premium"
premium_unit = "fal:fal-ai/flux/dev"
premium_usage = { megapixels = 2.0 }
quality_floor = 0.0
"""

#: fal bills a 1920x1080 FLUX dev image as 2 of its 1024x1024 megapixels (rounded up) at $0.025
BILL_NANO = 50_000_000


def _start(tmp_path: Path) -> subprocess.Popen[str]:
    script = tmp_path / "stage.py"
    script.write_text(SCRIPT)
    return subprocess.Popen([sys.executable, str(script), str(tmp_path / "work"),
                             str(tmp_path / "ledger.db")], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})


def _ledger(tmp_path: Path) -> list[tuple[str, str, int, bool]]:
    engine = create_engine(f"sqlite:///{tmp_path / 'ledger.db'}")
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT route, status, cost_nano, success FROM attempts "
                                 "WHERE run_id = 'run-kill' ORDER BY id")).all()
    engine.dispose()
    return [(r[0], r[1], int(r[2]), bool(r[3])) for r in rows]


@pytest.mark.parametrize("answer, delay_ms", [("files/", 0), ("files/", 4), ("files/", 9),
                                              ("files/", 20), ("/requests/", 2)])
def test_kill_right_after_the_answer_never_pays_twice(fal_stub: FalStub, provider_env,
                                                       tmp_path: Path, monkeypatch,
                                                       answer: str, delay_ms: int) -> None:
    config = tmp_path / "archibald.toml"
    config.write_text(CONFIG)
    monkeypatch.setenv("ARCHIBALD_CONFIG", str(config))
    fal_stub.states = []  # COMPLETED at the first status poll: no waiting between polls
    proc = _start(tmp_path)
    deadline = time.monotonic() + 60
    while not any(answer in r.path and r.method == "GET" and "/status" not in r.path
                  for r in fal_stub.requests):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the stage never reached the provider"
        time.sleep(0.0005)
    time.sleep(delay_ms / 1000)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)

    rerun = _start(tmp_path)
    out, err = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, err
    assert "RESULT premium" in out
    submits = fal_stub.requests_to("fal-ai/flux/dev", "POST")
    assert len(submits) == 1, "the provider was called (and billed) a second time"
    rows = _ledger(tmp_path)
    assert sum(cost for _, _, cost, _ in rows) == BILL_NANO * len(submits), rows
    assert [(route, status, ok) for route, status, _, ok in rows] == [
        ("premium", "settled", True)], rows
    assert (tmp_path / "work" / ".archibald").is_dir()
