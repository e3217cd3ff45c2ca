"""OpenAI-compatible chat completions stub (OpenAI, DeepSeek, Ollama's /v1).

A body that breaks the ``openai`` SDK's ``CompletionCreateParams`` (plus DeepSeek's
``thinking`` for the DeepSeek stub) is a 400.

As DeepSeek (``thinks_by_default``): unless the request says ``thinking: {"type":
"disabled"}``, the answer carries ``reasoning_content``, its reasoning tokens are billed in
``completion_tokens`` (and reported in ``completion_tokens_details.reasoning_tokens``), and they
count against ``max_tokens`` — a reply that does not fit ends with ``finish_reason: "length"``
and no content, as thinking models do.
"""

from __future__ import annotations

import copy
import itertools
import json
import re
import time
from functools import lru_cache
from typing import Any

from .base import Recorded, Reply, StubServer, TextReply
from .spec import sdk_schema, violations

_ids = itertools.count(1)


@lru_cache(maxsize=1)
def openai_schemas() -> tuple[dict[str, Any], dict[str, Any]]:
    """The ``openai`` SDK's chat completion request and response, as closed schemas."""
    from openai.types.chat import ChatCompletion
    from openai.types.chat.completion_create_params import CompletionCreateParamsNonStreaming

    return sdk_schema(CompletionCreateParamsNonStreaming), sdk_schema(ChatCompletion)


@lru_cache(maxsize=1)
def openai_stream_schemas() -> tuple[dict[str, Any], dict[str, Any]]:
    """The ``openai`` SDK's streaming request and its chunk, as closed schemas."""
    from openai.types.chat import ChatCompletionChunk
    from openai.types.chat.completion_create_params import CompletionCreateParamsStreaming

    return sdk_schema(CompletionCreateParamsStreaming), sdk_schema(ChatCompletionChunk)


def _thinking_switch(request: dict[str, Any]) -> dict[str, Any]:
    request["properties"]["thinking"] = {
        "type": "object", "required": ["type"], "additionalProperties": False,
        "properties": {"type": {"enum": ["enabled", "disabled"]}}}
    return request


@lru_cache(maxsize=1)
def deepseek_stream_request() -> dict[str, Any]:
    return _thinking_switch(copy.deepcopy(openai_stream_schemas()[0]))


@lru_cache(maxsize=1)
def deepseek_schemas() -> tuple[dict[str, Any], dict[str, Any]]:
    """OpenAI's, plus DeepSeek's ``thinking`` switch and ``reasoning_content``
    (api-docs.deepseek.com/guides/thinking_mode)."""
    request, response = copy.deepcopy(openai_schemas())
    _thinking_switch(request)
    message = response["$defs"]["ChatCompletionMessage"]
    message["properties"]["reasoning_content"] = {"type": ["string", "null"]}
    return request, response


def error_body(message: str, kind: str = "invalid_request_error",
               code: str | None = None) -> dict[str, Any]:
    """OpenAI's error envelope (DeepSeek uses the same)."""
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


class OpenAIStub(StubServer):
    """POST /v1/chat/completions (and /chat/completions) with Bearer auth."""

    name = "openai"
    #: request fields this provider accepts beyond OpenAI's own (checked against nothing)
    extensions: tuple[str, ...] = ()

    def __init__(self, api_key: str | None = "sk-openai-stub-key", *,
                 thinks_by_default: bool = False) -> None:
        super().__init__(api_key)
        self.reply_text: TextReply = "Hello from the OpenAI-compatible stub."
        self.usage = {"prompt_tokens": 3500, "completion_tokens": 1000, "total_tokens": 4500}
        self.thinks_by_default = thinks_by_default
        #: what a thinking model spends on reasoning before it answers
        self.reasoning_tokens = 1200
        #: arguments of a call to the request's first tool (answered instead of text), or None
        self.tool_arguments: dict[str, Any] | None = None
        #: seconds between the events of a streamed answer
        self.stream_delay = 0.0
        #: bill no more output than the request's max_tokens (a real provider never does;
        #: off by default, for the tests that script a fixed usage)
        self.bills_within_max_tokens = False

    def handle(self, req: Recorded) -> Reply:
        if req.method == "GET" and req.path.rstrip("/").endswith("/models"):
            return Reply(200, {"object": "list", "data": []})
        if req.method == "POST" and req.path.rstrip("/").endswith("/embeddings"):
            return self._embeddings(req)
        if req.method != "POST" or not req.path.endswith("/chat/completions"):
            return Reply(404, error_body(f"{req.path} not found"))
        if not self.bearer_ok(req):
            return Reply(401, error_body("Incorrect API key provided", "authentication_error",
                                         "invalid_api_key"))
        body = req.json()
        schema = (deepseek_schemas() if self.thinks_by_default else openai_schemas())[0]
        if isinstance(body, dict) and body.get("stream"):
            schema = deepseek_stream_request() if self.thinks_by_default \
                else openai_stream_schemas()[0]
        problems = violations(schema, {k: v for k, v in body.items()
                                       if k not in self.extensions})
        if problems:
            return Reply(400, error_body("; ".join(problems)))
        n = next(_ids)
        message: dict[str, Any] = {"role": "assistant", "content": self.text_for(body)}
        usage: dict[str, Any] = dict(self.usage)
        finish = "stop"
        thinking = (body.get("thinking") or {}).get("type", "enabled" if self.thinks_by_default
                                                    else "disabled")
        if thinking == "enabled":
            answer = usage["completion_tokens"]
            usage["completion_tokens"] = answer + self.reasoning_tokens
            usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
            usage["completion_tokens_details"] = {"reasoning_tokens": self.reasoning_tokens}
            message["reasoning_content"] = "Let me think about a calm opening..."
            limit = body.get("max_tokens")
            if limit is not None and usage["completion_tokens"] > int(limit):
                spent = min(int(limit), self.reasoning_tokens)
                usage.update(completion_tokens=int(limit),
                             total_tokens=usage["prompt_tokens"] + int(limit),
                             completion_tokens_details={"reasoning_tokens": spent})
                message["content"], finish = "", "length"
        limit = body.get("max_completion_tokens") or body.get("max_tokens")
        if self.bills_within_max_tokens and limit and usage["completion_tokens"] > int(limit):
            usage.update(completion_tokens=int(limit),
                         total_tokens=usage["prompt_tokens"] + int(limit))
            finish = "length"
        if self.tool_arguments is not None and body.get("tools"):
            name = body["tools"][0]["function"]["name"]
            message = {"role": "assistant", "content": None, "tool_calls": [{
                "id": f"call_stub{n:04d}", "type": "function",
                "function": {"name": name, "arguments": json.dumps(self.tool_arguments)}}]}
            finish = "tool_calls"
        if body.get("stream"):
            return Reply(200, headers={"x-request-id": f"req-stub{n:04d}"},
                         events=self._chunks(body, n, message, finish, usage),
                         event_delay=self.stream_delay)
        return Reply(200, {
            "id": f"chatcmpl-stub{n:04d}", "object": "chat.completion",
            "created": int(time.time()), "model": body.get("model"),
            "choices": [{"index": 0, "finish_reason": finish, "message": message}],
            "usage": usage,
        }, {"x-request-id": f"req-stub{n:04d}"})

    @staticmethod
    def _chunks(body: dict[str, Any], n: int, message: dict[str, Any], finish: str,
                usage: dict[str, Any]) -> list[bytes]:
        """The answer as OpenAI streams it: a role chunk, content a word at a time, each tool
        call (its id and name, then its arguments in two pieces), the finish reason, the usage
        chunk (no choices) when ``stream_options.include_usage`` asks, then ``[DONE]``."""
        base = {"id": f"chatcmpl-stub{n:04d}", "object": "chat.completion.chunk",
                "created": int(time.time()), "model": body.get("model")}

        def event(delta: dict[str, Any] | None, finish_reason: str | None = None,
                  **more: Any) -> bytes:
            choices = [] if delta is None else [{"index": 0, "delta": delta,
                                                 "finish_reason": finish_reason}]
            return b"data: " + json.dumps({**base, "choices": choices, **more}).encode() \
                + b"\n\n"

        out = [event({"role": "assistant", "content": ""})]
        out += [event({"reasoning_content": piece})  # DeepSeek streams its reasoning first
                for piece in re.findall(r"\s*\S+", message.get("reasoning_content") or "")]
        out += [event({"content": piece})
                for piece in re.findall(r"\s*\S+", message.get("content") or "")]
        for i, call in enumerate(message.get("tool_calls") or []):
            fn = call["function"]
            out.append(event({"tool_calls": [{"index": i, "id": call["id"], "type": "function",
                                              "function": {"name": fn["name"],
                                                           "arguments": ""}}]}))
            half = len(fn["arguments"]) // 2
            out += [event({"tool_calls": [{"index": i, "function": {"arguments": part}}]})
                    for part in (fn["arguments"][:half], fn["arguments"][half:])]
        out.append(event({}, finish))
        if (body.get("stream_options") or {}).get("include_usage"):
            out.append(event(None, usage=usage))
        return out + [b"data: [DONE]\n\n"]

    def billed(self) -> list[dict[str, Any]]:
        """The usage of every chat completion answered in full with a 200: what the provider
        bills (a client killed after the answer left is billed all the same)."""
        with self._lock:
            done = [(req, status) for req, status, _ in self.served]
        out = []
        for req, status in done:
            if status == 200 and req.path.endswith("/chat/completions"):
                out.append(dict(self.usage))
        return out

    def _embeddings(self, req: Recorded) -> Reply:
        """OpenAI's CreateEmbeddingResponse: a vector per input, usage in prompt tokens."""
        if not self.bearer_ok(req):
            return Reply(401, error_body("Incorrect API key provided", "authentication_error",
                                         "invalid_api_key"))
        body = req.json()
        raw = body.get("input")
        texts = [raw] if isinstance(raw, str) else list(raw or [])
        if not texts or not body.get("model"):
            return Reply(400, error_body("'input' and 'model' are required"))
        tokens = sum(max(1, len(str(x).split())) for x in texts)
        return Reply(200, {"object": "list", "model": body["model"],
                           "data": [{"object": "embedding", "index": i,
                                     "embedding": [0.01 * (i + 1)] * 8}
                                    for i in range(len(texts))],
                           "usage": {"prompt_tokens": tokens, "total_tokens": tokens}})

    def insufficient_balance(self) -> "OpenAIStub":
        """DeepSeek's 402: never worth a retry."""
        self.fail(402, error_body("Insufficient Balance", "unknown_error",
                                  "invalid_request_error"))
        return self

    def overloaded(self, times: int = 1, status: int = 503) -> "OpenAIStub":
        self.fail(status, error_body("Server Overloaded" if status == 503 else
                                     "The server had an error while processing your request",
                                     "server_error"), times=times)
        return self

    def rate_limited(self, retry_after: float, times: int = 1) -> "OpenAIStub":
        self.fail(429, error_body("Rate limit reached for requests", "requests",
                                  "rate_limit_exceeded"),
                  headers={"retry-after": str(retry_after)}, times=times)
        return self
