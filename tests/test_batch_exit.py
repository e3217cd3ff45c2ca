"""`archibald batch` tells the shell when items failed, and its worker pool dies with it
(issue 20.14)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from proc_helpers import descendants


def test_a_batch_with_a_failed_item_exits_1(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "blocked").write_text("a file where the item's folder should be")
    (tmp_path / "m.csv").write_text("topic,minutes,channel,out\nEvening rest,1,b,blocked\n")
    proc = subprocess.run([sys.executable, "-m", "archibald", "batch", "m.csv", "--out", "out"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "0/1 done, 1 failed" in proc.stdout
    # the summary per channel: baseline, cost, savings by evidence, its own budget (issue 23.4)
    assert "channel b: cost $0 against $0 all-premium" in proc.stdout
    assert "verified savings" in proc.stdout and "no budget of its own" in proc.stdout


@pytest.mark.slow
def test_sigkill_of_the_batch_takes_its_workers_down(tmp_path: Path) -> None:
    (tmp_path / "m.csv").write_text("topic,minutes,channel\nMorning light,2,a\n")
    proc = subprocess.Popen([sys.executable, "-m", "archibald", "batch", "m.csv", "--out",
                             "out"], cwd=tmp_path, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    workers: dict[int, int] = {}
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            workers = descendants(proc.pid)
            if len(workers) >= 2:  # the forkserver and at least one pool worker
                break
            time.sleep(0.05)
        assert workers, "the batch started no worker"
        os.kill(proc.pid, signal.SIGKILL)  # the main process only, as a user's kill would
        proc.wait()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and any(
                Path(f"/proc/{pid}").exists() and _alive(pid) for pid in workers):
            time.sleep(0.1)
        left = [pid for pid in workers if _alive(pid)]
        assert not left, f"workers outlived the batch: {left}"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        for pid in workers:  # never leave one behind, whatever the verdict
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
