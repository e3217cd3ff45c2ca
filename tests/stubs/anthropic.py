"""Anthropic Messages API stub: POST /v1/messages with x-api-key and anthropic-version.

A body that breaks the ``anthropic`` SDK's ``MessageCreateParams`` is a 400
``invalid_request_error``, as the API answers it.
"""

from __future__ import annotations

import itertools
import json
import re
from functools import lru_cache
from typing import Any

from .base import Recorded, Reply, StubServer, TextReply
from .spec import sdk_schema, violations

_ids = itertools.count(1)


@lru_cache(maxsize=1)
def request_schema() -> dict[str, Any]:
    from anthropic.types.message_create_params import MessageCreateParamsNonStreaming

    return sdk_schema(MessageCreateParamsNonStreaming)


@lru_cache(maxsize=1)
def stream_request_schema() -> dict[str, Any]:
    from anthropic.types.message_create_params import MessageCreateParamsStreaming

    return sdk_schema(MessageCreateParamsStreaming)


def error_body(kind: str, message: str, **extra: Any) -> dict[str, Any]:
    """Anthropic's error envelope."""
    return {"type": "error", "error": {"type": kind, "message": message, **extra},
            "request_id": f"req_stub{next(_ids):04d}"}


class AnthropicStub(StubServer):
    """Answers every message with ``reply_text`` and the usage in ``usage``."""

    name = "anthropic"

    def __init__(self, api_key: str | None = "sk-ant-stub-key") -> None:
        super().__init__(api_key)
        self.reply_text: TextReply = "Hello from the Anthropic stub."
        self.usage = {"input_tokens": 1200, "output_tokens": 800,
                      "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}
        #: seconds between the events of a streamed answer
        self.stream_delay = 0.0

    def handle(self, req: Recorded) -> Reply:
        if req.method != "POST" or not req.path.endswith("/v1/messages"):
            return Reply(404, error_body("not_found_error", f"{req.path} not found"))
        if self.api_key is not None and req.headers.get("x-api-key") != self.api_key:
            return Reply(401, error_body("authentication_error", "invalid x-api-key"))
        if not req.headers.get("anthropic-version"):
            return Reply(400, error_body("invalid_request_error",
                                         "anthropic-version: header is required"))
        body = req.json()
        if not isinstance(body, dict) or "max_tokens" not in body:
            return Reply(400, error_body("invalid_request_error", "max_tokens: Field required"))
        problems = violations(stream_request_schema() if body.get("stream")
                              else request_schema(), body)
        if problems:
            return Reply(400, error_body("invalid_request_error", "; ".join(problems)))
        n = next(_ids)
        if body.get("stream"):
            return Reply(200, headers={"request-id": f"req_stub{n:04d}"},
                         events=self._events(body, n), event_delay=self.stream_delay)
        return Reply(200, {
            "id": f"msg_stub{n:04d}", "type": "message", "role": "assistant",
            "model": body.get("model"), "stop_reason": "end_turn", "stop_sequence": None,
            "content": [*self._thought(body, n),
                        {"type": "text", "text": self.text_for(body)}], "usage": dict(self.usage),
        }, {"request-id": f"req_stub{n:04d}"})

    #: what the stub "thinks" when a request turns thinking on
    THOUGHT = "The stub weighs the question before it answers."

    def _thought(self, body: dict[str, Any], n: int) -> list[dict[str, Any]]:
        """A signed thinking block first when the request turns thinking on, as Claude's."""
        if (body.get("thinking") or {}).get("type") in (None, "disabled"):
            return []
        return [{"type": "thinking", "thinking": self.THOUGHT, "signature": f"stub-sig-{n}"}]

    def _events(self, body: dict[str, Any], n: int) -> list[bytes]:
        """The answer as the Messages API streams it: message_start (with the input usage),
        content_block_start, ping, a text_delta per word, content_block_stop, message_delta
        (stop reason, output tokens), message_stop."""
        def event(name: str, **payload: Any) -> bytes:
            return f"event: {name}\ndata: {json.dumps({'type': name, **payload})}\n\n".encode()

        usage = dict(self.usage)
        start = {"id": f"msg_stub{n:04d}", "type": "message", "role": "assistant",
                 "model": body.get("model"), "content": [], "stop_reason": None,
                 "stop_sequence": None, "usage": {**usage, "output_tokens": 1}}
        out = [event("message_start", message=start)]
        at = 0
        for block in self._thought(body, n):  # thinking_delta per word, then its signature
            out.append(event("content_block_start", index=at, content_block={
                "type": "thinking", "thinking": "", "signature": ""}))
            out += [event("content_block_delta", index=at, delta={"type": "thinking_delta",
                                                                  "thinking": w})
                    for w in re.findall(r"\s*\S+", block["thinking"])]
            out += [event("content_block_delta", index=at, delta={
                "type": "signature_delta", "signature": block["signature"]}),
                event("content_block_stop", index=at)]
            at += 1
        out += [event("content_block_start", index=at,
                      content_block={"type": "text", "text": ""}), event("ping")]
        out += [event("content_block_delta", index=at, delta={"type": "text_delta", "text": w})
                for w in re.findall(r"\s*\S+", self.text_for(body))]
        out += [event("content_block_stop", index=at),
                event("message_delta", delta={"stop_reason": "end_turn", "stop_sequence": None},
                      usage={"output_tokens": usage["output_tokens"]}),
                event("message_stop")]
        return out

    # faults in Anthropic's words ---------------------------------------------------------
    def overloaded(self, times: int = 1) -> "AnthropicStub":
        self.fail(529, error_body("overloaded_error", "Overloaded"), times=times)
        return self

    def rate_limited(self, retry_after: float, times: int = 1) -> "AnthropicStub":
        self.fail(429, error_body("rate_limit_error", "Number of request tokens has exceeded "
                                  "your per-minute rate limit"),
                  headers={"retry-after": str(retry_after),
                           "anthropic-ratelimit-requests-remaining": "0"}, times=times)
        return self

    def spend_limit(self) -> "AnthropicStub":
        self.fail(429, error_body("rate_limit_error", "You have reached your specified "
                                  "workspace API usage limits",
                                  details={"error_code": "enforced_spend_limit_reached"}),
                  headers={"retry-after": "1"})
        return self
