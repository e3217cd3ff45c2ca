"""The podcast and Short pipelines run offline from their files with `archibald run`, are
killed with SIGKILL mid-run, and resume without redoing a finished stage, like `produce`."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from archibald.store.memory import Memory

pytestmark = pytest.mark.slow

KEYS = ("ANTHROPIC_API_KEY", "DEEPSEEK_API_KEY", "ELEVENLABS_API_KEY", "FAL_KEY",
        "OPENHANDS_URL", "PERPLEXITY_API_KEY", "OPENAI_API_KEY")


def _stored(out: Path) -> set[str]:
    root = out / ".archibald" / "stages"
    if not root.exists():
        return set()
    return {p.parent.name.rsplit("-", 1)[0] for p in root.glob("*/result.json")}


def _kill_then_resume(tmp_path: Path, argv: list[str], kill_after: set[str],
                      not_yet: str) -> tuple[dict[str, object], set[str], str]:
    out = tmp_path / "out"
    env = {k: v for k, v in os.environ.items() if k not in KEYS}
    env["PYTHONUNBUFFERED"] = "1"
    cmd = [sys.executable, "-m", "archibald", "run", *argv, "--out", str(out)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                            start_new_session=True)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        if kill_after <= _stored(out):
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the run finished before it could be killed"
    before = _stored(out)
    os.killpg(proc.pid, signal.SIGKILL)  # the main process and its workers
    proc.wait()
    assert kill_after <= before and not_yet not in before

    memory = Memory()
    from sqlalchemy import text

    with memory.engine.connect() as conn:
        run_id = conn.execute(text("SELECT run_id FROM runs")).scalar_one()
    count_before = len(memory.attempts_of_run(run_id))
    again = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    assert again.returncode == 0, again.stdout + again.stderr
    data = json.loads((out / "run.json").read_text())
    assert data["status"] == "done" and data["run_id"] == run_id
    for name in before:
        assert data["stages"][name]["resumed"] is True, name  # type: ignore[index]
        assert re.search(rf"{name}\s+resumed", again.stdout), again.stdout
    redone = [a for a in memory.attempts_of_run(run_id)[count_before:] if a.stage in before]
    memory.close()
    assert redone == []
    for name in ("run.json", "report.md", "report.html"):
        assert (out / name).stat().st_size > 0
    return data, before, str(out)


def test_podcast_runs_offline_resumes_after_sigkill_and_makes_an_mp3_with_chapters(
        tmp_path: Path) -> None:
    from archibald.media.probe import probe_audio
    from test_podcast_parts import id3_chapters

    data, before, out = _kill_then_resume(
        tmp_path, ["podcast", "--set", "topic=how bridges stay up", "--set", "minutes=1"],
        {"research", "outline", "script"}, "mix")
    folder = Path(out)
    mp3 = folder / "episode.mp3"
    facts = probe_audio(mp3)
    assert facts.codec.startswith("mp3") and 45 < facts.duration < 150
    _, chapters = id3_chapters(mp3)
    mix = data["stages"]["mix"]  # type: ignore[index]
    assert len(chapters) >= 4 and chapters[0][1] == 0
    notes = (folder / "show-notes.md").read_text()
    assert "bridges" in notes.lower() and "## Chapters" in notes
    assert sum(1 for line in notes.splitlines() if re.match(r"- \d\d:\d\d ", line)) == \
        len(chapters)
    assert abs(float(mix["output"]["lufs"]) + 16.0) < 1.0  # type: ignore[index]


def test_short_runs_offline_resumes_after_sigkill_and_makes_a_vertical_video(
        tmp_path: Path) -> None:
    from archibald.media.probe import probe_video

    data, before, out = _kill_then_resume(
        tmp_path, ["short", "--set", "topic=calm before an exam", "--set", "seconds=25"],
        {"research", "concept", "script"}, "video")
    video = Path(out) / "short.mp4"
    facts = probe_video(video)
    assert (facts["width"], facts["height"], facts["video_codec"]) == (1080, 1920, "h264")
    assert facts["duration"] <= 60.0 and facts["pix_fmt"] == "yuv420p"
    assert (Path(out) / "cover.jpg").stat().st_size > 0
    meta = json.loads((Path(out) / "metadata.json").read_text())
    assert "#Shorts" in meta["title"] and len(meta["title"]) <= 100
