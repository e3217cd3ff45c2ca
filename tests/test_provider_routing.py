"""End to end through the router: real backends built from settings, pointed at stub servers
by the SDKs' environment variables; usage and cost recorded to the cent; fallback on failure."""

from __future__ import annotations

import asyncio

import pytest

from archibald.core.catalog import build_registry
from archibald.config import load_settings
from archibald.store.ledger import to_nano
from archibald.store.memory import Memory
from archibald.core.router import Router
from archibald.core.tasks import Context, Task
from stubs.fixtures import anthropic_stub, deepseek_stub, provider_env  # noqa: F401

PROMPT = {"prompt": "Write a concept for a sleep meditation.", "max_tokens": 500}


def router_and_memory():  # type: ignore[no-untyped-def]
    # production calls only: the judge (on by default with a DeepSeek key) is tested apart
    settings = load_settings(None, {"quality": {"judge_model": ""}})
    memory = Memory(half_life_days=settings.router.evidence_half_life_days)
    return Router(settings, memory, build_registry(settings, memory)), memory, settings


def test_premium_route_records_stub_usage_and_cost(anthropic_stub, deepseek_stub, provider_env,
                                                   tmp_path):
    router, memory, settings = router_and_memory()
    task = Task("script_writing", PROMPT)
    decision = router.decide(task)
    assert decision.route == "premium", decision.as_dict()
    result = asyncio.run(router.run(task, Context(workdir=tmp_path), run_id="r1"))
    attempt = result.attempts[-1]
    model = settings.model_for("premium")
    assert attempt.success and attempt.model == model
    assert attempt.usage["input_tokens"] == 1200 and attempt.usage["output_tokens"] == 800
    assert attempt.cost_nano == to_nano(1200 * 3e-6 + 800 * 15e-6)  # $0.0156 for Sonnet 4.6
    assert "LiteLLM" in attempt.price_source
    stored = memory.attempts_of_run("r1")
    assert stored and stored[-1].cost_nano == attempt.cost_nano
    memory.close()


def test_spend_limit_falls_back_to_budget_with_cause(anthropic_stub, deepseek_stub,
                                                     provider_env, tmp_path, monkeypatch):
    from datetime import datetime, timezone

    from archibald.core import prices

    monkeypatch.setattr(prices, "utc_now",   # a Monday at 02:00 UTC: DeepSeek's peak rate
                        lambda: datetime(2026, 11, 30, 2, 0, tzinfo=timezone.utc))
    anthropic_stub.spend_limit()
    router, memory, _ = router_and_memory()
    task = Task("script_writing", PROMPT)
    result = asyncio.run(router.run(task, Context(workdir=tmp_path), run_id="r2"))
    failed, ok = result.attempts[0], result.attempts[-1]
    assert failed.route == "premium" and not failed.success
    assert "spend" in (failed.error or "") or "usage limits" in (failed.error or "")
    assert anthropic_stub.api_key not in (failed.error or "")
    assert ok.route == "budget" and ok.success
    assert ok.cost_nano == to_nano(3500 * 0.30e-6 + 1000 * 1.20e-6)  # $0.00225
    assert len(anthropic_stub.requests) == 1  # never retried
    memory.close()


def test_without_keys_everything_stays_offline(tmp_path):
    router, memory, _ = router_and_memory()
    decision = router.decide(Task("script_writing", PROMPT))
    assert decision.route == "local" and decision.chain == ["local"]
    assert "ANTHROPIC_API_KEY" in decision.as_dict()["unavailable"]["premium"]
    memory.close()
