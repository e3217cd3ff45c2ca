"""The shipped pipelines: one TOML file each (their own code beside it), and what the rest of
Archibald reads from the files without loading a pipeline (cheap: the TOML only, read once a
process, nothing imported), so settings, `route explain`, `doctor` and the judge know every
shipped task type, local route and rubric.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = ["shipped_pipelines", "shipped_task_types", "shipped_rubrics", "shipped_locals",
           "shipped_adopted"]


@lru_cache(maxsize=1)
def shipped_pipelines() -> dict[str, Path]:
    """Every pipeline shipped in archibald/pipelines/, by name: each is a package whose
    ``pipeline.toml`` declares it (its folder's name is the pipeline's)."""
    folder = Path(str(resources.files(__name__)))
    return {p.parent.name: p for p in sorted(folder.glob("*/pipeline.toml"))}


@lru_cache(maxsize=1)
def _shipped_raw() -> dict[str, dict[str, Any]]:
    return {name: tomllib.loads(path.read_text(encoding="utf-8"))
            for name, path in shipped_pipelines().items()}


def _tables(kind: str) -> dict[str, dict[str, Any]]:
    """The ``[kind.NAME]`` tables of every shipped pipeline, the first file's where two have
    one."""
    out: dict[str, dict[str, Any]] = {}
    for raw in _shipped_raw().values():
        for name, table in raw.get(kind, {}).items():
            out.setdefault(name, table)
    return out


def shipped_task_types() -> dict[str, dict[str, Any]]:
    """The [task_types] of every shipped pipeline (settings know them without a pipeline
    named, so `route explain`, `doctor` and `memory` cover them)."""
    return _tables("task_types")


def shipped_rubrics() -> dict[str, dict[str, Any]]:
    """The [rubrics] of every shipped pipeline: the judge knows them without a run."""
    return _tables("rubrics")


def shipped_locals() -> dict[str, tuple[str | None, str | None]]:
    """Task type -> (local implementation, memory re-use) of the shipped pipelines' stages,
    as import paths (nothing imported)."""
    out: dict[str, tuple[str | None, str | None]] = {}
    for raw in _shipped_raw().values():
        for s in raw.get("stages", []):
            t = s.get("task_type") or s["name"]
            local, reuse = out.get(t, (None, None))
            out[t] = (local or s.get("local"), reuse or s.get("reuse"))
    return out


def shipped_adopted() -> frozenset[str]:
    """The task types whose shipped stages send a prompt and adopt a model's text into their
    local route's shape: the text stages a chat model on this machine can write."""
    return frozenset(s.get("task_type") or s["name"] for raw in _shipped_raw().values()
                     for s in raw.get("stages", []) if s.get("adopt") and s.get("prompt"))
