"""Chat backends (Anthropic, DeepSeek, OpenAI, Ollama) against stub servers: through LiteLLM,
and (OpenAI's wire: DeepSeek, OpenAI, Ollama) with the direct httpx client the gateway uses,
every such test run with both clients."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
import logging
from pathlib import Path

import pytest

from archibald.providers.backends.http import RetryPolicy
from archibald.providers.backends.llm import ChatBackend
from archibald.errors import (BackendError, BackendTimeout, NonRetryable, ProviderOverloaded,
                              RateLimited, RouteUnavailable)
from archibald.core.prices import PriceBook
from archibald.providers.registry import ProviderSettings
from archibald.core.tasks import Context, Task
from stubs.fixtures import (anthropic_stub, deepseek_stub, ollama_stub, openai_stub,  # noqa: F401
                            provider_env, sleeps)

TASK = Task("script", {"prompt": "Write a calm opening line.", "system": "You are calm.",
                       "max_tokens": 300})


_CLIENT = ["litellm"]


@pytest.fixture(autouse=True)
def client(request):  # type: ignore[no-untyped-def]
    """Which client the backends of a test use: LiteLLM, or the direct one (OpenAI's wire)."""
    _CLIENT[0] = getattr(request, "param", "litellm")
    return _CLIENT[0]


def pytest_generate_tests(metafunc):  # type: ignore[no-untyped-def]
    if {"deepseek_stub", "openai_stub", "ollama_stub"} & set(metafunc.fixturenames):
        metafunc.parametrize("client", ["litellm", "direct"], indirect=True)


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


def backend(name: str, route: str, model: str, sleeps, prices: PriceBook | None = None,
            timeout: float = 5.0, attempts: int = 4) -> ChatBackend:  # type: ignore[no-untyped-def]
    provider = ProviderSettings.load().get(name)
    made = ChatBackend(route, model, provider, prices or PriceBook(), timeout=timeout,
                       retry=RetryPolicy(attempts=attempts, base_delay=0.5, sleep=sleeps,
                                         jitter=lambda: 1.0))
    if _CLIENT[0] == "direct":  # Anthropic's wire has no direct client: LiteLLM still
        assert made.call_directly() == (name != "anthropic")
    return made


def ctx(tmp_path: Path) -> Context:
    return Context(workdir=tmp_path)


# --- Anthropic -------------------------------------------------------------------------------

def test_anthropic_prompt_cache_reads_and_writes_are_priced_apart(anthropic_stub, provider_env,
                                                                  sleeps, tmp_path):
    # Anthropic bills cache writes at 1.25x input and cache reads at 0.1x (LiteLLM's map)
    anthropic_stub.usage = {"input_tokens": 200, "output_tokens": 800,
                            "cache_creation_input_tokens": 1000, "cache_read_input_tokens": 4000}
    out = run(backend("anthropic", "premium", "claude-sonnet-4-6", sleeps).execute(
        TASK, ctx(tmp_path)))
    assert (out.usage.input_tokens, out.usage.cached_input_tokens,
            out.usage.cache_write_tokens) == (5200, 4000, 1000)
    assert out.cost == pytest.approx(200 * 3e-6 + 1000 * 3.75e-6 + 4000 * 0.3e-6 + 800 * 15e-6,
                                     abs=1e-9)                        # $0.01755


def test_anthropic_usage_and_cost_to_the_cent(anthropic_stub, provider_env, sleeps, tmp_path):
    out = run(backend("anthropic", "premium", "claude-sonnet-4-6", sleeps).execute(
        TASK, ctx(tmp_path)))
    assert out.artifact == anthropic_stub.reply_text
    assert (out.usage.input_tokens, out.usage.output_tokens) == (1200, 800)
    assert out.cost == pytest.approx(1200 * 3e-6 + 800 * 15e-6, abs=1e-9)  # $0.0156
    assert out.model == "claude-sonnet-4-6" and out.route == "premium"
    assert out.detail["request_id"].startswith("req_stub")
    [req] = anthropic_stub.requests
    assert req.path == "/v1/messages"
    assert req.headers["x-api-key"] == anthropic_stub.api_key
    assert req.headers["anthropic-version"] == "2023-06-01"
    body = req.json()
    assert body["system"] in ("You are calm.", [{"type": "text", "text": "You are calm."}])
    assert body["max_tokens"] == 300
    [message] = body["messages"]
    assert message["role"] == "user" and TASK.inputs["prompt"] in str(message["content"])


def test_anthropic_529_backs_off_then_succeeds_charged_once(anthropic_stub, provider_env,
                                                            sleeps, tmp_path):
    anthropic_stub.overloaded(times=2)
    out = run(backend("anthropic", "premium", "claude-sonnet-4-6", sleeps).execute(
        TASK, ctx(tmp_path)))
    assert len(anthropic_stub.requests) == 3
    assert sleeps.calls == [0.5, 1.0]  # exponential, jitter pinned to its maximum
    assert out.cost == pytest.approx(0.0156, abs=1e-9)


def test_anthropic_529_exhausted_is_overload_for_fallback(anthropic_stub, provider_env, sleeps,
                                                          tmp_path):
    anthropic_stub.overloaded(times=5)
    with pytest.raises(ProviderOverloaded) as err:
        run(backend("anthropic", "premium", "claude-sonnet-4-6", sleeps, attempts=3).execute(
            TASK, ctx(tmp_path)))
    assert len(anthropic_stub.requests) == 3 and len(sleeps.calls) == 2
    assert err.value.status == 529 and err.value.code == "overloaded_error"


def test_anthropic_429_waits_retry_after(anthropic_stub, provider_env, sleeps, tmp_path):
    anthropic_stub.rate_limited(retry_after=7)
    out = run(backend("anthropic", "premium", "claude-sonnet-4-6", sleeps).execute(
        TASK, ctx(tmp_path)))
    assert sleeps.calls == [7.0]
    assert len(anthropic_stub.requests) == 2 and out.cost == pytest.approx(0.0156, abs=1e-9)


def test_anthropic_429_too_long_fails_over_at_once(anthropic_stub, provider_env, sleeps,
                                                   tmp_path):
    anthropic_stub.rate_limited(retry_after=3600)
    with pytest.raises(RateLimited) as err:
        run(backend("anthropic", "premium", "claude-sonnet-4-6", sleeps).execute(
            TASK, ctx(tmp_path)))
    assert err.value.retry_after == 3600 and sleeps.calls == []


def test_anthropic_spend_limit_is_never_retried(anthropic_stub, provider_env, sleeps, tmp_path):
    anthropic_stub.spend_limit()
    with pytest.raises(NonRetryable) as err:
        run(backend("anthropic", "premium", "claude-sonnet-4-6", sleeps).execute(
            TASK, ctx(tmp_path)))
    assert err.value.code == "enforced_spend_limit_reached"
    assert len(anthropic_stub.requests) == 1 and sleeps.calls == []


def test_anthropic_500_then_success(anthropic_stub, provider_env, sleeps, tmp_path):
    anthropic_stub.fail(500, {"type": "error", "error": {"type": "api_error",
                                                         "message": "Internal error"}})
    out = run(backend("anthropic", "premium", "claude-sonnet-4-6", sleeps).execute(
        TASK, ctx(tmp_path)))
    assert len(anthropic_stub.requests) == 2 and len(sleeps.calls) == 1
    assert out.usage.output_tokens == 800


def test_anthropic_malformed_json_is_an_error_not_retried(anthropic_stub, provider_env, sleeps,
                                                          tmp_path):
    anthropic_stub.malformed()
    with pytest.raises(BackendError) as err:
        run(backend("anthropic", "premium", "claude-sonnet-4-6", sleeps).execute(
            TASK, ctx(tmp_path)))
    assert err.value.code == "malformed_json" and len(anthropic_stub.requests) == 1


def test_anthropic_timeout_retried_then_exhausted(anthropic_stub, provider_env, sleeps, tmp_path):
    anthropic_stub.slow(1.0, times=2)
    with pytest.raises(BackendTimeout):
        run(backend("anthropic", "premium", "claude-sonnet-4-6", sleeps, timeout=0.2,
                    attempts=2).execute(TASK, ctx(tmp_path)))
    assert len(sleeps.calls) == 1


def test_anthropic_bad_key_is_non_retryable(anthropic_stub, monkeypatch, sleeps, tmp_path):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-wrong-key-000000000000")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", anthropic_stub.base_url)
    with pytest.raises(NonRetryable) as err:
        run(backend("anthropic", "premium", "claude-sonnet-4-6", sleeps).execute(
            TASK, ctx(tmp_path)))
    assert err.value.status == 401 and "sk-ant-wrong-key" not in str(err.value)


# --- DeepSeek / OpenAI / Ollama: one OpenAI-compatible path ---------------------------------

PEAK = datetime(2026, 11, 30, 2, 0, tzinfo=timezone.utc)       # a Monday, 02:00 UTC
OFF_PEAK = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)


def deepseek(sleeps, at: datetime = PEAK) -> ChatBackend:  # type: ignore[no-untyped-def]
    b = backend("deepseek", "budget", "deepseek/deepseek-flash", sleeps)
    b.now = lambda: at
    return b


def test_deepseek_flash_cost(deepseek_stub, provider_env, sleeps, tmp_path):
    out = run(deepseek(sleeps).execute(TASK, ctx(tmp_path)))
    assert out.cost == pytest.approx(3500 * 0.30e-6 + 1000 * 1.20e-6, abs=1e-9)  # $0.00225
    assert out.detail["rate"] == "peak"
    [req] = deepseek_stub.requests
    assert req.path.endswith("/chat/completions")
    assert req.headers["authorization"] == f"Bearer {deepseek_stub.api_key}"
    assert req.json()["model"] == "deepseek-flash"


def test_deepseek_thinking_is_off_unless_asked(deepseek_stub, provider_env, sleeps, tmp_path):
    """Thinking is on by default on DeepSeek's current models and eats max_tokens: a
    300-token review would come back empty and billed."""
    out = run(deepseek(sleeps).execute(TASK, ctx(tmp_path)))
    body = deepseek_stub.requests[-1].json()
    assert body["thinking"] == {"type": "disabled"} and body["max_tokens"] == 300
    assert out.artifact == deepseek_stub.reply_text and out.usage.reasoning_tokens == 0


def test_deepseek_thinking_when_asked_is_budgeted_and_recorded(deepseek_stub, provider_env,
                                                               sleeps, tmp_path):
    task = Task("script", {**TASK.inputs, "thinking": True, "reasoning_budget": 2000})
    out = run(deepseek(sleeps).execute(task, ctx(tmp_path)))
    body = deepseek_stub.requests[-1].json()
    assert body["thinking"] == {"type": "enabled"} and body["max_tokens"] == 2300
    assert out.artifact == deepseek_stub.reply_text
    assert out.usage.reasoning_tokens == 1200 and out.usage.output_tokens == 2200
    assert out.usage.as_dict()["reasoning_tokens"] == 1200      # what the ledger stores
    assert out.cost == pytest.approx(3500 * 0.30e-6 + 2200 * 1.20e-6, abs=1e-12)


def test_deepseek_off_peak_rate_is_used_and_named(deepseek_stub, provider_env, sleeps,
                                                  tmp_path):
    out = run(deepseek(sleeps, OFF_PEAK).execute(TASK, ctx(tmp_path)))
    assert out.cost == pytest.approx(3500 * 0.15e-6 + 1000 * 0.60e-6, abs=1e-12)
    assert out.detail["rate"] == "off-peak" and "off-peak" in out.detail["price_source"]
    prices = PriceBook()
    usage = out.usage
    assert prices.cost(usage, model="deepseek/deepseek-flash", at=OFF_PEAK) * 2 == \
        pytest.approx(prices.cost(usage, model="deepseek/deepseek-flash", at=PEAK))
    weekend = datetime(2026, 11, 28, 2, 0, tzinfo=timezone.utc)   # Saturday: no peak hours
    assert prices.rate("deepseek/deepseek-flash", weekend) == "off-peak"


def test_plan_says_which_rate_the_estimate_used(monkeypatch, tmp_path):
    from archibald.cli.plan import plan_data
    from archibald.config import load_settings
    from archibald.store.memory import Memory

    settings = load_settings()
    monkeypatch.setenv("DEEPSEEK_API_KEY", "sk-x")
    memory = Memory(half_life_days=30.0)
    try:
        data = plan_data(settings, memory, 1, "default", 10.0)
    finally:
        memory.close()
    rates = {s["route"]: s["rate"] for s in data["stages"]}
    assert all("rate" in s for s in data["stages"])
    if "budget" in rates:
        assert rates["budget"] in ("peak", "off-peak")


def test_deepseek_402_insufficient_balance_not_retried(deepseek_stub, provider_env, sleeps,
                                                       tmp_path):
    deepseek_stub.insufficient_balance()
    with pytest.raises(NonRetryable) as err:
        run(deepseek(sleeps).execute(
            TASK, ctx(tmp_path)))
    assert err.value.status == 402 and "Insufficient Balance" in str(err.value)
    assert len(deepseek_stub.requests) == 1 and sleeps.calls == []


def test_deepseek_503_backs_off_then_succeeds(deepseek_stub, provider_env, sleeps, tmp_path):
    deepseek_stub.overloaded(times=1)
    out = run(deepseek(sleeps).execute(
        TASK, ctx(tmp_path)))
    assert sleeps.calls == [0.5] and len(deepseek_stub.requests) == 2
    assert out.cost == pytest.approx(0.00225, abs=1e-9)


def test_openai_gpt4o_and_429_retry_after(openai_stub, provider_env, sleeps, tmp_path):
    openai_stub.rate_limited(retry_after=3)
    out = run(backend("openai", "premium", "gpt-4o", sleeps).execute(TASK, ctx(tmp_path)))
    assert sleeps.calls == [3.0]
    assert out.cost == pytest.approx(3500 * 2.5e-6 + 1000 * 10e-6, abs=1e-9)  # $0.01875
    assert openai_stub.requests[-1].path == "/v1/chat/completions"


def test_openai_malformed_json(openai_stub, provider_env, sleeps, tmp_path):
    openai_stub.malformed()
    with pytest.raises(BackendError) as err:
        run(backend("openai", "premium", "gpt-4o", sleeps).execute(TASK, ctx(tmp_path)))
    assert err.value.code == "malformed_json" and len(openai_stub.requests) == 1


def test_ollama_is_free_and_needs_no_key(ollama_stub, provider_env, sleeps, tmp_path):
    out = run(backend("ollama", "local", "llama3.2", sleeps).execute(TASK, ctx(tmp_path)))
    assert out.cost == 0.0 and out.usage.input_tokens == 3500
    assert ollama_stub.requests[0].path == "/v1/chat/completions"


# --- configuration --------------------------------------------------------------------------

def test_missing_key_makes_route_unavailable(sleeps, tmp_path):
    b = backend("anthropic", "premium", "claude-sonnet-4-6", sleeps)
    assert "ANTHROPIC_API_KEY" in (b.unavailable_reason() or "")
    with pytest.raises(RouteUnavailable):
        run(b.execute(TASK, ctx(tmp_path)))


def test_unknown_model_price_is_refused_before_any_call(anthropic_stub, provider_env, sleeps,
                                                        tmp_path):
    b = backend("anthropic", "premium", "claude-imaginary-9", sleeps)
    assert "prices.models" in (b.unavailable_reason() or "")
    with pytest.raises(RouteUnavailable):
        run(b.execute(TASK, ctx(tmp_path)))
    assert anthropic_stub.requests == []
    priced = backend("anthropic", "premium", "claude-imaginary-9", sleeps, prices=PriceBook(
        models={"claude-imaginary-9": {"input_per_mtok": 1.0, "output_per_mtok": 2.0}}))
    out = run(priced.execute(TASK, ctx(tmp_path)))
    assert out.cost == pytest.approx(1200 * 1e-6 + 800 * 2e-6, abs=1e-9)


def test_no_secret_in_errors_or_logs(anthropic_stub, deepseek_stub, provider_env, sleeps,
                                     tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    errors = []
    anthropic_stub.rate_limited(1).overloaded().spend_limit()
    deepseek_stub.insufficient_balance()
    for b in (backend("anthropic", "premium", "claude-sonnet-4-6", sleeps),
              deepseek(sleeps)):
        with pytest.raises(NonRetryable) as err:
            run(b.execute(TASK, ctx(tmp_path)))
        errors.append(err.value)
    text = caplog.text + " ".join(str(e) + repr(e) for e in errors)
    text += repr(ProviderSettings.load().get("anthropic"))
    assert "retrying" in caplog.text
    for key in (anthropic_stub.api_key, deepseek_stub.api_key):
        assert key and key not in text


def test_stub_replies_can_be_scripted_per_request(anthropic_stub, provider_env, sleeps, tmp_path):
    from stubs.base import prompt_of

    anthropic_stub.reply_text = lambda body: "echo: " + prompt_of(body)
    out = run(backend("anthropic", "premium", "claude-sonnet-4-6", sleeps).execute(
        TASK, ctx(tmp_path)))
    assert out.artifact == "echo: " + TASK.inputs["prompt"]


# --- the direct client of OpenAI's wire (the gateway's) --------------------------------------

def test_direct_openai_call_sends_max_completion_tokens(openai_stub, provider_env, sleeps,
                                                        tmp_path, client):
    """OpenAI's reasoning models refuse ``max_tokens``; the SDK's newer name serves all."""
    run(backend("openai", "premium", "gpt-4o", sleeps).execute(TASK, ctx(tmp_path)))
    body = openai_stub.requests[-1].json()
    if client == "direct":
        assert body["max_completion_tokens"] == 300 and "max_tokens" not in body
    assert body["model"] == "gpt-4o"


def test_direct_usage_reads_each_providers_cache_and_reasoning_fields() -> None:
    from archibald.providers.backends.openai_wire import usage_of_json

    deepseek = usage_of_json({"prompt_tokens": 1000, "completion_tokens": 50,
                              "prompt_cache_hit_tokens": 800, "prompt_cache_miss_tokens": 200})
    openai_ = usage_of_json({"prompt_tokens": 1000, "completion_tokens": 50,
                             "prompt_tokens_details": {"cached_tokens": 512},
                             "completion_tokens_details": {"reasoning_tokens": 30}})
    assert (deepseek.input_tokens, deepseek.cached_input_tokens) == (1000, 800)
    assert (openai_.cached_input_tokens, openai_.reasoning_tokens) == (512, 30)
    assert usage_of_json(None).requests == 1
