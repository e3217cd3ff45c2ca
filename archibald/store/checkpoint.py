"""SQLite's write-ahead log copied back into the database off a server's event loop.

SQLite in WAL mode appends each commit to the ``-wal`` file and, once the file has grown past
1,000 pages, the commit that crossed the mark copies the log into the database and syncs it
to disk (an automatic checkpoint) before it returns. In ``archibald serve`` every ledger
commit runs on the event loop, so that one commit in about 150 (one request in 50) held every
request in flight for 3-5 ms. :class:`Checkpoints` turns the automatic checkpoint off on the
engine's connections and runs it on a thread of its own, on its own connection, a few times a
second: SQLite releases Python's lock while it copies and syncs, so the loop goes on serving.

A checkpoint is the same passive one SQLite would have run (it copies what no reader still
needs and never blocks a writer); nothing about durability changes (``synchronous=NORMAL``
in WAL mode: a commit survives the process's crash, the sync happens at checkpoints).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from .held import release, sqlite_file

__all__ = ["Checkpoints", "sqlite_file"]

log = logging.getLogger(__name__)


def _no_automatic(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.execute("PRAGMA wal_autocheckpoint=0")



class Checkpoints:
    """Checkpoints of one SQLite engine's database on a background thread, every
    ``every_s`` seconds, from :meth:`start` to :meth:`stop` (which runs a last one)."""

    def __init__(self, engine: Engine, every_s: float = 0.25) -> None:
        self.engine, self.every_s = engine, every_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.path = sqlite_file(engine)  # None: nothing to move off the loop

    def start(self) -> bool:
        """Turn the automatic checkpoint off and start the thread; False (and nothing done)
        when the engine is not a SQLite file (PostgreSQL checkpoints on its own)."""
        if self.path is None or self._thread is not None:
            return False
        event.listen(self.engine, "connect", _no_automatic)
        release(self.engine)  # connections held or pooled before now reopen with the pragma
        self.engine.dispose()
        self._thread = threading.Thread(target=self._loop, name="archibald-checkpoints",
                                        daemon=True)
        self._thread.start()
        return True

    def stop(self) -> None:
        """End the thread after a last checkpoint; the automatic one is back for any
        connection the engine opens from now on."""
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join()
        self._thread = None
        event.remove(self.engine, "connect", _no_automatic)
        self.engine.dispose()

    def _loop(self) -> None:
        assert self.path is not None
        conn = sqlite3.connect(self.path, timeout=10.0, check_same_thread=False)
        try:
            while True:
                stopping = self._stop.wait(self.every_s)
                self.once(conn)
                if stopping:
                    return
        finally:
            conn.close()

    def once(self, conn: sqlite3.Connection) -> tuple[int, int, int] | None:
        """One passive checkpoint: (busy, pages in the log, pages copied), or None when
        SQLite could not run it (logged; the next one tries again)."""
        try:
            row = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.Error as exc:
            log.warning("checkpoint of %s: %s", self.path, exc)
            return None
        return (int(row[0]), int(row[1]), int(row[2])) if row else None
