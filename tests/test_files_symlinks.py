"""Links planted in --out are never followed, and publish/ is never lost (issue 16, items 4-5)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from archibald.store import fsio
from archibald.errors import InputError
from archibald.pipeline.outputs import MANIFEST, check_out
from archibald.pipeline.store import StageStore
from media_helpers import run_cli

#: every name the reliability sweep planted, each a link to a file outside --out
PLANTED = (".archibald-write-test", ".archibald/lock", ".run.json.tmp", ".metadata.json.tmp",
           ".script.md.tmp")


def _produce(out: Path) -> int:
    return run_cli(["produce", "--topic", "Sea calm", "--minutes", "1", "--out", str(out),
                    "--seed", "3"])


@pytest.mark.slow
def test_planted_links_leave_every_target_unchanged_and_rerun_leaves_no_temporary(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, outside = tmp_path / "out", tmp_path / "outside"
    outside.mkdir()
    (out / ".archibald").mkdir(parents=True)
    targets = {}
    for i, name in enumerate(PLANTED):
        target = outside / f"target{i}.txt"
        target.write_text(f"precious {i}\n")
        os.symlink(target, out / name)
        targets[target] = target.read_text()
    dangling = outside / "never-created.mp4"
    os.symlink(dangling, out / ".video.mp4.tmp")

    lock = out / ".archibald" / "lock"
    assert _produce(out) == 2  # our lock's name taken by a link: refused, not followed
    assert "run lock" in capsys.readouterr().err
    os.rename(lock, outside / "lock-link")
    assert _produce(out) == 0, capsys.readouterr().err
    os.rename(outside / "lock-link", lock)
    assert _produce(out) == 2
    lock.unlink()
    assert _produce(out) == 0, capsys.readouterr().err  # re-running a finished output
    for target, text in targets.items():
        assert target.read_text() == text, target
    assert not dangling.exists() and not os.path.lexists(outside / "video.mp4")
    assert sorted(p.name for p in outside.iterdir() if not p.is_symlink()) == sorted(
        t.name for t in targets)
    for name in set(PLANTED) - {".archibald/lock"} | {".video.mp4.tmp"}:
        assert (out / name).is_symlink(), name  # not ours: neither followed nor removed
    leftovers = [p.name for p in out.iterdir() if fsio.is_temporary(p.name)
                 or p.name.startswith(".publish.")]
    assert leftovers == []
    assert sorted(p.name for p in (out / "publish").iterdir()) == sorted(
        [MANIFEST] + json.loads((out / "publish" / MANIFEST).read_text()))


def test_link_at_a_final_name_is_refused_before_the_run(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    out = tmp_path / "out"
    out.mkdir()
    target = tmp_path / "mine.json"
    target.write_text("{}")
    os.symlink(target, out / "run.json")
    assert _produce(out) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "run.json is a symbolic link" in err
    assert target.read_text() == "{}"
    assert sorted(p.name for p in out.iterdir()) == ["run.json"]


def test_publish_link_is_one_line_before_anything_runs(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("mine")
    os.symlink(elsewhere, out / "publish")
    assert _produce(out) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "publish is a symbolic link" in err
    assert (elsewhere / "keep.txt").read_text() == "mine"


def test_publish_with_foreign_files_is_refused_not_deleted(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]
                                                           ) -> None:
    out = tmp_path / "out"
    (out / "publish").mkdir(parents=True)
    (out / "publish" / "notes.txt").write_text("my notes")
    assert _produce(out) == 2
    err = capsys.readouterr().err.strip()
    assert "holds files Archibald did not write (notes.txt)" in err and "\n" not in err
    assert (out / "publish" / "notes.txt").read_text() == "my notes"


def test_publish_written_by_us_is_rebuilt_and_swapped(tmp_path: Path) -> None:
    from archibald.pipeline.outputs import _replace_folder

    out, src = tmp_path / "out", tmp_path / "stage"
    out.mkdir()
    src.mkdir()
    (src / "video.mp4").write_bytes(b"v2")
    (src / "request.json").write_text("{}")
    old = out / "publish"
    old.mkdir()
    (old / "video.mp4").write_bytes(b"v1")
    (old / "old.bin").write_bytes(b"x")
    (old / MANIFEST).write_text(json.dumps(["video.mp4", "old.bin"]))
    _replace_folder(out, "publish", src)
    assert (old / "video.mp4").read_bytes() == b"v2"
    assert sorted(p.name for p in old.iterdir()) == [MANIFEST, "request.json", "video.mp4"]
    assert sorted(p.name for p in out.iterdir()) == ["publish"]
    (old / "stray.txt").write_text("someone else's")
    with pytest.raises(InputError, match="stray.txt"):
        check_out(out, ["publish/"])


def test_publish_link_appearing_mid_run_still_writes_the_report(tmp_path: Path) -> None:
    """Placed files and run.json go out; publish/ is one problem line, not a traceback."""
    from types import SimpleNamespace

    from archibald.pipeline.outputs import place_outputs

    out, stage = tmp_path / "out", tmp_path / "stage"
    out.mkdir()
    (stage / "publish").mkdir(parents=True)
    (stage / "publish" / "subtitles.srt").write_text("1\n")
    os.symlink(tmp_path, out / "publish")
    up = SimpleNamespace(result=SimpleNamespace(value={
        "metadata": {"title": "t"}, "srt": str(stage / "publish" / "subtitles.srt"),
        "publish_dir": str(stage / "publish")}))
    placed, problems = place_outputs(out, {
        "subtitles.srt": ("youtube_upload", "srt"),
        "metadata.json": ("youtube_upload", "metadata"),
        "publish/": ("youtube_upload", "publish_dir")}, {"youtube_upload": up}, own=stage)
    assert set(placed) == {"subtitles.srt", "metadata.json"}
    assert len(problems) == 1 and "publish is a symbolic link" in problems[0]


@pytest.mark.slow
def test_publish_link_planted_during_the_run_still_writes_run_json_and_report(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    import archibald.pipeline.run as produce_module

    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    os.symlink(elsewhere, out / "publish")
    monkeypatch.setattr(produce_module, "check_out", lambda out, names: None)  # as if planted later
    assert _produce(out) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "publish/ not written" in err and "symbolic link" in err
    data = json.loads((out / "run.json").read_text())
    assert data["status"] == "done" and "publish/ not written" in data["problems"][0]
    assert "publish" not in data["files"] and "video.mp4" in data["files"]
    assert (out / "report.md").is_file() and (out / "report.html").is_file()
    assert list(elsewhere.iterdir()) == []


def test_lock_link_is_refused_not_followed(tmp_path: Path) -> None:
    target = tmp_path / "target"
    target.write_text("keep")
    (tmp_path / "w" / ".archibald").mkdir(parents=True)
    os.symlink(target, tmp_path / "w" / ".archibald" / "lock")
    with pytest.raises(InputError, match="lock"):
        with StageStore(tmp_path / "w").lock():
            pass
    assert target.read_text() == "keep"


def test_write_file_replaces_no_link_and_place_leaves_no_temporary(work: Path) -> None:
    target = work / "target"
    target.write_text("keep")
    os.symlink(target, work / "final")
    with pytest.raises(InputError, match="symbolic link"):
        fsio.write_file(work / "final", "new")
    assert target.read_text() == "keep"
    src = work / "src.bin"
    src.write_bytes(b"data")
    fsio.place(src, work / "copy.bin")
    fsio.place(src, work / "copy.bin")  # already the same file: nothing stranded
    names = sorted(p.name for p in work.iterdir())
    assert names == ["copy.bin", "final", "src.bin", "target"]
    assert fsio.sweep_temporaries(work) == []


@pytest.mark.parametrize("kernel_exchange", [True, False])
def test_swap_dirs_exchanges_the_two_folders(work: Path, monkeypatch: pytest.MonkeyPatch,
                                             kernel_exchange: bool) -> None:
    if not kernel_exchange:  # where renameat2 is missing: two renames through a third name
        monkeypatch.setattr(fsio.ctypes, "CDLL", lambda *a, **k: object())
    (work / "new").mkdir()
    (work / "new" / "n").write_text("new")
    (work / "old").mkdir()
    (work / "old" / "o").write_text("old")
    fsio.swap_dirs(work / "new", work / "old")
    assert [p.name for p in (work / "old").iterdir()] == ["n"]
    assert [p.name for p in (work / "new").iterdir()] == ["o"]
    assert sorted(p.name for p in work.iterdir()) == ["new", "old"]


def test_sweep_removes_only_our_half_swapped_folders(work: Path) -> None:
    from archibald.pipeline.outputs import sweep_out

    ours, theirs = work / ".publish.0123456789ab.new", work / ".publish.ba9876543210.new"
    ours.mkdir()
    (ours / "video.mp4").write_bytes(b"v")
    theirs.mkdir()
    (theirs / "diary.txt").write_text("mine")
    sweep_out(work)
    assert not ours.exists() and (theirs / "diary.txt").exists()
