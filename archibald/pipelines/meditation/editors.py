"""Script review and quality polish, local route: rule-based editors that change the text.

Each editor reports every change it makes, one line per change, so the ledger shows what the
local route actually did. ``review`` fixes the content (wording, repetition, sentence length,
length to target); ``polish`` fixes the delivery (pauses after invitations, pause lengths,
punctuation, the running time). Neither puts a pause under its floor
(:data:`archibald.script.model.PAUSE_FLOOR`: 3 s between sentences, 10 s after an invitation,
more in a sleep session; a counted breath keeps its pace): a script too long for its time says
less instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial

from archibald.pipelines.meditation.catalogue import catalogue
from archibald.pipelines.meditation.checks import invitation_ends, is_count, is_invitation
from archibald.script.model import (ARC_RANGES, PAUSE_CAP, SLEEP_PAUSE_CAP, VOICE_LEAD, Script,
                                   Section, pause_floors, pause_mark, span_seconds,
                                   speech_seconds, words)
from archibald.pipelines.meditation.writer import DEFAULT_WPM, PAUSE_ROOM, SLEEP_WPM, place_pauses, share_time

__all__ = ["EditResult", "review", "polish", "BANNED", "LONG_SENTENCE", "parse", "render",
           "gap_floors"]

#: more words than this in one sentence is hard to follow by ear
LONG_SENTENCE = 18
#: clinical, alarming or absolute wording, and its gentle replacement
BANNED: tuple[tuple[str, str], ...] = (
    (r"\byou will (?:feel|have|be) (?:no|zero)\b[^.!?]*", "you may feel a little lighter"),
    (r"\byou will never\b[^.!?]*", "you may find a little more ease"),
    (r"\b(?:this|meditation|it) (?:will )?(?:cures?|heals?|treats?|fix(?:es)?)\b[^.!?]*",
     "this practice offers a moment of rest"),
    (r"\b(?:anxiety|panic) attacks?\b", "moments of worry"),
    (r"\bpainful\b", "uncomfortable"),
    (r"\bpains?\b", "discomfort"),
    (r"\bdisorders?\b", "difficulty"),
    (r"\bsymptoms?\b", "sensations"),
    (r"\bdepression\b", "low mood"),
    (r"\btrauma\b", "hard memories"),
    (r"\binsomnia\b", "restless nights"),
    (r"\b(?:illness|disease)\b", "tiredness"),
    (r"\bguaranteed?\b", "gentle"),
    (r"\binstantly\b", "gradually"),
    (r"\bcompletely stress-free\b", "a little calmer"),
    (r"\byou (?:must|should|have to)\b", "you might"),
    (r"\byou will\b", "you may"),
)
_CONNECTORS = ("Now,", "Gently,", "And", "Softly,", "Then")
_PauseSentence = list[tuple[str, float]]


@dataclass(frozen=True)
class EditResult:
    """The edited script and one line per change."""

    script: Script
    changes: list[str] = field(default_factory=list)


def parse(text: str) -> _PauseSentence:
    """A section's text as (sentence, seconds of pause after it)."""
    out: _PauseSentence = []
    for chunk in re.split(r"(\[pause\s+\d+(?:\.\d+)?\s*s\])", text):
        m = re.fullmatch(r"\[pause\s+(\d+(?:\.\d+)?)\s*s\]", chunk.strip())
        if m:
            if out:
                out[-1] = (out[-1][0], out[-1][1] + float(m[1]))
            continue
        for sentence in re.findall(r"[^.!?]+[.!?]+|[^.!?]+$", chunk):
            if sentence.strip():
                out.append((sentence.strip(), 0.0))
    return out


def render(items: _PauseSentence) -> str:
    """(sentence, marked pause after it) back to text; a pause of 0 is no mark (the voice's
    default gap between sentences)."""
    parts = []
    for sentence, pause in items:
        parts += [sentence, pause_mark(pause)] if pause_mark(pause) else [sentence]
    return " ".join(parts)


def gap_floors(items: _PauseSentence, table: dict[str, float], end: str) -> list[float]:
    """The least pause after each sentence: a counted breath keeps its own pace (its pause, up
    to what its count leaves after its words: a hold of seven keeps seven seconds), an invitation
    that ends a run of cues (or a pause already as long as an invitation's) gets the
    invitation's floor, a cue inside a run a beat, any other sentence the floor between
    sentences; the last gets ``end``'s ("section", or "" for the track's end).
    ``table``: the floors by kind (:func:`archibald.script.model.pause_floors`)."""
    out = []
    ends = invitation_ends([x for x, _ in items])
    for (sentence, pause), long in zip(items, ends):
        if is_count(sentence):
            out.append(min(pause, max(table["none"], _counted(sentence)
                                      - speech_seconds(sentence))) if pause else 1.0)
        elif long or pause >= table["invite"]:
            out.append(table["invite"])
        elif is_invitation(sentence):
            out.append(table["beat"])
        else:
            out.append(table["none"])
    if out:
        out[-1] = max(out[-1], table["section"]) if end else 0.0
    return out


def _counted(sentence: str) -> float:
    """The highest number a count says ("Hold, two, three, four." is 4): its seconds."""
    said = [NUMBER_VALUES[w] for w in re.findall(r"[a-z]+", sentence.lower())
            if w in NUMBER_VALUES]
    return float(max(said, default=0))


#: a count's number words and their values
NUMBER_VALUES = {w: n for n, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve".split())}


def _in_count(items: _PauseSentence, i: int) -> bool:
    """Whether a line put before ``items[i]`` would land inside a counted breath (between
    two counts, or between a count and the line that leads into it or lets it go)."""
    return 0 < i < len(items) and (is_count(items[i][0]) or is_count(items[i - 1][0]))


def _floor_span(section: Section, last: bool, table: dict[str, float]) -> float:
    """A section's least span: its speech and every pause at its floor."""
    items = parse(section.text)
    return sum(speech_seconds(x) for x, _ in items) + \
        sum(gap_floors(items, table, "" if last else "section"))


def _floor_seconds(script: Script, table: dict[str, float]) -> float:
    """The least running time: speech, every pause at its floor, the leads."""
    last = len(script.sections) - 1
    return 2 * VOICE_LEAD + sum(_floor_span(s, i == last, table)
                                for i, s in enumerate(script.sections))


def _cost(sentence: str, table: dict[str, float]) -> float:
    """What one more sentence adds to the least running time: its speech and its floor."""
    return speech_seconds(sentence) + table["none"]


def _first_word(sentence: str) -> str:
    found = re.findall(r"[A-Za-z']+", sentence)
    return found[0].lower() if found else ""


def _edit_sections(script: Script, edit: Callable[[Section, _PauseSentence, list[str]],
                                                  _PauseSentence], changes: list[str]) -> Script:
    sections = []
    for section in script.sections:
        items = edit(section, parse(section.text), changes)
        sections.append(replace(section, text=render(items)))
    return replace(script, sections=tuple(sections))


def _gentle_words(section: Section, items: _PauseSentence, changes: list[str]) -> _PauseSentence:
    out = []
    for sentence, pause in items:
        for pattern, gentle in BANNED:
            def sub(m: re.Match[str], gentle: str = gentle) -> str:
                new = gentle[:1].upper() + gentle[1:] if m[0][:1].isupper() else gentle
                changes.append(f"{section.name}: replaced {m[0]!r} with {new!r}")
                return new
            sentence = re.sub(pattern, sub, sentence, flags=re.IGNORECASE)
        out.append((sentence, pause))
    return out


def _no_repeats(section: Section, items: _PauseSentence, changes: list[str]) -> _PauseSentence:
    out: _PauseSentence = []
    for sentence, pause in items:
        if out and sentence.lower() == out[-1][0].lower():
            out[-1] = (out[-1][0], out[-1][1] + pause)
            changes.append(f"{section.name}: removed a repeated sentence {sentence!r}")
            continue
        out.append((sentence, pause))
    return out


def _vary_openings(section: Section, items: _PauseSentence, changes: list[str]) -> _PauseSentence:
    if section.kind == "affirmations":  # "I am…" lines are the form of an affirmation
        return items
    out: _PauseSentence = []
    run = 0
    for sentence, pause in items:
        first = _first_word(sentence)
        run = run + 1 if out and first and first == _first_word(out[-1][0]) else 1
        if run >= 3:
            connector = next(c for c in _CONNECTORS if _first_word(c) != first
                             and (not out or _first_word(c) != _first_word(out[-1][0])))
            new = f"{connector} {sentence[:1].lower()}{sentence[1:]}"
            if sentence.startswith("I "):
                new = f"{connector} {sentence}"
            changes.append(f"{section.name}: varied the opening of {sentence!r} -> {new!r}")
            sentence, run = new, 1
        out.append((sentence, pause))
    return out


def _split_long(section: Section, items: _PauseSentence, changes: list[str]) -> _PauseSentence:
    out: _PauseSentence = []
    for sentence, pause in items:
        pieces = [sentence]
        while len(words(pieces[-1])) > LONG_SENTENCE:
            head, tail = _split_once(pieces[-1])
            if not tail:
                break
            pieces[-1:] = [head, tail]
        if len(pieces) > 1:
            changes.append(f"{section.name}: split a {len(words(sentence))}-word sentence "
                           f"into {len(pieces)}")
        out += [(p, 0.0) for p in pieces[:-1]] + [(pieces[-1], pause)]
    return out


def _split_once(sentence: str) -> tuple[str, str]:
    """Split at the joint (", and", ";", ",", " and ") nearest the middle."""
    middle = len(sentence) / 2
    for joint in (r";\s+", r",\s+(?:and|but|then|as|while)\s+", r",\s+", r"\s+and\s+"):
        spots = [m for m in re.finditer(joint, sentence)
                 if 3 <= len(words(sentence[:m.start()])) and 3 <= len(words(sentence[m.end():]))]
        if spots:
            m = min(spots, key=lambda m: abs(m.start() - middle))
            head = sentence[:m.start()].rstrip(",;") + "."
            tail = sentence[m.end():]
            return head, tail[:1].upper() + tail[1:]
    return sentence, ""


#: a script whose words and floors leave more than this share of its time is short of words
SHORT_OF_WORDS = 0.15
#: the parts review may lengthen with calm filler lines, in order of preference
_EXTENDABLE = ("practice", "breath", "settling")


def _extend(script: Script, want: float, free: float, target_s: float,
            changes: list[str]) -> Script:
    """About ``want`` more words of calm filler lines, in the parts that may take them, each up
    to its usual share of the time (less room for pauses), and ``free`` seconds at most in all."""
    body = target_s - 2 * VOICE_LEAD
    last = len(script.sections) - 1
    table = pause_floors(script.sleep, target_s / 60.0)
    order = [i for kind in _EXTENDABLE for i, s in enumerate(script.sections) if s.kind == kind]
    if not order:  # sections of unknown kinds: the longest one
        order = [max(range(len(script.sections)), key=lambda i: script.sections[i].word_count())]
    extend = catalogue()["editing"]["extend"]
    said = {x.lower() for x in script.sentences()}
    for i in order:
        section = script.sections[i]
        high = ARC_RANGES.get(section.kind, (0.0, 1.0))[1]
        room = (1 - PAUSE_ROOM) * high * body - _floor_span(section, i == last, table)
        items = parse(section.text)
        added = 0
        for k, line in enumerate(extend):
            cost = _cost(line, table)
            if added >= want or cost > min(free, room) or line.lower() in said:
                continue
            at = max(1, round(len(items) * (k % 7 + 1) / 8))
            while _in_count(items, at):  # never inside a counted breath
                at += 1
            items.insert(at, (line, 0.0))
            said.add(line.lower())
            added += len(words(line))
            free -= cost
            room -= cost
        if added:
            script = script.with_section(i, render(items))
            changes.append(f"{section.name}: added {added} words ({section.word_count()} -> "
                           f"{section.word_count() + added}) to reach the length")
            want -= added
    return script


def _fit_length(script: Script, target_minutes: float, changes: list[str]) -> Script:
    """Words to the calm pace for the target (fewer if the pauses' floors leave no room for
    longer pauses), then pauses to the target time. A script is extended only when it leaves
    more than :data:`SHORT_OF_WORDS` of the time beyond its floors: the silence a writer left
    on purpose is not filled."""
    target_s = target_minutes * 60.0
    want_words = (SLEEP_WPM if script.sleep else DEFAULT_WPM) * target_minutes
    have = script.word_count()
    practice = max(range(len(script.sections)), key=lambda i: script.sections[i].word_count())
    # seconds to cut so that the floors leave room for longer pauses (< 0: room to add)
    table = pause_floors(script.sleep, target_minutes)
    over = _floor_seconds(script, table) - (1 - PAUSE_ROOM) * target_s
    if have < 0.9 * want_words and -over > SHORT_OF_WORDS * target_s:
        script = _extend(script, want_words - have, -over - SHORT_OF_WORDS * target_s,
                         target_s, changes)
    elif have > 1.1 * want_words or over > 0:
        items = parse(script.sections[practice].text)
        cut, limit, saved = 0, have - want_words if have > 1.1 * want_words else 0, 0.0
        while (cut < limit or saved < over) and len(items) > 4:
            # the middle sentence, or the nearest that is no counted breath, nor one of the two
            # that lead into one (its safety line) or the one that lets it go; none left, the
            # rest stays (a count is the practice)
            mid = len(items) // 2
            at = min((i for i in range(1, len(items)) if not any(
                _in_count(items, k) for k in (i, i + 1, i + 2))), key=lambda i: abs(i - mid),
                default=-1)
            if at < 0:
                break
            sentence, pause = items.pop(at)
            to = len(items) // 2 - 1 if at == mid else at - 1
            items[to] = (items[to][0], items[to][1] + pause)
            cut += len(words(sentence))
            saved += _cost(sentence, table)
        script = script.with_section(practice, render(items))
        changes.append(f"{script.sections[practice].name}: trimmed {cut} words "
                       f"({have} -> {have - cut}) to fit the length")
    return _fit_pauses(script, target_s, changes)


def _fit_pauses(script: Script, target_s: float, changes: list[str]) -> Script:
    """The marked pauses respread so the voice track runs ``target_s``: each section keeps its
    share of the time (pulled into the arc's usual range), and within it the silence beyond the
    floors goes to the pauses in proportion to the old ones. No pause goes under its floor, so a
    script whose words and floors run over the time stays over it (review says less)."""
    now = script.estimated_seconds()
    table = pause_floors(script.sleep, target_s / 60.0)
    floors_now = [p >= f for s in script.sections
                  for (_, p), f in zip(parse(s.text), gap_floors(parse(s.text), table, ""))]
    if abs(now - target_s) <= 0.01 * target_s and all(floors_now[:-1]):
        return script
    last = len(script.sections) - 1
    _, spans, _ = script.layout()
    body = target_s - 2 * VOICE_LEAD
    goals = share_time(spans, [ARC_RANGES.get(s.kind, (0.0, 1.0)) for s in script.sections],
                       body)
    fixed = [_floor_span(s, i == last, table) for i, s in enumerate(script.sections)]
    # a section whose words alone run over its share takes the excess from the others' silence
    room = [max(0.0, g - f) for g, f in zip(goals, fixed)]
    silence = max(0.0, body - sum(fixed))
    cap = SLEEP_PAUSE_CAP if script.sleep else PAUSE_CAP
    sections = []
    planned = spent = 0.0
    for i, section in enumerate(script.sections):
        planned += fixed[i] + (silence * room[i] / sum(room) if sum(room) else 0.0)
        items = parse(section.text)
        floors = gap_floors(items, table, "" if i == last else "section")
        weights = [0.0 if is_count(x) or (i == last and k == len(items) - 1) else max(p, 0.5)
                   for k, (x, p) in enumerate(items)]
        # aim at where the sections so far should end, so rounding is carried on
        extra = planned - spent - fixed[i]
        gaps = place_pauses(floors, weights, extra, cap)
        text = render([(x, g) for (x, _), g in zip(items, gaps)])
        spent += span_seconds(text, i == last)
        sections.append(replace(section, text=text))
    fitted_script = replace(script, sections=tuple(sections))
    changes.append(f"pauses respread: {script.pause_seconds():.0f}s -> "
                   f"{fitted_script.pause_seconds():.0f}s, running time {now / 60:.1f} -> "
                   f"{fitted_script.estimated_seconds() / 60:.1f} min (target {target_s / 60:g})")
    return fitted_script


def review(script: Script, target_minutes: float) -> EditResult:
    """Content edits: gentle wording, no repeated sentences, varied openings, short sentences,
    and the length to the target."""
    changes: list[str] = []
    for edit in (_gentle_words, _no_repeats, _vary_openings, _split_long):
        script = _edit_sections(script, edit, changes)
    script = _fit_length(script, target_minutes, changes)
    return EditResult(script, changes)



def _pause_invitations(section: Section, items: _PauseSentence, changes: list[str],
                       sleep: bool = False, minutes: float = 0.0) -> _PauseSentence:
    floor = pause_floors(sleep, minutes)["invite"]
    cap = SLEEP_PAUSE_CAP if sleep else PAUSE_CAP
    out: _PauseSentence = []
    ends = invitation_ends([x for x, _ in items])
    for i, (sentence, pause) in enumerate(items):
        if ends[i] and pause < floor and i < len(items) - 1:
            changes.append(f"{section.name}: a {floor:g}s pause after the invitation "
                           f"{sentence!r}")
            pause = floor
        if pause > cap:
            changes.append(f"{section.name}: shortened a {pause:.0f}s pause to {cap:g}s")
            pause = cap
        out.append((sentence, pause))
    return out


def _punctuation(section: Section, items: _PauseSentence, changes: list[str]) -> _PauseSentence:
    out: _PauseSentence = []
    for sentence, pause in items:
        new = re.sub(r"!+", ".", sentence)
        new = re.sub(r"\s+", " ", new).strip()
        new = re.sub(r"\s+([,.;:?])", r"\1", new)
        new = new[:1].upper() + new[1:]
        if new[-1:] not in ".?":
            new += "."
        if new != sentence:
            changes.append(f"{section.name}: tidied {sentence!r} -> {new!r}")
        out.append((new, pause))
    return out


def polish(script: Script, target_minutes: float) -> EditResult:
    """Delivery edits: calm punctuation, a pause after each invitation, no overlong pause, and
    the pauses rescaled so the running time meets the target."""
    changes: list[str] = []
    invitations = partial(_pause_invitations, sleep=script.sleep, minutes=target_minutes)
    for edit in (_punctuation, _no_repeats, invitations):
        script = _edit_sections(script, edit, changes)
    script = _fit_pauses(script, target_minutes * 60.0, changes)
    return EditResult(script, changes)
