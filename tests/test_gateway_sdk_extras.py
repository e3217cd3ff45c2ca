"""What SDKs and Claude-based tools call besides a chat: Anthropic's count_tokens, as Claude
Code asks it before it compacts a conversation (`/v1/messages/count_tokens?beta=true`; a key
required, the system prompt, tool definitions and tool results all counted, nothing sent to a
provider and nothing billed), and the models list and lookup in each SDK's own shape."""

from __future__ import annotations

from typing import Any

import anthropic
import httpx
import pytest

from archibald.core.tokens import prompt_tokens
from stubs.fixtures import anthropic_stub, deepseek_stub, provider_env  # noqa: F401
from test_gateway import Served, _key, served  # noqa: F401 - the gateway on loopback

TOOLS = [{"name": "lookup_tide", "description": "The tide table of a harbour on a date",
          "input_schema": {"type": "object", "properties": {
              "harbour": {"type": "string"}, "date": {"type": "string"}}}}]



def test_the_anthropic_sdk_counts_a_conversation_with_everything_in_it(
        served: Served, anthropic_stub: Any, deepseek_stub: Any) -> None:
    client = anthropic.Anthropic(base_url=served.url, api_key=_key(served), max_retries=0)
    user = [{"role": "user", "content": "When is high tide in Whitby tomorrow?"}]
    bare = client.messages.count_tokens(model="archibald/auto", messages=user)
    assert isinstance(bare, anthropic.types.MessageTokensCount) and bare.input_tokens > 5
    system = client.messages.count_tokens(model="archibald/auto", messages=user,
                                          system="You answer sailors in one sentence.")
    tools = client.messages.count_tokens(model="archibald/auto", messages=user,
                                         system="You answer sailors in one sentence.",
                                         tools=TOOLS)  # type: ignore[arg-type]
    assert bare.input_tokens < system.input_tokens < tools.input_tokens
    assert tools.input_tokens - system.input_tokens >= 20  # the definition, not just a name
    later = client.messages.count_tokens(model="archibald/auto",
                                         tools=TOOLS,  # type: ignore[arg-type]
                                         messages=[*user, {"role": "assistant", "content": [
                                             {"type": "tool_use", "id": "toolu_1",
                                              "name": "lookup_tide",
                                              "input": {"harbour": "Whitby",
                                                        "date": "tomorrow"}}]},
                                             {"role": "user", "content": [
                                                 {"type": "tool_result",
                                                  "tool_use_id": "toolu_1",
                                                  "content": "High water 06:12 and 18:40"}]}])
    assert later.input_tokens > tools.input_tokens + 10  # the call and its result count
    # counted, never sent: no provider was asked, and the ledger has no row for it
    assert not anthropic_stub.requests and not deepseek_stub.requests
    assert served.gateway.memory.spent_nano() == 0


def test_a_named_model_is_counted_with_its_own_tokenizer(served: Served) -> None:
    messages = [{"role": "user", "content": "Count me, tokenizer: naïve café ☕ 1234567"}]
    raw = httpx.post(served.url + "/v1/messages/count_tokens?beta=true",
                     headers={"x-api-key": _key(served), "anthropic-version": "2023-06-01"},
                     json={"model": "gpt-4o", "messages": messages})
    assert raw.status_code == 200
    assert raw.json() == {"input_tokens": prompt_tokens("gpt-4o", messages)}


def test_count_tokens_needs_a_key_and_a_well_formed_body(served: Served) -> None:
    body = {"model": "archibald/auto", "messages": [{"role": "user", "content": "hi"}]}
    denied = httpx.post(served.url + "/v1/messages/count_tokens", json=body)
    assert denied.status_code == 401 and denied.json()["type"] == "error"
    bad = httpx.post(served.url + "/v1/messages/count_tokens",
                     headers={"x-api-key": _key(served)}, json={"model": "archibald/auto"})
    assert bad.status_code == 400
    assert bad.json()["error"]["type"] == "invalid_request_error"


def test_both_sdks_list_and_retrieve_the_models_in_their_own_shapes(served: Served) -> None:
    import openai

    key = _key(served)
    oa = openai.OpenAI(base_url=served.url + "/v1", api_key=key, max_retries=0)
    listed = [m.id for m in oa.models.list()]
    assert listed[:3] == ["archibald/auto", "archibald/auto:cheap", "archibald/auto:best"]
    assert oa.models.retrieve("archibald/auto:best").id == "archibald/auto:best"
    with pytest.raises(openai.NotFoundError):
        oa.models.retrieve("no-such-model")
    an = anthropic.Anthropic(base_url=served.url, api_key=key, max_retries=0)
    infos = list(an.models.list())
    assert [m.id for m in infos] == listed
    assert all(isinstance(m, anthropic.types.ModelInfo) and m.type == "model" for m in infos)
    assert an.models.retrieve("archibald/auto").display_name == "archibald/auto"
    with pytest.raises(anthropic.NotFoundError) as err:
        an.models.retrieve("no-such-model")
    assert err.value.body["type"] == "error"  # type: ignore[index]


#: a 1x1 PNG
PIXEL = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJ"
         "RU5ErkJggg==")


def test_an_image_reaches_a_model_that_sees_it(served: Served, anthropic_stub: Any,
                                               deepseek_stub: Any) -> None:
    """An image in an Anthropic request is passed on (it was dropped without a word) and the
    request goes to the premium route, whose model sees it, even under auto:cheap."""
    client = anthropic.Anthropic(base_url=served.url, api_key=_key(served), max_retries=0)
    raw = client.messages.with_raw_response.create(
        model="archibald/auto:cheap", max_tokens=200, messages=[{"role": "user", "content": [
            {"type": "text", "text": "What colour is this pixel?"},
            {"type": "image", "source": {"type": "base64", "media_type": "image/png",
                                         "data": PIXEL}}]}])
    assert raw.headers["x-archibald-task"] == "chat_vision"
    assert raw.headers["x-archibald-route"] == "premium" and not deepseek_stub.requests
    sent = anthropic_stub.requests_to("/v1/messages")[-1].json()["messages"][0]["content"]
    image = next(b for b in sent if b["type"] == "image")
    assert image["source"]["data"] == PIXEL and image["source"]["media_type"] == "image/png"
    # OpenAI's shape of the same question takes the same way
    import openai

    oa = openai.OpenAI(base_url=served.url + "/v1", api_key=_key(served), max_retries=0)
    done = oa.chat.completions.with_raw_response.create(
        model="archibald/auto", messages=[{"role": "user", "content": [  # type: ignore[list-item]
            {"type": "text", "text": "What colour is this pixel?"},
            {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PIXEL}"}}]}])
    assert done.headers["x-archibald-task"] == "chat_vision"
    assert done.headers["x-archibald-route"] == "premium"


def test_a_block_the_gateway_cannot_pass_on_is_refused(served: Served) -> None:
    client = anthropic.Anthropic(base_url=served.url, api_key=_key(served), max_retries=0)
    with pytest.raises(anthropic.BadRequestError) as err:
        client.messages.create(model="archibald/auto", max_tokens=100, messages=[
            {"role": "user", "content": [
                {"type": "text", "text": "Summarise this"},
                {"type": "document", "source": {"type": "text", "media_type": "text/plain",
                                                "data": "A short note."}}]}])
    assert "document" in str(err.value)


def test_an_endpoint_the_gateway_does_not_serve_is_said_in_the_apis_own_shape(
        served: Served) -> None:
    import openai

    key = _key(served)
    oa = openai.OpenAI(base_url=served.url + "/v1", api_key=key, max_retries=0)
    with pytest.raises(openai.NotFoundError) as err:
        oa.completions.create(model="archibald/auto", prompt="legacy")
    assert "POST /v1/completions is not served by the Archibald gateway" in str(err.value)
    assert err.value.body["code"] == "unknown_url"  # type: ignore[index]
    wrong = httpx.get(served.url + "/v1/chat/completions",
                      headers={"authorization": f"Bearer {key}"})
    assert wrong.status_code == 405 and wrong.json()["error"]["type"] == \
        "invalid_request_error"
    an = anthropic.Anthropic(base_url=served.url, api_key=key, max_retries=0)
    with pytest.raises(anthropic.NotFoundError) as gone:
        an.messages.batches.list()
    assert gone.value.body["type"] == "error"  # type: ignore[index]
    assert "not served" in gone.value.body["error"]["message"]  # type: ignore[index]


@pytest.mark.parametrize("bad", [{"messages": 3}, {"messages": [{"role": "robot"}]},
                                 {"messages": [{"role": "user", "content": 3}]},
                                 {"messages": [{"role": "user", "content": "hi"}],
                                  "tools": "all"},
                                 {"model": 5, "messages": [{"role": "user", "content": "hi"}]}])
def test_a_malformed_count_is_a_400_never_a_500(served: Served, bad: dict[str, Any]) -> None:
    response = httpx.post(served.url + "/v1/messages/count_tokens",
                          headers={"x-api-key": _key(served)},
                          json={"model": "archibald/auto", **bad})
    assert response.status_code == 400, response.text
    assert response.json()["error"]["type"] == "invalid_request_error"
