"""The gateway's added latency: the same chat request sent straight to an upstream and through
`archibald serve`, N requests at C concurrent clients, p50 and p99 of each and their
difference.

The upstream is a minimal OpenAI-compatible server on loopback (uvicorn, a fixed answer and
usage, no work), so what is measured is the hop itself: authentication, the request's
analysis, the router's decision, the reservation and settlement in the ledger (SQLite in one
process), LiteLLM's call and the answer's re-encoding.

    .venv/bin/python benchmarks/bench_gateway.py [--requests 2000] [--concurrency 50]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import httpx

UPSTREAM = textwrap.dedent('''
    import time
    from fastapi import FastAPI
    app = FastAPI()
    BODY = {"id": "chatcmpl-bench", "object": "chat.completion", "created": 0,
            "model": "deepseek-v4-flash", "choices": [{"index": 0, "finish_reason": "stop",
            "message": {"role": "assistant", "content": "Calm water, said another way."}}],
            "usage": {"prompt_tokens": 12, "completion_tokens": 9, "total_tokens": 21}}
    @app.post("/chat/completions")
    @app.post("/v1/chat/completions")
    async def chat() -> dict:
        return {**BODY, "created": int(time.time())}
''')


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not start")


async def _load(url: str, headers: dict[str, str], body: dict, n: int, c: int) -> list[float]:
    times: list[float] = []
    sem = asyncio.Semaphore(c)
    limits = httpx.Limits(max_connections=c, max_keepalive_connections=c)
    async with httpx.AsyncClient(limits=limits, timeout=120) as client:
        async def one() -> None:
            async with sem:
                start = time.perf_counter()
                r = await client.post(url, json=body, headers=headers)
                r.raise_for_status()
                times.append(time.perf_counter() - start)
        await asyncio.gather(*(one() for _ in range(n)))
    return times


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--concurrency", type=int, default=50)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-gateway-"))
    (work / "upstream.py").write_text(UPSTREAM)
    up_port, gw_port = _port(), _port()
    env = {**os.environ, "ARCHIBALD_HOME": str(work / "home"),
           "DEEPSEEK_API_KEY": "sk-bench-0123456789", "DEEPSEEK_BASE_URL":
           f"http://127.0.0.1:{up_port}", "ANTHROPIC_API_KEY": "", "OPENAI_API_KEY": ""}
    (work / "archibald.toml").write_text('[quality]\njudge_model = ""\n')
    env["ARCHIBALD_CONFIG"] = str(work / "archibald.toml")
    procs = [subprocess.Popen([sys.executable, "-m", "uvicorn", "upstream:app", "--port",
                               str(up_port), "--log-level", "warning"], cwd=work, env=env)]
    try:
        key = subprocess.run([sys.executable, "-m", "archibald", "keys", "create", "bench"],
                             env=env, capture_output=True, text=True, check=True).stdout.strip()
        procs.append(subprocess.Popen([sys.executable, "-m", "archibald", "serve", "--port",
                                       str(gw_port)], env=env, cwd=work,
                                      stdout=subprocess.DEVNULL))
        _wait(f"http://127.0.0.1:{up_port}/docs")
        _wait(f"http://127.0.0.1:{gw_port}/healthz")
        body = {"model": "deepseek-v4-flash", "max_tokens": 64,
                "messages": [{"role": "user", "content": "Reword: calm water"}]}
        direct_url = f"http://127.0.0.1:{up_port}/chat/completions"
        gw_url = f"http://127.0.0.1:{gw_port}/v1/chat/completions"
        gw_body = {**body, "model": "archibald/auto:cheap"}
        # warm up both paths
        asyncio.run(_load(direct_url, {}, body, 50, 10))
        asyncio.run(_load(gw_url, {"authorization": f"Bearer {key}"}, gw_body, 50, 10))
        direct = asyncio.run(_load(direct_url, {}, body, args.requests, args.concurrency))
        start = time.perf_counter()
        through = asyncio.run(_load(gw_url, {"authorization": f"Bearer {key}"}, gw_body,
                                    args.requests, args.concurrency))
        wall = time.perf_counter() - start
        print(f"{args.requests} requests at {args.concurrency} concurrent clients")
        for name, xs in (("direct to the upstream", direct), ("through the gateway", through)):
            print(f"  {name:<24} p50 {_pct(xs, 0.5):8.1f} ms   p99 {_pct(xs, 0.99):8.1f} ms")
        print(f"  added                    p50 {_pct(through, 0.5) - _pct(direct, 0.5):8.1f} ms"
              f"   p99 {_pct(through, 0.99) - _pct(direct, 0.99):8.1f} ms")
        print(f"  gateway throughput {args.requests / wall:.0f} requests/s, "
              f"mean {statistics.mean(through) * 1000:.1f} ms")
    finally:
        for p in procs:
            p.terminate()
            p.wait(timeout=30)


if __name__ == "__main__":
    main()
