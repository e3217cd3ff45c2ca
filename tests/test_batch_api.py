"""Provider batch APIs for work that can wait, against stubs in the real wire formats."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from archibald.providers.backends.batchapi import (AnthropicBatches, Batcher, BatchStore, OpenAIBatches,
                                         batch_price)
from archibald.providers.backends.llm import ChatBackend
from archibald.providers.backends.http import RetryPolicy
from archibald.store.memory import Memory
from archibald.core.prices import PriceBook
from archibald.cli.route import per_mtok
from archibald.providers.registry import Provider
from archibald.core.tasks import Context, Task, Usage
from stubs.batches import AnthropicBatchStub, OpenAIBatchStub

DAY = 86400.0


@pytest.fixture
def anthropic() -> Iterator[AnthropicBatchStub]:
    stub = AnthropicBatchStub()
    stub.start()
    yield stub
    stub.stop()


@pytest.fixture
def openai() -> Iterator[OpenAIBatchStub]:
    stub = OpenAIBatchStub()
    stub.start()
    yield stub
    stub.stop()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[BatchStore]:
    memory = Memory(f"sqlite:///{tmp_path / 'ledger.db'}")
    yield BatchStore(memory.engine)
    memory.close()


def _provider(name: str, stub: Any) -> Provider:
    base = stub.base_url + ("/v1" if name == "openai" else "")
    return Provider(name, stub.api_key, base, True)


def _backend(name: str, stub: Any, model: str) -> ChatBackend:
    return ChatBackend("premium", model, _provider(name, stub), PriceBook(),
                       retry=RetryPolicy(attempts=1))


def _batcher(store: BatchStore, clients: dict[str, Any], **kw: Any) -> Batcher:
    opts: dict[str, Any] = {"window": 0.2, "poll_first": 0.05, "poll_max": 0.1,
                            "min_lead": 3600.0, "margin": 60.0, **kw}
    return Batcher(store, clients, **opts)


async def _ask(backend: ChatBackend, batcher: Batcher, run_id: str, prompt: str,
               tmp: Path) -> Any:
    task = Task("script_writing", {"prompt": prompt, "max_tokens": 900}, "default")
    ctx = Context(workdir=tmp, seed=0, settings=None,
                  extra={"batcher": batcher, "run_id": run_id})
    return await backend.execute(task, ctx)


def test_requests_of_several_runs_go_out_as_one_batch_at_half_price(
        anthropic: AnthropicBatchStub, store: BatchStore, tmp_path: Path) -> None:
    from archibald.providers.chat_models import import_litellm

    # LiteLLM's first import (seconds on a busy machine, each request waiting on it in a
    # thread of its own) is not what is timed: two requests that reached the batcher on
    # either side of it were two batches in CI
    import_litellm()
    backend = _backend("anthropic", anthropic, "claude-sonnet-4-5")
    # a window the two requests fall in even on a loaded machine (0.2 s split them in CI
    # while other tests ran beside it)
    batcher = _batcher(store, {"anthropic": AnthropicBatches(backend.provider)}, window=1.0)
    for run in ("run-a", "run-b"):
        batcher.register(run, time.time() + DAY)
    anthropic.reply_text = lambda body: "answer to " + body["messages"][-1]["content"]

    async def both() -> list[Any]:
        return list(await asyncio.gather(_ask(backend, batcher, "run-a", "first", tmp_path),
                                         _ask(backend, batcher, "run-b", "second", tmp_path)))

    a, b = asyncio.run(both())
    assert len(anthropic.batches) == 1 and batcher.submitted == 1
    (batch,) = anthropic.batches.values()
    assert len(batch["requests"]) == 2
    assert anthropic.requests_to("/v1/messages", "POST")[0].path == "/v1/messages/batches"
    assert not [r for r in anthropic.requests if r.path == "/v1/messages"]  # no sync call
    assert (a.artifact, b.artifact) == ("answer to first", "answer to second")
    sync = PriceBook().cost(a.usage, model="claude-sonnet-4-5")
    assert a.cost == pytest.approx(sync * 0.5) and a.detail["batch"] is True
    assert a.detail["synchronous_cost_usd"] == pytest.approx(sync)
    # LiteLLM's batch rates where its map has them (1.106+), else Anthropic's published 50%
    assert a.detail["price_source"] == batch_price(PriceBook(), "anthropic",
                                                   "claude-sonnet-4-5").source
    assert a.detail["price_source"].startswith("batch API: ")
    # params are the Messages API body; custom ids are what Anthropic allows
    for r in batch["requests"]:
        assert r["params"]["model"] == "claude-sonnet-4-5" and r["params"]["max_tokens"] == 900
        assert 1 <= len(r["custom_id"]) <= 64 and r["custom_id"].replace("-", "").isalnum()


def test_a_crash_between_submit_and_result_resumes_the_same_batch(
        anthropic: AnthropicBatchStub, store: BatchStore, tmp_path: Path) -> None:
    backend = _backend("anthropic", anthropic, "claude-sonnet-4-5")
    anthropic.polls_to_end = None  # still processing when the process "dies"

    async def first_life() -> None:
        batcher = _batcher(store, {"anthropic": AnthropicBatches(backend.provider)})
        batcher.register("run-a", time.time() + DAY)
        task = asyncio.create_task(_ask(backend, batcher, "run-a", "hello", tmp_path))
        while not anthropic.batches:
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.2)  # a poll or two
        task.cancel()  # the process is gone; only the database remembers
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(first_life())
    anthropic.polls_to_end = 1
    batcher = _batcher(store, {"anthropic": AnthropicBatches(backend.provider)})
    batcher.register("run-a", time.time() + DAY)
    out = asyncio.run(_ask(backend, batcher, "run-a", "hello", tmp_path))
    assert out.artifact == anthropic.reply_text and out.detail["batch"] is True
    assert len(anthropic.batches) == 1 and batcher.submitted == 0  # polled, not re-submitted
    # and once answered, the answer is kept: a third life asks nobody
    before = len(anthropic.requests)
    again = asyncio.run(_ask(backend, batcher, "run-a", "hello", tmp_path))
    assert again.artifact == out.artifact and len(anthropic.requests) == before


def test_when_the_deadline_nears_the_batch_is_cancelled_and_the_rest_goes_synchronously(
        anthropic: AnthropicBatchStub, store: BatchStore, tmp_path: Path) -> None:
    backend = _backend("anthropic", anthropic, "claude-sonnet-4-5")
    anthropic.polls_to_end = None  # never ends on its own
    batcher = _batcher(store, {"anthropic": AnthropicBatches(backend.provider)},
                       min_lead=10.0, margin=19.7)
    batcher.register("run-a", time.time() + 20.0)

    async def both() -> list[Any]:
        return list(await asyncio.gather(_ask(backend, batcher, "run-a", "one", tmp_path),
                                         _ask(backend, batcher, "run-a", "two", tmp_path)))

    a, b = asyncio.run(both())
    assert [r.path for r in anthropic.requests if r.path.endswith("/cancel")]
    # the stub finished one request before the cancel: used at the batch price; the other
    # was cancelled and went synchronously at the full price
    batched = [o for o in (a, b) if o.detail.get("batch")]
    direct = [o for o in (a, b) if not o.detail.get("batch")]
    assert len(batched) == 1 and len(direct) == 1
    assert len([r for r in anthropic.requests if r.path == "/v1/messages"]) == 1
    assert direct[0].cost == pytest.approx(2 * batched[0].cost)


def test_a_run_with_a_near_deadline_is_never_batched(anthropic: AnthropicBatchStub,
                                                     store: BatchStore, tmp_path: Path) -> None:
    backend = _backend("anthropic", anthropic, "claude-sonnet-4-5")
    batcher = _batcher(store, {"anthropic": AnthropicBatches(backend.provider)})
    batcher.register("run-a", time.time() + 600)  # 10 minutes: less than min_lead
    out = asyncio.run(_ask(backend, batcher, "run-a", "now please", tmp_path))
    assert not anthropic.batches and "batch" not in out.detail
    out = asyncio.run(_ask(backend, batcher, "run-unregistered", "now please", tmp_path))
    assert not anthropic.batches


def test_openai_batch_file_upload_results_and_per_request_errors(
        openai: OpenAIBatchStub, store: BatchStore, tmp_path: Path) -> None:
    backend = _backend("openai", openai, "gpt-4o-mini")
    batcher = _batcher(store, {"openai": OpenAIBatches(backend.provider)})
    batcher.register("run-a", time.time() + DAY)
    openai.errors = {"bad one": "Invalid 'messages[0].content'"}
    openai.reply_text = lambda body: "ok: " + body["messages"][-1]["content"]

    async def both() -> list[Any]:
        return list(await asyncio.gather(_ask(backend, batcher, "run-a", "good one", tmp_path),
                                         _ask(backend, batcher, "run-a", "bad one", tmp_path)))

    good, bad = asyncio.run(both())
    assert len(openai.batches) == 1 and len(openai.requests_to("/files", "POST")) == 1
    (b,) = openai.batches.values()
    assert b["metadata"] == {"archibald_job": b["metadata"]["archibald_job"]}
    lines = [json.loads(x) for x in openai.files[b["input_file_id"]]["content"].splitlines()]
    assert {x["url"] for x in lines} == {"/v1/chat/completions"} and len(lines) == 2
    assert good.artifact == "ok: good one" and good.detail["batch"] is True
    # LiteLLM's map has OpenAI's batch prices for gpt-4o-mini
    price = batch_price(PriceBook(), "openai", "gpt-4o-mini")
    assert good.cost == pytest.approx(price.cost(good.usage))
    assert "batch prices" in good.detail["price_source"]
    # the errored request went synchronously instead
    assert "batch" not in bad.detail and bad.artifact == "ok: bad one"
    assert len(openai.requests_to("/chat/completions", "POST")) == 1


def test_an_expired_openai_batch_falls_back(openai: OpenAIBatchStub, store: BatchStore,
                                            tmp_path: Path) -> None:
    backend = _backend("openai", openai, "gpt-4o-mini")
    batcher = _batcher(store, {"openai": OpenAIBatches(backend.provider)})
    batcher.register("run-a", time.time() + DAY)
    openai.expire = True
    out = asyncio.run(_ask(backend, batcher, "run-a", "late", tmp_path))
    assert len(openai.batches) == 1 and "batch" not in out.detail
    row = store.item(next(iter(store.job_ids(store_job(store)))))
    assert row is not None and row["state"] == "expired"


def store_job(store: BatchStore) -> str:
    from sqlalchemy import select

    from archibald.store.migrations import batch_jobs

    with store.engine.connect() as c:
        return str(c.execute(select(batch_jobs.c.job_key)).scalar_one())


def test_stub_answers_match_the_official_sdk_types(openai: OpenAIBatchStub,
                                                   anthropic: AnthropicBatchStub,
                                                   store: BatchStore, tmp_path: Path) -> None:
    """Our stubs speak the providers' types (checked with their SDKs where installed)."""
    from openai.types import Batch, FileObject

    backend = _backend("openai", openai, "gpt-4o-mini")
    batcher = _batcher(store, {"openai": OpenAIBatches(backend.provider)})
    batcher.register("run-a", time.time() + DAY)
    asyncio.run(_ask(backend, batcher, "run-a", "x", tmp_path))
    (b,) = openai.batches.values()
    Batch.model_validate(openai._view(b))
    for f in openai.files.values():
        FileObject.model_validate({k: v for k, v in f.items() if k != "content"})
    pytest.importorskip("anthropic")
    from anthropic.types.messages import MessageBatch, MessageBatchIndividualResponse

    ab = _backend("anthropic", anthropic, "claude-sonnet-4-5")
    batcher = _batcher(store, {"anthropic": AnthropicBatches(ab.provider)})
    batcher.register("run-b", time.time() + DAY)
    asyncio.run(_ask(ab, batcher, "run-b", "y", tmp_path))
    (m,) = anthropic.batches.values()
    MessageBatch.model_validate(anthropic._view(m))
    for r in m["results"]:
        MessageBatchIndividualResponse.model_validate(r)


# -- through `archibald batch` ------------------------------------------------------------------
from stubs.fixtures import deepseek_stub, provider_env  # noqa: E402,F401


@pytest.fixture
def anthropic_stub() -> Iterator[AnthropicBatchStub]:
    """The batch-speaking Anthropic stub, under the name provider_env points ANTHROPIC_* at."""
    stub = AnthropicBatchStub()
    stub.start()
    yield stub
    stub.stop()


@pytest.mark.slow
def test_a_manifest_item_with_a_far_deadline_sends_its_premium_calls_as_batches(
        anthropic_stub: AnthropicBatchStub, deepseek_stub: Any, provider_env: Any,
        tmp_path: Path) -> None:
    from test_produce_providers import _writer_reply

    from archibald.config import load_settings
    from archibald.pipeline.batch import default_batcher, load_manifest, run_batch
    from stubs.base import prompt_of

    anthropic_stub.reply_text = lambda body: _writer_reply(prompt_of(body))
    deepseek_stub.reply_text = lambda body: _writer_reply(prompt_of(body))
    (tmp_path / "m.csv").write_text("topic,minutes,channel,seed,deadline,publish_at\n"
                                    "Morning light and gratitude,1,a,1,2099-01-01T00:00:00Z,\n"
                                    "Evening rest,1,b,2,,2099-01-02T09:00:00Z\n"
                                    "Right now,1,c,3,,\n")
    items = load_manifest(tmp_path / "m.csv", tmp_path / "out")
    settings = load_settings()
    memory = Memory()
    batcher = default_batcher(settings, memory)
    assert set(batcher.clients) == {"anthropic"}  # no OpenAI key: only Anthropic batches
    batcher.window, batcher.poll_first, batcher.poll_max = 1.0, 0.1, 0.2
    result = run_batch(items, settings, memory, batcher=batcher)
    assert [r.state for r in result.items] == ["done", "done", "done"], result.failed
    batched = sum(len(b["requests"]) for b in anthropic_stub.batches.values())
    direct = [r for r in anthropic_stub.requests if r.path == "/v1/messages"]
    assert batched >= 4 and any(len(b["requests"]) == 2 for b in anthropic_stub.batches.values())
    assert direct  # the item with no deadline called synchronously
    api = result.as_dict()["batch_api"]
    assert api["calls"] == batched and api["saved_usd"] == pytest.approx(
        api["synchronous_usd"] / 2)
    for r in result.items:
        run = json.loads((r.item.out / "run.json").read_text())
        ledger = memory.attempts_of_run(run["run_id"])
        assert sum(a.cost_nano for a in ledger) == run["totals"]["cost_nano"]
        premium = [a for a in ledger if a.route == "premium" and a.success]
        assert premium and all(a.price_source.startswith("batch API: ")
                               == (r.item.deadline is not None) for a in premium)
    memory.close()


def test_the_report_shows_batch_priced_calls_and_what_they_saved() -> None:
    from test_report_html import _data

    from archibald.store.ledger import to_nano
    from archibald.reports.economics import economics, render_markdown

    usage = {"input_tokens": 1200, "output_tokens": 800}
    sync = PriceBook().cost(Usage.from_dict(usage), model="claude-sonnet-4-6")
    data = _data()
    attempt = data["stages"]["script_writing"]["attempts"][-1]
    attempt.update(model="claude-sonnet-4-6", usage=usage, cost_nano=to_nano(sync / 2),
                   price_source="batch API: LiteLLM (batch prices)")
    eco = economics(data)
    assert eco["batch_api"]["calls"] == 1
    assert eco["batch_api"]["saved"] == pytest.approx(sync / 2 * 1e6, abs=1)
    assert "Provider batch APIs (work that could wait): 1 call(s)" in render_markdown(data, eco)


def test_route_explain_says_what_work_that_can_wait_would_pay(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from archibald.cli import main

    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-stub-key")
    try:
        main(["route", "explain", "script_writing", "--json"])
    except SystemExit as exc:
        assert not exc.code
    data = json.loads(capsys.readouterr().out)
    assert data["route"] == "premium" and "anthropic's batch API" in data["batch_api"]
    price = batch_price(PriceBook(), "anthropic", "claude-sonnet-4-6")
    sync = PriceBook().model("claude-sonnet-4-6")
    assert (f"at {per_mtok(price.input_per_token)}/{per_mtok(price.output_per_token)} per Mtok "
            f"instead of {per_mtok(sync.input_per_token)}/{per_mtok(sync.output_per_token)} "
            ) in data["batch_api"]
    assert "$3/$15 " in data["batch_api"]  # Sonnet's synchronous price, with its real digits
