"""Issue 22's bounded load test: `archibald serve --workers 4` on one PostgreSQL ledger, one key
with a $1 budget, 400 concurrent requests whose maxima add up to seven times that. The key's
spend never passes $1, every request is answered or refused with 429 naming the budget, the
ledger's settled rows equal the sum of the cost headers, and a worker SIGKILLed mid-stream
loses no row: its call stays held until the sweep resolves it."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from archibald.config import load_settings
from archibald.serve.gateway.keys import Keys, channel_of
from archibald.serve.gateway.service import Gateway
from archibald.serve.gateway.sweep import sweep
from archibald.store.ledger import NANO
from archibald.store.memory import Memory
from archibald.store.migrations import attempts
from proc_helpers import children
from stubs.fixtures import deepseek_stub, provider_env  # noqa: F401
from pg_helpers import pg_url, reset_pg

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

BUDGET_USD = 1.0
MAX_TOKENS = 30_000  # a request's maximum: about $0.018 at DeepSeek's output price


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _worker_serving(server: int, gateway_port: int, client_port: int) -> int:
    """The worker process of ``server`` that holds the connection from ``client_port``."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, remote = fields[1].rsplit(":", 1)[1], fields[2].rsplit(":", 1)[1]
            if int(local, 16) == gateway_port and int(remote, 16) == client_port:
                inodes.add(fields[9])
    for pid in children(server):
        try:
            links = {os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")}
        except OSError:
            continue
        if any(f"socket:[{inode}]" in links for inode in inodes):
            return pid
    raise AssertionError("no worker holds the stream's connection")


def test_four_workers_a_one_dollar_key_400_requests_and_a_worker_killed_mid_stream(
        deepseek_stub: Any, provider_env: Any, tmp_path: Path) -> None:
    url = pg_url()
    reset_pg(url)
    deepseek_stub.usage = {"prompt_tokens": 12, "completion_tokens": 20_000,
                           "total_tokens": 20_012}
    deepseek_stub.reasoning_tokens = 0
    # a call the router shrank to fit what is left of the budget is billed within its max_tokens
    deepseek_stub.bills_within_max_tokens = True
    deepseek_stub.reply_text = " ".join(f"w{i}" for i in range(80))
    deepseek_stub.stream_delay = 0.1  # a stream takes eight seconds
    config = tmp_path / "archibald.toml"
    config.write_text('[quality]\njudge_model = ""\n')
    env = {**os.environ, "ARCHIBALD_DB": url, "ARCHIBALD_CONFIG": str(config)}
    memory = Memory(url)
    secret = Keys(memory).create("load", budget_usd=BUDGET_USD)
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "archibald", "serve", "--port", str(port),
                               "--workers", "4"], env=env, cwd=tmp_path,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    headers = {"authorization": f"Bearer {secret}"}
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        # one worker dies in the middle of a stream
        with httpx.stream("POST", base + "/v1/chat/completions", headers=headers, timeout=60,
                          json={"model": "archibald/auto", "stream": True,
                                "max_tokens": MAX_TOKENS,
                                "messages": [{"role": "user", "content": "Eighty words"}]}) as r:
            sock = r.extensions["network_stream"].get_extra_info("socket")
            for line in r.iter_lines():
                if "w3" in line:
                    os.kill(_worker_serving(server.pid, port, sock.getsockname()[1]),
                            signal.SIGKILL)
                    break

        def call(i: int) -> tuple[int, float, str]:
            r = httpx.post(base + "/v1/chat/completions", headers=headers, timeout=120,
                           json={"model": "archibald/auto", "max_tokens": MAX_TOKENS,
                                 "messages": [{"role": "user",
                                               "content": f"Reword number {i}: calm water"}]})
            return r.status_code, float(r.headers.get("x-archibald-cost-usd", 0) or 0), r.text

        with ThreadPoolExecutor(max_workers=100) as pool:
            results = list(pool.map(call, range(400)))
        ok = [r for r in results if r[0] == 200]
        refused = [r for r in results if r[0] == 429]
        assert len(ok) + len(refused) == 400, [r for r in results if r[0] not in (200, 429)][:3]
        assert ok and refused and all("budget" in r[2] and "key 'load'" in r[2]
                                      for r in refused)
        assert 400 * MAX_TOKENS * 0.6e-6 > 7 * BUDGET_USD  # the maxima: far over the budget
        spent = memory.spent_nano(channel=channel_of("load"))
        assert spent <= BUDGET_USD * NANO
        # each answer's settlement is written right after its response is sent: wait for
        # the last few (pending until then, their maxima still held)
        deadline = time.monotonic() + 20
        while True:
            with memory.engine.connect() as conn:
                rows = list(conn.execute(select(attempts).where(
                    attempts.c.channel == channel_of("load"))).mappings())
            settled = [r for r in rows if r["status"] == "settled"]
            held = [r for r in rows if r["status"] != "settled"]
            if len(settled) >= len(ok) or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert len(settled) == len(ok)
        assert abs(sum(r["cost_nano"] for r in settled) / NANO - sum(r[1] for r in ok)) < 1e-9
        # the killed worker's stream: one row, held at its maximum, not lost
        assert [r["status"] for r in held] == ["pending"]
        # a key's requests per minute are counted over all the workers, in the store
        paced = Keys(memory).create("paced", rpm=5)
        with ThreadPoolExecutor(max_workers=12) as pool:
            codes = list(pool.map(lambda i: httpx.post(
                base + "/v1/chat/completions", headers={"authorization": f"Bearer {paced}"},
                timeout=60, json={"model": "archibald/auto", "messages": [
                    {"role": "user", "content": f"hi {i}"}]}).status_code, range(12)))
        assert sorted(set(codes)) == [200, 429]
        assert codes.count(200) in (5, 10)  # 10 only when the calls straddle a minute
        os.killpg(server.pid, signal.SIGTERM)
        assert server.wait(timeout=60) == 0
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
    gw = Gateway(load_settings(str(config)), memory)
    try:
        done = asyncio.run(sweep(gw, now=time.time() + 7200))
        assert done["unknown"] == 1  # sent, no answer kept: held at its maximum, resolved
        assert memory.pending_attempts("gw-", before=time.time() + 7200) == []
        assert memory.spent_nano(channel=channel_of("load")) <= BUDGET_USD * NANO
    finally:
        gw.close()
        reset_pg(url)
