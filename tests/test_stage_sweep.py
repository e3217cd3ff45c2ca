"""What killed runs leave in the stages' folders is swept when a run resumes (issue 20.12):
entries without result.json, whatever their key, and our temporaries inside finished ones."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import archibald


def test_a_resumed_run_sweeps_what_killed_runs_left(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARCHIBALD_DB", f"sqlite:///{tmp_path / 'home.db'}")
    monkeypatch.chdir(tmp_path)
    p = archibald.define_pipeline("sweep", unit="note")
    p.input("topic", required=True)

    @p.stage(inputs={"topic": "{topic}"}, outputs={"note.txt": "path"})
    def write(task, context):  # type: ignore[no-untyped-def]
        path = Path(context.workdir) / "note.txt"
        path.write_text(task.inputs["topic"])
        return {"path": str(path)}

    archibald.run(p, {"topic": "x"}, out="out")
    stages = tmp_path / "out" / ".archibald" / "stages"
    (finished,) = stages.iterdir()
    killed = stages / "write-00000000deadbeef"           # a stage killed with other inputs
    (killed / "files").mkdir(parents=True)
    (killed / "files" / "voice.wav").write_bytes(os.urandom(1 << 20))
    half = finished / "files" / ".voice.wav.0123456789ab.tmp.wav"  # a write killed half-way
    half.write_bytes(b"x" * 1000)
    elsewhere = tmp_path / "keep.0123456789ab.tmp"
    elsewhere.write_text("not ours to sweep")
    os.symlink(elsewhere, finished / "files" / ".link.0123456789ab.tmp")
    archibald.run(p, {"topic": "x"}, out="out")
    assert not killed.exists() and not half.exists()
    assert elsewhere.read_text() == "not ours to sweep"  # a link is never followed
    assert (finished / "result.json").is_file() and (tmp_path / "out" / "note.txt").is_file()
