"""The loopback PostgreSQL server of `make test` (scripts/pg-test-server.sh): one database per
pytest-xdist worker, so that tests running side by side never drop each other's tables."""

from __future__ import annotations

import os
import re

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from archibald.store.migrations import metadata

_made: dict[str, str] = {}


def pg_url() -> str:
    """This worker's own database on the test server (made on first use), or skip the test
    when no server runs."""
    url = os.environ.get("ARCHIBALD_TEST_PG_URL")
    if not url:
        pytest.skip("PostgreSQL tests skipped: "
                    + os.environ.get("ARCHIBALD_TEST_PG_SKIP", "ARCHIBALD_TEST_PG_URL not set "
                                     "(run `make test` to start a loopback server)"))
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker:
        return url
    if worker not in _made:
        name = "archibald_test_" + re.sub(r"[^a-z0-9_]", "_", worker.lower())
        server = create_engine(url, isolation_level="AUTOCOMMIT")
        try:
            with server.connect() as conn:
                if conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                {"n": name}).first() is None:
                    conn.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            server.dispose()
        _made[worker] = make_url(url).set(database=name).render_as_string(hide_password=False)
    return _made[worker]


def reset_pg(url: str) -> None:
    """Every table of the ledger dropped: the next Memory migrates a fresh database."""
    engine = create_engine(url)
    with engine.begin() as conn:
        metadata.drop_all(conn)
        conn.execute(text("DROP TABLE IF EXISTS schema_migrations"))
    engine.dispose()
