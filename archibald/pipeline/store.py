"""The artifact store: each finished stage's result on disk, keyed by a digest of its inputs.

Layout, under the run's workdir::

    .archibald/lock                            held (flock) while a run uses this workdir
    .archibald/stages/<stage>-<key[:16]>/
        files/                                 the stage's ``stage_dir``: its artifacts
        result.json                            the completion marker, written LAST

A stage writes its files, then the store fsyncs them and writes ``result.json`` through a temp
file and ``os.replace``. ``result.json`` exists only once everything it describes is on disk,
so a SIGKILL at any moment leaves either a complete entry or one without ``result.json``,
which is ignored and removed on the next run.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import shutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archibald.errors import InputError
from archibald.store.fsio import (fsync_dir, make_dir, open_existing, sweep_temporaries,
                                  write_file)

__all__ = ["STORE_DIR", "StoredEntry", "StageStore", "canonical_json", "digest"]

#: where entries live, relative to the workdir
STORE_DIR = Path(".archibald") / "stages"
RESULT_FILE = "result.json"
FILES_DIR = "files"
#: bump when the entry format changes; old entries then stop matching
FORMAT = 1


def _json_default(obj: Any) -> Any:
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, (set, frozenset)):
        return sorted(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON-serialisable: {obj!r}")


def canonical_json(data: Any) -> bytes:
    """JSON with sorted keys and no whitespace: equal data, equal bytes."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=_json_default).encode()


def digest(data: Any) -> str:
    """SHA-256 (hex) of the canonical JSON of ``data``."""
    return hashlib.sha256(canonical_json(data)).hexdigest()


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
        os.fsync(f.fileno())
    return h.hexdigest()


@dataclass(frozen=True)
class StoredEntry:
    """One complete entry: what a finished stage returned, with its files' absolute paths."""

    name: str
    key: str
    result_digest: str  # digest of value + file contents; downstream keys are built from it
    value: dict[str, Any]
    files: dict[str, Path]
    record: dict[str, Any]
    seconds: float  # how long the stage took when it ran


class StageStore:
    """Stage results kept under ``workdir/.archibald/stages``."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = Path(workdir)
        self.root = self.workdir / STORE_DIR

    def entry_dir(self, name: str, key: str) -> Path:
        """The folder of one stage's entry for one key."""
        return self.root / f"{name}-{key[:16]}"

    def files_dir(self, name: str, key: str) -> Path:
        """The stage's ``stage_dir``: where it writes its artifacts."""
        return self.entry_dir(name, key) / FILES_DIR

    def load(self, name: str, key: str) -> StoredEntry | None:
        """The complete entry for ``(name, key)``, or None if absent, partial or damaged."""
        entry = self.entry_dir(name, key)
        try:
            with open_existing(entry / RESULT_FILE) as f:
                data = json.loads(f.read())
            if data.get("format") != FORMAT or data["name"] != name or data["key"] != key:
                return None
            files: dict[str, Path] = {}
            for label, meta in data["files"].items():
                path = entry / FILES_DIR / meta["path"]
                if not path.is_file() or path.stat().st_size != meta["size"]:
                    return None
                files[label] = path
            return StoredEntry(name=name, key=key, result_digest=data["result_digest"],
                               value=data["value"], files=files, record=data["record"],
                               seconds=float(data["seconds"]))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def prepare(self, name: str, key: str) -> Path:
        """Clear any partial entry for ``(name, key)`` and return an empty ``stage_dir``."""
        entry = self.entry_dir(name, key)
        if entry.exists():
            shutil.rmtree(entry)
        self._make_root()
        return make_dir(make_dir(entry) / FILES_DIR)

    def _make_root(self) -> None:
        """``.archibald/stages`` as real folders: a link planted there is refused, not followed.
        The workdir itself is the caller's choice of path, made if need be."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        make_dir(make_dir(self.root.parent) / self.root.name)

    def save(self, name: str, key: str, *, value: Mapping[str, Any],
             files: Mapping[str, Path], record: Mapping[str, Any],
             seconds: float) -> StoredEntry:
        """Make a finished stage's entry durable; ``result.json`` is written last.

        Raises ValueError if a file is missing or outside the stage's folder, or if value or
        record are not JSON-serialisable.
        """
        entry = self.entry_dir(name, key)
        base = (entry / FILES_DIR).resolve()
        metas: dict[str, dict[str, Any]] = {}
        paths: dict[str, Path] = {}
        for label, raw in files.items():
            path = Path(raw)
            if not path.is_absolute():
                path = base / path
            path = path.resolve()
            if not path.is_relative_to(base):
                raise ValueError(f"file {label!r} ({path}) is outside the stage's folder "
                                 f"{base}; write artifacts under StageInput.stage_dir")
            if not path.is_file():
                raise ValueError(f"file {label!r} ({path}) does not exist or is not a file")
            metas[label] = {"path": path.relative_to(base).as_posix(),
                            "size": path.stat().st_size, "sha256": _file_sha256(path)}
            paths[label] = path
        try:
            value_json = json.loads(canonical_json(dict(value)))
            record_json = json.loads(canonical_json(dict(record)))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"stage result is not JSON-serialisable: {exc}") from exc
        self._sweep_files(base)  # a write the stage retried leaves no temporary behind
        result_digest = digest({"value": value_json,
                                "files": {k: m["sha256"] for k, m in metas.items()}})
        for folder in {p.parent for p in paths.values()} | {base, entry}:
            fsync_dir(folder)
        data = {"format": FORMAT, "name": name, "key": key, "result_digest": result_digest,
                "value": value_json, "files": metas, "record": record_json,
                "seconds": round(seconds, 6)}
        write_file(entry / RESULT_FILE, json.dumps(data, indent=1, sort_keys=True).encode())
        fsync_dir(self.root)
        return StoredEntry(name=name, key=key, result_digest=result_digest, value=value_json,
                           files=paths, record=record_json, seconds=seconds)

    def sweep(self) -> list[Path]:
        """Remove what killed runs left: entries without ``result.json`` (a stage killed while
        it ran, whatever its key), and our temporaries (``.NAME.<hex>.tmp``, a write killed
        half-way) inside finished entries' folders. Links are never followed. Return what
        went. A run calls it under the workdir's lock, before its stages run."""
        removed: list[Path] = []
        if not self.root.is_dir() or self.root.is_symlink():
            return removed
        for entry in self.root.iterdir():
            if not entry.is_dir() or entry.is_symlink():
                continue
            if not (entry / RESULT_FILE).is_file():
                shutil.rmtree(entry, ignore_errors=True)
                removed.append(entry)
                continue
            removed += self._sweep_files(entry / FILES_DIR)
        return removed

    @staticmethod
    def _sweep_files(folder: Path) -> list[Path]:
        removed: list[Path] = []
        if not folder.is_dir() or folder.is_symlink():
            return removed
        for here, _dirs, _files in os.walk(folder, followlinks=False):
            removed += sweep_temporaries(Path(here))
        return removed

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the workdir for one run; a second concurrent run is refused, not interleaved.

        The kernel drops the lock when the process dies, so a SIGKILLed run never leaves it.
        """
        self._make_root()
        path = self.root.parent / "lock"
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise InputError(f"cannot open the run lock {path}: {exc.strerror}; remove it if it "
                             f"is a link or not a file") from None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
                raise InputError(
                    f"{self.workdir} is in use by another run (pid {holder}); wait for it to "
                    f"finish or choose another output folder") from None
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode(), 0)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
