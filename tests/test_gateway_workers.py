"""`archibald serve --workers 4` on one PostgreSQL store (issue 22): one key's budget is never
overshot by concurrent requests spread over the workers, every request is answered or refused
with 429 naming the budget, the ledger equals the cost headers, and SIGTERM drains."""

from __future__ import annotations

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

from archibald.serve.gateway.keys import Keys, channel_of
from archibald.store.ledger import NANO
from archibald.store.memory import Memory
from stubs.fixtures import deepseek_stub, provider_env  # noqa: F401
from pg_helpers import pg_url, reset_pg

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

BUDGET_USD = 0.002


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_four_workers_share_one_ledger_and_never_overshoot_a_key(
        deepseek_stub: Any, provider_env: Any, tmp_path: Path) -> None:
    url = pg_url()
    reset_pg(url)
    # usage a real provider could report: no more prompt tokens than the prompt, no more
    # output than max_tokens
    deepseek_stub.usage = {"prompt_tokens": 12, "completion_tokens": 40, "total_tokens": 52}
    deepseek_stub.reasoning_tokens = 0
    config = tmp_path / "archibald.toml"
    config.write_text('[quality]\njudge_model = ""\n')
    env = {**os.environ, "ARCHIBALD_DB": url, "ARCHIBALD_CONFIG": str(config)}
    memory = Memory(url)
    secret = Keys(memory).create("load", budget_usd=BUDGET_USD)
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "archibald", "serve", "--port", str(port),
                               "--workers", "4"], env=env, cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        headers = {"authorization": f"Bearer {secret}"}

        def call(i: int) -> tuple[int, float, str]:
            r = httpx.post(base + "/v1/chat/completions", headers=headers, timeout=120,
                           json={"model": "archibald/auto", "max_tokens": 2000, "messages": [
                               {"role": "user", "content": f"Reword number {i}: calm water"}]})
            return r.status_code, float(r.headers.get("x-archibald-cost-usd", 0) or 0), r.text

        with ThreadPoolExecutor(max_workers=40) as pool:
            results = list(pool.map(call, range(200)))
        ok = [r for r in results if r[0] == 200]
        refused = [r for r in results if r[0] == 429]
        assert len(ok) + len(refused) == len(results), [r for r in results
                                                        if r[0] not in (200, 429)][:3]
        assert ok and refused and all("budget" in r[2] for r in refused)
        # SIGTERM: the server drains (every answer sent is settled) and exits cleanly
        os.killpg(server.pid, signal.SIGTERM)
        assert server.wait(timeout=60) == 0
        spent = memory.spent_nano(channel=channel_of("load"))
        assert spent <= BUDGET_USD * NANO
        assert abs(spent / NANO - sum(r[1] for r in ok)) < 1e-9
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        memory.close()
        reset_pg(url)
