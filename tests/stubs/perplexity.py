"""Perplexity Agent API stub: POST /v1/responses (alias /v1/agent), OpenAI Responses format."""

from __future__ import annotations

import itertools
import time
from typing import Any

from .base import Recorded, Reply, StubServer, TextReply

_ids = itertools.count(1)


class PerplexityStub(StubServer):
    """Answers with one message output item, a search_results item and usage with cost."""

    name = "perplexity"

    def __init__(self, api_key: str | None = "pplx-stub-key") -> None:
        super().__init__(api_key)
        self.reply_text: TextReply = "Research summary from the Perplexity stub [1]."
        self.usage: dict[str, Any] = {"input_tokens": 1000, "output_tokens": 1500,
                                      "total_tokens": 2500}
        #: the reported cost block, or None to omit it (the client must then price tokens)
        self.cost: dict[str, Any] | None = {"currency": "USD", "input_cost": 0.00025,
                                            "output_cost": 0.00375, "tool_calls_cost": 0.005,
                                            "total_cost": 0.009}

    def handle(self, req: Recorded) -> Reply:
        if req.method != "POST" or not (req.path.endswith("/v1/responses")
                                        or req.path.endswith("/v1/agent")):
            return Reply(404, {"error": {"message": f"{req.path} not found", "code": 404}})
        if not self.bearer_ok(req):
            return Reply(401, {"error": {"message": "Invalid API key", "type": "unauthorized",
                                         "code": 401}})
        body = req.json()
        n = next(_ids)
        usage = dict(self.usage)
        if self.cost is not None:
            usage["cost"] = dict(self.cost)
        return Reply(200, {
            "id": f"resp_stub{n:04d}", "object": "response", "created_at": int(time.time()),
            "model": body.get("model") or "perplexity/sonar", "status": "completed",
            "output": [
                {"type": "search_results", "results": [
                    {"title": "A source", "url": "https://example.org/a", "date": "2026-01-01"}]},
                {"type": "message", "role": "assistant", "status": "completed", "id": f"msg{n}",
                 "content": [{"type": "output_text", "text": self.text_for(body),
                              "annotations": []}]},
            ],
            "usage": usage,
        })
