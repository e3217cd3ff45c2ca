"""A model's reasoning through the gateway: Anthropic's ``thinking`` asked by the anthropic SDK
reaches Claude as it was sent (and DeepSeek as its own switch, another model as the
reasoning_effort of its budget); the answer's thinking comes back as Claude's signed blocks
(streamed as thinking_delta and signature_delta), the blocks passed back on the next turn
reach Claude intact (and no other provider); an OpenAI client reads DeepSeek's reasoning as
``reasoning_content``. Nothing asked, nothing added."""

from __future__ import annotations

from typing import Any

import anthropic
import openai
import pytest

from archibald.core.tasks import Task
from archibald.providers.backends.llm import effort_for
from stubs.fixtures import anthropic_stub, deepseek_stub, provider_env  # noqa: F401
from test_gateway import Served, _key, served  # noqa: F401 - the gateway on loopback

THINK = {"type": "enabled", "budget_tokens": 2048}


def _claude(served: Served) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=served.url, api_key=_key(served), max_retries=0)


def test_claude_thinks_when_asked_and_its_signed_block_comes_back(
        served: Served, anthropic_stub: Any) -> None:
    message = _claude(served).messages.create(
        model="archibald/auto:best", max_tokens=4000, thinking=THINK,  # type: ignore[arg-type]
        messages=[{"role": "user", "content": "Plan a calm evening in three steps"}])
    sent = anthropic_stub.requests_to("/v1/messages")[-1].json()
    assert sent["thinking"] == THINK  # as the app sent it, budget and all
    first, text = message.content
    assert isinstance(first, anthropic.types.ThinkingBlock)
    assert first.thinking == anthropic_stub.THOUGHT and first.signature.startswith("stub-sig-")
    assert isinstance(text, anthropic.types.TextBlock) and text.text == anthropic_stub.reply_text

    plain = _claude(served).messages.create(
        model="archibald/auto:best", max_tokens=400,
        messages=[{"role": "user", "content": "Plan a calm evening in three steps"}])
    assert [b.type for b in plain.content] == ["text"]
    assert "thinking" not in anthropic_stub.requests_to("/v1/messages")[-1].json()


def test_claude_thinking_streamed_with_its_signature(served: Served, anthropic_stub: Any) -> None:
    with _claude(served).messages.stream(
            model="archibald/auto:best", max_tokens=4000, thinking=THINK,  # type: ignore[arg-type]
            messages=[{"role": "user", "content": "Name a quiet colour"}]) as stream:
        kinds = [e.type for e in stream]
        final = stream.get_final_message()
    assert "thinking" in kinds and "signature" in kinds and "text" in kinds
    thought, text = final.content
    assert isinstance(thought, anthropic.types.ThinkingBlock)
    assert thought.thinking == anthropic_stub.THOUGHT and thought.signature.startswith("stub-sig")
    assert isinstance(text, anthropic.types.TextBlock) and text.text == anthropic_stub.reply_text


def test_thinking_blocks_passed_back_reach_claude_intact(served: Served,
                                                          anthropic_stub: Any) -> None:
    turn = [{"type": "thinking", "thinking": "I should look the weather up.",
             "signature": "sig-from-claude-0001"},
            {"type": "tool_use", "id": "toolu_01", "name": "weather",
             "input": {"city": "Oslo"}}]
    _claude(served).messages.create(
        model="archibald/auto:best", max_tokens=4000, thinking=THINK,  # type: ignore[arg-type]
        tools=[{"name": "weather", "description": "The weather in a city",
                "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}}],
        messages=[{"role": "user", "content": "Is it raining in Oslo?"},
                  {"role": "assistant", "content": turn},  # type: ignore[typeddict-item]
                  {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_01",
                                                "content": "light rain"}]}])
    sent = anthropic_stub.requests_to("/v1/messages")[-1].json()
    assistant = next(m for m in sent["messages"] if m["role"] == "assistant")
    assert assistant["content"][0] == turn[0]  # first, as Claude requires, signature intact
    assert any(b.get("type") == "tool_use" for b in assistant["content"])


def test_deepseek_reasoning_as_thinking_and_as_reasoning_content(
        served: Served, deepseek_stub: Any) -> None:
    key = _key(served)
    message = anthropic.Anthropic(base_url=served.url, api_key=key, max_retries=0).messages.create(
        model="archibald/auto:cheap", max_tokens=4000, thinking=THINK,  # type: ignore[arg-type]
        messages=[{"role": "user", "content": "Name a quiet colour"}])
    sent = deepseek_stub.requests_to("/chat/completions")[-1].json()
    assert sent["thinking"] == {"type": "enabled"} and "thinking_blocks" not in str(sent)
    thought = message.content[0]
    assert isinstance(thought, anthropic.types.ThinkingBlock) and thought.thinking
    assert thought.signature == ""  # DeepSeek signs nothing; nothing is made up

    client = openai.OpenAI(base_url=served.url + "/v1", api_key=key, max_retries=0)
    completion = client.chat.completions.create(
        model="archibald/auto:cheap", reasoning_effort="medium",
        messages=[{"role": "user", "content": "Name a quiet colour"}])
    assert getattr(completion.choices[0].message, "reasoning_content", "") == thought.thinking
    chunks = list(client.chat.completions.create(
        model="archibald/auto:cheap", reasoning_effort="medium", stream=True,
        messages=[{"role": "user", "content": "Name a quiet colour"}]))
    said = "".join(getattr(c.choices[0].delta, "reasoning_content", None) or ""
                   for c in chunks if c.choices)
    assert said == thought.thinking
    quiet = client.chat.completions.create(  # no reasoning asked: DeepSeek's thinking off
        model="archibald/auto:cheap", messages=[{"role": "user", "content": "Name a colour"}])
    assert not getattr(quiet.choices[0].message, "reasoning_content", None)
    assert deepseek_stub.requests_to("/chat/completions")[-1].json()["thinking"] == {
        "type": "disabled"}


@pytest.mark.parametrize("thinking,max_tokens,says", [
    ({"type": "enabled", "budget_tokens": 500}, 4000, "budget_tokens"),
    ({"type": "enabled", "budget_tokens": 4000}, 4000, "max_tokens"),
    ({"type": "sometimes"}, 4000, "thinking.type"),
])
def test_a_thinking_config_anthropic_would_refuse_is_a_400(
        served: Served, thinking: dict[str, Any], max_tokens: int, says: str) -> None:
    with pytest.raises(anthropic.BadRequestError) as raised:
        _claude(served).messages.create(
            model="archibald/auto:best", max_tokens=max_tokens,
            thinking=thinking,  # type: ignore[arg-type]
            messages=[{"role": "user", "content": "hi"}])
    assert says in str(raised.value)


def test_another_model_is_asked_the_effort_of_the_budget() -> None:
    from archibald.providers.backends.llm import ChatBackend

    assert [effort_for(b) for b in (1024, 2000, 2048, 3000, 32000)] == [
        "low", "medium", "medium", "high", "high"]
    task = Task("chat", {"thinking": True, "reasoning_budget": 3000, "max_tokens": 500})
    backend = ChatBackend.__new__(ChatBackend)
    backend.provider = type("P", (), {"name": "openai"})()  # type: ignore[assignment]
    assert backend._reasoning(task, 500) == ({"reasoning_effort": "high"}, 500)
    backend.provider = type("P", (), {"name": "anthropic"})()  # type: ignore[assignment]
    asked, most = backend._reasoning(task, 500)
    assert asked == {"thinking": {"type": "enabled", "budget_tokens": 3000}} and most > 3000


def test_responses_api_reasoning_item_whole_and_streamed(served: Served,
                                                          deepseek_stub: Any) -> None:
    client = openai.OpenAI(base_url=served.url + "/v1", api_key=_key(served), max_retries=0)
    response = client.responses.create(model="archibald/auto:cheap",
                                       reasoning={"effort": "medium"}, input="Name a colour")
    thought, said = response.output
    assert isinstance(thought, openai.types.responses.ResponseReasoningItem)
    assert thought.content and thought.content[0].text and thought.status == "completed"
    assert isinstance(said, openai.types.responses.ResponseOutputMessage)
    assert response.usage is not None
    assert response.usage.output_tokens_details.reasoning_tokens == deepseek_stub.reasoning_tokens
    assert response.output_text == deepseek_stub.reply_text

    events = list(client.responses.create(model="archibald/auto:cheap", stream=True,
                                          reasoning={"effort": "medium"}, input="Name a colour"))
    assert [e.sequence_number for e in events] == list(range(len(events)))
    deltas = "".join(e.delta for e in events if e.type == "response.reasoning_text.delta")
    assert deltas == thought.content[0].text
    final = events[-1]
    assert final.type == "response.completed"
    kinds = [item.type for item in final.response.output]
    assert kinds == ["reasoning", "message"]
    plain = client.responses.create(model="archibald/auto:cheap", input="Name a colour")
    assert [item.type for item in plain.output] == ["message"]


def test_chat_usage_says_the_reasoning_tokens(served: Served, deepseek_stub: Any) -> None:
    client = openai.OpenAI(base_url=served.url + "/v1", api_key=_key(served), max_retries=0)
    completion = client.chat.completions.create(
        model="archibald/auto:cheap", reasoning_effort="high",
        messages=[{"role": "user", "content": "Name a quiet colour"}])
    assert completion.usage is not None and completion.usage.completion_tokens_details
    assert completion.usage.completion_tokens_details.reasoning_tokens == \
        deepseek_stub.reasoning_tokens


def test_reasoning_events_are_strictly_the_sdks_types(served: Served, deepseek_stub: Any) -> None:
    import json

    import httpx
    from openai.types.responses import Response, ResponseStreamEvent
    from pydantic import TypeAdapter

    adapter: TypeAdapter[Any] = TypeAdapter(ResponseStreamEvent)
    headers = {"authorization": f"Bearer {_key(served)}"}
    asked = {"model": "archibald/auto:cheap", "input": "A haiku",
             "reasoning": {"effort": "low"}}
    whole = httpx.post(served.url + "/v1/responses", json=asked, headers=headers, timeout=60)
    assert Response.model_validate(whole.json()).output[0].type == "reasoning"
    for checked in ("", "checked"):  # the provider's stream as it comes, and a checked one
        with httpx.stream("POST", served.url + "/v1/responses", timeout=60,
                          headers={**headers, "x-archibald-stream": checked},
                          json={**asked, "stream": True}) as response:
            events = [json.loads(line[6:]) for line in response.iter_lines()
                      if line.startswith("data: ")]
        for event in events:
            adapter.validate_python(event)
        kinds = [e["type"] for e in events]
        assert kinds.index("response.reasoning_text.done") < kinds.index(
            "response.output_text.delta") or "response.output_text.delta" not in kinds
        assert [i["type"] for i in events[-1]["response"]["output"]] == ["reasoning",
                                                                           "message"]


def test_claudes_beta_features_reach_claude_and_no_one_else(
        served: Served, anthropic_stub: Any, deepseek_stub: Any) -> None:
    """Claude Code sends ``anthropic-beta`` (a gateway must forward it, Claude Code's gateway
    requirements say): it reaches Claude as the app sent it, never another provider."""
    client = _claude(served)
    asked = "interleaved-thinking-2025-05-14, context-1m-2025-08-07"
    client.messages.create(model="archibald/auto:best", max_tokens=300,
                           extra_headers={"anthropic-beta": asked},
                           messages=[{"role": "user", "content": "Write a haiku"}])
    sent = anthropic_stub.requests_to("/v1/messages")[-1].headers.get("anthropic-beta", "")
    assert {"interleaved-thinking-2025-05-14", "context-1m-2025-08-07"} <= {
        b.strip() for b in sent.split(",")}
    client.messages.create(model="archibald/auto:cheap", max_tokens=300,
                           extra_headers={"anthropic-beta": asked},
                           messages=[{"role": "user", "content": "Say hello"}])
    assert "anthropic-beta" not in deepseek_stub.requests_to("/chat/completions")[-1].headers
    with pytest.raises(anthropic.BadRequestError) as raised:
        client.messages.create(model="archibald/auto:best", max_tokens=300,
                               extra_headers={"anthropic-beta": "bad beta\u00e9"},
                               messages=[{"role": "user", "content": "hi"}])
    assert "anthropic-beta" in str(raised.value)
