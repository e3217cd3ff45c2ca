"""`archibald serve` as its own process (issue 22): SIGTERM lets the requests in flight finish
(a plain call and a stream) before it exits 0; with several workers, /metrics on any of them
counts every worker's requests."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from archibald.serve.gateway.keys import Keys
from archibald.store.memory import Memory
from stubs.fixtures import deepseek_stub, provider_env  # noqa: F401

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, tmp: Path, workers: int) -> None:
        db = f"sqlite:///{tmp / 'gw.db'}"
        config = tmp / "archibald.toml"
        config.write_text('[quality]\njudge_model = ""\n')
        memory = Memory(db)
        self.secret = Keys(memory).create("app", budget_usd=5.0)
        memory.close()
        self.port = _free_port()
        env = {**os.environ, "ARCHIBALD_DB": db, "ARCHIBALD_CONFIG": str(config)}
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "archibald", "serve", "--port", str(self.port),
             "--workers", str(workers)], env=env, cwd=tmp, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, start_new_session=True)
        self.base = f"http://127.0.0.1:{self.port}"
        self.headers = {"authorization": f"Bearer {self.secret}"}
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.base + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise AssertionError("the server did not start")

    def chat(self, text: str, **more: Any) -> httpx.Response:
        return httpx.post(self.base + "/v1/chat/completions", headers=self.headers, timeout=60,
                          json={"model": "archibald/auto", "max_tokens": 200,
                                "messages": [{"role": "user", "content": text}], **more})

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=20)


@pytest.fixture
def quiet_stub(deepseek_stub: Any) -> Iterator[Any]:
    deepseek_stub.usage = {"prompt_tokens": 12, "completion_tokens": 8, "total_tokens": 20}
    deepseek_stub.reasoning_tokens = 0
    yield deepseek_stub


def test_sigterm_lets_requests_in_flight_finish(quiet_stub: Any, provider_env: Any,
                                                tmp_path: Path) -> None:
    server = Server(tmp_path, workers=1)
    try:
        assert server.chat("warm up").status_code == 200
        quiet_stub.slow(2.0)  # the next answer takes two seconds
        quiet_stub.stream_delay = 0.3
        results: dict[str, Any] = {}

        def plain() -> None:
            results["plain"] = server.chat("slow one")

        def streamed() -> None:
            with httpx.stream("POST", server.base + "/v1/chat/completions",
                              headers=server.headers, timeout=60,
                              json={"model": "archibald/auto", "stream": True,
                                    "messages": [{"role": "user", "content": "stream"}]}) as r:
                results["stream"] = (r.status_code, r.read().decode())

        threads = [threading.Thread(target=plain), threading.Thread(target=streamed)]
        for t in threads:
            t.start()
        time.sleep(0.8)  # both are in flight
        os.killpg(server.proc.pid, signal.SIGTERM)
        for t in threads:
            t.join(timeout=60)
        assert results["plain"].status_code == 200
        assert results["plain"].json()["choices"][0]["message"]["content"]
        status, text = results["stream"]
        assert status == 200 and text.rstrip().endswith("data: [DONE]")
        # a single uvicorn server re-raises the SIGTERM it caught once it has shut down
        assert server.proc.wait(timeout=60) in (0, -signal.SIGTERM)
    finally:
        server.stop()


def _requests_counted(text: str) -> float:
    return sum(float(m.group(1)) for m in re.finditer(
        r'^archibald_gateway_requests_total\{[^}]*status="200"[^}]*\} (\S+)$', text, re.M))


def test_metrics_of_several_workers_add_up(quiet_stub: Any, provider_env: Any,
                                           tmp_path: Path) -> None:
    server = Server(tmp_path, workers=2)
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            codes = list(pool.map(lambda i: server.chat(f"Reword {i}").status_code, range(24)))
        assert codes == [200] * 24
        for _ in range(4):  # whichever worker answers, it counts them all
            scraped = httpx.get(server.base + "/metrics", headers=server.headers, timeout=10)
            assert _requests_counted(scraped.text) == 24
        os.killpg(server.proc.pid, signal.SIGTERM)
        assert server.proc.wait(timeout=60) == 0
    finally:
        server.stop()
