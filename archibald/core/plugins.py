"""Backends other packages add: the ``archibald.backends`` entry point group.

A package declares, in its pyproject.toml::

    [project.entry-points."archibald.backends"]
    whisper = "mypackage.archibald_plugin:register"

and ``register(registry, settings)`` registers its backends with :func:`archibald.backend`,
each with its price rule (``price=per_second(...)``...), so its calls are reserved, recorded
and priced like ours. Every registry Archibald builds loads them, over the shipped backends.
A plugin that fails to load is skipped with one line on stderr, naming it.
"""

from __future__ import annotations

import sys
from functools import lru_cache
from typing import Any, Callable

__all__ = ["GROUP", "load_backends", "hooks"]

GROUP = "archibald.backends"


@lru_cache(maxsize=1)
def hooks() -> tuple[tuple[str, Callable[..., Any] | None, str], ...]:
    """Every installed entry point of the group: (name, its hook or None, why not)."""
    from importlib.metadata import entry_points

    out = []
    for ep in entry_points(group=GROUP):
        try:
            hook = ep.load()
        except Exception as exc:  # noqa: BLE001 - a broken plugin must not stop Archibald
            out.append((ep.name, None, f"cannot load {ep.value}: {type(exc).__name__}: {exc}"))
            continue
        if not callable(hook):
            out.append((ep.name, None, f"{ep.value} is not a function register(registry, "
                                       f"settings)"))
            continue
        out.append((ep.name, hook, ""))
    return tuple(out)


_told: set[str] = set()


def load_backends(registry: Any, settings: Any) -> list[str]:
    """Let every installed plugin register its backends in ``registry``; the names of those
    that did."""
    done = []
    for name, hook, why in hooks():
        if hook is not None:
            try:
                hook(registry, settings)
                done.append(name)
                continue
            except Exception as exc:  # noqa: BLE001 - as above
                why = f"register() raised {type(exc).__name__}: {exc}"
        if name not in _told:
            _told.add(name)
            print(f"warning: backend plugin {name!r} ({GROUP}) skipped: {why}",
                  file=sys.stderr)
    return done
