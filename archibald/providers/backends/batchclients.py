"""The provider batch APIs on the wire: Anthropic Message Batches and OpenAI Batch (create,
poll, list, cancel, read results), each behind the :class:`BatchClient` protocol the
:class:`~.batchapi.Batcher` drives. Wire formats: see :mod:`.batchapi`."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from ...core.tasks import Usage
from ...errors import BackendError, DelegationError
from ..registry import Provider

__all__ = ["BATCH_PRICED", "BatchFallback", "BatchRequest", "BatchAnswer", "BatchClient",
           "AnthropicBatches", "OpenAIBatches"]

log = logging.getLogger("archibald.providers.backends.batchapi")

ANTHROPIC_VERSION = "2023-06-01"
#: how a batch-priced call's price source starts in the ledger (reports count them by it)
BATCH_PRICED = "batch API: "


class BatchFallback(DelegationError):
    """The batch route cannot answer in time (or at all): call the provider synchronously."""


@dataclass(frozen=True)
class BatchRequest:
    """One request: the provider's own synchronous body, under our custom id."""

    custom_id: str
    body: dict[str, Any]


@dataclass(frozen=True)
class BatchAnswer:
    """One request's result: the provider's synchronous response body, or why not."""

    custom_id: str
    state: str  # succeeded | errored | canceled | expired
    body: dict[str, Any] | None = None
    error: str = ""


class BatchClient(Protocol):
    provider: str
    #: how long the provider documents a cancelled batch may stay cancelling, seconds
    cancel_wait: float

    async def create(self, requests: list[BatchRequest], job_key: str) -> str: ...
    async def poll(self, batch_id: str) -> tuple[str, bool]: ...
    async def results(self, batch_id: str) -> list[BatchAnswer]: ...
    async def cancel(self, batch_id: str) -> None: ...
    async def find(self, job_key: str, ids: list[str], since: float) -> str | None: ...
    def body(self, model: str, messages: list[dict[str, Any]], max_tokens: int,
             temperature: float | None) -> dict[str, Any]: ...
    def reply(self, body: Mapping[str, Any]) -> tuple[str, Usage, str]: ...


def _raise_for(provider: str, what: str, r: httpx.Response, secret: str | None) -> None:
    if r.status_code < 400:
        return
    text = r.text[:300]
    if secret:
        text = text.replace(secret, "***")
    raise BackendError(f"{provider} batch {what}: HTTP {r.status_code}: {text}",
                       provider=provider, status=r.status_code)


def _jsonl(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


_OPENAI_ENDED = ("completed", "failed", "expired", "cancelled")
#: how far a provider's clock (a batch's created_at) may be from ours
_CLOCK_SLACK = 300.0


def _epoch(stamp: Any) -> float:
    """Seconds since the epoch of an RFC 3339 time (Anthropic's created_at)."""
    import datetime as dt

    try:
        return dt.datetime.fromisoformat(str(stamp).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return float("inf")  # unreadable: never a reason to stop looking


class _HTTPBatches:
    provider = ""

    def __init__(self, provider: Provider, *, transport: httpx.AsyncBaseTransport | None = None,
                 timeout: float = 60.0) -> None:
        self.conf = provider
        self.transport = transport
        self.timeout = timeout

    def _client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.conf.base_url.rstrip("/"), headers=self._auth(),
                                 timeout=self.timeout, transport=self.transport)

    def _auth(self) -> dict[str, str]:
        raise NotImplementedError


class AnthropicBatches(_HTTPBatches):
    """Anthropic's Message Batches API (``/v1/messages/batches``)."""

    provider = "anthropic"
    #: "canceling" lasts until the requests in flight finish; a batch ends (cancelled or not)
    #: within 24 hours of its creation (docs.claude.com/en/docs/build-with-claude/batch-processing)
    cancel_wait = 86400.0
    list_page = 100  # batches per page of the list (the API allows 1 to 1000)

    def _auth(self) -> dict[str, str]:
        return {"x-api-key": self.conf.api_key or "", "anthropic-version": ANTHROPIC_VERSION}

    def body(self, model: str, messages: list[dict[str, Any]], max_tokens: int,
             temperature: float | None) -> dict[str, Any]:
        system = [m["content"] for m in messages if m["role"] == "system"]
        params: dict[str, Any] = {"model": model, "max_tokens": max_tokens,
                                  "messages": [m for m in messages if m["role"] != "system"]}
        if system:
            params["system"] = "\n\n".join(system)
        if temperature is not None:
            params["temperature"] = temperature
        return params

    def reply(self, body: Mapping[str, Any]) -> tuple[str, Usage, str]:
        text = "".join(c.get("text", "") for c in body.get("content") or []
                       if c.get("type") == "text")
        u = body.get("usage") or {}
        cached = int(u.get("cache_read_input_tokens") or 0)
        written = int(u.get("cache_creation_input_tokens") or 0)
        usage = Usage(input_tokens=int(u.get("input_tokens") or 0) + cached + written,
                      output_tokens=int(u.get("output_tokens") or 0),
                      cached_input_tokens=cached, cache_write_tokens=written, requests=1)
        return text, usage, str(body.get("stop_reason") or "")

    async def create(self, requests: list[BatchRequest], job_key: str) -> str:
        payload = {"requests": [{"custom_id": r.custom_id, "params": r.body} for r in requests]}
        async with self._client() as c:
            r = await c.post("/v1/messages/batches", json=payload)
        _raise_for(self.provider, "create", r, self.conf.api_key)
        return str(r.json()["id"])

    async def poll(self, batch_id: str) -> tuple[str, bool]:
        async with self._client() as c:
            r = await c.get(f"/v1/messages/batches/{batch_id}")
        _raise_for(self.provider, "retrieve", r, self.conf.api_key)
        status = str(r.json()["processing_status"])
        return status, status == "ended"

    async def results(self, batch_id: str) -> list[BatchAnswer]:
        async with self._client() as c:
            meta = await c.get(f"/v1/messages/batches/{batch_id}")
            _raise_for(self.provider, "retrieve", meta, self.conf.api_key)
            m = meta.json()
            if m.get("processing_status") != "ended":  # results exist only once it ended
                raise BackendError(f"{self.provider} batch {batch_id} has not ended "
                                   f"({m.get('processing_status')}): no results to read yet",
                                   provider=self.provider)
            url = m.get("results_url") or f"/v1/messages/batches/{batch_id}/results"
            r = await c.get(url)
        _raise_for(self.provider, "results", r, self.conf.api_key)
        return self._answers(r.text)

    async def find(self, job_key: str, ids: list[str], since: float) -> str | None:
        """The batch created for these requests, if the create went through before a crash.

        Anthropic keeps no metadata on a batch, so the list (newest first, paged with
        ``after_id``) is read back to ``since``: a batch that ended is ours when its results
        carry exactly our custom ids; one still processing is ours when it is the only one of
        that size created in the window (its results are matched by custom id when read).
        """
        want, open_ = set(ids), []
        params: dict[str, Any] = {"limit": self.list_page}
        async with self._client() as c:
            while True:
                r = await c.get("/v1/messages/batches", params=params)
                _raise_for(self.provider, "list", r, self.conf.api_key)
                page = r.json()
                older = False
                for b in page.get("data") or []:
                    if _epoch(b.get("created_at")) < since - _CLOCK_SLACK:
                        older = True
                        break
                    if sum(int(v) for v in (b.get("request_counts") or {}).values()) \
                            != len(want):
                        continue
                    if b.get("processing_status") != "ended":
                        open_.append(str(b["id"]))
                        continue
                    res = await c.get(b.get("results_url")
                                      or f"/v1/messages/batches/{b['id']}/results")
                    _raise_for(self.provider, "results", res, self.conf.api_key)
                    if {a.custom_id for a in self._answers(res.text)} == want:
                        return str(b["id"])
                if older or not page.get("has_more") or not page.get("last_id"):
                    break
                params = {"limit": self.list_page, "after_id": page["last_id"]}
        return open_[0] if len(open_) == 1 else None

    @staticmethod
    def _answers(text: str) -> list[BatchAnswer]:
        out = []
        for line in _jsonl(text):
            result = line.get("result") or {}
            kind = str(result.get("type", "errored"))
            if kind == "succeeded":
                out.append(BatchAnswer(line["custom_id"], kind, body=result.get("message")))
            else:
                err = ((result.get("error") or {}).get("error") or {}).get("message", "")
                out.append(BatchAnswer(line["custom_id"], kind, error=str(err or kind)))
        return out

    async def cancel(self, batch_id: str) -> None:
        async with self._client() as c:
            r = await c.post(f"/v1/messages/batches/{batch_id}/cancel")
        _raise_for(self.provider, "cancel", r, self.conf.api_key)


class OpenAIBatches(_HTTPBatches):
    """OpenAI's Batch API: a JSONL file of chat requests, then ``/v1/batches``."""

    provider = "openai"
    endpoint = "/v1/chat/completions"
    #: "the batch will be in status cancelling for up to 10 minutes, before changing to
    #: cancelled" (platform.openai.com/docs/guides/batch), plus a minute of slack
    cancel_wait = 660.0

    def _auth(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.conf.api_key or ''}"}

    def _path(self, path: str) -> str:
        # OPENAI_BASE_URL conventionally ends in /v1
        return path.removeprefix("/v1") if self.conf.base_url.rstrip("/").endswith("/v1") \
            else path

    def body(self, model: str, messages: list[dict[str, Any]], max_tokens: int,
             temperature: float | None) -> dict[str, Any]:
        body: dict[str, Any] = {"model": model, "messages": messages,
                                "max_completion_tokens": max_tokens}
        if temperature is not None:
            body["temperature"] = temperature
        return body

    def reply(self, body: Mapping[str, Any]) -> tuple[str, Usage, str]:
        choice = (body.get("choices") or [{}])[0]
        text = str((choice.get("message") or {}).get("content") or "")
        u = body.get("usage") or {}
        cached = int((u.get("prompt_tokens_details") or {}).get("cached_tokens") or 0)
        usage = Usage(input_tokens=int(u.get("prompt_tokens") or 0),
                      output_tokens=int(u.get("completion_tokens") or 0),
                      cached_input_tokens=cached, requests=1)
        return text, usage, str(choice.get("finish_reason") or "")

    async def create(self, requests: list[BatchRequest], job_key: str) -> str:
        lines = "".join(json.dumps({"custom_id": r.custom_id, "method": "POST",
                                    "url": self.endpoint, "body": r.body}) + "\n"
                        for r in requests)
        async with self._client() as c:
            f = await c.post(self._path("/v1/files"), data={"purpose": "batch"},
                             files={"file": (f"archibald-{job_key}.jsonl", lines.encode(),
                                             "application/jsonl")})
            _raise_for(self.provider, "file upload", f, self.conf.api_key)
            r = await c.post(self._path("/v1/batches"), json={
                "input_file_id": f.json()["id"], "endpoint": self.endpoint,
                "completion_window": "24h", "metadata": {"archibald_job": job_key}})
        _raise_for(self.provider, "create", r, self.conf.api_key)
        return str(r.json()["id"])

    async def find(self, job_key: str, ids: list[str], since: float) -> str | None:
        """The batch created for ``job_key`` (by its metadata), if the create went through."""
        async with self._client() as c:
            r = await c.get(self._path("/v1/batches"), params={"limit": 100})
        _raise_for(self.provider, "list", r, self.conf.api_key)
        for b in r.json().get("data") or []:
            if (b.get("metadata") or {}).get("archibald_job") == job_key:
                return str(b["id"])
        return None

    async def poll(self, batch_id: str) -> tuple[str, bool]:
        async with self._client() as c:
            r = await c.get(self._path(f"/v1/batches/{batch_id}"))
        _raise_for(self.provider, "retrieve", r, self.conf.api_key)
        status = str(r.json()["status"])
        return status, status in _OPENAI_ENDED

    async def results(self, batch_id: str) -> list[BatchAnswer]:
        out: list[BatchAnswer] = []
        async with self._client() as c:
            meta = await c.get(self._path(f"/v1/batches/{batch_id}"))
            _raise_for(self.provider, "retrieve", meta, self.conf.api_key)
            b = meta.json()
            if b.get("status") not in _OPENAI_ENDED:  # the output file is written at the end
                raise BackendError(f"{self.provider} batch {batch_id} has not ended "
                                   f"({b.get('status')}): no results to read yet",
                                   provider=self.provider)
            for key in ("output_file_id", "error_file_id"):
                if not b.get(key):
                    continue
                r = await c.get(self._path(f"/v1/files/{b[key]}/content"))
                _raise_for(self.provider, "results", r, self.conf.api_key)
                for line in _jsonl(r.text):
                    resp = line.get("response") or {}
                    if resp.get("status_code") == 200 and resp.get("body"):
                        out.append(BatchAnswer(line["custom_id"], "succeeded", body=resp["body"]))
                    else:
                        err = line.get("error") or (resp.get("body") or {}).get("error") or {}
                        out.append(BatchAnswer(line["custom_id"], "errored",
                                               error=str(err.get("message") or err or "failed")))
        return out

    async def cancel(self, batch_id: str) -> None:
        async with self._client() as c:
            r = await c.post(self._path(f"/v1/batches/{batch_id}/cancel"))
        _raise_for(self.provider, "cancel", r, self.conf.api_key)


# -- prices -------------------------------------------------------------------------------------
