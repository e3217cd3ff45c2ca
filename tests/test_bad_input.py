"""Bad input: one line naming what to fix, exit 2, before any work (issue 20.13, 20.15)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from hypothesis import given, settings as hsettings, strategies as st

import archibald
from archibald.store.memory import Memory
from media_helpers import run_cli


@pytest.fixture()
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _refused(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert run_cli(list(argv)) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("archibald: ") and "\n" not in err, err
    return err


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "NaN"])
def test_a_float_input_that_is_no_finite_number(here: Path, value: str,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    err = _refused(capsys, "run", "meditation", "--set", "topic=Rest", "--set",
                   f"minutes={value}", "--out", "o")
    assert "minutes" in err and "finite" in err
    err = _refused(capsys, "produce", "--topic", "Rest", "--minutes", value, "--out", "p")
    assert "--minutes" in err
    assert "--minutes" in _refused(capsys, "route", "explain", "script_review", "--minutes",
                                   value)
    assert not (here / "o").exists() and not (here / "p").exists()


def test_a_negative_seed(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert "--seed" in _refused(capsys, "produce", "--topic", "Rest", "--seed", "-1")
    assert "--seed" in _refused(capsys, "run", "podcast", "--set", "topic=x", "--seed", "-5")
    (here / "m.csv").write_text("topic,minutes,seed\nRest,1,-3\n")
    assert "seed -3" in _refused(capsys, "batch", "m.csv", "--out", "b")


@pytest.mark.parametrize("out", ["x" * 300, "a\x00b", "tab\there"])
def test_a_manifest_out_that_no_folder_can_have(here: Path, out: str,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    rows = [{"topic": "Rest", "minutes": 1, "out": "fine"}, {"topic": "Calm", "minutes": 1,
                                                              "out": out}]
    (here / "m.json").write_text(json.dumps({"items": rows}))
    (here / "m.toml").write_text("".join(
        f'[[items]]\ntopic = "{r["topic"]}"\nminutes = 1\nout = {json.dumps(r["out"])}\n'
        for r in rows))
    err = _refused(capsys, "batch", "m.toml", "--out", "b")
    assert "out" in err and "row 2" in err or "item 2" in err or "2" in err
    assert not (here / "b").exists()  # the good row did not start either


def test_a_stage_module_that_does_not_import(here: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    (here / "broken.py").write_text("def local(task, context):\n    return {\n")
    (here / "raises.py").write_text("raise RuntimeError('no config for this module')\n"
                                    "def local(task, context):\n    return {}\n")
    for module, said in (("broken", "syntax error at"), ("raises", "RuntimeError")):
        (here / f"{module}.toml").write_text(
            f'[pipeline]\nname = "{module}"\n[inputs.topic]\ntype = "str"\n'
            f'[[stages]]\nname = "one"\nlocal = "{module}:local"\n')
        err = _refused(capsys, "run", f"{module}.toml", "--set", "topic=x", "--out", "o")
        assert said in err and module in err


def _export(here: Path, **changed: object) -> Path:
    row = {"kind": "attempt", "task_type": "script_review", "route": "budget",
           "backend": "deepseek", "success": True, "cost_nano": 1000, "baseline_nano": 5000,
           "created_at": 1_750_000_000.0, "quality": 0.9, "status": "settled",
           "evidence": "check", "purpose": "production"}
    row.update(changed)
    path = here / "mem.jsonl"
    path.write_text(json.dumps(row, allow_nan=True) + "\n")
    return path


@pytest.mark.parametrize("changed,said", [
    ({"cost_nano": 10**30}, "cost_nano"), ({"cost_nano": -5}, "cost_nano"),
    ({"cost_nano": "lots"}, "cost_nano"), ({"created_at": math.nan}, "created_at"),
    ({"quality": "good"}, "quality"), ({"quality": 1e9}, "quality"),
    ({"route": "bogus"}, "route"), ({"status": "pending", "max_cost_nano": 10**14}, "status"),
    ({"created_at": 4e12}, "created_at"), ({"max_cost_nano": 10**20}, "max_cost_nano"),
])
def test_memory_import_checks_every_field(here: Path, changed: dict[str, object], said: str,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    path = _export(here, **changed)
    err = _refused(capsys, "memory", "import", str(path))
    assert said in err and "line 1" in err and "database" not in err
    m = Memory()
    assert m.summary()["groups"] == [] if "groups" in m.summary() else True
    m.close()


def test_a_stage_that_returns_nothing_fails_its_check(here: Path) -> None:
    p = archibald.define_pipeline("empty", unit="note")
    p.input("topic", required=True)

    @p.stage(inputs={"topic": "{topic}"})
    def nothing(task, context):  # type: ignore[no-untyped-def]
        return None

    with pytest.raises(archibald.StageFailed, match="returned nothing|quality 0.00"):
        archibald.run(p, {"topic": "x"}, out="o")


def test_a_check_that_returns_nan_is_named_not_blamed_on_the_database(here: Path) -> None:
    p = archibald.define_pipeline("nan", unit="note")
    p.input("topic", required=True)

    def scores_nan(task, artifact):  # type: ignore[no-untyped-def]
        return float("nan"), {}

    @p.stage(inputs={"topic": "{topic}"}, check=scores_nan)
    def one(task, context):  # type: ignore[no-untyped-def]
        return {"text": "hello"}

    with pytest.raises(archibald.ArchibaldError) as raised:
        archibald.run(p, {"topic": "x"}, out="o")
    said = str(raised.value)
    assert "test_bad_input:scores_nan returned the score nan" in said
    assert "move it aside" not in said and "another program holds" not in said


def test_an_unknown_channel(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (here / "archibald.toml").write_text('[channels.calm-daily]\nlanguage = "en"\n')
    err = _refused(capsys, "produce", "--topic", "Rest", "--channel", "calm-dialy")
    assert "calm-daily" in err and "did you mean" in err
    assert "calm-daily" in _refused(capsys, "plan", "--channel", "calm-dialy")
    assert "unknown channel" in _refused(capsys, "route", "explain", "script_review",
                                         "--channel", "nope")


def test_a_misspelt_task_type_gets_a_did_you_mean(here: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    err = _refused(capsys, "route", "explain", "script_reveiw")
    assert "did you mean 'script_review'" in err
    err = _refused(capsys, "memory", "forget", "--task-type", "script_writting")
    assert "did you mean 'script_writing'" in err


def test_memory_forgets_a_custom_pipelines_task_type(here: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    from archibald.store.ledger import Attempt

    m = Memory()
    m.record(Attempt(task_type="otter_facts", route="local", backend="fn", success=True,
                     cost_nano=0, baseline_nano=10, quality=0.9, evidence="check"))
    m.close()
    assert run_cli(["memory", "forget", "--task-type", "otter_facts"]) == 0
    assert "forgot task type otter_facts" in capsys.readouterr().out


@hsettings(max_examples=25, deadline=None)
@given(st.one_of(st.sampled_from(["nan", "inf", "-inf", "1e999", "", " ", "ten", "0x10",
                                  "-0", "0", "181", "1e-9", "\x00", "٣"]),
                 st.text(max_size=8)))
def test_any_bad_minutes_is_one_line_and_exit_2(value: str) -> None:
    from archibald.pipeline.spec import load_pipeline

    spec = load_pipeline("meditation")
    try:
        got = spec.run_inputs({"topic": "Rest", "minutes": value})["minutes"]
    except archibald.UserError as exc:
        assert "\n" not in str(exc) and "minutes" in str(exc)
        return
    assert math.isfinite(got) and 1 <= got <= 180


def test_a_template_error_names_the_stage_not_its_index(here: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    (here / "named.toml").write_text(
        '[pipeline]\nname = "named"\n[inputs.topic]\ntype = "str"\n'
        '[[stages]]\nname = "one"\nlocal = "os.path:join"\n'
        '[[stages]]\nname = "write"\nneeds = ["one"]\nlocal = "os.path:join"\n'
        'inputs = { x = "{topicc}" }\n')
    err = _refused(capsys, "run", "named.toml", "--set", "topic=x", "--out", "o")
    assert "stage 'write'" in err and "stages.1" not in err and "topic" in err


@pytest.mark.parametrize("topic", ["🌙🌙", "42", "?", "z"])
def test_a_topic_with_no_words_is_one_line_and_exit_2(here: Path, topic: str,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    """A topic of emoji, digits or one letter gives no writer anything to say ("This session
    is for ."): refused before anything is written, in every way a topic comes in."""
    assert "no words" in _refused(capsys, "produce", "--topic", topic, "--out", "p")
    assert "no words" in _refused(capsys, "run", "short", "--set", f"topic={topic}",
                                  "--out", "s")
    (here / "m.csv").write_text(f"topic,minutes\n{topic},1\n")
    assert "no words" in _refused(capsys, "batch", "m.csv", "--out", "b")
    assert not any((here / d).exists() for d in ("p", "s", "b"))
