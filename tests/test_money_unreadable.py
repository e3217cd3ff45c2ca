"""A 200 that cannot be read was answered, and maybe billed (issue 20.5): it is not retried,
and its row keeps its maximum as unknown (counted against budgets), never $0."""

from __future__ import annotations

import asyncio

import pytest

from archibald.config import load_settings
from archibald.core.catalog import build_registry
from archibald.core.router import Router
from archibald.core.tasks import Context, Task
from archibald.store.memory import Memory
from stubs.fixtures import anthropic_stub, deepseek_stub, provider_env  # noqa: F401


@pytest.mark.parametrize("body", [{"foo": 1}, {"id": "x", "choices": "zz"},
                                  '{"id": "oops", "content": ['])
def test_an_unreadable_200_is_held_at_its_maximum_and_not_retried(
        anthropic_stub, deepseek_stub, provider_env, tmp_path, body) -> None:
    settings = load_settings(None, {"quality": {"judge_model": ""}})
    memory = Memory(half_life_days=settings.router.evidence_half_life_days)
    router = Router(settings, memory, build_registry(settings, memory))
    task = Task("script_review", {"prompt": "Review this script.", "max_tokens": 300})
    assert router.decide(task).route == "budget"
    deepseek_stub.fail(200, body, path="/chat/completions")
    result = asyncio.run(router.run(task, Context(workdir=tmp_path), run_id="m1"))
    assert len(deepseek_stub.requests_to("/chat/completions")) == 1  # answered once: no retry
    (held,) = [a for a in memory.attempts_of_run("m1") if a.route == "budget"]
    assert held.status == "unknown" and held.max_cost_nano > 0
    assert "cannot be read" in (held.error or "") or "malformed" in (held.error or "")
    assert result.outcome.route == "premium"
    # the maximum counts against budgets until it is known
    assert memory.spent_nano(run_id="m1") >= held.max_cost_nano
    memory.close()
