"""OpenAI's Batch API through the gateway: ``/v1/files`` and ``/v1/batches``.

An app uploads a JSONL file of chat requests (``POST /v1/files``, purpose ``batch``; each
line ``{"custom_id", "method": "POST", "url": "/v1/chat/completions", "body"}``, or every
line ``/v1/responses`` and a Responses request), creates a batch of it (``POST
/v1/batches``, its ``endpoint`` the lines' url, ``completion_window: "24h"``), follows it (``GET
/v1/batches/{id}``) and reads the answers from its output file (``GET /v1/files/{id}/content``:
``{"id", "custom_id", "response": {"status_code", "request_id", "body"}, "error"}`` lines, the
failed ones in the error file). Every line is routed like a live request — its task type, the
decision matrix and memory, the key's budgets reserved before the call, the ledger — in the
run ``gwb-<batch id>``, with the pipelines' :class:`~archibald.providers.backends.batchapi.
Batcher` on its context: a line whose route's provider has a batch API (Anthropic, OpenAI) is
gathered with the others into the provider's own batch and billed at the batch price (about
half); a line for any other provider, or with tools or a response format, is called at once.

A batch is run by one worker, which says so every half minute; a batch whose worker fell
silent (killed, stopped) is taken over by another, which runs its lines again: a line already
answered is taken from the ledger (the router's resume), a request already in a provider batch
is followed there, nothing is paid twice. ``POST /v1/batches/{id}/cancel`` starts no further
line; lines in flight finish.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import time
import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select, update

from ...core.tasks import Context
from ...errors import BudgetExceeded, DelegationError, UserError
from ...store.ledger import NANO
from ...store.migrations import gateway_batches, gateway_files
from .wire import ApiError, bad, upstream_failed

if TYPE_CHECKING:
    from .keys import Key
    from .service import Gateway

__all__ = ["Batches", "ENDPOINT", "ENDPOINTS", "MAX_FILE_BYTES"]

ENDPOINT = "/v1/chat/completions"
#: the endpoints a batch may name (OpenAI's Batch API): every line of a batch asks the one
#: its batch names, and is answered in that endpoint's own shape
ENDPOINTS = (ENDPOINT, "/v1/responses")
#: the largest file taken (ARCHIBALD_MAX_FILE_BYTES); OpenAI takes 200 MB
MAX_FILE_BYTES = int(os.environ.get("ARCHIBALD_MAX_FILE_BYTES", str(200 * 1024 * 1024)))
#: the most lines of one batch (OpenAI's limit)
MAX_LINES = 50_000
#: a batch's worker says it is alive this often; silent for four times that, it is taken over
_BEAT = 30.0
#: lines of one batch in flight at once (the batcher gathers them into provider batches)
_PARALLEL = 64
_OPEN = ("in_progress", "finalizing", "cancelling")


def _not_found(what: str) -> ApiError:
    return ApiError(404, f"no {what} of this key", "invalid_request_error", "not_found")


class Batches:
    """The files and batches of one gateway process."""

    def __init__(self, gateway: "Gateway") -> None:
        self.gateway = gateway
        self.worker = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.running: dict[str, asyncio.Task[None]] = {}
        self._batcher: Any = None

    @property
    def batcher(self) -> Any:
        """The pipelines' Batcher over this store (None: no provider with a batch API)."""
        if self._batcher is None:
            from ...pipeline.batch import default_batcher

            self._batcher = default_batcher(self.gateway.settings, self.gateway.memory) or False
        return self._batcher or None

    @property
    def engine(self) -> Any:
        return self.gateway.memory.engine

    # -- files ----------------------------------------------------------------------------
    def add_file(self, key: "Key", purpose: str, filename: str, content: bytes) -> dict[str, Any]:
        if purpose != "batch":
            raise bad(f"purpose {purpose!r:.40} is not served here: only \"batch\"")
        if not content:
            raise bad("the file is empty")
        return self._store(key.name, purpose, filename or "upload.jsonl", content)

    def _store(self, owner: str, purpose: str, filename: str, content: bytes) -> dict[str, Any]:
        row = {"id": f"file-{uuid.uuid4().hex[:24]}", "owner": owner, "purpose": purpose,
               "filename": filename[:255], "bytes": len(content), "content": content,
               "created_at": time.time()}
        with self.engine.begin() as conn:
            conn.execute(gateway_files.insert().values(**row))
        return _file_object(row)

    def file_row(self, key: "Key", file_id: str) -> dict[str, Any]:
        with self.engine.connect() as conn:
            row = conn.execute(select(gateway_files).where(
                gateway_files.c.id == file_id, gateway_files.c.owner == key.name)
            ).mappings().first()
        if row is None:
            raise _not_found(f"file {file_id!r:.60}")
        return dict(row)

    def file(self, key: "Key", file_id: str) -> dict[str, Any]:
        return _file_object(self.file_row(key, file_id))

    # -- batches --------------------------------------------------------------------------
    def create(self, key: "Key", body: dict[str, Any]) -> dict[str, Any]:
        """A batch of the key's uploaded file, started at once; 400 for a bad file or body."""
        endpoint = body.get("endpoint")
        if endpoint not in ENDPOINTS:
            raise bad(f"endpoint must be one of {', '.join(map(repr, ENDPOINTS))} (the ones "
                      f"batched here)")
        if body.get("completion_window") != "24h":
            raise bad('completion_window must be "24h"')
        meta = body.get("metadata") or {}
        if not isinstance(meta, dict) or len(meta) > 16 or not all(
                isinstance(k, str) and isinstance(v, str) and len(k) <= 64 and len(v) <= 512
                for k, v in meta.items()):
            raise bad("metadata must be at most 16 pairs of text (keys up to 64 characters, "
                      "values up to 512)")
        file_id = body.get("input_file_id")
        if not isinstance(file_id, str):
            raise bad("input_file_id is required")
        lines = _lines(self.file_row(key, file_id)["content"], str(endpoint))
        now = time.time()
        row = {"id": f"batch_{uuid.uuid4().hex[:24]}", "owner": key.name,
               "input_file_id": file_id, "endpoint": endpoint, "completion_window": "24h",
               "status": "in_progress", "metadata": json.dumps(meta), "total": len(lines),
               "completed": 0, "failed": 0, "created_at": now, "in_progress_at": now,
               "expires_at": now + 24 * 3600, "worker": self.worker, "beat_at": now}
        with self.engine.begin() as conn:
            conn.execute(gateway_batches.insert().values(**row))
        self._start(str(row["id"]))
        return self._object(self.row(key, str(row["id"])))

    def row(self, key: "Key", batch_id: str) -> dict[str, Any]:
        with self.engine.connect() as conn:
            row = conn.execute(select(gateway_batches).where(
                gateway_batches.c.id == batch_id, gateway_batches.c.owner == key.name)
            ).mappings().first()
        if row is None:
            raise _not_found(f"batch {batch_id!r:.60}")
        return dict(row)

    def get(self, key: "Key", batch_id: str) -> tuple[dict[str, Any], float]:
        """The batch as OpenAI's Batch object, and what its lines have cost so far (USD)."""
        row = self.row(key, batch_id)
        return self._object(row), self.gateway.memory.spent_nano(run_id=_run_id(batch_id)) / NANO

    def cancel(self, key: "Key", batch_id: str) -> dict[str, Any]:
        row = self.row(key, batch_id)
        if row["status"] in _OPEN:
            with self.engine.begin() as conn:
                conn.execute(update(gateway_batches).where(
                    gateway_batches.c.id == batch_id,
                    gateway_batches.c.status.in_(_OPEN)).values(status="cancelling"))
        return self._object(self.row(key, batch_id))

    def _object(self, row: dict[str, Any]) -> dict[str, Any]:
        """OpenAI's ``Batch``."""
        status = row["status"]
        return {"id": row["id"], "object": "batch", "endpoint": row["endpoint"],
                "errors": None, "input_file_id": row["input_file_id"],
                "completion_window": row["completion_window"], "status": status,
                "output_file_id": row["output_file_id"], "error_file_id": row["error_file_id"],
                "created_at": int(row["created_at"]),
                "in_progress_at": _int(row["in_progress_at"]),
                "expires_at": int(row["expires_at"]),
                "completed_at": _int(row["completed_at"]) if status == "completed" else None,
                "cancelled_at": _int(row["cancelled_at"]),
                "request_counts": {"total": row["total"], "completed": row["completed"],
                                   "failed": row["failed"]},
                "metadata": json.loads(row["metadata"] or "{}")}

    # -- running ----------------------------------------------------------------------------
    def _start(self, batch_id: str) -> None:
        if batch_id in self.running:
            return
        task = asyncio.get_running_loop().create_task(self._run(batch_id))
        self.running[batch_id] = task
        task.add_done_callback(lambda _: self.running.pop(batch_id, None))

    async def take_over(self) -> list[str]:
        """Start the open batches whose worker fell silent (a killed or stopped one)."""
        now = time.time()
        with self.engine.begin() as conn:
            ids = list(conn.execute(select(gateway_batches.c.id).where(
                gateway_batches.c.status.in_(_OPEN),
                or_(gateway_batches.c.beat_at.is_(None),
                    gateway_batches.c.beat_at < now - 4 * _BEAT))).scalars())
            taken = [i for i in ids if conn.execute(update(gateway_batches).where(
                gateway_batches.c.id == i, or_(gateway_batches.c.beat_at.is_(None),
                                               gateway_batches.c.beat_at < now - 4 * _BEAT))
                .values(worker=self.worker, beat_at=now)).rowcount == 1]
        for batch_id in taken:
            self._start(batch_id)
        return taken

    async def stop(self) -> None:
        """The process stops: its batches are left for another worker (their provider
        batches stay open and are followed by whoever takes them over)."""
        for task in list(self.running.values()):
            task.cancel()
        if self.running:
            await asyncio.wait(set(self.running.values()), timeout=10)
        with self.engine.begin() as conn:
            conn.execute(update(gateway_batches).where(
                gateway_batches.c.worker == self.worker,
                gateway_batches.c.status.in_(_OPEN)).values(beat_at=None))

    async def _run(self, batch_id: str) -> None:
        with self.engine.connect() as conn:
            row = dict(conn.execute(select(gateway_batches).where(
                gateway_batches.c.id == batch_id)).mappings().one())
        key = next((k for k in self.gateway.keys.all() if k.name == row["owner"]), None)
        with self.engine.connect() as conn:
            content = conn.execute(select(gateway_files.c.content).where(
                gateway_files.c.id == row["input_file_id"])).scalar_one()
        lines = _lines(content, str(row["endpoint"]))
        run_id = _run_id(batch_id)
        if self.batcher is not None:
            self.batcher.register(run_id, float(row["expires_at"]))
        gate = asyncio.Semaphore(_PARALLEL)
        beat = asyncio.get_running_loop().create_task(self._beat(batch_id))
        try:
            results = await asyncio.gather(*(self._line(gate, key, run_id, n, line, batch_id)
                                             for n, line in enumerate(lines)))
        finally:
            beat.cancel()
        self._finish(row, results)

    async def _beat(self, batch_id: str) -> None:
        while True:
            await asyncio.sleep(_BEAT)
            with self.engine.begin() as conn:
                conn.execute(update(gateway_batches).where(
                    gateway_batches.c.id == batch_id).values(beat_at=time.time()))

    def _cancelled(self, batch_id: str) -> bool:
        with self.engine.connect() as conn:
            status = conn.execute(select(gateway_batches.c.status).where(
                gateway_batches.c.id == batch_id)).scalar_one()
        return bool(status == "cancelling")

    async def _line(self, gate: asyncio.Semaphore, key: "Key | None", run_id: str, n: int,
                    line: dict[str, Any], batch_id: str) -> dict[str, Any] | None:
        """One line's output (or error) line; None when it was never started (cancelled)."""
        from . import openai as openai_api
        from . import responses as responses_api
        from .service import answer_of

        wire = responses_api if line["url"] == "/v1/responses" else openai_api

        async with gate:
            if self._cancelled(batch_id):
                return None
            request_id = f"batch_req_{batch_id.removeprefix('batch_')[:12]}{n:06d}"
            if key is None or key.revoked_at is not None:
                return _failed(request_id, line["custom_id"], 401, "invalid_api_key",
                               "the batch's key was revoked")
            try:
                req = wire.to_request(line["body"], None)
                job = self.gateway.prepare(key, req, run_id=run_id, stage=f"line-{n}")
                context = Context(workdir=self.gateway.workdir,
                                  extra={"batcher": self.batcher, "run_id": run_id})
                result = await self.gateway.run(job, context)
            except ApiError as exc:
                return _failed(request_id, line["custom_id"], exc.status, exc.code, exc.message)
            except BudgetExceeded as exc:
                return _failed(request_id, line["custom_id"], 429, "budget_exceeded",
                               str(exc))
            except UserError as exc:
                return _failed(request_id, line["custom_id"], 400, "invalid_request", str(exc))
            except DelegationError as exc:
                err = upstream_failed(exc)
                return _failed(request_id, line["custom_id"], err.status, err.code, err.message)
            ans = answer_of(result, job)
            return {"id": request_id, "custom_id": line["custom_id"],
                    "response": {"status_code": 200, "request_id": ans.id,
                                 "body": wire.body(ans, line["body"])}, "error": None}

    def _finish(self, row: dict[str, Any], results: list[dict[str, Any] | None]) -> None:
        done = [r for r in results if r is not None and r["response"]["status_code"] == 200]
        failed = [r for r in results if r is not None and r["response"]["status_code"] != 200]
        cancelled = any(r is None for r in results)
        out = {"output_file_id": None, "error_file_id": None}
        for name, part in (("output_file_id", done), ("error_file_id", failed)):
            if part:
                out[name] = self._store(str(row["owner"]), "batch_output",
                                        f"{row['id']}_{name.split('_')[0]}.jsonl",
                                        _jsonl(part))["id"]
        now = time.time()
        with self.engine.begin() as conn:
            conn.execute(update(gateway_batches).where(gateway_batches.c.id == row["id"])
                         .values(status="cancelled" if cancelled else "completed",
                                 completed=len(done), failed=len(failed),
                                 completed_at=None if cancelled else now,
                                 cancelled_at=now if cancelled else None, **out))


def _run_id(batch_id: str) -> str:
    """The ledger run of a batch's lines (not ``gw-``: their calls may wait for hours)."""
    return f"gwb-{batch_id.removeprefix('batch_')}"


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _file_object(row: dict[str, Any]) -> dict[str, Any]:
    """OpenAI's ``FileObject``."""
    return {"id": row["id"], "object": "file", "bytes": int(row["bytes"]),
            "created_at": int(row["created_at"]), "filename": row["filename"],
            "purpose": row["purpose"], "status": "processed"}


def _jsonl(rows: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


def _failed(request_id: str, custom_id: str, status: int, code: str | None,
            message: str) -> dict[str, Any]:
    kind = {400: "invalid_request_error", 401: "authentication_error",
            429: "insufficient_quota"}.get(status, "api_error")
    return {"id": request_id, "custom_id": custom_id, "response": {
        "status_code": status, "request_id": "",
        "body": {"error": {"message": message, "type": kind, "param": None, "code": code}}},
        "error": None}


def _lines(content: bytes, endpoint: str = ENDPOINT) -> list[dict[str, Any]]:
    """A batch file's requests to ``endpoint``, every line checked (a 400 names the first
    bad one)."""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        raise bad("the batch file is not UTF-8 text") from None
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for n, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        try:
            line = json.loads(raw)
        except ValueError as exc:
            raise bad(f"line {n} of the batch file is not JSON: {exc}") from None
        if not isinstance(line, dict):
            raise bad(f"line {n} of the batch file must be a JSON object")
        custom_id = line.get("custom_id")
        if not isinstance(custom_id, str) or not custom_id or len(custom_id) > 512:
            raise bad(f"line {n}: custom_id must be text (1 to 512 characters)")
        if custom_id in seen:
            raise bad(f"line {n}: custom_id {custom_id!r:.60} is used twice")
        seen.add(custom_id)
        if line.get("method") != "POST" or line.get("url") != endpoint:
            raise bad(f'line {n}: method must be "POST" and url {endpoint!r} (the batch\'s '
                      f'endpoint)')
        if not isinstance(line.get("body"), dict):
            raise bad(f"line {n}: body must be a request object of {endpoint}")
        if line["body"].get("stream"):
            raise bad(f"line {n}: a batched request cannot stream")
        out.append(line)
    if not out:
        raise bad("the batch file has no requests")
    if len(out) > MAX_LINES:
        raise bad(f"the batch file has {len(out)} requests; at most {MAX_LINES}")
    return out
