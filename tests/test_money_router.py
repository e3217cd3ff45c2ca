"""The write-ahead ledger in the router, deadlines for paid calls, refused keys said aloud,
and the smaller money faults of issue 16 (empty replies, a local-only kept task type)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine

from archibald.core import calls as router_module  # the warning is said by core.calls
from archibald.providers.backends.base import Backend
from archibald.core.catalog import build_registry
from archibald.config import load_settings
from archibald.store.ledger import Attempt, to_nano
from archibald.store.memory import Memory
from archibald.store.migrations import MIGRATIONS, applied, attempts
from archibald.core.router import Registry, Router
from archibald.core.tasks import Context, Outcome, Task
from stubs.anthropic import AnthropicStub
from stubs.fixtures import anthropic_stub, provider_env  # noqa: F401


class Paid(Backend):
    """A provider that bills $0.01 a call, at most $0.05; it can hand back a killed call's
    answer by its id."""

    route = "premium"
    name = "stub:paid"

    def __init__(self, memory: Memory | None = None) -> None:
        self.calls = 0
        self.recovered: list[str] = []
        self.memory = memory
        self.seen_pending: list[tuple[str, int]] = []

    def max_cost(self, task: Task) -> float | None:
        return 0.05

    async def execute(self, task: Task, context: Context) -> Outcome:
        self.calls += 1
        context.on_request_id("job-1")
        if self.memory is not None:  # what the ledger holds while the call is in flight
            rows = self.memory.attempts_of_run("r", "s")
            self.seen_pending = [(a.status, a.max_cost_nano) for a in rows]
        return Outcome("fresh answer", self.name, "premium", cost=0.01, quality=1.0)

    async def recover(self, request_id: str, task: Task, context: Context) -> Outcome | None:
        self.recovered.append(request_id)
        return Outcome("recovered answer", self.name, "premium", cost=0.01, quality=1.0)


def _router(tmp_path: Path, backend: Backend) -> tuple[Router, Memory]:
    settings = load_settings()
    memory = Memory(f"sqlite:///{tmp_path / 'ledger.db'}")
    registry = Registry()
    registry.register("market_research", "premium", backend)
    return Router(settings, memory, registry), memory


TASK = Task("market_research", {"prompt": "what works this month?"})


def _run(router: Router, tmp_path: Path) -> Any:
    decision = router.decide(TASK)
    decision.chain = ["premium"]
    return asyncio.run(router.run(TASK, Context(workdir=tmp_path), run_id="r", stage="s",
                                  decision=decision))


def _killed_call(memory: Memory, request_id: str = "") -> Attempt:
    """The pending row a process killed mid-call leaves behind."""
    from archibald.store.writeahead import task_key

    a = Attempt("market_research", "premium", "stub:paid", False, 0, 0, run_id="r", stage="s",
                max_cost_nano=to_nano(0.05), input_key=task_key(TASK))
    memory.reserve(a, lambda spent: None)
    if request_id:
        assert a.id is not None
        memory.note_request_id(a.id, request_id)
    return a


def test_the_call_is_reserved_as_pending_before_it_is_made_and_settled_after(
        tmp_path: Path) -> None:
    backend = Paid()
    router, memory = _router(tmp_path, backend)
    backend.memory = memory
    result = _run(router, tmp_path)
    assert backend.seen_pending == [("pending", to_nano(0.05))]
    [row] = memory.attempts_of_run("r", "s")
    assert (row.status, row.cost_nano, row.success, row.request_id) == (
        "settled", to_nano(0.01), True, "job-1")
    assert row.idempotency_key.startswith("r/s/premium/1/")
    assert result.cost_nano == memory.spent_nano(run_id="r") == to_nano(0.01)
    memory.close()


def test_a_killed_call_with_a_request_id_is_fetched_not_paid_again(tmp_path: Path) -> None:
    backend = Paid()
    router, memory = _router(tmp_path, backend)
    _killed_call(memory, "job-7")
    result = _run(router, tmp_path)
    assert (backend.calls, backend.recovered) == (0, ["job-7"])
    assert result.outcome.artifact == "recovered answer"
    again = _run(router, tmp_path)  # the stage's result lost too: the answer is re-used
    assert (again.outcome.artifact, again.outcome.quality, backend.calls) == (
        "recovered answer", 1.0, 0)
    assert [a.status for a in memory.attempts_of_run("r", "s")] == ["settled"]
    assert memory.spent_nano(run_id="r") == to_nano(0.01)
    memory.close()


def test_a_killed_call_without_an_id_is_unknown_and_its_maximum_stays_counted(
        tmp_path: Path) -> None:
    backend = Paid()
    router, memory = _router(tmp_path, backend)
    _killed_call(memory)
    result = _run(router, tmp_path)
    assert backend.calls == 1 and backend.recovered == []
    rows = memory.attempts_of_run("r", "s")
    assert [a.status for a in rows] == ["unknown", "settled"]
    assert "killed" in (rows[0].error or "")
    # the lost call may have been billed: budgets count its maximum until someone knows
    assert memory.spent_nano(run_id="r") == to_nano(0.05) + to_nano(0.01)
    assert [a.status for a in result.attempts] == ["unknown", "settled"]
    memory.close()


def test_an_answer_settled_before_its_check_is_checked_and_reused_on_resume(
        tmp_path: Path) -> None:
    backend = Paid()
    router, memory = _router(tmp_path, backend)
    a = _killed_call(memory)
    a.cost_nano, a.checked = to_nano(0.01), False
    memory.settle(a, {"artifact": "paid answer", "backend": "stub:paid", "route": "premium",
                      "cost": 0.01})
    result = _run(router, tmp_path)
    assert backend.calls == 0 and result.outcome.artifact == "paid answer"
    [row] = memory.attempts_of_run("r", "s")
    assert (row.status, row.checked, row.success) == ("settled", True, True)
    assert memory.route_stats("market_research")["premium"].n == 1  # folded exactly once
    memory.close()


def test_a_database_of_the_previous_schema_migrates_with_its_rows_settled(
        tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    old = [c for c in attempts.columns if c.name in (
        "id", "run_id", "stage", "task_type", "channel", "route", "backend", "model", "success",
        "quality", "cost_nano", "baseline_nano", "seconds", "usage", "error", "reason",
        "config_digest", "price_source", "created_at")]
    with engine.begin() as conn:
        applied.create(conn)
        cols = ", ".join(f"{c.name} {c.type.compile(dialect=conn.dialect)}" for c in old)
        conn.exec_driver_sql(f"CREATE TABLE attempts ({cols})")
        for name, fn in MIGRATIONS[1:4]:
            fn(conn)
        for name, _ in MIGRATIONS[:4]:
            conn.execute(applied.insert().values(name=name, applied_at=0.0))
        conn.exec_driver_sql(
            "INSERT INTO attempts (run_id, stage, task_type, channel, route, backend, success, "
            "cost_nano, baseline_nano, seconds, usage, reason, config_digest, price_source, "
            "created_at) VALUES ('old', 's', 't', 'default', 'premium', 'b', 1, 7, 7, 0.0, "
            "'{}', '', '', '', 1.0)")
    engine.dispose()
    memory = Memory(url)
    [row] = memory.attempts_of_run("old")
    assert (row.status, row.checked, row.cost_nano) == ("settled", True, 7)
    assert memory.spent_nano(run_id="old") == 7
    memory.close()


def _script_config(tmp_path: Path, extra: str = "") -> Path:
    config = tmp_path / "archibald.toml"
    config.write_text('[task_types.market_research]\nroutes = ["premium", "local"]\n'
                      'route = "premium"\npremium_model = "claude-sonnet-4-6"\n' + extra)
    return config


def _chat(tmp_path: Path, extra: str = "") -> tuple[Router, Memory]:
    settings = load_settings(_script_config(tmp_path, extra))
    memory = Memory(f"sqlite:///{tmp_path / 'chat.db'}")
    return Router(settings, memory, build_registry(settings, memory)), memory


def _research() -> Task:
    from dataclasses import asdict

    from archibald.pipelines.meditation.research import research

    return Task("market_research", {"prompt": "What works?", "topic": "sea", "minutes": 2,
                                    "fallback": asdict(research("sea", seed=1))})


def test_a_hung_model_is_given_up_at_the_deadline_without_retrying_it(
        anthropic_stub: AnthropicStub, provider_env: Any, tmp_path: Path) -> None:
    from archibald.providers.chat_models import import_litellm

    import_litellm()  # its import takes seconds on a busy machine: not what is timed here
    anthropic_stub.slow(8.0, times=3)
    router, memory = _chat(tmp_path, "timeout_seconds = 1\n")
    async def timed() -> tuple[float, Any]:
        started = time.monotonic()
        result = await router.run(_research(), Context(workdir=tmp_path), run_id="h",
                                  stage="market_research")
        return time.monotonic() - started, result

    took, result = asyncio.run(timed())
    assert took < 5
    assert result.outcome.route == "local"
    hung = result.attempts[0]
    assert (hung.route, hung.status) == ("premium", "unknown")
    assert "no answer within the 1 s deadline" in (hung.error or "")
    assert len(anthropic_stub.requests) == 1  # not retried on the same route
    memory.close()


def test_paid_chat_calls_have_a_deadline_well_under_a_minute(tmp_path: Path) -> None:
    router, memory = _chat(tmp_path)
    assert router.deadline(Task("market_research"), "premium") == 60.0
    assert router.deadline(Task("script_writing"), "premium") == 45.0
    # a 10-minute script may use 2600 tokens: the time to write them, not a minute more
    assert router.deadline(Task("script_writing", {"max_tokens": 2600}), "premium") \
        == pytest.approx(15 + 2600 / 60)
    assert router.deadline(Task("script_writing"), "local") is None
    memory.close()


def test_a_refused_key_falls_back_with_one_warning_line(anthropic_stub: AnthropicStub,
                                                        provider_env: Any, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-wrong")
    monkeypatch.setattr(router_module, "_warned", set())
    router, memory = _chat(tmp_path)
    for run_id in ("k1", "k2"):
        result = asyncio.run(router.run(_research(), Context(workdir=tmp_path), run_id=run_id,
                                        stage="market_research"))
        assert result.outcome.route == "local"
    err = capsys.readouterr().err.splitlines()
    warnings = [line for line in err if line.startswith("warning:")]
    assert warnings == ["warning: anthropic refused the key (HTTP 401); check "
                        "ANTHROPIC_API_KEY; trying the next route"]
    assert "sk-ant-wrong" not in "\n".join(err)
    memory.close()


def test_an_empty_reply_is_a_failure_charged_what_was_billed(anthropic_stub: AnthropicStub,
                                                             provider_env: Any,
                                                             tmp_path: Path) -> None:
    anthropic_stub.reply_text = ""
    router, memory = _chat(tmp_path)
    result = asyncio.run(router.run(_research(), Context(workdir=tmp_path), run_id="e",
                                    stage="market_research"))
    empty = result.attempts[0]
    assert (empty.route, empty.success) == ("premium", False)
    assert "empty reply" in (empty.error or "")
    assert empty.cost_nano == to_nano(0.0156)  # 1200 in / 800 out at $3 / $15 per Mtok
    assert result.outcome.route == "local"
    memory.close()


def test_a_concept_reply_that_is_not_json_scores_zero() -> None:
    from archibald.pipeline.run import stage_check
    from archibald.pipeline.spec import load_pipeline

    task = Task("meditation_concept", {"fallback": {"title": "Calm", "theme": "sea",
                                                    "technique": "breath",
                                                    "audience": "adults"}})
    score, details = stage_check(load_pipeline("meditation").stage("meditation_concept"),
                                 task)(Outcome("Sure! Here is a concept: calm sea.", "m",
                                          "premium"))
    assert score == 0.0 and "not the JSON" in details["error"]


def test_a_local_only_kept_task_type_runs_on_a_fresh_database(tmp_path: Path) -> None:
    config = tmp_path / "archibald.toml"
    config.write_text('[task_types.market_research]\nroutes = ["local"]\n'
                      'creativity_required = true\ncomplexity = 8\n')
    settings = load_settings(config)
    memory = Memory(f"sqlite:///{tmp_path / 'fresh.db'}")
    router = Router(settings, memory, build_registry(settings, memory))
    decision = router.decide(_research())
    assert (decision.route, decision.chain) == ("local", ["local"])
    result = asyncio.run(router.run(_research(), Context(workdir=tmp_path), run_id="l",
                                    stage="market_research"))
    assert result.outcome.route == "local"
    memory.close()


def test_a_premium_quality_of_zero_does_not_break_the_economics_report(tmp_path: Path) -> None:
    from archibald.reports.economics import economics

    memory = Memory(f"sqlite:///{tmp_path / 'zero.db'}")
    memory.record(Attempt("script_writing", "premium", "b", True, 10, 10, quality=0.0))
    data = {"run_id": "z", "channel": "default", "wall_seconds": 1.0, "stages": {
        "script_writing": {"task_type": "script_writing", "phase": "creative work",
                           "route": "local", "cost_nano": 0,
                           "baseline_nano": 10, "quality": 0.9, "seconds": 1.0,
                           "attempts": [], "decision": "delegate", "reason": "",
                           "resumed": False}}}
    eco = economics(data, memory)  # no ZeroDivisionError: quality maintenance comes from
    assert eco["quality_maintenance"]["overall"]["ratio"] is None  # judged pairs, not grades
    assert eco["quality_maintenance"]["overall"]["note"]
    memory.close()


def test_a_route_whose_paid_answer_was_refused_is_not_bought_again_on_resume(
        tmp_path: Path) -> None:
    """Killed after premium's answer failed its check: the resume goes on to the next
    route, as the killed run would have, instead of paying premium again."""
    backend = Paid()
    router, memory = _router(tmp_path, backend)
    router.registry.register("market_research", "local", Paid())
    a = _killed_call(memory)
    a.cost_nano, a.checked = to_nano(0.01), False
    memory.settle(a, {"artifact": "weak answer", "backend": "stub:paid", "route": "premium",
                      "cost": 0.01})
    a.checked, a.quality, a.error = True, 0.2, "quality 0.20 below the floor 0.60"
    memory.settle(a)
    decision = router.decide(TASK)
    decision.chain = ["premium", "local"]
    result = asyncio.run(router.run(TASK, Context(workdir=tmp_path), run_id="r", stage="s",
                                    decision=decision))
    assert backend.calls == 0
    assert [(x.route, x.success) for x in result.attempts] == [("premium", False),
                                                              ("local", True)]
    assert result.attempts[1].reason == ("fallback after premium failed: quality 0.20 below "
                                         "the floor 0.60")
    memory.close()
