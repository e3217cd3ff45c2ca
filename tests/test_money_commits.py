"""A chat call's ledger writes, counted: the gateway's direct client reserves its call and
marks it sent in one transaction, and an answer its wire row holds is settled once, checked
(three commits a call, not five). What each merge gives up is safe for money: a kill between
reservation and send holds the call's maximum (it looks sent), and an answer stays durable on
its wire row until the settlement that forgets it."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select

from archibald.config import load_settings
from archibald.core.router import Registry, Router
from archibald.core.tasks import Context, Outcome, Task
from archibald.providers.backends.base import Backend
from archibald.providers.backends.wire import current, tapped
from archibald.store.held import release
from archibald.store.memory import Memory
from archibald.store.migrations import attempts, wire
from archibald.store.writeahead import kept_answer

TASK = Task("market_research", {"prompt": "which calm topics sell this month?"})


class Wired(Backend):
    """A paid chat route that keeps its wire as a real one does: sent, then answered."""

    route = "budget"
    name = "stub:wired"

    def __init__(self, memory: Memory, at_once: bool) -> None:
        self.memory, self.at_once = memory, at_once
        self.before_send: list[str | None] = []

    def keeps_wire(self, context: Context) -> bool:
        return True

    def sends_at_once(self, context: Context) -> bool:
        return self.at_once

    def max_cost(self, task: Task) -> float | None:
        return 0.02

    async def execute(self, task: Task, context: Context) -> Outcome:
        tap = context.extra["wire"]
        kept = kept_answer(self.memory.engine, tap.attempt_id)
        self.before_send.append(None if kept is None else kept.state)
        with tapped(tap):
            running = current()
            assert running is not None
            running.sending()
            running.answered(200, {"content-type": "application/json"}, b'{"text": "calm"}')
        return Outcome("Three calm topics, in order.", self.name, "budget", cost=0.004,
                       quality=0.9)


def _router(tmp_path: Path, at_once: bool) -> tuple[Router, Memory, Wired]:
    settings = load_settings(None, {"quality": {"judge_model": ""}})
    memory = Memory(f"sqlite:///{tmp_path / 'ledger.db'}")
    backend = Wired(memory, at_once)
    registry = Registry()
    registry.register(TASK.type, "budget", backend)
    return Router(settings, memory, registry), memory, backend


def _run(router: Router, tmp_path: Path, check: Any = None) -> Any:
    decision = router.decide(TASK)
    decision.chain = ["budget"]
    return asyncio.run(router.run(TASK, Context(workdir=tmp_path), run_id="r", stage="s",
                                  decision=decision, check=check))


def _commits(memory: Memory) -> list[int]:
    """COMMITs as SQLite runs them (the ledger's hot writes commit on the driver's own
    connection, archibald.store.held, where SQLAlchemy's commit event does not see them)."""
    counted = [0]

    def traced(sql: str) -> None:
        counted[0] += sql.lstrip().upper().startswith("COMMIT")

    @event.listens_for(memory.engine, "connect")
    def trace(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.set_trace_callback(traced)
    release(memory.engine)  # every connection reopens traced
    memory.engine.dispose()
    return counted


def _rows(memory: Memory) -> tuple[list[dict[str, Any]], int]:
    with memory.engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(select(attempts)).mappings()]
        wires = len(conn.execute(select(wire)).all())
    return rows, wires


@pytest.mark.parametrize("at_once,commits", [(True, 3), (False, 4)])
def test_a_wired_call_is_reserved_sent_answered_and_settled_in_few_commits(
        tmp_path: Path, at_once: bool, commits: int) -> None:
    router, memory, backend = _router(tmp_path, at_once)
    counted = _commits(memory)
    result = _run(router, tmp_path)
    assert result.outcome.artifact == "Three calm topics, in order."
    # reserve (+ sent when the request leaves at once), answered, settled once and checked
    assert counted[0] == commits
    # at once: the wire row said "sent" from the reservation on, before the request left
    assert backend.before_send == (["sent"] if at_once else [None])
    rows, wires = _rows(memory)
    [row] = rows
    assert (row["status"], row["checked"], row["success"]) == ("settled", True, True)
    assert row["cost_nano"] == 4_000_000 and row["outcome"] and wires == 0
    assert memory.route_stats(TASK.type)["budget"].n == 1  # folded once


def test_a_check_that_breaks_leaves_the_answer_settled_unchecked(tmp_path: Path) -> None:
    router, memory, _ = _router(tmp_path, True)

    def broken(outcome: Outcome) -> float:
        raise RuntimeError("a bug in a check")
    with pytest.raises(RuntimeError, match="a bug in a check"):
        _run(router, tmp_path, check=broken)
    rows, wires = _rows(memory)
    [row] = rows
    # paid for and kept: a resume re-checks this answer instead of buying it again
    assert (row["status"], row["checked"], row["cost_nano"]) == ("settled", False, 4_000_000)
    assert row["outcome"] and wires == 0
    assert memory.route_stats(TASK.type) == {}  # not learnt from before it is checked


def test_a_rejected_answer_is_settled_once_with_its_answer_kept(tmp_path: Path) -> None:
    router, memory, _ = _router(tmp_path, True)
    counted = _commits(memory)
    result = _run(router, tmp_path, check=lambda outcome: (0.1, {}))
    assert result.below_floor  # nothing better to escalate to: the best of a bad lot
    assert counted[0] == 3
    rows, wires = _rows(memory)
    [row] = rows
    assert row["checked"] and not row["success"] and "below the floor" in row["error"]
    assert row["outcome"] and wires == 0  # a resume moves on from it without paying again
