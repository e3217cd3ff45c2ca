"""A tiny threaded HTTP server that records requests and replays a queue of scripted faults.

Subclasses implement :meth:`StubServer.handle` for the provider's happy path; tests script
failures with :meth:`StubServer.fail` (status, body, headers, delay, raw bytes), which are
served first, in order, to the requests they match.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Union
from urllib.parse import parse_qs, urlsplit


#: a chat stub's answer: fixed text, or a function of the request body (to script replies)
TextReply = Union[str, Callable[[Any], str]]


def prompt_of(body: Any) -> str:
    """The last user text of a chat request (Anthropic/OpenAI messages or Responses input)."""
    if not isinstance(body, dict):
        return ""
    if isinstance(body.get("input"), str):
        return str(body["input"])
    for message in reversed(body.get("messages") or []):
        if message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, list):
                return "".join(c.get("text", "") for c in content if isinstance(c, dict))
            return str(content or "")
    return ""


@dataclass
class Recorded:
    """One request the stub received."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def q(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None


@dataclass
class Reply:
    """What the stub answers: status, headers and a body (JSON-encoded unless bytes/str)."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    #: a server-sent event stream instead of ``body``: each item written as it comes (HTTP
    #: chunked), ``event_delay`` seconds apart
    events: list[bytes] | None = None
    event_delay: float = 0.0

    def encoded(self) -> tuple[bytes, str]:
        if isinstance(self.body, bytes):
            return self.body, self.headers.get("content-type", "application/octet-stream")
        if isinstance(self.body, str):
            return self.body.encode(), self.headers.get("content-type", "application/json")
        if self.body is None:
            return b"", self.headers.get("content-type", "application/json")
        return json.dumps(self.body).encode(), "application/json"


@dataclass
class Fault:
    """A scripted reply served instead of the happy path to the next matching request."""

    reply: Reply
    path: str | None = None  # substring of the path; None matches every request
    method: str | None = None

    def matches(self, req: Recorded) -> bool:
        return ((self.path is None or self.path in req.path)
                and (self.method is None or self.method == req.method))


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence
        pass

    def _serve(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        req = Recorded(self.command, parts.path, parse_qs(parts.query),
                       {k.lower(): v for k, v in self.headers.items()}, body)
        stub = self.server.stub
        reply = stub._reply(req)
        if reply.delay:
            time.sleep(reply.delay)
        if reply.events is not None:
            self._stream(req, reply)
            return
        data, ctype = reply.encoded()
        try:
            self.send_response(reply.status)
            headers = {"content-type": ctype, **reply.headers}
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)
            self.wfile.flush()
            with stub._lock:  # what was answered (and so, for a paid API, billed), and when
                stub.served.append((req, reply.status, time.monotonic()))
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _stream(self, req: Recorded, reply: Reply) -> None:
        """Server-sent events, one HTTP chunk each; a client that hangs up stops the stream
        (and, as a provider would, nothing is counted as answered in full)."""
        stub = self.server.stub
        try:
            self.send_response(reply.status)
            for k, v in {"content-type": "text/event-stream", "cache-control": "no-cache",
                         **reply.headers}.items():
                self.send_header(k, v)
            self.send_header("transfer-encoding", "chunked")
            self.end_headers()
            for i, event in enumerate(reply.events or []):
                if i and reply.event_delay:
                    time.sleep(reply.event_delay)
                self.wfile.write(b"%x\r\n%s\r\n" % (len(event), event))
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
            with stub._lock:
                stub.served.append((req, reply.status, time.monotonic()))
        except (BrokenPipeError, ConnectionResetError):
            with stub._lock:
                stub.hung_up.append(req)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _serve


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    stub: "StubServer"


class StubServer:
    """Base of every provider stub: start/stop, base_url, recorded requests, scripted faults."""

    name = "stub"

    def __init__(self, api_key: str | None = None) -> None:
        self.api_key = api_key
        self.requests: list[Recorded] = []
        #: every answer written out in full: (request, status, time.monotonic() after it)
        self.served: list[tuple[Recorded, int, float]] = []
        #: streamed requests whose client hung up before the stream ended
        self.hung_up: list[Recorded] = []
        self.faults: deque[Fault] = deque()
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # lifecycle --------------------------------------------------------------------------
    def start(self) -> "StubServer":
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.stub = self
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True,
                                        name=f"{self.name}-stub")
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "StubServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "stub not started"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def url(self, path: str) -> str:
        return self.base_url + "/" + path.lstrip("/")

    # scripting --------------------------------------------------------------------------
    def fail(self, status: int, body: Any = None, *, headers: dict[str, str] | None = None,
             times: int = 1, delay: float = 0.0, path: str | None = None,
             method: str | None = None) -> "StubServer":
        """Answer the next ``times`` matching requests with this status/body instead."""
        for _ in range(times):
            self.faults.append(Fault(Reply(status, body, dict(headers or {}), delay),
                                     path, method))
        return self

    def slow(self, seconds: float, *, path: str | None = None, times: int = 1) -> "StubServer":
        """Delay the next matching happy-path replies (to provoke client timeouts)."""
        for _ in range(times):
            self.faults.append(Fault(Reply(-1, delay=seconds), path))
        return self

    def malformed(self, *, path: str | None = None, status: int = 200) -> "StubServer":
        """Answer the next matching request with a truncated JSON body."""
        return self.fail(status, '{"id": "oops", "content": [', path=path)

    def requests_to(self, fragment: str, method: str | None = None) -> list[Recorded]:
        return [r for r in self.requests
                if fragment in r.path and (method is None or r.method == method)]

    # serving ----------------------------------------------------------------------------
    def _reply(self, req: Recorded) -> Reply:
        with self._lock:
            self.requests.append(req)
            fault = next((f for f in self.faults if f.matches(req)), None)
            if fault is not None:
                self.faults.remove(fault)
        if fault is not None and fault.reply.status != -1:
            return fault.reply
        reply = self.handle(req)
        if fault is not None:  # a "slow" fault: the happy reply, late
            reply.delay = fault.reply.delay
        return reply

    def handle(self, req: Recorded) -> Reply:
        """The provider's happy path; subclasses override."""
        return Reply(404, {"error": f"no route for {req.method} {req.path}"})

    def text_for(self, body: Any) -> str:
        """The reply text for a request body: ``reply_text`` itself, or called with the body."""
        reply = getattr(self, "reply_text", "")
        return str(reply(body) if callable(reply) else reply)

    def bearer_ok(self, req: Recorded) -> bool:
        return self.api_key is None or req.headers.get("authorization") == \
            f"Bearer {self.api_key}"
