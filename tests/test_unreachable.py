"""An unreachable provider is said to be unreachable, not "answered HTTP 500", is not retried
with backoff, and is skipped for a cool-down for the rest of the run (issue 20.6)."""

from __future__ import annotations

import asyncio
import socket
import time

import pytest

from archibald.config import load_settings
from archibald.core.catalog import build_registry
from archibald.core.router import Router
from archibald.core.tasks import Context, Task
from archibald.errors import ProviderUnreachable
from archibald.providers.backends.breaker import BREAKER, Breaker
from archibald.store.memory import Memory
from stubs.fixtures import anthropic_stub, provider_env  # noqa: F401


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # nobody listens once it is closed


def test_a_refused_provider_is_skipped_for_the_rest_of_the_run(anthropic_stub, provider_env,
                                                               monkeypatch, tmp_path) -> None:
    BREAKER.reset()
    monkeypatch.setenv("DEEPSEEK_API_KEY", "sk-STUBSECRET-deepseek-0123456789")
    monkeypatch.setenv("DEEPSEEK_BASE_URL", f"http://127.0.0.1:{_closed_port()}")
    settings = load_settings(None, {"quality": {"judge_model": ""}})
    memory = Memory(half_life_days=settings.router.evidence_half_life_days)
    router = Router(settings, memory, build_registry(settings, memory))
    task = Task("script_review", {"prompt": "Review this script.", "max_tokens": 300})
    assert router.decide(task).route == "budget"
    started = time.monotonic()
    first = asyncio.run(router.run(task, Context(workdir=tmp_path), run_id="u1"))
    failed = [a for a in first.attempts if a.route == "budget"]
    assert len(failed) == 1 and "unreachable" in (failed[0].error or "")
    assert "HTTP 500" not in (failed[0].error or "")
    assert failed[0].cost_nano == 0 and failed[0].status == "settled"  # nothing held
    assert first.outcome.route == "premium"
    second = asyncio.run(router.run(task, Context(workdir=tmp_path), run_id="u2"))
    assert [a.route for a in second.attempts] == ["premium"]  # budget skipped, not asked
    assert time.monotonic() - started < 10  # no backoff retries on a refused connection
    memory.close()
    BREAKER.reset()


def test_the_breaker_cools_down_then_lets_one_call_through() -> None:
    now = [0.0]
    b = Breaker(cooldown=30, clock=lambda: now[0])
    assert b.allow("deepseek http://x")
    b.trip("deepseek http://x", "deepseek unreachable")
    assert not b.allow("deepseek http://x") and b.allow("anthropic http://y")
    assert "cooling down" in (b.why_not("deepseek http://x") or "")
    now[0] = 31
    assert b.allow("deepseek http://x")


def test_litellms_500_for_a_refused_connection_is_read_as_unreachable() -> None:
    from archibald.providers.backends.llm import translate_litellm
    from archibald.providers.specs import Provider

    class InternalServerError(Exception):
        status_code = 500

    exc = InternalServerError("litellm.InternalServerError: DeepseekException - [Errno 111] "
                              "Connection refused")
    err = translate_litellm(Provider("deepseek", "k" * 10, "http://127.0.0.1:9", True), exc)
    assert isinstance(err, ProviderUnreachable) and "unreachable" in str(err)
