"""OpenAI's Responses API through the gateway (`client.responses`, what the OpenAI Agents SDK
uses): text, instructions, function tools and their outputs, JSON output, plain and streamed;
every body and stream event validated against the `openai` SDK's own types; what needs state
or hosted tools refused in OpenAI's error shape."""

from __future__ import annotations

import json
from typing import Any

import httpx
import openai
import pytest
from openai.types.responses import Response, ResponseStreamEvent
from pydantic import TypeAdapter

from stubs.fixtures import anthropic_stub, deepseek_stub, provider_env  # noqa: F401
from test_gateway import Served, _key, served  # noqa: F401 - the gateway on loopback

TOOLS = [{"type": "function", "name": "tide_at", "description": "High tide at a harbour",
          "parameters": {"type": "object", "properties": {"harbour": {"type": "string"}},
                         "required": ["harbour"]}}]


def _client(served: Served) -> openai.OpenAI:
    return openai.OpenAI(base_url=served.url + "/v1", api_key=_key(served), max_retries=0)


def test_a_plain_response_with_instructions(served: Served, deepseek_stub: Any) -> None:
    raw = _client(served).responses.with_raw_response.create(
        model="archibald/auto:cheap", instructions="Answer in one sentence.",
        input="Name a colour of the evening sky", max_output_tokens=200, temperature=0.4)
    assert raw.headers["x-archibald-route"] == "budget"
    assert float(raw.headers["x-archibald-cost-usd"]) > 0
    Response.model_validate(json.loads(raw.content))  # strictly the SDK's type
    done = raw.parse()
    assert done.output_text == deepseek_stub.reply_text and done.status == "completed"
    assert done.usage is not None and done.usage.input_tokens > 0
    sent = deepseek_stub.requests_to("/chat/completions")[-1].json()
    assert sent["messages"][0] == {"role": "system", "content": "Answer in one sentence."}
    assert sent["messages"][1]["content"] == "Name a colour of the evening sky"
    assert sent["temperature"] == 0.4


def test_a_function_call_and_its_output_round_trip(served: Served, deepseek_stub: Any) -> None:
    deepseek_stub.tool_arguments = {"harbour": "Whitby"}
    client = _client(served)
    first = client.responses.create(model="archibald/auto", input="High tide in Whitby?",
                                    tools=TOOLS)  # type: ignore[arg-type]
    calls = [item for item in first.output if item.type == "function_call"]
    assert len(calls) == 1 and calls[0].name == "tide_at"
    assert json.loads(calls[0].arguments) == {"harbour": "Whitby"}
    deepseek_stub.tool_arguments = None
    second = client.responses.create(model="archibald/auto", tools=TOOLS,  # type: ignore[arg-type]
                                     input=[{"role": "user", "content": "High tide in Whitby?"},
                                            calls[0].model_dump(exclude_none=True),
                                            {"type": "function_call_output",
                                             "call_id": calls[0].call_id,
                                             "output": "06:12 and 18:40"}])
    assert second.output_text == deepseek_stub.reply_text
    sent = deepseek_stub.requests_to("/chat/completions")[-1].json()["messages"]
    assert sent[1]["tool_calls"][0]["id"] == calls[0].call_id
    assert sent[2] == {"role": "tool", "tool_call_id": calls[0].call_id,
                       "content": "06:12 and 18:40"}


def test_json_output_is_asked_of_the_model(served: Served, deepseek_stub: Any) -> None:
    deepseek_stub.reply_text = '{"colour": "violet"}'
    done = _client(served).responses.create(
        model="archibald/auto", input="A colour as JSON",
        text={"format": {"type": "json_schema", "name": "colour", "strict": True,
                         "schema": {"type": "object", "properties": {
                             "colour": {"type": "string"}}, "required": ["colour"],
                             "additionalProperties": False}}})
    assert json.loads(done.output_text) == {"colour": "violet"}
    sent = deepseek_stub.requests_to("/chat/completions")[-1].json()
    assert sent["response_format"]["type"] == "json_schema"
    assert sent["response_format"]["json_schema"]["name"] == "colour"


@pytest.mark.parametrize("model", ["archibald/auto:cheap", "archibald/auto:best"])
def test_a_stream_is_the_sdks_own_events_in_order(served: Served, deepseek_stub: Any,
                                                  anthropic_stub: Any, model: str) -> None:
    adapter: TypeAdapter[Any] = TypeAdapter(ResponseStreamEvent)
    with httpx.stream("POST", served.url + "/v1/responses", timeout=60,
                      headers={"authorization": f"Bearer {_key(served)}"},
                      json={"model": model, "input": "A haiku", "stream": True}) as response:
        assert response.status_code == 200
        events = [json.loads(line[6:]) for line in response.iter_lines()
                  if line.startswith("data: ")]
    for event in events:
        adapter.validate_python(event)  # every event strictly one of the SDK's types
    kinds = [e["type"] for e in events]
    assert kinds[:2] == ["response.created", "response.in_progress"]
    assert kinds[-1] == "response.completed" and "response.output_text.delta" in kinds
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    text = "".join(e["delta"] for e in events if e["type"] == "response.output_text.delta")
    stub = deepseek_stub if model.endswith("cheap") else anthropic_stub
    assert text == stub.reply_text
    assert events[-1]["response"]["output"][0]["content"][0]["text"] == text


def test_the_sdks_stream_helper_gets_the_final_response(served: Served,
                                                        deepseek_stub: Any) -> None:
    deepseek_stub.tool_arguments = {"harbour": "Oban"}
    with _client(served).responses.stream(model="archibald/auto", input="Tide in Oban?",
                                          tools=TOOLS) as stream:  # type: ignore[arg-type]
        final = stream.get_final_response()
    call = next(item for item in final.output if item.type == "function_call")
    assert json.loads(call.arguments) == {"harbour": "Oban"}


@pytest.mark.parametrize("asked,named", [
    ({"previous_response_id": "resp_123"}, "previous_response_id"),
    ({"tools": [{"type": "web_search"}]}, "web_search"),
    ({"input": [{"type": "file_search_call", "id": "x"}]}, "file_search_call"),
    ({"top_logprobs": 2}, "top_logprobs")])
def test_what_needs_state_or_hosted_tools_is_refused(served: Served, deepseek_stub: Any,
                                                     asked: dict[str, Any], named: str) -> None:
    before = len(deepseek_stub.requests)
    with pytest.raises(openai.BadRequestError) as err:
        _client(served).responses.create(  # type: ignore[call-overload]
            **{"model": "archibald/auto", "input": "hi", **asked})
    assert named in str(err.value)
    assert len(deepseek_stub.requests) == before


@pytest.mark.parametrize("bad", [
    {"input": 7}, {"input": []}, {"input": [7]}, {},
    {"input": [{"role": "user", "content": [{"type": "input_audio", "data": "x"}]}]},
    {"input": [{"role": "user", "content": 3}]},
    {"input": "hi", "tools": {"type": "function"}},
    {"input": "hi", "tool_choice": "sometimes"},
    {"input": "hi", "max_output_tokens": -5},
    {"input": "hi", "temperature": "warm"},
    {"input": "hi", "reasoning": {"effort": "maximal"}},
    {"input": [{"type": "function_call_output"}], "model": 5}])
def test_a_malformed_request_is_a_400_never_a_500(served: Served, bad: dict[str, Any]) -> None:
    response = httpx.post(served.url + "/v1/responses", timeout=30,
                          headers={"authorization": f"Bearer {_key(served)}"},
                          json={"model": "archibald/auto", **bad})
    assert response.status_code == 400, response.text
    assert response.json()["error"]["type"] == "invalid_request_error"


def test_a_streamed_function_call_comes_as_it_is_written(served: Served,
                                                         deepseek_stub: Any) -> None:
    """The provider's function call parts are sent as they come (its arguments in several
    deltas), not whole once the run has ended; every event is one of the SDK's types."""
    deepseek_stub.tool_arguments = {"harbour": "Oban", "days": 3}
    adapter: TypeAdapter[Any] = TypeAdapter(ResponseStreamEvent)
    with httpx.stream("POST", served.url + "/v1/responses", timeout=60,
                      headers={"authorization": f"Bearer {_key(served)}"},
                      json={"model": "archibald/auto:cheap", "input": "Tide in Oban?",
                            "tools": TOOLS, "stream": True}) as response:
        assert response.status_code == 200
        events = [json.loads(line[6:]) for line in response.iter_lines()
                  if line.startswith("data: ")]
    for event in events:
        adapter.validate_python(event)
    kinds = [e["type"] for e in events]
    deltas = [e for e in events if e["type"] == "response.function_call_arguments.delta"]
    assert len(deltas) >= 2  # as the stub wrote them, piece by piece
    added = kinds.index("response.output_item.added")
    assert events[added]["item"]["type"] == "function_call"
    assert events[added]["item"]["name"] == "tide_at"
    assert added < kinds.index("response.function_call_arguments.delta") \
        < kinds.index("response.function_call_arguments.done")
    assert json.loads("".join(d["delta"] for d in deltas)) == {"harbour": "Oban", "days": 3}
    done = next(e for e in events if e["type"] == "response.function_call_arguments.done")
    final = events[-1]["response"]
    assert kinds[-1] == "response.completed" and final["output"][0]["type"] == "function_call"
    assert final["output"][0]["arguments"] == done["arguments"]
    assert final["output"][0]["call_id"] == events[added]["item"]["call_id"]
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
