"""The offline script writer: a complete guided meditation composed from the catalogue.

Each section follows one of several flows of *moves* (posture, eyes, sounds...); each move
draws sentences from its patterns, whose slots are filled from the theme's, technique's,
audience's and season's word lists by a seeded RNG. The body of the practice develops one
technique over its items (body parts, breaths, senses, people), deepening when there is time.
Sections are sized in words to their share of the arc at the target pace (the practice last,
taking the words the others could not say). Time is counted as the voice renders it
(:meth:`archibald.script.model.Script.estimated_seconds`). Silence is the substance: every
sentence is followed by a marked pause of at least its floor (:data:`PAUSE_FLOOR`: 3 s between
sentences, 10 s after an invitation to breathe or notice, more in a sleep session) and a counted
breath keeps the breath's pace (about 4 s in, 6 s out). Each part gets time in proportion to
what it has to say, within the arc's usual shares; a part whose words and floors would leave
less than :data:`PAUSE_ROOM` of its time says fewer (the length is reached by writing less,
never by squeezing pauses); the silence that remains lengthens the pauses, most after
invitations, none beyond :data:`PAUSE_CAP`.

The listener is read from the topic (:func:`archibald.pipelines.meditation.topic.read_topic`): lines tagged
for other listeners are never said, and the welcome, the intention and the close name who the
session is for.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from typing import Any

from archibald.pipelines.meditation.catalogue import REUSE_AFTER, Composer, catalogue
from archibald.pipelines.meditation.checks import (FRAME_LIMIT, frame_keys, invitation_ends, is_count,
                                     is_invitation, reads_well)
from archibald.pipelines.meditation.concept import Concept
from archibald.script.model import (ARC, ARC_RANGES, PAUSE_CAP, SLEEP_ARC, SLEEP_PAUSE_CAP,
                                   SPEAKING_WPM, VOICE_LEAD, Script, Section, pause_floors,
                                   pause_mark, section_pace, span_seconds, speech_seconds,
                                   words)
from archibald.pipelines.meditation.setting import foreign_marks, heart_lines, topic_setting
from archibald.pipelines.meditation.timed import NUMBERS as _NUMBERS
from archibald.pipelines.meditation.timed import Unit as _Unit
from archibald.pipelines.meditation.timed import count_up as _count_up
from archibald.pipelines.meditation.timed import is_timed, timed_practice
from archibald.pipelines.meditation.topic import fits, read_topic
from archibald.pipelines.meditation.words import to_listener

__all__ = ["write_script", "allocate_pauses", "place_pauses", "share_time", "DEFAULT_WPM",
           "SLEEP_WPM", "PAUSE_ROOM"]

#: spoken words per minute counting the pauses, asked of the parts: what fits is less. The
#: voice speaks at 145 while it speaks; with the craft's floors (3 s between sentences of about
#: 7 words, 10 s after each invitation to breathe or notice) about 70 is the most that fits and
#: sessions land near 40–55, the voice speaking a third of the time. (The craft reference's
#: "100–130 including pauses" cannot be had with its own floors at this voice's rate: 7 words
#: take 2.9 s, plus 3 s of pause, is 71 a minute before any invitation.)
DEFAULT_WPM = 80.0
#: a sleep session is slower, so more of it is silence
SLEEP_WPM = 70.0
#: the share of each part's time kept for pauses beyond their floors at least: words beyond
#: what leaves it are not said
PAUSE_ROOM = 0.05
_AVG_WORDS = 6.5
#: a part of the arc keeps a long silence (an invitation's) every this many seconds at least
#: when it must say less: fewer long silences, each after something to do in it
INVITE_EVERY = 50.0
#: a long practice that runs out of fresh sentences lets them come back after this many others
_MIN_REUSE = 12
#: relative share of the silence beyond the floors after a sentence, by what the sentence is
#: ("breath": inside a counted breath, which keeps the breath's pace)
_WEIGHTS = {"invite": 6.0, "section": 4.0, "beat": 2.0, "none": 0.5, "breath": 0.0}
_SLEEP_WEIGHTS = {"invite": 8.0, "section": 5.0, "beat": 2.0, "none": 0.5, "breath": 0.0}


class _Writer:
    def __init__(self, concept: Concept, seed: int, wpm: float) -> None:
        cat = self.cat = catalogue()
        self.concept, self.wpm = concept, wpm
        self.reading = read_topic(concept.topic)
        self.rng = random.Random(f"{seed}|{concept.topic}|{concept.theme}|{concept.technique}")
        self.theme: dict[str, Any] = cat["themes"][concept.theme]
        self.technique: dict[str, Any] = cat["techniques"][concept.technique]
        audience = cat["audiences"].get(concept.audience, cat["audiences"]["everyone"])
        tags = set(self.reading.tags)
        if concept.sleep:
            audience = {**audience, "support": ["bed", "pillow", "mattress"]}
            tags = (tags - {"awake"}) | {"sleep"}
        self.tags = frozenset(tags)
        season = cat["seasons"].get(concept.season or "", {})
        if not any(re.search(rf"\b{re.escape(k)}\b", concept.topic, re.IGNORECASE)
                   for k in season.get("keywords", ())):
            season = {}  # the calendar's season is not the topic's: its imagery is not said
        imagery = [level for level in cat["imagery"].values()
                   if any(fits(f"<{when}>", self.tags) for when in level["when"])]
        self.composer = Composer(self.rng, self.technique, self.theme, audience, season,
                                 *imagery, self._topic_slots(), cat["slots"], tags=self.tags,
                                 # at least the sentences ten minutes hold (4+ words each)
                                 frame_window=round(10 * wpm / 4))
        # one setting per script, the topic's own when it names one: its imagery only
        self.setting = setting = topic_setting(concept.topic, self.reading.goal)
        self.composer.overrides.update(
            place=[setting.place], water_place=[setting.place], sight=list(setting.sight),
            sound=list(setting.sound), touch=list(setting.touch), scent=list(setting.scent),
            warmth=list(setting.warmth), image=list(setting.image),
            sounds_like=list(setting.image), sound_soft=list(setting.sound),
            light_source=[setting.light])
        self.composer.forbidden = foreign_marks(setting, concept.topic)
        # a pattern with holds breathes its own in and out first (box breathing: four, four)
        pair = self.rng.choice(self.technique.get("pairs") or cat["breath_patterns"]["pairs"])
        self.breath = (_NUMBERS.index(pair[0]) + 1, _NUMBERS.index(pair[1]) + 1)
        self.composer.extra.update(in_count=pair[0], out_count=pair[1],
                                   in_words=_count_up(pair[0]), out_words=_count_up(pair[1]))
        self.cycles = 0
        self.used: dict[str, int] = {}
        self.recent: list[str] = []

    def _topic_slots(self) -> dict[str, list[str]]:
        """The listener's own words as slots: who, their situation, what is ahead or behind."""
        r = self.reading  # said to the listener: "after my loss" is "after your loss"
        slots = {"audience_name": [r.audience], "situation": [to_listener(r.situation)],
                 "event": [to_listener(r.event)], "for_whom": [to_listener(r.for_whom)]}
        return {k: v for k, v in slots.items() if all(v)}

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
                end = j == len(made) - 1  # a move's pause follows its last sentence
                unit.pause = (pause if end or move.get("each") else "none") if pause else \
                    ("beat" if end else "none")
                # the first counted breath stays (it says what to do), the others may go
                unit.keep = bool(move.get("keep")) and (name != "cycles" or j == 0)
            units += made
        return units

    def move_unit(self, name: str, move: dict[str, Any]) -> _Unit | None:
        if name == "cycles":
            return self.cycle()
        sentence = self.say(list(move["say"]))
        return _Unit([sentence]) if sentence else None

    def cycle(self) -> _Unit | None:
        """One counted breath, at the breath's pace: the count in, then the count out, each
        followed by what is left of its seconds (about 4 s in, 6 s out). The first says what to
        do; later ones may say "again"."""
        lines: list[str] = self.cat["breath_patterns"]["first" if not self.cycles else "cycle"]
        order = list(range(len(lines) // 2))
        self.rng.shuffle(order)
        for j in order:
            pair = [self.composer.fill(lines[2 * j]), self.composer.fill(lines[2 * j + 1])]
            if (self.recent and self.recent[-1] == pair[1]) or \
                    not all(self.composer.frame_free(x) for x in pair) or \
                    any(speech_seconds(x) > n for x, n in zip(pair, self.breath)):
                continue  # said before, or too long to say within its breath
            for x in pair:
                self.composer.said(x)
            self.recent += pair
            self.cycles += 1
            gaps = tuple(max(1.0, count - speech_seconds(x))
                         for x, count in zip(pair, self.breath))
            return _Unit(pair, breath=gaps)
        return None

    # -- the body of the practice ----------------------------------------------------------

    def practice(self, target: float) -> list[_Unit]:
        tech = self.technique
        if is_timed(tech):  # a breath pattern's holds, tensing and releasing: timed.py
            return timed_practice(self, target / self.wpm * 60.0)
        # an item may offer alternatives ("a|b"): the seed picks one
        items = [self.rng.choice(item.split("|")) for item in tech["items"]]
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
        enough = target - min(2 * _AVG_WORDS, 0.1 * target)  # a short practice fills closely
        while _count(units) < enough and rounds < 8:
            if rounds and self.concept.technique in _SCENES_OF_THE_MIND:
                # a visualisation runs once, developed: it goes deeper, it never restarts
                units.append(self._unit(tech["deepen"], "invite"))
            elif rounds:
                units.append(self._unit(self.cat["slots"]["again"], "beat"))
            before = _count(units)
            for n, item in enumerate(chosen):
                units += self._item(item, per_item, "invite" if n % 2 else "beat")
                if n % 3 == 2 and _count(units) < target - per_item * (m - n):
                    units.append(self._unit(tech["deepen"], "invite"))
                if _count(units) >= enough:
                    break
            rounds += 1
            if _count(units) - before < m * per_item / 2:  # the fresh sentences are running out:
                self.composer.reuse_after = max(_MIN_REUSE, self.composer.reuse_after // 2)
        units = [u for u in units if u.sentences]
        units.append(self._unit(tech["close"], "invite"))
        self.composer.extra.pop("item", None)
        self.composer.reuse_after = REUSE_AFTER
        return [u for u in units if u.sentences]

    def _item(self, item: str, budget: float, pause: str) -> list[_Unit]:
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
        units[-1].pause = pause
        return units

    def _unit(self, patterns: list[str], pause: str) -> _Unit:
        sentence = self.say(patterns)
        return _Unit([sentence] if sentence else [], pause)


#: techniques that picture a place: developed over one visit, never "from the beginning"
_SCENES_OF_THE_MIND = frozenset({"place", "water", "light"})


def _count(units: list[_Unit]) -> int:
    return sum(len(words(s)) for u in units for s in u.sentences)


#: a sentence joined from shorter ones has at most this many words (the review splits longer
#: ones: editors.LONG_SENTENCE, 18, and varying an opening adds a word)
FLOW_WORDS = 17
#: openings a joined sentence drops from its second half ("Gently, let go" -> "let go")
_OPENERS = ("and ", "now, ", "now ", "gently, ", "softly, ", "then ")


def _join(a: str, b: str) -> str | None:
    """Two sentences said as one flowing sentence ("Settle into your chair. Let your eyes
    close." -> "Settle into your chair, and let your eyes close."), or None when they should
    stay apart: a count, a question, an invitation followed by what is not one (its silence
    belongs to it), more than :data:`FLOW_WORDS` words, or a doubled word."""
    if not a.endswith(".") or not b.endswith((".", "?")) or is_count(a) or is_count(b):
        return None
    if is_invitation(a) != is_invitation(b) or _wish(a) != _wish(b) or \
            _statement(a) != _statement(b) or _mine(a) != _mine(b):
        return None  # an invitation's silence is its own; a wish joins only a wish, a
        # statement only a statement, a listener's own words ("My body knows") only theirs
    if ", and " in a or ", and " in b:
        return None  # a third clause on one "and" runs on
    if len(words(a)) + len(words(b)) > FLOW_WORDS:
        return None
    tail = b
    low = tail.lower()
    for opener in _OPENERS:
        if low.startswith(opener):
            tail = tail[len(opener):]
            break
    if not (tail.startswith("I ") or tail.startswith("I'")):
        tail = tail[:1].lower() + tail[1:]
    joined = a[:-1].rstrip(",;") + ", and " + tail
    return joined if reads_well(joined) else None


#: words that open a sentence with its subject ("Your breath is slow", "There is time"), and
#: verbs that follow a one-word subject ("Nerves are only energy"): a statement, not a request
_SUBJECTS = frozenset("""i you we it this that there these those everything nothing something
whatever each every the a an your my our its their any all some no here""".split())
_FINITE = frozenset("""is are was were can will may might has have does do needs need feels
feel comes come stays stay""".split())


def _statement(sentence: str) -> bool:
    """Whether a sentence states (has a subject) rather than asks the listener to do something:
    "Nerves are only energy" and "Let your hips settle" said as one read wrong."""
    said = re.findall(r"[a-z']+", sentence.lower())
    while said and said[0] in ("and", "now", "gently", "softly", "then"):
        said = said[1:]
    return bool(said) and (said[0] in _SUBJECTS or len(said) > 1 and said[1] in _FINITE)


def _mine(sentence: str) -> bool:
    """Whether a sentence is said in the listener's own voice ("My body knows how to rest",
    "I let the day go")."""
    return bool(re.search(r"\b(?:i|i'm|i've|me|my|mine|myself)\b", sentence.lower()))


def _wish(sentence: str) -> bool:
    """A wish or a first-person line ("May you be well.", "I wish you peace.", "I am here.")."""
    return bool(re.match(r"(?:and |now,? )?(?:may |i )", sentence, re.IGNORECASE))


def _flow(units: list[_Unit], kind: str, frames: Counter[str]) -> list[_Unit]:
    """Short neighbouring sentences joined into longer, flowing ones where nothing but the
    least pause between sentences parts them (or a run of cues): fewer, fuller sentences leave
    the silence to where it means something. Counted breaths, affirmations (short "I am..."
    lines are the form) and sentences an invitation's silence follows stay as they are, and no join makes
    a sentence frame more common than :data:`FRAME_LIMIT` (``frames``: the frames of what the
    script says so far, kept up to date)."""
    frames.update(k for u in units for x in u.sentences for k in frame_keys(x))
    out: list[_Unit] = []
    def opener(u: _Unit | None) -> str:
        return u.sentences[0].split()[0].lower() if u and u.sentences and u.sentences[0] else ""
    for n, unit in enumerate(units):
        prev = out[-1] if out else None
        after = units[n + 1] if n + 1 < len(units) else None
        run = opener(prev) == opener(after) and (len(out) > 1 and opener(out[-2]) == opener(prev))
        if prev is not None and not prev.breath and not unit.breath and not run and \
                len(prev.sentences) == 1 and len(unit.sentences) == 1 and \
                prev.pause in ("none", "beat"):
            joined = _join(prev.sentences[0], unit.sentences[0])
            if kind == "affirmations" and _wish(prev.sentences[0]):
                joined = None  # an affirmation is a short line of its own
            old = [*frame_keys(prev.sentences[0]), *frame_keys(unit.sentences[0])]
            frames.subtract(old)
            if joined and all(frames[k] < FRAME_LIMIT for k in frame_keys(joined)):
                frames.update(frame_keys(joined))
                out[-1] = _Unit([joined], unit.pause, keep=prev.keep or unit.keep)
                continue
            frames.update(old)
        out.append(unit)
    return out


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


def place_pauses(floors: list[float], weights: list[float], extra: float,
                 cap: float) -> list[float]:
    """The pause after each sentence: its floor, and ``extra`` seconds shared in proportion to
    the weights (whole seconds, the last fraction to the weightiest), none beyond ``cap`` (what
    a capped pause cannot take goes to the others). A floor of 0 with weight 0 is no pause (the
    end of the track)."""
    gaps = list(floors)
    weights = list(weights)
    left = extra
    while left >= 1 and any(w > 0 for w in weights):
        added = allocate_pauses(weights, float(int(left)))
        for i, a in enumerate(added):
            take = min(float(a), max(0.0, cap - gaps[i]))
            gaps[i] += take
            left -= take
            if gaps[i] >= cap:
                weights[i] = 0.0
        if not any(added):
            break
    room = [i for i, w in enumerate(weights) if w > 0 and gaps[i] + left <= cap]
    if 0 < left < 1 and room:  # the fraction whole seconds leave, to the weightiest pause
        gaps[max(room, key=lambda i: weights[i])] += left
    return gaps


def _flat(units: list[_Unit], table: dict[str, float],
          open_end: bool) -> tuple[list[str], list[float], list[str]]:
    """The units' sentences, the least pause after each (``table``: the floors by kind), and
    what each pause is (its weight's kind); the last sentence ends the section (nothing follows
    it when ``open_end``)."""
    said: list[str] = []
    floors: list[float] = []
    kinds: list[str] = []
    ends = iter(invitation_ends([x for u in units for x in u.sentences]))
    for unit in units:
        for k, sentence in enumerate(unit.sentences):
            last = k == len(unit.sentences) - 1
            kind = unit.pause if last else "none"
            floor = table[kind]
            if unit.breath:  # inside a breath, or between two: the breath's pace
                kind, floor = ("breath", unit.breath[k]) if not last or unit.pause == "none" \
                    else (kind, max(floor, unit.breath[k]))
            end = next(ends)
            if kind == "invite" and not is_invitation(sentence):
                # the long silence is after an invitation to breathe or notice: after another
                # sentence, a beat (fewer long silences, each after something to do in it)
                kind, floor = "beat", max(table["beat"], unit.breath[k] if unit.breath else 0.0)
            if kind != "breath" and is_invitation(sentence):  # a cue: a beat, the last a while
                kind, floor = ("invite", max(floor, table["invite"])) if end else \
                    ("beat" if kind == "none" else kind, max(floor, table["beat"]))
            said.append(sentence)
            floors.append(floor)
            kinds.append(kind)
    if said:
        floors[-1], kinds[-1] = (0.0, "breath") if open_end else \
            (max(floors[-1], table["section"]), "section")
    return said, floors, kinds


def _fixed_seconds(units: list[_Unit], open_end: bool, table: dict[str, float],
                   pace: float = 1.0) -> float:
    """The units' least running time: their speech (at ``pace``) and every pause at its floor."""
    said, floors, _ = _flat(units, table, open_end)
    return sum(speech_seconds(x, pace) for x in said) + sum(floors)


def _fit(units: list[_Unit], seconds: float, open_end: bool,
         table: dict[str, float], pace: float = 1.0, most: float = 1e9) -> list[_Unit]:
    """The units, less some while their speech and floors leave less than :data:`PAUSE_ROOM` of
    ``seconds`` for longer pauses: the one whose going fits them best if one is enough, else the
    shortest; first the ones inside, then the first and the last, and those followed by an
    invitation's pause (the substance: an affirmation, an item of the practice) last; none whose
    going would put two like sentences side by side. Then a unit that went comes back, alone or
    for a shorter one, where that fills the time better."""
    limit = seconds * (1 - PAUSE_ROOM)
    # each unit's speech and floors, its last pause as when another unit follows it (the
    # section's end is accounted in ``fixed``)
    tails = [_tails(u, table) for u in units]
    cost = [_fixed_seconds([u], True, table, pace) + tail for u, (tail, _) in zip(units, tails)]

    def fixed(kept: list[int]) -> float:
        if not kept:
            return 0.0
        inner, end = tails[kept[-1]]
        return sum(cost[i] for i in kept) - inner + (0.0 if open_end else end)

    def joins(kept: list[int], j: int) -> bool:
        return _joins_well([units[i] for i in kept], j)
    # the units a long silence follows (an invitation to breathe or notice): the section keeps
    # one every INVITE_EVERY seconds at least, the rest may go like any other
    inviting = [any(k == "invite" for k in _flat([u, _Unit(["."])], table, True)[2][:-1])
                for u in units]
    quota = max(1, round(seconds / INVITE_EVERY))
    said = [len(words(" ".join(u.sentences))) for u in units]
    keep = list(range(len(units)))
    before = keep
    def over(kept: list[int]) -> bool:  # more words than the part was asked for
        return sum(said[i] for i in kept) > most
    while len(keep) > 1 and (fixed(keep) > limit or over(keep)):
        ends = {0, len(keep) - 1}
        free = [j for j in range(len(keep)) if not units[keep[j]].keep]
        spare = sum(inviting[i] for i in keep) > quota  # more long silences than needed
        tiers = ([j for j in free if j not in ends and (spare or not inviting[keep[j]])
                  and units[keep[j]].pause != "invite"],
                 [j for j in free if j in ends and units[keep[j]].pause != "invite"], free,
                 list(range(len(keep))))
        tier = next(t for t in tiers if t)
        order = [j for j in tier if joins(keep, j)] or tier
        left = {j: fixed(keep[:j] + keep[j + 1:]) for j in order}
        enough = [j for j in order if left[j] <= limit]
        before = list(keep)
        if enough:  # one going is enough: the one that leaves the time best filled
            del keep[max(enough, key=lambda j: left[j])]
        else:       # else the one that says least for the time it takes
            del keep[min(order, key=lambda j: (said[keep[j]] / max(cost[keep[j]], 0.1),
                                               -left[j]))]
    # a sentence is coarse: keep the last one cut if it overshot the room by less than its going
    # undershoots it, and the words still fit the time
    if fixed(before) <= seconds and fixed(before) - limit < limit - fixed(keep) and \
            not over(before):
        return [units[i] for i in before]
    for _ in range(len(units)):  # what went comes back, alone or for a shorter one
        best, fill = None, fixed(keep)
        for i in (i for i in range(len(units)) if i not in keep):
            for out in [None, *(k for k in keep if cost[k] < cost[i] and not units[k].keep)]:
                trial = sorted([*(k for k in keep if k != out), i])
                if fill < fixed(trial) <= limit and joins(trial, trial.index(i)) and \
                        not over(trial):
                    best, fill = trial, fixed(trial)
        if best is None:
            break
        keep = best
    return [units[i] for i in keep]


def _tails(unit: _Unit, table: dict[str, float]) -> tuple[float, float]:
    """The least pause after the unit's last sentence when another unit follows it, and when it
    ends the section."""
    inner = _flat([unit, _Unit(["."])], table, True)[1][len(unit.sentences) - 1]
    return inner, _flat([unit], table, False)[1][-1]


def _joins_well(units: list[_Unit], i: int) -> bool:
    """Whether the units either side of unit ``i`` may follow each other: not the same
    sentence, not the same opening word."""
    if i == 0 or i == len(units) - 1:
        return True
    left, right = units[i - 1].sentences, units[i + 1].sentences
    if not left or not right:
        return True
    a, b = left[-1].lower(), right[0].lower()
    return a != b and a.split()[:1] != b.split()[:1]


def share_time(demand: list[float], ranges: list[tuple[float, float]],
               total: float) -> list[float]:
    """``total`` seconds shared in proportion to each part's demand, each part's share kept in
    its (low, high) range: a part with little to say gets its low share, one with much its high."""
    def shares(k: float) -> list[float]:
        return [min(max(k * d / total, lo), hi) for d, (lo, hi) in zip(demand, ranges)]
    low, high = 0.0, 1.0
    while sum(shares(high)) < 1 and high < 1e9:
        high *= 2
    for _ in range(60):
        k = (low + high) / 2
        low, high = (k, high) if sum(shares(k)) < 1 else (low, k)
    out = shares(high)
    return [s / sum(out) * total for s in out]


def _render(units: list[_Unit], seconds: float, sleep: bool, open_end: bool,
            table: dict[str, float], pace: float = 1.0) -> str:
    """The units as text running ``seconds`` (as the voice renders it): every sentence followed
    by a marked pause of at least its floor, the silence beyond the floors shared by weight."""
    said, floors, kinds = _flat(units, table, open_end)
    table = _SLEEP_WEIGHTS if sleep else _WEIGHTS
    extra = seconds - sum(speech_seconds(x, pace) for x in said) - sum(floors)
    gaps = place_pauses(floors, [table[k] for k in kinds], extra,
                        SLEEP_PAUSE_CAP if sleep else PAUSE_CAP)
    parts: list[str] = []
    for sentence, gap in zip(said, gaps):
        parts += [sentence, pause_mark(gap)] if pause_mark(gap) else [sentence]
    return " ".join(parts)


def write_script(concept: Concept, *, seed: int = 0, wpm: float | None = None) -> Script:
    """A complete guided meditation for the concept whose voice track runs ``concept.minutes``
    (leads and pauses included), at about ``wpm`` spoken words per minute counting the pauses
    (:data:`DEFAULT_WPM`, or :data:`SLEEP_WPM` for a sleep session): fewer when the pauses'
    floors would leave too little room. Same concept and seed, same script."""
    wpm = wpm or (SLEEP_WPM if concept.sleep else DEFAULT_WPM)
    writer = _Writer(concept, seed, wpm)
    total_words = wpm * concept.minutes
    body = concept.minutes * 60.0 - 2 * VOICE_LEAD
    arc = SLEEP_ARC if concept.sleep else ARC
    last = len(arc) - 1
    table = pause_floors(concept.sleep, concept.minutes)
    paces = [section_pace(kind, concept.sleep) for kind, _, _ in arc]
    frames: Counter[str] = Counter()
    # the practice is written last: it takes the words the other parts could not say
    units: dict[int, list[_Unit]] = {}
    asked: dict[int, float] = {}
    for i in sorted(range(len(arc)), key=lambda i: arc[i][0] == "practice"):
        kind, _, share = arc[i]
        if kind != "practice":
            asked[i] = total_words * share
            units[i] = _flow(writer.section(kind, asked[i]), kind, frames)
            continue
        lo, hi = ARC_RANGES[kind]
        others = sum(min(_count(u), ARC_RANGES[arc[j][0]][1] * total_words)
                     for j, u in units.items())
        asked[i] = min(max(total_words - others, lo * total_words), hi * total_words)
        units[i] = _flow(writer.practice(asked[i]), kind, frames)
    # the topic's heart: named in the opening, once in the body and in the close
    opening, middle, closing = heart_lines(concept.topic, concept.sleep)
    practice = next(i for i in range(len(arc)) if arc[i][0] == "practice")
    short = concept.minutes < 1.2  # a minute's parts have room for a line or two each: the
    # opening takes the first line's place, and the practice and the close keep their own
    units[0][:1 if short else 0] = [_Unit([opening], "beat", keep=True)]
    if not short and len(units[practice]) == 1 and units[practice][0].breath:
        # a practice said whole (a short round of held breaths): the topic named in it, after
        # its first line (so neither goes without the other)
        whole = units[practice][0]
        units[practice] = [_Unit([*whole.sentences[:1], middle, *whole.sentences[1:]],
                                 whole.pause, (*whole.breath[:1], table["beat"],
                                               *whole.breath[1:]), keep=True)]
    elif not short:
        units[practice].insert(min(1, len(units[practice])), _Unit([middle], "beat", keep=True))
    if short:  # a minute: the topic named once, at the start
        pass
    elif units[last]:  # said with the close's last words, so neither goes without the other
        units[last][-1] = _Unit([closing, *units[last][-1].sentences], units[last][-1].pause,
                                units[last][-1].breath and (3.0, *units[last][-1].breath),
                                keep=True)
    else:
        units[last].append(_Unit([closing], "beat", keep=True))
    # time follows what each part has to say, inside the arc's usual shares
    demand = [_fixed_seconds(units[i], i == last, table, paces[i]) for i in range(len(arc))]
    seconds = share_time(demand, [ARC_RANGES[kind] for kind, _, _ in arc], body)
    # no part says (much) more than it was asked for: the words were planned for the length
    fitted = [_fit(units[i], seconds[i], i == last, table, paces[i], asked[i])
              for i in range(len(arc))]
    # the silence left is shared by the parts with room for it: one whose shortest form still
    # runs over (a long sentence in a short session) takes its excess from the others
    fixed = [_fixed_seconds(fitted[i], i == last, table, paces[i]) for i in range(len(arc))]
    weights = _SLEEP_WEIGHTS if concept.sleep else _WEIGHTS
    takes = [any(weights[k] > 0 for k in _flat(fitted[i], table, i == last)[2])
             for i in range(len(arc))]  # a part with no pause to lengthen takes no silence
    room = [max(0.0, t - f) if ok else 0.0 for t, f, ok in zip(seconds, fixed, takes)]
    silence = body - sum(fixed)
    sections: list[Section] = []
    planned = spent = 0.0
    for i, (kind, title, _) in enumerate(arc):
        planned += fixed[i] + (silence * room[i] / sum(room) if sum(room) else 0.0)
        # each part aims at where the parts so far should end, so rounding is carried on
        text = _render(fitted[i], planned - spent, concept.sleep, i == last, table, paces[i])
        spent += span_seconds(text, i == last, SPEAKING_WPM / paces[i])
        sections.append(Section(title or str(writer.technique["name"]), text, kind, paces[i]))
    return Script(concept.title, tuple(sections), concept.minutes, concept.sleep,
                  setting=writer.setting.name)
