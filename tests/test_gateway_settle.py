"""An answer goes out before its settlement is written (the commit is off the app's wait), and
is settled right after it, whatever happens to its request: the pending row holds the call's
maximum and the wire row keeps the answer in between, so no money is lost or counted short."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from archibald.config import load_settings
from archibald.serve.app import create_app
from archibald.serve.gateway.service import Gateway, Request
from archibald.store.writeahead import kept_answer
from stubs.fixtures import anthropic_stub, deepseek_stub, openai_stub, provider_env  # noqa: F401


def _gateway() -> Gateway:
    return Gateway(load_settings(None, {"quality": {"judge_model": ""}}))


def _ask(text: str = "Reword: calm sea") -> Request:
    return Request(model="archibald/auto:cheap",
                   messages=[{"role": "user", "content": text}], max_tokens=64)


def test_an_answer_is_pending_with_its_answer_kept_until_it_is_finished(
        deepseek_stub, provider_env) -> None:  # noqa: F811
    gateway = _gateway()
    key = gateway.keys.create("k", budget_usd=1.0)
    found = gateway.keys.find(key)
    assert found is not None

    async def main() -> None:
        answer = await gateway.complete(found, _ask())
        [row] = gateway.memory.attempts_of_run(answer.id)
        assert row.status == "pending" and row.max_cost_nano > 0  # its maximum still held
        assert row.id is not None
        kept = kept_answer(gateway.memory.engine, row.id)
        assert kept is not None and kept.state == "answered"  # what a kill would settle from
        waiting = asyncio.create_task(gateway.finished(answer.id))
        await asyncio.sleep(0.01)
        assert not waiting.done()  # feedback on it waits for its settlement
        answer.finish()
        answer.finish()  # once
        await asyncio.wait_for(waiting, 1)
        [row] = gateway.memory.attempts_of_run(answer.id)
        assert row.status == "settled" and row.checked and row.cost_nano == answer.cost_nano
        assert row.id is not None and kept_answer(gateway.memory.engine, row.id) is None
        assert gateway.memory.spent_nano(channel=found.channel) == answer.cost_nano
        assert not gateway.inflight
        await gateway.close_clients()
    try:
        asyncio.run(main())
    finally:
        gateway.close()


def test_a_request_cancelled_before_its_response_still_settles_its_answer(
        deepseek_stub, provider_env) -> None:  # noqa: F811
    gateway = _gateway()
    key = gateway.keys.create("k")
    found = gateway.keys.find(key)
    assert found is not None
    answers: list[Any] = []

    async def main() -> None:
        async def request() -> None:  # a request task that ends before its response is sent
            answers.append(await gateway.complete(found, _ask()))
            raise asyncio.CancelledError

        task = asyncio.create_task(request())
        await asyncio.gather(task, return_exceptions=True)
        await asyncio.sleep(0)
        await gateway.close_clients()
    try:
        asyncio.run(main())
        [answer] = answers
        [row] = gateway.memory.attempts_of_run(answer.id)
        assert row.status == "settled" and row.cost_nano == answer.cost_nano > 0
        assert not gateway.inflight
    finally:
        gateway.close()


def test_feedback_the_moment_an_answer_arrives_finds_it_settled(
        deepseek_stub, provider_env) -> None:  # noqa: F811
    app = create_app(load_settings(None, {"quality": {"judge_model": ""}}))

    async def main() -> None:
        async with app.router.lifespan_context(app):
            gateway = app.state.gateway
            key = gateway.keys.create("k")
            found = gateway.keys.find(key)
            answer = await gateway.complete(found, _ask())  # sent, not yet finished
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                posted = asyncio.create_task(client.post(
                    "/v1/feedback", headers={"authorization": f"Bearer {key}"},
                    json={"response_id": answer.id, "rating": "down"}))
                await asyncio.sleep(0.05)
                answer.finish()
                reply = await posted
            assert reply.status_code == 200, reply.text
            assert reply.json()["evidence"] == "human" and reply.json()["quality"] == 0.0
    asyncio.run(main())


def test_a_gateways_working_folder_clears_only_those_dead_processes_left(tmp_path) -> None:
    import os
    import subprocess
    import sys

    from archibald.serve.gateway.service import WORKDIR_PREFIX, working_folder

    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    dead = int(done.stdout)  # a process that has ended
    left = tmp_path / f"{WORKDIR_PREFIX}{dead}-abc"
    (left / "sub").mkdir(parents=True)
    (left / "sub" / "part.wav").write_bytes(b"x")
    alive = tmp_path / f"{WORKDIR_PREFIX}{os.getpid()}-def"
    alive.mkdir()
    older = tmp_path / f"{WORKDIR_PREFIX}00erog5h"  # no pid in its name: not judged
    older.mkdir()
    outside = tmp_path / "keep"
    outside.mkdir()
    (outside / "mine.txt").write_text("kept")
    (tmp_path / f"{WORKDIR_PREFIX}{dead}-lnk").symlink_to(outside)
    fresh = working_folder(tmp_path)
    assert not left.exists()
    assert alive.is_dir() and older.is_dir() and (outside / "mine.txt").read_text() == "kept"
    assert fresh.is_dir() and fresh.name.startswith(f"{WORKDIR_PREFIX}{os.getpid()}-")


def test_a_batch_that_fails_is_tried_again_each_wait_longer_and_said_once(
        provider_env: Any, caplog: Any, monkeypatch: Any) -> None:
    import logging

    from archibald.serve.gateway import service

    gw = _gateway()
    tries: list[float] = []
    waits: list[float] = []

    def flush(*, waited: float = 0.0) -> None:
        tries.append(waited)
        if len(tries) < 5:
            raise OSError("disk I/O error")
    monkeypatch.setattr(gw.memory, "flush", flush)
    monkeypatch.setattr(service, "SETTLE_WITHIN", 0.001)
    monkeypatch.setattr(service, "FLUSH_RETRY_MAX", 0.004)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        later = loop.call_later

        def timed(delay: float, *args: Any) -> Any:
            if args and getattr(args[0], "__name__", "") == "_flush":
                waits.append(delay)
            return later(delay, *args)
        monkeypatch.setattr(loop, "call_later", timed)
        gw._flush()
        while len(tries) < 5:
            await asyncio.sleep(0.005)

    with caplog.at_level(logging.DEBUG, logger="archibald.serve"):
        asyncio.run(main())
    assert len(tries) == 5
    assert waits == [0.001, 0.002, 0.004, 0.004]  # twice the last, up to the most
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(failures) == 1 and "trying again" in failures[0].getMessage()
    assert any("written on a retry" in r.getMessage() for r in caplog.records)
    gw.close()
