"""Committed money by channel and UTC day, kept by the database itself as the ledger changes.

A reservation sums what is committed under each budget that applies (this month's, a
channel's, a virtual key's total and today's) inside its transaction. Summed from the
``attempts`` rows, that is a scan of every row of the month on every call: a gateway that has
answered a million requests would read a million rows before each one. ``spend_days`` holds
the same sums per channel and UTC day, and triggers on ``attempts`` (SQLite's, and a PL/pgSQL
function on PostgreSQL) add each row's committed amount when it is written and move it when its
status or cost changes, in the writing transaction, whatever code or process writes the row. A
budget's sum then reads at most a channel's days. A row commits, as in
:data:`archibald.store.rows.COMMITTED`, its cost once settled, else its maximum (or its cost if
that is higher): the triggers use the same expression.

Sums by run or task type, or from a moment that is not a UTC midnight, still read the rows.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Column, Connection, Integer, String, Table, bindparam, \
    func, select

from .migrations import metadata

__all__ = ["spend_days", "DAY", "create_spend_days", "bucket_query"]

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


def create_spend_days(conn: Connection) -> None:
    """The table, its triggers, and the sums of the rows already in the ledger (migration
    0013; run under the migration lock, so no row is written meanwhile)."""
    spend_days.create(conn, checkfirst=True)
    if conn.dialect.name == "postgresql":
        _postgresql(conn)
    else:
        _sqlite(conn)
    conn.exec_driver_sql(
        f"INSERT INTO spend_days (channel, day, committed_nano) SELECT a.channel, "
        f"{_day('a', conn.dialect.name)}, SUM({_committed('a')}) FROM attempts a GROUP BY 1, 2")


def bucket_query(values: dict[str, Any]) -> tuple[Any, dict[str, Any]] | None:
    """The sum of committed money from ``spend_days`` for these filters (since, channel) and
    its parameters, or None when the rows must be read (a run, a task type, a moment that is
    not a UTC midnight)."""
    if set(values) - {"since", "channel"}:
        return None
    params = {"channel": values["channel"]} if "channel" in values else {}
    if "since" in values:
        since = float(values["since"])
        if since % DAY:
            return None
        params["since_day"] = int(since // DAY)
    return _buckets(tuple(sorted(values))), params


_BUCKETS: dict[tuple[str, ...], Any] = {}


def _buckets(filters: tuple[str, ...]) -> Any:
    found = _BUCKETS.get(filters)
    if found is None:
        stmt = select(func.coalesce(func.sum(spend_days.c.committed_nano), 0))
        if "since" in filters:
            stmt = stmt.where(spend_days.c.day >= bindparam("since_day"))
        if "channel" in filters:
            stmt = stmt.where(spend_days.c.channel == bindparam("channel"))
        found = _BUCKETS[filters] = stmt
    return found

