"""The catalogue shipped with the package (catalogue.toml), and filling its sentence patterns."""

from __future__ import annotations

import random
import re
import tomllib
from functools import lru_cache
from importlib import resources
from typing import Any

__all__ = ["catalogue", "Composer", "fill_slots", "REUSE_AFTER"]

#: a sentence (or decorated pattern) may come back only after this many others
REUSE_AFTER = 40

_SLOT = re.compile(r"\{([a-z_]+)\}")
#: slots that only decorate a sentence: a pattern with no other slot is used once per item
_DECORATIVE = frozenset({"may", "softly", "kind_word", "now", "allow", "settle", "sensation",
                         "wander", "nothing_to_do", "image", "support", "colour"})


@lru_cache(maxsize=1)
def catalogue() -> dict[str, Any]:
    """The parsed catalogue (read once)."""
    text = resources.files("archibald.script").joinpath("catalogue.toml").read_text("utf-8")
    return tomllib.loads(text)


def _capitalise(sentence: str) -> str:
    return sentence[:1].upper() + sentence[1:] if sentence else sentence


def fill_slots(pattern: str, pick: Any) -> str:
    """The pattern with each {slot} replaced by ``pick(slot)``, recursively, capitalised."""
    text = pattern
    for _ in range(4):
        if not _SLOT.search(text):
            break
        text = _SLOT.sub(lambda m: str(pick(m[1])), text)
    return _capitalise(text)


class Composer:
    """Fills patterns from the lists of a technique, theme, audience, season and [slots].

    A slot's choices are the union of every level's list of that name, so a season's imagery
    joins the theme's. ``extra`` values (the current item) take precedence.
    """

    def __init__(self, rng: random.Random, *levels: dict[str, Any]) -> None:
        self.rng = rng
        self.levels = levels
        self.extra: dict[str, str] = {}
        #: how many other sentences must come between two uses of one (see :meth:`sentence`)
        self.reuse_after = REUSE_AFTER

    def choices(self, slot: str) -> list[str]:
        out: list[str] = []
        for level in self.levels:
            value = level.get(slot)
            if isinstance(value, list):
                out += [v for v in value if isinstance(v, str)]
        return out

    def pick(self, slot: str) -> str:
        if slot in self.extra:
            return self.extra[slot]
        options = self.choices(slot)
        if not options:
            raise KeyError(f"catalogue has no words for slot {{{slot}}}")
        return self.rng.choice(options)

    def fill(self, pattern: str) -> str:
        return fill_slots(pattern, self.pick)

    def _key(self, pattern: str) -> str:
        """The pattern's identity when its slots only decorate it (else empty)."""
        if set(_SLOT.findall(pattern)) - _DECORATIVE - {"item"}:
            return ""
        return f"\x00{pattern}\x00{self.extra.get('item', '')}"

    def sentence(self, patterns: list[str], used: dict[str, int], recent: list[str],
                 tries: int = 10) -> str | None:
        """A new sentence from one of the patterns: none used in the last ``reuse_after``
        sentences (``REUSE_AFTER`` unless lowered; in a short script: never twice), preferably
        not opening with the same word as the two before it. None when nothing new is left.
        Records what it used."""
        fallback: str | None = None
        openers = {r.split()[0].lower() for r in recent[-2:] if r.split()}
        now = len(recent)

        def fresh(key: str) -> bool:
            return key not in used or now - used[key] >= self.reuse_after
        candidates = [p for p in patterns if not self._key(p) or fresh(self._key(p))]
        for _ in range(tries if candidates else 0):
            pattern = self.rng.choice(candidates)
            candidate = self.fill(pattern)
            if not fresh(candidate):
                continue
            key = self._key(pattern)
            if key:
                used[key] = now
            first = candidate.split()[0].lower() if candidate.split() else ""
            if first not in openers:
                return candidate
            fallback = fallback or candidate
        return fallback
