"""OpenAI's Chat Completions wire format: the request in, the answer and its stream out.

Shapes as the ``openai`` SDK's types define them (``ChatCompletion``,
``ChatCompletionChunk``): a stream is ``data: {chunk}`` events ending in ``data: [DONE]``,
with a last chunk of ``usage`` (and no choices) when ``stream_options.include_usage`` asks.
A stream is the provider's own, piece by piece as it is written (:func:`live`); its cost and
baseline, known once the provider reported its usage, close it as an SSE comment
(``: x-archibald-cost-usd=...``), which clients skip. With ``x-archibald-stream: checked`` the
whole answer is checked first (and escalated when it fails) and then sent as chunks
(:func:`stream`), with the cost in the headers.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

from .service import Answer, Live, Request
from .wire import bad, broke_off, finite_float, positive_int, sampling, task_of

__all__ = ["to_request", "body", "stream", "live", "closing_comment"]

_ROLES = ("system", "developer", "user", "assistant", "tool", "function")


def to_request(data: dict[str, Any], task_header: str | None) -> Request:
    model = data.get("model")
    if not isinstance(model, str) or not model:
        raise bad("model is required (archibald/auto, archibald/auto:cheap, "
                  "archibald/auto:best, or a model name)")
    messages = data.get("messages")
    if not isinstance(messages, list) or not messages:
        raise bad("messages must be a non-empty list")
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or m.get("role") not in _ROLES:
            raise bad(f"messages[{i}] must be an object with a role ({', '.join(_ROLES)})")
    tools = data.get("tools")
    if tools is not None and not isinstance(tools, list):
        raise bad("tools must be a list")
    return Request(model=model, messages=[dict(m) for m in messages],
                   max_tokens=positive_int(data, "max_completion_tokens")
                   or positive_int(data, "max_tokens"),
                   temperature=finite_float(data, "temperature", 0.0, 2.0),
                   tools=tools, tool_choice=data.get("tool_choice"),
                   response_format=data.get("response_format"), stop=data.get("stop"),
                   task=task_of(data, task_header), params=sampling(data))


def _usage(ans: Answer) -> dict[str, Any]:
    usage: dict[str, Any] = {"prompt_tokens": ans.input_tokens,
                             "completion_tokens": ans.output_tokens,
                             "total_tokens": ans.input_tokens + ans.output_tokens}
    if ans.reasoning_tokens:
        usage["completion_tokens_details"] = {"reasoning_tokens": ans.reasoning_tokens}
    return usage


def _finish(ans: Answer) -> str:
    if ans.tool_calls:
        return "tool_calls"
    return ans.finish_reason if ans.finish_reason in ("stop", "length", "content_filter") \
        else "stop"


def body(ans: Answer, data: dict[str, Any]) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": ans.text or None,
                               "refusal": None}
    if ans.tool_calls:
        message["tool_calls"] = ans.tool_calls
    if ans.reasoning:  # DeepSeek's field, as LiteLLM hands on any model's reasoning
        message["reasoning_content"] = ans.reasoning
    return {"id": f"chatcmpl-{ans.id}", "object": "chat.completion",
            "created": int(time.time()), "model": ans.model,
            "choices": [{"index": 0, "message": message, "finish_reason": _finish(ans),
                         "logprobs": None}],
            "usage": _usage(ans)}


async def stream(ans: Answer, data: dict[str, Any]) -> AsyncIterator[bytes]:
    created = int(time.time())
    base = {"id": f"chatcmpl-{ans.id}", "object": "chat.completion.chunk",
            "created": created, "model": ans.model}

    def event(choices: list[dict[str, Any]], **more: Any) -> bytes:
        return f"data: {json.dumps({**base, 'choices': choices, **more})}\n\n".encode()

    yield event([{"index": 0, "delta": {"role": "assistant", "content": ""},
                  "finish_reason": None}])
    if ans.reasoning:
        yield event([{"index": 0, "delta": {"reasoning_content": ans.reasoning},
                      "finish_reason": None}])
    text = ans.text
    for start in range(0, len(text), 400):
        yield event([{"index": 0, "delta": {"content": text[start:start + 400]},
                      "finish_reason": None}])
    for i, call in enumerate(ans.tool_calls):
        yield event([{"index": 0, "delta": {"tool_calls": [{**call, "index": i}]},
                      "finish_reason": None}])
    yield event([{"index": 0, "delta": {}, "finish_reason": _finish(ans)}])
    options = data.get("stream_options")
    if isinstance(options, dict) and options.get("include_usage"):
        yield event([], usage=_usage(ans))
    yield b"data: [DONE]\n\n"


def closing_comment(ans: Answer) -> bytes:
    """The stream's last word on money, as an SSE comment (SDKs skip comments)."""
    return (f": x-archibald-route={ans.route}; x-archibald-cost-usd={ans.cost_usd:.9f}; "
            f"x-archibald-baseline-usd={ans.baseline_usd:.9f}\n\n").encode()


async def live(lv: Live, data: dict[str, Any]) -> AsyncIterator[bytes]:
    """The provider's stream as OpenAI's chunks, then the finish reason, the usage chunk
    (when ``stream_options.include_usage`` asks) and ``[DONE]``."""
    base = {"id": f"chatcmpl-{lv.id}", "object": "chat.completion.chunk",
            "created": int(time.time()), "model": lv.model}

    def event(choices: list[dict[str, Any]], **more: Any) -> bytes:
        return f"data: {json.dumps({**base, 'choices': choices, **more})}\n\n".encode()

    yield event([{"index": 0, "delta": {"role": "assistant", "content": ""},
                  "finish_reason": None}])
    async for piece in lv.pieces():
        delta: dict[str, Any] = {k: piece[k] for k in ("content", "tool_calls") if k in piece}
        if piece.get("reasoning"):
            delta["reasoning_content"] = piece["reasoning"]
        if delta:
            yield event([{"index": 0, "delta": delta, "finish_reason": None}])
    try:
        ans = await lv.answer()
    except Exception as exc:  # noqa: BLE001 - told to the client in OpenAI's error shape
        error = {"message": broke_off(exc), "type": "api_error",
                 "param": None, "code": "upstream_failed"}
        yield f"data: {json.dumps({'error': error})}\n\n".encode()
        yield b"data: [DONE]\n\n"
        return
    yield event([{"index": 0, "delta": {}, "finish_reason": _finish(ans)}])
    options = data.get("stream_options")
    if isinstance(options, dict) and options.get("include_usage"):
        yield event([], usage=_usage(ans))
    yield closing_comment(ans)
    yield b"data: [DONE]\n\n"
