"""Perplexity Agent API backend against the /v1/responses stub."""

from __future__ import annotations

import asyncio
import logging

import pytest

from archibald.backends.http import RetryPolicy
from archibald.backends.perplexity import PerplexityBackend
from archibald.errors import (BackendError, BackendTimeout, NonRetryable, ProviderOverloaded,
                              RouteUnavailable)
from archibald.prices import PriceBook
from archibald.providers import ProviderSettings
from archibald.tasks import Context, Task
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
    assert req.json() == {"model": "perplexity/sonar", "input": TASK.inputs["prompt"],
                          "instructions": "Cite sources."}


def test_priced_when_cost_not_reported(perplexity_stub, provider_env, sleeps, tmp_path):
    perplexity_stub.cost = None
    out = go(make(sleeps), tmp_path)
    prices = PriceBook()
    expected = prices.model("perplexity/sonar").cost(out.usage) + 0.010  # + request fee
    assert out.cost == pytest.approx(expected, abs=1e-9)
    assert out.detail["cost_source"] == "priced from the price book"


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
