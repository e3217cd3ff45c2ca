"""A user's own pipeline file (issue 20.15): a local-only stage needs no task-type profile, and
a partial [task_types.X] override in archibald.toml neither breaks other commands nor is lost
when the pipeline runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from media_helpers import run_cli

PIPELINE = '''[pipeline]
name = "otters"

[inputs.topic]
type = "str"
required = true

[task_types.otter_facts]
complexity = 3
creativity_required = false
execution_focused = true
routes = ["local"]

[[stages]]
name = "facts"
task_type = "otter_facts"
local = "otter_stages:facts"
inputs = { topic = "{topic}" }

[[stages]]
name = "notes"
needs = ["facts"]
local = "otter_stages:notes"
inputs = { facts = "{facts.text}" }
outputs = { "notes.md" = "text" }
'''

STAGES = '''
async def facts(task, context):
    return {"text": "otters hold hands while they sleep"}


async def notes(task, context):
    return {"text": "- " + task.inputs["facts"]}
'''


@pytest.fixture()
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "otters.toml").write_text(PIPELINE)
    (tmp_path / "otter_stages.py").write_text(STAGES)
    return tmp_path


def test_a_local_only_stage_needs_no_profile(files: Path) -> None:
    assert run_cli(["run", "otters.toml", "--set", "topic=sea otters", "--out", "o"]) == 0
    data = json.loads((files / "o" / "run.json").read_text())
    assert data["stages"]["notes"]["route"] == "local"
    assert (files / "o" / "notes.md").read_text().startswith("- otters")


def test_a_partial_override_waits_for_its_pipeline(files: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    (files / "archibald.toml").write_text("[task_types.otter_facts]\nquality_floor = 0.9\n")
    for argv in (["route", "explain", "script_review"], ["plan", "--videos", "2"],
                 ["memory", "stats"]):
        assert run_cli(argv) == 0, argv
    capsys.readouterr()
    assert run_cli(["run", "otters.toml", "--set", "topic=sea otters", "--out", "o"]) == 0
    from archibald.config import load_settings
    from archibald.pipeline.spec import load_pipeline

    settings = load_settings(None, pipeline=load_pipeline(str(files / "otters.toml")))
    assert settings.profile("otter_facts").quality_floor == 0.9
    assert settings.profile("otter_facts").complexity == 3
    bare = load_settings(None)
    with pytest.raises(Exception, match="partial"):
        bare.profile("otter_facts")


def test_docs_name_every_key_of_the_schema() -> None:
    from archibald.config.schema import TaskTypeTable
    from archibald.pipeline.spec import InputTable, PipelineTable, RubricTable, StageTable

    doc = (Path(__file__).parent.parent / "docs" / "pipelines.md").read_text()
    every = doc.split("## Every key", 1)[1]
    missing = [f"{table.__name__}.{key}" for table in (PipelineTable, InputTable, RubricTable,
                                                        StageTable, TaskTypeTable)
               for key in table.model_fields if f"`{key}`" not in every]
    assert not missing, missing
