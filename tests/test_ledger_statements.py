"""The ledger's hot statements on SQLite go to the driver as text compiled once
(store.rows.run), with the same results as SQLAlchemy's own execution; what the driver cannot
be handed as it is stays with SQLAlchemy; and a settlement writes what a call did, never which
call a row is (the identity columns, whose index entries it would otherwise rewrite)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import bindparam, select

from archibald.store import rows
from archibald.store.ledger import Attempt
from archibald.store.memory import Memory
from archibald.store.migrations import attempts
from archibald.store.rows import (IDENTITY, INSERT_ATTEMPT, SETTLE_PENDING, _row, inserted_id,
                                  run, spent_query)


def _attempt(**more: object) -> Attempt:
    fields: dict[str, object] = dict(
        task_type="chat_simple", route="budget", backend="deepseek:deepseek-v4-flash",
        success=False, cost_nano=0, baseline_nano=0, channel="key:tea-shop", run_id="gw-1",
        stage="chat_simple", max_cost_nano=5_000, created_at=1_767_000_000.0)
    fields.update(more)
    return Attempt(**fields)  # type: ignore[arg-type]


def test_hot_statements_are_compiled_once_and_agree_with_sqlalchemy(tmp_path: Path) -> None:
    memory = Memory(f"sqlite:///{tmp_path / 'ledger.db'}")
    try:
        with memory.engine.begin() as conn:
            first = inserted_id(conn, INSERT_ATTEMPT, _row(_attempt(status="pending",
                                                                     checked=False)))
            second = inserted_id(conn, INSERT_ATTEMPT, _row(_attempt(run_id="gw-2",
                                                                      status="pending")))
            assert second == first + 1
            # a literal in the statement (coalesce's 0) is kept with it
            stmt, values = spent_query(channel="key:tea-shop")
            fast = run(conn, stmt, values).scalar_one()
            assert fast == conn.execute(stmt, values).scalar_one() == 10_000
            stmt, values = spent_query(channel="key:nobody")
            assert run(conn, stmt, values).scalar_one() == 0
            settled = {k: v for k, v in _row(_attempt(cost_nano=1_234, checked=True,
                                                       status="settled")).items()
                       if k not in IDENTITY}
            assert run(conn, SETTLE_PENDING, {**settled, "row_id": first}).rowcount == 1
            stmt, values = spent_query(channel="key:tea-shop")
            assert run(conn, stmt, values).scalar_one() == 1_234 + 5_000
        plans = [v for (stmt, _), v in rows._SQLITE.items() if stmt is INSERT_ATTEMPT]
        assert plans and all(p is not None for p in plans)  # handed to the driver
        # an expanding IN needs SQLAlchemy: it runs there, with the same answer
        picked = select(attempts.c.id).where(attempts.c.run_id.in_(bindparam("ids",
                                                                             expanding=True)))
        with memory.engine.connect() as conn:
            found = run(conn, picked, {"ids": ["gw-1", "gw-2"]}).scalars().all()
        assert sorted(found) == [first, second]
        assert rows._SQLITE[(picked, frozenset({"ids"}))] is None
    finally:
        memory.close()


def test_a_settlement_never_changes_which_call_a_row_is(tmp_path: Path) -> None:
    memory = Memory(f"sqlite:///{tmp_path / 'ledger.db'}")
    try:
        a = _attempt()
        memory.reserve(a, lambda spent: None)
        a.channel, a.run_id = "key:someone-else", "gw-elsewhere"  # a bug's doing, say
        a.cost_nano, a.success, a.checked = 2_000, True, True
        memory.settle(a)
        with memory.engine.connect() as conn:
            row = conn.execute(select(attempts).where(attempts.c.id == a.id)).mappings().one()
        assert (row["status"], row["cost_nano"], row["success"]) == ("settled", 2_000, True)
        assert (row["channel"], row["run_id"]) == ("key:tea-shop", "gw-1")
        # the money is where the call was reserved: on the key that asked
        assert memory.spent_nano(channel="key:tea-shop") == 2_000
        assert memory.spent_nano(channel="key:someone-else") == 0
    finally:
        memory.close()
