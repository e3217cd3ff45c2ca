"""A process of `archibald serve` keeps what its start-up made out of the garbage collector's
full passes (gc.freeze), which otherwise stalled every request in flight for tens of ms; an app
made in a test or another program's process leaves that process's collector alone."""

from __future__ import annotations

import asyncio
import gc
from pathlib import Path

import pytest

from archibald.config import load_settings
from archibald.serve.app import create_app
from archibald.serve.gateway.keys import WORKERS_VAR


def _started(tmp_path: Path) -> int:
    settings = load_settings(None, {"quality": {"judge_model": ""}})
    app = create_app(settings)

    async def start() -> int:
        async with app.router.lifespan_context(app):
            return gc.get_freeze_count()
    return asyncio.run(start())


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARCHIBALD_HOME", str(tmp_path / "home"))


def test_a_serve_process_freezes_what_start_up_made(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(WORKERS_VAR, "1")  # as `archibald serve` sets it
    try:
        assert _started(tmp_path) > 1000
    finally:
        gc.unfreeze()


def test_an_app_in_someone_elses_process_leaves_its_collector_alone(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(WORKERS_VAR, raising=False)
    gc.unfreeze()
    assert _started(tmp_path) == 0
