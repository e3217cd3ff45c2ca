"""What a killed gateway worker leaves is resolved (issue 22): a call never sent is released at
$0, an answer kept from the wire is settled at what the provider billed, a call in flight is
held unknown at its maximum; a young pending row (perhaps a live worker's) is left alone; and
a worker SIGKILLed mid-stream loses no settled row."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from archibald.config import load_settings
from archibald.serve.gateway.keys import Keys, channel_of
from archibald.serve.gateway.service import Gateway
from archibald.serve.gateway.sweep import sweep
from archibald.store.ledger import NANO, Attempt, to_nano
from archibald.store.memory import Memory
from archibald.store.writeahead import WireLog
from stubs.fixtures import deepseek_stub, provider_env  # noqa: F401

MAX_USD = 0.01


def _gateway(tmp_path: Path) -> Gateway:
    settings = load_settings(None, {"quality": {"judge_model": ""}})
    return Gateway(settings, Memory(f"sqlite:///{tmp_path / 'gw.db'}"))


def _reserve(gw: Gateway, run_id: str, created_at: float) -> Attempt:
    backend = gw.router.registry.get("chat_simple", "budget")
    assert backend is not None
    a = Attempt(task_type="chat_simple", route="budget", backend=backend.name, success=False,
                cost_nano=0, baseline_nano=0, channel=channel_of("app"), run_id=run_id,
                stage="chat_simple", max_cost_nano=to_nano(MAX_USD), created_at=created_at)
    gw.memory.reserve(a, lambda spent: None)
    return a


def _row(gw: Gateway, attempt: Attempt) -> dict[str, Any]:
    from sqlalchemy import select

    from archibald.store.migrations import attempts

    with gw.memory.engine.connect() as conn:
        return dict(conn.execute(select(attempts).where(
            attempts.c.id == attempt.id)).mappings().one())


def test_the_sweep_releases_settles_or_holds_what_a_killed_worker_left(
        deepseek_stub: Any, provider_env: Any, tmp_path: Path) -> None:
    gw = _gateway(tmp_path)
    try:
        then = time.time() - 7200
        never_sent = _reserve(gw, "gw-never", then)
        in_flight = _reserve(gw, "gw-flight", then)
        WireLog(gw.memory.engine, in_flight.id or 0).sending()
        answered = _reserve(gw, "gw-answered", then)
        body = {"id": "chatcmpl-1", "object": "chat.completion", "created": 1,
                "model": "deepseek-flash", "choices": [{"index": 0, "finish_reason": "stop",
                                                        "message": {"role": "assistant",
                                                                    "content": "calm"}}],
                "usage": {"prompt_tokens": 1000, "completion_tokens": 500,
                          "total_tokens": 1500}}
        log = WireLog(gw.memory.engine, answered.id or 0)
        log.sending()
        log.answered(200, {"content-type": "application/json"}, json.dumps(body).encode())
        young = _reserve(gw, "gw-young", time.time() - 50)

        done = asyncio.run(sweep(gw))
        assert done == {"released": 1, "settled": 1, "unknown": 1, "waiting": 1}
        r = _row(gw, never_sent)
        assert (r["status"], r["cost_nano"]) == ("settled", 0) and "before" in r["error"]
        r = _row(gw, in_flight)
        assert r["status"] == "unknown" and r["max_cost_nano"] == to_nano(MAX_USD)
        r = _row(gw, answered)
        backend = gw.router.registry.get("chat_simple", "budget")
        price = backend.prices.model(backend.model)  # type: ignore[union-attr]
        billed = 1000 * price.input_per_token + 500 * price.output_per_token
        assert r["status"] == "settled" and abs(r["cost_nano"] / NANO - billed) < 1e-9
        assert json.loads(r["usage"])["output_tokens"] == 500 and not r["success"]
        assert _row(gw, young)["status"] == "pending"  # perhaps a live worker's: left alone
        # what the key is charged: the unknown call's maximum and the billed answer, no more
        spent = gw.memory.spent_nano(channel=channel_of("app"))
        assert spent == to_nano(MAX_USD) + r["cost_nano"] + to_nano(MAX_USD)  # young held
        # once its deadline has passed, the young one is resolved too
        assert asyncio.run(sweep(gw, now=time.time() + 7200))["released"] == 1
    finally:
        gw.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_a_worker_killed_mid_stream_loses_no_row_and_holds_no_reservation_for_ever(
        deepseek_stub: Any, provider_env: Any, tmp_path: Path) -> None:
    deepseek_stub.reply_text = " ".join(f"w{i}" for i in range(60))
    deepseek_stub.usage = {"prompt_tokens": 12, "completion_tokens": 60, "total_tokens": 72}
    deepseek_stub.reasoning_tokens = 0
    db = f"sqlite:///{tmp_path / 'gw.db'}"
    config = tmp_path / "archibald.toml"
    config.write_text('[quality]\njudge_model = ""\n')
    memory = Memory(db)
    secret = Keys(memory).create("app", budget_usd=5.0)
    memory.close()
    port = _free_port()
    env = {**os.environ, "ARCHIBALD_DB": db, "ARCHIBALD_CONFIG": str(config)}
    server = subprocess.Popen([sys.executable, "-m", "archibald", "serve", "--port", str(port)],
                              env=env, cwd=tmp_path, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    headers = {"authorization": f"Bearer {secret}"}
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        first = httpx.post(base + "/v1/chat/completions", headers=headers, timeout=30,
                           json={"model": "archibald/auto",
                                 "messages": [{"role": "user", "content": "Say hello"}]})
        assert first.status_code == 200
        paid = float(first.headers["x-archibald-cost-usd"])
        deepseek_stub.stream_delay = 0.1  # six seconds of stream
        with httpx.stream("POST", base + "/v1/chat/completions", headers=headers, timeout=30,
                          json={"model": "archibald/auto", "stream": True,
                                "messages": [{"role": "user", "content": "Sixty words"}]}) as r:
            for line in r.iter_lines():
                if "w2" in line:
                    os.killpg(server.pid, signal.SIGKILL)  # the worker dies mid-stream
                    break
        server.wait(timeout=10)
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)
    gw = _gateway(tmp_path)
    gw.memory.close()
    gw.memory = Memory(db)
    try:
        from sqlalchemy import select

        from archibald.store.migrations import attempts

        with gw.memory.engine.connect() as conn:
            rows = list(conn.execute(select(attempts).order_by(attempts.c.id)).mappings())
        assert [r["status"] for r in rows] == ["settled", "pending"]
        assert abs(rows[0]["cost_nano"] / NANO - paid) < 1e-12  # the settled row is intact
        assert asyncio.run(sweep(gw))["waiting"] == 1  # within its deadline: left alone
        assert asyncio.run(sweep(gw, now=time.time() + 7200))["unknown"] == 1
        with gw.memory.engine.connect() as conn:
            rows = list(conn.execute(select(attempts).order_by(attempts.c.id)).mappings())
        assert [r["status"] for r in rows] == ["settled", "unknown"]
        assert gw.memory.pending_attempts("gw-", before=time.time() + 7200) == []
    finally:
        gw.close()
