"""A request's sampling parameters reach the model the gateway routes it to (seed, top_p,
penalties, logit bias, user, reasoning effort), through the official SDKs; a provider that
lacks one is called without it and the answer says which (x-archibald-dropped-params); what
the gateway cannot honour (n > 1, log probabilities) is refused in the API's own error shape,
never silently answered otherwise."""

from __future__ import annotations

from typing import Any

import anthropic
import openai
import pytest

from stubs.fixtures import anthropic_stub, deepseek_stub, provider_env  # noqa: F401
from test_gateway import Served, _key, served  # noqa: F401 - the gateway on loopback

MESSAGES = [{"role": "user", "content": "Name a colour of the evening sky"}]
SAMPLING = {"seed": 41, "top_p": 0.6, "presence_penalty": 0.3, "frequency_penalty": -0.4,
            "logit_bias": {"1734": -50}, "user": "app-user-9"}



def _client(served: Served) -> openai.OpenAI:
    return openai.OpenAI(base_url=served.url + "/v1", api_key=_key(served), max_retries=0)


def test_sampling_parameters_reach_the_budget_model(served: Served, deepseek_stub: Any) -> None:
    raw = _client(served).chat.completions.with_raw_response.create(
        model="archibald/auto:cheap", messages=MESSAGES,  # type: ignore[arg-type]
        reasoning_effort="low", **SAMPLING)
    assert raw.headers["x-archibald-route"] == "budget"
    sent = deepseek_stub.requests_to("/chat/completions")[-1].json()
    # DeepSeek takes all but `user` (LiteLLM's table of its parameters): left out, and said
    dropped = raw.headers.get("x-archibald-dropped-params", "").split(",")
    for name, value in SAMPLING.items():
        assert (sent.get(name) == value) != (name in dropped), (name, sent, dropped)
    # no `user` (LiteLLM's table); reasoning_effort is asked as DeepSeek's own `thinking`,
    # and its reasoning comes back as DeepSeek says it
    assert "user" in dropped and "reasoning_effort" not in dropped
    assert "reasoning_effort" not in sent and sent["thinking"] == {"type": "enabled"}
    message = raw.parse().choices[0].message
    assert message.content and getattr(message, "reasoning_content", "")


def test_a_provider_without_seed_or_penalties_is_called_without_them(
        served: Served, anthropic_stub: Any) -> None:
    raw = _client(served).chat.completions.with_raw_response.create(
        model="archibald/auto:best", messages=MESSAGES, **SAMPLING)  # type: ignore[arg-type]
    assert raw.headers["x-archibald-route"] == "premium"
    dropped = set(raw.headers["x-archibald-dropped-params"].split(","))
    # LiteLLM's table: no seed, penalties or logit bias; the anthropic SDK's own types: no
    # top_p any more (nor temperature)
    assert {"seed", "presence_penalty", "frequency_penalty", "logit_bias", "top_p"} <= dropped
    sent = anthropic_stub.requests_to("/v1/messages")[-1].json()  # valid for the SDK's types
    assert not {"top_p", "seed", "temperature"} & set(sent)
    assert sent.get("metadata", {}).get("user_id") == "app-user-9"  # OpenAI's user, mapped
    assert raw.parse().choices[0].message.content == anthropic_stub.reply_text


@pytest.mark.parametrize("asked,named", [({"n": 2}, "n must be 1"),
                                         ({"logprobs": True}, "logprobs"),
                                         ({"top_logprobs": 3}, "logprobs"),
                                         ({"seed": "forty"}, "seed"),
                                         ({"top_p": 1.5}, "top_p"),
                                         ({"reasoning_effort": "extreme"}, "reasoning_effort"),
                                         ({"logit_bias": [1, 2]}, "logit_bias"),
                                         ({"logit_bias": {"5": 500}}, "logit_bias"),
                                         ({"user": 42}, "user"),
                                         ({"parallel_tool_calls": "yes"}, "parallel_tool_calls"),
                                         ({"frequency_penalty": 9}, "frequency_penalty")])
def test_what_the_gateway_cannot_honour_is_refused_not_ignored(
        served: Served, deepseek_stub: Any, asked: dict[str, Any], named: str) -> None:
    before = len(deepseek_stub.requests)
    with pytest.raises(openai.BadRequestError) as err:
        _client(served).chat.completions.create(
            model="archibald/auto", messages=MESSAGES, **asked)  # type: ignore[arg-type]
    assert named in str(err.value) and err.value.status_code == 400
    assert len(deepseek_stub.requests) == before  # nothing was sent, nothing paid


def test_n_of_one_and_no_log_probabilities_are_welcome(served: Served) -> None:
    done = _client(served).chat.completions.create(
        model="archibald/auto", messages=MESSAGES, n=1, logprobs=False)  # type: ignore[arg-type]
    assert len(done.choices) == 1


def test_anthropic_user_id_reaches_the_model_and_top_p_a_model_that_takes_it(
        served: Served, anthropic_stub: Any, deepseek_stub: Any) -> None:
    client = anthropic.Anthropic(base_url=served.url, api_key=_key(served), max_retries=0)
    message = client.messages.create(model="archibald/auto:best", max_tokens=200,
                                     metadata={"user_id": "listener-3"},
                                     messages=[{"role": "user", "content": "A haiku"}])
    assert isinstance(message, anthropic.types.Message)
    sent = anthropic_stub.requests_to("/v1/messages")[-1].json()
    assert sent.get("metadata", {}).get("user_id") == "listener-3"
    # an older app's top_p (the SDK's types have none now: sent as an extra field) goes to
    # a route that takes it
    raw = client.messages.with_raw_response.create(
        model="archibald/auto:cheap", max_tokens=200, extra_body={"top_p": 0.4},
        messages=[{"role": "user", "content": "A haiku"}])
    assert raw.headers["x-archibald-route"] == "budget"
    assert deepseek_stub.requests_to("/chat/completions")[-1].json()["top_p"] == 0.4


def test_a_stream_says_what_its_route_was_called_without(served: Served,
                                                        anthropic_stub: Any) -> None:
    with _client(served).chat.completions.with_streaming_response.create(
            model="archibald/auto:best", messages=MESSAGES, stream=True,  # type: ignore[arg-type]
            seed=5, top_p=0.9) as response:
        assert response.headers["x-archibald-route"] == "premium"
        assert set(response.headers["x-archibald-dropped-params"].split(",")) == {"seed",
                                                                                 "top_p"}
        text = "".join(chunk.choices[0].delta.content or "" for chunk in response.parse()
                       if chunk.choices)
    assert text == anthropic_stub.reply_text
    assert "seed" not in anthropic_stub.requests_to("/v1/messages")[-1].json()


def test_anthropic_one_tool_call_at_a_time_reaches_the_model(served: Served,
                                                             deepseek_stub: Any) -> None:
    client = anthropic.Anthropic(base_url=served.url, api_key=_key(served), max_retries=0)
    client.messages.create(model="archibald/auto:cheap", max_tokens=200, tools=[
        {"name": "tide_at", "description": "High tide", "input_schema": {
            "type": "object", "properties": {"harbour": {"type": "string"}}}}],
        tool_choice={"type": "auto", "disable_parallel_tool_use": True},
        messages=[{"role": "user", "content": "Tide in Whitby?"}])
    assert deepseek_stub.requests_to("/chat/completions")[-1].json()[
        "parallel_tool_calls"] is False
