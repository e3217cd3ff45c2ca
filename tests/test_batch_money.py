"""Issue 20, points 1-3: the Batch API money paths, with slow and never-ending batches on the
stubs, callers that give up, and processes that die; the ledger equals what the stubs billed."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from archibald.providers.backends.batchapi import (AnthropicBatches, Batcher, BatchStore, OpenAIBatches,
                                         batch_price)
from archibald.providers.backends.http import RetryPolicy
from archibald.providers.backends.llm import ChatBackend
from archibald.config import load_settings
from archibald.errors import BackendError
from archibald.store.ledger import to_nano
from archibald.store.memory import Memory
from archibald.core.prices import PriceBook
from archibald.providers.registry import Provider
from archibald.core.router import Registry, Router
from archibald.core.tasks import Context, Task, Usage
from stubs.batches import AnthropicBatchStub, OpenAIBatchStub

pytestmark = pytest.mark.timeout(60)  # a batch that never ends must not hang the suite
DAY = 86400.0
FAST = {"window": 0.05, "poll_first": 0.01, "poll_max": 0.02, "min_lead": 10.0,
        "margin": 19.7}


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
def memory(tmp_path: Path) -> Iterator[Memory]:
    m = Memory(f"sqlite:///{tmp_path / 'ledger.db'}")
    yield m
    m.close()


def _backend(name: str, stub: Any, model: str) -> ChatBackend:
    base = stub.base_url + ("/v1" if name == "openai" else "")
    return ChatBackend("premium", model, Provider(name, stub.api_key, base, True), PriceBook(),
                       retry=RetryPolicy(attempts=1))


def _batcher(memory: Memory, backend: ChatBackend, **kw: Any) -> Batcher:
    cls = AnthropicBatches if backend.provider.name == "anthropic" else OpenAIBatches
    return Batcher(BatchStore(memory.engine), {backend.provider.name: cls(backend.provider)},
                   **{**FAST, **kw})


def _task(prompt: str) -> Task:
    return Task("script_writing", {"prompt": prompt, "max_tokens": 900}, "default")


async def _ask(backend: ChatBackend, batcher: Batcher, run_id: str, prompt: str,
               tmp: Path) -> Any:
    ctx = Context(workdir=tmp, extra={"batcher": batcher, "run_id": run_id})
    return await backend.execute(_task(prompt), ctx)


def _billed_usd(stub: Any, provider: str, model: str) -> float:
    """What the stub's batches charged: every request they finished, at the batch price."""
    price = batch_price(PriceBook(), provider, model)
    return sum(price.cost(_usage(provider, b["usage"])) for b in stub.billed)


def _usage(provider: str, u: dict[str, Any]) -> Usage:
    if provider == "anthropic":
        return Usage(input_tokens=u["input_tokens"], output_tokens=u["output_tokens"],
                     requests=1)
    return Usage(input_tokens=u["prompt_tokens"], output_tokens=u["completion_tokens"],
                 requests=1)


def _sync_calls(stub: Any) -> int:
    return len([r for r in stub.requests if r.method == "POST"
                and r.path.rstrip("/").endswith(("/v1/messages", "/chat/completions"))])


# -- point 1: a slow cancel ---------------------------------------------------------------------
def test_a_slow_openai_cancel_is_waited_for_and_only_unfinished_requests_go_synchronously(
        openai: OpenAIBatchStub, memory: Memory, tmp_path: Path) -> None:
    backend = _backend("openai", openai, "gpt-4o-mini")
    openai.polls_to_end = None        # never completes on its own
    openai.cancel_polls = 35          # OpenAI: up to 10 minutes in "cancelling"
    batcher = _batcher(memory, backend)
    batcher.register("run-a", time.time() + 20.0)

    async def both() -> list[Any]:
        return list(await asyncio.gather(_ask(backend, batcher, "run-a", "one", tmp_path),
                                         _ask(backend, batcher, "run-a", "two", tmp_path)))

    outs = asyncio.run(both())
    (b,) = openai.batches.values()
    assert b["status"] == "cancelled" and b["_cancel_polls"] >= 35
    batched = [o for o in outs if o.detail.get("batch")]
    # the request the batch finished (and billed) is used; only the other is sent again
    assert len(batched) == 1 and _sync_calls(openai) == 1 and len(openai.billed) == 1
    assert sum(o.cost for o in batched) == pytest.approx(
        _billed_usd(openai, "openai", "gpt-4o-mini"))


def test_anthropic_results_are_read_only_once_the_cancelled_batch_has_ended(
        anthropic: AnthropicBatchStub, memory: Memory, tmp_path: Path) -> None:
    backend = _backend("anthropic", anthropic, "claude-sonnet-4-5")
    anthropic.polls_to_end = None
    anthropic.cancel_polls = 35
    batcher = _batcher(memory, backend)
    batcher.register("run-a", time.time() + 20.0)

    async def both() -> list[Any]:
        return list(await asyncio.gather(_ask(backend, batcher, "run-a", "one", tmp_path),
                                         _ask(backend, batcher, "run-a", "two", tmp_path)))

    outs = asyncio.run(both())
    (b,) = anthropic.batches.values()
    assert b["status"] == "ended" and b["cancel_polls"] >= 35
    # read once, after it ended (the stub refuses results before, as Anthropic does)
    assert len(anthropic.requests_to("/results")) == 1
    assert [o.detail.get("batch", False) for o in outs].count(True) == 1
    assert _sync_calls(anthropic) == 1 and len(anthropic.billed) == 1


def test_a_batch_that_never_ends_after_its_cancel_is_not_sent_again_and_is_collected_later(
        anthropic: AnthropicBatchStub, memory: Memory, tmp_path: Path) -> None:
    backend = _backend("anthropic", anthropic, "claude-sonnet-4-5")
    anthropic.polls_to_end, anthropic.cancel_polls = None, None
    batcher = _batcher(memory, backend, cancel_wait=0.3)
    batcher.register("run-a", time.time() + 20.0)
    with pytest.raises(BackendError, match="after its cancel"):
        asyncio.run(_ask(backend, batcher, "run-a", "one", tmp_path))
    assert _sync_calls(anthropic) == 0  # it may still bill: not paid a second time
    assert not anthropic.requests_to("/results")
    anthropic.cancel_polls = 1  # it ends at last; the next run collects it
    later = _batcher(memory, backend)
    asyncio.run(later.collect_open())
    (cid,) = later.store.job_ids(next(iter(_open_or_all(later.store))))
    row = later.store.item(cid)
    assert row is not None and row["state"] == "succeeded" and later.store.open_jobs() == []


def _open_or_all(store: BatchStore) -> list[str]:
    from sqlalchemy import select

    from archibald.store.migrations import batch_jobs

    with store.engine.connect() as c:
        return list(c.execute(select(batch_jobs.c.job_key)).scalars())


# -- point 2: a batched call waits for its item's deadline, and no batch goes unrecorded ---------
def _router(memory: Memory, backend: ChatBackend) -> Router:
    registry = Registry()
    registry.register("script_writing", "premium", backend)
    return Router(load_settings(), memory, registry)


async def _routed(router: Router, batcher: Batcher, tmp: Path, prompt: str = "calm") -> Any:
    task = _task(prompt)
    decision = router.decide(task)
    decision.chain = ["premium"]
    ctx = Context(workdir=tmp, extra={"batcher": batcher, "run_id": "r"})
    return await router.run(task, ctx, run_id="r", stage="script_writing", decision=decision)


def _ledger_nano(memory: Memory) -> int:
    return sum(a.cost_nano for a in memory.attempts_of_run("r"))


def test_a_batched_call_is_not_cut_off_by_the_chat_deadline(
        anthropic: AnthropicBatchStub, memory: Memory, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    backend = _backend("anthropic", anthropic, "claude-sonnet-4-5")
    anthropic.polls_to_end = 15  # longer than the (shortened) chat deadline below
    router = _router(memory, backend)
    monkeypatch.setattr(Router, "deadline", lambda self, task, route: 0.2)
    batcher = _batcher(memory, backend, min_lead=3600.0, margin=60.0)
    batcher.register("r", time.time() + DAY)
    result = asyncio.run(_routed(router, batcher, tmp_path))
    assert result.outcome.detail.get("batch") is True and _sync_calls(anthropic) == 0
    assert _ledger_nano(memory) == to_nano(_billed_usd(anthropic, "anthropic",
                                                       "claude-sonnet-4-5"))


def test_a_caller_that_gives_up_leaves_no_batch_unrecorded(
        anthropic: AnthropicBatchStub, memory: Memory, tmp_path: Path) -> None:
    backend = _backend("anthropic", anthropic, "claude-sonnet-4-5")
    anthropic.polls_to_end, anthropic.cancel_polls = None, 3
    router = _router(memory, backend)
    batcher = _batcher(memory, backend, min_lead=3600.0, margin=60.0)
    batcher.register("r", time.time() + DAY)

    async def give_up_then_close() -> None:
        call = asyncio.ensure_future(_routed(router, batcher, tmp_path))
        while not anthropic.batches:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.1)
        call.cancel()  # the item failed elsewhere, or the user stopped it
        with pytest.raises(asyncio.CancelledError):
            await call
        await batcher.close()  # what `archibald batch` does on every way out

    asyncio.run(give_up_then_close())
    assert anthropic.requests_to("/cancel") and len(anthropic.billed) == 1
    (row,) = memory.attempts_of_run("r")
    assert row.status == "settled" and row.price_source.startswith("batch API: ")
    assert _ledger_nano(memory) == to_nano(_billed_usd(anthropic, "anthropic",
                                                       "claude-sonnet-4-5"))


def test_a_rerun_collects_the_batch_a_killed_run_created_and_records_its_bill(
        openai: OpenAIBatchStub, memory: Memory, tmp_path: Path) -> None:
    backend = _backend("openai", openai, "gpt-4o-mini")
    openai.polls_to_end = None
    router = _router(memory, backend)

    async def first_life() -> None:  # killed while the batch runs: only the database remembers
        batcher = _batcher(memory, backend, min_lead=3600.0, margin=60.0)
        batcher.register("r", time.time() + DAY)
        call = asyncio.ensure_future(_routed(router, batcher, tmp_path))
        while not openai.batches:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.1)
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call

    asyncio.run(first_life())
    assert memory.attempts_of_run("r")[0].status == "pending"
    openai.polls_to_end = 1
    batcher = _batcher(memory, backend, min_lead=3600.0, margin=60.0)
    asyncio.run(batcher.collect_open())
    assert len(openai.batches) == 1 and batcher.submitted == 0 and len(openai.billed) == 1
    (row,) = memory.attempts_of_run("r")
    assert row.status == "settled"
    assert _ledger_nano(memory) == to_nano(_billed_usd(openai, "openai", "gpt-4o-mini"))
    # the stage asked again: the answer comes from the batch, its bill is not counted twice
    batcher.register("r", time.time() + DAY)
    again = asyncio.run(_routed(router, batcher, tmp_path))
    assert again.outcome.detail.get("batch") and _sync_calls(openai) == 0
    assert _ledger_nano(memory) == to_nano(_billed_usd(openai, "openai", "gpt-4o-mini"))


# -- point 3: Anthropic's crash windows ---------------------------------------------------------
def test_a_kill_while_anthropic_answers_the_create_finds_and_cancels_that_batch(
        anthropic: AnthropicBatchStub, memory: Memory, tmp_path: Path) -> None:
    backend = _backend("anthropic", anthropic, "claude-sonnet-4-5")
    anthropic.polls_to_end = None
    anthropic.slow(1.0, path="/v1/messages/batches")  # created, but the answer is late

    async def first_life() -> None:
        batcher = _batcher(memory, backend)
        batcher.register("run-a", time.time() + DAY)
        call = asyncio.ensure_future(_ask(backend, batcher, "run-a", "hello", tmp_path))
        while not anthropic.batches:
            await asyncio.sleep(0.01)
        call.cancel()  # killed before the batch id came back

    asyncio.run(first_life())
    assert len(anthropic.batches) == 1
    # other work of the account since then: a batch the lookup must not take for ours
    other = _backend("anthropic", anthropic, "claude-sonnet-4-5")
    foreign = _batcher(memory, other)
    foreign.register("someone-else", time.time() + DAY)
    anthropic.polls_to_end = 1
    asyncio.run(_ask(other, foreign, "someone-else", "their work", tmp_path))
    anthropic.polls_to_end = None
    # re-run after the deadline passed while the process was dead
    batcher = _batcher(memory, backend)
    batcher.register("run-a", time.time() + 5.0)
    out = asyncio.run(_ask(backend, batcher, "run-a", "hello", tmp_path))
    assert anthropic.requests_to("/v1/messages/batches", "GET")  # looked up by listing
    assert len(anthropic.batches) == 2 and batcher.submitted == 0
    ours = [b for b in anthropic.batches.values() if b["cancelled"]]
    assert len(ours) == 1  # found and cancelled, not left to run beside a synchronous call
    assert out.detail.get("batch") and _sync_calls(anthropic) == 0
    assert len(anthropic.billed) == 2


def test_the_anthropic_lookup_pages_through_the_list_and_matches_custom_ids(
        anthropic: AnthropicBatchStub, memory: Memory, tmp_path: Path) -> None:
    backend = _backend("anthropic", anthropic, "claude-sonnet-4-5")
    client = AnthropicBatches(backend.provider)
    batcher = _batcher(memory, backend)
    batcher.register("run-a", time.time() + DAY)
    asyncio.run(_ask(backend, batcher, "run-a", "mine", tmp_path))
    (mine,) = anthropic.batches
    ids = [r["custom_id"] for r in anthropic.batches[mine]["requests"]]
    for n in range(5):  # newer batches of the same size, someone else's
        batcher.register(f"other-{n}", time.time() + DAY)
        asyncio.run(_ask(backend, batcher, f"other-{n}", f"x{n}", tmp_path))

    client.list_page = 2  # three pages to reach it
    assert asyncio.run(client.find("k", ids, time.time() - 60)) == mine
    pages = anthropic.requests_to("/v1/messages/batches", "GET")
    assert [r.q("after_id") is not None for r in pages if r.path.endswith("batches")] \
        == [False, True, True]
    assert asyncio.run(client.find("k", ["arch-nobody"], time.time() - 60)) is None


# -- the stubs speak the providers' types in every new state -----------------------------------
def test_cancelling_and_listed_batches_match_the_official_sdk_types(
        anthropic: AnthropicBatchStub, openai: OpenAIBatchStub, memory: Memory,
        tmp_path: Path) -> None:
    from anthropic.types.messages import MessageBatch, MessageBatchIndividualResponse
    from openai.types import Batch

    for stub, name, model in ((anthropic, "anthropic", "claude-sonnet-4-5"),
                              (openai, "openai", "gpt-4o-mini")):
        stub.polls_to_end, stub.cancel_polls = None, 3
        backend = _backend(name, stub, model)
        batcher = _batcher(memory, backend)
        batcher.register(f"run-{name}", time.time() + 20.0)

        async def both(b: ChatBackend = backend, bt: Batcher = batcher,
                       n: str = name) -> None:
            await asyncio.gather(_ask(b, bt, f"run-{n}", "one", tmp_path),
                                 _ask(b, bt, f"run-{n}", "two", tmp_path))
        asyncio.run(both())
    for b in anthropic.batches.values():
        MessageBatch.model_validate(anthropic._view(b))
        for r in b["results"]:
            MessageBatchIndividualResponse.model_validate(r)
        b2 = dict(b, status="canceling")
        MessageBatch.model_validate(anthropic._view(b2))
    for ob in openai.batches.values():
        Batch.model_validate(openai._view(ob))
        Batch.model_validate(openai._view(dict(ob, status="cancelling")))
    import httpx

    page = httpx.get(anthropic.url("/v1/messages/batches?limit=1"),
                     headers={"x-api-key": anthropic.api_key or "",
                              "anthropic-version": "2023-06-01"}).json()
    assert page["has_more"] is False and len(page["data"]) == 1
    for item in page["data"]:
        MessageBatch.model_validate(item)


# -- timed kills: a real SIGKILL at any moment of a batched call --------------------------------
KILLED = r'''
import asyncio, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[4])
import test_batch_money as t
from archibald.store.memory import Memory

memory = Memory(f"sqlite:///{sys.argv[1]}")
stub = type("S", (), {"base_url": sys.argv[2], "api_key": "sk-ant-stub-key"})()
backend = t._backend("anthropic", stub, "claude-sonnet-4-5")
batcher = t._batcher(memory, backend, min_lead=3600.0, margin=60.0)
batcher.register("r", time.time() + t.DAY)
print("START", flush=True)
asyncio.run(t._routed(t._router(memory, backend), batcher, Path(sys.argv[3])))
'''


@pytest.mark.slow
@pytest.mark.parametrize("kill_after", [0.0, 0.05, 0.15, 0.4])
def test_a_batched_call_killed_at_any_moment_is_paid_once_and_recorded_once(
        anthropic: AnthropicBatchStub, memory: Memory, tmp_path: Path,
        kill_after: float) -> None:
    import os
    import signal
    import subprocess
    import sys

    anthropic.polls_to_end = None  # still processing when the kill comes
    anthropic.slow(0.1, path="/v1/messages/batches")  # the create answer takes a while
    proc = subprocess.Popen([sys.executable, "-c", KILLED, str(tmp_path / "ledger.db"),
                             anthropic.base_url, str(tmp_path), str(Path(__file__).parent)],
                            stdout=subprocess.PIPE, env={**os.environ})
    try:
        assert proc.stdout is not None and proc.stdout.readline().startswith(b"START")
        deadline = time.time() + 20
        while not anthropic.requests_to("/v1/messages/batches", "POST") \
                and time.time() < deadline:
            time.sleep(0.005)
        time.sleep(kill_after)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    anthropic.polls_to_end = 1
    backend = _backend("anthropic", anthropic, "claude-sonnet-4-5")
    batcher = _batcher(memory, backend, min_lead=3600.0, margin=60.0)
    batcher.register("r", time.time() + DAY)
    router = _router(memory, backend)

    async def rerun() -> Any:  # what `archibald batch` does again: collect, then run the item
        await batcher.collect_open()
        return await _routed(router, batcher, tmp_path)

    out = asyncio.run(rerun())
    assert out.outcome.detail.get("batch") is True
    assert len(anthropic.batches) == 1 and _sync_calls(anthropic) == 0  # paid once
    assert len(anthropic.billed) == 1
    assert _ledger_nano(memory) == to_nano(_billed_usd(anthropic, "anthropic",
                                                       "claude-sonnet-4-5"))
    assert all(a.status == "settled" for a in memory.attempts_of_run("r"))
