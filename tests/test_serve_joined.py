"""`archibald serve`'s HTTP protocol sends a response's head and body in one write
(serve.joined), and changes nothing else: every response arrives whole and in order, a
stream's head is not held back waiting for its first chunk, a connection closes with all its
bytes written."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from typing import Any

import httpx
import uvicorn

from archibald.serve.joined import JoinedHttpToolsProtocol, _JoinedWrites


class _Transport:
    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        assert not self.closed
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_extra_info(self, name: str) -> str:
        return f"info {name}"


HEAD = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n"


def test_a_head_goes_out_with_the_body_that_follows_it() -> None:
    async def main() -> None:
        t = _Transport()
        joined = _JoinedWrites(t, asyncio.get_running_loop())  # type: ignore[arg-type]
        joined.write(HEAD)
        assert t.writes == []
        joined.write(b"ok")
        assert t.writes == [HEAD + b"ok"]
        await asyncio.sleep(0)  # the flush scheduled finds nothing held
        assert t.writes == [HEAD + b"ok"]
        assert joined.get_extra_info("peername") == "info peername"  # the rest is the
        # transport's own
    asyncio.run(main())


def test_a_head_alone_goes_out_on_the_next_turn_and_before_a_close() -> None:
    async def main() -> None:
        t = _Transport()
        joined = _JoinedWrites(t, asyncio.get_running_loop())  # type: ignore[arg-type]
        joined.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        await asyncio.sleep(0)
        assert t.writes == [b"HTTP/1.1 100 Continue\r\n\r\n"]
        joined.write(b"chunk that is no head")  # passed on as it comes
        assert t.writes[-1] == b"chunk that is no head"
        joined.write(HEAD)
        joined.writelines([b"o", b"k"])  # every way of writing goes after the head held
        assert t.writes[-1] == HEAD + b"ok"
        joined.write(HEAD)
        joined.close()  # what is held is written first
        assert t.writes[-1] == HEAD and t.closed
        await asyncio.sleep(0)
        assert t.writes[-1] == HEAD  # once
    asyncio.run(main())


async def _app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    if scope["path"] == "/stream":  # a head, then chunks a while apart
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/plain")]})
        for i in range(3):
            await asyncio.sleep(0.2)
            await send({"type": "http.response.body", "body": f"part {i}\n".encode(),
                        "more_body": True})
        await send({"type": "http.response.body", "body": b""})
        return
    body = b"x" * int(scope["query_string"] or b"5")
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def test_a_server_on_it_answers_whole_streams_at_once_and_keeps_connections() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(_app, host="127.0.0.1", port=port,
                                           http=JoinedHttpToolsProtocol, log_level="warning",
                                           lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
            for size in (0, 1, 5, 70_000, 1_000_000):  # one connection, kept
                r = client.get("/") if size == 5 else client.get(f"/?{size}")
                assert r.status_code == 200 and r.content == b"x" * size
            assert client.head("/?12").headers["content-length"] == "12"
            started = time.monotonic()
            with client.stream("GET", "/stream") as r:
                assert r.status_code == 200  # the head came before the first chunk (0.2 s)
                assert time.monotonic() - started < 0.15
                assert b"".join(r.iter_bytes()) == b"part 0\npart 1\npart 2\n"
            assert client.post("/?3", content=b"y" * 10,
                               headers={"expect": "100-continue"}).content == b"xxx"
    finally:
        server.should_exit = True
        thread.join(10)
    assert not thread.is_alive()
