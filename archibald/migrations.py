"""Named, append-only schema migrations. Never edit one that has shipped: add a new one."""

from __future__ import annotations

import time
from typing import Callable

from sqlalchemy import (
    BigInteger, Boolean, Column, Float, Index, Integer, MetaData, String, Table, Text, select,
)
from sqlalchemy.engine import Connection

__all__ = ["MIGRATIONS", "migrate", "metadata", "attempts", "route_stats", "memory_items", "runs",
           "batch_jobs", "batch_items"]

metadata = MetaData()

applied = Table(
    "schema_migrations", metadata,
    Column("name", String(100), primary_key=True),
    Column("applied_at", Float, nullable=False),
)

attempts = Table(
    "attempts", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(64), nullable=False, default=""),
    Column("stage", String(64), nullable=False, default=""),
    Column("task_type", String(64), nullable=False),
    Column("channel", String(64), nullable=False),
    Column("route", String(16), nullable=False),
    Column("backend", String(128), nullable=False),
    Column("model", String(128)),
    Column("success", Boolean, nullable=False),
    Column("quality", Float),
    Column("cost_nano", BigInteger, nullable=False),
    Column("baseline_nano", BigInteger, nullable=False),
    Column("seconds", Float, nullable=False),
    Column("usage", Text, nullable=False, default="{}"),
    Column("error", Text),
    Column("reason", Text, nullable=False, default=""),
    Column("config_digest", String(32), nullable=False, default=""),
    Column("price_source", Text, nullable=False, default=""),
    Column("created_at", Float, nullable=False),
    Index("ix_attempts_type_channel_route", "task_type", "channel", "route"),
    Index("ix_attempts_run", "run_id"),
    Index("ix_attempts_created", "created_at"),
    Index("ix_attempts_channel_created", "channel", "created_at"),
)

# One row per task type x channel x route, updated with every attempt in the same transaction,
# so the router reads its numbers with a primary-key lookup instead of scanning attempts.
route_stats = Table(
    "route_stats", metadata,
    Column("task_type", String(64), primary_key=True),
    Column("channel", String(64), primary_key=True),
    Column("route", String(16), primary_key=True),
    Column("n", Integer, nullable=False),
    Column("successes", Integer, nullable=False),
    Column("quality_n", Integer, nullable=False),
    Column("quality_sum", Float, nullable=False),
    Column("cost_nano_sum", BigInteger, nullable=False),
    Column("baseline_nano_sum", BigInteger, nullable=False),
    Column("seconds_sum", Float, nullable=False),
    # exponentially decayed evidence (half-life from settings), as of decayed_at
    Column("w", Float, nullable=False),
    Column("w_success", Float, nullable=False),
    Column("w_quality", Float, nullable=False),
    Column("w_quality_sq", Float, nullable=False),
    Column("w_cost", Float, nullable=False),
    Column("decayed_at", Float, nullable=False),
)

memory_items = Table(
    "memory_items", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(64), nullable=False),
    Column("channel", String(64), nullable=False),
    Column("key", String(128), nullable=False),
    Column("payload", Text, nullable=False),
    Column("score", Float, nullable=False),
    Column("created_at", Float, nullable=False),
    Index("ix_memory_items_kind_channel_score", "kind", "channel", "score"),
)

runs = Table(
    "runs", metadata,
    Column("run_id", String(64), primary_key=True),
    Column("pipeline", String(64), nullable=False),
    Column("channel", String(64), nullable=False),
    Column("topic", Text, nullable=False, default=""),
    Column("status", String(16), nullable=False),
    Column("cost_nano", BigInteger, nullable=False, default=0),
    Column("baseline_nano", BigInteger, nullable=False, default=0),
    Column("seconds", Float, nullable=False, default=0.0),
    Column("started_at", Float, nullable=False),
    Column("finished_at", Float),
    Index("ix_runs_channel_started", "channel", "started_at"),
)


# Provider batch jobs (archibald.backends.batchapi): written before the create call, so a crash
# between submit and result polls the same batch instead of submitting again.
batch_jobs = Table(
    "batch_jobs", metadata,
    Column("job_key", String(64), primary_key=True),
    Column("provider", String(32), nullable=False),
    Column("model", String(128), nullable=False),
    Column("batch_id", String(128)),
    Column("state", String(16), nullable=False),  # submitting|submitted|ended|failed|unknown
    Column("deadline", Float, nullable=False),
    Column("created_at", Float, nullable=False),
)

batch_items = Table(
    "batch_items", metadata,
    Column("custom_id", String(64), primary_key=True),
    Column("job_key", String(64), nullable=False),
    Column("state", String(16), nullable=False),  # submitted|succeeded|errored|canceled|expired
    Column("result", Text),
    Column("updated_at", Float, nullable=False),
    Index("ix_batch_items_job", "job_key"),
)


def _m0001_attempts(conn: Connection) -> None:
    attempts.create(conn)  # with its indexes


def _m0002_route_stats(conn: Connection) -> None:
    route_stats.create(conn)


def _m0003_memory_items(conn: Connection) -> None:
    memory_items.create(conn)


def _m0004_runs(conn: Connection) -> None:
    runs.create(conn)


def _m0005_batch_jobs(conn: Connection) -> None:
    batch_jobs.create(conn)
    batch_items.create(conn)  # with its index


MIGRATIONS: list[tuple[str, Callable[[Connection], None]]] = [
    ("0001_attempts", _m0001_attempts),
    ("0002_route_stats", _m0002_route_stats),
    ("0003_memory_items", _m0003_memory_items),
    ("0004_runs", _m0004_runs),
    ("0005_batch_jobs", _m0005_batch_jobs),
]


def migrate(conn: Connection) -> list[str]:
    """Apply every migration not yet applied, in order; returns the names applied now."""
    applied.create(conn, checkfirst=True)
    done = set(conn.execute(select(applied.c.name)).scalars())
    new = []
    for name, fn in MIGRATIONS:
        if name not in done:
            fn(conn)
            conn.execute(applied.insert().values(name=name, applied_at=time.time()))
            new.append(name)
    return new
