"""Anthropic's Messages wire format: the request in (converted to the chat shape the router's
backends take), the answer and its event stream out.

Shapes as the ``anthropic`` SDK's types define them (``Message``, the
``RawMessageStreamEvent`` union): a stream is ``message_start``, per content block
``content_block_start`` / ``content_block_delta`` / ``content_block_stop``, ``ping``, then
``message_delta`` (stop reason and output tokens) and ``message_stop``.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Any

from .service import Answer, Live, Request
from .wire import bad, broke_off, finite_float, metadata, positive_int, task_of

__all__ = ["to_count", "to_request", "body", "stream", "live"]


def _text(content: Any, where: str) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(b.get("text", "")) for b in content
                       if isinstance(b, dict) and b.get("type") == "text")
    raise bad(f"{where} must be text or a list of content blocks")


#: blocks a user turn may carry that are said elsewhere (tool results) or not to the model
_ELSEWHERE = frozenset({"text", "tool_result", "thinking", "redacted_thinking"})


def _user_content(content: Any, where: str) -> str | list[dict[str, Any]]:
    """A user turn's text, or its text and images as Chat Completions' parts (an image by
    base64 as a data URL, or by URL); a block the gateway cannot pass on (a document) is
    refused, never dropped without a word."""
    text = _text(content, where)
    if not isinstance(content, list):
        return text
    images = []
    for j, block in enumerate(content):
        kind = block.get("type") if isinstance(block, dict) else None
        if kind in _ELSEWHERE:
            continue
        source = block.get("source") if kind == "image" else None
        if not isinstance(source, dict):
            raise bad(f"{where}.{j}: a {kind!r} block is not supported (text, images and "
                      f"tool results are)")
        url = source.get("url") if source.get("type") == "url" else \
            f"data:{source.get('media_type')};base64,{source.get('data')}"
        images.append({"type": "image_url", "image_url": {"url": str(url)}})
    if not images:
        return text
    return [*([{"type": "text", "text": text}] if text else []), *images]


def _messages(data: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    system = data.get("system")
    if system:
        out.append({"role": "system", "content": _text(system, "system")})
    messages = data.get("messages")
    if not isinstance(messages, list) or not messages:
        raise bad("messages: a non-empty list is required")
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or m.get("role") not in ("user", "assistant"):
            raise bad(f"messages.{i}.role must be user or assistant")
        content = m.get("content")
        blocks = content if isinstance(content, list) else None
        if m["role"] == "assistant" and blocks:
            calls = [{"id": str(b.get("id")), "type": "function",
                      "function": {"name": str(b.get("name")),
                                   "arguments": json.dumps(b.get("input") or {})}}
                     for b in blocks if isinstance(b, dict) and b.get("type") == "tool_use"]
            msg: dict[str, Any] = {"role": "assistant",
                                   "content": _text(content, f"messages.{i}.content") or None}
            if calls:
                msg["tool_calls"] = calls
            thought = [dict(b) for b in blocks if isinstance(b, dict)
                       and b.get("type") in ("thinking", "redacted_thinking")]
            if thought:  # passed back to Claude as they came (LiteLLM's name for them)
                msg["thinking_blocks"] = thought
            out.append(msg)
            continue
        if blocks:
            for b in blocks:
                if isinstance(b, dict) and b.get("type") == "tool_result":
                    out.append({"role": "tool", "tool_call_id": str(b.get("tool_use_id")),
                                "content": _text(b.get("content") or "", "tool_result")})
            said = _user_content(content, f"messages.{i}.content")
            if said:
                out.append({"role": "user", "content": said})
            continue
        out.append({"role": m["role"], "content": _text(content, f"messages.{i}.content")})
    return out


def _tools(data: dict[str, Any]) -> tuple[list[dict[str, Any]] | None, Any]:
    tools = data.get("tools")
    if tools is None:
        return None, None
    if not isinstance(tools, list):
        raise bad("tools must be a list")
    converted = [{"type": "function", "function": {
        "name": str(t.get("name")), "description": str(t.get("description") or ""),
        "parameters": t.get("input_schema") or {"type": "object"}}}
        for t in tools if isinstance(t, dict)]
    choice = data.get("tool_choice")
    kind = choice.get("type") if isinstance(choice, dict) else None
    mapped: Any = {"auto": "auto", "any": "required", "none": "none"}.get(str(kind))
    if kind == "tool":
        mapped = {"type": "function", "function": {"name": str(dict(choice or {}).get("name"))}}
    return converted, mapped


#: ThinkingConfigParam's types (anthropic SDK 2.14)
_THINKING = ("enabled", "disabled", "adaptive", "between_tools")


def _thinking(data: dict[str, Any], max_tokens: int) -> dict[str, Any]:
    """The request's ``thinking`` as the task's reasoning: Claude gets the config as it
    came, DeepSeek its thinking with the budget, another model the reasoning_effort of that
    budget (see ChatBackend._reasoning); {} when it is absent or disabled."""
    config = data.get("thinking")
    if config is None:
        return {}
    if not isinstance(config, dict) or config.get("type") not in _THINKING:
        raise bad(f"thinking.type: must be one of {', '.join(_THINKING)}")
    if config["type"] == "disabled":
        return {}
    out: dict[str, Any] = {"thinking": True, "thinking_config": dict(config)}
    if config["type"] == "enabled":
        budget = config.get("budget_tokens")
        if isinstance(budget, bool) or not isinstance(budget, int) or budget < 1024:
            raise bad("thinking.enabled.budget_tokens: Input should be greater than or "
                      "equal to 1024")
        if budget >= max_tokens:
            raise bad("`max_tokens` must be greater than `thinking.budget_tokens`")
        out["reasoning_budget"] = budget
    return out


_BETA = re.compile(r"[a-z0-9][a-z0-9._-]{0,99}")


def betas(header: str) -> str:
    """The ``anthropic-beta`` header's features ("interleaved-thinking-2025-05-14, ..."),
    checked (names of letters, digits and dashes) and joined as Anthropic reads them; 400
    for anything else."""
    names = [n.strip() for n in header.split(",") if n.strip()]
    if len(names) > 32 or not all(_BETA.fullmatch(n) for n in names):
        raise bad("anthropic-beta: a comma-separated list of beta feature names")
    return ",".join(names)


def thinks(data: dict[str, Any]) -> bool:
    """Whether the request asked for thinking (its answer then carries thinking blocks, as
    Claude's does; without it the model's reasoning is left out, as Claude leaves it)."""
    config = data.get("thinking")
    return isinstance(config, dict) and config.get("type") not in (None, "disabled")


def to_request(data: dict[str, Any], task_header: str | None) -> Request:
    model = data.get("model")
    if not isinstance(model, str) or not model:
        raise bad("model: a model name is required (archibald/auto, ...)")
    max_tokens = positive_int(data, "max_tokens")
    if max_tokens is None:
        raise bad("max_tokens: Field required")
    tools, choice = _tools(data)
    stops = data.get("stop_sequences")
    params: dict[str, Any] = {}
    top_p = finite_float(data, "top_p", 0.0, 1.0)
    if top_p is not None:
        params["top_p"] = top_p
    user = metadata(data).get("user_id")
    if isinstance(user, str):  # Anthropic's name for OpenAI's user
        params["user"] = user
    asked = data.get("tool_choice")
    if isinstance(asked, dict) and asked.get("disable_parallel_tool_use") is True:
        params["parallel_tool_calls"] = False  # at most one tool call in the answer
    params.update(_thinking(data, max_tokens))
    return Request(model=model, messages=_messages(data), max_tokens=max_tokens,
                   temperature=finite_float(data, "temperature", 0.0, 1.0), tools=tools,
                   tool_choice=choice, stop=stops if isinstance(stops, list) else None,
                   task=task_of(data, task_header), params=params)


def to_count(data: dict[str, Any]) -> tuple[str, list[dict[str, Any]],
                                           list[dict[str, Any]] | None]:
    """A count_tokens request (Anthropic's ``MessageCountTokensParams``): its model, messages
    (the system prompt first) and tools, in OpenAI's shape."""
    model = data.get("model")
    if not isinstance(model, str) or not model:
        raise bad("model: a model name is required (archibald/auto, ...)")
    return model, _messages(data), _tools(data)[0]


def _content(ans: Answer) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if ans.text or not ans.tool_calls:
        blocks.append({"type": "text", "text": ans.text})
    for call in ans.tool_calls:
        fn = call.get("function", {})
        try:
            args = json.loads(fn.get("arguments") or "{}")
        except ValueError:
            args = {}
        blocks.append({"type": "tool_use", "id": call.get("id") or f"toolu_{ans.id[:20]}",
                       "name": fn.get("name", ""), "input": args})
    return blocks


def _stop(ans: Answer) -> str:
    if ans.tool_calls:
        return "tool_use"
    return "max_tokens" if ans.finish_reason == "length" else "end_turn"


def _blocks(ans: Answer, data: dict[str, Any]) -> list[dict[str, Any]]:
    """The answer's content blocks: its thinking first when the request asked for it."""
    return [*(ans.thinking if thinks(data) else []), *_content(ans)]


def body(ans: Answer, data: dict[str, Any]) -> dict[str, Any]:
    return {"id": f"msg_{ans.id}", "type": "message", "role": "assistant",
            "content": _blocks(ans, data), "model": ans.model, "stop_reason": _stop(ans),
            "stop_sequence": None,
            "usage": {"input_tokens": ans.input_tokens, "output_tokens": ans.output_tokens}}


def _event(name: str, payload: dict[str, Any]) -> bytes:
    return f"event: {name}\ndata: {json.dumps({'type': name, **payload})}\n\n".encode()


async def stream(ans: Answer, data: dict[str, Any]) -> AsyncIterator[bytes]:
    start = body(ans, data)
    start.update(content=[], stop_reason=None,
                 usage={"input_tokens": ans.input_tokens, "output_tokens": 1})
    yield _event("message_start", {"message": start})
    for index, block in enumerate(_blocks(ans, data)):
        if block["type"] == "thinking":
            yield _event("content_block_start", {"index": index, "content_block": {
                "type": "thinking", "thinking": "", "signature": ""}})
            for i in range(0, len(block["thinking"]), 400):
                yield _event("content_block_delta", {"index": index, "delta": {
                    "type": "thinking_delta", "thinking": block["thinking"][i:i + 400]}})
            yield _event("content_block_delta", {"index": index, "delta": {
                "type": "signature_delta", "signature": block["signature"]}})
        elif block["type"] == "redacted_thinking":
            yield _event("content_block_start", {"index": index, "content_block": block})
        elif block["type"] == "text":
            yield _event("content_block_start", {
                "index": index, "content_block": {"type": "text", "text": ""}})
            yield _event("ping", {})
            for i in range(0, len(block["text"]), 400):
                yield _event("content_block_delta", {"index": index, "delta": {
                    "type": "text_delta", "text": block["text"][i:i + 400]}})
        else:
            yield _event("content_block_start", {"index": index, "content_block": {
                **block, "input": {}}})
            yield _event("content_block_delta", {"index": index, "delta": {
                "type": "input_json_delta", "partial_json": json.dumps(block["input"])}})
        yield _event("content_block_stop", {"index": index})
    yield _event("message_delta", {"delta": {"stop_reason": _stop(ans), "stop_sequence": None},
                                   "usage": {"output_tokens": ans.output_tokens}})
    yield _event("message_stop", {})


class _Blocks:
    """The content blocks of a streamed answer, opened and closed as its pieces come: text,
    then a ``tool_use`` block per tool call (its arguments as ``input_json_delta``)."""

    def __init__(self, thinking: bool = False) -> None:
        self.index = -1
        self.kind = ""          # "thinking", "text", "tool" or "" (no block open)
        self.tool = -1          # the OpenAI index of the open tool call
        self.thinking = thinking  # the request asked for the model's reasoning

    def open(self, block: dict[str, Any], kind: str) -> list[bytes]:
        out = self.close()
        self.index += 1
        self.kind = kind
        out.append(_event("content_block_start", {"index": self.index,
                                                  "content_block": block}))
        if self.index == 0:
            out.append(_event("ping", {}))
        return out

    def close(self) -> list[bytes]:
        if not self.kind:
            return []
        self.kind = ""
        return [_event("content_block_stop", {"index": self.index})]

    def _thought(self, piece: dict[str, Any]) -> list[bytes]:
        """A piece's reasoning: thinking_delta into the open thinking block, the signature
        that closes it, a redacted block whole."""
        out: list[bytes] = []
        empty = {"type": "thinking", "thinking": "", "signature": ""}
        if piece.get("reasoning"):
            if self.kind != "thinking":
                out += self.open(empty, "thinking")
            out.append(_event("content_block_delta", {"index": self.index, "delta": {
                "type": "thinking_delta", "thinking": piece["reasoning"]}}))
        if piece.get("signature"):
            if self.kind != "thinking":
                out += self.open(empty, "thinking")
            out.append(_event("content_block_delta", {"index": self.index, "delta": {
                "type": "signature_delta", "signature": piece["signature"]}}))
            out += self.close()
        if piece.get("redacted"):
            out += self.open({"type": "redacted_thinking", "data": piece["redacted"]},
                             "redacted")
            out += self.close()
        return out

    def piece(self, piece: dict[str, Any], live_id: str) -> list[bytes]:
        out: list[bytes] = self._thought(piece) if self.thinking else []
        if piece.get("content"):
            if self.kind != "text":
                out += self.open({"type": "text", "text": ""}, "text")
            out.append(_event("content_block_delta", {"index": self.index, "delta": {
                "type": "text_delta", "text": piece["content"]}}))
        for call in piece.get("tool_calls") or []:
            fn = call.get("function") or {}
            if self.kind != "tool" or call.get("index", 0) != self.tool:
                self.tool = int(call.get("index", 0))
                out += self.open({"type": "tool_use",
                                  "id": call.get("id") or f"toolu_{live_id[:16]}{self.tool}",
                                  "name": fn.get("name") or "", "input": {}}, "tool")
            if fn.get("arguments"):
                out.append(_event("content_block_delta", {"index": self.index, "delta": {
                    "type": "input_json_delta", "partial_json": fn["arguments"]}}))
        return out


async def live(lv: Live, data: dict[str, Any]) -> AsyncIterator[bytes]:
    """The provider's stream as Anthropic's events: message_start, then per content block
    content_block_start (a ping after the first), content_block_delta, content_block_stop,
    then message_delta (stop reason, usage) and message_stop."""
    from .openai import closing_comment

    yield _event("message_start", {"message": {
        "id": f"msg_{lv.id}", "type": "message", "role": "assistant", "content": [],
        "model": lv.model, "stop_reason": None, "stop_sequence": None,
        "usage": {"input_tokens": 0, "output_tokens": 0}}})
    blocks = _Blocks(thinks(data))
    async for piece in lv.pieces():
        for chunk in blocks.piece(piece, lv.id):
            yield chunk
    if blocks.index < 0:  # an answer with nothing in it still has its one (empty) text block
        for chunk in blocks.open({"type": "text", "text": ""}, "text"):
            yield chunk
    for chunk in blocks.close():
        yield chunk
    try:
        ans = await lv.answer()
    except Exception as exc:  # noqa: BLE001 - told to the client in Anthropic's error shape
        yield _event("error", {"error": {"type": "api_error",
                                         "message": broke_off(exc)}})
        return
    yield _event("message_delta", {"delta": {"stop_reason": _stop(ans), "stop_sequence": None},
                                   "usage": {"input_tokens": ans.input_tokens,
                                             "output_tokens": ans.output_tokens}})
    yield _event("message_stop", {})
    yield closing_comment(ans)
