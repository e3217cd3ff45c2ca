"""uvicorn's HTTP protocol (httptools), with a response's head and its body sent in one write.

uvicorn writes a response's status line and headers to the socket the moment the app sends
``http.response.start``, and its body as a second write on ``http.response.body``: two
``send`` calls, two TCP segments on loopback, and the client woken twice, for an answer of a
few hundred bytes. A profile of the gateway under load (BENCHMARKS.md, nineteenth session)
put those two writes at about a tenth of a worker's CPU. Here the head is held until the
next write, which for every response of the gateway's own comes in the same step of the
event loop (Starlette's responses send the two messages back to back, with nothing awaited
in between), and goes out with it; a head not followed in that step (a stream's first
chunk still being read, a ``100 Continue``) goes out on the event loop's next turn, as it
would have after a turn of anything else ready. Nothing is reordered or dropped: a head held
is always written before any later byte, and before the connection closes.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

__all__ = ["JoinedHttpToolsProtocol"]


class _JoinedWrites:
    """A transport whose write of a response's head is held for the write that follows."""

    __slots__ = ("_transport", "_loop", "_held")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._held: bytes | None = None

    def write(self, data: bytes | bytearray | memoryview) -> None:
        held = self._held
        if held is not None:
            self._held = None
            self._transport.write(held + bytes(data))
            return
        if data[:5] == b"HTTP/" and data[-4:] == b"\r\n\r\n":  # a response's head
            self._held = bytes(data)
            self._loop.call_soon(self.flush)
            return
        self._transport.write(data)

    def flush(self) -> None:
        """Write the head held, if one still is."""
        held, self._held = self._held, None
        if held is not None and not self._transport.is_closing():
            self._transport.write(held)

    def writelines(self, parts: Any) -> None:
        self.write(b"".join(parts))

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:  # everything else is the transport's own
        return getattr(self._transport, name)


class JoinedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol on a transport that joins a response's head to its body
    (``uvicorn.run(..., http=JoinedHttpToolsProtocol)``)."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(_JoinedWrites(transport, self.loop))  # type: ignore[arg-type]
