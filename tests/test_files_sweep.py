"""A killed run's temporaries in its stage folders are swept when the stage runs again (issue
20, point 12): none is left in .archibald/stages/*/files/, and nothing else there goes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from archibald.store.fsio import sweep_stage_folder

#: one stage that leaves every kind of temporary in its folder, then (asked to) sleeps
ENGINE = r"""
import asyncio, os, sys, tempfile, time
from pathlib import Path
from archibald.store.fsio import TEMPORARY_DIR_SUFFIX, new_file
from archibald.pipeline import Engine, Stage, StageResult

async def stage(inp):
    if sys.argv[2] == "kill":
        with new_file(inp.stage_dir / "voice.wav") as tmp:
            tmp.write_bytes(b"x" * 100_000)
            work = tempfile.mkdtemp(prefix=".assemble.", suffix=TEMPORARY_DIR_SUFFIX,
                                    dir=inp.stage_dir)
            Path(work, "segment.mp4").write_bytes(b"y" * 100_000)
            (inp.stage_dir / f".image.png.{os.getpid()}.part").write_bytes(b"z")
            (inp.stage_dir / "kept.txt").write_text("an answer a resume re-uses")
            Path(sys.argv[3]).touch()
            time.sleep(120)
    out = inp.stage_dir / "voice.wav"
    out.write_bytes(b"done")
    return StageResult(value={"path": str(out)}, files={"path": out})

if __name__ == "__main__":
    engine = Engine([Stage("voice", "t", (), stage)], Path(sys.argv[1]), key_inputs={},
                    config_digest="c")
    asyncio.run(engine.run())
"""


def _left(work: Path) -> list[str]:
    return sorted(p.name for p in (work / ".archibald" / "stages").glob("*/files/*"))


def test_a_killed_stages_temporaries_are_swept_when_it_runs_again(tmp_path: Path) -> None:
    script, marker, work = tmp_path / "engine.py", tmp_path / "writing", tmp_path / "w"
    script.write_text(ENGINE)
    proc = subprocess.Popen([sys.executable, str(script), str(work), "kill", str(marker)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    left = _left(work)
    assert len(left) == 4 and "kept.txt" in left, left  # what the kill left behind
    again = subprocess.run([sys.executable, str(script), str(work), "finish", str(marker)],
                           capture_output=True, text=True, timeout=60)
    assert again.returncode == 0, again.stderr
    assert _left(work) == ["kept.txt", "voice.wav"]


def test_the_sweep_takes_only_temporaries_and_follows_no_link(tmp_path: Path) -> None:
    folder, outside = tmp_path / "files", tmp_path / "outside"
    folder.mkdir()
    outside.mkdir()
    (outside / "keep.txt").write_text("not ours")
    temporaries = [".music.wav.0123456789ab.tmp.wav", ".image.png.4242.part"]
    for name in temporaries + ["music.wav", ".hidden", "image.png.12.part"]:
        (folder / name).write_bytes(b"x")
    (folder / ".assemble.k2j_x9a0").mkdir()
    (folder / ".loop.abc.tmpdir").mkdir()
    (folder / ".loop.abc.tmpdir" / "link").symlink_to(outside)
    (folder / ".link.0.tmpdir").symlink_to(outside)  # a link named like a work folder
    removed = sorted(p.name for p in sweep_stage_folder(folder))
    assert removed == sorted(temporaries + [".assemble.k2j_x9a0", ".loop.abc.tmpdir"])
    assert sorted(os.listdir(folder)) == [".hidden", ".link.0.tmpdir", "image.png.12.part",
                                          "music.wav"]
    assert (outside / "keep.txt").read_text() == "not ours"
