"""Processes seen through /proc: who descends from whom, and who is still alive (Linux)."""

from __future__ import annotations

import os
from pathlib import Path


def _stat(pid: int) -> tuple[int, str, int] | None:
    """(parent pid, state, start time in clock ticks) of ``pid``, or None if it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2:].split()  # the name may hold spaces and parentheses
    return int(fields[1]), fields[0], int(fields[19])


def children(pid: int) -> dict[int, int]:
    """Every live (not zombie) child of ``pid``, as pid -> start time."""
    found = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            st = _stat(int(entry))
            if st is not None and st[0] == pid and st[1] != "Z":
                found[int(entry)] = st[2]
    return found


def descendants(pid: int) -> dict[int, int]:
    """Every live descendant of ``pid``, as pid -> start time."""
    found: dict[int, int] = {}
    todo = [pid]
    while todo:
        for child, started in children(todo.pop()).items():
            if child not in found:
                found[child] = started
                todo.append(child)
    return found


def alive(procs: dict[int, int]) -> dict[int, int]:
    """Those of ``procs`` still running (same pid and start time, not a zombie)."""
    out = {}
    for pid, started in procs.items():
        st = _stat(pid)
        if st is not None and st[2] == started and st[1] != "Z":
            out[pid] = started
    return out


def command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:200]
    except OSError:
        return "?"
