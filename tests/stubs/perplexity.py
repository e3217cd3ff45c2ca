"""Perplexity Agent API stub: POST /v1/responses (alias /v1/agent), OpenAI Responses format.

Answers as the Agent API does (shapes of the ``perplexityai`` SDK's ``ResponseCreateResponse``
and ``ResponsesUsage``): an unknown model slug or preset is a 400 ``invalid_model``; the
answer is grounded — a ``search_results`` item and a billed ``web_search`` call — only when
the request enables the ``web_search`` tool or names a preset.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

from .base import Recorded, Reply, StubServer, TextReply

_ids = itertools.count(1)

#: presets as LiteLLM's map lists them ("perplexity/preset/<name>")
PRESETS = ("fast-search", "pro-search", "deep-research", "advanced-deep-research")


def agent_models() -> frozenset[str]:
    """Agent API model slugs: LiteLLM's "perplexity/<provider>/<model>" responses entries."""
    from archibald.core.prices import litellm_price_map

    return frozenset(k.split("/", 1)[1] for k, v in litellm_price_map().items()
                     if k.startswith("perplexity/") and k.count("/") == 2
                     and not k.startswith("perplexity/preset/") and v.get("mode") == "responses")


class PerplexityStub(StubServer):
    """Answers with a message output item (and search results when searching) and usage."""

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
        self.models = agent_models()
        #: the response's status ("completed"; "incomplete" or "in_progress" as the API may)
        self.status = "completed"

    @staticmethod
    def _error(status: int, message: str, kind: str) -> Reply:
        return Reply(status, {"error": {"message": message, "type": kind, "code": kind}})

    def handle(self, req: Recorded) -> Reply:
        if req.method != "POST" or not (req.path.endswith("/v1/responses")
                                        or req.path.endswith("/v1/agent")):
            return self._error(404, f"{req.path} not found", "not_found")
        if not self.bearer_ok(req):
            return self._error(401, "Invalid API key", "unauthorized")
        body = req.json()
        preset, model = body.get("preset"), body.get("model")
        if preset is not None and preset not in PRESETS:
            return self._error(400, f"unknown preset {preset!r}", "invalid_preset")
        if model is not None and model not in self.models:
            return self._error(400, f"model {model!r} is not available on the Agent API",
                               "invalid_model")
        if model is None and preset is None:
            return self._error(400, "give model or preset", "invalid_request")
        searched = preset is not None or any(t.get("type") == "web_search"
                                             for t in body.get("tools") or [])
        n = next(_ids)
        usage = dict(self.usage)
        if searched:
            # the API reports the web_search tool's calls under the name "search_web"
            usage["tool_calls_details"] = {"search_web": {"invocation": 1}}
        if self.cost is not None:
            usage["cost"] = dict(self.cost)
            if not searched:
                usage["cost"].pop("tool_calls_cost", None)
                usage["cost"]["total_cost"] = round(usage["cost"]["input_cost"]
                                                    + usage["cost"]["output_cost"], 10)
        output: list[dict[str, Any]] = []
        if searched:
            output.append({"type": "search_results", "queries": [str(body.get("input"))[:80]],
                           "results": [{"id": 1, "title": "A source",
                                        "url": "https://example.org/a", "date": "2026-01-01",
                                        "snippet": "What the page says.", "source": "web"}]})
        output.append({"type": "message", "role": "assistant", "status": "completed",
                       "id": f"msg{n}",
                       "content": [{"type": "output_text", "text": self.text_for(body),
                                    "annotations": []}]})
        return Reply(200, {
            "id": f"resp_stub{n:04d}", "object": "response", "created_at": int(time.time()),
            "model": model or f"preset/{preset}", "status": self.status, "output": output,
            "usage": usage,
        })
