"""The offline script writer: a complete guided meditation composed from the catalogue.

Each section follows one of several flows of *moves* (posture, eyes, sounds...); each move
draws sentences from its patterns, whose slots are filled from the theme's, technique's,
audience's and season's word lists by a seeded RNG. The body of the practice develops one
technique over its items (body parts, breaths, senses, people), deepening when there is time.
Sections are sized in words to their share of the arc at the target pace, and the silence that
remains is spent as marked pauses, longest after invitations to breathe or notice.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from archibald.script.catalogue import Composer, catalogue
from archibald.script.concept import Concept
from archibald.script.model import ARC, SLEEP_ARC, SPEAKING_WPM, Script, Section, words

__all__ = ["write_script", "allocate_pauses", "DEFAULT_WPM", "SLEEP_WPM"]

#: spoken words per minute counting the pauses: the middle of the calm 100–130
DEFAULT_WPM = 115.0
#: a sleep session is slower, so more of it is silence
SLEEP_WPM = 100.0
_AVG_WORDS = 7.5
#: relative share of the silence after a sentence, by what the sentence is
_WEIGHTS = {"invite": 6.0, "section": 5.0, "beat": 3.0, "none": 0.6}
_SLEEP_WEIGHTS = {"invite": 8.0, "section": 6.0, "beat": 3.0, "none": 0.6}
_AGAIN = ["Now, once more, let us go through it again, even more slowly.",
          "Let us begin again from the start, a little deeper this time.",
          "Once more, slowly, from the beginning."]


@dataclass
class _Unit:
    """Sentences spoken together; ``pause`` says what kind of silence follows them."""

    sentences: list[str]
    pause: str = "none"


class _Writer:
    def __init__(self, concept: Concept, seed: int) -> None:
        cat = catalogue()
        self.cat = cat
        self.concept = concept
        self.rng = random.Random(f"{seed}|{concept.topic}|{concept.theme}|{concept.technique}")
        self.theme: dict[str, Any] = cat["themes"][concept.theme]
        self.technique: dict[str, Any] = cat["techniques"][concept.technique]
        audience = cat["audiences"].get(concept.audience, cat["audiences"]["everyone"])
        if concept.sleep:
            audience = {**audience, "support": ["bed", "pillow", "mattress"]}
        season = cat["seasons"].get(concept.season or "", {})
        self.composer = Composer(self.rng, self.technique, self.theme, audience, season,
                                 cat["slots"])
        pair = self.rng.choice(cat["breath_patterns"]["pairs"])
        self.composer.extra.update(in_count=pair[0], out_count=pair[1],
                                   in_words=_count_up(pair[0]), out_words=_count_up(pair[1]))
        self.used: dict[str, int] = {}
        self.recent: list[str] = []

    def say(self, patterns: list[str]) -> str | None:
        sentence = self.composer.sentence(patterns, self.used, self.recent) if patterns else None
        if sentence:
            self.used[sentence] = len(self.recent)
            self.recent.append(sentence)
        return sentence

    # -- sections made of moves ------------------------------------------------------------

    def section(self, kind: str, target: float) -> list[_Unit]:
        spec = self.cat["sections"][kind]
        flow: list[str] = list(self.rng.choice(spec["flows"]))
        moves: dict[str, dict[str, Any]] = spec["moves"]
        counts = [int(moves[name].get("min", 1)) for name in flow]
        per = [2 * _AVG_WORDS if name == "cycles" else _AVG_WORDS for name in flow]
        estimate = sum(c * p for c, p in zip(counts, per))
        for i, name in enumerate(flow):  # optional extras, for variety
            if counts[i] < moves[name].get("max", 1) and estimate < target and self.rng.random() < .5:
                counts[i] += 1
                estimate += per[i]
        growable = [i for i, name in enumerate(flow) if moves[name].get("grow")]
        while growable and estimate < target - _AVG_WORDS / 2:
            i = self.rng.choice(growable)
            counts[i] += 1
            estimate += per[i]
            if counts[i] >= moves[flow[i]].get("cap", 60):
                growable.remove(i)
        units: list[_Unit] = []
        short = 0  # sentences a move could not give, handed on to the next move that can grow
        for i, (name, count) in enumerate(zip(flow, counts)):
            move = moves[name]
            pause = move.get("pause")
            if move.get("grow"):
                count, short = count + short, 0
            made = [u for u in (self.move_unit(name, move) for _ in range(count)) if u]
            short += count - len(made)
            for j, unit in enumerate(made):
                unit.pause = pause or ("beat" if j == len(made) - 1 else "none")
            units += made
        return units

    def move_unit(self, name: str, move: dict[str, Any]) -> _Unit | None:
        if name == "cycles":
            lines = self.cat["breath_patterns"]["cycle"]
            for _ in range(6):
                j = self.rng.randrange(len(lines) // 2)
                pair = [self.composer.fill(lines[2 * j]), self.composer.fill(lines[2 * j + 1])]
                if not (self.recent and self.recent[-1] == pair[1]):
                    self.recent += pair
                    return _Unit(pair)
            return None
        sentence = self.say(list(move["say"]))
        return _Unit([sentence]) if sentence else None

    # -- the body of the practice ----------------------------------------------------------

    def practice(self, target: float) -> list[_Unit]:
        tech = self.technique
        items: list[str] = list(tech["items"])
        if tech.get("reversible") and self.rng.random() < 0.5:
            items.reverse()
        if tech.get("shuffle_items"):
            self.rng.shuffle(items)
        units = [self._unit(tech["intro"], "beat")]
        if target > 25 * _AVG_WORDS:
            units.append(self._unit(tech["deepen"], "invite"))
        budget = target - _count(units) - 1.5 * _AVG_WORDS
        m = max(3, min(len(items), round(budget / (2.2 * _AVG_WORDS))))
        chosen = [items[round(i * (len(items) - 1) / (m - 1))] for i in range(m)]
        per_item = min(budget / m, float(tech.get("per_item_words", 5 * _AVG_WORDS)))
        rounds = 0
        while _count(units) < target - 2 * _AVG_WORDS and rounds < 8:
            if rounds:
                units.append(_Unit([self.say(_AGAIN) or _AGAIN[0]], "beat"))
            for n, item in enumerate(chosen):
                units += self._item(item, per_item)
                if n % 3 == 2 and _count(units) < target - per_item * (m - n):
                    units.append(self._unit(tech["deepen"], "invite"))
                if _count(units) >= target - 2 * _AVG_WORDS:
                    break
            rounds += 1
        units = [u for u in units if u.sentences]
        units.append(self._unit(tech["close"], "invite"))
        self.composer.extra.pop("item", None)
        return [u for u in units if u.sentences]

    def _item(self, item: str, budget: float) -> list[_Unit]:
        tech = self.technique
        self.composer.extra["item"] = item
        focus = tech.get("item_say", {}).get(item, tech["focus"])
        units = [self._unit(focus, "none")]
        order = [m for m in ("sense", "release") if tech.get(m)]
        self.rng.shuffle(order)
        for move in order * 3:
            if _count(units) >= budget - _AVG_WORDS / 2 or len(units) >= 6:
                break
            units.append(self._unit(tech[move], "none"))
        units[-1].pause = "invite"
        return units

    def _unit(self, patterns: list[str], pause: str) -> _Unit:
        sentence = self.say(patterns)
        return _Unit([sentence] if sentence else [], pause)


def _count_up(count_word: str) -> str:
    numbers = "one two three four five six seven eight nine ten".split()
    return ", ".join(numbers[1:numbers.index(count_word) + 1])


def _count(units: list[_Unit]) -> int:
    return sum(len(words(s)) for u in units for s in u.sentences)


def allocate_pauses(weights: list[float], seconds: float) -> list[int]:
    """Whole seconds of silence after each sentence, in proportion to the weights, summing to
    ``seconds`` rounded (largest remainders get the spare seconds)."""
    total_weight = sum(weights)
    if total_weight <= 0 or seconds <= 0:
        return [0] * len(weights)
    raw = [seconds * w / total_weight for w in weights]
    out = [int(r) for r in raw]
    spare = round(seconds) - sum(out)
    by_remainder = sorted(range(len(raw)), key=lambda i: raw[i] - out[i], reverse=True)
    for i in by_remainder[:max(0, spare)]:
        out[i] += 1
    return out


def _render(units: list[_Unit], seconds: float, sleep: bool) -> str:
    table = _SLEEP_WEIGHTS if sleep else _WEIGHTS
    flat: list[tuple[str, str]] = []
    for unit in units:
        for k, sentence in enumerate(unit.sentences):
            flat.append((sentence, unit.pause if k == len(unit.sentences) - 1 else "none"))
    if flat:
        flat[-1] = (flat[-1][0], "section")
    gaps = allocate_pauses([table[kind] for _, kind in flat], seconds)
    parts: list[str] = []
    for (sentence, _), gap in zip(flat, gaps):
        parts.append(sentence)
        if gap:
            parts.append(f"[pause {gap}s]")
    return " ".join(parts)


def write_script(concept: Concept, *, seed: int = 0, wpm: float | None = None) -> Script:
    """A complete guided meditation for the concept, sized to ``concept.minutes`` at ``wpm``
    spoken words per minute counting the pauses (default 115, or 100 for a sleep session).
    Same concept and seed, same script."""
    wpm = wpm or (SLEEP_WPM if concept.sleep else DEFAULT_WPM)
    writer = _Writer(concept, seed)
    total_words = wpm * concept.minutes
    arc = SLEEP_ARC if concept.sleep else ARC
    sections: list[Section] = []
    for kind, title, share in arc:
        target = total_words * share
        units = writer.practice(target) if kind == "practice" else writer.section(kind, target)
        spoken = _count(units) / SPEAKING_WPM * 60.0
        silence = share * concept.minutes * 60.0 - spoken
        name = title or str(writer.technique["name"])
        sections.append(Section(name, _render(units, silence, concept.sleep), kind))
    return Script(concept.title, tuple(sections), concept.minutes, concept.sleep)
