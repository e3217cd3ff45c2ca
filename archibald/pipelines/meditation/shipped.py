"""The catalogue shipped with the package (catalogue.toml), read once: themes, techniques,
audiences, seasons and the sentence patterns the offline writer fills (see catalogue.py)."""

from __future__ import annotations

import tomllib
from functools import lru_cache
from importlib import resources
from typing import Any

__all__ = ["catalogue"]


@lru_cache(maxsize=1)
def catalogue() -> dict[str, Any]:
    """The parsed catalogue (read once)."""
    text = resources.files("archibald.pipelines.meditation").joinpath(
        "catalogue.toml").read_text("utf-8")
    return tomllib.loads(text)
