"""OpenAI's Batch API through the gateway (issue 22), driven by the official ``openai`` SDK:
a file of chat requests, a batch of it, its output and error files; each line routed like a
live request, the premium ones sent through the pipelines' batcher in one Anthropic batch at
the batch price, the rest called at once; every line's calls in the ledger of the key."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from typing import Any

import openai
import pytest

from archibald.config import load_settings
from archibald.providers.chat_models import import_litellm
from archibald.serve.app import create_app
from archibald.serve.gateway.keys import channel_of
from archibald.store.ledger import NANO
from stubs.batches import AnthropicBatchStub
from stubs.fixtures import deepseek_stub, provider_env  # noqa: F401
from test_gateway import Served, _client, _key


@pytest.fixture
def anthropic_stub() -> Iterator[AnthropicBatchStub]:
    """The batch-speaking Anthropic stub, under the name provider_env points ANTHROPIC_* at."""
    stub = AnthropicBatchStub()
    stub.start()
    yield stub
    stub.stop()


@pytest.fixture
def served(anthropic_stub, deepseek_stub, provider_env) -> Iterator[Served]:  # noqa: F811
    # LiteLLM's first import takes seconds (off the event loop, in each line's call): lines
    # would reach the batcher that far apart, past this test's 0.3 s window, when no earlier
    # test in the process had imported it (a server's first batch only; run alone, the test
    # failed two runs in three)
    import_litellm()
    s = Served(create_app(load_settings(None, {"quality": {"judge_model": ""}})))
    batcher = s.app.state.batches.batcher
    batcher.window, batcher.poll_first, batcher.poll_max = 0.3, 0.05, 0.1
    try:
        yield s
    finally:
        s.stop()


def _line(custom_id: str, model: str, content: str, **more: Any) -> str:
    return json.dumps({"custom_id": custom_id, "method": "POST", "url": "/v1/chat/completions",
                       "body": {"model": model, "max_tokens": 300,
                                "messages": [{"role": "user", "content": content}], **more}})


def _wait(client: openai.OpenAI, batch_id: str) -> Any:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        batch = client.batches.retrieve(batch_id)
        if batch.status in ("completed", "failed", "cancelled", "expired"):
            return batch
        time.sleep(0.1)
    raise AssertionError("the batch did not end")


def test_a_batch_file_is_routed_line_by_line_and_premium_lines_go_out_as_one_batch(
        served: Served, anthropic_stub: AnthropicBatchStub, deepseek_stub: Any) -> None:
    anthropic_stub.usage = {"input_tokens": 20, "output_tokens": 10,
                            "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}
    deepseek_stub.usage = {"prompt_tokens": 20, "completion_tokens": 10, "total_tokens": 30}
    deepseek_stub.reasoning_tokens = 0
    key = _key(served, budget_usd=5.0)
    client = _client(served, key)
    lines = [_line("a", "archibald/auto:best", "Write a haiku about the sea"),
             _line("b", "archibald/auto:best", "Write a haiku about the hills"),
             _line("c", "archibald/auto", "Reword: calm water"),
             json.dumps({"custom_id": "d", "method": "POST", "url": "/v1/chat/completions",
                         "body": {"model": "archibald/auto", "messages": []}})]
    uploaded = client.files.create(file=("in.jsonl", io.BytesIO("\n".join(lines).encode())),
                                   purpose="batch")
    assert isinstance(uploaded, openai.types.FileObject) and uploaded.purpose == "batch"
    batch = client.batches.create(input_file_id=uploaded.id, endpoint="/v1/chat/completions",
                                  completion_window="24h", metadata={"job": "nightly"})
    assert isinstance(batch, openai.types.Batch) and batch.status == "in_progress"
    done = _wait(client, batch.id)
    assert done.status == "completed" and done.metadata == {"job": "nightly"}
    assert done.request_counts is not None
    assert (done.request_counts.total, done.request_counts.completed,
            done.request_counts.failed) == (4, 3, 1)
    assert done.output_file_id and done.error_file_id
    out = [json.loads(x) for x in client.files.content(done.output_file_id).text.splitlines()]
    by_id = {o["custom_id"]: o for o in out}
    assert set(by_id) == {"a", "b", "c"}
    for o in out:
        assert o["response"]["status_code"] == 200 and o["error"] is None
        completion = openai.types.chat.ChatCompletion.model_validate(o["response"]["body"])
        assert completion.choices[0].message.content
    errors = [json.loads(x) for x in client.files.content(done.error_file_id).text.splitlines()]
    assert [(e["custom_id"], e["response"]["status_code"]) for e in errors] == [("d", 400)]
    # the two premium lines went out as one provider batch, at half the synchronous price
    [sent] = anthropic_stub.batches.values()
    assert len(sent["requests"]) == 2
    assert not [r for r in anthropic_stub.requests if r.path == "/v1/messages"]
    assert deepseek_stub.requests_to("/chat/completions")  # the budget line, at once
    name = next(k.name for k in served.gateway.keys.all() if k.budget_usd == 5.0)
    rows = [a for a in served.gateway.memory.attempts_of_run(
        f"gwb-{batch.id.removeprefix('batch_')}")]
    premium = [a for a in rows if a.route == "premium"]
    assert len(premium) == 2 and all(a.price_source.startswith("batch API: ") for a in premium)
    sync = 20 * 3e-6 + 10 * 15e-6  # claude-sonnet-4-6 at its public synchronous price
    assert all(abs(a.cost_nano / NANO - sync / 2) < 1e-9 for a in premium)
    assert all(a.channel == channel_of(name) for a in rows)
    raw = client.batches.with_raw_response.retrieve(batch.id)
    assert abs(float(raw.headers["x-archibald-cost-usd"])
               - sum(a.cost_nano for a in rows) / NANO) < 1e-9


def test_bad_batch_files_and_other_keys_files(served: Served) -> None:
    client = _client(served, _key(served))
    bad = client.files.create(file=("x.jsonl", io.BytesIO(b'{"custom_id": "a"}\n')),
                              purpose="batch")
    with pytest.raises(openai.BadRequestError) as raised:
        client.batches.create(input_file_id=bad.id, endpoint="/v1/chat/completions",
                              completion_window="24h")
    assert "line 1" in str(raised.value)
    with pytest.raises(openai.BadRequestError):
        client.files.create(file=("x.jsonl", io.BytesIO(b"{}")), purpose="fine-tune")
    with pytest.raises(openai.NotFoundError):
        _client(served, _key(served)).files.retrieve(bad.id)


def test_a_batch_whose_worker_stopped_is_taken_over_and_nothing_is_paid_twice(
        anthropic_stub: AnthropicBatchStub, deepseek_stub: Any, provider_env: Any) -> None:
    anthropic_stub.usage = {"input_tokens": 20, "output_tokens": 10,
                            "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}
    anthropic_stub.polls_to_end = None  # the provider's batch runs on while the worker stops

    def serve() -> Served:
        s = Served(create_app(load_settings(None, {"quality": {"judge_model": ""}})))
        batcher = s.app.state.batches.batcher
        batcher.window, batcher.poll_first, batcher.poll_max = 0.3, 0.05, 0.1
        return s

    first = serve()
    key = _key(first, budget_usd=5.0)
    client = _client(first, key)
    uploaded = client.files.create(file=("in.jsonl", io.BytesIO("\n".join(
        _line(c, "archibald/auto:best", f"Write a haiku about {c}")
        for c in ("rain", "snow")).encode())), purpose="batch")
    batch = client.batches.create(input_file_id=uploaded.id, endpoint="/v1/chat/completions",
                                  completion_window="24h")
    deadline = time.monotonic() + 20
    while not anthropic_stub.batches and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(anthropic_stub.batches) == 1
    first.stop()  # the worker stops with the provider's batch still running
    anthropic_stub.polls_to_end = 1
    second = serve()
    try:
        done = _wait(_client(second, key), batch.id)
        assert done.status == "completed" and done.request_counts is not None
        assert done.request_counts.completed == 2
        assert len(anthropic_stub.batches) == 1  # followed, not sent again
        assert not [r for r in anthropic_stub.requests if r.path == "/v1/messages"]
        rows = second.gateway.memory.attempts_of_run(f"gwb-{batch.id.removeprefix('batch_')}")
        billed = sum(a.cost_nano for a in rows) / NANO
        assert abs(billed - 2 * (20 * 3e-6 + 10 * 15e-6) / 2) < 1e-9  # each request once
        assert all(a.status == "settled" for a in rows)
    finally:
        second.stop()


def test_a_batch_of_responses_requests_is_answered_in_the_responses_shape(
        served: Served, anthropic_stub: AnthropicBatchStub, deepseek_stub: Any) -> None:
    """OpenAI's Batch API takes /v1/responses lines too (every line the batch's endpoint):
    each is routed as a live Responses request and answered as a Response object."""
    client = _client(served, _key(served, budget_usd=5.0))
    lines = [json.dumps({"custom_id": c, "method": "POST", "url": "/v1/responses",
                         "body": {"model": model, "input": text, "instructions": "Be brief."}})
             for c, model, text in (("a", "archibald/auto:best", "A haiku about the sea"),
                                    ("b", "archibald/auto", "Reword: calm water"))]
    lines.append(json.dumps({"custom_id": "c", "method": "POST", "url": "/v1/responses",
                             "body": {"model": "archibald/auto", "input": "x",
                                      "previous_response_id": "resp_1"}}))
    uploaded = client.files.create(file=("in.jsonl", io.BytesIO("\n".join(lines).encode())),
                                   purpose="batch")
    batch = client.batches.create(input_file_id=uploaded.id, endpoint="/v1/responses",
                                  completion_window="24h")
    assert batch.endpoint == "/v1/responses"
    done = _wait(client, batch.id)
    assert done.status == "completed" and done.output_file_id and done.error_file_id
    out = {json.loads(x)["custom_id"]: json.loads(x)
           for x in client.files.content(done.output_file_id).text.splitlines()}
    assert set(out) == {"a", "b"}
    for o in out.values():
        response = openai.types.responses.Response.model_validate(o["response"]["body"])
        assert response.output_text and response.status == "completed"
    [error] = [json.loads(x) for x in client.files.content(done.error_file_id).text.splitlines()]
    assert (error["custom_id"], error["response"]["status_code"]) == ("c", 400)
    # a line must ask the batch's own endpoint
    mixed = client.files.create(file=("m.jsonl", io.BytesIO(
        (lines[0] + "\n" + _line("z", "archibald/auto", "hi")).encode())), purpose="batch")
    with pytest.raises(openai.BadRequestError) as raised:
        client.batches.create(input_file_id=mixed.id, endpoint="/v1/responses",
                              completion_window="24h")
    assert "line 2" in str(raised.value) and "/v1/responses" in str(raised.value)
    with pytest.raises(openai.BadRequestError):
        client.batches.create(input_file_id=mixed.id, endpoint="/v1/embeddings",
                              completion_window="24h")
