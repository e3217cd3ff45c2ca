"""Every dollar saved says what stands behind it (issue 23.2): a saving is verified only by a
judged comparison with premium on the same input; a substitution or an unshadowed cheaper
model is unverified; a premium stage is never its own comparison."""

from __future__ import annotations

import time

import pytest

from archibald.quality.maintenance import quality_maintenance
from archibald.reports.economics import economics, render_markdown
from archibald.store.ledger import Attempt
from archibald.store.memory import Memory
from stubs.fixtures import anthropic_stub, deepseek_stub, provider_env  # noqa: F401


def _stage(route: str, task_type: str, cost: int, baseline: int) -> dict:
    return {"phase": "p", "route": route, "decision": "delegate", "task_type": task_type,
            "baseline_nano": baseline, "cost_nano": cost,
            "baseline": {"nano": baseline, "backend": "premium:x"},
            "attempts": [{"route": route, "cost_nano": cost, "success": True,
                          "purpose": "production"}],
            "quality": 0.9, "seconds": 1.0, "resumed": False, "reason": "r"}


def _run() -> dict:
    return {"run_id": "r1", "channel": "default", "pipeline": "meditation", "topic": "t",
            "seed": 1, "status": "done", "wall_seconds": 3.0,
            "stages": {"audio_generation": _stage("local", "audio_generation", 0, 90_000_000),
                       "script_review": _stage("budget", "script_review", 1_000_000,
                                               20_000_000),
                       "script_writing": _stage("premium", "script_writing", 15_000_000,
                                                15_000_000)}}


def _shadow_pair(memory: Memory, task_type: str, route: str) -> None:
    when = time.time()
    common = dict(task_type=task_type, backend="b", success=True, cost_nano=1,
                  baseline_nano=1, run_id="old", stage=task_type, created_at=when)
    memory.record(Attempt(route=route, quality=0.88, evidence="shadow", **common))
    memory.record(Attempt(route="premium", quality=0.9, evidence="shadow", purpose="shadow",
                          **common))


def test_a_substitution_is_unverified_until_a_judged_comparison_exists() -> None:
    memory = Memory()
    eco = economics(_run(), memory)
    assert eco["verified"]["saved"] == 0 and eco["verified"]["n"] == 0
    assert set(eco["unverified"]["stages"]) == {"audio_generation", "script_review"}
    text = "\n".join(render_markdown(_run(), eco).splitlines()[:40])
    assert "unverified savings" in text and "no judged comparison yet" in text
    _shadow_pair(memory, "script_review", "budget")
    eco = economics(_run(), memory)
    assert eco["verified"]["stages"] == ["script_review"] and eco["verified"]["n"] == 1
    assert eco["unverified"]["stages"] == ["audio_generation"]
    assert eco["verified"]["saved"] + eco["unverified"]["saved"] == sum(
        r["saved"] for r in eco["rows"] if r["saved"] > 0 and r["route"] != "premium")
    assert "1 judged comparisons with premium" in render_markdown(_run(), eco)
    memory.close()


def test_a_premium_stage_is_never_its_own_comparison() -> None:
    judged_premium = Attempt(task_type="script_writing", route="premium", backend="a",
                             success=True, cost_nano=1, baseline_nano=1, stage="script_writing",
                             quality=0.95, evidence="judge")
    qm = quality_maintenance([judged_premium])
    assert qm["overall"]["n"] == 0 and qm["overall"]["ratio"] is None
    assert "premium" in qm["stages"]["script_writing"]["note"]


def test_a_second_run_into_a_new_folder_counts_its_own_attempts(tmp_path, monkeypatch) -> None:
    """The same inputs into another folder are another run (issue 23.4): its report's
    baseline is the first run's, not the two runs' attempts merged."""
    import json

    import archibald

    monkeypatch.chdir(tmp_path)
    notes = archibald.define_pipeline("notes", unit="note")
    notes.input("topic", required=True)
    notes.task_type("facts", complexity=3, creativity_required=False, execution_focused=True,
                    routes=["premium", "local"],
                    premium_usage={"input_tokens": 300, "output_tokens": 200})

    @notes.stage(inputs={"topic": "{topic}"}, prompt="Facts about {topic}.",
                 outputs={"notes.md": "text"})
    async def facts(task, context):  # type: ignore[no-untyped-def]
        return {"text": "\n".join(f"- {w} matters" for w in task.inputs["topic"].split())}

    first = archibald.run(notes, {"topic": "river otters"}, out="one")
    second = archibald.run(notes, {"topic": "river otters"}, out="two")
    assert first["run_id"] != second["run_id"]
    assert first["totals"]["baseline_nano"] == second["totals"]["baseline_nano"] > 0
    again = archibald.run(notes, {"topic": "river otters"}, out="one")  # a resume
    assert again["run_id"] == first["run_id"]
    assert json.loads((tmp_path / "two" / "run.json").read_text())["totals"] == second["totals"]


@pytest.mark.parametrize("complexity", [3, 6])
def test_checked_template_outcomes_do_not_displace_an_available_model(
        anthropic_stub, deepseek_stub, provider_env, complexity) -> None:
    """Three offline runs' template outcomes (checked, not judged) must not keep a keyed run
    on the template when a budget model is there (issue 23.3), at any complexity."""
    from archibald.config import load_settings
    from archibald.core.catalog import build_registry
    from archibald.core.router import Router
    from archibald.core.tasks import Task

    name = f"user_notes_{complexity}"
    settings = load_settings(None, {"quality": {"judge_model": ""}, "task_types": {name: {
        "complexity": complexity, "creativity_required": False, "execution_focused": True,
        "routes": ["premium", "budget", "local"],
        "premium_usage": {"input_tokens": 300, "output_tokens": 200}}}})
    memory = Memory()
    for i in range(6):
        memory.record(Attempt(task_type=name, route="local", backend="local:template",
                              success=True, cost_nano=0, baseline_nano=100, quality=0.95,
                              evidence="check", run_id=f"offline{i}", stage=name))
    from archibald.providers.backends.base import FunctionBackend

    async def template(task, context):  # type: ignore[no-untyped-def]
        return {"text": "- otters matter"}

    registry = build_registry(settings, memory)
    registry.register(name, "local", FunctionBackend("local:template", "local", template))
    router = Router(settings, memory, registry)
    assert "local" not in router.decide(Task(name, {"prompt": "x"})).unavailable
    decision = router.decide(Task(name, {"prompt": "Notes about otters", "max_tokens": 300}))
    assert decision.route == "budget", decision.as_dict()
    assert decision.learned is None
    memory.close()


def test_plan_applies_the_baseline_rule_and_counts_quality_assurance(
        deepseek_stub, provider_env, capsys) -> None:
    """`plan` prices no premium work where no premium backend exists (video_assembly,
    thumbnail, youtube_upload) and includes the judge's and shadow's cost (issue 23.4)."""
    import json

    from media_helpers import run_cli

    assert run_cli(["plan", "--videos", "4", "--minutes", "3", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    by = {s["stage"]: s for s in data["stages"]}
    for stage in ("video_assembly", "thumbnail", "youtube_upload"):
        assert by[stage]["premium_cost_usd"] is None, stage
    assert by["script_review"]["qa_cost_usd"] > 0  # a judge (DeepSeek) is configured
    assert abs(data["planned_cost_per_video_usd"] - sum(
        s["expected_cost_usd"] + s["qa_cost_usd"] for s in data["stages"])) < 1e-5
