"""What both APIs' adapters share: the error a request gets in its API's own shape, and the
checks of a request's fields."""

from __future__ import annotations

import math
from typing import Any

from ...errors import RoutesFailed, RouteUnavailable

__all__ = ["ApiError", "upstream_failed", "broke_off", "positive_int", "finite_float"]


class ApiError(Exception):
    """An error answered in the calling API's own shape (see ``app.error_response``)."""

    def __init__(self, status: int, message: str, kind: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.kind, self.code = status, message, kind, code


def upstream_failed(exc: Exception) -> ApiError:
    """The 502 a request gets when no route could answer it, saying so once: each route tried
    and why it failed (``every route failed: budget: ...; premium: ...``)."""
    if isinstance(exc, RoutesFailed):
        message = exc.summary
    elif isinstance(exc, RouteUnavailable):  # "chat: no route can run here: ...": said already
        message = str(exc)
    else:  # the one route a request has (an embedding model)
        message = f"every route failed: {exc}"
    return ApiError(502, message, "api_error", "upstream_failed")


def broke_off(exc: Exception) -> str:
    """What a stream that broke off after its first piece says in its error event: why, as
    its 502 would have said it (``the answer broke off: every route failed: budget: ...``),
    without the task type the router names its failures by."""
    said = exc.summary if isinstance(exc, RoutesFailed) else str(exc)
    return f"the answer broke off: {said}"


def bad(message: str) -> ApiError:
    return ApiError(400, message, "invalid_request_error", "invalid_request")


def positive_int(body: dict[str, Any], name: str, *, most: int = 1_000_000) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= most:
        raise bad(f"{name} must be a whole number from 1 to {most}, not {value!r:.40}")
    return value


def finite_float(body: dict[str, Any], name: str, low: float, high: float) -> float | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not math.isfinite(value) or not low <= value <= high:
        raise bad(f"{name} must be a number from {low:g} to {high:g}, not {value!r:.40}")
    return float(value)
