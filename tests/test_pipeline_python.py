"""Pipelines defined in Python: the README's example runs as written, sync and async."""

from __future__ import annotations

import asyncio
import json
import re
import textwrap
from pathlib import Path

import pytest

import archibald


def _readme_example() -> str:
    text = (Path(__file__).parent.parent / "README.md").read_text()
    section = text.split("## Pipelines from Python", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)  # type: ignore[union-attr]


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ARCHIBALD_DB", f"sqlite:///{tmp_path / 'home.db'}")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_readme_pipeline_example_runs_as_written(home: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    exec(compile(_readme_example(), "README.md", "exec"), {"__name__": "readme"})
    assert capsys.readouterr().out.split() == ["local", "0.0"]
    out = home / "notes-out"
    assert (out / "notes.md").read_text() == "- river matters\n- otters matters"
    data = json.loads((out / "run.json").read_text())
    assert data["pipeline"] == "notes" and list(data["stages"]) == ["facts", "write"]
    assert (out / "report.md").is_file() and (out / "report.html").is_file()


def test_the_async_entry_point_and_a_model_route_profile(home: Path) -> None:
    source = _readme_example().replace(
        'data = archibald.run(notes, {"topic": "river otters"}, out="notes-out")',
        'notes.task_type("facts", complexity=3, creativity_required=False, '
        'execution_focused=True, routes=["premium", "budget", "local"], '
        'premium_usage={"input_tokens": 300, "output_tokens": 200})\n'
        'data = asyncio.run(archibald.run_async(notes, {"topic": "sea otters"}, '
        'out="async-out"))')
    scope: dict[str, object] = {"__name__": "readme", "asyncio": asyncio}
    exec(compile(textwrap.dedent(source), "README.md", "exec"), scope)
    data = scope["data"]
    assert isinstance(data, dict)
    facts = data["stages"]["facts"]
    # no keys here: premium and budget are unavailable, the local route answers
    assert facts["route"] == "local" and facts["baseline_nano"] > 0
    assert (home / "async-out" / "notes.md").read_text().startswith("- sea matters")


def test_run_inside_an_event_loop_says_to_await(home: Path) -> None:
    async def inside() -> None:
        archibald.run("meditation", {"topic": "x"})

    with pytest.raises(archibald.UserError, match="run_async"):
        asyncio.run(inside())


def test_public_names_for_pipelines() -> None:
    for name in ("define_pipeline", "load_pipeline", "run", "run_async", "PipelineDef",
                 "Pipeline", "StageInput"):
        assert name in archibald.__all__ and getattr(archibald, name) is not None


def test_two_pipelines_sharing_a_task_type_in_one_router_each_run_their_own_local(
        home: Path) -> None:
    """A batch runs several pipelines through one router: a task type both use keeps each
    stage's own local implementation (the Short and the meditation both use
    meditation_concept, with different shapes)."""
    import asyncio as aio

    first = archibald.define_pipeline("first")
    first.input("topic", required=True)
    first.task_type("shared_step", complexity=2, creativity_required=False,
                    execution_focused=True, routes=["local"])

    @first.stage(task_type="shared_step", inputs={"topic": "{topic}"})
    async def step(task, context):  # type: ignore[no-untyped-def]
        return {"made_by": "first"}

    second = archibald.define_pipeline("second")
    second.input("topic", required=True)

    @second.stage(task_type="shared_step", inputs={"topic": "{topic}"})
    async def step2(task, context):  # type: ignore[no-untyped-def]
        return {"made_by": "second"}

    a, b = first.build(), second.build()
    settings = archibald.load_settings(overrides={"task_types": {"shared_step": {
        "complexity": 2, "creativity_required": False, "execution_focused": True,
        "routes": ["local"]}}})
    router = archibald.open_router(settings)

    async def both() -> tuple[dict[str, object], dict[str, object]]:
        return await aio.gather(
            archibald.run_async(a, {"topic": "x"}, out="a", settings=settings, router=router),
            archibald.run_async(b, {"topic": "x"}, out="b", settings=settings, router=router))

    data_a, data_b = aio.run(both())
    router.memory.close()
    assert data_a["stages"]["step"]["route"] == data_b["stages"]["step2"]["route"] == "local"  # type: ignore[index]
    values = []
    for d, stage in (("a", "step"), ("b", "step2")):
        result = next((home / d / ".archibald" / "stages").glob(f"{stage}-*/result.json"))
        values.append(json.loads(result.read_text())["value"]["made_by"])
    assert values == ["first", "second"]


def test_settings_given_to_run_keep_their_overrides_and_learn_the_pipelines_task_types(
        home: Path) -> None:
    """A Settings object with overrides: the run uses it as given (it was reloaded from its
    file, dropping the overrides, whenever the pipeline brought a task type of its own)."""
    from archibald.api import _prepare_run

    notes = archibald.define_pipeline("own")
    notes.input("topic", required=True)

    @notes.stage(inputs={"topic": "{topic}"})
    async def own_step(task, context):  # type: ignore[no-untyped-def]
        return {"text": task.inputs["topic"]}

    settings = archibald.load_settings(overrides={"budgets": {"per_run_usd": 0.25}})
    assert "own_step" not in settings.profiles
    req, used = _prepare_run(notes, {"topic": "x"}, settings, "o", "default", 0)
    assert used.budgets.per_run_usd == 0.25
    assert used.profile("own_step").routes == ("local",)
    assert used.digest != settings.digest
    data = archibald.run(notes, {"topic": "x"}, out="o", settings=settings)
    assert data["stages"]["own_step"]["route"] == "local"
    assert data["config_digest"] == used.digest
