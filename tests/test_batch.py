"""`archibald batch`: manifests, one scheduler for many videos, resume after SIGKILL."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from archibald.cli import main
from archibald.config import load_settings
from archibald.errors import InputError
from archibald.store.memory import Memory
from archibald.pipeline.batch import load_manifest, run_batch


def _cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


# -- the manifest -------------------------------------------------------------------------------
def test_csv_and_toml_manifests_give_the_same_items(work: Path) -> None:
    (work / "m.csv").write_text("topic,minutes,channel,seed,publish_at\n"
                                "Sleep after a night shift,2,nurses,4,2026-12-01T21:00:00+01:00\n"
                                "\n"
                                "Focus before an exam,1,study,,\n")
    (work / "m.toml").write_text('[defaults]\nminutes = 2\n\n'
                                 '[[items]]\ntopic = "Sleep after a night shift"\n'
                                 'channel = "nurses"\nseed = 4\n'
                                 'publish_at = 2026-12-01T21:00:00+01:00\n\n'
                                 '[[items]]\ntopic = "Focus before an exam"\nminutes = 1\n'
                                 'channel = "study"\n')
    a = load_manifest(work / "m.csv", work / "out")
    b = load_manifest(work / "m.toml", work / "out")
    assert [(i.topic, i.minutes, i.channel, i.seed, i.publish_at, i.out) for i in a] == \
        [(i.topic, i.minutes, i.channel, i.seed, i.publish_at, i.out) for i in b]
    assert a[0].publish_at == dt.datetime(2026, 12, 1, 20, 0, tzinfo=dt.timezone.utc)
    assert a[1].seed == 0 and a[1].minutes == 1.0 and a[1].publish_at is None
    assert a[0].out.parent == work / "out" and a[0].out != a[1].out


@pytest.mark.parametrize("text, fragment", [
    ("topic,minuts\nrain,1\n", "unknown field 'minuts' (did you mean 'minutes'?)"),
    ("topic,minutes\nrain,0.5\n", "minutes 0.5 is out of range"),
    ("topic,minutes\nrain,nan\n", "minutes nan is out of range"),
    ("topic,seed\nrain,1.5\n", "seed '1.5' is not a whole number"),
    ("topic,publish_at\nrain,2026-12-01T09:00\n", "has no time zone"),
    ("topic,publish_at\nrain,tomorrow\n", "is not an ISO 8601 time"),
    ("topic,out\nrain,../elsewhere\n", "must be a folder name inside"),
    ("topic,out\nrain,/etc\n", "must be a folder name inside"),
    ("topic,channel\nrain,a b\n", "channel 'a b'"),
    ("topic,pipeline\nrain,radio\n", "unknown pipeline 'radio'"),
    ("topic\nsame\nsame\n", "same folder"),
    ("topic,minutes\n,3\n", "topic is empty"),
    ("topic,minutes\n🌧🌧,3\n", "topic '🌧🌧' has no words"),
    ("topic\n", "no items"),
    ("topic,minutes\nrain,1,extra\n", "more values than the header"),
])
def test_a_bad_manifest_is_one_line_naming_the_row(work: Path, text: str,
                                                   fragment: str) -> None:
    (work / "m.csv").write_text(text)
    with pytest.raises(InputError) as info:
        load_manifest(work / "m.csv", work / "out")
    assert fragment in str(info.value) and "\n" not in str(info.value)


def test_a_bad_manifest_exits_2_and_writes_nothing(work: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    (work / "m.toml").write_text('[[item]]\ntopic = "x"\n')
    code, out, err = _cli(["batch", str(work / "m.toml"), "--out", str(work / "out")], capsys)
    assert code == 2 and err.count("\n") == 1 and "unknown table 'item'" in err
    assert not (work / "out").exists()
    code, _, err = _cli(["batch", str(work / "missing.csv")], capsys)
    assert code == 2 and "is not a file" in err


def test_dry_run_shows_the_schedule_and_forecast(work: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    (work / "m.csv").write_text("topic,channel,publish_at\n"
                                "Late one,a,2026-12-03T09:00:00Z\n"
                                "No time,b,\n"
                                "Early one,c,2026-12-01T09:00:00Z\n")
    code, out, _ = _cli(["batch", str(work / "m.csv"), "--out", str(work / "out"),
                         "--dry-run", "--json"], capsys)
    assert code == 0
    data = json.loads(out)
    assert [r["topic"] for r in data["items"]] == ["Early one", "Late one", "No time"]
    assert data["planned_cost_total_usd"] == sum(r["planned_cost_usd"] for r in data["items"])
    assert not (work / "out").exists()


# -- running ------------------------------------------------------------------------------------
@pytest.mark.slow
def test_one_failed_item_does_not_stop_the_others(work: Path) -> None:
    (work / "out").mkdir()
    (work / "out" / "blocked").write_text("a file where the item's folder should be")
    (work / "m.csv").write_text("topic,minutes,channel,out\n"
                                "Morning light,1,a,light\n"
                                "Evening rest,1,b,blocked\n")
    items = load_manifest(work / "m.csv", work / "out")
    memory = Memory()
    seen: list[tuple[str, str]] = []
    result = run_batch(items, load_settings(None), memory,
                       notify=lambda r: seen.append((r.item.out.name, r.state)))
    states = {r.item.out.name: r.state for r in result.items}
    assert states == {"light": "done", "blocked": "failed"}
    failed = result.failed[0]
    assert "is a file" in failed.error and "\n" not in failed.error
    assert (work / "out" / "light" / "video.mp4").is_file()
    assert ("light", "running") in seen and ("light", "done") in seen
    again = run_batch(items[:1], load_settings(None), memory)
    memory.close()
    assert again.items[0].state == "finished earlier"


def _stored(out: Path) -> set[str]:
    return {p.parent.name.rsplit("-", 1)[0]
            for p in (out / ".archibald" / "stages").glob("*/result.json")}


@pytest.mark.slow
def test_sigkill_mid_batch_then_rerun_finishes_every_item_once(tmp_path: Path) -> None:
    """6 items across 3 channels; SIGKILL mid-way; the re-run redoes no finished stage."""
    work = tmp_path / "work"
    work.mkdir()
    topics = ["Morning light", "Evening rest", "Focus at work", "Letting go of worry",
              "Gratitude walk", "Calm before a flight"]
    rows = ["topic,minutes,channel,seed,publish_at"]
    for i in range(6):
        when = f"2026-12-{i + 1:02d}T09:00:00Z" if i % 3 == 0 else ""
        rows.append(f"{topics[i % 6]},1,{('sleep', 'focus', 'joy')[i % 3]},{i},{when}")
    (work / "m.csv").write_text("\n".join(rows) + "\n")
    out = work / "out"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "archibald", "batch", "m.csv", "--out", str(out)]
    proc = subprocess.Popen(cmd, cwd=work, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 400
    folders: list[Path] = []
    while time.monotonic() < deadline and proc.poll() is None:
        folders = [d for d in out.glob("*") if d.is_dir()] if out.exists() else []
        done = [d for d in folders if (d / "video.mp4").exists()]
        if len(done) >= 2 and any(_stored(d) and not (d / "video.mp4").exists()
                                  for d in folders):
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the batch finished before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)  # the whole process group: main process and workers
    proc.wait()
    before = {d.name: _stored(d) for d in folders}
    def finished(d: Path) -> bool:  # its outputs placed and listed in its run.json
        data = json.loads((d / "run.json").read_text()) if (d / "run.json").exists() else {}
        files = data.get("files") or {}
        return data.get("status") == "done" and bool(files) and all(
            Path(p).exists() for p in files.values())

    finished_before = {d.name for d in folders if finished(d)}

    again = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "6/6 done, 0 failed" in again.stdout
    memory = Memory()
    for d in sorted(out.iterdir()):
        data = json.loads((d / "run.json").read_text())
        assert data["status"] == "done", d.name
        assert (d / "video.mp4").stat().st_size > 0
        if d.name in finished_before:
            assert f"{d.name}  finished earlier" in again.stdout
            continue
        for name in before.get(d.name, set()):
            assert data["stages"][name]["resumed"] is True, (d.name, name)
        # the ledger holds exactly the attempts run.json lists: none lost, none doubled
        attempts = memory.attempts_of_run(data["run_id"])
        ledger = sorted((a.stage, a.route, a.cost_nano) for a in attempts)
        listed = [(s, a["route"], a["cost_nano"]) for s, rec in data["stages"].items()
                  for a in rec["attempts"]]
        assert set(listed) <= set(ledger)
        assert sum(c for *_, c in ledger) == data["totals"]["cost_nano"]
        # every stage stored before the kill succeeded exactly once across both runs
        for name in before.get(d.name, set()):
            assert sum(a.stage == name and a.success for a in attempts) == 1, (d.name, name)
    memory.close()


@pytest.mark.slow
def test_the_same_manifest_runs_on_a_local_ray_instance(tmp_path: Path) -> None:
    pytest.importorskip("ray")
    work = tmp_path / "work"
    work.mkdir()
    (work / "m.csv").write_text("topic,minutes,channel,seed\n"
                                "Morning light,1,a,1\nEvening rest,1,b,2\n")
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "RAY_USAGE_STATS_ENABLED": "0"}
    proc = subprocess.run([sys.executable, "-m", "archibald", "batch", "m.csv", "--out", "out",
                           "--ray", "local", "--json"], cwd=work, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    data = json.loads(proc.stdout[proc.stdout.index("{"):])
    assert data["ray"] == "local" and data["done"] == 2 and data["failed"] == 0
    memory = Memory()
    for item in data["items"]:
        run = json.loads((Path(item["out"]) / "run.json").read_text())
        assert run["status"] == "done" and (Path(item["out"]) / "video.mp4").is_file()
        # the workers wrote to the same ledger as a local run would
        assert sum(a.cost_nano for a in memory.attempts_of_run(run["run_id"])) == \
            run["totals"]["cost_nano"]
        assert memory.attempts_of_run(run["run_id"])
    memory.close()


def test_ray_with_a_cluster_needs_a_shared_database(work: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("ray")
    (work / "m.csv").write_text("topic\nrain\n")
    code, _, err = _cli(["batch", str(work / "m.csv"), "--out", str(work / "out"),
                         "--ray", "10.0.0.1:6379"], capsys)
    assert code == 2 and "needs a shared database" in err


def test_a_row_without_a_pipeline_takes_its_channels(tmp_path: Path) -> None:
    """[channels.NAME] pipeline is the default of that channel's rows; a row may still name
    its own; the dry run plans each item on its pipeline."""
    from archibald.pipeline.batch import item_request

    config = tmp_path / "archibald.toml"
    config.write_text('[channels.talk]\npipeline = "podcast"\n')
    settings = load_settings(config)
    (tmp_path / "m.csv").write_text("topic,minutes,channel,pipeline\n"
                                    "Tea,3,talk,\nRain,2,talk,meditation\nCoffee,2,other,\n")
    items = load_manifest(tmp_path / "m.csv", tmp_path / "out")
    names = [item_request(it, settings).pipeline.name for it in items]
    assert names == ["podcast", "meditation", "meditation"]
