"""An Ollama server on 127.0.0.1: ``GET /api/tags`` (the models it holds), ``GET
/api/version``, ``POST /api/chat`` (Ollama's own chat) and ``POST /v1/chat/completions`` (its
OpenAI-compatible chat, which Archibald calls through LiteLLM).

Every answer of Ollama's own API is validated with the official ``ollama`` client's pydantic
types before it is sent (``ollama.ListResponse``, ``ollama.ChatResponse``), and the request of
``/api/chat`` with ``ollama.ChatRequest``; the OpenAI-compatible side is the OpenAI stub's (its
requests checked against the ``openai`` SDK's types), answered as Ollama answers it.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Any

from .base import Recorded, Reply
from .openai_compat import OpenAIStub, error_body


def _model_entry(name: str, family: str = "llama", size: str = "3.2B") -> dict[str, Any]:
    """One model as Ollama's /api/tags lists it."""
    return {"name": name, "model": name,
            "modified_at": "2026-11-30T09:12:44.128374514+00:00", "size": 2019393189,
            "digest": "a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72",
            "details": {"parent_model": "", "format": "gguf", "family": family,
                        "families": [family], "parameter_size": size,
                        "quantization_level": "Q4_K_M"}}


class OllamaStub(OpenAIStub):
    """Ollama 0.x: its own API and its OpenAI-compatible /v1."""

    name = "ollama"

    def __init__(self, models: tuple[str, ...] = ("llama3.2:latest",),
                 version: str = "0.13.1") -> None:
        super().__init__(None)
        self.models = list(models)
        #: models it holds that embed (listed by /api/tags, never chosen for chat)
        self.embedders = ["nomic-embed-text:latest"]
        self.version = version
        self.usage = {"prompt_tokens": 412, "completion_tokens": 356, "total_tokens": 768}

    def tags(self) -> dict[str, Any]:
        import ollama

        body = {"models": [*(_model_entry(m) for m in self.models),
                           *(_model_entry(m, "nomic-bert", "137M") for m in self.embedders)]}
        ollama.ListResponse.model_validate(body)  # what the official client reads
        return body

    def handle(self, req: Recorded) -> Reply:
        import ollama
        from ollama._types import ChatRequest  # the client's own request type

        path = req.path.rstrip("/")
        if req.method == "GET" and path == "/api/tags":
            return Reply(200, self.tags())
        if req.method == "GET" and path == "/api/version":
            return Reply(200, {"version": self.version})
        if req.method == "GET" and path in ("", "/"):
            return Reply(200, "Ollama is running", {"content-type": "text/plain"})
        if req.method == "POST" and path == "/api/chat":
            body = req.json()
            ChatRequest.model_validate(body)
            model = str(body.get("model"))
            if model not in self.models and f"{model}:latest" not in self.models:
                return Reply(404, {"error": f"model '{model}' not found"})
            answer = {"model": model,
                      "created_at": datetime.now(timezone.utc).isoformat().replace("+00:00",
                                                                                   "Z"),
                      "message": {"role": "assistant", "content": self.text_for(body)},
                      "done_reason": "stop", "done": True, "total_duration": 5191566416,
                      "load_duration": 2154458, "prompt_eval_count": self.usage["prompt_tokens"],
                      "prompt_eval_duration": 383809000,
                      "eval_count": self.usage["completion_tokens"],
                      "eval_duration": 4799921000}
            ollama.ChatResponse.model_validate(answer)
            return Reply(200, answer)
        if req.method == "POST" and path == "/v1/chat/completions":
            body = req.json()
            model = str(body.get("model") if isinstance(body, dict) else "")
            if model not in self.models and f"{model}:latest" not in self.models:
                return Reply(404, error_body(f"model \"{model}\" not found, try pulling it "
                                             f"first", "api_error"))
            reply = super().handle(req)
            if reply.status == 200 and isinstance(reply.body, dict):
                reply.body["system_fingerprint"] = "fp_ollama"  # as Ollama's /v1 answers
                reply.body["created"] = int(time.time())
            return reply
        return Reply(404, "404 page not found", {"content-type": "text/plain"})
