"""The chat paths (LiteLLM to Anthropic, OpenAI, DeepSeek, Ollama) and their stubs against the
``anthropic`` and ``openai`` SDKs' own types; DeepSeek's additions are its documented
``thinking`` switch and ``reasoning_content`` (api-docs.deepseek.com/guides/thinking_mode)."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

import pytest
from anthropic.types import ErrorResponse, Message
from anthropic.types.message_create_params import MessageCreateParamsNonStreaming
from openai.types.chat import ChatCompletion
from openai.types.chat.completion_create_params import CompletionCreateParamsNonStreaming

from archibald.backends.http import RetryPolicy
from archibald.backends.llm import ChatBackend
from archibald.prices import PriceBook
from archibald.providers import ProviderSettings
from archibald.tasks import Context, Task
from stubs.anthropic import error_body
from stubs.fixtures import (anthropic_stub, deepseek_stub, ollama_stub, openai_stub,  # noqa: F401
                            provider_env, sleeps)
from stubs.spec import assert_conforms, sdk_schema, violations

ANTHROPIC_REQUEST = sdk_schema(MessageCreateParamsNonStreaming)
ANTHROPIC_RESPONSE = sdk_schema(Message)
ANTHROPIC_ERROR = sdk_schema(ErrorResponse)
OPENAI_REQUEST = sdk_schema(CompletionCreateParamsNonStreaming)
OPENAI_RESPONSE = sdk_schema(ChatCompletion)


def deepseek_schemas() -> tuple[dict[str, Any], dict[str, Any]]:
    """OpenAI's chat schemas plus DeepSeek's thinking switch and reasoning_content."""
    request, response = copy.deepcopy(OPENAI_REQUEST), copy.deepcopy(OPENAI_RESPONSE)
    request["properties"]["thinking"] = {
        "type": "object", "required": ["type"], "additionalProperties": False,
        "properties": {"type": {"enum": ["enabled", "disabled"]}}}
    message = response["$defs"]["ChatCompletionMessage"]
    message["properties"]["reasoning_content"] = {"type": ["string", "null"]}
    return request, response


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
