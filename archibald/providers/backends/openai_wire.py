"""Chat over OpenAI's wire, straight: one pooled httpx client per event loop, no LiteLLM.

OpenAI, DeepSeek and Ollama (its ``/v1``) answer ``POST {base}/chat/completions`` in OpenAI's
Chat Completions format (the ``openai`` SDK's ``ChatCompletion``). Where every microsecond of a
call is added to an app's own latency (the gateway), a :class:`~archibald.providers.backends.
llm.ChatBackend` for these providers sends the request itself instead of through LiteLLM's
dispatch, which costs a few milliseconds of CPU a call. The body is the one LiteLLM would
send (OpenAI's ``max_completion_tokens`` for OpenAI, ``max_tokens`` elsewhere; DeepSeek's
``thinking`` as a top-level field); the answer is read into a :class:`Reply`, the same one the
LiteLLM path makes, so pricing, checks and the ledger cannot tell the two apart. The wire tap
(:mod:`.wire`) sees these sends like any other, so the answer is kept before it is parsed.

Errors keep the providers' own meaning: a status >= 400 goes through ``error_from_status``
(429 with its Retry-After, 5xx retried, 4xx not); a refused connection is unreachable; a 200
that cannot be read was probably billed (``UnreadableAnswer``, its maximum held).
"""

from __future__ import annotations

import asyncio
import json
import weakref
from dataclasses import dataclass, field
from typing import Any

import httpx

from ...core.tasks import Usage
from ...errors import DelegationError, ProviderUnreachable, UnreadableAnswer
from ..specs import Provider
from .http import error_from_status, translate_transport

__all__ = ["OPENAI_WIRE", "ChatWire", "Reply", "usage_of_json"]

#: providers whose chat endpoint is OpenAI's Chat Completions, called directly
OPENAI_WIRE = ("openai", "deepseek", "ollama")
#: request fields sent as they are (LiteLLM's keyword arguments of the same names)
_FIELDS = ("messages", "temperature", "tools", "tool_choice", "response_format", "stop",
           "top_p", "seed", "parallel_tool_calls")


@dataclass
class Reply:
    """A chat answer, whichever client read it."""

    text: str
    tool_calls: list[dict[str, Any]]
    finish_reason: str | None
    usage: Usage
    request_id: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


def usage_of_json(raw: Any) -> Usage:
    """OpenAI's ``usage`` object (DeepSeek's cache hits, OpenAI's cached and reasoning
    details) as a Usage."""
    if not isinstance(raw, dict):
        return Usage(requests=1)
    prompt = raw.get("prompt_tokens_details") or {}
    done = raw.get("completion_tokens_details") or {}
    cached = (prompt.get("cached_tokens") if isinstance(prompt, dict) else None) \
        or raw.get("prompt_cache_hit_tokens") or 0
    reasoning = done.get("reasoning_tokens") if isinstance(done, dict) else None
    return Usage(input_tokens=int(raw.get("prompt_tokens") or 0),
                 output_tokens=int(raw.get("completion_tokens") or 0),
                 reasoning_tokens=int(reasoning or 0), cached_input_tokens=int(cached),
                 requests=1)


def _call(raw: Any) -> dict[str, Any]:
    fn = raw.get("function") if isinstance(raw, dict) else None
    fn = fn if isinstance(fn, dict) else {}
    return {"id": str(raw.get("id") or "") if isinstance(raw, dict) else "",
            "type": "function", "function": {"name": str(fn.get("name") or ""),
                                             "arguments": str(fn.get("arguments") or "{}")}}


def reply_of_json(provider: str, data: Any, headers: httpx.Headers) -> Reply:
    """The Reply in a 200's body; UnreadableAnswer when it is not a chat completion."""
    try:
        choice = data["choices"][0]
        message = choice["message"]
        text = message.get("content") or ""
        if not isinstance(text, str):
            raise TypeError(f"content is {type(text).__name__}")
        calls = [_call(c) for c in (message.get("tool_calls") or [])]
    except (KeyError, IndexError, TypeError, AttributeError) as exc:
        raise UnreadableAnswer(f"{provider} answered, but not with a chat completion "
                               f"({type(exc).__name__}: {exc})", provider=provider,
                               code="unreadable") from None
    rid = headers.get("x-request-id") or headers.get("request-id") or data.get("id")
    return Reply(text, calls, choice.get("finish_reason"), usage_of_json(data.get("usage")),
                 str(rid) if rid else None, data)


class ChatWire:
    """One provider's OpenAI-compatible chat endpoint, called with a pooled client."""

    def __init__(self, provider: Provider, *, local: bool = False,
                 timeout: float = 120.0) -> None:
        base = provider.base_url.rstrip("/")
        if provider.name == "ollama" and not base.endswith("/v1"):
            base += "/v1"
        self.provider = provider
        self.url = base + "/chat/completions"
        self.local = local
        self.timeout = timeout
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop,
                                                 httpx.AsyncClient] = \
            weakref.WeakKeyDictionary()

    @staticmethod
    def serves(provider: Provider) -> bool:
        return provider.name in OPENAI_WIRE and provider.sends_base

    def _client(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None or client.is_closed:
            headers = {"content-type": "application/json"}
            if self.provider.api_key:
                headers["authorization"] = f"Bearer {self.provider.api_key}"
            client = self._clients[loop] = httpx.AsyncClient(
                headers=headers, timeout=httpx.Timeout(self.timeout, connect=10.0),
                limits=httpx.Limits(max_connections=256, max_keepalive_connections=64))
        return client

    async def aclose(self) -> None:
        """Close this event loop's client (the gateway's shutdown)."""
        client = self._clients.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.aclose()

    def body(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """The request body from LiteLLM-style keyword arguments."""
        model = str(kwargs["model"])
        prefix = "openai/" if self.provider.name == "ollama" else f"{self.provider.name}/"
        out: dict[str, Any] = {"model": model.removeprefix(prefix)}
        for name in _FIELDS:
            if kwargs.get(name) is not None:
                out[name] = kwargs[name]
        if kwargs.get("max_tokens") is not None:
            # OpenAI's reasoning models take only max_completion_tokens (the SDK's newer name)
            out["max_completion_tokens" if self.provider.name == "openai" else "max_tokens"] = \
                kwargs["max_tokens"]
        out.update(kwargs.get("extra_body") or {})
        return out

    async def complete(self, kwargs: dict[str, Any]) -> Reply:
        secrets = (self.provider.api_key,)
        name = self.provider.name
        try:
            response = await self._client().post(
                self.url, content=json.dumps(self.body(kwargs)).encode())
        except httpx.TransportError as exc:
            err: DelegationError = translate_transport(name, exc, secrets)
            if self.local and not isinstance(err, ProviderUnreachable) \
                    and not isinstance(exc, httpx.TimeoutException):
                # a server on this machine that drops the connection is gone, not busy
                err = ProviderUnreachable(self.provider.redact(
                    f"{name} unreachable at {self.provider.base_url} ({err})"), provider=name)
            raise err from None
        if response.status_code >= 400:
            try:
                body: Any = response.json()
            except ValueError:
                body = response.text
            raise error_from_status(name, response.status_code, body, response.headers,
                                    secrets=secrets)
        try:
            data = response.json()
        except ValueError:
            raise UnreadableAnswer(self.provider.redact(
                f"{name} answered with malformed JSON: {response.text[:200]!r}"),
                provider=name, code="malformed_json") from None
        return reply_of_json(name, data, response.headers)
