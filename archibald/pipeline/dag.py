"""The order of a pipeline's stages: dependencies first. The engine runs in it and a pipeline
file is checked with it, without either needing the other."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from archibald.errors import UserError

__all__ = ["PipelineError", "dag_order"]

#: what a stage's name may hold
_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


class PipelineError(UserError):
    """The pipeline itself is malformed: a bad stage name, an unknown dependency, a cycle."""


def dag_order(stages: Iterable[tuple[str, Sequence[str]]]) -> list[str]:
    """Stage names from (name, needs) pairs, dependencies first (declared order among
    equals); a PipelineError names a bad or repeated name, an unknown need or a cycle."""
    by_name: dict[str, Sequence[str]] = {}
    for name, deps in stages:
        if not _NAME.match(name):
            raise PipelineError(f"stage name {name!r} may hold only letters, digits, "
                                f"'_', '-' and '.'")
        if name in by_name:
            raise PipelineError(f"two stages are named {name!r}; stage names must be unique")
        by_name[name] = deps
    for name, deps in by_name.items():
        for d in deps:
            if d not in by_name:
                raise PipelineError(f"stage {name!r} depends on {d!r}, which is not a stage "
                                    f"of this pipeline (known: {', '.join(by_name)})")
    order: list[str] = []
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            cycle = path[path.index(name):] + [name]
            raise PipelineError(f"the stages form a cycle: {' -> '.join(cycle)}")
        state[name] = 1
        for d in by_name[name]:
            visit(d, path + [name])
        state[name] = 2
        order.append(name)

    for name in by_name:
        visit(name, [])
    return order
