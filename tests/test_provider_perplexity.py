"""Perplexity Agent API backend against the /v1/responses stub."""

from __future__ import annotations

import asyncio
import logging

import pytest

from archibald.providers.backends.http import RetryPolicy
from archibald.providers.backends.perplexity import PerplexityBackend
from archibald.errors import (BackendError, BackendTimeout, NonRetryable, ProviderOverloaded,
                              RouteUnavailable)
from archibald.core.prices import PriceBook
from archibald.providers.registry import ProviderSettings
from archibald.core.tasks import Context, Task
from stubs.fixtures import perplexity_stub, provider_env, sleeps  # noqa: F401

TASK = Task("research", {"prompt": "What helps people fall asleep?", "system": "Cite sources."})


def make(sleeps, timeout: float = 5.0, attempts: int = 4) -> PerplexityBackend:  # type: ignore[no-untyped-def]
    return PerplexityBackend(ProviderSettings.load().get("perplexity"), PriceBook(),
                             timeout=timeout, retry=RetryPolicy(attempts=attempts, base_delay=0.5,
                                                                sleep=sleeps, jitter=lambda: 1.0))


def go(b: PerplexityBackend, tmp_path):  # type: ignore[no-untyped-def]
    return asyncio.run(b.execute(TASK, Context(workdir=tmp_path)))


def test_reported_cost_is_used(perplexity_stub, provider_env, sleeps, tmp_path):
    out = go(make(sleeps), tmp_path)
    assert out.artifact == perplexity_stub.reply_text
    assert out.cost == pytest.approx(0.009, abs=1e-9)
    assert out.detail["cost_source"] == "reported by perplexity"
    assert out.detail["sources"] == [{"title": "A source", "url": "https://example.org/a"}]
    assert (out.usage.input_tokens, out.usage.output_tokens) == (1000, 1500)
    [req] = perplexity_stub.requests
    assert req.path == "/v1/responses"
    assert req.headers["authorization"] == f"Bearer {perplexity_stub.api_key}"
    assert req.json() == {"model": "perplexity/sonar", "tools": [{"type": "web_search"}],
                          "input": TASK.inputs["prompt"], "instructions": "Cite sources."}


def test_priced_when_cost_not_reported(perplexity_stub, provider_env, sleeps, tmp_path):
    """Agent API rates ($0.25 / $2.50 per 1M) plus one web_search call, no request fee."""
    perplexity_stub.cost = None
    out = go(make(sleeps), tmp_path)
    assert out.usage.tool_calls == 1 and out.detail["tool_calls"] == {"web_search": 1}
    assert out.cost == pytest.approx(1000 * 0.25e-6 + 1500 * 2.5e-6 + 0.005, abs=1e-12)
    assert out.detail["cost_source"] == "priced from the price book"
    assert "agent-api/models" in out.detail["price_source"]
    assert "tools/overview" in out.detail["price_source"]


def test_cache_reads_use_the_sdk_field_name(perplexity_stub, provider_env, sleeps, tmp_path):
    """ResponsesUsage.input_tokens_details has cache_read_input_tokens, not cached_tokens."""
    perplexity_stub.cost = None
    perplexity_stub.usage["input_tokens_details"] = {"cache_read_input_tokens": 400,
                                                     "cache_creation_input_tokens": 100}
    out = go(make(sleeps), tmp_path)
    assert (out.usage.cached_input_tokens, out.usage.cache_write_tokens) == (400, 100)
    assert out.cost == pytest.approx(500 * 0.25e-6 + 400 * 0.0625e-6 + 100 * 0.25e-6
                                     + 1500 * 2.5e-6 + 0.005, abs=1e-12)


def test_unknown_slug_is_refused_like_the_agent_api(perplexity_stub, provider_env, sleeps,
                                                    tmp_path):
    b = PerplexityBackend(ProviderSettings.load().get("perplexity"),
                          PriceBook(models={"perplexity/sonar-pro": {
                              "input_per_mtok": 3, "output_per_mtok": 15}}),
                          model="perplexity/sonar-pro",
                          retry=RetryPolicy(attempts=2, sleep=sleeps))
    with pytest.raises(NonRetryable) as err:
        go(b, tmp_path)
    assert err.value.status == 400 and err.value.code == "invalid_model"


def test_preset_is_sent_as_preset_and_needs_a_price(perplexity_stub, provider_env, sleeps,
                                                    tmp_path):
    provider = ProviderSettings.load().get("perplexity")
    unpriced = PerplexityBackend(provider, PriceBook(), model="perplexity/preset/pro-search")
    assert "no price known" in (unpriced.unavailable_reason() or "")
    priced = PerplexityBackend(provider, PriceBook(models={"perplexity/preset/pro-search": {
        "input_per_mtok": 3, "output_per_mtok": 15}}), model="perplexity/preset/pro-search",
        retry=RetryPolicy(attempts=1, sleep=sleeps))
    out = go(priced, tmp_path)
    body = perplexity_stub.requests[-1].json()
    assert body["preset"] == "pro-search" and "model" not in body and "tools" not in body
    assert out.detail["sources"] and out.cost == pytest.approx(0.009)


def test_defaults_ground_research_on_the_agent_api(perplexity_stub, provider_env, sleeps,
                                                   tmp_path):
    """The shipped research model is a real Agent API slug and its answer has sources."""
    from archibald.config import load_settings

    settings = load_settings()
    model = settings.model_for("research")
    assert model == "perplexity/sonar"
    out = go(PerplexityBackend(ProviderSettings.load().get("perplexity"), PriceBook(),
                               model=model, retry=RetryPolicy(attempts=1, sleep=sleeps)),
             tmp_path)
    assert out.detail["sources"]
    profile = settings.profile("market_research")
    assert profile.premium_unit == "perplexity:web_search"


def test_429_retry_after_then_success(perplexity_stub, provider_env, sleeps, tmp_path):
    perplexity_stub.fail(429, {"error": {"message": "rate limited", "code": 429}},
                         headers={"retry-after": "4"})
    out = go(make(sleeps), tmp_path)
    assert sleeps.calls == [4.0] and out.cost == pytest.approx(0.009)


def test_500_then_503_then_success_charged_once(perplexity_stub, provider_env, sleeps, tmp_path):
    perplexity_stub.fail(500, {"error": {"message": "boom"}}).fail(503, "Service Unavailable")
    out = go(make(sleeps), tmp_path)
    assert sleeps.calls == [0.5, 1.0] and len(perplexity_stub.requests) == 3
    assert out.cost == pytest.approx(0.009)


def test_exhausted_5xx_is_overload(perplexity_stub, provider_env, sleeps, tmp_path):
    perplexity_stub.fail(502, "bad gateway", times=3)
    with pytest.raises(ProviderOverloaded):
        go(make(sleeps, attempts=3), tmp_path)


def test_402_not_retried(perplexity_stub, provider_env, sleeps, tmp_path):
    perplexity_stub.fail(402, {"error": {"message": "Insufficient credits", "code": 402}})
    with pytest.raises(NonRetryable):
        go(make(sleeps), tmp_path)
    assert len(perplexity_stub.requests) == 1 and sleeps.calls == []


def test_malformed_json(perplexity_stub, provider_env, sleeps, tmp_path):
    perplexity_stub.malformed()
    with pytest.raises(BackendError) as err:
        go(make(sleeps), tmp_path)
    assert err.value.code == "malformed_json" and len(perplexity_stub.requests) == 1


def test_timeout(perplexity_stub, provider_env, sleeps, tmp_path):
    perplexity_stub.slow(1.0, times=2)
    with pytest.raises(BackendTimeout):
        go(make(sleeps, timeout=0.2, attempts=2), tmp_path)


def test_unconfigured(sleeps, tmp_path):
    b = make(sleeps)
    assert "PERPLEXITY_API_KEY" in (b.unavailable_reason() or "")
    with pytest.raises(RouteUnavailable):
        go(b, tmp_path)


def test_no_secret_leaks(perplexity_stub, provider_env, sleeps, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    perplexity_stub.fail(429, {"error": {"message": f"key {perplexity_stub.api_key} throttled"}})
    perplexity_stub.fail(401, {"error": {"message": f"bad key {perplexity_stub.api_key}"}})
    with pytest.raises(NonRetryable) as err:
        go(make(sleeps), tmp_path)
    assert perplexity_stub.api_key not in caplog.text + str(err.value)
    assert "***" in str(err.value)


def test_the_search_web_tool_usage_names_is_priced_not_free(perplexity_stub, provider_env,
                                                            sleeps, tmp_path):
    """Usage names the web_search tool's calls "search_web" (issue 20.4): without usage.cost
    the fee is still priced, never $0."""
    perplexity_stub.cost = None
    out = go(make(sleeps), tmp_path)
    assert out.detail["tool_calls"] == {"web_search": 1}
    assert out.cost >= 0.005


def test_an_unknown_billed_tool_is_priced_at_the_dearest_known_fee(perplexity_stub,
                                                                   provider_env, sleeps,
                                                                   tmp_path):
    from archibald.providers.backends.perplexity import usage_of

    usage, calls = usage_of({"input_tokens": 1, "output_tokens": 1, "total_tokens": 2,
                             "tool_calls_details": {"deep_search": {"invocation": 2}}})
    backend = make(sleeps)
    cost, source = backend._price(usage, calls)
    assert cost >= 2 * 0.005 and "unknown tool 'deep_search'" in source


@pytest.mark.parametrize("status", ["incomplete", "in_progress", "requires_action"])
def test_an_unfinished_answer_is_not_accepted_but_its_cost_is_kept(perplexity_stub,
                                                                   provider_env, sleeps,
                                                                   tmp_path, status):
    perplexity_stub.status = status
    with pytest.raises(BackendError, match="unfinished") as raised:
        go(make(sleeps), tmp_path)
    assert raised.value.cost == pytest.approx(0.009)  # billed: recorded, not $0
