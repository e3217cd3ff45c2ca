"""Learning only from evidence, at every complexity (issue 23.3): outcomes nothing judged (a
placeholder template passing its route-blind check every time) never make a route preferred
over a model route that is available, under the matrix's learned pattern or the bandit; people's
verdicts on pairs (Memory.record_verdict) are the strongest evidence; `route explain` says which
evidence it used."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path
from typing import Any

import pytest

from archibald.config import load_settings
from archibald.core.decisions import Registry
from archibald.core.router import Router
from archibald.core.tasks import Context, Outcome, Task, Usage
from archibald.providers.backends.base import Backend, FunctionBackend
from archibald.store.ledger import Attempt
from archibald.store.memory import Memory


class _Absent(Backend):
    """A model route with no key here (the offline runs)."""

    def __init__(self, route: str) -> None:
        self.name, self._route = f"{route}:absent", route

    @property  # type: ignore[override]
    def route(self) -> str:
        return self._route

    def unavailable_reason(self) -> str | None:
        return "DEEPSEEK_API_KEY is not set"

    async def execute(self, task: Task, context: Context) -> Outcome:
        raise AssertionError("never called")


async def _template(task: Task, context: Context) -> str:
    return "TODO: write the caption here"  # a placeholder passes a not-empty check


async def _budget(task: Task, context: Context) -> Outcome:
    return Outcome("A caption a model wrote.", "deepseek:flash", "budget",
                   model="deepseek/deepseek-flash", usage=Usage(input_tokens=300,
                                                                output_tokens=80),
                   cost=0.0001)


def _settings(complexity: int, **over: Any) -> Any:
    table = {"phase": "work", "capability": "text", "complexity": complexity,
             "creativity_required": False, "execution_focused": complexity <= 3,
             "routes": ["premium", "budget", "local"], "premium_model": "premium",
             "premium_usage": {"input_tokens": 300, "output_tokens": 80}}
    return load_settings(overrides={"task_types": {"caption": table},
                                    "quality": {"judge_model": ""}, **over})


def _check(outcome: Outcome) -> tuple[float, dict[str, Any]]:
    return (1.0 if str(outcome.artifact).strip() else 0.0), {}


def _offline_then_keyed(tmp_path: Path, complexity: int, **over: Any) -> Router:
    settings = _settings(complexity, **over)
    memory = Memory(f"sqlite:///{tmp_path / 'm.db'}")
    offline = Registry()
    offline.register("caption", "premium", _Absent("premium"))
    offline.register("caption", "budget", _Absent("budget"))
    offline.register("caption", "local", FunctionBackend("local:caption", "local", _template))
    router = Router(settings, memory, offline, rng=random.Random(1))
    for i in range(3):  # three offline runs: the template, "100% success", checked
        result = asyncio.run(router.run(Task("caption", {"prompt": "p"}), Context(tmp_path),
                                        run_id=f"offline{i}", stage="caption", check=_check))
        assert result.outcome.route == "local"
    stats = memory.route_stats("caption")["local"]
    assert (stats.n, stats.evidence_n, stats.success_rate) == (3, 3, 1.0)
    keyed = Registry()
    keyed.register("caption", "premium", _Absent("premium"))
    keyed.register("caption", "budget", FunctionBackend("deepseek:flash", "budget", _budget))
    keyed.register("caption", "local", FunctionBackend("local:caption", "local", _template))
    return Router(settings, memory, keyed, rng=random.Random(2))


@pytest.mark.parametrize("complexity", [3, 6])
def test_offline_templates_are_not_preferred_over_an_available_budget_model(
        tmp_path: Path, complexity: int) -> None:
    router = _offline_then_keyed(tmp_path, complexity)
    d = router.decide(Task("caption", {"prompt": "p"}))
    assert d.learned is None and d.route == "budget", d.reason
    assert "teach no preference over an available model route" in d.reason
    assert "3 on local, 0 judged against premium, 0 by people" in d.reason
    router.memory.close()


@pytest.mark.parametrize("complexity", [3, 6])
def test_the_bandit_learns_nothing_from_them_either(tmp_path: Path, complexity: int) -> None:
    router = _offline_then_keyed(tmp_path, complexity, router={"strategy": "bandit"})
    for i in range(3, 30):  # as many more template outcomes as the offline runs could make
        router.memory.record(Attempt("caption", "local", "local:caption", True, 0, 0,
                                     quality=1.0, evidence="check", run_id=f"o{i}"))
    router.rng = random.Random(9)
    picks = [router.decide(Task("caption", {"prompt": "p"})).route for _ in range(40)]
    # exactly what a router that knows nothing picks with the same coin
    empty = Router(router.settings, Memory(f"sqlite:///{tmp_path / 'empty.db'}"),
                   router.registry, rng=random.Random(9))
    assert picks == [empty.decide(Task("caption", {"prompt": "p"})).route for _ in range(40)]
    d = router.decide(Task("caption", {"prompt": "p"}))
    assert d.numbers["judged_evidence_only"] == ["local"]
    router.memory.close()
    empty.memory.close()


def test_peoples_verdicts_teach_and_explain_says_which(tmp_path: Path) -> None:
    router = _offline_then_keyed(tmp_path, 3)
    memory = router.memory
    with pytest.raises(ValueError, match="no accepted result"):
        memory.record_verdict("nope", "caption", preferred="same")
    for i in range(3):  # the studio's blind review: the template as good as premium, 3 times
        memory.record_verdict(f"offline{i}", "caption", delegated=0.9, premium=0.92,
                              reviewer="ana")
    d = router.decide(Task("caption", {"prompt": "p"}))
    assert d.learned is not None and d.route == "local", d.reason
    assert d.learned["evidence_used"] == {"human": 3, "check": 3}
    assert "3 of them people's verdicts" in d.learned["evidence_kind"]
    assert memory.maintenance()["caption/local"]["n"] == 3
    # a later verdict on the same pair replaces the earlier one
    memory.record_verdict("offline0", "caption", preferred="premium")
    assert memory.maintenance()["caption/local"]["n"] == 3
    assert memory.maintenance()["caption/local"]["ratio"] < 0.95
    assert router.decide(Task("caption", {"prompt": "p"})).learned is None
    memory.close()


def test_a_verdict_on_premium_is_refused_and_scores_are_checked(tmp_path: Path) -> None:
    memory = Memory(f"sqlite:///{tmp_path / 'v.db'}")
    memory.record(Attempt("caption", "premium", "p", True, 10, 10, run_id="r", stage="s",
                          quality=0.9, evidence="judge"))
    with pytest.raises(ValueError, match="premium result compared with premium"):
        memory.record_verdict("r", "s", preferred="same")
    memory.record(Attempt("caption", "budget", "b", True, 1, 10, run_id="r2", stage="s"))
    for bad in ({"delegated": 1.5, "premium": 0.5}, {"delegated": float("nan"), "premium": 1},
                {"preferred": "better"}, {"delegated": 0.5}):
        with pytest.raises(ValueError):
            memory.record_verdict("r2", "s", **bad)
    memory.close()


def test_judged_failures_keep_a_route_from_being_learned(tmp_path: Path) -> None:
    """The bandit weighs a template's failures (and checks under the floor) against it."""
    router = _offline_then_keyed(tmp_path, 3, router={"strategy": "bandit"})
    for i in range(30):
        router.memory.record(Attempt("caption", "local", "local:caption", False, 0, 0,
                                     quality=0.2, evidence="check", run_id=f"f{i}",
                                     error="quality 0.20 below the floor 0.60"))
    router.rng = random.Random(4)
    picks = [router.decide(Task("caption", {"prompt": "p"})).route for _ in range(40)]
    assert picks.count("local") <= 2, picks
    router.memory.close()


def test_offline_with_no_model_route_checks_still_count(tmp_path: Path) -> None:
    """Where no model route can run, a route-blind check is the best evidence there is."""
    settings = _settings(3)
    memory = Memory(f"sqlite:///{tmp_path / 'm.db'}")
    reg = Registry()
    reg.register("caption", "premium", _Absent("premium"))
    reg.register("caption", "budget", _Absent("budget"))
    reg.register("caption", "local", FunctionBackend("local:caption", "local", _template))
    for i in range(3):
        memory.record(Attempt("caption", "local", "local:caption", True, 0, 0, quality=1.0,
                              evidence="check", run_id=f"o{i}"))
    d = Router(settings, memory, reg).decide(Task("caption"))
    assert d.route == "local" and d.learned is not None
    assert d.learned["evidence_used"] == {"check": 3}
    memory.close()


def test_route_explain_prints_the_evidence_used(tmp_path: Path, monkeypatch: Any) -> None:
    from typer.testing import CliRunner

    from archibald.cli import app

    db = tmp_path / "m.db"
    monkeypatch.setenv("ARCHIBALD_DB", f"sqlite:///{db}")
    memory = Memory(f"sqlite:///{db}")
    for i in range(3):
        memory.record(Attempt("tts_qa", "local", "local:tts_qa", True, 0, 0, quality=1.0,
                              evidence="check", run_id=f"o{i}"))
    memory.close()
    out = CliRunner().invoke(app, ["route", "explain", "tts_qa"])
    assert out.exit_code == 0, out.output
    # offline (no keys): no model route is available, so the checks are what there is
    assert "evidence used: 3 route-blind checks" in out.output


def test_a_route_that_kept_too_little_of_premiums_quality_is_not_drawn(tmp_path: Path) -> None:
    """Compared with premium on the same inputs, budget kept 40% of its quality: neither the
    learned pattern nor the bandit sends the work there, however its checks went."""
    for strategy in ("matrix", "bandit"):
        (tmp_path / strategy).mkdir()
        router = _offline_then_keyed(tmp_path / strategy, 3, router={"strategy": strategy})
        for i in range(3):
            when = 1000.0 + i
            common = dict(task_type="caption", backend="b", success=True, cost_nano=1,
                          baseline_nano=10, run_id=f"k{i}", stage="caption", created_at=when)
            router.memory.record(Attempt(route="budget", quality=0.36, evidence="shadow",
                                         **common))  # type: ignore[arg-type]
            router.memory.record(Attempt(route="premium", quality=0.9, evidence="shadow",
                                         purpose="shadow", **common))  # type: ignore[arg-type]
            router.memory.record(Attempt("caption", "budget", "b", True, 1, 10, quality=1.0,
                                         evidence="check", run_id=f"c{i}"))
        d = router.decide(Task("caption", {"prompt": "p"}))
        assert d.learned is None or d.learned["route"] != "budget"
        if strategy == "bandit":
            picks = [router.decide(Task("caption", {"prompt": "p"})) for _ in range(20)]
            assert all(p.route != "budget" for p in picks)
            assert picks[0].numbers["below_maintenance_floor"] == ["budget"]
        router.memory.close()
