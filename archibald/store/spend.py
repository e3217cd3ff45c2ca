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
that is higher): the triggers use the same expression. The table and its triggers are made by
migration 0013 (:mod:`archibald.store.migrations`).

Sums by run or task type, or from a moment that is not a UTC midnight, still read the rows.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, func, select

from .migrations import DAY, spend_days

__all__ = ["spend_days", "DAY", "bucket_query"]


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

