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


def metadata(body: dict[str, Any]) -> dict[str, Any]:
    """The body's ``metadata`` object ({} when it has none or it is not an object)."""
    given = body.get("metadata")
    return given if isinstance(given, dict) else {}


def task_of(body: dict[str, Any], header: str | None) -> str | None:
    """The app's own name for the work: ``x-archibald-task``, else ``metadata.task``."""
    named = metadata(body).get("task")
    return header or (str(named) if named else None)


#: OpenAI's reasoning efforts (``reasoning_effort``, the Responses API's ``reasoning.effort``)
EFFORTS = ("minimal", "low", "medium", "high")


def sampling(body: dict[str, Any]) -> dict[str, Any]:
    """The sampling parameters of an OpenAI-shaped body, checked: top_p, seed,
    presence_penalty, frequency_penalty, logit_bias, user, reasoning_effort,
    parallel_tool_calls. ``n`` other than 1 and log probabilities are refused (400): the
    gateway answers one choice, without log probabilities, and never pretends otherwise."""
    n = body.get("n")
    if n is not None and (isinstance(n, bool) or n != 1):
        raise bad(f"n must be 1, not {n!r:.20}: each request is routed and answered once "
                  f"(send n requests for n answers)")
    if body.get("logprobs") or body.get("top_logprobs") is not None:
        raise bad("logprobs and top_logprobs are not supported: a routed answer may come "
                  "from a provider that has none")
    out: dict[str, Any] = {}
    for name, low, high in (("top_p", 0.0, 1.0), ("presence_penalty", -2.0, 2.0),
                            ("frequency_penalty", -2.0, 2.0)):
        value = finite_float(body, name, low, high)
        if value is not None:
            out[name] = value
    seed = body.get("seed")
    if seed is not None:
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise bad(f"seed must be a whole number, not {seed!r:.40}")
        out["seed"] = seed
    bias = body.get("logit_bias")
    if bias is not None:
        if not isinstance(bias, dict) or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) and -100 <= v <= 100
                for v in bias.values()):
            raise bad("logit_bias must map token ids to numbers from -100 to 100")
        out["logit_bias"] = bias
    for name, kind in (("user", str), ("parallel_tool_calls", bool)):
        value = body.get(name)
        if value is not None:
            if not isinstance(value, kind):
                raise bad(f"{name} must be a {'string' if kind is str else 'boolean'}, "
                          f"not {value!r:.40}")
            out[name] = value
    effort = body.get("reasoning_effort")
    if effort is not None:
        if effort not in EFFORTS:
            raise bad(f"reasoning_effort must be one of {', '.join(EFFORTS)}, not "
                      f"{effort!r:.40}")
        out["reasoning_effort"] = effort
    return out
