"""A ledger row and back: an :class:`~.ledger.Attempt` as the ``attempts`` table's columns,
a row as an Attempt, and the sum of committed money (settled costs plus the maxima still held)
by filter. Memory reads and writes through these."""

from __future__ import annotations

import json
from functools import lru_cache
from operator import itemgetter
from typing import Any, Callable

from sqlalchemy import and_, bindparam, case, func, select, update

from .ledger import Attempt
from .migrations import attempts, budget_lock, route_stats
from .spend import bucket_query

__all__ = ["_spent_stmt", "_row", "_attempt", "COMMITTED", "spent_query", "SETTLE_PENDING",
           "SETTLE_AGAIN", "LOCK_BUDGETS", "STATS_KEY", "STATS_UPDATE", "STATS_SELECT",
           "stats_insert", "INSERT_ATTEMPT", "IDENTITY", "run", "inserted_id"]

# The ledger's statements on the hot path (a reservation, a settlement, a route's statistics)
# are built once with bound parameters and given their values at execution: SQLAlchemy then
# neither builds a bound value per column nor walks them for its cache key on every call.

#: a pending (or any) row inserted: its id comes back with :func:`inserted_id`
INSERT_ATTEMPT = attempts.insert()
#: what a settlement never changes: which call a row is (SQLite rewrites an index's entry
#: for each column an UPDATE sets, changed or not; five of the attempts' seven indexes are on
#: these, so a settlement that leaves them out writes fewer pages)
IDENTITY = frozenset({"run_id", "stage", "task_type", "channel", "route", "backend",
                      "created_at", "idempotency_key", "input_key", "purpose",
                      "config_digest"})
#: a settled row written over its pending (or unchecked) self; SET from the parameters' keys
SETTLE_PENDING = update(attempts).where(attempts.c.id == bindparam("row_id"),
                                        attempts.c.checked.is_(False))
#: a row already checked (and folded): only corrected
SETTLE_AGAIN = update(attempts).where(attempts.c.id == bindparam("row_id"))
#: the budget lock row bumped: concurrent reservations queue on it
LOCK_BUDGETS = update(budget_lock).where(budget_lock.c.id == 1).values(
    version=budget_lock.c.version + 1)
#: a route's statistics row, by the parameters k_task_type, k_channel and k_route
STATS_KEY = and_(route_stats.c.task_type == bindparam("k_task_type"),
                 route_stats.c.channel == bindparam("k_channel"),
                 route_stats.c.route == bindparam("k_route"))


#: a route's statistics row written (SET from the parameters' keys) and read, locked
STATS_UPDATE = update(route_stats).where(STATS_KEY)
STATS_SELECT = select(route_stats).where(STATS_KEY).with_for_update()


@lru_cache(maxsize=4)
def stats_insert(dialect: str) -> Any:
    """The empty statistics row's insert, skipped when another process made it first (only
    the dialect in use is imported: PostgreSQL's took a SQLite server's first answer 33 ms)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(route_stats).on_conflict_do_nothing()
    from sqlalchemy.dialects import sqlite

    return sqlite.insert(route_stats).on_conflict_do_nothing()


#: what a row holds against budgets: its cost once settled, else the most it can cost
COMMITTED = case((attempts.c.status == "settled", attempts.c.cost_nano),
                  (attempts.c.cost_nano > attempts.c.max_cost_nano, attempts.c.cost_nano),
                  else_=attempts.c.max_cost_nano)


def _spent_stmt(*, since: float | None = None, channel: str | None = None,
                run_id: str | None = None, task_type: str | None = None) -> Any:
    """The sum of committed money under the given filters, its values bound."""
    stmt, values = spent_query(since=since, channel=channel, run_id=run_id,
                               task_type=task_type)
    return stmt.params(**values)


def spent_query(**given: Any) -> tuple[Any, dict[str, Any]]:
    """The sum of committed money under the filters given (since, channel, run_id,
    task_type; None: not filtered): a statement built once per set of filters, and its
    parameters."""
    values = {k: v for k, v in given.items() if v is not None}
    return bucket_query(values) or (_spent_of(tuple(sorted(values))), values)


@lru_cache(maxsize=32)
def _spent_of(filters: tuple[str, ...]) -> Any:
    stmt = select(func.coalesce(func.sum(COMMITTED), 0))
    for name in filters:
        column = attempts.c.created_at if name == "since" else attempts.c[name]
        stmt = stmt.where(column >= bindparam(name) if name == "since"
                          else column == bindparam(name))
    return stmt



def _row(a: Attempt) -> dict[str, Any]:
    """An attempt as an `attempts` row; a negative amount is a bug and is never stored."""
    if min(a.cost_nano, a.baseline_nano, a.max_cost_nano) < 0:
        raise ValueError(f"refusing to record a negative amount for {a.task_type} on "
                         f"{a.route}: cost {a.cost_nano}, baseline {a.baseline_nano}, "
                         f"maximum {a.max_cost_nano} nano-dollars")
    return {"run_id": a.run_id, "stage": a.stage, "task_type": a.task_type,
            "channel": a.channel, "route": a.route, "backend": a.backend, "model": a.model,
            "success": a.success, "quality": a.quality, "cost_nano": a.cost_nano,
            "baseline_nano": a.baseline_nano, "seconds": a.seconds,
            "usage": json.dumps(a.usage, sort_keys=True), "error": a.error, "reason": a.reason,
            "config_digest": a.config_digest, "price_source": a.price_source,
            "created_at": a.created_at, "status": a.status,
            "idempotency_key": a.idempotency_key, "request_id": a.request_id,
            "max_cost_nano": a.max_cost_nano, "input_key": a.input_key, "checked": a.checked,
            "purpose": a.purpose, "evidence": a.evidence}



def _attempt(r: Any) -> Attempt:
    return Attempt(task_type=r["task_type"], route=r["route"], backend=r["backend"],
                   success=bool(r["success"]), cost_nano=int(r["cost_nano"]),
                   baseline_nano=int(r["baseline_nano"]), channel=r["channel"],
                   run_id=r["run_id"], stage=r["stage"], model=r["model"], quality=r["quality"],
                   seconds=r["seconds"], usage=json.loads(r["usage"] or "{}"), error=r["error"],
                   reason=r["reason"], config_digest=r["config_digest"],
                   price_source=r["price_source"], created_at=r["created_at"], id=r["id"],
                   status=r["status"], idempotency_key=r["idempotency_key"],
                   request_id=r["request_id"], max_cost_nano=int(r["max_cost_nano"]),
                   input_key=r["input_key"], checked=bool(r["checked"]),
                   purpose=r["purpose"], evidence=r["evidence"])


#: a hot statement's SQLite text and parameter names in order, by statement and parameter
#: names (None: not one the driver can be handed as it is; run by SQLAlchemy)
_SQLITE: dict[tuple[Any, frozenset[str]],
              tuple[str, Callable[[dict[str, Any]], tuple[Any, ...]]] | None] = {}


def run(conn: Any, stmt: Any, params: dict[str, Any]) -> Any:
    """``conn.execute(stmt, params)`` for a statement built once (a module's constant); on
    SQLite its text is compiled once per set of parameter names and handed to the driver's
    own connection, in the same transaction (SQLAlchemy's, which commits or rolls it back). A
    ledger statement then costs the gateway's request a few microseconds of Python instead of
    about 40 (SQLAlchemy's compiled-cache lookup, parameter processing, and its result set-up
    on every call, even for ``exec_driver_sql``). Every value the ledger binds is one SQLite
    stores as given (text, numbers, bytes, booleans as 0/1), so nothing is converted; any
    statement that needs more (a value the parameters lack, an expanding IN) stays with
    SQLAlchemy, as does every statement on PostgreSQL. The result answers what the ledger
    asks of one: ``rowcount``, ``lastrowid``, ``scalar_one()``, ``mappings().first()``."""
    if conn.dialect.name != "sqlite":
        return conn.execute(stmt, params)
    key = (stmt, frozenset(params))
    if key not in _SQLITE:
        _SQLITE[key] = _plain(stmt, conn.dialect, params)
    plan = _SQLITE[key]
    if plan is None:
        return conn.execute(stmt, params)
    sql, values = plan
    return _Driven(conn.connection.dbapi_connection.execute(sql, values(params)))


class _Driven:
    """A statement's result straight from SQLite's cursor (see :func:`run`)."""

    __slots__ = ("rowcount", "lastrowid", "_cursor")

    def __init__(self, cursor: Any) -> None:
        self.rowcount: int = cursor.rowcount
        self.lastrowid: int | None = cursor.lastrowid
        self._cursor = cursor

    def scalar_one(self) -> Any:
        rows = self._cursor.fetchall()
        if len(rows) != 1:
            raise LookupError(f"one row was expected, {len(rows)} came")
        return rows[0][0]

    def mappings(self) -> _Driven:
        return self

    def first(self) -> dict[str, Any] | None:
        """The first row as a mapping of column names (the rest are dropped)."""
        row = self._cursor.fetchone()
        names = [d[0] for d in self._cursor.description or ()]
        self._cursor.close()
        return None if row is None else dict(zip(names, row))


def _plain(stmt: Any, dialect: Any, params: dict[str, Any]
           ) -> tuple[str, Callable[[dict[str, Any]], tuple[Any, ...]]] | None:
    """The statement's SQLite text and what takes its values, in order, from the parameters
    (with the values fixed in it, a literal such as coalesce's 0); None when SQLAlchemy has
    to run it."""
    compiled = stmt.compile(dialect=dialect, column_keys=list(params))
    names = tuple(compiled.positiontup or ())
    fixed = {}
    for n in names:
        bind = compiled.binds.get(n)
        if n not in params:
            if bind is None or bind.required or callable(bind.value) or bind.value is None:
                return None
            fixed[n] = bind.value
    if not compiled.positional or "POSTCOMPILE" in compiled.string:
        return None
    if fixed or len(names) < 2:  # (itemgetter of one name returns the value, not a tuple)
        return compiled.string, lambda given: tuple(given[n] if n in given else fixed[n]
                                                    for n in names)
    return compiled.string, itemgetter(*names)  # the hot statements: taken in C


def inserted_id(conn: Any, stmt: Any, params: dict[str, Any]) -> int:
    """Insert one row with :func:`run`; its new primary key."""
    result = run(conn, stmt, params)
    if conn.dialect.name == "sqlite":
        return int(result.lastrowid)
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])
