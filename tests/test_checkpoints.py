"""SQLite's checkpoints run on a thread of their own while a server serves, not inside one of
its ledger commits on the event loop."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time

from archibald.store.checkpoint import Checkpoints
from archibald.store.ledger import Attempt
from archibald.store.memory import Memory


def _attempt(i: int) -> Attempt:
    return Attempt(task_type="chat_simple", route="budget", backend="stub:m", success=True,
                   cost_nano=10, baseline_nano=20, channel="key:k", run_id=f"gw-{i}",
                   stage="chat_simple", model="m", reason="test", price_source="test")


def _threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "archibald-checkpoints"]


def test_commits_leave_the_checkpoint_to_the_thread(tmp_path):
    memory = Memory(f"sqlite:///{tmp_path / 'a.db'}")
    checkpoints = Checkpoints(memory.engine, every_s=0.05)
    done: list[tuple[str, tuple[int, int, int] | None]] = []  # (thread, what it copied)
    own_once = checkpoints.once

    def once(conn: sqlite3.Connection) -> tuple[int, int, int] | None:
        result = own_once(conn)
        done.append((threading.current_thread().name, result))
        return result

    checkpoints.once = once  # type: ignore[method-assign]
    assert checkpoints.start()
    try:
        assert len(_threads()) == 1
        with memory.engine.connect() as conn:  # every connection the engine opens now
            assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
        for i in range(400):  # more than 1,000 pages of log: once the automatic mark
            memory.record(_attempt(i))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not any(  # the thread copies the log back
                name == "archibald-checkpoints" and r and r[2] > 0 for name, r in done):
            time.sleep(0.05)
        copied = [r for name, r in done if name == "archibald-checkpoints" and r]
        assert copied and max(r[2] for r in copied) > 0, done
    finally:
        checkpoints.stop()
    assert _threads() == []
    with memory.engine.connect() as conn:  # the automatic checkpoint is back
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 1000
    assert len(memory.attempts_of_run("gw-7")) == 1
    memory.close()


def test_nothing_to_do_off_a_sqlite_file(tmp_path):
    memory = Memory("sqlite://")
    checkpoints = Checkpoints(memory.engine)
    assert not checkpoints.start()
    checkpoints.stop()
    assert _threads() == []
    memory.close()


def test_the_server_runs_them_while_it_serves(tmp_path, monkeypatch):
    monkeypatch.setenv("ARCHIBALD_HOME", str(tmp_path / "home"))
    (tmp_path / "a.toml").write_text('[quality]\njudge_model = ""\n')
    monkeypatch.setenv("ARCHIBALD_CONFIG", str(tmp_path / "a.toml"))
    from archibald.serve.app import create_app

    app = create_app()

    async def serve() -> int:
        async with app.router.lifespan_context(app):
            return len(_threads())

    assert asyncio.run(serve()) == 1
    assert _threads() == []
