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
from typing import Any

from ..errors import InputError
from ..fsio import make_dir, open_existing, place, refuse_link, swap_dirs, write_file

__all__ = ["OUTPUTS", "MANIFEST", "check_out", "place_outputs", "sweep_out"]

#: the files a run writes at the top of --out
OUTPUTS = ("video.mp4", "thumbnail.jpg", "subtitles.srt", "metadata.json", "script.md",
           "run.json", "report.md", "report.html")
PUBLISH = "publish"
#: inside publish/: the names Archibald wrote there, one JSON list
MANIFEST = ".archibald-manifest"
#: what the dry run wrote in publish/ before it kept a manifest
_LEGACY = frozenset({"video.mp4", "thumbnail.jpg", "subtitles.srt", "metadata.json",
                     "request.json"})
_SWAP = re.compile(r"^\.publish\.[0-9a-f]{12}\.(new|aside)$")


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


def check_out(out: Path) -> None:
    """Refuse, before anything runs, an --out whose names we write are links or foreign."""
    if not out.exists():
        return
    for name in (*OUTPUTS, ".archibald"):
        refuse_link(out / name)
    _ours(out / PUBLISH)


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


def _replace_publish(out: Path, src: Path) -> Path:
    """Build publish/ anew from the stage's ``src`` beside the old one, then swap them."""
    final = out / PUBLISH
    _ours(final)
    new = make_dir(out / f".publish.{secrets.token_hex(6)}.new")
    try:
        names = sorted(p.name for p in src.iterdir() if p.is_file())
        for name in names:
            place(src / name, new / name)
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


def place_outputs(out: Path, outcomes: dict[str, Any]) -> tuple[dict[str, str], list[str]]:
    """Put the finished files at the top of --out; return them, and what could not be placed
    (one line each; the rest of the run's files are still written)."""
    wanted = {
        "video.mp4": ("video_assembly", "path"),
        "thumbnail.jpg": ("thumbnail", "path"),
        "subtitles.srt": ("youtube_upload", "srt"),
    }
    placed: dict[str, str] = {}
    problems: list[str] = []
    for name, (stage, key) in wanted.items():
        o = outcomes.get(stage)
        if o is not None and key in o.result.value:
            placed[name] = str(place(o.result.value[key], out / name))
    up = outcomes.get("youtube_upload")
    if up is not None:
        placed["metadata.json"] = str(write_file(out / "metadata.json",
                                                 json.dumps(up.result.value["metadata"],
                                                            indent=2)))
        try:
            placed[PUBLISH] = str(_replace_publish(out, Path(up.result.value["publish_dir"])))
        except InputError as exc:
            problems.append(f"{PUBLISH}/ not written: {exc}")
    script = outcomes.get("tts_qa") or outcomes.get("quality_polish")
    if script is not None:
        from .local import script_from_dict

        md = script_from_dict(script.result.value["script"]).to_markdown()
        placed["script.md"] = str(write_file(out / "script.md", md))
    return placed, problems
