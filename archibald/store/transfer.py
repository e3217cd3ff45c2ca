"""Memory's export file read back: one JSON record a line, as ``archibald memory export``
writes it (see :meth:`~.memory.Memory.export_lines`)."""

from __future__ import annotations

import json
from typing import Any


__all__ = ["read_export"]


def read_export(path: str) -> list[dict[str, Any]]:
    """The records of a `memory export` file, every line checked before any is used (a bad
    line is an InputError naming it, and nothing is imported)."""
    from pathlib import Path

    from ..errors import InputError

    from .fsio import open_existing

    p = Path(path)
    if p.is_symlink() or not p.is_file():
        raise InputError(f"{path} is not a regular file; give the file `archibald memory "
                         f"export` wrote")
    need = {"attempt": {"task_type": str, "route": str, "backend": str, "success": bool,
                        "cost_nano": int, "baseline_nano": int, "created_at": float},
            "remembered": {"what": str, "channel": str, "key": str, "score": float,
                           "created_at": float}}
    out = []
    with open_existing(p) as f:  # a link swapped in after the check is refused, not read
        for n, raw in enumerate(f, 1):
            line = raw.decode("utf-8", errors="replace")
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"{path}: line {n} is not JSON ({exc.msg})") from None
            kind = rec.get("kind") if isinstance(rec, dict) else None
            if kind not in need:
                raise InputError(f"{path}: line {n}: kind must be \"attempt\" or "
                                 f"\"remembered\"")
            for key, typ in need[kind].items():
                v = rec.get(key)
                ok = isinstance(v, (int, float)) and not isinstance(v, bool) \
                    if typ is float else isinstance(v, typ) and not (
                        typ is int and isinstance(v, bool))
                if not ok:
                    raise InputError(f"{path}: line {n}: {key} must be a {typ.__name__}, "
                                     f"not {v!r}")
            out.append(rec)
    return out
