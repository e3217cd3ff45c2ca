"""The wire tap: a call's answer kept as raw bytes before any client code parses them.

No chat API can be asked again for an answer by id, so what a killed run must not lose is the
answer's bytes. Every client Archibald's chat calls go through (the openai and anthropic SDKs
under LiteLLM, LiteLLM's own handler, Perplexity's httpx client) sends with
``httpx.AsyncClient.send``; while a :class:`Tap` is set for the running coroutine (a context
variable, so nothing else in the process is touched), that method

* tells the tap ``sending()`` before the request may leave the process;
* reads the whole answer and hands ``answered(status, headers, body)`` to the tap before it
  returns the response to the code that parses it;
* or, when the tap holds a kept answer (``replay``), returns that answer without sending, so a
  resumed run parses and prices the very bytes the killed run was billed for.

The tap is installed on first use (``tapped``), idempotently; calls with no tap set go straight
to httpx. The gateway's direct client of OpenAI's wire (:mod:`.openai_wire`, on aiohttp) tells
the running call's tap (:func:`current`) the same three things itself.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Iterator, Mapping, Protocol

import httpx

__all__ = ["Tap", "Kept", "tapped", "current"]


class Kept(Protocol):
    """A kept answer (archibald.store.writeahead.KeptAnswer)."""

    @property
    def status(self) -> int | None: ...

    @property
    def headers(self) -> dict[str, str]: ...

    @property
    def body(self) -> bytes: ...


class Tap(Protocol):
    """Where a call's wire events go (archibald.store.writeahead.WireLog)."""

    replay: Any  # a Kept answer to give back instead of sending, or None

    def sending(self) -> None: ...

    def answered(self, status: int, headers: Mapping[str, str], body: bytes) -> None: ...


_TAP: ContextVar[Tap | None] = ContextVar("archibald_wire_tap", default=None)
_installed: list[Any] = []


def current() -> Tap | None:
    """The tap of the running call, if any."""
    return _TAP.get()


async def _tapped_send(self: httpx.AsyncClient, request: httpx.Request,
                       *args: Any, **kwargs: Any) -> httpx.Response:
    original = _installed[0]
    tap = _TAP.get()
    if tap is None:
        return await original(self, request, *args, **kwargs)  # type: ignore[no-any-return]
    kept = tap.replay
    if kept is not None:
        return httpx.Response(int(kept.status or 200), headers=dict(kept.headers),
                              content=bytes(kept.body), request=request)
    tap.sending()
    response: httpx.Response = await original(self, request, *args, **kwargs)
    body = await response.aread()  # a streamed response keeps these bytes for its reader
    tap.answered(response.status_code, dict(response.headers), body)
    return response


def _install() -> None:
    if not _installed:
        _installed.append(httpx.AsyncClient.send)
        httpx.AsyncClient.send = _tapped_send  # type: ignore[method-assign]


@contextmanager
def tapped(tap: Tap | None) -> Iterator[None]:
    """Run the block with ``tap`` on every httpx send it makes (nothing when tap is None)."""
    if tap is None:
        yield
        return
    _install()
    token = _TAP.set(tap)
    try:
        yield
    finally:
        _TAP.reset(token)
