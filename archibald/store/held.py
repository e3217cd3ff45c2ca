"""The ledger's write transactions on SQLite, on a connection each thread keeps.

A reservation, a kept answer and a settlement are three short transactions per call; in
``archibald serve`` they are three per request, on the event loop. Through the engine's pool,
each one checks a connection out and back in (SQLAlchemy's checkout, its events, the rollback
that resets a returned connection) and goes through SQLAlchemy's transaction objects: about
150 microseconds of Python per empty transaction when the process has done other work in
between (its caches cold, as a server's always are), where SQLite's own ``BEGIN`` and ``COMMIT``
take about 25. :func:`writing` runs those transactions on one connection the thread holds
for the engine's life, beginning and committing on the driver's connection itself; a statement
the ledger cannot hand straight to SQLite (:func:`archibald.store.rows.run`) still runs through
the held connection's SQLAlchemy object, in the same transaction.

A write that may wait (a settlement whose answer is already kept on the wire, so a kill
before it loses nothing) can be *deferred* (:func:`defer`): the writes deferred are written
together by :func:`flush`, which the gateway runs once the first of them has waited 50 ms.
Under load that is one transaction for a batch of settlements, on the pages they share (the
newest rows' leaves, the day's spend bucket, the route's statistics, the wire table's)
written once, and off every request's own path: a reservation or a kept answer writes only
its own rows. A deferred write older than :data:`RIDE_AFTER` (its flush failed, or never
came) is taken by whatever write transaction comes next, before that one's own statements.

Only SQLite files take the held connection's path. PostgreSQL (several workers) keeps its pool, and an
in-memory or URI database (one connection per thread in SQLAlchemy's pool) its old way.
Nothing about what is written, or when it is durable, changes: the same statements, the same
``BEGIN IMMEDIATE`` where a reservation needs the write lock first, one commit each.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.engine import Connection, Engine

__all__ = ["writing", "release", "sqlite_file", "defer", "flush", "Deferred"]

#: a deferred write: its statements (run in the transaction that takes it), and what to do
#: once that transaction has committed
Deferred = tuple[Callable[[Any], None], Callable[[], None] | None]


def sqlite_file(engine: Engine) -> str | None:
    """The SQLite file ``engine`` writes; None for PostgreSQL, an in-memory database or a URI
    one (an in-memory database is one connection's own: no other thread may open it)."""
    path = engine.url.database if engine.dialect.name == "sqlite" else None
    return None if not path or path == ":memory:" or path.startswith("file:") else path


class _Held:
    """One engine's held connections: this thread's, and every thread's (to close them)."""

    def __init__(self) -> None:
        self.local = threading.local()
        self.lock = threading.Lock()
        self.all: list[Connection] = []


#: per engine, writes deferred to its next transaction (see the module), oldest first
_QUEUED: weakref.WeakKeyDictionary[Engine, list[Deferred]] = weakref.WeakKeyDictionary()
_QUEUE_LOCK = threading.Lock()
#: per engine, when its queue of deferred writes last became non-empty (time.monotonic())
_SINCE: weakref.WeakKeyDictionary[Engine, float] = weakref.WeakKeyDictionary()
log = logging.getLogger("archibald.store")
#: deferred writes that raised once (by id): the second time, they are dropped
_FAILED: set[int] = set()
#: seconds after which deferred writes ride on any write transaction, not only a flush
RIDE_AFTER = 1.0


def defer(engine: Engine, write: Callable[[Any], None],
          after: Callable[[], None] | None = None) -> bool:
    """Queue ``write(conn)`` for the next :func:`flush` of ``engine`` (``after()`` once it
    has committed); True when the queue was empty: the caller schedules that flush."""
    with _QUEUE_LOCK:
        queue = _QUEUED.setdefault(engine, [])
        queue.append((write, after))
        if len(queue) == 1:
            _SINCE[engine] = time.monotonic()
        return len(queue) == 1


def flush(engine: Engine, *, waited: float = 0.0) -> None:
    """Write what is deferred on ``engine`` now, all of it, in a transaction of its own
    (``waited``: only if the oldest has waited that many seconds; else nothing, and the
    flush scheduled when that oldest was queued onto an empty queue writes it)."""
    since = _SINCE.get(engine)
    if _QUEUED.get(engine) and since is not None and time.monotonic() - since >= waited:
        with writing(engine, flushing=True):
            pass


@contextmanager
def _with_deferred(engine: Engine, conn: Any, flushing: bool) -> Iterator[None]:
    """Run the deferred writes in ``conn``'s transaction, then its own statements, when it is
    a flush or they have waited :data:`RIDE_AFTER`; after the commit, their ``after``. A
    transaction that fails gives them back to the queue (a write that itself raised twice is
    dropped and logged: its row stays pending, as after a kill)."""
    with _QUEUE_LOCK:
        since = _SINCE.get(engine)
        if flushing or (since is not None and time.monotonic() - since >= RIDE_AFTER):
            taken = _QUEUED.pop(engine, None) or []
            since = _SINCE.pop(engine, None)
        else:
            taken, since = [], None
    done = 0
    try:
        for write, _ in taken:
            write(conn)
            done += 1
        yield
    except BaseException:
        if done < len(taken):  # a deferred write raised: once more, then never again
            failed = taken[done]
            if id(failed[0]) in _FAILED:
                _FAILED.discard(id(failed[0]))
                log.error("a deferred ledger write failed twice; its row is left pending "
                          "(the sweep settles it from its kept answer)", exc_info=True)
                del taken[done]
            else:
                _FAILED.add(id(failed[0]))
        with _QUEUE_LOCK:
            if taken:
                _QUEUED.setdefault(engine, [])[:0] = taken
                _SINCE[engine] = since if since is not None else time.monotonic()
        raise
    for write, after in taken:
        _FAILED.discard(id(write))  # (one that raised once and went through)
        if after is not None:
            after()


#: per engine, its held connections, or None where its writes keep the pool (not a file)
_HELD: weakref.WeakKeyDictionary[Engine, _Held | None] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def _forget_in_child() -> None:
    """A forked child never uses its parent's connections (SQLite forbids it across a
    fork): it opens its own, and leaves the parent's to the parent (kept, never closed or
    collected here, so nothing of SQLAlchemy's pool touches them)."""
    _PARENTS.extend(h for h in _HELD.values() if h is not None)
    _HELD.clear()
    _QUEUED.clear()  # the parent writes what it deferred
    _SINCE.clear()


_PARENTS: list[_Held] = []


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_in_child)


def _held(engine: Engine) -> _Held | None:
    try:
        return _HELD[engine]
    except KeyError:
        with _LOCK:
            return _HELD.setdefault(engine, _Held() if sqlite_file(engine) else None)


def _connection(held: _Held, engine: Engine) -> Connection:
    conn: Connection | None = getattr(held.local, "conn", None)
    if conn is None or conn.closed:
        conn = held.local.conn = engine.connect()
        with held.lock:
            held.all.append(conn)
    return conn


@contextmanager
def writing(engine: Engine, *, immediate: bool = False,
            flushing: bool = False) -> Iterator[Any]:
    """A write transaction on ``engine``, committed on leaving and rolled back on an
    exception: on a SQLite file on this thread's held connection (``immediate``: the write
    lock taken first, ``BEGIN IMMEDIATE``), anywhere else on a connection of the pool.
    ``flushing``: the deferred writes are written in it (see :func:`flush`)."""
    held = _held(engine)
    if held is None:
        with engine.connect() as pooled:
            try:
                if immediate and engine.dialect.name == "sqlite":
                    pooled.exec_driver_sql("BEGIN IMMEDIATE")
                with _with_deferred(engine, pooled, flushing):
                    yield pooled
                    pooled.commit()
            except BaseException:
                pooled.rollback()
                raise
        return
    conn = _connection(held, engine)
    driver = conn.connection.dbapi_connection
    assert driver is not None
    if conn.in_transaction() or driver.in_transaction:  # left open by a failure: not ours
        conn.rollback()
        driver.rollback()
    driver.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
    try:
        with _with_deferred(engine, conn, flushing):
            yield conn
            if conn.in_transaction():  # SQLAlchemy ran a statement in it: its commit is ours
                conn.commit()
            else:
                driver.commit()
    except BaseException:
        if conn.in_transaction():
            conn.rollback()
        driver.rollback()
        raise


def release(engine: Engine) -> None:
    """Close every connection held for ``engine`` (before it is disposed, or before its
    connections must reopen with new settings)."""
    with _LOCK:
        held = _HELD.pop(engine, None)
    if held is None:
        return
    with held.lock:
        conns, held.all = held.all, []
    for conn in conns:
        try:
            conn.close()
        except Exception:  # noqa: BLE001 - a connection of a thread that is gone, or broken
            pass
