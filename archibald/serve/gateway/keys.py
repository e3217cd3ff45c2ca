"""Virtual keys: who may call the gateway, and what each may spend.

``archibald keys create NAME --budget-usd 50 --per-day-usd 5 --rpm 60`` prints the key once;
only its SHA-256 is stored. A key's spend is the ledger's rows on the channel ``key:NAME``, so
its budgets are :class:`~archibald.core.budgets.Limit`\\ s checked inside the same reservation
transaction as every other budget: concurrent requests, across workers sharing the store, can
never overshoot them.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from ...core.budgets import Limit
from ...errors import InputError
from ...store.ledger import to_nano
from ...store.memory import Memory
from ...store.migrations import gateway_keys, gateway_minutes

__all__ = ["Key", "Keys", "channel_of", "PREFIX", "WORKERS_VAR"]

#: how many workers `archibald serve` started (set by it for them)
WORKERS_VAR = "ARCHIBALD_SERVE_WORKERS"
#: every key starts with this, so a leaked one is recognisable (and scannable)
PREFIX = "ak-"
_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,48}$")


def channel_of(name: str) -> str:
    """The ledger channel a key's calls are recorded on."""
    return f"key:{name}"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class Key:
    name: str
    prefix: str
    budget_usd: float | None
    per_day_usd: float | None
    rpm: int | None
    created_at: float
    revoked_at: float | None = None

    @property
    def channel(self) -> str:
        return channel_of(self.name)

    def as_dict(self) -> dict[str, object]:
        return {"name": self.name, "prefix": self.prefix, "budget_usd": self.budget_usd,
                "per_day_usd": self.per_day_usd, "rpm": self.rpm,
                "created_at": self.created_at, "revoked": self.revoked_at is not None}


def _limit(value: float | None, what: str) -> float | None:
    if value is None:
        return None
    if not math.isfinite(value) or value < 0:
        raise InputError(f"{what} must be a finite amount >= 0, not {value!r}")
    return float(value)


class Keys:
    """The keys in the store, with a short cache so a request costs no query."""

    def __init__(self, memory: Memory, *, cache_seconds: float = 2.0,
                 shared: bool | None = None) -> None:
        self.memory = memory
        #: count requests per minute in the store (several workers), not in this process
        self.shared = (os.environ.get(WORKERS_VAR, "1") != "1") if shared is None else shared
        self.cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, Key | None]] = {}
        self._calls: dict[str, deque[float]] = {}
        self._rows: dict[str, tuple[float, Key | None]] = {}
        self._lock = threading.Lock()

    # -- managing ---------------------------------------------------------------------------
    def create(self, name: str, *, budget_usd: float | None = None,
               per_day_usd: float | None = None, rpm: int | None = None) -> str:
        """A new key named ``name``; returns the secret (shown once, never stored)."""
        if not _NAME.match(name):
            raise InputError(f"key name {name!r} must be 1-48 letters, digits, '_', '.', '-'")
        if rpm is not None and rpm < 1:
            raise InputError(f"--rpm {rpm} must be at least 1")
        secret = PREFIX + secrets.token_urlsafe(32)
        row = {"name": name, "key_hash": _hash(secret), "prefix": secret[:10],
               "budget_usd": _limit(budget_usd, "--budget-usd"),
               "per_day_usd": _limit(per_day_usd, "--per-day-usd"), "rpm": rpm,
               "created_at": time.time(), "revoked_at": None}
        try:
            with self.memory.engine.begin() as conn:
                conn.execute(gateway_keys.insert().values(**row))
        except IntegrityError:
            raise InputError(f"a key named {name!r} exists; revoke it or choose another "
                             f"name") from None
        return secret

    def all(self) -> "list[Key]":
        with self.memory.engine.connect() as conn:
            rows = conn.execute(select(gateway_keys).order_by(gateway_keys.c.name)).mappings()
            return [_key(r) for r in rows]

    def revoke(self, name: str) -> None:
        with self.memory.engine.begin() as conn:
            done = conn.execute(update(gateway_keys).where(
                gateway_keys.c.name == name, gateway_keys.c.revoked_at.is_(None)
            ).values(revoked_at=time.time())).rowcount
        if not done:
            raise InputError(f"no active key named {name!r}; `archibald keys list` shows them")
        with self._lock:
            self._cache.clear()
            self._rows.clear()

    # -- serving ----------------------------------------------------------------------------
    def find(self, secret: str) -> Key | None:
        """The active key ``secret`` is, or None."""
        if not secret.startswith(PREFIX) or len(secret) > 200:
            return None
        digest = _hash(secret)
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(digest)
            if hit is not None and now - hit[0] < self.cache_seconds:
                return hit[1]
        with self.memory.engine.connect() as conn:
            row = conn.execute(select(gateway_keys).where(
                gateway_keys.c.key_hash == digest)).mappings().first()
        key = _key(row) if row is not None else None
        if key is not None and key.revoked_at is not None:
            key = None
        with self._lock:
            self._cache[digest] = (now, key)
        return key

    def allow_call(self, key: Key) -> bool:
        """Count a call against the key's requests per minute: in this process's sliding
        window, or, when several workers share the store (``shared``), in the store's count
        of this UTC minute, which every worker adds to atomically."""
        if not key.rpm:
            return True
        if self.shared:
            return self._count_shared(key.name) <= key.rpm
        now = time.monotonic()
        with self._lock:
            window = self._calls.setdefault(key.name, deque())
            while window and now - window[0] >= 60.0:
                window.popleft()
            if len(window) >= key.rpm:
                return False
            window.append(now)
            return True

    def _count_shared(self, name: str) -> int:
        """This minute's calls of key ``name`` in the store, this one included."""
        from sqlalchemy.dialects import postgresql, sqlite

        minute = int(time.time() // 60)
        c = gateway_minutes.c
        insert = postgresql.insert if self.memory.engine.dialect.name == "postgresql" \
            else sqlite.insert
        stmt = insert(gateway_minutes).values(name=name, minute=minute, calls=1) \
            .on_conflict_do_update(index_elements=[c.name, c.minute],
                                   set_={"calls": c.calls + 1}).returning(c.calls)
        with self.memory.engine.begin() as conn:
            calls = int(conn.execute(stmt).scalar_one())
            if calls == 1:  # a new minute: the old ones are of no use any more
                conn.execute(delete(gateway_minutes).where(
                    c.name == name, c.minute < minute - 1))
        return calls

    def limits(self, channel: str) -> list[Limit]:
        """The budgets of the key whose channel this is (none for any other channel); the
        key's row is read at most every ``cache_seconds``."""
        if not channel.startswith("key:"):
            return []
        name = channel[4:]
        now = time.monotonic()
        with self._lock:
            hit = self._rows.get(name)
        if hit is None or now - hit[0] >= self.cache_seconds:
            with self.memory.engine.connect() as conn:
                row = conn.execute(select(gateway_keys).where(
                    gateway_keys.c.name == name)).mappings().first()
            hit = (now, _key(row) if row is not None else None)
            with self._lock:
                self._rows[name] = hit
        key = hit[1]
        if key is None:
            return []
        out: list[Limit] = []
        if key.budget_usd is not None:
            out.append(Limit(f"key {name!r}", to_nano(key.budget_usd),
                             f"archibald keys create {name} --budget-usd", channel=channel))
        if key.per_day_usd is not None:
            day = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0,
                                                     microsecond=0).timestamp()
            out.append(Limit(f"key {name!r} today", to_nano(key.per_day_usd),
                             f"archibald keys create {name} --per-day-usd", since=day,
                             channel=channel))
        return out


def _key(row: object) -> Key:
    r = dict(row)  # type: ignore[call-overload]
    return Key(name=r["name"], prefix=r["prefix"], budget_usd=r["budget_usd"],
               per_day_usd=r["per_day_usd"], rpm=r["rpm"], created_at=r["created_at"],
               revoked_at=r["revoked_at"])
