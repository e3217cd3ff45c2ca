"""The gateway's added latency: the same chat request sent straight to an upstream and through
`archibald serve`, N requests from C concurrent clients, p50 and p99 of each and their
difference.

The upstream is a minimal OpenAI-compatible server on loopback (a bare ASGI app on uvicorn, a
fixed answer and usage), so what is measured is the hop itself: authentication, the request's
analysis, the router's decision, the reservation and settlement in the ledger (SQLite in one
process), the provider's call and the answer's re-encoding.

With ``--litellm PATH`` (the ``litellm`` command of an environment with ``litellm[proxy]``,
installed for the benchmark only, e.g. ``python -m venv /tmp/llp && /tmp/llp/bin/pip install
'litellm[proxy]==1.106.12'``), LiteLLM's own proxy is measured in the same run on the same
upstream: one worker, a master key, no database (so it keeps no spend log, where Archibald's
gateway reserves and settles every call in its ledger).

    .venv/bin/python benchmarks/bench_gateway.py [--requests 2000] [--concurrency 50]
        [--litellm /tmp/llp/bin/litellm] [--workers 1] [--upstream-ms 250]
        [--upstream-spread 0.5] [--ramp-ms U] [--model archibald/auto:cheap] [--pin]

By default the stub answers each request in 250 ms +- 50 % (drawn uniformly, the same draws
for every side), as a provider's short answers take a varying time. The two other shapes are
stress cases, not latency: ``--upstream-ms 0`` makes 50 clients a throughput test (each
request waits behind the others for the one worker's CPU, direct or not), and
``--upstream-spread 0`` (a provider that always takes exactly the same time) lets closed-loop
clients bunch into trains that arrive together every cycle.

The clients are Locust's kind of users: each sends its next request when its last is
answered, and they start one by one over ``--ramp-ms`` (by default one upstream answering
time), as a load test ramps up, instead of 50 requests in the same instant. Each request asks
the stub for its answering time in its prompt: with ``--upstream-spread`` the times vary as a
provider's do (the same draws, in the same order, for every side), and each request's time is
counted less its upstream's, so the answering times' own spread does not blur the figures.

Two measures of what a proxy adds. *Added latency*: each side's p50/p99 (time less the
upstream's) less the direct call's, in the same run (the direct side runs first and again
last; the lower of its two figures is the reference). *Own time*: what each proxy reports of a
request as its own, its latency less the time it waited on the upstream
(``x-archibald-overhead-ms``; LiteLLM's ``x-litellm-overhead-duration-ms``, the figure behind
its published 2 ms p50 / 13 ms p99); it starts when the app is handed the request, so a wait
in the server's queue before that counts in the added latency only. *CPU a request*: each
proxy's processes' user and system time over its side of the run (``/proc``), per request.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

import httpx

UPSTREAM = textwrap.dedent('''
    # a provider that answers each request after the time its prompt names ("[upstream 187.5
    # ms]"; else BENCH_UPSTREAM_MS), on a bare ASGI app: the load generator's stub should cost
    # the two shared cores as little as it can, so what is measured is the proxies
    import asyncio, json, os, re, time
    DELAY = float(os.environ.get("BENCH_UPSTREAM_MS", "0")) / 1000
    ASKED = re.compile(rb"\\[upstream ([0-9.]+) ms\\]")
    BODY = {"id": "chatcmpl-bench", "object": "chat.completion", "created": 0,
            "model": "deepseek-v4-flash", "choices": [{"index": 0, "finish_reason": "stop",
            "message": {"role": "assistant", "content": "Calm water, said another way."}}],
            "usage": {"prompt_tokens": 12, "completion_tokens": 9, "total_tokens": 21}}
    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if scope["method"] == "POST":
            found = ASKED.search(body)
            delay = float(found.group(1)) / 1000 if found else DELAY
            if delay:
                await asyncio.sleep(delay)  # a provider's time to write the answer
            out = json.dumps({**BODY, "created": int(time.time())}).encode()
        else:
            out = b"{}"
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": out})
''')


LITELLM_KEY = "sk-bench-master-0123456789abcdef"
LITELLM_CONFIG = textwrap.dedent('''
    model_list:
      - model_name: bench
        litellm_params:
          model: openai/deepseek-v4-flash
          api_base: http://127.0.0.1:{port}/v1
          api_key: sk-bench-0123456789
    litellm_settings:
      num_retries: 0
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


#: the header in which each side reports its own time in a request (total less upstream)
OVERHEAD_HEADERS = ("x-archibald-overhead-ms", "x-litellm-overhead-duration-ms")


async def _load(url: str, headers: dict[str, str], body: dict, n: int, c: int,
                overheads: list[float] | None = None, errors: list[str] | None = None,
                delays: list[float] | None = None, ramp: float = 0.0) -> list[float]:
    """``n`` requests from ``c`` clients, each sending its next request when its last is
    answered (Locust's users), the clients starting one by one over ``ramp`` seconds: each
    answered request's time (and its proxy's own time into ``overheads``); a failed one is
    named in ``errors`` (raised when none is given). ``delays``: the upstream's answering time
    of each request, ms (asked in its prompt), and what is returned is then each request's
    time less its upstream's.

    The client is aiohttp on one connection pool: the load generator shares the two cores
    with the proxies, so it should cost them as little as it can."""
    import aiohttp

    times: list[float] = []
    text = body["messages"][-1]["content"]
    order = iter(range(n))
    connector = aiohttp.TCPConnector(limit=c, keepalive_timeout=60)
    async with aiohttp.ClientSession(connector=connector, headers=headers,
                                     timeout=aiohttp.ClientTimeout(total=120)) as client:
        async def one(i: int) -> None:
            waited = delays[i % len(delays)] if delays else 0.0
            payload = body if not delays else {
                **body, "messages": [{"role": "user", "content": f"{text} [upstream "
                                                                 f"{waited:.1f} ms]"}]}
            start = time.perf_counter()
            try:
                async with client.post(url, json=payload) as r:
                    await r.read()
                    r.raise_for_status()
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                if errors is None:
                    raise
                errors.append(f"{type(exc).__name__} {getattr(exc, 'status', '')}".strip())
                return
            times.append(time.perf_counter() - start - waited / 1000)
            said = next((r.headers[h] for h in OVERHEAD_HEADERS if h in r.headers), None)
            if overheads is not None and said is not None:
                overheads.append(float(said) / 1000)

        async def user(k: int) -> None:
            await asyncio.sleep(k * ramp / c)
            for i in order:
                await one(i)
        await asyncio.gather(*(user(k) for k in range(c)))
    return times


def _cpu_seconds(pid: int) -> float:
    """User and system CPU of process ``pid`` and every process under it (a proxy's
    workers), from /proc; 0 where there is no /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        children = " ".join(p.read_text() for p in Path(f"/proc/{pid}/task").glob(
            "*/children")).split()
    except OSError:
        return 0.0
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return own + sum(_cpu_seconds(int(c)) for c in children)


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--concurrency", type=int, default=50)
    ap.add_argument("--litellm", help="the litellm command of an env with litellm[proxy]")
    ap.add_argument("--workers", type=int, default=1, help="archibald serve --workers")
    ap.add_argument("--model", default="archibald/auto:cheap",
                    help="the gateway's model: archibald/auto decides from learned evidence")
    ap.add_argument("--upstream-ms", type=float, default=250.0,
                    help="the stub provider's time to answer (0: at once)")
    ap.add_argument("--upstream-spread", type=float, default=0.5,
                    help="each request's answering time drawn uniformly within +- this share "
                         "of --upstream-ms (0.5: 125-375 ms for 250), the same draws for "
                         "every side; 0: every answer takes --upstream-ms")
    ap.add_argument("--ramp-ms", type=float, default=None,
                    help="the clients start one by one over this time, as a load test ramps "
                         "its users up (default: --upstream-ms; 0: all at the same instant)")
    ap.add_argument("--pin", action="store_true",
                    help="the proxies on CPU 0, the clients and the upstream on CPU 1 (as a "
                         "proxy deployed on a CPU of its own), where the machine has two")
    args = ap.parse_args()
    proxy_cpu: dict[str, Any] = {}
    if args.pin:
        os.sched_setaffinity(0, {1})  # this process (the clients) and the upstream it starts
        proxy_cpu["preexec_fn"] = lambda: os.sched_setaffinity(0, {0})
    work = Path(tempfile.mkdtemp(prefix="bench-gateway-"))
    (work / "upstream.py").write_text(UPSTREAM)
    up_port, gw_port = _port(), _port()
    env = {**os.environ, "ARCHIBALD_HOME": str(work / "home"),
           "BENCH_UPSTREAM_MS": str(args.upstream_ms),
           "DEEPSEEK_API_KEY": "sk-bench-0123456789", "DEEPSEEK_BASE_URL":
           f"http://127.0.0.1:{up_port}", "ANTHROPIC_API_KEY": "", "OPENAI_API_KEY": ""}
    (work / "archibald.toml").write_text('[quality]\njudge_model = ""\n')
    env["ARCHIBALD_CONFIG"] = str(work / "archibald.toml")
    procs = [subprocess.Popen([sys.executable, "-m", "uvicorn", "upstream:app", "--port",
                               str(up_port), "--log-level", "warning", "--no-access-log"],
                              cwd=work, env=env)]
    try:
        key = subprocess.run([sys.executable, "-m", "archibald", "keys", "create", "bench"],
                             env=env, capture_output=True, text=True, check=True).stdout.strip()
        procs.append(subprocess.Popen([sys.executable, "-m", "archibald", "serve", "--port",
                                       str(gw_port), "--workers", str(args.workers)], env=env,
                                      cwd=work, stdout=subprocess.DEVNULL, **proxy_cpu))
        ll_port = _port()
        if args.litellm:
            (work / "litellm.yaml").write_text(LITELLM_CONFIG.format(port=up_port))
            procs.append(subprocess.Popen(
                [args.litellm, "--config", str(work / "litellm.yaml"), "--host", "127.0.0.1",
                 "--port", str(ll_port), "--num_workers", "1"], cwd=work,
                env={**env, "LITELLM_MASTER_KEY": LITELLM_KEY,
                     "LITELLM_LOCAL_MODEL_COST_MAP": "True", "LITELLM_LOG": "ERROR"},
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **proxy_cpu))
            _wait(f"http://127.0.0.1:{ll_port}/health/liveliness")
        _wait(f"http://127.0.0.1:{up_port}/docs")
        _wait(f"http://127.0.0.1:{gw_port}/healthz")
        body = {"model": "deepseek-v4-flash", "max_tokens": 64,
                "messages": [{"role": "user", "content": "Reword: calm water"}]}
        direct_url = f"http://127.0.0.1:{up_port}/chat/completions"
        gw_url = f"http://127.0.0.1:{gw_port}/v1/chat/completions"
        gw_body = {**body, "model": args.model}
        sides = [("direct to the upstream", direct_url, {}, body),
                 ("through the gateway", gw_url, {"authorization": f"Bearer {key}"}, gw_body)]
        if args.litellm:
            sides.append(("through LiteLLM's proxy", f"http://127.0.0.1:{ll_port}/v1/chat/"
                          f"completions", {"authorization": f"Bearer {LITELLM_KEY}"},
                          {**body, "model": "bench"}))
        # the direct side again after the proxies: the machine's own hiccups (a VM's stolen
        # time) land in one run or the other, and the added latency counts against the
        # better of the two, so a stall in the reference never reads as a proxy's speed
        sides.append(("direct, again", direct_url, {}, body))
        ramp = args.upstream_ms if args.ramp_ms is None else args.ramp_ms
        for _, url, headers, payload in sides[:-1]:  # warm up every path, at full concurrency
            asyncio.run(_load(url, headers, payload, 2 * args.concurrency, args.concurrency,
                              ramp=ramp / 1000))
        # every side's requests ask the upstream for the same answering times, in the same order
        draw = random.Random(7)
        delays = [args.upstream_ms * (1 + args.upstream_spread * (2 * draw.random() - 1))
                  for _ in range(args.requests)] if args.upstream_ms else None
        times, walls, own, failed, cpu = {}, {}, {}, {}, {}
        pids = {"through the gateway": procs[1].pid}
        if args.litellm:
            pids["through LiteLLM's proxy"] = procs[2].pid
        for name, url, headers, payload in sides:
            used = _cpu_seconds(pids[name]) if name in pids else 0.0
            start = time.perf_counter()
            own[name], failed[name] = [], []
            times[name] = asyncio.run(_load(url, headers, payload, args.requests,
                                            args.concurrency, own[name], failed[name], delays,
                                            ramp / 1000))
            walls[name] = time.perf_counter() - start
            if name in pids:
                cpu[name] = _cpu_seconds(pids[name]) - used
        spread = f" +- {args.upstream_spread:.0%}" if args.upstream_spread else ""
        print(f"{args.requests} requests at {args.concurrency} concurrent clients, the "
              f"upstream answering in {args.upstream_ms:g} ms{spread}, the clients starting "
              f"over {ramp:g} ms"
              + (", the proxies on CPU 0 and the rest on CPU 1" if args.pin else ""))
        if delays:
            print("  (each request's time less its upstream's answering time)")
        directs = [times["direct to the upstream"], times["direct, again"]]

        def base(q: float) -> float:  # the better of the two direct runs at this percentile
            return min(_pct(d, q) for d in directs)

        for name, xs in times.items():
            print(f"  {name:<26} p50 {_pct(xs, 0.5):8.1f} ms   p99 {_pct(xs, 0.99):8.1f} ms"
                  f"   {args.requests / walls[name]:5.0f} requests/s")
        for name, xs in times.items():
            if name.startswith("through"):
                mean = min(statistics.mean(d) for d in directs)
                print(f"  added by {name[8:]:<17} p50 {_pct(xs, 0.5) - base(0.5):8.1f} "
                      f"ms   p99 {_pct(xs, 0.99) - base(0.99):8.1f} ms   mean "
                      f"{(statistics.mean(xs) - mean) * 1000:.1f} ms")
        for name, what in failed.items():
            if what:
                kinds = sorted(set(what), key=what.count, reverse=True)
                print(f"  FAILED {name[8:] if name.startswith('through') else name}: "
                      f"{len(what)} of {args.requests} ({', '.join(kinds)})")
        for name, xs in own.items():  # as each proxy reports it: its time less the upstream's
            if xs:
                print(f"  own time {name[8:]:<17} p50 {_pct(xs, 0.5):8.2f} ms   p99 "
                      f"{_pct(xs, 0.99):8.2f} ms   ({len(xs)} answers said)")
        for name, seconds in cpu.items():  # the proxy's processes' CPU, /proc, over its run
            print(f"  CPU a request {name[8:]:<12} {seconds / args.requests * 1000:8.2f} ms")
    finally:
        stop(procs, work)


def stop(procs: list[subprocess.Popen[bytes]], work: Path) -> None:
    """Stop what a benchmark started and remove its working folder."""
    for p in procs:
        p.terminate()
        p.wait(timeout=30)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
