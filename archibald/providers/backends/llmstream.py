"""A chat call streamed: each piece of the answer handed on as it arrives, the call priced from
the provider's own final usage.

The gateway streams an app's answer token by token: its :class:`AnswerSink` is set on the
task's context (``context.extra["stream"]``) and :class:`~archibald.providers.backends.llm.
ChatBackend` then calls :func:`stream_chat` instead of waiting for the whole answer (through
LiteLLM, or its direct client of OpenAI's wire, :mod:`.openai_wire`, in the gateway). The
provider is asked for its usage at the end of the stream (``stream_options.include_usage``;
LiteLLM adds Anthropic's from its ``message_start`` and ``message_delta`` events), so the call
settles at what the provider billed; only a stream that reports no usage is counted here with
LiteLLM's tokenizer, and its row says so.

Opening the stream is retried like any call, and a failure before the first piece leaves the
router free to fall back. Once a piece has gone to the sink (``sink.started``), the answer is
the client's: a failure is recorded with the estimated cost of what was streamed, and the
router tries no other route (see ``Router.run``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Protocol

from ...core.tasks import Outcome, Usage
from ...errors import BackendError, DelegationError
from ..chat_models import import_litellm
from .http import log
from .openai_wire import thinking_block

__all__ = ["AnswerSink", "StreamingBackend", "stream_chat"]


class StreamingBackend(Protocol):
    """What :func:`stream_chat` uses of a chat backend (a ChatBackend)."""

    name: str
    model: str
    provider: Any
    prices: Any
    retry: Any
    now: Callable[[], datetime]

    @property
    def route(self) -> str: ...

    def price(self, usage: Usage, at: datetime | None = None) -> float: ...

    def price_source(self, at: datetime | None = None) -> str: ...

    def translate(self, exc: BaseException) -> DelegationError: ...

    def usage_of(self, response: Any) -> Usage: ...


class AnswerSink(Protocol):
    """Where a streamed answer goes as it arrives (the gateway's client).

    ``begin`` names the backend whose stream opened (a fallback may open another before any
    piece was sent) and the sampling parameters its call was made without; ``send`` takes a
    normalised delta: ``{"content": str}``,
    ``{"tool_calls": [{"index", "id"?, "type"?, "function": {"name"?, "arguments"?}}]}``,
    the model's reasoning (``{"reasoning": str}``, the ``{"signature": str}`` that closes a
    block of Claude's, ``{"redacted": str}`` for a redacted one) and/or
    ``{"finish_reason": str}``. ``started`` is True once anything was sent."""

    started: bool

    def begin(self, backend: str, route: str, model: str,
              dropped: Sequence[str] = ()) -> None: ...

    def send(self, delta: dict[str, Any]) -> None: ...


class _Answer:
    """A streamed answer put together from LiteLLM's chunks."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.calls: dict[int, dict[str, Any]] = {}
        self.finish_reason: str | None = None
        #: the reasoning, as Anthropic's thinking blocks (see openai_wire.thinking_of)
        self.thinking: list[dict[str, Any]] = []

    def _reasoning(self, delta: Any, out: dict[str, Any]) -> None:
        """Fold a delta's reasoning in: its text (``reasoning_content``, or ``reasoning``)
        to the open thinking block; a signature (LiteLLM's ``thinking_blocks`` of Claude's
        stream) closes it; a redacted block is one of its own."""
        text = getattr(delta, "reasoning_content", None) or getattr(delta, "reasoning", None)
        last = self.thinking[-1] if self.thinking else None
        if isinstance(text, str) and text:
            if last is None or last["type"] != "thinking" or last["signature"]:
                last = {"type": "thinking", "thinking": "", "signature": ""}
                self.thinking.append(last)
            last["thinking"] += text
            out["reasoning"] = text
        for block in map(thinking_block, getattr(delta, "thinking_blocks", None) or []):
            if block is None:
                continue
            if block["type"] == "redacted_thinking":
                self.thinking.append(block)
                out["redacted"] = block["data"]
            elif block["signature"]:
                if last is None or last["type"] != "thinking" or last["signature"]:
                    last = {"type": "thinking", "thinking": "", "signature": ""}
                    self.thinking.append(last)
                last["signature"] = out["signature"] = str(block["signature"])

    def add(self, choice: Any) -> dict[str, Any] | None:
        """Fold one chunk's choice in; the delta to hand on (None when it carries nothing)."""
        out: dict[str, Any] = {}
        delta = getattr(choice, "delta", None)
        if delta is not None:
            self._reasoning(delta, out)
        text = getattr(delta, "content", None)
        if text:
            self.parts.append(str(text))
            out["content"] = str(text)
        pieces = [p for p in (self._call(c) for c in getattr(delta, "tool_calls", None) or [])
                  if p is not None]
        if pieces:
            out["tool_calls"] = pieces
        if getattr(choice, "finish_reason", None):
            self.finish_reason = str(choice.finish_reason)
            out["finish_reason"] = self.finish_reason
        return out or None

    def _call(self, call: Any) -> dict[str, Any] | None:
        index = getattr(call, "index", None)
        index = len(self.calls) if index is None else int(index)
        slot = self.calls.setdefault(index, {"id": "", "type": "function",
                                             "function": {"name": "", "arguments": ""}})
        piece: dict[str, Any] = {"index": index}
        if getattr(call, "id", None) and not slot["id"]:
            slot["id"] = piece["id"] = str(call.id)
            piece["type"] = "function"
        fn = getattr(call, "function", None)
        name, args = getattr(fn, "name", None), getattr(fn, "arguments", None)
        named: dict[str, str] = {}
        if name and not slot["function"]["name"]:
            slot["function"]["name"] = named["name"] = str(name)
        if args:
            slot["function"]["arguments"] += str(args)
            named["arguments"] = str(args)
        if named:
            piece["function"] = named
        return piece if len(piece) > 1 else None

    @property
    def text(self) -> str:
        return "".join(self.parts)

    @property
    def tool_calls(self) -> list[dict[str, Any]]:
        return [self.calls[i] for i in sorted(self.calls)]


def _billed(chunk: Any) -> bool:
    """Whether ``chunk`` carries the provider's usage (the last one, with include_usage)."""
    usage = getattr(chunk, "usage", None)
    return usage is not None and bool(getattr(usage, "prompt_tokens", None)
                                      or getattr(usage, "completion_tokens", None))


async def stream_chat(backend: StreamingBackend, kwargs: dict[str, Any], sink: AnswerSink,
                      wire: Any = None, dropped: Sequence[str] = ()) -> Outcome:
    """``backend``'s call with ``kwargs``, streamed into ``sink``; its priced outcome.

    ``wire`` (the call's :class:`~archibald.store.writeahead.WireLog`) is told the request
    is being sent, durably, before it may leave: a process killed mid-stream leaves a call
    that may have been billed (held at its maximum), not one that looks never sent."""
    direct = getattr(backend, "direct", None)  # the gateway's own client of OpenAI's wire
    kwargs = {**kwargs, "stream": True, "stream_options": {"include_usage": True}}

    async def attempt() -> Any:
        if direct is not None:
            return await direct.stream(kwargs)  # raises Archibald's errors already
        try:
            return await import_litellm().acompletion(**kwargs)
        except Exception as exc:  # LiteLLM raises its own tree; translate all of it
            raise backend.translate(exc) from None

    start, sent = time.perf_counter(), backend.now()
    if wire is not None:
        wire.sending()
    stream = await backend.retry.run(attempt, what=backend.name)
    sink.begin(backend.name, backend.route, backend.model, dropped)
    answer, billed, request_id = _Answer(), None, None
    try:
        async for chunk in stream:
            request_id = request_id or getattr(chunk, "id", None)
            if _billed(chunk):
                billed = chunk
            for choice in getattr(chunk, "choices", None) or []:
                delta = answer.add(choice)
                if delta is not None:
                    sink.send(delta)
    except Exception as exc:  # the stream broke off: what it streamed is estimated
        error = exc if isinstance(exc, DelegationError) else backend.translate(exc)
        error.cost = backend.price(_counted(backend.model, kwargs["messages"], answer.text),
                                   sent)
        raise error from None
    usage = backend.usage_of(billed) if billed is not None else _counted(backend.model,
                                                                kwargs["messages"],
                                                                answer.text)
    cost = backend.price(usage, sent)
    log.info("%s: streamed %d in / %d out tokens, $%.6f", backend.name, usage.input_tokens,
             usage.output_tokens, cost)
    calls = answer.tool_calls
    if not answer.text.strip() and not calls:  # billed, nothing to use: a failure that costs
        empty = BackendError(f"{backend.name} streamed an empty reply (finish reason "
                             f"{answer.finish_reason!r})", provider=backend.provider.name,
                             code="empty_reply")
        empty.cost = cost
        raise empty
    source = backend.price_source(sent)
    if billed is None:
        source += "; usage counted with LiteLLM's tokenizer: the stream reported none"
    return Outcome(artifact=answer.text, backend=backend.name, route=backend.route,
                   model=backend.model, usage=usage, cost=cost,
                   seconds=time.perf_counter() - start,
                   detail={"request_id": request_id, "finish_reason": answer.finish_reason,
                           "tool_calls": [{**c, "function": {
                               "name": c["function"]["name"],
                               "arguments": c["function"]["arguments"] or "{}"}}
                               for c in calls],
                           "thinking": answer.thinking,
                           "rate": backend.prices.rate(backend.model, sent),
                           "price_source": source, "streamed": True,
                           "dropped_params": list(dropped),
                           "usage_reported": billed is not None})


def _counted(model: str, messages: list[dict[str, Any]], text: str) -> Usage:
    """Usage counted here, as LiteLLM counts it, for a stream that never reported the
    provider's own."""
    from ...core.tokens import count_like_litellm

    counter = import_litellm().token_counter
    n_in = count_like_litellm(model, messages=messages)
    n_out = count_like_litellm(model, text=text) if text else 0
    if n_in is None:
        n_in = int(counter(model=model, messages=messages))
    if n_out is None:
        n_out = int(counter(model=model, text=text))
    return Usage(input_tokens=n_in, output_tokens=n_out, requests=1)
