"""The chat paths (LiteLLM to Anthropic, OpenAI, DeepSeek, Ollama) and their stubs against the
``anthropic`` and ``openai`` SDKs' own types; DeepSeek's additions are its documented
``thinking`` switch and ``reasoning_content`` (api-docs.deepseek.com/guides/thinking_mode)."""

from __future__ import annotations

import asyncio

import pytest
from anthropic.types import ErrorResponse, Message

from archibald.providers.backends.http import RetryPolicy
from archibald.providers.backends.llm import ChatBackend
from archibald.core.prices import PriceBook
from archibald.providers.registry import ProviderSettings
from archibald.core.tasks import Context, Task
from stubs.anthropic import error_body, request_schema
from stubs.fixtures import (anthropic_stub, deepseek_stub, ollama_stub, openai_stub,  # noqa: F401
                            provider_env, sleeps)
from stubs.openai_compat import deepseek_schemas, openai_schemas
from stubs.spec import assert_conforms, sdk_schema, violations

ANTHROPIC_REQUEST = request_schema()
ANTHROPIC_RESPONSE = sdk_schema(Message)
ANTHROPIC_ERROR = sdk_schema(ErrorResponse)
OPENAI_REQUEST, OPENAI_RESPONSE = openai_schemas()
DEEPSEEK_REQUEST, DEEPSEEK_RESPONSE = deepseek_schemas()
TASK = Task("review", {"prompt": "Review this line.", "system": "Be brief.", "max_tokens": 300,
                       "temperature": 0.4})


def chat(provider: str, model: str, sleeps, task: Task = TASK) -> None:  # type: ignore[no-untyped-def]
    b = ChatBackend("budget", model, ProviderSettings.load().get(provider), PriceBook(),
                    retry=RetryPolicy(attempts=1, sleep=sleeps))
    asyncio.run(b.execute(task, Context(workdir=None)))  # type: ignore[arg-type]


def test_anthropic_exchange(anthropic_stub, provider_env, sleeps):
    chat("anthropic", "claude-sonnet-4-6", sleeps)
    [req] = anthropic_stub.requests
    assert_conforms(ANTHROPIC_REQUEST, req.json(), "LiteLLM's /v1/messages body")
    assert_conforms(ANTHROPIC_RESPONSE, anthropic_stub.handle(req).body, "the stub's message")
    assert_conforms(ANTHROPIC_ERROR, error_body("overloaded_error", "Overloaded"),
                    "the stub's error body")


@pytest.mark.parametrize("thinking", [False, True])
def test_deepseek_exchange(deepseek_stub, provider_env, sleeps, thinking):
    task = Task("review", {**TASK.inputs, "thinking": thinking})
    chat("deepseek", "deepseek/deepseek-flash", sleeps, task)
    [req] = deepseek_stub.requests
    assert_conforms(DEEPSEEK_REQUEST, req.json(), "LiteLLM's DeepSeek body")
    assert_conforms(DEEPSEEK_RESPONSE, deepseek_stub.handle(req).body, "the stub's completion")


def test_openai_and_ollama_exchange(openai_stub, ollama_stub, provider_env, sleeps):
    chat("openai", "gpt-4o-mini", sleeps)
    chat("ollama", "ollama_chat/llama3.1", sleeps)
    for stub in (openai_stub, ollama_stub):
        [req] = stub.requests
        assert_conforms(OPENAI_REQUEST, req.json(), f"LiteLLM's {stub.name} body")
        assert_conforms(OPENAI_RESPONSE, stub.handle(req).body, "the stub's completion")


def test_the_schemas_have_teeth() -> None:
    assert violations(ANTHROPIC_REQUEST, {"model": "m", "messages": []})     # max_tokens
    assert violations(OPENAI_REQUEST, {"model": "m", "messages": [],
                                       "thinking": {"type": "disabled"}})    # not OpenAI's
    assert violations(DEEPSEEK_RESPONSE, {"id": "x", "object": "chat.completion",
                                          "created": 1, "model": "m", "choices": [
                                              {"index": 0, "finish_reason": "done",
                                               "message": {"role": "assistant"}}]})


def test_stubs_refuse_what_the_apis_refuse(anthropic_stub, openai_stub, deepseek_stub):
    import httpx

    r = httpx.post(anthropic_stub.url("v1/messages"), json={
        "model": "claude-sonnet-4-6", "max_tokens": 10, "temperature": 0.2,
        "messages": [{"role": "user", "content": "hi"}]},
        headers={"x-api-key": anthropic_stub.api_key, "anthropic-version": "2023-06-01"})
    assert r.status_code == 400 and "temperature" in r.text
    for stub, ok in ((openai_stub, False), (deepseek_stub, True)):
        r = httpx.post(stub.url("v1/chat/completions"), json={
            "model": "m", "messages": [{"role": "user", "content": "hi"}],
            "thinking": {"type": "disabled"}},
            headers={"authorization": f"Bearer {stub.api_key}"})
        assert (r.status_code == 200) is ok, (stub.name, r.text)
