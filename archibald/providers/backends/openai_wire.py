"""Chat over OpenAI's wire, straight: one pooled aiohttp session per event loop, no LiteLLM.

OpenAI, DeepSeek and Ollama (its ``/v1``) answer ``POST {base}/chat/completions`` in OpenAI's
Chat Completions format (the ``openai`` SDK's ``ChatCompletion``). Where every microsecond of a
call is added to an app's own latency (the gateway), a :class:`~archibald.providers.backends.
llm.ChatBackend` for these providers sends the request itself instead of through LiteLLM's
dispatch, which costs a few milliseconds of CPU a call. The body is the one LiteLLM would
send (OpenAI's ``max_completion_tokens`` for OpenAI, ``max_tokens`` elsewhere; DeepSeek's
``thinking`` as a top-level field); the answer is read into a :class:`Reply`, the same one the
LiteLLM path makes, so pricing, checks and the ledger cannot tell the two apart. The running
call's wire tap (:mod:`.wire`) is told before the request leaves and given the answer's bytes
before they are parsed, as it is for every httpx client; a kept answer is replayed unsent.

Errors keep the providers' own meaning: a status >= 400 goes through ``error_from_status``
(429 with its Retry-After, 5xx retried, 4xx not); a refused connection is unreachable; a 200
that cannot be read was probably billed (``UnreadableAnswer``, its maximum held).
"""

from __future__ import annotations

import asyncio
import json
import weakref
from dataclasses import dataclass, field
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any, Mapping

from ...core.tasks import Usage
from ...errors import (BackendError, BackendTimeout, DelegationError, ProviderOverloaded,
                       ProviderUnreachable, UnreadableAnswer)
from ..specs import Provider, redact
from .http import error_from_status, waited_upstream
from .wire import current

__all__ = ["OPENAI_WIRE", "ChatWire", "Reply", "usage_of_json", "thinking_of",
           "thinking_block"]

#: providers whose chat endpoint is OpenAI's Chat Completions, called directly
OPENAI_WIRE = ("openai", "deepseek", "ollama")
#: request fields sent as they are (LiteLLM's keyword arguments of the same names)
_FIELDS = ("messages", "temperature", "tools", "tool_choice", "response_format", "stop",
           "top_p", "seed", "parallel_tool_calls", "presence_penalty", "frequency_penalty",
           "logit_bias", "user", "reasoning_effort")


@dataclass
class Reply:
    """A chat answer, whichever client read it."""

    text: str
    tool_calls: list[dict[str, Any]]
    finish_reason: str | None
    usage: Usage
    request_id: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)
    #: the model's reasoning, as Anthropic's thinking blocks (:func:`thinking_of`)
    thinking: list[dict[str, Any]] = field(default_factory=list)


def thinking_block(block: Any) -> dict[str, Any] | None:
    """One of LiteLLM's ``thinking_blocks`` (a dict, or an object) as Anthropic's block: a
    ``redacted_thinking`` whole, a ``thinking`` with its text and signature; None when it
    carries neither."""
    b = block if isinstance(block, dict) else vars(block)
    if b.get("type") == "redacted_thinking":
        return {"type": "redacted_thinking", "data": str(b["data"])} if b.get("data") else None
    if not (b.get("thinking") or b.get("signature")):
        return None
    return {"type": "thinking", "thinking": str(b.get("thinking") or ""),
            "signature": str(b.get("signature") or "")}


def thinking_of(message: Any) -> list[dict[str, Any]]:
    """The reasoning an answer's message carries (a JSON object, or LiteLLM's Message), as
    Anthropic's content blocks: LiteLLM's ``thinking_blocks`` (Claude's own, signed, and its
    redacted ones) as they are; else the text of ``reasoning_content`` (DeepSeek's name, and
    LiteLLM's for every provider) or ``reasoning`` (vLLM's, OpenRouter's), unsigned."""
    def get(name: str) -> Any:
        return message.get(name) if isinstance(message, dict) else getattr(message, name, None)

    blocks = [b for b in map(thinking_block, get("thinking_blocks") or []) if b is not None]
    if blocks:
        return blocks
    text = get("reasoning_content") or get("reasoning")
    return [{"type": "thinking", "thinking": text, "signature": ""}] \
        if isinstance(text, str) and text else []


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


def reply_of_json(provider: str, data: Any, headers: Mapping[str, str]) -> Reply:
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
                 str(rid) if rid else None, data, thinking_of(message))


class ChatWire:
    """One provider's OpenAI-compatible chat endpoint, called with a pooled aiohttp session
    (httpx's pool scans every connection on each request: at 50 concurrent calls that scan
    was half the gateway's time)."""

    def __init__(self, provider: Provider, *, local: bool = False,
                 timeout: float = 120.0) -> None:
        base = provider.base_url.rstrip("/")
        if provider.name == "ollama" and not base.endswith("/v1"):
            base += "/v1"
        self.provider = provider
        self.url = base + "/chat/completions"
        self.local = local
        self.timeout = timeout
        self._sessions: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any] = \
            weakref.WeakKeyDictionary()

    @staticmethod
    def serves(provider: Provider) -> bool:
        return provider.name in OPENAI_WIRE and provider.sends_base

    def _session(self) -> Any:
        import aiohttp

        loop = asyncio.get_running_loop()
        session = self._sessions.get(loop)
        if session is None or session.closed:
            headers = {"content-type": "application/json"}
            if self.provider.api_key:
                headers["authorization"] = f"Bearer {self.provider.api_key}"
            session = self._sessions[loop] = aiohttp.ClientSession(
                # an idle connection is dropped after 4 s: before a server's own idle
                # timeout (5 s at the shortest, uvicorn's and Node's) can close it under a
                # request just sent, which would fail as a reset
                headers=headers, connector=aiohttp.TCPConnector(limit=256, keepalive_timeout=4),
                timeout=aiohttp.ClientTimeout(total=self.timeout, sock_connect=10.0),
                # no cookies: a provider's (a CDN's session cookie) would travel with every
                # app's requests through this one session, and each request would pay for it
                cookie_jar=aiohttp.DummyCookieJar(), auto_decompress=True)
        return session

    async def aclose(self) -> None:
        """Close this event loop's session (the gateway's shutdown)."""
        session = self._sessions.pop(asyncio.get_running_loop(), None)
        if session is not None:
            await session.close()

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

    def _failed(self, exc: BaseException) -> DelegationError:
        """A transport failure as Archibald's error: a timeout; unreachable when nothing could
        be sent (refused, unknown host) or a server on this machine dropped the connection
        (it is gone, not busy); else a retryable transport failure."""
        import aiohttp

        name, secrets = self.provider.name, (self.provider.api_key,)
        if isinstance(exc, asyncio.TimeoutError):
            return BackendTimeout(f"{name} did not answer in time")
        if isinstance(exc, aiohttp.ClientConnectorError) or self.local:
            return ProviderUnreachable(redact(f"{name} unreachable at {self.provider.base_url} "
                                              f"({type(exc).__name__}: {exc})", secrets),
                                       provider=name)
        return ProviderOverloaded(redact(f"{name} could not be reached: {type(exc).__name__}: "
                                         f"{exc}", secrets), provider=name, code="transport")

    def _refused(self, status: int, raw: bytes, headers: Mapping[str, str]) -> DelegationError:
        """A status >= 400 as Archibald's error, its body read as JSON where it is."""
        try:
            body: Any = json.loads(raw)
        except ValueError:
            body = raw.decode("utf-8", "replace")
        return error_from_status(self.provider.name, status, body, headers,
                                 secrets=(self.provider.api_key,))

    async def _send(self, content: bytes) -> tuple[int, Mapping[str, str], bytes]:
        """The request sent, and its answer's status, headers and bytes, kept by the wire tap
        of the running call before anything parses them (or its kept answer, not sent)."""
        import aiohttp

        tap = current()
        kept = tap.replay if tap is not None else None
        if kept is not None:
            return int(kept.status or 200), dict(kept.headers), bytes(kept.body)
        if tap is not None:
            tap.sending()
        try:
            with waited_upstream():
                async with self._session().post(self.url, data=content) as response:
                    body = await response.read()
                    status, headers = response.status, dict(response.headers)
        except (asyncio.TimeoutError, aiohttp.ClientError) as exc:
            raise self._failed(exc) from None
        if tap is not None:
            tap.answered(status, headers, body)
        return status, headers, body

    async def complete(self, kwargs: dict[str, Any]) -> Reply:
        name = self.provider.name
        status, headers, raw = await self._send(json.dumps(self.body(kwargs)).encode())
        if status >= 400:
            raise self._refused(status, raw, headers)
        try:
            data = json.loads(raw)
        except ValueError:
            raise UnreadableAnswer(self.provider.redact(
                f"{name} answered with malformed JSON: {raw[:200]!r}"),
                provider=name, code="malformed_json") from None
        return reply_of_json(name, data, {k.lower(): v for k, v in headers.items()})

    async def stream(self, kwargs: dict[str, Any]) -> AsyncIterator[Any]:
        """The chunks of a streamed answer (``stream: true``, usage asked for at its end), as
        attribute objects like LiteLLM's (what :func:`.llmstream.stream_chat` reads); a usage
        chunk's usage in OpenAI's shape whatever the provider named its parts. Opening the
        stream raises what a failed call raises; once open, it is the caller's to read."""
        import aiohttp

        name = self.provider.name
        body = {**self.body(kwargs), "stream": True, "stream_options": {"include_usage": True}}
        try:
            response = await self._session().post(self.url, data=json.dumps(body).encode())
        except (asyncio.TimeoutError, aiohttp.ClientError) as exc:
            raise self._failed(exc) from None
        if response.status >= 400:
            raw = await response.read()
            response.release()
            raise self._refused(response.status, raw, dict(response.headers))
        return _chunks(name, response)


def _attributes(value: Any) -> Any:
    """JSON objects as attribute objects (``chunk.choices[0].delta.content``)."""
    if isinstance(value, dict):
        return SimpleNamespace(**{k: _attributes(v) for k, v in value.items()})
    if isinstance(value, list):
        return [_attributes(v) for v in value]
    return value


async def _chunks(provider: str, response: Any) -> AsyncIterator[Any]:
    """Server-sent events of a chat stream as chunk objects, until ``data: [DONE]``."""
    try:
        async for line in response.content:
            if not line.startswith(b"data:"):
                continue  # blank lines, comments (": keep-alive"), event names
            data = line[5:].strip()
            if data == b"[DONE]":
                break
            chunk = json.loads(data)
            if isinstance(chunk, dict) and chunk.get("error"):
                raise BackendError(f"{provider} broke off its stream: "
                                   f"{str(chunk['error'])[:200]}", provider=provider,
                                   code="stream_error")
            if isinstance(chunk, dict) and isinstance(chunk.get("usage"), dict):
                u = usage_of_json(chunk["usage"])
                chunk["usage"] = {"prompt_tokens": u.input_tokens,
                                  "completion_tokens": u.output_tokens,
                                  "prompt_tokens_details": {"cached_tokens":
                                                            u.cached_input_tokens},
                                  "completion_tokens_details": {"reasoning_tokens":
                                                                u.reasoning_tokens}}
            yield _attributes(chunk)
    finally:
        response.release()
