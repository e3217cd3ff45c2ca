"""Pipelines as data: a user's pipeline file with its own stage module, run by `archibald run`,
and every mistake in a pipeline file refused with one line naming the file and the line."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from archibald.cli import main
from archibald.errors import ConfigError
from archibald.pipeline.spec import load_pipeline, render

STAGES_PY = '''
from pathlib import Path


async def gather(task, context):
    words = task.inputs["topic"].split()
    return {"facts": [f"{w} matters" for w in words], "count": len(words)}


def facts_from_text(task, text):
    return {"facts": [line.strip("- ").strip() for line in text.splitlines() if line.strip()],
            "count": 0}


def check_facts(task, art):
    facts = art.get("facts") or []
    topic = task.inputs["topic"].lower().split()
    about = sum(any(w in f.lower() for w in topic) for f in facts)
    return (1.0 if facts and about else 0.0), {"facts": len(facts), "about_topic": about}


async def write_notes(task, context):
    path = Path(context.workdir) / "notes.md"
    body = "\\n".join(f"- {f}" for f in task.inputs["facts"])
    path.write_text(f"# {task.inputs['title']}\\n\\n{body}\\n", encoding="utf-8")
    return {"path": str(path), "summary": f"{len(task.inputs['facts'])} facts"}


def learn(memory, channel, outcomes):
    memory.remember("notes", channel, "last", {"stages": sorted(outcomes)}, 1.0)
'''

PIPELINE = '''
[pipeline]
name = "notes"
description = "Facts about a topic, written up"
unit = "note"
learn = "notes_stages:learn"

[inputs.topic]
type = "str"
required = true
help = "what the notes are about"

[inputs.title]
type = "str"
default = "Notes"

[task_types.notes_facts]
capability = "text"
complexity = 3
creativity_required = false
execution_focused = true
routes = ["local"]

[task_types.notes_write]
capability = "text"
complexity = 2
creativity_required = false
execution_focused = true
routes = ["local"]

[[stages]]
name = "facts"
task_type = "notes_facts"
inputs = { topic = "{topic}" }
prompt = "List facts about {topic}, one per line."
local = "notes_stages:gather"
adopt = "notes_stages:facts_from_text"
check = "notes_stages:check_facts"

[[stages]]
name = "write"
task_type = "notes_write"
needs = ["facts"]
inputs = { facts = "{facts.facts}", title = "{title}: {topic}" }
local = "notes_stages:write_notes"
outputs = { "notes.md" = "path", "summary.txt" = "summary" }
'''


@pytest.fixture()
def user_pipeline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes_stages.py").write_text(STAGES_PY)
    (folder / "notes.toml").write_text(PIPELINE)
    monkeypatch.setenv("ARCHIBALD_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("ARCHIBALD_DB", f"sqlite:///{tmp_path / 'home.db'}")
    return folder / "notes.toml"


def test_a_users_pipeline_runs_with_archibald_run_and_gets_run_json_and_a_report(
        user_pipeline: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    main(["run", str(user_pipeline), "--set", "topic=river otters", "--out", str(out)])
    data = json.loads((out / "run.json").read_text())
    assert data["pipeline"] == "notes" and data["status"] == "done"
    assert data["inputs"] == {"topic": "river otters", "title": "Notes"}
    assert list(data["stages"]) == ["facts", "write"]
    facts = data["stages"]["facts"]
    assert facts["route"] == "local" and facts["quality"] == 1.0 and facts["cost_nano"] == 0
    assert (out / "notes.md").read_text().startswith("# Notes: river otters")
    assert "- otters matters" in (out / "notes.md").read_text()
    assert (out / "summary.txt").read_text() == "2 facts"
    report = (out / "report.md").read_text()
    assert "notes pipeline" in report and "Per note" in report
    assert (out / "report.html").is_file()

    # the same run again resumes every stage: nothing runs twice
    main(["run", str(user_pipeline), "--set", "topic=river otters", "--out", str(out)])
    again = json.loads((out / "run.json").read_text())
    assert all(s["resumed"] for s in again["stages"].values())
    assert again["run_id"] == data["run_id"]


def test_plan_and_route_explain_work_on_a_users_pipeline(
        user_pipeline: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["plan", "--pipeline", str(user_pipeline), "--videos", "3", "--json"])
    plan = json.loads(capsys.readouterr().out)
    assert plan["pipeline"] == "notes"
    assert [s["stage"] for s in plan["stages"]] == ["facts", "write"]
    assert {s["route"] for s in plan["stages"]} == {"local"}


def _load(tmp_path: Path, text: str) -> None:
    path = tmp_path / "p.toml"
    path.write_text(textwrap.dedent(text))
    load_pipeline(path)


BASE = '''
[pipeline]
name = "p"

[inputs.topic]
required = true

[[stages]]
name = "a"
task_type = "market_research"
inputs = { topic = "{topic}" }
'''


@pytest.mark.parametrize("extra, expected", [
    ('\n[[stages]]\nname = "b"\nneeds = ["a"]\nprompt = "{tpoic}"\n',
     "p.toml:16: [stage 'b'] {tpoic} names 'tpoic'"),
    ('\n[[stages]]\nname = "b"\nnedes = ["a"]\n', "unknown key 'nedes'; did you mean 'needs'?"),
    ('\n[[stages]]\nname = "b"\nneeds = ["c"]\n', "needs 'c', which is not another stage"),
    ('\n[[stages]]\nname = "b"\nlocal = "no_such_module_x:fn"\n', "cannot import no_such_module_x"),
    ('\n[[stages]]\nname = "b"\nlocal = "archibald.pipelines.meditation.stages:tts_qaa"\n',
     "has no function 'tts_qaa'; did you mean 'tts_qa'?"),
    ('\n[[stages]]\nname = "a"\n', "two stages are named 'a'"),
    ('\n[[stages]]\nname = "b"\noutputs = { "run.json" = "x" }\n', "run.json"),
    ('\n[task_types.t]\ncapability = "text"\ncomplexity = 3\ncreativity_required = false\n'
     'execution_focused = true\nroutes = ["local"]\nquality_flor = 0.5\n',
     "quality_flor"),
])
def test_a_mistake_in_a_pipeline_file_is_one_line_with_its_place(
        tmp_path: Path, extra: str, expected: str) -> None:
    with pytest.raises(ConfigError) as err:
        _load(tmp_path, BASE + extra)
    assert expected in str(err.value) and "\n" not in str(err.value)
    assert "p.toml" in str(err.value)


def test_a_cycle_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cycle"):
        _load(tmp_path, BASE.replace('name = "a"\n', 'name = "a"\nneeds = ["b"]\n') +
              '\n[[stages]]\nname = "b"\nneeds = ["a"]\n')


def test_inputs_are_typed_checked_and_named(tmp_path: Path) -> None:
    pipeline = load_pipeline("meditation")
    assert pipeline.run_inputs({"topic": "rain", "minutes": "2.5"}) == \
        {"topic": "rain", "minutes": 2.5, "publish_at": ""}
    for given, message in (({}, "needs topic"), ({"topic": "rain", "minutes": "ten"},
                                                  "is not a float"),
                           ({"topic": "rain", "minutes": "0.5"}, "out of range; use 1 to 180"),
                           ({"topic": "rain", "mintues": "3"}, "did you mean 'minutes'"),
                           ({"topic": "🌧"}, "has no words")):
        with pytest.raises(ConfigError, match=message):
            pipeline.run_inputs(given)


def test_bad_set_and_unknown_pipeline_exit_2_with_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for argv, message in ((["run", "meditation", "--set", "topic"], "is not NAME=VALUE"),
                          (["run", "meditatoin"], "did you mean 'meditation'"),
                          (["run", str(tmp_path / "none.toml")], "file not found")):
        with pytest.raises(SystemExit) as done:
            main(argv)
        assert done.value.code == 2
        err = capsys.readouterr().err.strip()
        assert message in err and "\n" not in err
    assert {p.name for p in tmp_path.iterdir()} <= {"archibald-home"}


def test_templates_keep_types_and_format_text() -> None:
    ns = {"topic": "rain", "minutes": 2.0, "a": {"b": [1, 2], "c": {"d": True}}}
    assert render("{a.b}", ns) == [1, 2]
    assert render("{minutes}", ns) == 2.0
    assert render("{minutes} min of {topic}, {{literal}} {a.b.1}", ns) == \
        "2 min of rain, {literal} 2"
    assert render({"x": ["{topic}", "{a.c.d}"]}, ns) == {"x": ["rain", True]}
    assert render("{minutes:.1f}", ns) == "2.0"


def test_run_without_a_pipeline_takes_the_channels(
        user_pipeline: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "archibald.toml"
    config.write_text(f'[channels.otters]\npipeline = "{user_pipeline}"\n')
    out = tmp_path / "out"
    main(["run", "--channel", "otters", "--set", "topic=sea otters", "--out", str(out),
          "--config", str(config)])
    assert json.loads((out / "run.json").read_text())["pipeline"] == "notes"
    with pytest.raises(SystemExit) as done:
        main(["run", "--set", "topic=x", "--out", str(tmp_path / "none"), "--config",
              str(config)])
    assert done.value.code == 2
    assert "[channels.default] pipeline" in capsys.readouterr().err


def test_pipelines_lists_the_shipped_ones_and_shows_a_files_inputs_and_stages(
        user_pipeline: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["pipelines", "--json"])
    listed = json.loads(capsys.readouterr().out)
    assert [p["name"] for p in listed] == ["meditation", "podcast", "short"]
    main(["pipelines", str(user_pipeline)])
    out = capsys.readouterr().out
    assert "--set topic=<str>  what the notes are about (required)" in out
    assert "stage write (notes_write) after facts -> notes.md, summary.txt" in out
