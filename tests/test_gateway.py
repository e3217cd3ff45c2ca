"""The gateway driven by the providers' official SDKs (openai: sync, async, streaming, tools;
anthropic: messages, streaming) against stub upstreams on loopback: routed, budgeted and
recorded by the pipelines' own router and ledger (issue 22)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import anthropic
import httpx
import openai
import pytest
import uvicorn

from archibald.config import load_settings
from archibald.serve.app import create_app
from archibald.serve.gateway.keys import channel_of
from archibald.store.ledger import NANO
from stubs.fixtures import anthropic_stub, deepseek_stub, openai_stub, provider_env  # noqa: F401


class Served:
    def __init__(self, app: Any) -> None:
        self.app = app
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0,
                                                    log_level="warning", lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)

    @property
    def gateway(self) -> Any:
        return self.app.state.gateway

    def settled(self) -> None:
        """Wait until every answer sent has been settled (the server writes an answer's
        settlement right after its response, so a reader of the ledger waits for it)."""
        deadline = time.monotonic() + 20
        while self.gateway.inflight and time.monotonic() < deadline:
            time.sleep(0.005)
        assert not self.gateway.inflight


@pytest.fixture()
def served(anthropic_stub, deepseek_stub, provider_env) -> Iterator[Served]:
    settings = load_settings(None, {"quality": {"judge_model": ""}})
    s = Served(create_app(settings))
    try:
        yield s
    finally:
        s.stop()


def _key(served: Served, **limits: Any) -> str:
    return str(served.gateway.keys.create(f"k{time.monotonic_ns()}", **limits))


def _client(served: Served, key: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=served.url + "/v1", api_key=key, max_retries=0)


def test_openai_sdk_non_streaming_with_the_routing_headers(served: Served,
                                                            deepseek_stub) -> None:
    client = _client(served, _key(served))
    raw = client.chat.completions.with_raw_response.create(
        model="archibald/auto", messages=[{"role": "user", "content": "Reword: the sky is blue"}])
    completion = raw.parse()
    assert isinstance(completion, openai.types.chat.ChatCompletion)
    assert completion.choices[0].message.content == deepseek_stub.reply_text
    assert raw.headers["x-archibald-route"] == "budget"
    assert raw.headers["x-archibald-task"] == "chat_simple"
    cost, baseline = (float(raw.headers[h]) for h in ("x-archibald-cost-usd",
                                                       "x-archibald-baseline-usd"))
    assert 0 < cost < baseline
    assert completion.usage is not None and completion.usage.prompt_tokens == 3500


def test_openai_sdk_streaming_with_usage(served: Served, deepseek_stub) -> None:
    client = _client(served, _key(served))
    chunks = list(client.chat.completions.create(
        model="archibald/auto", stream=True, stream_options={"include_usage": True},
        messages=[{"role": "user", "content": "Say hello"}]))
    assert all(isinstance(c, openai.types.chat.ChatCompletionChunk) for c in chunks)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == deepseek_stub.reply_text
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens > 0


def test_openai_async_sdk_and_virtual_models(served: Served, anthropic_stub) -> None:
    key = _key(served)

    async def go() -> list[Any]:
        client = openai.AsyncOpenAI(base_url=served.url + "/v1", api_key=key, max_retries=0)
        out = []
        for model in ("archibald/auto:best", "archibald/auto:cheap"):
            out.append(await client.chat.completions.with_raw_response.create(
                model=model, messages=[{"role": "user", "content": "Say hello"}]))
        models = await client.models.list()
        out.append([m.id for m in models.data])
        await client.close()
        return out

    best, cheap, models = asyncio.run(go())
    assert best.headers["x-archibald-route"] == "premium"
    assert cheap.headers["x-archibald-route"] == "budget"
    assert "archibald/auto" in models and "archibald/auto:cheap" in models


def test_openai_sdk_tools_pass_through(served: Served, deepseek_stub) -> None:
    deepseek_stub.tool_arguments = {"city": "Oslo"}
    client = _client(served, _key(served))
    tools = [{"type": "function", "function": {"name": "weather", "description": "Weather",
                                               "parameters": {"type": "object", "properties": {
                                                   "city": {"type": "string"}}}}}]
    completion = client.chat.completions.create(
        model="archibald/auto", tools=tools,  # type: ignore[arg-type]
        messages=[{"role": "user", "content": "Weather in Oslo?"}])
    call = completion.choices[0].message.tool_calls[0]  # type: ignore[index]
    assert completion.choices[0].finish_reason == "tool_calls"
    assert call.function.name == "weather" and json.loads(call.function.arguments) == {
        "city": "Oslo"}
    sent = deepseek_stub.requests_to("/chat/completions")[-1].json()
    assert sent["tools"][0]["function"]["name"] == "weather"


def test_anthropic_sdk_messages_and_stream(served: Served) -> None:
    client = anthropic.Anthropic(base_url=served.url, api_key=_key(served), max_retries=0)
    message = client.messages.create(model="archibald/auto:best", max_tokens=300,
                                     messages=[{"role": "user", "content": "Write a haiku"}])
    assert isinstance(message, anthropic.types.Message)
    assert message.content[0].type == "text" and message.content[0].text
    with client.messages.stream(model="archibald/auto", max_tokens=300,
                                messages=[{"role": "user", "content": "Say hello"}]) as s:
        streamed = "".join(s.text_stream)
        final = s.get_final_message()
    assert streamed and final.content[0].text == streamed  # type: ignore[union-attr]
    assert final.stop_reason == "end_turn" and final.usage.output_tokens > 0


def test_nobody_gets_in_without_a_key(served: Served) -> None:
    with pytest.raises(openai.AuthenticationError) as raised:
        _client(served, "ak-not-a-key").chat.completions.create(
            model="archibald/auto", messages=[{"role": "user", "content": "hi"}])
    assert raised.value.body["code"] == "invalid_api_key"  # type: ignore[index]
    with pytest.raises(anthropic.AuthenticationError):
        anthropic.Anthropic(base_url=served.url, api_key="nope", max_retries=0).messages.create(
            model="archibald/auto", max_tokens=10, messages=[{"role": "user", "content": "x"}])
    assert httpx.get(served.url + "/metrics").status_code == 401


def test_malformed_and_oversized_bodies(served: Served) -> None:
    key = _key(served)
    headers = {"authorization": f"Bearer {key}", "content-type": "application/json"}
    bad = httpx.post(served.url + "/v1/chat/completions", content=b"{nope", headers=headers)
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_json"
    bad = httpx.post(served.url + "/v1/messages", content=b"[1]", headers=headers)
    assert bad.status_code == 400 and bad.json()["type"] == "error"
    big = httpx.post(served.url + "/v1/chat/completions", headers=headers,
                     content=b'{"x": "' + b"a" * (5 * 1024 * 1024) + b'"}')
    assert big.status_code == 413


def test_a_keys_budget_is_never_overshot_by_concurrent_requests(served: Served,
                                                                deepseek_stub) -> None:
    """Each request's maximum is far over its cost: the reservations, made in one transaction
    with the key's budget, refuse what would not fit; the ledger equals the headers."""
    # a provider bills no more prompt tokens than the prompt has, nor more than max_tokens
    deepseek_stub.usage = {"prompt_tokens": 12, "completion_tokens": 40, "total_tokens": 52}
    deepseek_stub.reasoning_tokens = 0
    key = _key(served, budget_usd=0.001)
    client = _client(served, key)

    def call(_: int) -> tuple[int, float, str]:
        try:
            raw = client.chat.completions.with_raw_response.create(
                model="archibald/auto", max_tokens=2000,
                messages=[{"role": "user", "content": "Reword: calm water"}])
            return 200, float(raw.headers["x-archibald-cost-usd"]), ""
        except openai.RateLimitError as exc:
            return 429, 0.0, str(exc)

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(call, range(48)))
    ok = [r for r in results if r[0] == 200]
    refused = [r for r in results if r[0] == 429]
    served.settled()
    assert ok and refused and len(ok) + len(refused) == 48
    assert all("budget" in r[2] and "key" in r[2] for r in refused)
    name = next(k.name for k in served.gateway.keys.all())
    spent = served.gateway.memory.spent_nano(channel=channel_of(name))
    assert spent <= 0.001 * NANO
    assert abs(spent / NANO - sum(r[1] for r in ok)) < 1e-9


def test_openai_sdk_embeddings_are_reserved_priced_and_recorded(served: Served,
                                                                openai_stub) -> None:
    client = _client(served, _key(served, budget_usd=1.0))
    raw = client.embeddings.with_raw_response.create(model="archibald/auto",
                                                     input=["calm water", "quiet hills now"])
    result = raw.parse()
    assert isinstance(result, openai.types.CreateEmbeddingResponse)
    assert len(result.data) == 2 and result.usage.prompt_tokens == 5
    cost = float(raw.headers["x-archibald-cost-usd"])
    assert abs(cost - 5 * 2e-08) < 1e-12  # text-embedding-3-small, public price
    name = next(k.name for k in served.gateway.keys.all())
    assert abs(served.gateway.memory.spent_nano(channel=channel_of(name)) / NANO - cost) < 1e-12


def test_feedback_on_an_answer_is_a_persons_verdict_the_router_learns_from(
        served: Served, deepseek_stub) -> None:
    key = _key(served)
    raw = _client(served, key).chat.completions.with_raw_response.create(
        model="archibald/auto", messages=[{"role": "user", "content": "Reword: calm sea"}])
    answer_id = raw.parse().id
    served.settled()
    name = next(k.name for k in served.gateway.keys.all())
    stats = served.gateway.memory.route_stats("chat_simple", channel_of(name))["budget"]
    assert stats.evidence_n == 1 and stats.mean_quality == 1.0  # the route-blind check
    headers = {"authorization": f"Bearer {key}"}
    down = httpx.post(served.url + "/v1/feedback", headers=headers,
                      json={"response_id": answer_id, "rating": "down", "comment": "wrong"})
    assert down.status_code == 200, down.text
    assert down.json()["evidence"] == "human" and down.json()["route"] == "budget"
    stats = served.gateway.memory.route_stats("chat_simple", channel_of(name))["budget"]
    assert stats.evidence_n == 1 and stats.mean_quality == 0.0 and stats.n == 1
    [row] = [a for a in served.gateway.memory.attempts_of_run(
        raw.headers["x-archibald-response-id"]) if a.purpose == "production"]
    assert (row.quality, row.evidence) == (0.0, "human")
    # a score replaces the thumbs; another key cannot judge this answer; bad bodies are 400
    again = httpx.post(served.url + "/v1/feedback", headers=headers,
                       json={"response_id": raw.headers["x-archibald-response-id"],
                             "score": 0.8})
    assert again.status_code == 200
    stats = served.gateway.memory.route_stats("chat_simple", channel_of(name))["budget"]
    assert stats.evidence_n == 1 and abs((stats.mean_quality or 0) - 0.8) < 1e-9
    other = httpx.post(served.url + "/v1/feedback", json={"response_id": answer_id,
                                                          "rating": "up"},
                       headers={"authorization": f"Bearer {_key(served)}"})
    assert other.status_code == 404 and other.json()["error"]["code"] == "response_not_found"
    for body in ({"response_id": answer_id}, {"response_id": answer_id, "score": 2},
                 {"response_id": answer_id, "rating": "meh"}, {"rating": "up"}):
        bad = httpx.post(served.url + "/v1/feedback", headers=headers, json=body)
        assert bad.status_code == 400, body
    assert served.gateway.memory.remembered("feedback")[-1]["score"] == 0.8


def test_metrics_tell_requests_cost_baseline_routes_and_budget_left(served: Served,
                                                                    deepseek_stub) -> None:
    key = _key(served, budget_usd=1.0)
    raw = _client(served, key).chat.completions.with_raw_response.create(
        model="archibald/auto", messages=[{"role": "user", "content": "Reword: calm sea"}])
    cost = float(raw.headers["x-archibald-cost-usd"])
    baseline = float(raw.headers["x-archibald-baseline-usd"])
    name = next(k.name for k in served.gateway.keys.all())
    text = httpx.get(served.url + "/metrics", headers={"authorization": f"Bearer {key}"}).text

    def value(line_start: str) -> float:
        return float(next(line for line in text.splitlines()
                          if line.startswith(line_start)).rsplit(" ", 1)[1])

    assert value('archibald_gateway_requests_total{api="openai",route="budget",'
                 'status="200"}') == 1
    assert value(f'archibald_gateway_cost_usd_total{{key="{name}"}}') == pytest.approx(cost)
    assert value(f'archibald_gateway_baseline_usd_total{{key="{name}"}}') == pytest.approx(
        baseline)
    assert value('archibald_gateway_routes_total{route="budget",task_type="chat_simple"}') == 1
    assert value(f'archibald_gateway_budget_left_usd{{key="{name}"}}') == pytest.approx(
        1.0 - cost)
    assert deepseek_stub.api_key not in text and key not in text
    # the gateway's own time (its latency less the wait on the provider), as LiteLLM's
    # x-litellm-overhead-duration-ms: in a header and in a histogram
    own = float(raw.headers["x-archibald-overhead-ms"]) / 1000
    total = value('archibald_gateway_request_seconds_sum{api="openai"}')
    assert 0 < own < total
    assert value('archibald_gateway_overhead_seconds_count{api="openai"}') == 1
    assert value('archibald_gateway_overhead_seconds_sum{api="openai"}') == pytest.approx(own,
                                                                                          abs=1e-5)


@pytest.mark.parametrize("shared", [False, True])
def test_a_keys_requests_per_minute(served: Served, deepseek_stub, shared: bool,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Counted by the process, or (several workers) in the store, where every worker adds
    to one count atomically."""
    from archibald.serve.gateway.keys import Keys

    keys = Keys(served.gateway.memory, shared=shared)
    monkeypatch.setattr(served.gateway, "keys", keys)
    monkeypatch.setattr(time, "time", lambda: 6_000_030.0)  # one minute for the whole test
    secret = keys.create(f"rpm{int(shared)}", rpm=3)
    client = _client(served, secret)
    codes = []
    for _ in range(5):
        try:
            client.chat.completions.create(model="archibald/auto",
                                           messages=[{"role": "user", "content": "hi"}])
            codes.append(200)
        except openai.RateLimitError as exc:
            codes.append(429)
            assert "requests per minute" in str(exc)
    assert codes == [200, 200, 200, 429, 429]
