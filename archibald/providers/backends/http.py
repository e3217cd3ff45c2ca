"""The shared retry policy and the translation of HTTP failures into Archibald's errors.

Policy, in one place for every provider:

* 429 waits what the provider asked (``retry-after-ms``, ``retry-after`` seconds or HTTP date),
  or backs off when it did not say; a wait longer than ``max_retry_after`` is not waited out,
  the route fails over instead.
* 5xx, 503, 529 and transport errors back off exponentially with full jitter.
* 400/401/402/403/404/422, Anthropic ``enforced_spend_limit_reached`` and DeepSeek's 402
  Insufficient Balance are :class:`NonRetryable` and never retried.
* Attempts are bounded; the last error propagates, so the router falls back.

Only a successful response is priced, so a retried call is charged once.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from datetime import datetime, timezone
from typing import Any, Awaitable, Callable, Iterator, Mapping, TypeVar

import httpx

from ...errors import (BackendError, BackendTimeout, DelegationError, NonRetryable,
                       ProviderOverloaded, ProviderUnreachable, RateLimited)
from ..registry import redact

__all__ = ["RetryPolicy", "error_from_status", "parse_retry_after", "request_json",
           "translate_transport", "log", "upstream_clock", "waited_upstream"]

log = logging.getLogger("archibald.providers.registry")
T = TypeVar("T")

#: the seconds the running request has waited on providers (None: nobody is counting)
_WAITED: ContextVar[list[float] | None] = ContextVar("archibald_waited", default=None)


@contextmanager
def upstream_clock() -> Iterator[list[float]]:
    """Count, in the list yielded, the seconds the block's calls wait on providers (the
    gateway's overhead is its own time less these)."""
    waited: list[float] = []
    token = _WAITED.set(waited)
    try:
        yield waited
    finally:
        _WAITED.reset(token)


@contextmanager
def waited_upstream() -> Iterator[None]:
    """Time the block as waiting on a provider (the request out, its answer back)."""
    start = time.perf_counter()
    try:
        yield
    finally:
        waited = _WAITED.get()
        if waited is not None:
            waited.append(time.perf_counter() - start)

#: error codes in a body that mean "a retry cannot help"
_FATAL_CODES = ("enforced_spend_limit_reached", "insufficient_balance", "insufficient balance",
                "insufficient_quota",
                "billing_error", "quota_exceeded", "quotaexceeded")
_NEVER_RETRY = {400, 401, 402, 403, 404, 422}


def parse_retry_after(headers: Mapping[str, str] | httpx.Headers | None) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``retry-after`` (seconds or HTTP date)."""
    if not headers:
        return None
    lower = {str(k).lower(): str(v) for k, v in headers.items()}
    ms = lower.get("retry-after-ms")
    if ms:
        try:
            return max(float(ms) / 1000.0, 0.0)
        except ValueError:
            pass
    raw = lower.get("retry-after")
    if not raw:
        return None
    try:
        return max(float(raw), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max((when - datetime.now(timezone.utc)).total_seconds(), 0.0)


def _message_and_code(body: Any) -> tuple[str, str | None]:
    """The human message and machine code out of the error bodies providers send."""
    if isinstance(body, Mapping):
        err = body.get("error", body.get("detail", body))
        if isinstance(err, Mapping):
            details = err.get("details") if isinstance(err.get("details"), Mapping) else {}
            code = (details or {}).get("error_code") or err.get("status") or err.get("code") \
                or err.get("type")
            errors = err.get("errors")
            if isinstance(errors, list) and errors and isinstance(errors[0], Mapping):
                code = errors[0].get("reason") or code
            return str(err.get("message") or err.get("msg") or err), \
                (str(code) if code is not None else None)
        if isinstance(err, list) and err:
            return json.dumps(err)[:300], None
        return str(err), None
    return str(body)[:300], None


def error_from_status(provider: str, status: int, body: Any, headers: Mapping[str, str] | None,
                      *, secrets: tuple[str | None, ...] = ()) -> BackendError:
    """The Archibald error for a failed HTTP status (body already decoded, if it was JSON)."""
    message, code = _message_and_code(body)
    retry_after = parse_retry_after(headers)
    lowered = f"{code} {message}".lower()
    text = redact(f"{provider} answered HTTP {status}: {message}", secrets)
    if any(c in lowered for c in _FATAL_CODES) or status in _NEVER_RETRY:
        return NonRetryable(text, provider=provider, status=status, code=code)
    if status == 429:
        return RateLimited(text, provider=provider, status=status, retry_after=retry_after,
                           code=code)
    if status >= 500 or status in (408, 409):
        return ProviderOverloaded(text, provider=provider, status=status,
                                  retry_after=retry_after, code=code)
    return NonRetryable(text, provider=provider, status=status, code=code)


def translate_transport(provider: str, exc: Exception,
                        secrets: tuple[str | None, ...] = ()) -> DelegationError:
    """An httpx transport failure as a timeout or a (retryable) overload."""
    if isinstance(exc, httpx.TimeoutException):
        return BackendTimeout(redact(f"{provider} did not answer in time ({type(exc).__name__})",
                                     secrets))
    if isinstance(exc, httpx.ConnectError):  # refused, unknown host: nothing was sent
        return ProviderUnreachable(redact(f"{provider} unreachable ({type(exc).__name__}: "
                                          f"{exc})", secrets), provider=provider)
    return ProviderOverloaded(redact(f"{provider} could not be reached: {type(exc).__name__}: "
                                     f"{exc}", secrets), provider=provider, code="transport")


async def _asyncio_sleep(seconds: float) -> None:
    await asyncio.sleep(seconds)


@dataclass
class RetryPolicy:
    """Bounded retries with Retry-After and jittered exponential backoff; sleep is injectable."""

    attempts: int = 4
    base_delay: float = 1.0
    max_delay: float = 30.0
    #: a 429 asking for a longer wait than this fails over at once
    max_retry_after: float = 60.0
    retry_timeouts: bool = True
    #: how many times a timed-out request is retried before the error propagates (a hung
    #: provider is not waited on again and again: the router falls back instead)
    timeout_retries: int = 3
    sleep: Callable[[float], Awaitable[None]] = _asyncio_sleep
    jitter: Callable[[], float] = field(default=random.random)

    def delay(self, error: DelegationError, attempt: int) -> float | None:
        """Seconds to wait before the next attempt, or None when ``error`` must not be retried."""
        if isinstance(error, NonRetryable) or attempt >= self.attempts:
            return None
        if isinstance(error, RateLimited) and error.retry_after is not None:
            return error.retry_after if error.retry_after <= self.max_retry_after else None
        if isinstance(error, BackendTimeout) and (not self.retry_timeouts
                                                  or attempt > self.timeout_retries):
            return None
        if not isinstance(error, (RateLimited, ProviderOverloaded, BackendTimeout)):
            return None
        cap = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        return cap * (0.5 + 0.5 * self.jitter())

    async def run(self, call: Callable[[], Awaitable[T]], *, what: str = "call") -> T:
        """Await ``call()`` until it succeeds or the policy gives up; re-raise the last error."""
        attempt = 0
        while True:
            attempt += 1
            try:
                return await call()
            except DelegationError as exc:
                wait = self.delay(exc, attempt)
                if wait is None:
                    raise
                log.warning("%s failed (attempt %d/%d): %s; retrying in %.2fs", what, attempt,
                            self.attempts, redact(exc), wait)
                await self.sleep(wait)


def decode_json(provider: str, response: httpx.Response,
                secrets: tuple[str | None, ...] = ()) -> Any:
    """The JSON body of a successful response; garbage becomes a (non-retried) BackendError."""
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        snippet = redact(response.text[:120], secrets)
        raise BackendError(f"{provider} answered HTTP {response.status_code} with malformed "
                           f"JSON: {snippet!r}", provider=provider,
                           status=response.status_code, code="malformed_json") from None


def raise_for_status(provider: str, response: httpx.Response,
                     secrets: tuple[str | None, ...] = ()) -> None:
    """Raise the translated error when ``response`` is not 2xx/3xx."""
    if response.status_code < 400:
        return
    try:
        body: Any = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = response.text
    raise error_from_status(provider, response.status_code, body, response.headers,
                            secrets=secrets)


async def request_json(client: httpx.AsyncClient, method: str, url: str, *, provider: str,
                       policy: RetryPolicy, secrets: tuple[str | None, ...] = (),
                       **kwargs: Any) -> tuple[Any, httpx.Response]:
    """One JSON request under ``policy``: errors translated, retried, the body decoded."""

    async def attempt() -> tuple[Any, httpx.Response]:
        try:
            response = await client.request(method, url, **kwargs)
        except httpx.TransportError as exc:
            raise translate_transport(provider, exc, secrets) from None
        raise_for_status(provider, response, secrets)
        return decode_json(provider, response, secrets), response

    return await policy.run(attempt, what=f"{provider} {method} {httpx.URL(url).path}")
