"""The catalogue shipped with the package (catalogue.toml), and filling its sentence patterns."""

from __future__ import annotations

import random
import re
from typing import Any

from archibald.pipelines.meditation.checks import FRAME_LIMIT, frame_keys, reads_well
from archibald.pipelines.meditation.shipped import catalogue
from archibald.pipelines.meditation.topic import fits, pattern_tags

__all__ = ["catalogue", "Composer", "fill_slots", "REUSE_AFTER", "PINNED"]

#: slots that name where the listener is: chosen once per script, so its imagery keeps one
#: setting (not a sunlit clearing, then a shaded forest path)
PINNED = frozenset({"place", "water_place", "light_source"})
#: a sentence (or decorated pattern) may come back only after this many others
REUSE_AFTER = 40

_SLOT = re.compile(r"\{([a-z_]+)\}")
#: slots that only decorate a sentence: a pattern with no other slot is used once per item
_DECORATIVE = frozenset({"may", "softly", "kind_word", "now", "allow", "settle", "sensation",
                         "wander", "nothing_to_do", "image", "support", "colour"})




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
    """Fills patterns from the lists of a technique, theme, audience, season, the imagery that
    fits the listener, the listener's own words and [slots].

    A slot's choices are the union of every level's list of that name, so the listener's
    imagery joins the theme's. ``extra`` values (the current item) take precedence. Patterns and slot
    words may carry tags (``<dark> Night has come.``): only those that fit the listener's
    ``tags`` (see :func:`archibald.pipelines.meditation.topic.fits`) are used.
    """

    def __init__(self, rng: random.Random, *levels: dict[str, Any],
                 tags: frozenset[str] = frozenset(), frame_window: int = 10**6) -> None:
        self.rng = rng
        self.levels = levels
        self.tags = tags
        self.extra: dict[str, str] = {}
        #: how many other sentences must come between two uses of one (see :meth:`sentence`)
        self.reuse_after = REUSE_AFTER
        #: sentences in ten minutes: no frame more than FRAME_LIMIT times within so many
        self.frame_window = frame_window
        self.frames: list[tuple[str, ...]] = []
        #: the setting slots' words, once chosen (see :data:`PINNED`)
        self.pinned: dict[str, str] = {}
        #: slots whose words come only from here (the script's one setting: its sights,
        #: sounds and similes, never another place's)
        self.overrides: dict[str, list[str]] = {}
        #: what no sentence may say (another setting's marks: waves on a river script)
        self.forbidden: re.Pattern[str] | None = None

    def choices(self, slot: str) -> list[str]:
        if slot in self.overrides:
            return list(self.overrides[slot])
        out: list[str] = []
        for level in self.levels:
            value = level.get(slot)
            if isinstance(value, list):
                out += [pattern_tags(v)[1] for v in value
                        if isinstance(v, str) and fits(v, self.tags)]
        return out

    def usable(self, pattern: str) -> bool:
        """Whether the pattern fits the listener and every slot it names has words."""
        if not fits(pattern, self.tags):
            return False
        return all(slot in self.extra or self.choices(slot)
                   for slot in _SLOT.findall(pattern_tags(pattern)[1]))

    def pick(self, slot: str) -> str:
        if slot in self.extra:
            return self.extra[slot]
        if slot in self.pinned:
            return self.pinned[slot]
        options = self.choices(slot)
        if not options:
            raise KeyError(f"catalogue has no words for slot {{{slot}}}")
        choice = self.rng.choice(options)
        if slot in PINNED:  # one setting per script: the first place chosen is the place
            self.pinned[slot] = choice
        return choice

    def fill(self, pattern: str) -> str:
        return fill_slots(pattern_tags(pattern)[1], self.pick)

    def _key(self, pattern: str) -> str:
        """The pattern's identity when its slots only decorate it (else empty)."""
        if set(_SLOT.findall(pattern)) - _DECORATIVE - {"item"}:
            return ""
        return f"\x00{pattern}\x00{self.extra.get('item', '')}"

    def frame_free(self, sentence: str) -> bool:
        """Whether saying ``sentence`` keeps every frame within its limit in ten minutes."""
        recent = [k for keys in self.frames[-self.frame_window:] for k in keys]
        return all(recent.count(k) < FRAME_LIMIT for k in frame_keys(sentence))

    def said(self, sentence: str) -> None:
        """Count a sentence said outside :meth:`sentence` (a counted breath)."""
        self.frames.append(frame_keys(sentence))

    def sentence(self, patterns: list[str], used: dict[str, int], recent: list[str],
                 tries: int = 24) -> str | None:
        """A new sentence from one of the patterns that fit the listener: none used in the last
        ``reuse_after`` sentences (``REUSE_AFTER`` unless lowered; in a short script: never
        twice), no frame beyond its limit, a simile that makes sense and no word doubled,
        preferably not opening with the same word as the two before it. None when nothing new
        is left. Records what it used."""
        fallback: tuple[str, str] | None = None
        openers = {r.split()[0].lower() for r in recent[-2:] if r.split()}
        now = len(recent)

        def fresh(key: str) -> bool:
            return key not in used or now - used[key] >= self.reuse_after
        candidates = [p for p in patterns if self.usable(p)
                      and (not self._key(p) or fresh(self._key(p)))]
        for _ in range(tries if candidates else 0):
            pattern = self.rng.choice(candidates)
            candidate = self.fill(pattern)
            if not fresh(candidate) or not reads_well(candidate) or \
                    not self.frame_free(candidate) or \
                    (self.forbidden is not None and self.forbidden.search(candidate.lower())):
                continue
            first = candidate.split()[0].lower() if candidate.split() else ""
            if first not in openers:
                fallback = (pattern, candidate)
                break
            fallback = fallback or (pattern, candidate)
        if fallback is None:
            return None
        pattern, sentence = fallback
        if self._key(pattern):
            used[self._key(pattern)] = now
        self.said(sentence)
        return sentence
