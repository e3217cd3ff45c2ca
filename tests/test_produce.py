"""`archibald produce` end to end, offline: killed mid-run with SIGKILL, then resumed."""

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

from archibald.store.ledger import NANO
from archibald.store.memory import Memory

pytestmark = pytest.mark.slow


def _produce(out: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    # --out relative to the working directory, as `make demo` gives it
    return subprocess.Popen(
        [sys.executable, "-m", "archibald", "produce", "--topic", "Morning light and gratitude",
         "--minutes", "1", "--out", out.name, "--seed", "5"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd=out.parent)


def _stored(out: Path) -> set[str]:
    root = out / ".archibald" / "stages"
    if not root.exists():
        return set()
    return {p.parent.name.rsplit("-", 1)[0] for p in root.glob("*/result.json")}


def test_sigkill_then_resume_redoes_no_finished_stage(tmp_path: Path) -> None:
    out = tmp_path / "video"
    env = {**os.environ, "ARCHIBALD_HOME": os.environ["ARCHIBALD_HOME"],
           "PYTHONUNBUFFERED": "1"}
    for var in ("ANTHROPIC_API_KEY", "DEEPSEEK_API_KEY", "ELEVENLABS_API_KEY", "FAL_KEY",
                "OPENHANDS_URL", "PERPLEXITY_API_KEY", "OPENAI_API_KEY"):
        env.pop(var, None)
    proc = _produce(out, env)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        if {"tts_qa", "image_generation"} <= _stored(out):
            break
        time.sleep(0.05)
    assert proc.poll() is None, "produce finished before it could be killed"
    before = _stored(out)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert {"market_research", "meditation_concept", "script_writing", "tts_qa"} <= before
    assert "video_assembly" not in before

    memory = Memory()
    run_id = None
    with memory.engine.connect() as conn:
        from sqlalchemy import text

        run_id = conn.execute(text("SELECT run_id FROM runs")).scalar_one()
    first = {(a.stage, a.route) for a in memory.attempts_of_run(run_id)}
    count_before = len(memory.attempts_of_run(run_id))

    again = _produce(out, env)
    log = again.communicate(timeout=600)[0].decode()
    assert again.returncode == 0, log
    data = json.loads((out / "run.json").read_text())
    assert data["status"] == "done" and data["run_id"] == run_id
    for name in before:
        assert data["stages"][name]["resumed"] is True, name
        assert re.search(rf"{name}\s+resumed", log), log
    # nothing finished before the kill was run or charged again
    after = memory.attempts_of_run(run_id)
    redone = [a for a in after[count_before:] if a.stage in before]
    assert redone == []
    assert {(a.stage, a.route) for a in after} >= first
    memory.close()

    # the files a user gets
    for name in ("video.mp4", "thumbnail.jpg", "script.md", "subtitles.srt", "metadata.json",
                 "run.json", "report.md", "report.html"):
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name
    assert (out / "publish" / "request.json").is_file()

    from archibald.media.quality import validate_video

    from archibald.media.probe import probe_audio

    mix = probe_audio(data["stages"]["video_assembly"]["output"]["mix"])
    facts = validate_video(out / "video.mp4", expected_duration=mix.duration)
    assert facts["pix_fmt"] == "yuv420p"

    # run.json and report.md agree to the cent, and totals are the sums of their rows
    total = data["totals"]["cost_nano"]
    assert total == sum(s["cost_nano"] for s in data["stages"].values())
    assert data["totals"]["baseline_nano"] == sum(s["baseline_nano"]
                                                  for s in data["stages"].values())
    report = (out / "report.md").read_text()
    m = re.search(r"\| \*\*Total\*\* \| \| \| \*\*\$([\d,.]+)\*\* \| \*\*\$([\d,.]+)\*\*", report)
    assert m, report
    trad, orch = (float(x.replace(",", "")) for x in m.groups())
    assert round(trad, 2) == round(data["totals"]["baseline_nano"] / NANO, 2)
    assert round(orch, 2) == round(total / NANO, 2)
    rows = re.findall(r"^\| (\w+) \| [^|]+ \| [^|]+ \| (?:\$([\d,.]+)|n/a) \| \$([\d,.]+) \|",
                      report, re.M)
    assert len(rows) == 12  # stages with no premium backend show n/a: no baseline
    assert round(sum(float(r[1].replace(",", "") or 0) for r in rows), 6) == round(trad, 6)
