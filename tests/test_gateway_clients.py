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
