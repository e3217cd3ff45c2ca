"""The gateway with LiteLLM as its client (OpenAI and Anthropic formats, plain and streamed), a
provider that cannot be reached (reported as such, skipped for a cool-down), and provider
keys that an upstream echoes never reaching the app (issue 22)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from archibald.config import load_settings
from archibald.providers.backends.breaker import BREAKER
from archibald.serve.app import create_app
from stubs.fixtures import anthropic_stub, deepseek_stub, provider_env  # noqa: F401
from test_gateway import Served, _key


@pytest.fixture()
def served(anthropic_stub, deepseek_stub, provider_env) -> Iterator[Served]:  # noqa: F811
    BREAKER.reset()
    s = Served(create_app(load_settings(None, {"quality": {"judge_model": ""}})))
    try:
        yield s
    finally:
        s.stop()
        BREAKER.reset()


def test_litellm_as_a_client_in_both_formats(served: Served, deepseek_stub: Any,
                                             anthropic_stub: Any) -> None:
    from archibald.providers.chat_models import import_litellm

    litellm = import_litellm()
    key = _key(served)
    messages = [{"role": "user", "content": "Reword: calm water"}]
    plain = litellm.completion(model="openai/archibald/auto", api_base=served.url + "/v1",
                               api_key=key, messages=messages, max_retries=0)
    assert plain.choices[0].message.content == deepseek_stub.reply_text
    headers = plain._hidden_params["additional_headers"]
    assert headers["llm_provider-x-archibald-route"] == "budget"
    streamed = litellm.completion(model="openai/archibald/auto", api_base=served.url + "/v1",
                                  api_key=key, messages=messages, stream=True, max_retries=0)
    assert "".join(c.choices[0].delta.content or "" for c in streamed) == \
        deepseek_stub.reply_text
    claude = litellm.completion(model="anthropic/archibald/auto:best", api_base=served.url,
                                api_key=key, messages=messages, max_tokens=200, max_retries=0)
    assert claude.choices[0].message.content == anthropic_stub.reply_text
    streamed = litellm.completion(model="anthropic/archibald/auto:best", api_base=served.url,
                                  api_key=key, messages=messages, max_tokens=200, stream=True,
                                  max_retries=0)
    assert "".join(c.choices[0].delta.content or "" for c in streamed) == \
        anthropic_stub.reply_text


def test_an_unreachable_provider_is_said_to_be_so_and_skipped_for_a_while(
        anthropic_stub: Any, deepseek_stub: Any, provider_env: Any,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEEPSEEK_BASE_URL", "http://127.0.0.1:9")  # nothing listens there
    BREAKER.reset()
    served = Served(create_app(load_settings(None, {"quality": {"judge_model": ""}})))
    try:
        key = _key(served)
        headers = {"authorization": f"Bearer {key}"}
        body = {"model": "archibald/auto", "messages": [{"role": "user", "content": "hi"}]}
        first = httpx.post(served.url + "/v1/chat/completions", json=body, headers=headers,
                           timeout=60)
        second = httpx.post(served.url + "/v1/chat/completions", json=body, headers=headers,
                            timeout=60)
        assert [r.headers["x-archibald-route"] for r in (first, second)] == ["premium"] * 2
        rows = [a for r in (first, second) for a in served.gateway.memory.attempts_of_run(
            r.headers["x-archibald-response-id"])]
        failed = [a for a in rows if a.route == "budget"]
        assert len(failed) == 1  # the second request did not ask it again
        assert "unreachable" in (failed[0].error or "")
        assert "HTTP 500" not in (failed[0].error or "")
        assert failed[0].cost_nano == 0
    finally:
        served.stop()
        BREAKER.reset()


def test_provider_keys_never_reach_the_app(served: Served, deepseek_stub: Any,
                                          anthropic_stub: Any) -> None:
    echo = {"error": {"message": f"Incorrect API key provided: {deepseek_stub.api_key}",
                      "type": "invalid_request_error", "param": None, "code": "invalid_api_key"}}
    deepseek_stub.fail(401, echo)
    anthropic_stub.fail(401, {"type": "error", "error": {
        "type": "authentication_error", "message": f"invalid x-api-key {anthropic_stub.api_key}"}})
    key = _key(served)
    r = httpx.post(served.url + "/v1/chat/completions", headers={"authorization": f"Bearer {key}"},
                   json={"model": "archibald/auto",
                         "messages": [{"role": "user", "content": "hi"}]}, timeout=60)
    assert r.status_code == 502 and r.json()["error"]["code"] == "upstream_failed"
    metrics = httpx.get(served.url + "/metrics", headers={"authorization": f"Bearer {key}"})
    from sqlalchemy import select

    from archibald.store.migrations import attempts

    with served.gateway.memory.engine.connect() as conn:
        errors = [e or "" for e in conn.execute(select(attempts.c.error)).scalars()]
    assert len(errors) == 2 and all("401" in e for e in errors)
    for secret in (deepseek_stub.api_key, anthropic_stub.api_key):
        assert secret not in r.text and secret not in metrics.text
        assert all(secret not in e for e in errors)


def test_a_502_says_once_which_route_failed_and_why(
        anthropic_stub: Any, deepseek_stub: Any, provider_env: Any,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEEPSEEK_BASE_URL", "http://127.0.0.1:9")  # nothing listens there
    anthropic_stub.fail(500, {"type": "error", "error": {"type": "api_error",
                                                         "message": "boom"}}, times=10)
    BREAKER.reset()
    served = Served(create_app(load_settings(None, {"quality": {"judge_model": ""}})))
    try:
        headers = {"authorization": f"Bearer {_key(served)}"}
        ask = {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 50}
        openai = httpx.post(served.url + "/v1/chat/completions", headers=headers, timeout=60,
                            json={"model": "archibald/auto", **ask})
        anthropic = httpx.post(served.url + "/v1/messages", headers=headers, timeout=60,
                               json={"model": "archibald/auto", **ask})
        assert openai.status_code == anthropic.status_code == 502
        error = openai.json()["error"]
        assert (error["type"], error["code"]) == ("api_error", "upstream_failed")
        assert anthropic.json()["type"] == "error"
        assert anthropic.json()["error"]["type"] == "api_error"
        for message in (error["message"], anthropic.json()["error"]["message"]):
            assert message.startswith("every route failed: budget: deepseek unreachable at ")
            assert message.count("every route failed") == 1
            assert message.endswith("; premium: anthropic answered HTTP 500: boom")
            assert "ProviderOverloaded" not in message and " | " not in message
            assert "\n" not in message
        # the second request found deepseek cooling down: it says so, in the same line
        assert "so skipped for" in anthropic.json()["error"]["message"]
    finally:
        served.stop()
        BREAKER.reset()


def test_the_502_of_each_kind_of_delegation_error() -> None:
    from archibald.errors import NonRetryable, RoutesFailed, RouteUnavailable
    from archibald.serve.gateway.wire import upstream_failed

    failed = RoutesFailed("chat", [("budget", "deepseek unreachable at http://x (refused)"),
                                   ("premium", "anthropic answered HTTP 500: boom")])
    assert str(failed) == ("chat: every route failed: budget: deepseek unreachable at "
                           "http://x (refused); premium: anthropic answered HTTP 500: boom")
    err = upstream_failed(failed)
    assert (err.status, err.kind, err.code) == (502, "api_error", "upstream_failed")
    assert err.message == ("every route failed: budget: deepseek unreachable at http://x "
                           "(refused); premium: anthropic answered HTTP 500: boom")
    assert upstream_failed(RouteUnavailable("chat: no route can run here: budget: no key")) \
        .message == "chat: no route can run here: budget: no key"
    assert upstream_failed(NonRetryable("openai answered HTTP 401: bad key")).message == \
        "every route failed: openai answered HTTP 401: bad key"


def test_why_a_route_failed_reads_as_a_sentence() -> None:
    from archibald.errors import BackendTimeout, why_failed

    assert why_failed(BackendTimeout("deepseek did not answer in time")) == \
        "deepseek did not answer in time"
    assert why_failed(KeyError("choices")) == "KeyError: 'choices'"  # a bug keeps its type
    assert why_failed(BackendTimeout()) == "BackendTimeout"
