"""The router: decision matrix, learned patterns, fallback, budgets, ledger."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from archibald.providers.backends.base import Backend, FunctionBackend
from archibald.config import load_settings
from archibald.errors import BudgetExceeded, NonRetryable, RouteUnavailable
from archibald.store.ledger import Attempt, to_nano
from archibald.store.memory import Memory
from archibald.core.router import Registry, Router
from archibald.core.tasks import Context, Outcome, Task, Usage


class PricedBackend(Backend):
    """A backend that 'spends' a fixed usage priced by a real model price."""

    def __init__(self, name: str, route: str, model: str, fail: Exception | None = None,
                 quality: float | None = None) -> None:
        self.name, self._route, self.model, self.fail, self.quality = name, route, model, fail, \
            quality
        self.calls = 0

    @property  # type: ignore[override]
    def route(self) -> str:
        return self._route

    async def execute(self, task: Task, context: Context) -> Outcome:
        self.calls += 1
        if self.fail is not None:
            raise self.fail
        from archibald.core.prices import PriceBook

        usage = Usage(input_tokens=1000, output_tokens=500)
        return Outcome(artifact=f"{self.name} text", backend=self.name, route=self._route,
                       model=self.model, usage=usage,
                       cost=PriceBook().cost(usage, model=self.model), quality=self.quality)


def _local(name: str = "local:writer") -> FunctionBackend:
    async def fn(task: Task, ctx: Context) -> str:
        return "local text"
    return FunctionBackend(name, "local", fn)


def _router(tmp_path: Path, registry: Registry, **overrides: object) -> Router:
    settings = load_settings(overrides=overrides or None)
    return Router(settings, Memory(f"sqlite:///{tmp_path / 'm.db'}"), registry)


def run(coro):  # noqa: ANN001, ANN201
    return asyncio.run(coro)


def test_matrix_on_the_design_table(tmp_path: Path) -> None:
    reg = Registry()
    for t in ("meditation_concept", "script_writing", "script_review", "audio_generation",
              "video_assembly"):
        reg.register(t, "premium", PricedBackend("p", "premium", "claude-sonnet-4-6"))
        reg.register(t, "local", _local())
    router = _router(tmp_path, reg)
    expect = {"meditation_concept": "keep", "script_writing": "keep", "script_review": "delegate",
              "audio_generation": "delegate", "video_assembly": "delegate"}
    for task_type, decision in expect.items():
        d = router.decide(Task(task_type))
        assert d.decision == decision, (task_type, d.reason)
        assert d.route == ("premium" if decision == "keep" else "local")
        assert d.learned is None


def test_explain_without_premium_key_keeps_but_runs_local(tmp_path: Path) -> None:
    class NoKey(PricedBackend):
        def unavailable_reason(self) -> str | None:
            return "ANTHROPIC_API_KEY not set"

    reg = Registry()
    reg.register("script_writing", "premium", NoKey("p", "premium", "claude-sonnet-4-6"))
    reg.register("script_writing", "local", _local())
    d = _router(tmp_path, reg).decide(Task("script_writing"))
    assert d.decision == "keep" and d.route == "local"
    assert "ANTHROPIC_API_KEY not set" in d.reason
    assert d.unavailable == {"budget": "no budget backend for script_writing",
                             "premium": "ANTHROPIC_API_KEY not set"}


def test_learned_pattern_takes_over_after_three_successes(tmp_path: Path) -> None:
    reg = Registry()
    premium = PricedBackend("anthropic", "premium", "claude-sonnet-4-6")
    budget = PricedBackend("deepseek", "budget", "deepseek/deepseek-flash", quality=0.9)
    reg.register("script_writing", "premium", premium)
    reg.register("script_writing", "budget", budget)
    router = _router(tmp_path, reg)
    assert router.decide(Task("script_writing")).decision == "keep"
    for i in range(3):  # creative work: only judged pairs against premium's answer count
        pair = {"run_id": f"r{i}", "stage": "script_writing", "created_at": 1000.0 + i}
        router.memory.record(Attempt("script_writing", "budget", "deepseek", True,
                                     to_nano(0.001), to_nano(0.03), quality=0.9,
                                     evidence="shadow", **pair))
        router.memory.record(Attempt("script_writing", "premium", "anthropic", True,
                                     to_nano(0.03), 0, quality=0.92, evidence="shadow",
                                     purpose="shadow", **pair))
        d = router.decide(Task("script_writing"))
        if i < 2:
            assert d.route == "premium" and d.learned is None
    assert d.decision == "delegate" and d.route == "budget"
    assert d.learned is not None and d.learned["count"] == 3
    assert d.learned["success_rate"] == 1.0
    assert "learned pattern" in d.reason
    result = run(router.run(Task("script_writing"), Context(tmp_path)))
    assert result.outcome.route == "budget" and premium.calls == 0


def test_learned_pattern_needs_success_rate(tmp_path: Path) -> None:
    reg = Registry()
    reg.register("script_writing", "premium", PricedBackend("p", "premium", "claude-sonnet-4-6"))
    reg.register("script_writing", "budget", PricedBackend("b", "budget", "deepseek/deepseek-flash"))
    router = _router(tmp_path, reg)
    for ok in (True, True, False, True):  # 75% < 80%
        router.memory.record(Attempt("script_writing", "budget", "b", ok, 1000, 2000))
    assert router.decide(Task("script_writing")).route == "premium"


def test_failing_delegate_falls_back_to_premium_and_both_are_in_the_ledger(tmp_path: Path) -> None:
    reg = Registry()
    failed = NonRetryable("402 Insufficient Balance", provider="deepseek", status=402)
    failed.cost = 0.0
    reg.register("script_review", "premium", PricedBackend("opus", "premium", "claude-opus-4-5"))
    reg.register("script_review", "budget", PricedBackend("ds", "budget", "deepseek/deepseek-flash",
                                                          fail=failed))
    router = _router(tmp_path, reg)
    result = run(router.run(Task("script_review"), Context(tmp_path), run_id="r1"))
    assert result.outcome.route == "premium"
    rows = router.memory.attempts_of_run("r1")
    assert [(a.route, a.success) for a in rows] == [("budget", False), ("premium", True)]
    assert "Insufficient Balance" in (rows[0].error or "")
    # opus-4-5 at $5/$25 per Mtok: 1000 in + 500 out
    assert rows[1].cost_nano == to_nano(1000 * 5e-6 + 500 * 25e-6)
    assert rows[1].baseline_nano == rows[1].cost_nano
    assert router.memory.spent_nano(run_id="r1") == sum(a.cost_nano for a in rows)


def test_quality_below_floor_escalates(tmp_path: Path) -> None:
    reg = Registry()
    reg.register("script_review", "premium", PricedBackend("opus", "premium", "claude-opus-4-5"))
    reg.register("script_review", "budget", PricedBackend("ds", "budget", "deepseek/deepseek-flash"))
    router = _router(tmp_path, reg)

    def check(o: Outcome) -> tuple[float, dict]:
        return (0.3 if o.route == "budget" else 0.95), {}

    result = run(router.run(Task("script_review"), Context(tmp_path), run_id="q", check=check))
    rows = router.memory.attempts_of_run("q")
    assert [(a.route, a.success, a.quality) for a in rows] == [
        ("budget", False, 0.3), ("premium", True, 0.95)]
    assert rows[0].cost_nano > 0 and "below the floor" in (rows[0].error or "")
    assert result.outcome.quality == 0.95


def test_budget_refuses_before_the_call_and_nothing_is_spent(tmp_path: Path) -> None:
    reg = Registry()
    premium = PricedBackend("anthropic", "premium", "claude-sonnet-4-6")
    reg.register("script_writing", "premium", premium)
    router = _router(tmp_path, reg, budgets={"per_run_usd": 0.01})
    with pytest.raises(BudgetExceeded) as info:
        run(router.run(Task("script_writing"), Context(tmp_path), run_id="b"))
    assert premium.calls == 0
    assert router.memory.spent_nano(run_id="b") == 0
    assert router.memory.attempts_of_run("b") == []
    msg = str(info.value)
    assert msg == ("budget refused: run b has spent $0, this call would cost up to $0.0345, "
                   "the limit is $0.01; raise [budgets] per_run_usd in archibald.toml to allow it")


def test_monthly_channel_budget(tmp_path: Path) -> None:
    reg = Registry()
    reg.register("script_writing", "premium", PricedBackend("a", "premium", "claude-sonnet-4-6"))
    router = _router(tmp_path, reg, budgets={"channels": {"calm": 0.05}})
    router.memory.record(Attempt("script_writing", "premium", "a", True, to_nano(0.04),
                                 to_nano(0.04), channel="calm"))
    with pytest.raises(BudgetExceeded, match="channel 'calm'"):
        run(router.run(Task("script_writing", channel="calm"), Context(tmp_path)))
    # another channel is not limited by calm's budget
    run(router.run(Task("script_writing", channel="other"), Context(tmp_path)))


def test_no_route_at_all(tmp_path: Path) -> None:
    with pytest.raises(RouteUnavailable):
        _router(tmp_path, Registry()).decide(Task("script_writing"))


def test_bandit_strategy_learns_the_cheap_route_that_meets_the_floor(tmp_path: Path) -> None:
    reg = Registry()
    reg.register("script_review", "premium", PricedBackend("opus", "premium", "claude-opus-4-5"))
    reg.register("script_review", "budget", PricedBackend("ds", "budget", "deepseek/deepseek-flash"))
    reg.register("script_review", "local", _local())
    router = _router(tmp_path, reg, router={"strategy": "bandit"})
    import random as _r

    router.rng = _r.Random(3)
    # history: local is free but poor, budget is cheap and good, premium dear and good
    for _ in range(30):
        router.memory.record(Attempt("script_review", "local", "l", True, 0, 0, quality=0.3,
                                     evidence="check"))
        router.memory.record(Attempt("script_review", "budget", "b", True, to_nano(0.001),
                                     0, quality=0.92, evidence="check"))
        router.memory.record(Attempt("script_review", "premium", "p", True, to_nano(0.04),
                                     0, quality=0.95, evidence="check"))
    picks = [router.decide(Task("script_review")).route for _ in range(40)]
    assert picks.count("budget") >= 36, picks
    d = router.decide(Task("script_review"))
    assert "Thompson" in d.reason
    assert set(d.numbers["bandit"]) == {"premium", "budget", "local"}
    assert d.numbers["bandit"]["local"]["mean_quality"] < 0.5
