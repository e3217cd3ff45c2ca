"""Batch API stubs in the providers' wire formats: Anthropic Message Batches and OpenAI Batch.

Both also serve their synchronous chat endpoint (a batch that is cancelled or fails falls back
to it). A batch ends after ``polls_to_end`` retrievals (``None``: never, until cancelled);
``errors`` maps a piece of a request's prompt to a per-request error; ``expire`` ends the next batch expired.
Every created batch is kept in ``batches`` with its requests, so a test can count submissions.

A cancelled batch behaves as the real ones do: it stays ``canceling`` (Anthropic) or
``cancelling`` (OpenAI) for ``cancel_polls`` retrievals (``None``: never ends), then ends with
the first ``done_before_cancel`` requests finished (``succeeded`` results / lines in the output
file) and the rest ``canceled`` (Anthropic) or absent (OpenAI). Results exist only once a batch
has ended. ``billed`` lists every request a batch finished (what the provider charges for):
``{"custom_id", "model", "usage"}``.
"""

from __future__ import annotations

import datetime as dt
import email.parser
import email.policy
import itertools
import json
import time
from typing import Any

from .anthropic import AnthropicStub, error_body
from .base import Recorded, Reply, prompt_of
from .openai_compat import OpenAIStub
from .openai_compat import error_body as openai_error

_ids = itertools.count(1)


def _rfc3339(t: float) -> str:
    return dt.datetime.fromtimestamp(t, dt.timezone.utc).isoformat().replace("+00:00", "Z")


class _Errors:
    errors: dict[str, str]

    def _error(self, body: Any) -> str:
        prompt = prompt_of(body)
        return next((why for piece, why in self.errors.items() if piece in prompt), "")


class AnthropicBatchStub(_Errors, AnthropicStub):
    name = "anthropic-batches"

    def __init__(self, api_key: str | None = "sk-ant-stub-key") -> None:
        super().__init__(api_key)
        self.polls_to_end: int | None = 1
        self.errors: dict[str, str] = {}
        self.expire = False
        self.cancel_polls: int | None = 1
        self.done_before_cancel = 1
        self.billed: list[dict[str, Any]] = []
        self.batches: dict[str, dict[str, Any]] = {}

    def _view(self, b: dict[str, Any]) -> dict[str, Any]:
        counts = {"processing": 0, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0}
        if b["status"] == "ended":
            for r in b["results"]:
                counts[r["result"]["type"]] += 1
        else:
            counts["processing"] = len(b["requests"])
        return {"id": b["id"], "type": "message_batch", "processing_status": b["status"],
                "request_counts": counts, "created_at": _rfc3339(b["created"]),
                "expires_at": _rfc3339(b["created"] + 86400),
                "ended_at": _rfc3339(time.time()) if b["status"] == "ended" else None,
                "cancel_initiated_at": _rfc3339(b["cancelled"]) if b["cancelled"] else None,
                "archived_at": None,
                "results_url": self.url(f"/v1/messages/batches/{b['id']}/results")
                if b["status"] == "ended" else None}

    def _end(self, b: dict[str, Any], *, cancelled: bool = False) -> None:
        results = []
        for i, r in enumerate(b["requests"]):
            cid = r["custom_id"]
            if self.expire:
                result: dict[str, Any] = {"type": "expired"}
            elif self._error(r["params"]):
                result = {"type": "errored", "error": error_body("invalid_request_error",
                                                                 self._error(r["params"]))}
            elif cancelled and i >= b["done_before_cancel"]:
                result = {"type": "canceled"}
            else:
                self.billed.append({"custom_id": cid, "model": r["params"]["model"],
                                    "usage": dict(self.usage)})
                result = {"type": "succeeded", "message": {
                    "id": f"msg_batch{next(_ids):04d}", "type": "message", "role": "assistant",
                    "model": r["params"]["model"], "stop_reason": "end_turn",
                    "stop_sequence": None,
                    "content": [{"type": "text", "text": self.text_for(r["params"])}],
                    "usage": dict(self.usage)}}
            results.append({"custom_id": cid, "result": result})
        b["results"], b["status"] = results, "ended"

    def handle(self, req: Recorded) -> Reply:
        if "/v1/messages/batches" not in req.path:
            return super().handle(req)
        if self.api_key is not None and req.headers.get("x-api-key") != self.api_key:
            return Reply(401, error_body("authentication_error", "invalid x-api-key"))
        if not req.headers.get("anthropic-version"):
            return Reply(400, error_body("invalid_request_error",
                                         "anthropic-version: header is required"))
        parts = req.path.split("/v1/messages/batches", 1)[1].strip("/").split("/")
        if req.method == "POST" and parts == [""]:
            body = req.json()
            requests = body.get("requests") if isinstance(body, dict) else None
            if not requests:
                return Reply(400, error_body("invalid_request_error",
                                             "requests: Field required"))
            for r in requests:
                if set(r) != {"custom_id", "params"} or "max_tokens" not in r["params"]:
                    return Reply(400, error_body("invalid_request_error",
                                                 "requests.0: custom_id and params required"))
            bid = f"msgbatch_stub{next(_ids):04d}"
            b = self.batches[bid] = {"id": bid, "requests": requests, "status": "in_progress",
                                     "polls": 0, "created": time.time(), "cancelled": None,
                                     "results": [], "cancel_polls": 0,
                                     "done_before_cancel": self.done_before_cancel}
            return Reply(200, self._view(b))
        if req.method == "GET" and parts == [""]:  # newest first, paged by after_id
            limit = int(req.q("limit") or 20)
            if not 1 <= limit <= 1000:
                return Reply(400, error_body("invalid_request_error", "limit: 1 to 1000"))
            order = list(reversed(self.batches))
            after = req.q("after_id")
            if after is not None:
                order = order[order.index(after) + 1:] if after in order else []
            page = [self._view(self.batches[i]) for i in order[:limit]]
            return Reply(200, {"data": page, "has_more": len(order) > limit,
                               "first_id": page[0]["id"] if page else None,
                               "last_id": page[-1]["id"] if page else None})
        b = self.batches.get(parts[0])
        if b is None:
            return Reply(404, error_body("not_found_error", f"batch {parts[0]} not found"))
        if req.method == "GET" and len(parts) == 1:
            b["polls"] += 1
            if b["status"] == "in_progress" and self.polls_to_end is not None \
                    and b["polls"] >= self.polls_to_end:
                self._end(b)
            elif b["status"] == "canceling":
                b["cancel_polls"] += 1
                if self.cancel_polls is not None and b["cancel_polls"] >= self.cancel_polls:
                    self._end(b, cancelled=True)
            return Reply(200, self._view(b))
        if req.method == "POST" and parts[1:] == ["cancel"]:
            if b["status"] == "in_progress":
                b["status"], b["cancelled"] = "canceling", time.time()
            return Reply(200, self._view(b))
        if req.method == "GET" and parts[1:] == ["results"]:
            if b["status"] != "ended":
                return Reply(400, error_body("invalid_request_error", "batch has not ended"))
            text = "".join(json.dumps(r) + "\n" for r in b["results"])
            return Reply(200, text, {"content-type": "application/binary"})
        return Reply(404, error_body("not_found_error", f"{req.path} not found"))


class OpenAIBatchStub(_Errors, OpenAIStub):
    name = "openai-batches"

    def __init__(self, api_key: str | None = "sk-openai-stub-key") -> None:
        super().__init__(api_key)
        self.polls_to_end: int | None = 1
        self.errors: dict[str, str] = {}
        self.expire = False
        self.cancel_polls: int | None = 1
        self.done_before_cancel = 1
        self.billed: list[dict[str, Any]] = []
        self.files: dict[str, dict[str, Any]] = {}
        self.batches: dict[str, dict[str, Any]] = {}

    def _file(self, content: bytes, purpose: str, name: str) -> dict[str, Any]:
        fid = f"file-stub{next(_ids):04d}"
        self.files[fid] = {"id": fid, "object": "file", "bytes": len(content),
                           "created_at": int(time.time()), "filename": name,
                           "purpose": purpose, "status": "processed", "content": content}
        return {k: v for k, v in self.files[fid].items() if k != "content"}

    def _view(self, b: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in b.items() if not k.startswith("_")}

    def _end(self, b: dict[str, Any], status: str) -> None:
        out, err = [], []
        lines = [json.loads(x) for x in self.files[b["input_file_id"]]["content"].splitlines()
                 if x.strip()]
        for i, r in enumerate(lines):
            cid = r["custom_id"]
            if status != "completed" and (status == "expired" or i >= b["_done_before_cancel"]):
                continue  # not processed: no line in either file
            if self._error(r["body"]):
                err.append({"id": f"batch_req_{next(_ids)}", "custom_id": cid,
                            "response": {"status_code": 400, "request_id": f"req_{next(_ids)}",
                                         "body": openai_error(self._error(r["body"]))},
                            "error": None})
                continue
            self.billed.append({"custom_id": cid, "model": r["body"]["model"],
                                "usage": dict(self.usage)})
            out.append({"id": f"batch_req_{next(_ids)}", "custom_id": cid,
                        "response": {"status_code": 200, "request_id": f"req_{next(_ids)}",
                                     "body": {"id": f"chatcmpl-batch{next(_ids)}",
                                              "object": "chat.completion",
                                              "created": int(time.time()),
                                              "model": r["body"]["model"],
                                              "choices": [{"index": 0, "finish_reason": "stop",
                                                           "message": {
                                                               "role": "assistant",
                                                               "content": self.text_for(
                                                                   r["body"])}}],
                                              "usage": dict(self.usage)}},
                        "error": None})
        now = int(time.time())
        for rows, key in ((out, "output_file_id"), (err, "error_file_id")):
            if rows:
                data = "".join(json.dumps(x) + "\n" for x in rows).encode()
                b[key] = self._file(data, "batch_output", f"{b['id']}_{key}.jsonl")["id"]
        b["status"] = status
        b["request_counts"] = {"total": len(lines), "completed": len(out), "failed": len(err)}
        b[{"completed": "completed_at", "expired": "expired_at",
           "cancelled": "cancelled_at"}[status]] = now

    def handle(self, req: Recorded) -> Reply:
        path = req.path.removeprefix("/v1")
        if not (path.startswith("/files") or path.startswith("/batches")):
            return super().handle(req)
        if not self.bearer_ok(req):
            return Reply(401, openai_error("Incorrect API key provided", "authentication_error",
                                           "invalid_api_key"))
        parts = path.strip("/").split("/")
        if req.method == "POST" and parts == ["files"]:
            ctype = req.headers.get("content-type", "")
            msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                f"content-type: {ctype}\r\n\r\n".encode() + req.body)
            fields = {p.get_param("name", header="content-disposition"): p
                      for p in msg.iter_parts()}
            if "file" not in fields or fields.get("purpose") is None:
                return Reply(400, openai_error("'file' and 'purpose' are required"))
            purpose = fields["purpose"].get_content().strip()
            if purpose != "batch":
                return Reply(400, openai_error(f"unsupported purpose {purpose!r}"))
            content = fields["file"].get_payload(decode=True)
            for line in content.splitlines():
                r = json.loads(line)
                if set(r) != {"custom_id", "method", "url", "body"}:
                    return Reply(400, openai_error("each line needs custom_id, method, url, "
                                                   "body"))
            return Reply(200, self._file(content, "batch",
                                         fields["file"].get_filename() or "input.jsonl"))
        if req.method == "GET" and len(parts) == 3 and parts[0] == "files" \
                and parts[2] == "content":
            f = self.files.get(parts[1])
            if f is None:
                return Reply(404, openai_error(f"No such File object: {parts[1]}"))
            return Reply(200, f["content"], {"content-type": "application/octet-stream"})
        if req.method == "POST" and parts == ["batches"]:
            body = req.json()
            if body.get("completion_window") != "24h" or body.get("input_file_id") not in \
                    self.files or body.get("endpoint") != "/v1/chat/completions":
                return Reply(400, openai_error("invalid batch parameters"))
            bid = f"batch_stub{next(_ids):04d}"
            now = int(time.time())
            self.batches[bid] = {
                "id": bid, "object": "batch", "endpoint": body["endpoint"], "errors": None,
                "input_file_id": body["input_file_id"], "completion_window": "24h",
                "status": "validating", "output_file_id": None, "error_file_id": None,
                "created_at": now, "in_progress_at": None, "expires_at": now + 86400,
                "finalizing_at": None, "completed_at": None, "failed_at": None,
                "expired_at": None, "cancelling_at": None, "cancelled_at": None,
                "request_counts": {"total": 0, "completed": 0, "failed": 0},
                "metadata": body.get("metadata"), "_polls": 0, "_cancel_polls": 0,
                "_done_before_cancel": self.done_before_cancel}
            return Reply(200, self._view(self.batches[bid]))
        if req.method == "GET" and parts == ["batches"]:
            data = [self._view(b) for b in reversed(self.batches.values())]
            return Reply(200, {"object": "list", "data": data, "has_more": False,
                               "first_id": data[0]["id"] if data else None,
                               "last_id": data[-1]["id"] if data else None})
        b = self.batches.get(parts[1]) if len(parts) > 1 and parts[0] == "batches" else None
        if b is None:
            return Reply(404, openai_error(f"No such Batch object: {req.path}"))
        if req.method == "GET" and len(parts) == 2:
            b["_polls"] += 1
            if b["status"] in ("validating", "in_progress"):
                b["status"], b["in_progress_at"] = "in_progress", int(time.time())
                if self.expire:
                    self._end(b, "expired")
                elif self.polls_to_end is not None and b["_polls"] >= self.polls_to_end:
                    self._end(b, "completed")
            elif b["status"] == "cancelling":
                b["_cancel_polls"] += 1
                if self.cancel_polls is not None and b["_cancel_polls"] >= self.cancel_polls:
                    self._end(b, "cancelled")
            return Reply(200, self._view(b))
        if req.method == "POST" and parts[2:] == ["cancel"]:
            if b["status"] in ("validating", "in_progress"):
                b["status"], b["cancelling_at"] = "cancelling", int(time.time())
            return Reply(200, self._view(b))
        return Reply(404, openai_error(f"{req.path} not found"))
