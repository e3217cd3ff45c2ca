"""Memory's export file read back: one JSON record a line, as ``archibald memory export``
writes it (see :meth:`~.memory.Memory.export_lines`)."""

from __future__ import annotations

import json
import math
import time
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
                                     f"not {v!r:.60}")
            why = (_attempt_problem if kind == "attempt" else _remembered_problem)(rec)
            if why:
                raise InputError(f"{path}: line {n}: {why}; nothing was imported")
            out.append(rec)
    return out


#: the routes a ledger row may name, and the most one row can cost (a million dollars)
ROUTES = ("premium", "budget", "agent", "local", "memory")
_MAX_NANO = 10**6 * 10**9
#: no record is older than this (2000-01-01) or more than a day in the future
_EARLIEST = 946_684_800.0
_TEXT_LIMITS = {"task_type": 64, "route": 16, "backend": 128, "channel": 64, "run_id": 64,
                "stage": 64, "model": 128, "purpose": 16, "evidence": 16, "status": 16,
                "idempotency_key": 300, "request_id": 200, "input_key": 64,
                "config_digest": 32}


def _finite(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _when_problem(v: Any) -> str | None:
    if not _finite(v) or not _EARLIEST <= float(v) <= time.time() + 86_400:
        return f"created_at {v!r:.40} is not a time between 2000 and now"
    return None


def _attempt_problem(rec: dict[str, Any]) -> str | None:
    """Why an exported attempt cannot be imported, or None: every field checked, the money
    ones as whole non-negative nano-dollars of a sane size, and no reservation (a pending or
    unknown row would hold budget that no command releases)."""
    from .ledger import EVIDENCE, PURPOSES

    for key in ("cost_nano", "baseline_nano", "max_cost_nano"):
        v = rec.get(key, 0)
        if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= _MAX_NANO:
            return f"{key} {v!r:.40} must be whole nano-dollars from 0 to {_MAX_NANO}"
    status = rec.get("status", "settled")
    if status != "settled":
        return (f"status {status!r:.20}: only settled rows are imported (a pending or unknown "
                f"row is a reservation of the machine that wrote it)")
    if rec["route"] not in ROUTES:
        return f"route {rec['route']!r:.40} is not one of {', '.join(ROUTES)}"
    purpose = rec.get("purpose", "production")
    if purpose not in PURPOSES:
        return f"purpose {purpose!r:.40} is not one of {', '.join(PURPOSES)}"
    evidence = rec.get("evidence", "")
    if evidence not in (*EVIDENCE, "", "unjudged", "forgotten", "human"):
        return f"evidence {evidence!r:.40} is not one of {', '.join(EVIDENCE)}, unjudged"
    q = rec.get("quality")
    if q is not None and (not _finite(q) or not 0.0 <= float(q) <= 1.0):
        return f"quality {q!r:.40} must be a number from 0 to 1 (or null)"
    s = rec.get("seconds", 0.0)
    if not _finite(s) or not 0 <= float(s) <= 7 * 86_400:
        return f"seconds {s!r:.40} must be a number from 0 to a week"
    for key, limit in _TEXT_LIMITS.items():
        v = rec.get(key)
        if v is not None and (not isinstance(v, str) or len(v) > limit or "\x00" in v):
            return f"{key} must be text of at most {limit} characters"
    for key in ("usage",):
        if not isinstance(rec.get(key, {}), dict):
            return f"{key} must be a table"
    for key in ("success", "checked"):
        if not isinstance(rec.get(key, True), bool):
            return f"{key} must be true or false"
    return _when_problem(rec["created_at"])


def _remembered_problem(rec: dict[str, Any]) -> str | None:
    if not _finite(rec["score"]):
        return f"score {rec['score']!r:.40} must be a finite number"
    if not isinstance(rec.get("payload"), dict):
        return "payload must be a table"
    for key, limit in (("what", 64), ("channel", 64), ("key", 128)):
        if len(rec[key]) > limit or "\x00" in rec[key]:
            return f"{key} must be text of at most {limit} characters"
    return _when_problem(rec["created_at"])
