"""A circuit breaker for providers that cannot be reached.

A refused connection, an unknown host or a dead stub is not an answer: nothing was billed, and
asking again at once will be refused again. The first such failure *trips* the provider's
breaker (keyed by provider and endpoint); for the cool-down that follows, every route on that
provider is skipped at once, with a reason that says so, instead of being retried with backoff
on every stage (24.6 s of a run instead of 5 s). After the cool-down one call is let through;
success closes the breaker, another refusal trips it again.

It is process-wide: the pipelines' router and the gateway share it.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

__all__ = ["Breaker", "BREAKER", "breaker_key", "DEFAULT_COOLDOWN"]

#: seconds a provider that could not be reached is skipped (ARCHIBALD_UNREACHABLE_COOLDOWN)
DEFAULT_COOLDOWN = 60.0


def _cooldown_from_env() -> float:
    raw = os.environ.get("ARCHIBALD_UNREACHABLE_COOLDOWN", "")
    try:
        value = float(raw) if raw else DEFAULT_COOLDOWN
    except ValueError:
        return DEFAULT_COOLDOWN
    return value if value >= 0 and value == value else DEFAULT_COOLDOWN


@dataclass
class _Trip:
    until: float
    why: str


class Breaker:
    """Which providers are cooling down, and until when."""

    def __init__(self, cooldown: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.cooldown = _cooldown_from_env() if cooldown is None else cooldown
        self._clock = clock
        self._open: dict[str, _Trip] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        """True when a call to ``key`` may go ahead (closed, or its cool-down is over)."""
        return self.why_not(key) is None

    def why_not(self, key: str) -> str | None:
        """Why ``key`` is skipped now (its failure and the seconds left), or None."""
        with self._lock:
            trip = self._open.get(key)
            if trip is None:
                return None
            left = trip.until - self._clock()
            if left <= 0:
                del self._open[key]  # half-open: the next call decides
                return None
            return f"{trip.why}, so skipped for {left:.0f} s more (cooling down)"

    def trip(self, key: str, why: str) -> None:
        with self._lock:
            self._open[key] = _Trip(self._clock() + self.cooldown, why)

    def reset(self, key: str | None = None) -> None:
        """Close ``key``'s breaker (every breaker when None)."""
        with self._lock:
            if key is None:
                self._open.clear()
            else:
                self._open.pop(key, None)


def breaker_key(backend: Any) -> str | None:
    """The breaker key of a backend that calls a provider over the network: its provider's
    name and endpoint (None for a local route)."""
    provider = getattr(backend, "provider", None)
    name, base = getattr(provider, "name", None), getattr(provider, "base_url", None)
    if not name or not base:
        return None
    return f"{name} {base}"


#: the process-wide breaker
BREAKER = Breaker()
