"""Settlements deferred to a batch (archibald.store.held.defer, flush): under load the
gateway's answers settle together, in one transaction written once the first has waited 50
ms, off every request's own path; and a kill before that commit loses nothing (the answer's
bytes are kept on the wire until the settlement forgets them)."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from archibald.config import load_settings
from archibald.serve.gateway.service import Gateway, Request
from archibald.serve.gateway.sweep import sweep
from archibald.store import held
from archibald.store.ledger import Attempt, to_nano
from archibald.store.memory import Memory
from archibald.store.migrations import attempts, route_stats, wire
from archibald.store.writeahead import WireLog
from stubs.fixtures import deepseek_stub, provider_env  # noqa: F401


def _attempt(run_id: str = "r", created_at: float | None = None) -> Attempt:
    return Attempt(task_type="chat", route="budget", backend="b", success=False, cost_nano=0,
                   baseline_nano=0, channel="c", run_id=run_id, stage="s",
                   max_cost_nano=to_nano(0.01), created_at=created_at or time.time())


def _status(memory: Memory, a: Attempt) -> tuple[str, int]:
    with memory.engine.connect() as conn:
        row = conn.execute(select(attempts.c.status, attempts.c.cost_nano).where(
            attempts.c.id == a.id)).one()
    return str(row[0]), int(row[1])


def _wire_rows(memory: Memory) -> int:
    with memory.engine.connect() as conn:
        return len(conn.execute(select(wire.c.attempt_id)).all())


def _answered(memory: Memory, a: Attempt, cost_usd: float) -> WireLog:
    log = WireLog(memory.engine, a.id or 0)
    log.sending()
    log.answered(200, {"content-type": "application/json"}, b'{"usage": {}}')
    a.success, a.cost_nano, a.quality, a.evidence, a.checked = True, to_nano(cost_usd), 1.0, \
        "check", True
    return log


def _two_reserved_one_deferred(tmp_path: Path) -> tuple[Memory, Attempt, Attempt]:
    """Two calls reserved; the first answered and its settlement deferred."""
    memory = Memory(f"sqlite:///{tmp_path}/l.db")
    a, b = _attempt("r1"), _attempt("r2")
    for x in (a, b):
        memory.reserve(x, lambda spent: None)
    _answered(memory, a, 0.001)
    memory.settle(a, soon=True)
    return memory, a, b


def test_a_deferred_settlement_waits_for_the_flush_and_then_runs_its_after(
        tmp_path: Path) -> None:
    memory = Memory(f"sqlite:///{tmp_path}/l.db")
    first = _attempt()
    memory.reserve(first, lambda spent: None)
    log = _answered(memory, first, 0.002)
    said: list[str] = []
    assert memory.settle(first, {"artifact": "calm"}, also=log.forget, soon=True,
                         after=lambda: said.append("after"))
    # not written yet: the row still holds its maximum, its answer still kept on the wire
    assert _status(memory, first) == ("pending", 0) and _wire_rows(memory) == 1 and not said
    seen: list[int] = []

    def check(spent: Any) -> None:  # another reservation meanwhile counts its maximum
        seen.append(spent(run_id="r"))
    memory.reserve(_attempt(), check)
    assert seen == [to_nano(0.01)] and _status(memory, first) == ("pending", 0)
    memory.flush()
    assert _status(memory, first) == ("settled", to_nano(0.002))
    assert _wire_rows(memory) == 0 and said == ["after"]
    with memory.engine.connect() as conn:  # folded into its route's statistics once
        assert conn.execute(select(route_stats.c.n)).scalar_one() == 1
    memory.close()


def test_settlements_whose_flush_is_late_ride_on_any_write_even_a_refused_reservation(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    memory = Memory(f"sqlite:///{tmp_path}/l.db")
    first = _attempt()
    memory.reserve(first, lambda spent: None)
    log = _answered(memory, first, 0.001)
    memory.settle(first, also=log.forget, soon=True)
    monkeypatch.setattr(held, "RIDE_AFTER", 0.0)  # (its flush failed, or never came)

    def refuse(spent: Any) -> None:
        raise RuntimeError("over budget")
    with pytest.raises(RuntimeError, match="over budget"):
        memory.reserve(_attempt(), refuse)
    assert _status(memory, first) == ("settled", to_nano(0.001))
    with memory.engine.connect() as conn:
        assert len(conn.execute(select(attempts.c.id)).all()) == 1  # the refused one: no row
    memory.close()


def test_a_settlement_written_at_once_takes_the_deferred_with_it(tmp_path: Path) -> None:
    memory, a, b = _two_reserved_one_deferred(tmp_path)
    _answered(memory, b, 0.002)
    memory.settle(b)  # the gateway's last answer in flight: nothing left to wait for
    assert _status(memory, a) == ("settled", to_nano(0.001))
    assert _status(memory, b) == ("settled", to_nano(0.002))
    memory.close()


def test_a_failed_transaction_gives_the_deferred_back_and_flush_or_close_writes_them(
        tmp_path: Path) -> None:
    memory, a, b = _two_reserved_one_deferred(tmp_path)
    with pytest.raises(ZeroDivisionError):
        with held.writing(memory.engine, flushing=True):
            1 / 0
    assert _status(memory, a)[0] == "pending"  # rolled back with it, and queued again
    memory.flush()
    assert _status(memory, a) == ("settled", to_nano(0.001))
    _answered(memory, b, 0.003)
    memory.settle(b, soon=True)
    memory.close()  # a process that stops writes what it deferred
    again = Memory(f"sqlite:///{tmp_path}/l.db")
    assert _status(again, b) == ("settled", to_nano(0.003))
    again.close()


def test_a_kill_before_the_deferred_commit_is_settled_by_the_sweep_from_the_kept_answer(
        deepseek_stub: Any, provider_env: Any, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'gw.db'}"
    settings = load_settings(None, {"quality": {"judge_model": ""}})
    gw = Gateway(settings, Memory(url))
    backend = gw.router.registry.get("chat_simple", "budget")
    assert backend is not None
    a = Attempt(task_type="chat_simple", route="budget", backend=backend.name, success=False,
                cost_nano=0, baseline_nano=0, channel="app", run_id="gw-killed",
                stage="chat_simple", max_cost_nano=to_nano(0.01),
                created_at=time.time() - 7200)
    gw.memory.reserve(a, lambda spent: None)
    body = {"id": "chatcmpl-1", "object": "chat.completion", "created": 1,
            "model": "deepseek-flash", "choices": [{"index": 0, "finish_reason": "stop",
                                                    "message": {"role": "assistant",
                                                                "content": "calm"}}],
            "usage": {"prompt_tokens": 1000, "completion_tokens": 500, "total_tokens": 1500}}
    log = WireLog(gw.memory.engine, a.id or 0)
    log.sending()
    log.answered(200, {"content-type": "application/json"}, json.dumps(body).encode())
    a.success, a.cost_nano, a.checked = True, 1234, True
    gw.memory.settle(a, also=log.forget, soon=True)
    held._QUEUED.pop(gw.memory.engine, None)  # the process killed before anything wrote it
    assert _status(gw.memory, a)[0] == "pending"
    assert asyncio.run(sweep(gw)) == {"released": 0, "settled": 1, "unknown": 0, "waiting": 0}
    status, cost = _status(gw.memory, a)
    assert status == "settled" and cost > 0  # what the provider billed for the kept answer
    gw.close()


def test_concurrent_gateway_answers_defer_and_every_row_is_settled_when_they_end(
        deepseek_stub: Any, provider_env: Any, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    gateway = Gateway(load_settings(None, {"quality": {"judge_model": ""}}),
                      Memory(f"sqlite:///{tmp_path / 'gw.db'}"))
    found = gateway.keys.find(gateway.keys.create("app"))
    assert found is not None
    deferred: list[bool] = []
    real = Memory.settle

    def spy(self: Memory, *args: Any, **kw: Any) -> bool:
        deferred.append(bool(kw.get("soon")))
        return real(self, *args, **kw)
    monkeypatch.setattr(Memory, "settle", spy)

    async def main() -> list[Any]:
        answers = await asyncio.gather(*(gateway.complete(found, Request(
            model="archibald/auto:cheap", max_tokens=64,
            messages=[{"role": "user", "content": f"Say hello {i}."}])) for i in range(6)))
        for answer in answers:  # sent one after another; the others still in flight
            answer.finish()
        await gateway.close_clients()
        return list(answers)
    try:
        answers = asyncio.run(main())
        with gateway.memory.engine.connect() as conn:
            rows = conn.execute(select(attempts.c.status, attempts.c.cost_nano)).all()
        assert [s for s, _ in rows] == ["settled"] * 6
        assert sum(c for _, c in rows) == sum(a.cost_nano for a in answers) > 0
        assert deferred == [True] * 5 + [False]  # the last, alone, written at once (with all)
        assert _wire_rows(gateway.memory) == 0
    finally:
        gateway.close()


def test_a_timed_flush_leaves_writes_younger_than_its_wait_to_their_own_flush(
        tmp_path: Path) -> None:
    memory = Memory(f"sqlite:///{tmp_path}/l.db")
    a = _attempt()
    memory.reserve(a, lambda spent: None)
    _answered(memory, a, 0.001)
    memory.settle(a, soon=True)
    memory.flush(waited=60.0)  # queued a moment ago: a flush scheduled for older writes
    assert _status(memory, a)[0] == "pending"
    time.sleep(0.02)
    memory.flush(waited=0.01)
    assert _status(memory, a) == ("settled", to_nano(0.001))
    memory.close()


def test_a_regrade_finds_an_answer_whose_settlement_was_still_waiting(tmp_path: Path) -> None:
    memory = Memory(f"sqlite:///{tmp_path}/l.db")
    a = _attempt()
    memory.reserve(a, lambda spent: None)
    _answered(memory, a, 0.001)
    memory.settle(a, soon=True)
    found = memory.regrade(a.id or 0, 0.2, "human")  # a verdict the moment it was sent
    assert found is not None and found.quality == 0.2
    memory.close()
