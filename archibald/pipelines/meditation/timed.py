"""Practices whose timing is the practice, for the offline writer (writer.py): a breath pattern
with holds (box breathing, 4-7-8) counted aloud phase by phase, and progressive muscle
relaxation's tense, hold and release, one muscle group at a time up the body.

A counted phase is one line that says its count ("Hold, two, three, four.") followed by the
silence that makes the line and the silence last the count in seconds. That silence is a
breath's pause (:class:`Unit` ``breath``): the writer gives it no more, so a hold of seven is
seven seconds, and a round of breaths ends in the breath's own rhythm, never in a long silence
while the breath is held. What each practice says is the catalogue's
([techniques.box-breathing], [techniques.four-seven-eight],
[techniques.progressive-muscle-relaxation]); the Short counts its breaths with
:func:`held_breath` too.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from archibald.pipelines.meditation.concept import Concept
from archibald.pipelines.meditation.words import topic_words
from archibald.script.model import (ARC_RANGES, PAUSE_CAP, VOICE_LEAD, pause_floors,
                                    speech_seconds)

__all__ = ["Unit", "NUMBERS", "count_up", "is_timed", "timed_practice", "held_breath",
           "sore_parts"]

NUMBERS = "one two three four five six seven eight nine ten".split()
#: a counted line leaves this much of its count silent at least (a count is not all words)
_ROOM = 0.5
#: a timed practice's words and least pauses take about this share of its time: the rest is
#: the silence its invitations are given
_FILL = 0.9
#: the breath out before a round of held breaths, after the line that asks for it (seconds)
_EMPTYING = 3.0


@dataclass
class Unit:
    """Sentences spoken together; ``pause`` says what kind of silence follows them. A counted
    breath gives each sentence's least pause itself (``breath``: the breath's pace)."""

    sentences: list[str]
    pause: str = "none"
    breath: tuple[float, ...] = ()
    #: the listener named, a counted breath: the last to go when a section says less
    keep: bool = False


def count_up(count_word: str) -> str:
    """A count after the words that are its "one": "four" is "two, three, four"."""
    return ", ".join(NUMBERS[1:NUMBERS.index(count_word) + 1])


class _Writer(Protocol):
    """What a timed practice needs of the writer."""

    rng: random.Random
    composer: Any
    technique: dict[str, Any]
    concept: Concept
    wpm: float

    def say(self, patterns: list[str]) -> str | None: ...


def is_timed(technique: dict[str, Any]) -> bool:
    """Whether a technique is written here: a breath pattern, or tensing and releasing."""
    return "pattern" in technique or "tense" in technique


def timed_practice(w: _Writer, seconds: float) -> list[Unit]:
    """The body of the practice for a timed technique, about ``seconds`` long (words and
    least pauses a little less: the rest is silence after its invitations)."""
    # the practice is given the low end of its share: the other parts say their most
    body = w.concept.minutes * 60.0 - 2 * VOICE_LEAD
    most = seconds * w.wpm / 60.0  # the words it was asked for
    seconds = min(seconds, ARC_RANGES["practice"][0] * body)
    units = _held_breaths(w, seconds) if "pattern" in w.technique else \
        _tense_and_release(w, seconds)
    table = pause_floors(w.concept.sleep, w.concept.minutes)
    kept = [u for u in units if u.keep]
    if len(units) > 1 and (_cost(kept, table) + _heart(table) > 0.9 * seconds or sum(
            len(x.split()) for u in kept for x in u.sentences) + 12 > most):
        # what must be said does not fit what the writer may keep: said whole, so none of it
        # goes without the rest (a breath without its safety line, a round without its close)
        units = [_as_one(units, table)]
    return units


def held_breath(tech: dict[str, Any], fill: Callable[[str], str], rng: random.Random, *,
                first: bool, seconds: Callable[[str], float],
                before: list[str]) -> list[tuple[str, float]]:
    """One breath of the technique's pattern: each phase's line with its count said ("Hold,
    two, three, four, five, six, seven.") and the silence after it that makes the line and the
    silence last the count in seconds. The first breath of a session says what to do.
    ``seconds``: how long the voice takes over a line; ``before``: the lines said so far (kept
    up to date): a phase's line is not its last one again, and no three lines running open
    with the same word."""
    out: list[tuple[str, float]] = []
    phases = len(tech["pattern"])
    for phase, count in tech["pattern"]:
        count = int(count)
        patterns = list(tech["first" if first else "cycle"][phase])
        rng.shuffle(patterns)
        said = count_up(NUMBERS[count - 1])
        lines = [fill(p.replace("{count}", said)) for p in patterns]
        last = before[-phases] if len(before) >= phases else ""
        run = {_opener(x) for x in before[-2:]}
        fitting = [x for x in lines if seconds(x) <= count - _ROOM and x != last
                   and not (len(before) > 1 and run == {_opener(x)})]
        line = (fitting or sorted(lines, key=seconds))[0]
        before.append(line)
        out.append((line, round(max(_ROOM, count - seconds(line)), 1)))
    return out


def _opener(sentence: str) -> str:
    return sentence.split()[0].strip(",;").lower() if sentence.split() else ""


def _cost(units: list[Unit], table: dict[str, float]) -> float:
    """The units' least running time: their speech and each pause at its floor."""
    total = 0.0
    for u in units:
        for k, sentence in enumerate(u.sentences):
            kind = u.pause if k == len(u.sentences) - 1 else "none"
            floor = max(u.breath[k], table[kind] if kind != "none" else 0.0) if u.breath \
                else table[kind]
            total += speech_seconds(sentence) + floor
    return total


def _line(w: _Writer, key: str, pause: str, keep: bool = False,
          shortest: bool = False) -> list[Unit]:
    """One sentence from the technique's list ``key`` (none when it has none to give; the
    ``shortest`` it has when time is short). The line that says the pattern is always said:
    its words come twice on purpose ("in for four, hold for four, out for four")."""
    patterns = [p for p in w.technique.get(key, ()) if w.composer.usable(p)]
    if shortest and patterns:
        sentence: str | None = min((w.composer.fill(p) for p in patterns), key=speech_seconds)
    else:
        sentence = w.say(patterns)
    if sentence is None and key == "how" and patterns:
        sentence = w.composer.fill(w.rng.choice(patterns))
    return [Unit([sentence], pause, keep=keep)] if sentence else []


def _held_breaths(w: _Writer, seconds: float) -> list[Unit]:
    """A breath pattern with holds: how it is counted and a gentle safety line (what it is
    like, when a round still fits after it), then rounds of counted breaths, a full breath out
    first, each ending in the breath's own rhythm with time to notice; the last ends on the
    close. The safety line and the first breath are one unit, so no hold is counted without
    it; a practice of one round is one unit, its close included, so it never ends in a silence
    while the breath is held. A pattern with ``own`` lines lets a middle round go on in
    silence, counted by the listener; one with ``caution`` says it after the first round when
    another follows."""
    tech = w.technique
    table = pause_floors(w.concept.sleep, w.concept.minutes)
    budget = _FILL * (seconds - _heart(table))
    one = float(sum(int(n) for _, n in tech["pattern"]))  # a breath, in seconds
    per_round = int(tech["round"])
    emptying = max(_EMPTYING, table["none"])  # the breath out: at least an editor's floor
    tight = budget < 2 * per_round * one  # no room for two rounds: the shortest lines
    close = _line(w, "close", "invite", keep=True, shortest=tight)
    safety = _line(w, "safety", "beat", keep=True, shortest=tight)
    # the breath out first, and how it is counted, when a breath fits after them
    roomy = budget >= _cost([*safety, *close], table) + one + emptying + 14.0
    how = _line(w, "how", "none", keep=roomy) if roomy or not _short(w) else []
    room = budget - _cost([*how, *safety, *close], table) - (emptying + per_round * one + 5.0)
    intro, setup = _if_room(w, "intro", room, table)
    units = [*intro, *how, *setup, *safety]
    start = len(units) - len(safety)  # the safety line, then the first round
    before: list[str] = []
    rests: list[int] = []  # where each round's rest is (the last one becomes the close)
    caution = -1
    for rounds in range(12):
        lead = w.say(list(tech["again" if rounds else "begin"])) if roomy else None
        opening = [Unit([lead], breath=(emptying,))] if lead else []
        # as many breaths as fit, this round being the last (the close after it)
        n = min(per_round, int((budget - _cost([*units, *opening, *close], table)) // one))
        if n < 2 and rounds:  # a round after the first is two breaths at least
            break
        units += opening
        for i in range(max(1, n)):
            said = held_breath(tech, w.composer.fill, w.rng, first=not rounds and not i,
                               seconds=speech_seconds, before=before)
            units.append(Unit([x for x, _ in said], breath=tuple(g for _, g in said)))
        if not rounds:  # the safety line, the breath out and the first breath: one unit
            units[start:] = [_as_one(units[start:start + len(opening) + 2], table, "none"),
                             *units[start + len(opening) + 2:]]
        left = budget - _cost([*units, *close], table)
        own = w.say(list(tech.get("own", ()))) if rounds and left > 4 * one else None
        if own:  # two breaths on their own, in silence
            units.append(Unit([own], breath=(min(2 * one, PAUSE_CAP - 1),)))
        rests.append(len(units))
        units += _line(w, "rest", "invite", keep=True) or [Unit([], "invite")]
        if not rounds and tech.get("caution"):
            caution = len(units)
            units += _line(w, "caution", "beat", keep=True)
        # a line to notice, when another round fits after it, or none would anyway
        again = emptying + 2 * one + table["invite"] + 8.0
        for key, pause, each in (("sense", "invite", True), ("deepen", "beat", rounds % 2)):
            spare = budget - _cost([*units, *close], table)
            line = _line(w, key, pause) if each and spare > 2 * one else []
            if line and (spare < again or spare - _cost(line, table) >= again):
                units += line
    if len(rests) == 1 and 0 <= caution < len(units):
        del units[caution]  # one round: its safety line has said it
    units[rests[-1]:rests[-1] + 1] = close  # the last round ends on the close
    return [u for u in units if u.sentences]


def _heart(table: dict[str, float]) -> float:
    """About what the line the writer puts after the first of the practice takes (the topic
    named: "You came here for a box breathing practice for exam nerves.")."""
    return 4.0 + table["beat"]


def _as_one(units: list[Unit], table: dict[str, float], pause: str = "invite") -> Unit:
    """The units said as one (the writer keeps all of it or none), each pause as it was: a
    counted breath's its own, another sentence's its floor; the last one's ``pause`` (an
    invitation's, or the breath's own when ``"none"``)."""
    said: list[tuple[str, float]] = []
    for u in units:
        for k, x in enumerate(u.sentences):
            kind = u.pause if k == len(u.sentences) - 1 else "none"
            said.append((x, u.breath[k] if u.breath else table[kind]))
    last = said[-1][1] if pause == "none" else 0.0
    return Unit([x for x, _ in said], pause, breath=(*(g for _, g in said[:-1]), last),
                keep=True)


def _short(w: _Writer) -> bool:
    """A session of a minute or so: its practice is a breath or a group, and little more."""
    return w.concept.minutes < 1.5


def _if_room(w: _Writer, first: str, room: float,
             table: dict[str, float]) -> tuple[list[Unit], list[Unit]]:
    """The technique's ``first`` line and its ``setup`` line, each when it fits in ``room``
    seconds after the ones before it ([] when not)."""
    out: list[list[Unit]] = []
    for key in (first, "setup"):
        line = _line(w, key, "none")
        out.append(line if line and _cost(line, table) <= room else [])
        room -= _cost(out[-1], table)
    return out[0], out[1]


def sore_parts(topic: str, tech: dict[str, Any]) -> tuple[list[str], list[str]]:
    """The parts of the body a topic says hurt ("back pain", "a sore knee", "headaches"), as
    said after "your", and the muscle groups whose tensing works them (left out)."""
    hurts = tech["hurts"]
    words = topic_words(topic)
    sore = any(w in hurts["words"] for w in words)
    body = {w for part in tech["involves"].values() for w in part}
    named = [w for w in words if w in body and (sore or w in hurts["aches"])]
    skipped = [i for i in tech["items"] if set(tech["involves"][i]) & set(named)]
    return list(dict.fromkeys(hurts["said"].get(w, w) for w in named)), skipped


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _tense_and_release(w: _Writer, seconds: float) -> list[Unit]:
    """Progressive muscle relaxation: how it goes, never to the point of hurting (a part the
    topic says hurts is left out, and the groups that work it), then each muscle group up the
    body tensed for a count, released at once and the difference noticed; as many groups as
    the time holds (each named first when all of them fit), once more at half the effort when
    it holds them all twice."""
    tech = w.technique
    table = pause_floors(w.concept.sleep, w.concept.minutes)
    budget = _FILL * (seconds - _heart(table))
    parts, skipped = sore_parts(w.concept.topic, tech)
    items = [i for i in tech["items"] if i not in skipped] or list(tech["items"])
    # how it goes is kept unless a minute's practice has room for one group and no more
    safety = _line(w, "safety", "beat", keep=True)
    units = [*_line(w, "how", "none", keep=not _short(w)), *safety]
    if skipped and len(items) < len(tech["items"]):
        w.composer.extra.update(skipped=_listed(skipped), part=_listed(parts))
        units += _line(w, "skip", "beat", keep=True)
    close = _line(w, "close", "invite")
    first = _group(w, items[0], table, focus=False)
    at = units.index(safety[0]) if safety else len(units)  # the safety line, and what is left
    if _short(w):  # out: a minute's practice is they and one group, neither without the other
        return [_as_one([*units[at:], first], table)]
    each = _cost([first], table)
    naming = 2.0 + table["none"]  # "Now, your hands." and its pause, about
    intro, _ = _if_room(w, "intro", budget - _cost([*units, *close], table) - 3 * each, table)
    units = [*intro, *units]
    left = budget - _cost([*units, *close], table)
    if left < 3 * each:  # room for a few groups: they, not a closing line
        left, close = left + _cost(close, table), []
    focus = left >= len(items) * (each + naming)
    if focus:
        first = _group(w, items[0], table)
    m = max(1, min(len(items), int(left // (each + naming * focus))))
    chosen = [items[round(i * (len(items) - 1) / (m - 1))] for i in range(m)] if m > 1 \
        else items[:1]
    plan = [(items[0], first),
            *((item, _group(w, item, table, focus=focus)) for item in chosen[1:])]
    first.keep = True
    spare = budget - _cost([*units, *(u for _, u in plan), *close], table)
    if m == len(items) and spare > _cost([u for _, u in plan], table) + 10:
        # time for them all twice: once more, at half the effort
        plan += [("", u) for u in _line(w, "again", "beat")]
        plan += [(item, _group(w, item, table, focus=focus)) for item in items]
    body: list[Unit] = []
    for n, (item, unit) in enumerate(plan):  # time to spare: a line more after a group
        body.append(unit)
        spare = budget - _cost([*units, *body, *(u for _, u in plan[n + 1:]), *close], table)
        if item and spare > 12:
            w.composer.extra["item"] = item
            body += _line(w, "deepen" if n % 3 == 2 else "sense", "invite")
    for slot in ("item", "tense"):
        w.composer.extra.pop(slot, None)
    # the safety line (and what is left out) and the first group: one unit, kept together
    at = units.index(safety[0]) if safety else len(units)
    return [*units[:at], _as_one([*units[at:], body[0]], table), *body[1:], *close]


def _group(w: _Writer, item: str, table: dict[str, float], focus: bool = True) -> Unit:
    """One muscle group: attention to it (``focus``), its tensing with a count to five said as
    one line (timed: the tension lasts about the count), the release, and the difference
    noticed (an invitation: the long silence follows it)."""
    tech = w.technique
    w.composer.extra["item"] = item
    named = w.say(list(tech["focus"])) if focus else None
    hold = int(tech["hold"])
    count = count_up(NUMBERS[hold - 1])
    w.composer.extra["tense"] = w.rng.choice(tech["tense"][item])
    tensed = w.say([p.replace("{count}", count) for p in tech["hold_say"]]) or \
        w.composer.fill(tech["hold_say"][0].replace("{count}", count))
    release = w.say(list(tech["release"])) or "And let go."
    notice = w.say(list(tech["notice"]))
    # the tensing starts a second into its line: line and silence last a second more than it
    said = [(x, gap) for x, gap in ((named, table["none"]), (tensed, max(
        _ROOM, hold + 1.0 - speech_seconds(tensed))), (release, table["none"]), (notice, 0.0))
        if x]
    return Unit([x for x, _ in said], "invite", breath=tuple(gap for _, gap in said))
