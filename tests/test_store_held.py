"""The ledger's hot writes on a connection each thread holds (archibald.store.held)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from sqlalchemy import select, text

from archibald.store import held
from archibald.store.held import release, writing
from archibald.store.ledger import Attempt
from archibald.store.memory import Memory
from archibald.store.migrations import attempts

from pg_helpers import pg_url, reset_pg


def _count(memory: Memory) -> int:
    with memory.engine.connect() as conn:
        return len(conn.execute(select(attempts.c.id)).all())


def _attempt() -> Attempt:
    return Attempt(task_type="chat", route="budget", backend="b", success=False, cost_nano=0,
                   baseline_nano=0, channel="c", run_id="r", stage="s", max_cost_nano=10)


def test_a_transaction_commits_rolls_back_and_runs_sqlalchemy_statements_inside(
        tmp_path: Path) -> None:
    memory = Memory(f"sqlite:///{tmp_path}/l.db")
    memory.reserve(_attempt(), lambda spent: None)
    assert _count(memory) == 1
    with pytest.raises(RuntimeError):
        memory.reserve(_attempt(), lambda spent: (_ for _ in ()).throw(RuntimeError("no")))
    assert _count(memory) == 1  # refused: nothing written
    # a statement SQLAlchemy runs (not handed to the driver) is in the same transaction
    with pytest.raises(ZeroDivisionError):
        with writing(memory.engine) as conn:
            conn.execute(text("DELETE FROM attempts"))
            1 / 0
    assert _count(memory) == 1
    with writing(memory.engine) as conn:
        conn.execute(text("DELETE FROM attempts"))
    assert _count(memory) == 0
    memory.close()


def test_each_thread_holds_its_own_connection_and_close_releases_them(tmp_path: Path) -> None:
    memory = Memory(f"sqlite:///{tmp_path}/l.db")
    seen: list[int] = []

    def write() -> None:
        with writing(memory.engine) as conn:
            seen.append(id(conn))
        with writing(memory.engine) as conn:
            seen.append(id(conn))
    threads = [threading.Thread(target=write) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(seen)) == 2 and seen[0] == seen[1]
    assert memory.engine.pool.checkedout() == 2  # held out of the pool
    memory.close()
    assert memory.engine.pool.checkedout() == 0
    release(memory.engine)  # twice is nothing


def test_a_transaction_left_open_on_the_held_connection_is_rolled_back(tmp_path: Path) -> None:
    memory = Memory(f"sqlite:///{tmp_path}/l.db")
    memory.reserve(_attempt(), lambda spent: None)
    with writing(memory.engine) as conn:
        driver = conn.connection.dbapi_connection
    driver.execute("BEGIN")
    driver.execute("DELETE FROM attempts")  # left open by something that failed
    memory.reserve(_attempt(), lambda spent: None)
    assert _count(memory) == 2
    memory.close()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork")
def test_a_forked_child_opens_its_own_connection(tmp_path: Path) -> None:
    memory = Memory(f"sqlite:///{tmp_path}/l.db")
    with writing(memory.engine) as conn:
        parent = conn.connection.dbapi_connection
    pid = os.fork()
    if pid == 0:  # the child: a new connection, the parent's left alone
        try:
            with writing(memory.engine) as conn:
                ok = conn.connection.dbapi_connection is not parent
            memory.reserve(_attempt(), lambda spent: None)
        finally:
            os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    memory.reserve(_attempt(), lambda spent: None)
    assert _count(memory) == 2
    memory.close()


@pytest.mark.parametrize("where", ["memory", "postgresql"])
def test_postgresql_and_in_memory_databases_keep_the_pool(where: str) -> None:
    url = "sqlite://"
    if where == "postgresql":
        url = pg_url()
        reset_pg(url)
    memory = Memory(url)
    memory.reserve(_attempt(), lambda spent: None)
    assert _count(memory) == 1 and held._HELD.get(memory.engine) is None  # nothing held
    memory.close()
