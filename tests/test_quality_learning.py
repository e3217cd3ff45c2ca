"""Learning from evidence that means something, with stub premium, budget and judge servers."""

from __future__ import annotations

import asyncio
import json
import random
import re
from pathlib import Path
from typing import Any, Iterator

import pytest
from typer.testing import CliRunner

from archibald.core.catalog import build_registry
from archibald.cli import app
from archibald.config import load_settings
from archibald.store.ledger import Attempt, to_nano
from archibald.store.memory import Memory
from archibald.quality.maintenance import quality_maintenance
from archibald.core.router import Router
from archibald.core.tasks import Context, Outcome, Task
from stubs.anthropic import AnthropicStub
from stubs.base import prompt_of
from stubs.openai_compat import OpenAIStub

GOOD = "A calm, careful script: nurses resting in the morning after a night shift."
WORSE = "clumsy clumsy words, off the topic"


def _judge_reply(body: Any) -> str:
    """A judge that reads the work (never who made it): clumsy text scores low."""
    prompt = prompt_of(body)
    score = lambda text: 0.3 if "clumsy" in text else 0.9  # noqa: E731
    if "Version A:" in prompt:
        a, b = re.findall(r"<<<\n(.*?)\n>>>", prompt, re.S)[:2]
        return json.dumps({"a": score(a), "b": score(b), "reasons": ["compared"]})
    work = re.findall(r"<<<\n(.*?)\n>>>", prompt, re.S)[0]
    return json.dumps({"score": score(work), "reasons": ["read it"]})


@pytest.fixture
def servers() -> Iterator[dict[str, Any]]:
    premium, judge = AnthropicStub(), OpenAIStub("sk-judge")
    budget = OpenAIStub("sk-deepseek", thinks_by_default=True)  # as DeepSeek answers
    premium.reply_text = GOOD
    judge.reply_text = _judge_reply
    judge.usage = {"prompt_tokens": 400, "completion_tokens": 60, "total_tokens": 460}
    for s in (premium, budget, judge):
        s.start()
    yield {"premium": premium, "budget": budget, "judge": judge}
    for s in (premium, budget, judge):
        s.stop()


def _providers(servers: dict[str, Any], *, premium: bool = True, judge: bool = True,
               budget: bool = True) -> dict[str, Any]:
    p: dict[str, Any] = {}
    if premium:
        p["anthropic"] = {"api_key": "sk-ant-stub-key", "base_url": servers["premium"].base_url}
    if budget:
        p["deepseek"] = {"api_key": "sk-deepseek", "base_url": servers["budget"].base_url}
    if judge:
        p["openai"] = {"api_key": "sk-judge", "base_url": servers["judge"].base_url + "/v1"}
    return p


def _router(db: Path, providers: dict[str, Any], **over: Any) -> Router:
    settings = load_settings(overrides={
        "providers": providers, "quality": {"judge_model": "openai/gpt-4o-mini",
                                            "shadow_share": 1.0},
        "task_types": {"script_writing": {"routes": ["premium", "budget"]}}, **over})
    memory = Memory(f"sqlite:///{db}")
    return Router(settings, memory, build_registry(settings, memory), rng=random.Random(7))


def _check(outcome: Outcome) -> tuple[float, dict[str, Any]]:
    """A route-blind check every answer here passes: only the judge can tell them apart."""
    return (0.9 if str(outcome.artifact).strip() else 0.0), {}


def _task() -> Task:
    return Task("script_writing", {"prompt": "Write the meditation 'Calm after a night shift'",
                                   "topic": "Calm after a night shift for nurses",
                                   "minutes": 10})


def _learn(db: Path, servers: dict[str, Any], runs: int = 3) -> list[Any]:
    """Explore the budget route on every task, each shadowed on premium and judged."""
    router = _router(db, _providers(servers), router={"explore_share": 1.0})
    results = []
    for i in range(runs):
        results.append(asyncio.run(router.run(_task(), Context(db.parent), run_id=f"r{i}",
                                              stage="script_writing", check=_check)))
    router.memory.close()
    return results


def test_budget_answering_worse_teaches_the_router_to_keep_premium(
        tmp_path: Path, servers: dict[str, Any]) -> None:
    servers["budget"].reply_text = WORSE
    results = _learn(tmp_path / "m.db", servers)
    assert [r.outcome.route for r in results] == ["budget"] * 3
    router = _router(tmp_path / "m.db", _providers(servers))
    d = router.decide(_task())
    assert d.route == "premium" and d.learned is None
    rows = [a for i in range(3) for a in router.memory.attempts_of_run(f"r{i}")]
    # the production answers carry the judged pair's figure, premium's shadow the other side
    production = [a for a in rows if a.purpose == "production"]
    shadows = [a for a in rows if a.purpose == "shadow"]
    assert {(a.evidence, a.quality) for a in production} == {("shadow", 0.3)}
    assert {(a.route, a.evidence, a.quality) for a in shadows} == {("premium", "shadow", 0.9)}
    qm = quality_maintenance(router.memory.attempts_of_run("r0"))
    assert qm["overall"]["n"] == 1 and qm["overall"]["ratio"] == pytest.approx(0.3333, abs=1e-3)
    stats = router.memory.maintenance()["script_writing/budget"]
    assert stats["n"] == 3 and stats["ratio"] == pytest.approx(0.3333, abs=1e-3)
    assert stats["low"] is not None and stats["low"] <= stats["ratio"] <= stats["high"]


def test_budget_answering_as_well_teaches_the_router_to_delegate(
        tmp_path: Path, servers: dict[str, Any]) -> None:
    servers["budget"].reply_text = GOOD
    results = _learn(tmp_path / "m.db", servers)
    router = _router(tmp_path / "m.db", _providers(servers))
    d = router.decide(_task())
    assert d.route == "budget" and d.decision == "delegate", d.reason
    assert d.learned is not None and d.learned["relative_quality"] == 1.0
    assert "judged pairwise against premium" in d.reason
    # every judge and shadow call is in the ledger, priced, apart from production
    for i, r in enumerate(results):
        rows = router.memory.attempts_of_run(f"r{i}")
        assert sorted(a.purpose for a in rows) == ["judge", "judge", "production", "shadow"]
        assert all(a.cost_nano > 0 and a.price_source for a in rows)
        assert r.cost_nano == sum(a.cost_nano for a in rows)
        assert r.qa_cost_nano == sum(a.cost_nano for a in rows if a.purpose != "production") > 0
        assert router.memory.spent_nano(run_id=f"r{i}") == r.cost_nano
    assert len(servers["judge"].requests) == 6 and len(servers["premium"].requests) == 3
    # the judge saw both orders of each pair: position bias cancels
    firsts = [re.findall(r"<<<\n(.*?)\n>>>", prompt_of(q.json()), re.S)[0]
              for q in servers["judge"].requests]
    assert firsts.count(GOOD) == 6  # (both answers are GOOD here; see the worse case above)
    result = asyncio.run(router.run(_task(), Context(tmp_path), run_id="next", check=_check))
    assert result.outcome.route == "budget"


def test_offline_runs_then_a_key_the_next_run_uses_premium(
        tmp_path: Path, servers: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "m.db"
    from archibald.pipelines.meditation.concept import make_concept
    from archibald.pipelines.meditation.research import research

    topic = "Calm after a night shift for nurses"
    concept = make_concept(topic, 10, research(topic, seed=1), seed=1).__dict__
    task = Task("script_writing", {"concept": concept, "minutes": 10, "topic": topic,
                                   "prompt": "Write it."})
    offline = load_settings()
    memory = Memory(f"sqlite:///{db}")
    router = Router(offline, memory, build_registry(offline, memory))
    for i in range(3):  # the template writer, even graded 1.00, is no evidence for creative work
        r = asyncio.run(router.run(task, Context(tmp_path), run_id=f"off{i}",
                                   check=lambda o: (1.0, {})))
        assert r.outcome.route == "local"
    assert {a.evidence for a in memory.attempts_of_run("off0")} == {"unjudged"}
    d = router.decide(task)
    assert "unjudged" in d.reason and "no judge" in d.reason
    memory.close()
    # the key arrives: the next decision and run use premium
    router = _router(db, _providers(servers, judge=False, budget=False),
                     task_types={"script_writing": {"routes": ["premium", "budget", "local"]}})
    d = router.decide(task)
    assert d.route == "premium" and d.decision == "keep" and d.learned is None, d.reason
    result = asyncio.run(router.run(task, Context(tmp_path), run_id="on",
                                    check=lambda o: (1.0, {})))
    assert result.outcome.route == "premium" and len(servers["premium"].requests) == 1
    # and `archibald route explain` says the same, with the key in the environment
    monkeypatch.setenv("ARCHIBALD_DB", f"sqlite:///{db}")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-stub-key")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", servers["premium"].base_url)
    out = CliRunner().invoke(app, ["route", "explain", "script_writing"])
    assert out.exit_code == 0 and "KEEP -> premium" in out.output, out.output


def test_no_judge_key_leaves_creative_outcomes_unjudged(tmp_path: Path,
                                                        servers: dict[str, Any]) -> None:
    servers["budget"].reply_text = GOOD
    router = _router(tmp_path / "m.db", _providers(servers, judge=False),
                     router={"explore_share": 1.0})
    for i in range(3):
        r = asyncio.run(router.run(_task(), Context(tmp_path), run_id=f"r{i}",
                                   check=_check))
        assert r.outcome.route == "budget" and r.qa_attempts == []
        assert "OPENAI_API_KEY" in r.outcome.detail["quality_assurance"]["note"]
    router.settings.router = type(router.settings.router)()  # exploration off again
    assert router.decide(_task()).route == "premium"
    qm = quality_maintenance(router.memory.attempts_of_run("r0"))
    assert qm["overall"]["ratio"] is None and qm["overall"]["note"] == "not measured (no judge)"


def test_judge_and_shadow_obey_the_budget(tmp_path: Path, servers: dict[str, Any]) -> None:
    servers["budget"].reply_text = GOOD
    # enough for the budget route's answer (3500 + 1000 DeepSeek tokens), not for premium's
    router = _router(tmp_path / "m.db", _providers(servers), router={"explore_share": 1.0},
                     budgets={"per_run_usd": 0.004})
    r = asyncio.run(router.run(_task(), Context(tmp_path), run_id="b", check=_check))
    assert r.outcome.route == "budget"
    qa = r.outcome.detail["quality_assurance"]
    assert any("shadow" in s and "per_run_usd" in s for s in qa["skipped"])
    assert len(servers["premium"].requests) == 0
    assert router.memory.spent_nano(run_id="b") <= to_nano(0.004)


def test_memory_forget_export_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "m.db"
    monkeypatch.setenv("ARCHIBALD_DB", f"sqlite:///{db}")
    m = Memory(f"sqlite:///{db}")
    for ch in ("calm", "focus"):
        m.record(Attempt("script_review", "budget", "ds", True, to_nano(0.001), to_nano(0.02),
                         channel=ch, quality=0.9, evidence="check", run_id=ch))
    m.remember("thumbnail_layout", "calm", "k", {"style": "left"}, 0.8)
    m.close()
    runner = CliRunner()
    out = runner.invoke(app, ["memory", "export", str(tmp_path / "mem.jsonl")])
    assert out.exit_code == 0 and out.output == f"exported 3 records to {tmp_path / 'mem.jsonl'}\n"
    out = runner.invoke(app, ["memory", "forget", "--channel", "calm"])
    assert out.exit_code == 0 and out.output.startswith("forgot channel calm: 1 route statistics")
    m = Memory(f"sqlite:///{db}")
    assert m.route_stats("script_review", "calm") == {}
    assert m.route_stats("script_review", "focus")["budget"].evidence_n == 1
    assert m.spent_nano() == to_nano(0.002)  # the ledger keeps what was spent
    assert m.best("thumbnail_layout", "calm") is None
    m.close()
    fresh = tmp_path / "fresh.db"
    monkeypatch.setenv("ARCHIBALD_DB", f"sqlite:///{fresh}")
    for expected in ("imported 2 outcomes and 1 remembered results", "(3 already here)"):
        out = runner.invoke(app, ["memory", "import", str(tmp_path / "mem.jsonl")])
        assert out.exit_code == 0 and expected in out.output, out.output
    m = Memory(f"sqlite:///{fresh}")
    assert m.spent_nano() == to_nano(0.002)  # imported twice, counted once
    assert m.route_stats("script_review", "calm")["budget"].mean_quality == 0.9
    m.close()
    (tmp_path / "bad.jsonl").write_text('{"kind": "attempt", "task_type": 3}\n')
    from archibald.cli import main

    with pytest.raises(SystemExit) as info:
        main(["memory", "import", str(tmp_path / "bad.jsonl")])
    assert info.value.code == 2
    (tmp_path / "theirs.txt").write_text("keep me")
    (tmp_path / "link.jsonl").symlink_to(tmp_path / "theirs.txt")
    with pytest.raises(SystemExit) as info:  # a link at the name is refused, not written
        main(["memory", "export", str(tmp_path / "link.jsonl")])
    assert info.value.code == 2 and (tmp_path / "theirs.txt").read_text() == "keep me"


def test_the_bandit_learns_only_from_evidence(tmp_path: Path) -> None:
    from archibald.providers.backends.base import FunctionBackend
    from archibald.core.router import Registry

    async def text(task: Task, ctx: Context) -> str:
        return "text"

    reg = Registry()
    for route in ("premium", "local"):
        reg.register("script_writing", route, FunctionBackend(route, route, text))
    settings = load_settings(overrides={"router": {"strategy": "bandit"}})
    memory = Memory(f"sqlite:///{tmp_path / 'b.db'}")
    router = Router(settings, memory, reg, rng=random.Random(5))
    for _ in range(30):  # the template writer grading itself 1.00, thirty times
        memory.record(Attempt("script_writing", "local", "local", True, 0, 0, quality=1.0,
                              evidence="unjudged"))
    picks = [router.decide(Task("script_writing")).route for _ in range(40)]
    assert picks.count("local") < 20, picks  # no better than knowing nothing
    for _ in range(30):  # nor from a route-blind check, while a model route is available
        memory.record(Attempt("script_writing", "local", "local", True, 0, 0, quality=1.0,
                              evidence="check"))
    picks = [router.decide(Task("script_writing")).route for _ in range(40)]
    assert picks.count("local") < 20, picks
    for _ in range(30):  # the same figures from a judge count
        memory.record(Attempt("script_writing", "local", "local", True, 0, 0, quality=1.0,
                              evidence="judge"))
    picks = [router.decide(Task("script_writing")).route for _ in range(40)]
    assert picks.count("local") >= 36, picks


def test_grades_from_before_the_migration_are_unjudged(tmp_path: Path) -> None:
    from sqlalchemy import text

    url = f"sqlite:///{tmp_path / 'old.db'}"
    m = Memory(url)
    with m.engine.begin() as conn:  # the schema as 0006 left it, with three self-graded rows
        conn.execute(text("DROP INDEX ix_attempts_evidence_type"))
        for table, cols in (("attempts", ("purpose", "evidence")),
                            ("route_stats", ("w_evidence", "unjudged"))):
            for col in cols:
                conn.execute(text(f"ALTER TABLE {table} DROP COLUMN {col}"))
        conn.execute(text("DELETE FROM schema_migrations WHERE name = '0007_quality_evidence'"))
        for i in range(3):
            conn.execute(text(
                "INSERT INTO attempts (run_id, stage, task_type, channel, route, backend, "
                "success, quality, cost_nano, baseline_nano, seconds, usage, reason, "
                "config_digest, price_source, created_at, status, idempotency_key, request_id, "
                "max_cost_nano, input_key, checked) VALUES ('', 'script_writing', "
                "'script_writing', 'default', 'local', 'local', 1, 1.0, 0, 100, 0.1, '{}', '', "
                f"'', '', {1000 + i}, 'settled', '', '', 0, '', 1)"))
        conn.execute(text(
            "INSERT INTO route_stats VALUES ('script_writing', 'default', 'local', 3, 3, 3, "
            "3.0, 0, 300, 0.3, 3.0, 3.0, 3.0, 3.0, 0.0, 1002)"))
    m.close()
    m = Memory(url)
    s = m.route_stats("script_writing")["local"]
    assert (s.n, s.evidence_n, s.unjudged, s.mean_quality) == (3, 0, 3, None)
    assert {a.evidence for a in m.attempts_of_run("")} == {"unjudged"}
    m.close()


def test_the_reports_quality_maintenance_row_has_a_number_and_its_count() -> None:
    from archibald.reports.economics import economics, render_markdown

    rows = []
    for i, (stage, mine, theirs) in enumerate((("script_writing", 0.9, 0.95),
                                               ("quality_polish", 0.8, 0.8))):
        when = 1000.0 + i
        rows += [Attempt(stage, "budget", "ds", True, 10, 100, run_id="r", stage=stage,
                         quality=mine, evidence="shadow", created_at=when),
                 Attempt(stage, "premium", "an", True, 100, 0, run_id="r", stage=stage,
                         quality=theirs, evidence="shadow", purpose="shadow", created_at=when),
                 Attempt(stage, "judge", "oa", True, 1, 0, run_id="r", stage=stage,
                         purpose="judge", created_at=when)]
    rows.append(Attempt("thumbnail", "local", "l", True, 0, 0, run_id="r", stage="thumbnail",
                        quality=1.0, evidence="check"))
    qm = quality_maintenance(rows)
    assert qm["overall"]["n"] == 2
    assert qm["overall"]["ratio"] == pytest.approx(1.7 / 1.75, abs=1e-4)
    assert qm["stages"]["script_writing"]["ratio"] == pytest.approx(0.9 / 0.95, abs=1e-4)
    assert qm["stages"]["thumbnail"]["ratio"] is None
    stage = {"phase": "creative work", "route": "budget", "decision": "delegate",
             "baseline_nano": 100, "cost_nano": 10, "quality": 0.9, "seconds": 1.0,
             "resumed": False, "attempts": [], "reason": "r"}
    data = {"topic": "t", "run_id": "r", "channel": "c", "minutes": 10, "seed": 0,
            "status": "done", "wall_seconds": 1.0, "stages": {"script_writing": stage},
            "quality_maintenance": qm}
    md = render_markdown(data, economics(data))
    assert f"| Quality maintenance | {100 * 1.7 / 1.75:.1f}% (interval " in md
    assert ", n = 2; judged against premium |" in md
    data["quality_maintenance"] = quality_maintenance(rows[-1:])
    assert "| Quality maintenance | not measured (no judge) |" in render_markdown(
        data, economics(data))


def test_a_resumed_task_pays_for_no_judging_twice(tmp_path: Path,
                                                  servers: dict[str, Any]) -> None:
    servers["budget"].reply_text = GOOD
    first = _learn(tmp_path / "m.db", servers, runs=1)[0]
    calls = {k: len(s.requests) for k, s in servers.items()}
    router = _router(tmp_path / "m.db", _providers(servers), router={"explore_share": 1.0})
    again = asyncio.run(router.run(_task(), Context(tmp_path), run_id="r0",
                                   stage="script_writing", check=_check))
    assert {k: len(s.requests) for k, s in servers.items()} == calls  # nothing called again
    assert again.outcome.artifact == first.outcome.artifact
    assert sorted(a.purpose for a in again.attempts) == ["judge", "judge", "production",
                                                         "shadow"]
    assert again.cost_nano == first.cost_nano == router.memory.spent_nano(run_id="r0")
