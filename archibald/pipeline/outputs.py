"""What a run leaves at the top of ``--out``: the finished files and the ``publish/`` folder.

``--out`` is the user's folder, so nothing there is followed or removed unless Archibald put it
there. ``publish/`` is rebuilt beside the old one and swapped in; the old one is removed only
when its manifest (``.archibald-manifest``) lists every file in it. A ``publish/`` holding
anything else, or a link at any name we write, is refused with one line, before the run spends
anything (:func:`check_out`) and again at the moment of writing.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import stat
from pathlib import Path
from typing import Any, Mapping

from ..errors import InputError
from ..store.fsio import make_dir, open_existing, place, refuse_link, swap_dirs, write_file

__all__ = ["RUN_FILES", "MANIFEST", "check_out", "place_outputs", "sweep_out"]

#: the files every run writes at the top of --out, besides its pipeline's outputs
RUN_FILES = ("run.json", "report.md", "report.html")
#: inside a folder output (publish/): the names Archibald wrote there, one JSON list
MANIFEST = ".archibald-manifest"
#: what the dry run wrote in publish/ before it kept a manifest
_LEGACY = frozenset({"video.mp4", "thumbnail.jpg", "subtitles.srt", "metadata.json",
                     "request.json"})
_SWAP = re.compile(r"^\.[A-Za-z0-9_-]+\.[0-9a-f]{12}\.(new|aside)$")


def _ours(folder: Path) -> None:
    """Raise InputError unless ``folder`` is absent or a publish/ holding only what we wrote
    (a link or a file at its name is not ours either)."""
    try:
        st = os.lstat(folder)
    except FileNotFoundError:
        return
    if stat.S_ISLNK(st.st_mode):
        raise InputError(f"{folder} is a symbolic link; Archibald does not write through links: "
                         f"remove it (or move it away) and run again")
    if not stat.S_ISDIR(st.st_mode):
        raise InputError(f"{folder} is not a folder; move it away and run again")
    names = sorted(os.listdir(folder))
    listed: set[str] = set(_LEGACY)
    if MANIFEST in names:
        try:
            with open_existing(folder / MANIFEST) as f:
                listed = {str(n) for n in json.loads(f.read().decode("utf-8"))}
        except (OSError, ValueError, TypeError):
            listed = set()
    foreign = [n for n in names if n != MANIFEST and
               (n not in listed or not stat.S_ISREG(os.lstat(folder / n).st_mode))]
    if foreign:
        shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3
                                          else "")
        raise InputError(f"{folder} holds files Archibald did not write ({shown}); move them "
                         f"out of it, or choose another --out")


def check_out(out: Path, names: list[str]) -> None:
    """Refuse, before anything runs, an --out whose names we write are links or foreign:
    ``names`` are the pipeline's outputs (a name ending in ``/`` is a folder)."""
    if not out.exists():
        return
    for name in (*RUN_FILES, ".archibald", *(n for n in names if not n.endswith("/"))):
        refuse_link(out / name)
    for name in names:
        if name.endswith("/"):
            _ours(out / name.rstrip("/"))


def sweep_out(out: Path) -> None:
    """Remove the ``.publish.*`` folders a killed run left mid-swap (ours only: every file
    in them one we wrote)."""
    for name in os.listdir(out):
        if _SWAP.match(name):
            try:
                _ours(out / name)
            except InputError:
                continue
            shutil.rmtree(out / name)


def _made_by_run(value: str, own: Path) -> Path | None:
    """``value`` as a path the run itself made, or None (it is then text).

    Only a path inside the run's stage folders (``own``: ``--out/.archibald/stages``) whose
    every component is a real folder or file, not a link, may be placed: a model's answer, a
    stage value or a user's input naming ``/etc/shadow``, a home folder or a link out of the
    stage folder is never copied or linked into ``--out``.
    """
    if not value or len(value) >= 4096 or "\x00" in value or not os.path.isabs(value):
        return None
    path = Path(os.path.normpath(value))
    root = Path(os.path.normpath(own))
    if not path.is_relative_to(root) or path == root:
        return None
    here = root
    for part in path.relative_to(root).parts:
        here = here / part
        try:
            st = os.lstat(here)
        except OSError:
            return None
        if stat.S_ISLNK(st.st_mode):
            return None
    real_root = os.path.realpath(root)
    if not os.path.realpath(path).startswith(real_root + os.sep):
        return None
    return path


def _replace_folder(out: Path, name: str, src: Path) -> Path:
    """Build the folder ``name`` anew from the stage's ``src`` beside the old one, then swap
    them."""
    final = out / name
    _ours(final)
    new = make_dir(out / f".{name}.{secrets.token_hex(6)}.new")
    try:
        # regular files only, never through a link (a link in a stage's folder is not placed)
        names = sorted(p.name for p in src.iterdir()
                       if stat.S_ISREG(os.lstat(p).st_mode))
        for item in names:
            place(src / item, new / item)
        write_file(new / MANIFEST, json.dumps(names))
        if os.path.lexists(final):
            _ours(final)  # still only ours, just before it goes
            swap_dirs(new, final)
        else:
            os.rename(new, final)
    finally:
        if new.is_dir() and not new.is_symlink():
            shutil.rmtree(new)  # the new folder if it failed, else the old one, swapped out
    return final


def place_outputs(out: Path, outputs: Mapping[str, tuple[str, str]],
                  outcomes: Mapping[str, Any], own: Path | None = None
                  ) -> tuple[dict[str, str], list[str]]:
    """Put the pipeline's outputs at the top of --out: ``outputs`` maps a name to (stage, key
    of its value); the value is a file the stage wrote (a folder for a name ending in ``/``),
    a text, or a table (written as JSON). Return what was placed, and what could not be (one
    line each; the rest are still written).

    A file or folder is placed only when the run made it: inside ``own`` (the run's stage
    folders, ``--out/.archibald/stages`` by default), reached without a link. Any other path
    is a text (a file output) or refused (a folder output)."""
    own = own if own is not None else out / ".archibald" / "stages"
    placed: dict[str, str] = {}
    problems: list[str] = []
    for name, (stage, key) in outputs.items():
        o = outcomes.get(stage)
        value = o.result.value.get(key) if o is not None and isinstance(o.result.value, dict) \
            else None
        if value is None:
            continue
        made = _made_by_run(value, own) if isinstance(value, str) else None
        if name.endswith("/"):
            folder = name.rstrip("/")
            if made is None or not stat.S_ISDIR(os.lstat(made).st_mode):
                problems.append(f"{folder}/ not written: its value is not a folder this run "
                                f"made ({str(value)[:80]!r})")
                continue
            try:
                placed[folder] = str(_replace_folder(out, folder, made))
            except InputError as exc:
                problems.append(f"{folder}/ not written: {exc}")
        elif made is not None and stat.S_ISREG(os.lstat(made).st_mode):
            placed[name] = str(place(made, out / name))
        elif isinstance(value, str):
            placed[name] = str(write_file(out / name, value))
        else:
            placed[name] = str(write_file(out / name, json.dumps(value, indent=2,
                                                                 default=str)))
    return placed, problems
