"""Streams through the gateway are the provider's own, piece by piece (issue 22): driven by the
official SDKs, every event checked against the SDKs' types (closed schemas), the call settled
from the usage the provider reported at the end of its stream, also when the client hangs up
half-way."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

import anthropic
import httpx
import openai
import pytest

from archibald.config import load_settings
from archibald.serve.app import create_app
from archibald.serve.gateway.keys import channel_of
from archibald.store.ledger import NANO
from stubs.fixtures import anthropic_stub, deepseek_stub, provider_env  # noqa: F401
from stubs.openai_compat import openai_stream_schemas
from stubs.spec import sdk_schema, violations
from test_gateway import Served, _client, _key


@pytest.fixture()
def served(anthropic_stub, deepseek_stub, provider_env) -> Iterator[Served]:  # noqa: F811
    settings = load_settings(None, {"quality": {"judge_model": ""}})
    s = Served(create_app(settings))
    try:
        yield s
    finally:
        s.stop()


@lru_cache(maxsize=1)
def anthropic_event_schema() -> dict[str, Any]:
    from anthropic.types import RawMessageStreamEvent

    return sdk_schema(RawMessageStreamEvent)


def _sse(text: str) -> list[tuple[str | None, str]]:
    """(event name, data) of each event of a server-sent event stream; comments skipped."""
    out, name = [], None
    for line in text.splitlines():
        if line.startswith("event: "):
            name = line[7:]
        elif line.startswith("data: "):
            out.append((name, line[6:]))
            name = None
    return out


def _rows(served: Served, key_name: str) -> list[Any]:
    from sqlalchemy import select

    from archibald.store.migrations import attempts

    with served.gateway.memory.engine.connect() as conn:
        return list(conn.execute(select(attempts).where(
            attempts.c.channel == channel_of(key_name))).mappings())


def _name(served: Served) -> str:
    return sorted(served.gateway.keys.all(), key=lambda k: k.created_at)[-1].name


def test_openai_stream_is_the_providers_own_and_settles_from_its_final_usage(
        served: Served, deepseek_stub: Any) -> None:
    deepseek_stub.reply_text = "one two three four five six seven eight"
    deepseek_stub.usage = {"prompt_tokens": 21, "completion_tokens": 9, "total_tokens": 30}
    deepseek_stub.reasoning_tokens = 0
    key = _key(served)
    raw = httpx.post(served.url + "/v1/chat/completions", timeout=30,
                     headers={"authorization": f"Bearer {key}"},
                     json={"model": "archibald/auto", "stream": True,
                           "stream_options": {"include_usage": True},
                           "messages": [{"role": "user", "content": "Count to eight"}]})
    assert raw.status_code == 200 and raw.headers["x-archibald-route"] == "budget"
    events = _sse(raw.text)
    assert events[-1][1] == "[DONE]"
    chunks = [json.loads(d) for _, d in events[:-1]]
    schema = openai_stream_schemas()[1]
    for chunk in chunks:
        assert not violations(schema, chunk), chunk
    words = [c["choices"][0]["delta"]["content"] for c in chunks
             if c["choices"] and c["choices"][0]["delta"].get("content")]
    assert len(words) == 8 and "".join(words) == deepseek_stub.reply_text  # piece by piece
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["prompt_tokens"] == 21
    sent = deepseek_stub.requests_to("/chat/completions")[-1].json()
    assert sent["stream"] is True and sent["stream_options"] == {"include_usage": True}
    [row] = _rows(served, _name(served))
    assert row["status"] == "settled" and json.loads(row["usage"])["input_tokens"] == 21
    # the money comes last, in a comment the SDKs skip
    comment = next(line for line in raw.text.splitlines() if line.startswith(": "))
    cost = float(comment.split("x-archibald-cost-usd=")[1].split(";")[0])
    assert cost > 0 and abs(cost - row["cost_nano"] / NANO) < 1e-12


def test_openai_sdk_streams_tool_calls(served: Served, deepseek_stub: Any) -> None:
    deepseek_stub.tool_arguments = {"city": "Oslo", "days": 3}
    tools = [{"type": "function", "function": {"name": "weather", "parameters": {
        "type": "object", "properties": {"city": {"type": "string"}}}}}]
    chunks = list(_client(served, _key(served)).chat.completions.create(
        model="archibald/auto", stream=True, tools=tools,  # type: ignore[arg-type]
        messages=[{"role": "user", "content": "Weather in Oslo?"}]))
    calls = [tc for c in chunks if c.choices for tc in c.choices[0].delta.tool_calls or []]
    assert calls[0].id and calls[0].function and calls[0].function.name == "weather"
    args = "".join(tc.function.arguments or "" for tc in calls if tc.function)
    assert json.loads(args) == {"city": "Oslo", "days": 3} and len(calls) >= 2
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "tool_calls"


def test_anthropic_events_come_in_anthropics_order_and_shapes(served: Served,
                                                              anthropic_stub: Any) -> None:
    anthropic_stub.reply_text = "calm water under the bridge"
    anthropic_stub.usage = {"input_tokens": 14, "output_tokens": 6,
                            "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}
    key = _key(served)
    raw = httpx.post(served.url + "/v1/messages", timeout=30, headers={"x-api-key": key},
                     json={"model": "archibald/auto:best", "max_tokens": 200, "stream": True,
                           "messages": [{"role": "user", "content": "Say something calm"}]})
    assert raw.status_code == 200 and raw.headers["x-archibald-route"] == "premium"
    events = _sse(raw.text)
    names = [n for n, _ in events]
    assert names[:3] == ["message_start", "content_block_start", "ping"]
    assert names[-3:] == ["content_block_stop", "message_delta", "message_stop"]
    assert set(names[3:-3]) == {"content_block_delta"} and len(names[3:-3]) == 5
    for name, data in events:  # ping is no event type of the SDK's union: it skips pings
        payload = json.loads(data)
        assert payload["type"] == name
        assert payload == {"type": "ping"} if name == "ping" else \
            not violations(anthropic_event_schema(), payload)
    delta = json.loads(events[-2][1])
    assert delta["usage"] == {"input_tokens": 14, "output_tokens": 6}
    # the SDK puts the same stream together
    client = anthropic.Anthropic(base_url=served.url, api_key=key, max_retries=0)
    with client.messages.stream(model="archibald/auto:best", max_tokens=200,
                                messages=[{"role": "user", "content": "Again"}]) as s:
        text = "".join(s.text_stream)
        final = s.get_final_message()
    assert text == anthropic_stub.reply_text and final.usage.output_tokens == 6
    assert final.stop_reason == "end_turn"


def test_a_client_that_hangs_up_mid_stream_still_has_the_billed_tokens_settled(
        served: Served, deepseek_stub: Any) -> None:
    deepseek_stub.reply_text = " ".join(f"w{i}" for i in range(40))
    deepseek_stub.usage = {"prompt_tokens": 15, "completion_tokens": 40, "total_tokens": 55}
    deepseek_stub.reasoning_tokens = 0
    deepseek_stub.stream_delay = 0.03
    key = _key(served)
    with httpx.stream("POST", served.url + "/v1/chat/completions", timeout=30,
                      headers={"authorization": f"Bearer {key}"},
                      json={"model": "archibald/auto", "stream": True,
                            "messages": [{"role": "user", "content": "Say forty words"}]}) as r:
        for line in r.iter_lines():
            if '"content": "w1' in line or '"content": " w1' in line:
                break  # the client leaves after a couple of words
    name = _name(served)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and (served.gateway.inflight or any(
            row["status"] != "settled" for row in _rows(served, name))):
        time.sleep(0.05)
    [row] = _rows(served, name)
    assert row["status"] == "settled" and row["success"]
    assert json.loads(row["usage"])["output_tokens"] == 40  # what the provider billed
    assert row["cost_nano"] > 0
    assert deepseek_stub.hung_up == [] and len(deepseek_stub.served) == 1  # read to its end


def test_a_stream_that_fails_before_its_first_piece_falls_back(served: Served,
                                                              deepseek_stub: Any,
                                                              anthropic_stub: Any) -> None:
    deepseek_stub.insufficient_balance()  # a 402: never retried, the next route answers
    chunks = []
    with _client(served, _key(served)).chat.completions.with_streaming_response.create(
            model="archibald/auto", stream=True,
            messages=[{"role": "user", "content": "Say hello"}]) as response:
        assert response.headers["x-archibald-route"] == "premium"
        chunks = list(response.parse())
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == anthropic_stub.reply_text
    rows = _rows(served, _name(served))
    assert [(r["route"], r["success"]) for r in rows] == [("budget", False), ("premium", True)]


def test_a_budget_refusal_of_a_stream_is_an_http_429_before_any_event(
        served: Served) -> None:
    client = _client(served, _key(served, budget_usd=0.000001))
    with pytest.raises(openai.RateLimitError) as raised:
        list(client.chat.completions.create(model="archibald/auto", stream=True,
                                            messages=[{"role": "user", "content": "hi"}]))
    assert "budget" in str(raised.value) and "key" in str(raised.value)


def test_a_stream_that_breaks_off_says_why_as_its_502_would() -> None:
    """The error event names each route tried and why, not the router's task type."""
    from archibald.errors import BackendError, RoutesFailed
    from archibald.serve.gateway.wire import broke_off, upstream_failed

    failed = RoutesFailed("chat_simple", [("budget", "deepseek broke off its stream: reset"),
                                          ("premium", "anthropic answered HTTP 500")])
    said = broke_off(failed)
    assert said == "the answer broke off: " + upstream_failed(failed).message
    assert "chat_simple" not in said and "premium: anthropic answered HTTP 500" in said
    assert broke_off(BackendError("deepseek broke off its stream: reset")) == \
        "the answer broke off: deepseek broke off its stream: reset"
