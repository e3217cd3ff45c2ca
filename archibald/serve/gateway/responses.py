"""OpenAI's Responses API wire format (``POST /v1/responses``): the request in, the answer
and its event stream out, as the ``openai`` SDK's types define them (``ResponseCreateParams``,
``Response``, ``ResponseStreamEvent``), so apps on ``client.responses`` (the OpenAI Agents
SDK among them) route through the gateway unchanged.

The gateway keeps no conversation state: ``previous_response_id``, ``conversation``,
stored prompts and background responses are refused (400), as are the provider-hosted tools
(web search, file search, code interpreter...): a routed answer may come from a provider that
has none. Function tools, instructions, text and image inputs, function call outputs,
``text.format`` (JSON schema or object) and ``reasoning.effort`` are passed on.

A stream is the provider's own text and function calls as they are written: the message's
``output_item.added`` at its first text, then ``response.output_text.delta``; a function
call's ``output_item.added`` at its first piece, then its arguments as
``function_call_arguments.delta``. Once the run ends every item is done in the order it
opened (``.done`` events, ``output_item.done``), then ``response.completed`` with the usage,
and the cost as an SSE comment.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

from .openai import closing_comment
from .service import Answer, Live, Request
from .wire import EFFORTS, bad, broke_off, finite_float, positive_int, task_of

__all__ = ["to_request", "body", "stream", "live"]

#: request fields that need state or tools the gateway does not have
_STATEFUL = ("previous_response_id", "conversation", "prompt", "background")


def _text(parts: Any, where: str) -> str | list[dict[str, Any]]:
    """A message's content (a string, or input/output text and image parts) in Chat
    Completions' shape: a string, or text and image_url parts."""
    if isinstance(parts, str):
        return parts
    if not isinstance(parts, list):
        raise bad(f"{where} must be a string or a list of content parts")
    out: list[dict[str, Any]] = []
    for j, part in enumerate(parts):
        kind = part.get("type") if isinstance(part, dict) else None
        if kind in ("input_text", "output_text", "text"):
            out.append({"type": "text", "text": str(part.get("text", ""))})
        elif kind == "input_image" and part.get("image_url"):
            out.append({"type": "image_url", "image_url": {
                "url": str(part["image_url"]), "detail": part.get("detail") or "auto"}})
        else:
            raise bad(f"{where}[{j}]: content of type {kind!r} is not supported (text and "
                      f"images by URL are)")
    if all(p["type"] == "text" for p in out):
        return "".join(p["text"] for p in out)
    return out


def _messages(data: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    instructions = data.get("instructions")
    if isinstance(instructions, str) and instructions:
        out.append({"role": "system", "content": instructions})
    given = data.get("input")
    if isinstance(given, str):
        given = [{"role": "user", "content": given}]
    if not isinstance(given, list) or not given:
        raise bad("input must be a string or a non-empty list of items")
    for i, item in enumerate(given):
        if not isinstance(item, dict):
            raise bad(f"input[{i}] must be an object")
        kind = item.get("type", "message")
        if kind == "message" and item.get("role") in ("user", "system", "developer",
                                                      "assistant"):
            out.append({"role": item["role"],
                        "content": _text(item.get("content", ""), f"input[{i}].content")})
        elif kind == "function_call":
            call = {"id": str(item.get("call_id") or ""), "type": "function",
                    "function": {"name": str(item.get("name") or ""),
                                 "arguments": str(item.get("arguments") or "{}")}}
            last = out[-1] if out else None
            if last is not None and last["role"] == "assistant" and "tool_calls" in last:
                last["tool_calls"].append(call)  # parallel calls: one assistant turn
            else:
                out.append({"role": "assistant", "content": None, "tool_calls": [call]})
        elif kind == "function_call_output":
            output = item.get("output")
            out.append({"role": "tool", "tool_call_id": str(item.get("call_id") or ""),
                        "content": output if isinstance(output, str) else json.dumps(output)})
        elif kind == "reasoning":
            continue  # a model's own summary of its reasoning: not a turn to send again
        else:
            raise bad(f"input[{i}]: an item of type {kind!r} is not supported (messages, "
                      f"function calls and their outputs are)")
    return out


def _tools(data: dict[str, Any]) -> tuple[list[dict[str, Any]] | None, Any]:
    tools, choice = data.get("tools"), data.get("tool_choice")
    if not (isinstance(choice, dict) and choice.get("type") == "function") \
            and choice not in (None, "auto", "none", "required"):
        raise bad("tool_choice must be auto, none, required or a function")
    if not tools:
        return None, None
    if not isinstance(tools, list):
        raise bad("tools must be a list")
    converted = []
    for i, tool in enumerate(tools):
        kind = tool.get("type") if isinstance(tool, dict) else None
        if kind != "function":
            raise bad(f"tools[{i}]: the hosted tool {kind!r} is not supported (a routed "
                      f"answer may come from a provider that has none); function tools are")
        converted.append({"type": "function", "function": {
            "name": str(tool.get("name")), "description": str(tool.get("description") or ""),
            "parameters": tool.get("parameters") or {"type": "object", "properties": {}}}})
    if isinstance(choice, dict):
        choice = {"type": "function", "function": {"name": str(choice.get("name"))}}
    return converted, choice


def _format(data: dict[str, Any]) -> Any:
    text = data.get("text")
    fmt = text.get("format") if isinstance(text, dict) else None
    kind = fmt.get("type") if isinstance(fmt, dict) else None
    if kind == "json_schema":
        assert isinstance(fmt, dict)
        return {"type": "json_schema", "json_schema": {
            k: fmt[k] for k in ("name", "schema", "strict", "description") if k in fmt}}
    if kind == "json_object":
        return {"type": "json_object"}
    return None


def to_request(data: dict[str, Any], task_header: str | None) -> Request:
    model = data.get("model")
    if not isinstance(model, str) or not model:
        raise bad("model is required (archibald/auto, archibald/auto:cheap, "
                  "archibald/auto:best, or a model name)")
    for name in _STATEFUL:
        if data.get(name):
            raise bad(f"{name} is not supported: the gateway keeps no responses or "
                      f"conversations; send the whole conversation in input")
    if data.get("top_logprobs"):
        raise bad("top_logprobs is not supported: a routed answer may come from a provider "
                  "that has none")
    tools, choice = _tools(data)
    params: dict[str, Any] = {}
    top_p = finite_float(data, "top_p", 0.0, 1.0)
    if top_p is not None:
        params["top_p"] = top_p
    if isinstance(data.get("parallel_tool_calls"), bool):
        params["parallel_tool_calls"] = data["parallel_tool_calls"]
    user = data.get("safety_identifier") or data.get("user")
    if isinstance(user, str) and user:
        params["user"] = user
    reasoning = data.get("reasoning")
    effort = reasoning.get("effort") if isinstance(reasoning, dict) else None
    if effort is not None:
        if effort not in EFFORTS:
            raise bad(f"reasoning.effort must be one of {', '.join(EFFORTS)}")
        params["reasoning_effort"] = effort
    return Request(model=model, messages=_messages(data),
                   max_tokens=positive_int(data, "max_output_tokens"),
                   temperature=finite_float(data, "temperature", 0.0, 2.0),
                   tools=tools, tool_choice=choice, response_format=_format(data),
                   task=task_of(data, task_header), params=params)


# -- the answer ---------------------------------------------------------------------------

def _usage(ans: Answer) -> dict[str, Any]:
    return {"input_tokens": ans.input_tokens,
            "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
            "output_tokens": ans.output_tokens,
            "output_tokens_details": {"reasoning_tokens": ans.reasoning_tokens},
            "total_tokens": ans.input_tokens + ans.output_tokens}


def _message(rid: str, text: str, status: str) -> dict[str, Any]:
    return {"type": "message", "id": f"msg_{rid}", "status": status, "role": "assistant",
            "content": [{"type": "output_text", "text": text, "annotations": [],
                         "logprobs": []}] if status == "completed" else []}


def _call(rid: str, i: int, call: dict[str, Any], status: str) -> dict[str, Any]:
    fn = call.get("function") or {}
    return {"type": "function_call", "id": f"fc_{rid}_{i}",
            "call_id": str(call.get("id") or f"call_{rid}_{i}"),
            "name": str(fn.get("name") or ""),
            "arguments": str(fn.get("arguments") or "{}") if status == "completed" else "",
            "status": status}


def _reasoning(rid: str, text: str, status: str) -> dict[str, Any]:
    """The model's reasoning as a reasoning item (its text, no summary: none was made)."""
    return {"type": "reasoning", "id": f"rs_{rid}", "summary": [], "status": status,
            "content": [{"type": "reasoning_text", "text": text}] if status == "completed"
            else []}


def _output(ans: Answer) -> list[dict[str, Any]]:
    items = [_reasoning(ans.id, ans.reasoning, "completed")] if ans.reasoning else []
    if ans.text or not ans.tool_calls:
        items.append(_message(ans.id, ans.text, "completed"))
    return items + [_call(ans.id, i, c, "completed") for i, c in enumerate(ans.tool_calls)]


def _response(rid: str, model: str, data: dict[str, Any], *, status: str,
              output: list[dict[str, Any]], ans: Answer | None = None) -> dict[str, Any]:
    cut = ans is not None and ans.finish_reason == "length"
    return {"id": f"resp_{rid}", "object": "response", "created_at": int(time.time()),
            "status": "incomplete" if cut else status, "model": model, "output": output,
            "error": None,
            "incomplete_details": {"reason": "max_output_tokens"} if cut else None,
            "instructions": data.get("instructions"), "metadata": data.get("metadata") or {},
            "parallel_tool_calls": data.get("parallel_tool_calls", True),
            "tool_choice": data.get("tool_choice", "auto"), "tools": data.get("tools") or [],
            "temperature": data.get("temperature"), "top_p": data.get("top_p"),
            "max_output_tokens": data.get("max_output_tokens"),
            "text": data.get("text") or {"format": {"type": "text"}},
            "usage": _usage(ans) if ans is not None else None}


def body(ans: Answer, data: dict[str, Any]) -> dict[str, Any]:
    return _response(ans.id, ans.model, data, status="completed", output=_output(ans),
                     ans=ans)


class _Events:
    """Server-sent events with their sequence numbers, as the Responses stream numbers them."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self, kind: str, **payload: Any) -> bytes:
        event = {"type": kind, "sequence_number": self.n, **payload}
        self.n += 1
        return f"event: {kind}\ndata: {json.dumps(event)}\n\n".encode()


def _opening(ev: _Events, rid: str, model: str, data: dict[str, Any]) -> Iterator[bytes]:
    begun = _response(rid, model, data, status="in_progress", output=[])
    yield ev("response.created", response=begun)
    yield ev("response.in_progress", response=begun)


def _text_opened(ev: _Events, rid: str, at: int) -> Iterator[bytes]:
    yield ev("response.output_item.added", output_index=at,
             item=_message(rid, "", "in_progress"))
    yield ev("response.content_part.added", item_id=f"msg_{rid}", output_index=at,
             content_index=0, part={"type": "output_text", "text": "", "annotations": []})


def _delta(ev: _Events, rid: str, text: str, at: int) -> bytes:
    return ev("response.output_text.delta", item_id=f"msg_{rid}", output_index=at,
              content_index=0, delta=text, logprobs=[])


class _Items:
    """A stream's output items, numbered as they open: the message at its first text, each
    function call at its first piece, its arguments then sent as they are written."""

    def __init__(self, ev: _Events, rid: str) -> None:
        self.ev, self.rid = ev, rid
        self.thought: int | None = None  # the reasoning item's output_index, once open
        self.thinking = ""  # its text so far
        self.thought_done = False  # closed (as the next item opens, as OpenAI's streams do)
        self.message: int | None = None  # the message's output_index, once open
        self.calls: dict[int, int] = {}  # a call's index in the answer -> its output_index

    def _next(self) -> int:
        return len(self.calls) + (self.message is not None) + (self.thought is not None)

    def reasoning(self, text: str) -> Iterator[bytes]:
        rid = f"rs_{self.rid}"
        if self.thought is None:
            self.thought = self._next()
            yield self.ev("response.output_item.added", output_index=self.thought,
                          item=_reasoning(self.rid, "", "in_progress"))
            yield self.ev("response.content_part.added", item_id=rid,
                          output_index=self.thought, content_index=0,
                          part={"type": "reasoning_text", "text": ""})
        self.thinking += text
        yield self.ev("response.reasoning_text.delta", item_id=rid, output_index=self.thought,
                      content_index=0, delta=text)

    def _thought_done(self) -> Iterator[bytes]:
        """The reasoning item closed: its text, its part and the item done."""
        if self.thought is None or self.thought_done:
            return
        self.thought_done = True
        item = _reasoning(self.rid, self.thinking, "completed")
        part = item["content"][0]
        yield self.ev("response.reasoning_text.done", item_id=item["id"],
                      output_index=self.thought, content_index=0, text=part["text"])
        yield self.ev("response.content_part.done", item_id=item["id"],
                      output_index=self.thought, content_index=0, part=part)
        yield self.ev("response.output_item.done", output_index=self.thought, item=item)

    def text(self, text: str) -> Iterator[bytes]:
        if self.message is None:
            yield from self._thought_done()
            self.message = self._next()
            yield from _text_opened(self.ev, self.rid, self.message)
        if text:
            yield _delta(self.ev, self.rid, text, self.message)

    def call(self, i: int, call: dict[str, Any], arguments: str) -> Iterator[bytes]:
        if i not in self.calls:
            yield from self._thought_done()
            self.calls[i] = self._next()
            yield self.ev("response.output_item.added", output_index=self.calls[i],
                          item=_call(self.rid, i, call, "in_progress"))
        if arguments:
            yield self.ev("response.function_call_arguments.delta",
                          item_id=f"fc_{self.rid}_{i}", output_index=self.calls[i],
                          delta=arguments)

    def piece(self, piece: dict[str, Any]) -> Iterator[bytes]:
        """One piece of the provider's stream (OpenAI's delta: reasoning, text, tool call
        parts)."""
        if piece.get("reasoning"):
            yield from self.reasoning(str(piece["reasoning"]))
        if piece.get("content"):
            yield from self.text(str(piece["content"]))
        for part in piece.get("tool_calls") or []:
            fn = part.get("function") or {}
            yield from self.call(int(part.get("index") or 0), part,
                                 str(fn.get("arguments") or ""))

    def closing(self, ans: Answer, data: dict[str, Any]) -> Iterator[bytes]:
        """Every item done, in the order they opened (a call the stream never showed is
        sent whole first), then the completed response."""
        if self.message is None and not ans.tool_calls:  # an empty answer has its message
            yield from self.text("")
        for i, call in enumerate(ans.tool_calls):
            if i not in self.calls:
                yield from self.call(i, call, _call(self.rid, i, call, "completed")[
                    "arguments"])
        yield from self._thought_done()
        done: dict[int, dict[str, Any]] = {}
        if self.message is not None:
            done[self.message] = _message(self.rid, ans.text, "completed")
        for i, call in enumerate(ans.tool_calls):
            done[self.calls[i]] = _call(self.rid, i, call, "completed")
        for at in sorted(done):
            item = done[at]
            if item["type"] == "message":
                part = item["content"][0]
                yield self.ev("response.output_text.done", item_id=item["id"],
                              output_index=at, content_index=0, text=ans.text, logprobs=[])
                yield self.ev("response.content_part.done", item_id=item["id"],
                              output_index=at, content_index=0,
                              part={k: part[k] for k in ("type", "text", "annotations")})
            else:
                yield self.ev("response.function_call_arguments.done", item_id=item["id"],
                              output_index=at, arguments=item["arguments"],
                              name=item["name"])
            yield self.ev("response.output_item.done", output_index=at, item=item)
        if self.thought is not None:
            done[self.thought] = _reasoning(self.rid, self.thinking, "completed")
        final = _response(self.rid, ans.model, data, status="completed",
                          output=[done[at] for at in sorted(done)], ans=ans)
        yield self.ev("response.incomplete" if final["status"] == "incomplete" else
                      "response.completed", response=final)


async def stream(ans: Answer, data: dict[str, Any]) -> AsyncIterator[bytes]:
    """A whole (checked) answer as the Responses stream."""
    ev = _Events()
    for chunk in _opening(ev, ans.id, ans.model, data):
        yield chunk
    items = _Items(ev, ans.id)
    if ans.reasoning:
        for chunk in items.reasoning(ans.reasoning):
            yield chunk
    if ans.text:
        for start in range(0, len(ans.text), 400):
            for chunk in items.text(ans.text[start:start + 400]):
                yield chunk
    for chunk in items.closing(ans, data):
        yield chunk


async def live(lv: Live, data: dict[str, Any]) -> AsyncIterator[bytes]:
    """The provider's text and function calls as they are written, then the completion."""
    ev = _Events()
    for chunk in _opening(ev, lv.id, lv.model, data):
        yield chunk
    items = _Items(ev, lv.id)
    async for piece in lv.pieces():
        for chunk in items.piece(piece):
            yield chunk
    try:
        ans = await lv.answer()
    except Exception as exc:  # noqa: BLE001 - told to the client as the stream's error event
        yield ev("error", code="upstream_failed", message=broke_off(exc), param=None)
        return
    for chunk in items.closing(ans, data):
        yield chunk
    yield closing_comment(ans)
