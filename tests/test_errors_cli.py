"""Every database, filesystem and bad-input failure is one line and exit 2 or 1 (issue 16)."""

from __future__ import annotations

import errno
import json
import os
import sqlite3
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from sqlalchemy.exc import DatabaseError, OperationalError

from archibald.cli.common import failure_line
from archibald.errors import StageFailed
from archibald.store.memory import Memory
from media_helpers import run_cli


def _one_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith("archibald: ") and "\n" not in err, err
    return err


def _produce(out: Path, *extra: str) -> int:
    return run_cli(["produce", "--topic", "Sea calm", "--minutes", "1", "--out", str(out),
                    *extra])


def test_corrupt_database_is_one_line_and_leaves_no_out(work: Path,
                                                        capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    db = Path(os.environ["ARCHIBALD_HOME"]) / "archibald.db"
    db.write_bytes(b"this is not SQLite" * 300)
    assert _produce(work / "new" / "out") == 2
    err = _one_line(capsys)
    assert str(db) in err and "damaged" in err and "move it aside" in err
    assert not (work / "new").exists()


def test_database_failing_after_opening_is_one_line(work: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    full = sqlite3.OperationalError("database or disk is full")

    def start_run(*args: object, **kwargs: object) -> None:
        raise OperationalError("INSERT INTO runs ...\nVALUES (?)", {}, full)

    monkeypatch.setattr(Memory, "start_run", start_run)
    assert _produce(work / "out") == 1
    err = _one_line(capsys)
    assert "database or disk is full" in err and "free some space" in err and "[SQL" not in err


@pytest.mark.parametrize(("exc", "status", "words"), [
    (OperationalError("BEGIN", {}, sqlite3.OperationalError("database is locked")), 1,
     "another program holds the database"),
    (DatabaseError("SELECT", {}, sqlite3.DatabaseError("database disk image is malformed")), 2,
     "damaged"),
    (StageFailed("voice", OperationalError("INSERT", {}, sqlite3.OperationalError(
        "database or disk is full"))), 1, "stage 'voice' failed: database"),
    (OSError(errno.ENOSPC, "No space left on device", "/o/video.mp4"), 1,
     "/o/video.mp4: No space left on device; free some space"),
    (StageFailed("art", PermissionError(errno.EACCES, "Permission denied", "/o/a.png")), 2,
     "stage 'art' failed: /o/a.png: Permission denied"),
])
def test_failure_lines(exc: BaseException, status: int, words: str) -> None:
    line = failure_line(exc)
    assert line is not None and words in line[0] and line[1] == status and "\n" not in line[0]
    assert line[0].startswith("error: " if status == 2 else "failed: ")


def test_a_bug_still_shows_its_traceback() -> None:
    assert failure_line(ZeroDivisionError("bug")) is None


def test_archibald_home_that_cannot_be_created(work: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    (work / "file").write_text("x")
    monkeypatch.setenv("ARCHIBALD_HOME", str(work / "file" / "home"))
    assert run_cli(["plan"]) == 2
    assert "ARCHIBALD_HOME" in _one_line(capsys)


@pytest.mark.parametrize("args", [["plan", "--videos", "-3"], ["plan", "--videos", "0"],
                                  ["plan", "--minutes", "inf"]])
def test_plan_refuses_impossible_counts(args: list[str],
                                        capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(args) == 2
    _one_line(capsys)


def test_forced_route_with_a_missing_key_is_exit_2_before_anything_runs(
        work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = work / "archibald.toml"
    config.write_text('[task_types.script_writing]\nroute = "budget"\n')
    assert run_cli(["route", "explain", "script_writing", "-c", str(config)]) == 2
    assert "DEEPSEEK_API_KEY" in _one_line(capsys)
    assert _produce(work / "out", "-c", str(config)) == 2
    assert "DEEPSEEK_API_KEY" in _one_line(capsys)
    assert not (work / "out").exists()


@pytest.mark.parametrize("tail", ["1e9", "inf", "nan", "-1"])
def test_mix_tail_out_of_range(work: Path, tail: str,
                               capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["mix", "--voice", str(work / "v.wav"), "--out", str(work / "m.wav"),
                    "--tail", tail]) == 2
    assert "tail" in _one_line(capsys)


@pytest.mark.parametrize(("option", "words"), [
    (["--sentence-pause", "inf"], "sentence pause"), (["--sentence-pause", "1e9"], "sentence pause"),
    (["--workers", "100000"], "workers"), (["--workers", "0"], "workers")])
def test_voice_options_out_of_range(work: Path, option: list[str], words: str,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    (work / "t.txt").write_text("Breathe in. Breathe out.")
    assert run_cli(["voice", "--text-file", str(work / "t.txt"), "--out",
                    str(work / "v.wav"), *option]) == 2
    assert words in _one_line(capsys)


def test_replay_of_a_binary_file(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (work / "data.csv").write_bytes(b"\xa9\xff\x00" * 100)
    assert run_cli(["bench", "replay", str(work)]) == 2
    assert "not RouterBench-format CSV text" in _one_line(capsys)


def _bomb(path: Path) -> Path:
    """A 40000x40000 PNG of a few hundred bytes: only its header says how big it is."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + \
            struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 40000, 40000, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
                     + chunk(b"IDAT", zlib.compress(b"\0" * 1000)) + chunk(b"IEND", b""))
    return path


@pytest.mark.parametrize("command", ["thumbnail", "assemble"])
def test_decompression_bomb_is_refused_before_decoding(work: Path, command: str,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    image = _bomb(work / "big.png")
    args = (["thumbnail", "--title", "Calm", "--image", str(image), "--out",
             str(work / "t.jpg")] if command == "thumbnail" else
            ["assemble", "--image", str(image), "--audio", str(image), "--out",
             str(work / "v.mp4")])
    assert run_cli(args) == 2
    assert "more pixels than can be decoded safely" in _one_line(capsys)


def test_refused_concurrent_run_leaves_the_running_runs_files_alone(
        work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = work / "out"
    (out / ".archibald").mkdir(parents=True)
    (out / "run.json").write_text('{"status": "running"}')
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, os, sys, time\n"
         "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)\n"
         "fcntl.flock(fd, fcntl.LOCK_EX); os.write(fd, b'4242'); print('held', flush=True)\n"
         "time.sleep(60)", str(out / ".archibald" / "lock")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        assert _produce(out) == 2
        assert "in use by another run (pid 4242)" in _one_line(capsys)
    finally:
        holder.kill()
        holder.wait()
    assert json.loads((out / "run.json").read_text()) == {"status": "running"}
    assert sorted(p.name for p in out.iterdir()) == [".archibald", "run.json"]
