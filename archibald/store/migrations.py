"""Named, append-only schema migrations. Never edit one that has shipped: add a new one."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any, Callable

from sqlalchemy import (
    BigInteger, Boolean, Column, Float, Index, Integer, LargeBinary, MetaData, String, Table,
    Text, inspect, select, update,
)
from sqlalchemy.engine import Connection

__all__ = ["MIGRATIONS", "migrate", "metadata", "attempts", "route_stats", "memory_items", "runs",
           "budget_lock", "batch_jobs", "batch_items", "gateway_keys", "gateway_files",
           "gateway_batches", "gateway_minutes", "wire", "publish_queue", "schedule_slots",
           "studio_jobs", "studio_logins"]

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
    # 0005_money_pending: the write-ahead ledger (see archibald.store.ledger.Attempt)
    Column("status", String(16), nullable=False, default="settled"),
    Column("idempotency_key", String(300), nullable=False, default=""),
    Column("request_id", String(200), nullable=False, default=""),
    Column("max_cost_nano", BigInteger, nullable=False, default=0),
    Column("input_key", String(64), nullable=False, default=""),
    Column("checked", Boolean, nullable=False, default=True),
    Column("outcome", Text),
    # added by 0007_quality_evidence: why the call was made, where its quality figure came from
    Column("purpose", String(16), nullable=False, default="production",
           server_default="production"),
    Column("evidence", String(16), nullable=False, default="", server_default=""),
    Index("ix_attempts_type_channel_route", "task_type", "channel", "route"),
    # ix_attempts_run (run_id alone) was dropped by 0014: ix_attempts_run_stage_status leads
    # with run_id and serves the same lookups; each index is one more page an insert writes
    Index("ix_attempts_created", "created_at"),
    Index("ix_attempts_channel_created", "channel", "created_at"),
    Index("ix_attempts_run_stage_status", "run_id", "stage", "status"),
    # added by 0007_quality_evidence: shadow pairs are few; find them without a scan
    Index("ix_attempts_evidence_type", "evidence", "task_type"),
    # added by 0012_studio: review pairs (answers to the same task)
    Index("ix_attempts_type_input", "task_type", "input_key"),
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
    # added by 0007_quality_evidence: quality_* and w_quality* count evidence only (route-blind
    # check, judge, shadow pair); w_evidence is its decayed count, unjudged the outcomes without
    Column("w_evidence", Float, nullable=False, default=0.0, server_default="0"),
    Column("unjudged", Integer, nullable=False, default=0, server_default="0"),
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

# One row that every budget reservation updates first, in the same transaction as its check
# and its pending attempt: the row lock serialises reservations across processes (SQLite takes
# its write lock, PostgreSQL the row lock), so two runs cannot both fit under one limit.
budget_lock = Table(
    "budget_lock", metadata,
    Column("id", Integer, primary_key=True),
    Column("version", BigInteger, nullable=False),
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
    Column("minutes", Float),  # the video's length: added by 0005_savings_run_minutes
    Column("out", Text),  # the run's folder: added by 0012_studio
    Index("ix_runs_channel_started", "channel", "started_at"),
    # added by 0012_studio: the studio's runs list, newest first, by status
    Index("ix_runs_started", "started_at"),
    Index("ix_runs_status_started", "status", "started_at"),
)


# Provider batch jobs (archibald.providers.backends.batchapi): written before the create call, so a crash
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


# The gateway's virtual keys (archibald keys create): only a hash of each key is kept; its
# spend is the ledger's rows on the channel "key:NAME", so its budgets are reservations there.
gateway_keys = Table(
    "gateway_keys", metadata,
    Column("name", String(64), primary_key=True),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("prefix", String(16), nullable=False),
    Column("budget_usd", Float),
    Column("per_day_usd", Float),
    Column("rpm", Integer),
    Column("created_at", Float, nullable=False),
    Column("revoked_at", Float),
)


# The gateway's Batch API (archibald.serve.gateway.batches): the files apps upload (a batch's
# input, its output and error files), and each batch with the worker running it; its lines'
# calls are the ledger's rows of the run "gwb-<batch id>".
gateway_files = Table(
    "gateway_files", metadata,
    Column("id", String(40), primary_key=True),
    Column("owner", String(64), nullable=False),   # the key's name
    Column("purpose", String(32), nullable=False),
    Column("filename", String(255), nullable=False),
    Column("bytes", BigInteger, nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("created_at", Float, nullable=False),
)

gateway_batches = Table(
    "gateway_batches", metadata,
    Column("id", String(40), primary_key=True),
    Column("owner", String(64), nullable=False),
    Column("input_file_id", String(40), nullable=False),
    Column("endpoint", String(64), nullable=False),
    Column("completion_window", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("metadata", Text, nullable=False, default="{}"),
    Column("output_file_id", String(40)),
    Column("error_file_id", String(40)),
    Column("total", Integer, nullable=False, default=0),
    Column("completed", Integer, nullable=False, default=0),
    Column("failed", Integer, nullable=False, default=0),
    Column("created_at", Float, nullable=False),
    Column("in_progress_at", Float),
    Column("completed_at", Float),
    Column("cancelled_at", Float),
    Column("expires_at", Float, nullable=False),
    # the worker running it and when it last said so: a batch whose worker fell silent is
    # taken over by another
    Column("worker", String(64)),
    Column("beat_at", Float),
    Index("ix_gateway_batches_status", "status"),
)


# Requests per minute of each gateway key, counted by every worker in one place (a fixed
# window per UTC minute), so --workers N does not multiply a key's rpm.
gateway_minutes = Table(
    "gateway_minutes", metadata,
    Column("name", String(64), primary_key=True),
    Column("minute", BigInteger, primary_key=True),
    Column("calls", Integer, nullable=False),
)


# What a pending chat call did on the wire (see archibald.store.writeahead): no row while the
# request has not left the process; "sent" once it may have; "answered" with the answer's raw
# bytes, written before anything parses them; "failed" for an error status (nothing billed).
wire = Table(
    "wire", metadata,
    Column("attempt_id", Integer, primary_key=True),
    Column("state", String(16), nullable=False),  # sent|answered|failed
    Column("status", Integer),
    Column("headers", Text),
    Column("body", LargeBinary),
    Column("sent_at", Float, nullable=False),
)


# -- the studio (added by 0012_studio) ---------------------------------------------------------
# A finished video waiting for a person ([publish] review = true): ready -> approved/uploaded,
# scheduled (uploaded with publishAt) or rejected (with the reason, nothing uploaded).
publish_queue = Table(
    "publish_queue", metadata,
    Column("run_id", String(64), primary_key=True),
    Column("state", String(16), nullable=False),  # ready|uploading|uploaded|rejected|failed
    Column("publish_dir", Text, nullable=False),
    Column("reason", Text, nullable=False, default=""),
    Column("publish_at", String(40)),
    Column("video_id", String(64)),
    Column("url", Text),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Index("ix_publish_queue_state", "state", "created_at"),
)

# One row per schedule slot, inserted by whichever process claims the slot first: the primary
# key is the lease, so a slot runs once across workers, servers and restarts.
schedule_slots = Table(
    "schedule_slots", metadata,
    Column("schedule", String(64), primary_key=True),
    Column("slot", Float, primary_key=True),  # the slot's time, epoch seconds (UTC)
    Column("state", String(16), nullable=False),  # running|done|failed|skipped
    Column("owner", String(128), nullable=False, default=""),
    Column("job_id", String(40)),
    Column("claimed_at", Float, nullable=False),
    Column("finished_at", Float),
    Column("detail", Text, nullable=False, default=""),
)

# Work the studio started (a run, a batch): its progress for every worker's live view, and a
# cancel request any worker can make and the owning worker acts on.
studio_jobs = Table(
    "studio_jobs", metadata,
    Column("job_id", String(40), primary_key=True),
    Column("kind", String(16), nullable=False),  # run|batch
    Column("run_id", String(64)),  # a run job's run
    Column("title", Text, nullable=False, default=""),
    Column("spec", Text, nullable=False),  # JSON: what to run
    Column("state", String(16), nullable=False),  # running|done|failed|cancelled
    Column("progress", Text, nullable=False, default="{}"),  # JSON: stages or items
    Column("cancel", Boolean, nullable=False, default=False),
    Column("owner", String(128), nullable=False, default=""),
    Column("error", Text, nullable=False, default=""),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Index("ix_studio_jobs_created", "created_at"),
    Index("ix_studio_jobs_run", "run_id"),
)

# One-time login links already used (digests, never the token itself).
studio_logins = Table(
    "studio_logins", metadata,
    Column("token_digest", String(64), primary_key=True),
    Column("used_at", Float, nullable=False),
)


def _m0001_attempts(conn: Connection) -> None:
    attempts.create(conn)  # with its indexes


def _m0002_route_stats(conn: Connection) -> None:
    route_stats.create(conn)


def _m0003_memory_items(conn: Connection) -> None:
    memory_items.create(conn)


def _m0004_runs(conn: Connection) -> None:
    runs.create(conn)


def _add_missing(conn: Connection, table: Table, names: Iterable[str]) -> None:
    """ALTER TABLE ADD COLUMN for each of ``names`` the table does not have yet (a database
    created after the column joined the table definition already has it). A column with a
    default gets NOT NULL DEFAULT it (the server default, else the Python one), so existing
    rows take it; one without stays nullable."""
    have = {c["name"] for c in inspect(conn).get_columns(table.name)}
    for name in names:
        if name in have:
            continue
        col = table.c[name]
        kind = col.type.compile(dialect=conn.dialect)
        conn.exec_driver_sql(f"ALTER TABLE {table.name} ADD COLUMN {name} {kind}"
                             f"{_default_clause(col, conn.dialect.name)}")


def _default_clause(col: Column[Any], dialect: str) -> str:
    if col.server_default is not None:
        return f" NOT NULL DEFAULT '{getattr(col.server_default, 'arg', '')}'"
    default = col.default.arg if col.default is not None else None  # type: ignore[attr-defined]
    if default is None:
        return ""
    if isinstance(default, bool):
        literal = ("true" if default else "false") if dialect == "postgresql" \
            else ("1" if default else "0")
    else:
        literal = str(default) if isinstance(default, int) else f"'{default}'"
    return f" NOT NULL DEFAULT {literal}"


def _m0005_money_pending(conn: Connection) -> None:
    """The write-ahead columns of ``attempts`` and the budget lock row.

    A database made by 0001 after these columns joined the table already has them, so each is
    added only when missing; existing rows are settled, checked attempts.
    """
    _add_missing(conn, attempts, [col.name for col in attempts.columns])
    for index in attempts.indexes:
        index.create(conn, checkfirst=True)
    budget_lock.create(conn)
    conn.execute(budget_lock.insert().values(id=1, version=0))


def _m0006_savings_run_minutes(conn: Connection) -> None:
    """runs.minutes: forecasts scale cost and time by the video's length."""
    _add_missing(conn, runs, ["minutes"])


def _m0007_quality_evidence(conn: Connection) -> None:
    """Purpose and evidence of every attempt. Quality figures recorded before this were each
    route's own grade of its work: they stay in the ledger as "unjudged" and leave the
    statistics the router learns from."""
    _add_missing(conn, attempts, ("purpose", "evidence"))
    _add_missing(conn, route_stats, ("w_evidence", "unjudged"))
    next(i for i in attempts.indexes if i.name == "ix_attempts_evidence_type").create(
        conn, checkfirst=True)
    conn.execute(update(attempts).where(attempts.c.evidence == "", attempts.c.success.is_(True))
                 .values(evidence="unjudged"))
    conn.execute(update(route_stats).where(route_stats.c.w_evidence == 0.0).values(
        unjudged=route_stats.c.successes, quality_n=0, quality_sum=0.0, w_quality=0.0,
        w_quality_sq=0.0))


def _m0008_batch_jobs(conn: Connection) -> None:
    batch_jobs.create(conn, checkfirst=True)
    batch_items.create(conn, checkfirst=True)  # with its index


def _m0009_gateway_keys(conn: Connection) -> None:
    gateway_keys.create(conn, checkfirst=True)


def _m0010_wire(conn: Connection) -> None:
    wire.create(conn, checkfirst=True)


def _m0011_gateway_batches(conn: Connection) -> None:
    gateway_files.create(conn, checkfirst=True)
    gateway_batches.create(conn, checkfirst=True)  # with its index
    gateway_minutes.create(conn, checkfirst=True)


def _m0012_studio(conn: Connection) -> None:
    """The studio: each run's folder, the publish queue, schedule slot leases, studio jobs,
    used login links; indexes for its pages (runs newest first, review pairs by input)."""
    _add_missing(conn, runs, ["out"])
    for index in runs.indexes:
        index.create(conn, checkfirst=True)
    for table in (publish_queue, schedule_slots, studio_jobs, studio_logins):
        table.create(conn, checkfirst=True)
    for index in attempts.indexes:
        if index.name == "ix_attempts_type_input":
            index.create(conn, checkfirst=True)


#: seconds in a day: spend_days sums committed money by UTC day
DAY = 86400

spend_days = Table(
    "spend_days", metadata,
    Column("channel", String(120), primary_key=True),
    Column("day", Integer, primary_key=True),  # UTC days since 1970-01-01
    Column("committed_nano", BigInteger, nullable=False, default=0),
)


def _committed(row: str) -> str:
    return (f"CASE WHEN {row}.status = 'settled' THEN {row}.cost_nano "
            f"WHEN {row}.cost_nano > {row}.max_cost_nano THEN {row}.cost_nano "
            f"ELSE {row}.max_cost_nano END")


_CHANGED = ("OLD.status IS NOT NEW.status OR OLD.cost_nano IS NOT NEW.cost_nano "
            "OR OLD.max_cost_nano IS NOT NEW.max_cost_nano OR OLD.channel IS NOT NEW.channel "
            "OR OLD.created_at IS NOT NEW.created_at")


def _day(row: str, dialect: str) -> str:
    """The UTC day of a row's created_at (seconds since 1970, never negative)."""
    if dialect == "postgresql":
        return f"floor({row}.created_at / {DAY})::integer"
    return f"CAST({row}.created_at / {DAY} AS INTEGER)"


def _add(row: str, sign: str, dialect: str) -> str:
    """Add (sign "+") or take back ("-") a row's committed amount in its day's sum."""
    table = "spend_days." if dialect == "postgresql" else ""
    return (f"INSERT INTO spend_days (channel, day, committed_nano) VALUES ({row}.channel, "
            f"{_day(row, dialect)}, {sign}({_committed(row)})) "
            f"ON CONFLICT (channel, day) DO UPDATE SET "
            f"committed_nano = {table}committed_nano + excluded.committed_nano;")


def _sqlite_add(row: str, sign: str) -> str:
    return _add(row, sign, "sqlite")


def _sqlite(conn: Connection) -> None:
    conn.exec_driver_sql(f"CREATE TRIGGER spend_days_insert AFTER INSERT ON attempts BEGIN "
                         f"{_sqlite_add('NEW', '+')} END")
    conn.exec_driver_sql(f"CREATE TRIGGER spend_days_delete AFTER DELETE ON attempts BEGIN "
                         f"{_sqlite_add('OLD', '-')} END")
    conn.exec_driver_sql(f"CREATE TRIGGER spend_days_update AFTER UPDATE ON attempts "
                         f"WHEN {_CHANGED} BEGIN {_sqlite_add('OLD', '-')} "
                         f"{_sqlite_add('NEW', '+')} END")


def _pg_add(row: str, sign: str) -> str:
    return _add(row, sign, "postgresql")


def _postgresql(conn: Connection) -> None:
    conn.exec_driver_sql(
        "CREATE OR REPLACE FUNCTION archibald_spend_days() RETURNS trigger AS $$ BEGIN "
        f"IF TG_OP IN ('UPDATE', 'DELETE') THEN {_pg_add('OLD', '-')} END IF; "
        f"IF TG_OP IN ('UPDATE', 'INSERT') THEN {_pg_add('NEW', '+')} END IF; "
        "RETURN NULL; END $$ LANGUAGE plpgsql")
    conn.exec_driver_sql("CREATE TRIGGER spend_days_write AFTER INSERT OR DELETE ON attempts "
                         "FOR EACH ROW EXECUTE FUNCTION archibald_spend_days()")
    conn.exec_driver_sql("CREATE TRIGGER spend_days_update AFTER UPDATE ON attempts "
                         f"FOR EACH ROW WHEN ({_CHANGED.replace('IS NOT', 'IS DISTINCT FROM')})"
                         " EXECUTE FUNCTION archibald_spend_days()")


def _m0013_spend_days(conn: Connection) -> None:
    """Committed money by channel and UTC day (archibald.store.spend): the table, its
    triggers, and the sums of the rows already in the ledger (under the migration lock, so no
    row is written meanwhile)."""
    spend_days.create(conn, checkfirst=True)
    if conn.dialect.name == "postgresql":
        _postgresql(conn)
    else:
        _sqlite(conn)
    conn.exec_driver_sql(
        f"INSERT INTO spend_days (channel, day, committed_nano) SELECT a.channel, "
        f"{_day('a', conn.dialect.name)}, SUM({_committed('a')}) FROM attempts a GROUP BY 1, 2")


def _m0014_drop_run_index(conn: Connection) -> None:
    """A run's rows are found through ix_attempts_run_stage_status (run_id first); the index
    on run_id alone only made every insert write one more page."""
    conn.exec_driver_sql("DROP INDEX IF EXISTS ix_attempts_run")


MIGRATIONS: list[tuple[str, Callable[[Connection], None]]] = [
    ("0001_attempts", _m0001_attempts),
    ("0002_route_stats", _m0002_route_stats),
    ("0003_memory_items", _m0003_memory_items),
    ("0004_runs", _m0004_runs),
    ("0005_money_pending", _m0005_money_pending),
    ("0006_savings_run_minutes", _m0006_savings_run_minutes),
    ("0007_quality_evidence", _m0007_quality_evidence),
    ("0008_batch_jobs", _m0008_batch_jobs),
    ("0009_gateway_keys", _m0009_gateway_keys),
    ("0010_wire", _m0010_wire),
    ("0011_gateway_batches", _m0011_gateway_batches),
    ("0012_studio", _m0012_studio),
    ("0013_spend_days", _m0013_spend_days),
    ("0014_drop_run_index", _m0014_drop_run_index),
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
