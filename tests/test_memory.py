"""The outcome store on SQLite and, for real, on PostgreSQL."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Iterator

import pytest
from hypothesis import given, settings, strategies as st
from sqlalchemy import inspect, text

from archibald.store.ledger import Attempt, to_nano, total_nano
from archibald.store.memory import Memory
from archibald.store.migrations import MIGRATIONS
from pg_helpers import pg_url, reset_pg


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def memory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Memory]:
    if request.param == "sqlite":
        m = Memory(f"sqlite:///{tmp_path / 'mem.db'}")
        yield m
        m.close()
    else:
        url = pg_url()
        reset_pg(url)
        m = Memory(url)
        yield m
        m.close()
        reset_pg(url)


def test_migrations_are_named_applied_once_and_recorded(memory: Memory) -> None:
    with memory.engine.connect() as conn:
        names = [r[0] for r in conn.execute(text("SELECT name FROM schema_migrations "
                                                 "ORDER BY name"))]
    assert names == [name for name, _ in MIGRATIONS]
    again = Memory(memory.url)  # opening again applies nothing twice
    with again.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM schema_migrations")).scalar() == len(
            MIGRATIONS)
    again.close()


def test_router_queries_are_indexed(memory: Memory) -> None:
    insp = inspect(memory.engine)
    idx = {tuple(i["column_names"]) for i in insp.get_indexes("attempts")}
    assert ("task_type", "channel", "route") in idx
    assert ("run_id", "stage", "status") in idx and ("channel", "created_at") in idx
    assert ("run_id",) not in idx  # a prefix of the one above: one more page an insert wrote
    if memory.engine.dialect.name == "sqlite":  # a run's rows are still found by an index
        with memory.engine.connect() as conn:  # (PostgreSQL's planner scans so few rows)
            plan = " ".join(str(r[-1]) for r in conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN SELECT * FROM attempts WHERE run_id = 'r'"))
        assert "USING INDEX ix_attempts_run_stage_status" in plan, plan
    pk = insp.get_pk_constraint("route_stats")["constrained_columns"]
    assert pk == ["task_type", "channel", "route"]


def test_stats_success_rate_quality_cost_savings(memory: Memory) -> None:
    for ok, q, cost in [(True, 0.9, 0.001), (True, 0.8, 0.003), (False, None, 0.002)]:
        memory.record(Attempt("script_review", "budget", "deepseek", ok, to_nano(cost),
                              to_nano(0.04) if ok else 0, channel="calm", quality=q,
                              evidence="check" if ok else ""))
    memory.record(Attempt("script_review", "budget", "deepseek", True, to_nano(0.001),
                          to_nano(0.04), channel="other", quality=1.0, evidence="check"))
    s = memory.route_stats("script_review", "calm")["budget"]
    assert (s.n, s.successes) == (3, 2)
    assert s.success_rate == pytest.approx(2 / 3)
    assert s.mean_quality == pytest.approx(0.85)
    assert s.mean_cost == pytest.approx(0.002)
    assert s.savings == pytest.approx(0.08 - 0.006)
    pooled = memory.route_stats("script_review")["budget"]
    assert pooled.n == 4 and pooled.successes == 3
    summary = memory.summary()
    assert summary["attempts"] == 4
    assert {(g["channel"], g["n"]) for g in summary["groups"]} == {("calm", 3), ("other", 1)}


def test_evidence_decays_with_age(tmp_path: Path) -> None:
    m = Memory(f"sqlite:///{tmp_path / 'd.db'}", half_life_days=1.0)
    now = time.time()
    m.record(Attempt("tts_qa", "budget", "b", True, 0, 0, created_at=now - 2 * 86400))
    s = m.route_stats("tts_qa", "default", now=now)["budget"]
    assert s.n == 1 and s.w == pytest.approx(0.25, rel=1e-6)


def test_spent_by_run_channel_and_time(memory: Memory) -> None:
    now = time.time()
    memory.record(Attempt("a", "premium", "x", True, to_nano(0.5), 0, channel="c1", run_id="r1",
                          created_at=now - 40 * 86400))
    memory.record(Attempt("a", "premium", "x", True, to_nano(0.25), 0, channel="c1", run_id="r2",
                          created_at=now))
    memory.record(Attempt("a", "budget", "y", True, to_nano(0.125), 0, channel="c2", run_id="r2",
                          created_at=now))
    assert memory.spent_nano() == to_nano(0.875)
    assert memory.spent_nano(run_id="r2") == to_nano(0.375)
    assert memory.spent_nano(since=now - 86400) == to_nano(0.375)
    assert memory.spent_nano(since=now - 86400, channel="c1") == to_nano(0.25)


def test_remembered_results_best_first(memory: Memory) -> None:
    assert memory.best("thumbnail_layout", "calm") is None
    memory.remember("thumbnail_layout", "calm", "a", {"layout": "left"}, 0.6)
    memory.remember("thumbnail_layout", "calm", "b", {"layout": "center"}, 0.9)
    memory.remember("thumbnail_layout", "other", "c", {"layout": "right"}, 1.0)
    best = memory.best("thumbnail_layout", "calm")
    assert best is not None and best["payload"] == {"layout": "center"}


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=50, allow_nan=False), max_size=40))
def test_ledger_total_is_always_the_sum_of_its_rows(costs: list[float]) -> None:
    rows = [to_nano(c) for c in costs]
    assert total_nano(rows) == sum(rows)
    # what the store sums is exactly what was recorded, whatever the amounts
    m = Memory("sqlite://")
    for i, nano in enumerate(rows):
        m.record(Attempt("t", "premium", "x", True, nano, nano, run_id="p", stage=f"s{i}"))
    assert m.spent_nano(run_id="p") == sum(rows)
    assert sum(a.cost_nano for a in m.attempts_of_run("p")) == sum(rows)
    m.close()


def test_database_errors_are_one_line_without_the_password() -> None:
    from archibald.errors import ConfigError

    with pytest.raises(ConfigError) as info:
        Memory("postgresql+psycopg://archibald:s3cret-pw@127.0.0.1:1/x")
    message = str(info.value)
    assert "\n" not in message and "s3cret-pw" not in message and "ARCHIBALD_DB" in message
    from archibald.store.memory import _plain

    said = _plain(ValueError("could not parse 'postgresql://archibald:s3cret-pw@db:5432/x'\n x"))
    assert said == "could not parse 'postgresql://archibald:***@db:5432/x' x"
