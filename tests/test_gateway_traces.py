"""OpenTelemetry traces of gateway requests (issue 22): with OTEL_EXPORTER_OTLP_ENDPOINT set,
the official SDK's OTLP/HTTP exporter sends a span per request to a collector (a stub on
loopback here, decoded with OpenTelemetry's own protobuf types), in the GenAI conventions, and
never with a prompt, an answer or a key on it."""

from __future__ import annotations

from typing import Any

import openai
import pytest

from archibald.config import load_settings
from archibald.serve.app import create_app
from stubs.base import Recorded, Reply, StubServer
from stubs.fixtures import deepseek_stub, provider_env  # noqa: F401
from test_gateway import Served, _client, _key

pytest.importorskip("opentelemetry.sdk")


class Collector(StubServer):
    """An OTLP/HTTP trace collector: POST /v1/traces, protobuf in, an empty answer out."""

    name = "otlp"

    def handle(self, req: Recorded) -> Reply:
        if req.method == "POST" and req.path == "/v1/traces":
            return Reply(200, b"", {"content-type": "application/x-protobuf"})
        return Reply(404, b"")

    def spans(self) -> list[Any]:
        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
            ExportTraceServiceRequest)

        out = []
        for req in self.requests_to("/v1/traces"):
            message = ExportTraceServiceRequest()
            message.ParseFromString(req.body)
            out += [span for rs in message.resource_spans for ss in rs.scope_spans
                    for span in ss.spans]
        return out


def _attrs(span: Any) -> dict[str, Any]:
    out = {}
    for kv in span.attributes:
        v = kv.value
        kind = v.WhichOneof("value")
        out[kv.key] = [x.string_value for x in v.array_value.values] \
            if kind == "array_value" else getattr(v, kind)
    return out


def test_each_request_is_a_genai_span_sent_over_otlp(deepseek_stub: Any, provider_env: Any,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    deepseek_stub.usage = {"prompt_tokens": 30, "completion_tokens": 20, "total_tokens": 50}
    deepseek_stub.reasoning_tokens = 0
    collector = Collector().start()
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.base_url)
    monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "50")
    served = Served(create_app(load_settings(None, {"quality": {"judge_model": ""}})))
    try:
        key = _key(served)
        client = _client(served, key)
        answer = client.chat.completions.create(
            model="archibald/auto", max_tokens=300, temperature=0.2,
            messages=[{"role": "user", "content": "Reword: SECRET-PROMPT-TEXT"}])
        list(client.chat.completions.create(
            model="archibald/auto", stream=True,
            messages=[{"role": "user", "content": "Say hello"}]))
        with pytest.raises(openai.RateLimitError):
            _client(served, _key(served, budget_usd=0.0)).chat.completions.create(
                model="archibald/auto", messages=[{"role": "user", "content": "hi"}])
    finally:
        served.stop()  # the app's shutdown sends what the exporter still holds
        collector.stop()
    spans = collector.spans()
    assert sorted(s.name for s in spans) == ["chat archibald/auto"] * 3
    ok = [s for s in spans if _attrs(s).get("gen_ai.response.id") == answer.id.removeprefix(
        "chatcmpl-")]
    [first] = ok
    attrs = _attrs(first)
    assert attrs["gen_ai.operation.name"] == "chat"
    assert attrs["gen_ai.request.model"] == "archibald/auto"
    assert attrs["gen_ai.request.max_tokens"] == 300
    assert attrs["gen_ai.request.temperature"] == 0.2
    assert attrs["gen_ai.response.model"] == "deepseek/deepseek-flash"
    assert (attrs["gen_ai.usage.input_tokens"], attrs["gen_ai.usage.output_tokens"]) == (30, 20)
    assert attrs["gen_ai.response.finish_reasons"] == ["stop"]
    assert attrs["archibald.route"] == "budget" and attrs["archibald.cost_usd"] > 0
    assert attrs["archibald.baseline_usd"] > attrs["archibald.cost_usd"]
    streamed = [s for s in spans if _attrs(s).get("gen_ai.request.stream") is True]
    assert len(streamed) == 1 and _attrs(streamed[0])["gen_ai.usage.output_tokens"] == 20
    refused = [s for s in spans if "error.type" in _attrs(s)]
    assert len(refused) == 1 and _attrs(refused[0])["error.type"] == "BudgetExceeded"
    assert _attrs(refused[0])["http.response.status_code"] == 429
    sent = b"".join(r.body for r in collector.requests)
    for secret in (key.encode(), deepseek_stub.api_key.encode(), b"SECRET-PROMPT-TEXT",
                   deepseek_stub.reply_text.encode()):
        assert secret not in sent
