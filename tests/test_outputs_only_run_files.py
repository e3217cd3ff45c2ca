"""Only files the run itself made reach --out (issue 20.11): a stage value naming an outside
file, an outside folder, or a link out of a stage's folder is text or refused, never copied
or hard-linked."""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import SimpleNamespace

import pytest

import archibald
from archibald.pipeline.outputs import place_outputs


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ARCHIBALD_DB", f"sqlite:///{tmp_path / 'home.db'}")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _secret(tmp_path: Path) -> Path:
    secret = tmp_path / "elsewhere" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text("the password hashes")
    return secret


def test_a_stage_value_naming_an_outside_file_is_text_not_the_file(home: Path) -> None:
    secret = _secret(home)
    leak = archibald.define_pipeline("leak", unit="note")
    leak.input("topic", required=True)

    @leak.stage(inputs={"topic": "{topic}"},
                outputs={"answer.txt": "path", "whole/": "folder"})
    def answer(task, context):  # type: ignore[no-untyped-def]
        # what a model's answer adopted by default may hold
        return {"path": str(secret), "folder": str(secret.parent)}

    with pytest.raises(archibald.InputError, match="whole/ not written"):
        archibald.run(leak, {"topic": "x"}, out="out")
    out = home / "out"
    assert (out / "answer.txt").read_text() == str(secret)          # the path, as text
    assert (out / "answer.txt").stat().st_ino != secret.stat().st_ino
    assert not (out / "whole").exists()
    assert "the password hashes" not in "".join(
        p.read_text(errors="replace") for p in out.rglob("*") if p.is_file()
        and ".archibald" not in p.parts)
    assert json.loads((out / "run.json").read_text())["status"] == "done"


def test_a_file_the_stage_made_is_placed(home: Path) -> None:
    made = archibald.define_pipeline("made", unit="note")
    made.input("topic", required=True)

    @made.stage(inputs={"topic": "{topic}"}, outputs={"note.txt": "path"})
    def write(task, context):  # type: ignore[no-untyped-def]
        path = Path(context.workdir) / "note.txt"
        path.write_text("mine")
        return {"path": str(path)}

    archibald.run(made, {"topic": "x"}, out="out")
    assert (home / "out" / "note.txt").read_text() == "mine"


def test_links_out_of_a_stage_folder_are_never_followed(tmp_path: Path) -> None:
    secret = _secret(tmp_path)
    out = tmp_path / "out"
    own = out / ".archibald" / "stages"
    stage = own / "s-0123456789abcdef" / "files"
    stage.mkdir(parents=True)
    os.symlink(secret, stage / "link.txt")                       # a link to an outside file
    os.symlink(secret.parent, own / "s-linked")                  # a linked stage folder
    (stage / "pub").mkdir()
    (stage / "pub" / "ok.srt").write_text("1\n")
    os.symlink(secret, stage / "pub" / "shadow")                 # a link inside a folder output
    value = {"a": str(stage / "link.txt"), "b": str(own / "s-linked" / "secret.txt"),
             "c": str(stage / ".." / ".." / ".." / ".." / "elsewhere" / "secret.txt"),
             "pub": str(stage / "pub")}
    up = SimpleNamespace(result=SimpleNamespace(value=value))
    placed, problems = place_outputs(out, {"a.txt": ("s", "a"), "b.txt": ("s", "b"),
                                           "c.txt": ("s", "c"), "pub/": ("s", "pub")},
                                     {"s": up})
    assert problems == []
    for name in ("a.txt", "b.txt", "c.txt"):
        assert (out / name).read_text() != "the password hashes", name
    assert sorted(p.name for p in (out / "pub").iterdir()) == [".archibald-manifest", "ok.srt"]
