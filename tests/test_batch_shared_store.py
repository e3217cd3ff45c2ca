"""Two `archibald batch` processes on one PostgreSQL store, paying real (stub) providers under
one monthly budget: no ledger row lost or doubled, the limit never crossed together."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from stubs.base import prompt_of
from stubs.fixtures import anthropic_stub, deepseek_stub, provider_env  # noqa: F401
from pg_helpers import pg_url, reset_pg
from test_produce_providers import _writer_reply

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

TOPICS = ("Morning light", "Evening rest", "Focus at work", "Letting go of worry",
          "Gratitude walk", "Calm before a flight", "Rest after a long drive",
          "Courage before a talk", "Sleep after a late shift", "A quiet lake")
#: about three videos' text stages (premium 100 in / 200 out, budget calls): the two processes
#: (one item in flight each, so some finish before the month runs out) must stop together
LIMIT_USD = 0.04


def test_twenty_items_on_two_processes_share_one_ledger_and_one_monthly_limit(
        anthropic_stub: Any, deepseek_stub: Any, provider_env: Any, tmp_path: Path) -> None:
    url = pg_url()
    reset_pg(url)
    anthropic_stub.reply_text = lambda body: _writer_reply(prompt_of(body))
    deepseek_stub.reply_text = lambda body: _writer_reply(prompt_of(body))
    # usage a real provider could report: never more prompt tokens than the prompt has bytes
    # (which is what a reservation bounds) nor more output than the smallest max_tokens asked
    anthropic_stub.usage = {"input_tokens": 100, "output_tokens": 200,
                            "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}
    deepseek_stub.usage = {"prompt_tokens": 100, "completion_tokens": 200, "total_tokens": 300}
    config = tmp_path / "archibald.toml"
    config.write_text(f'[budgets]\nper_month_usd = {LIMIT_USD}\n\n[quality]\njudge_model = ""\n')
    env = {**os.environ, "ARCHIBALD_DB": url, "ARCHIBALD_CONFIG": str(config),
           "PYTHONUNBUFFERED": "1"}
    procs = []
    for who in ("a", "b"):
        manifest = tmp_path / f"{who}.csv"
        manifest.write_text("topic,minutes,channel,seed\n" + "".join(
            f"{t},1,{who},{i}\n" for i, t in enumerate(TOPICS)))
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "archibald", "batch", str(manifest), "--out",
             str(tmp_path / f"out-{who}"), "--json", "--jobs", "1"], env=env, cwd=tmp_path,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    try:
        results = []
        for p in procs:
            out, err = p.communicate(timeout=900)
            assert p.returncode in (0, 1), err[-2000:]   # 1: some items were refused
            assert "{" in out, (out[-1000:], err[-2000:])
            results.append(json.loads(out[out.index("{"):]))
        items = [i for r in results for i in r["items"]]
        assert len(items) == 20
        refused = [i for i in items if i["state"] == "failed"]
        assert refused and all("budget" in i["error"] for i in refused), refused
        assert any(i["state"] == "done" for i in items)

        engine_rows = _ledger_rows(url)
        # every chat request a provider received is one ledger row, none lost, none doubled
        requests = len(anthropic_stub.requests_to("/v1/messages", "POST")) + \
            len(deepseek_stub.requests_to("/chat/completions", "POST"))
        assert len(engine_rows) == requests, (len(engine_rows), requests)
        assert all(r["status"] == "settled" for r in engine_rows)
        # together they never crossed the month's limit
        spent = sum(r["cost_nano"] for r in engine_rows)
        assert 0 < spent <= round(LIMIT_USD * 1e9)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
        reset_pg(url)


def _ledger_rows(url: str) -> list[dict[str, Any]]:
    from sqlalchemy import create_engine, select

    from archibald.store.migrations import attempts

    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(select(attempts).where(
            attempts.c.route.in_(("premium", "budget")))).mappings().all()
    engine.dispose()
    return [dict(r) for r in rows]
