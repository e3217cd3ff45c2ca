"""A Script as JSON (what a stage's value holds) and from markdown (what a model answers)."""

from __future__ import annotations

import dataclasses
from typing import Any

from .model import Script, Section

__all__ = ["script_to_dict", "script_from_dict", "script_from_markdown"]


def script_to_dict(script: Script) -> dict[str, Any]:
    return dataclasses.asdict(script)


def script_from_dict(data: dict[str, Any]) -> Script:
    sections = tuple(Section(**s) for s in data["sections"])
    return Script(title=data["title"], sections=sections, minutes=data.get("minutes", 0.0),
                  sleep=data.get("sleep", False), language=data.get("language", "en"),
                  setting=str(data.get("setting", "")))


def script_from_markdown(markdown: str, *, title: str = "", minutes: float = 0.0,
                         sleep: bool = False, kinds: tuple[str, ...] = (),
                         language: str = "en") -> Script:
    """Parse '# Title' / '## Section' markdown (what an LLM route returns) into a Script."""
    sections: list[Section] = []
    name: str | None = None
    buf: list[str] = []
    for line in markdown.splitlines():
        if line.startswith("# ") and not title:
            title = line[2:].strip()
        elif line.startswith("## "):
            if name is not None:
                sections.append(Section(name, "\n".join(buf).strip()))
            name, buf = line[3:].strip(), []
        elif name is not None:
            buf.append(line)
    if name is not None:
        sections.append(Section(name, "\n".join(buf).strip()))
    if kinds and len(kinds) == len(sections):
        sections = [dataclasses.replace(s, kind=k) for s, k in zip(sections, kinds)]
    return Script(title=title or "Guided Meditation", sections=tuple(sections), minutes=minutes,
                  sleep=sleep, language=language)
