"""Committed money by channel and day (archibald.store.spend) always equals the sum of the
ledger's rows, whatever writes them: the router's reservations and settlements, calls held
unknown, corrections, raw SQL and deletions, on SQLite and on PostgreSQL; a ledger written
before the table existed is summed when it is migrated."""

from __future__ import annotations

import random
import time

from sqlalchemy import text

from archibald.store.ledger import Attempt
from archibald.store.memory import Memory
from archibald.store.rows import _spent_of
from archibald.store.spend import DAY
from test_memory import memory  # noqa: F401 - the SQLite and PostgreSQL fixture

CHANNELS = ("default", "key:alpha", "key:beta")


def _attempt(rng: random.Random, now: float) -> Attempt:
    return Attempt(task_type="chat", route=rng.choice(["budget", "premium"]), backend="b",
                   success=False, cost_nano=0, baseline_nano=0, channel=rng.choice(CHANNELS),
                   run_id=f"run-{rng.randrange(3)}", stage="s", model="m",
                   max_cost_nano=rng.randrange(0, 5_000), reason="test", price_source="test",
                   created_at=now - rng.randrange(0, 40) * DAY - rng.random() * DAY)


def _from_rows(m: Memory, **filters: object) -> int:
    values = {k: v for k, v in filters.items() if v is not None}
    with m.engine.connect() as conn:
        return int(conn.execute(_spent_of(tuple(sorted(values))), values).scalar_one())


def _check(m: Memory, now: float) -> None:
    midnight = (now // DAY) * DAY
    month = midnight - 20 * DAY
    for channel in (None, *CHANNELS):
        for since in (None, midnight, month):
            assert m.spent_nano(since=since, channel=channel) == \
                _from_rows(m, since=since, channel=channel), (channel, since)


def test_days_sums_equal_the_rows_through_every_kind_of_write(memory: Memory) -> None:  # noqa: F811
    rng = random.Random(7)
    now = time.time()
    live: list[Attempt] = []
    for step in range(300):
        op = rng.random()
        if op < 0.45 or not live:
            a = _attempt(rng, now)
            memory.reserve(a, lambda spent: None)
            live.append(a)
        elif op < 0.7:  # settled below, at or above its maximum
            a = rng.choice(live)
            a.cost_nano = rng.randrange(0, 2 * a.max_cost_nano + 2)
            a.checked, a.success = True, True
            memory.settle(a)
        elif op < 0.8:
            a = rng.choice(live)
            if a.status == "pending":
                memory.mark_unknown(a)
        elif op < 0.9:  # a correction by hand, in SQL
            a = rng.choice(live)
            with memory.engine.begin() as conn:
                conn.execute(text("UPDATE attempts SET cost_nano = :c WHERE id = :i"),
                             {"c": rng.randrange(0, 9_000), "i": a.id})
        else:
            a = live.pop(rng.randrange(len(live)))
            with memory.engine.begin() as conn:
                conn.execute(text("DELETE FROM attempts WHERE id = :i"), {"i": a.id})
        if step % 25 == 0:
            _check(memory, now)
    _check(memory, now)
    with memory.engine.connect() as conn:
        total = conn.execute(text("SELECT COALESCE(SUM(committed_nano), 0) FROM spend_days"))
        assert int(total.scalar_one()) == _from_rows(memory)


def test_a_ledger_from_before_the_days_is_summed_when_migrated(memory: Memory) -> None:  # noqa: F811
    rng = random.Random(3)
    now = time.time()
    for _ in range(40):
        a = _attempt(rng, now)
        memory.reserve(a, lambda spent: None)
        if rng.random() < 0.5:
            a.cost_nano, a.checked = rng.randrange(0, 9_000), True
            memory.settle(a)
    # as a ledger written before migration 0013: no table, no triggers, then migrated
    with memory.engine.begin() as conn:
        conn.execute(text("DROP TABLE spend_days"))
        if memory.engine.dialect.name == "sqlite":
            for name in ("insert", "delete", "update"):
                conn.execute(text(f"DROP TRIGGER spend_days_{name}"))
        else:
            for name in ("write", "update"):
                conn.execute(text(f"DROP TRIGGER spend_days_{name} ON attempts"))
        conn.execute(text("DELETE FROM schema_migrations WHERE name = '0013_spend_days'"))
    memory.close()
    again = Memory(memory.url)
    try:
        _check(again, now)
        a = _attempt(rng, now)  # and the triggers are back
        again.reserve(a, lambda spent: None)
        _check(again, now)
    finally:
        again.close()


def test_a_budget_sum_reads_the_days_not_the_rows() -> None:
    from archibald.store.rows import spent_query

    midnight = (time.time() // DAY) * DAY
    for filters in ({}, {"channel": "key:a"}, {"since": midnight},
                    {"since": midnight, "channel": "key:a"}):
        stmt, _ = spent_query(**filters)
        assert "spend_days" in str(stmt) and "attempts" not in str(stmt), filters
    for filters in ({"run_id": "r"}, {"since": midnight + 5}, {"task_type": "chat"}):
        stmt, _ = spent_query(**filters)
        assert "FROM attempts" in str(stmt), filters
