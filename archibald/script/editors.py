"""Script review and quality polish, local route: rule-based editors that change the text.

Each editor reports every change it makes, one line per change, so the ledger shows what the
local route actually did. ``review`` fixes the content (wording, repetition, sentence length,
length to target); ``polish`` fixes the delivery (pauses after invitations, pause lengths,
punctuation, the running time).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from archibald.script.catalogue import catalogue
from archibald.script.model import SPEAKING_WPM, Script, Section, words
from archibald.script.writer import DEFAULT_WPM, SLEEP_WPM, allocate_pauses

__all__ = ["EditResult", "review", "polish", "BANNED", "LONG_SENTENCE", "parse", "render"]

#: more words than this in one sentence is hard to follow by ear
LONG_SENTENCE = 18
_MAX_PAUSE = 30
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
    parts = []
    for sentence, pause in items:
        parts.append(sentence)
        if round(pause) > 0:
            parts.append(f"[pause {round(pause)}s]")
    return " ".join(parts)


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


def _fit_length(script: Script, target_minutes: float, changes: list[str]) -> Script:
    """Words to the calm pace for the target, then pauses to the target time."""
    target_s = target_minutes * 60.0
    want_words = (SLEEP_WPM if script.sleep else DEFAULT_WPM) * target_minutes
    have = script.word_count()
    practice = max(range(len(script.sections)), key=lambda i: script.sections[i].word_count())
    if have < 0.9 * want_words:
        items = parse(script.sections[practice].text)
        extend = catalogue()["editing"]["extend"]
        added, k = 0, 0
        while have + added < want_words and k < 4 * len(extend):
            line = extend[k % len(extend)]
            at = max(1, round(len(items) * (k % 7 + 1) / 8))
            if line not in (s for s, _ in items):
                items.insert(at, (line, 0.0))
                added += len(words(line))
            k += 1
        script = script.with_section(practice, render(items))
        changes.append(f"{script.sections[practice].name}: added {added} words "
                       f"({have} -> {have + added}) to reach the length")
    elif have > 1.1 * want_words:
        items = parse(script.sections[practice].text)
        cut, limit = 0, have - want_words
        while cut < limit and len(items) > 4:
            sentence, pause = items.pop(len(items) // 2)
            items[len(items) // 2 - 1] = (items[len(items) // 2 - 1][0],
                                          items[len(items) // 2 - 1][1] + pause)
            cut += len(words(sentence))
        script = script.with_section(practice, render(items))
        changes.append(f"{script.sections[practice].name}: trimmed {cut} words "
                       f"({have} -> {have - cut}) to fit the length")
    return _fit_pauses(script, target_s, changes)


def _fit_pauses(script: Script, target_s: float, changes: list[str]) -> Script:
    now = script.estimated_seconds()
    if abs(now - target_s) <= 0.03 * target_s:
        return script
    speech = script.word_count() / SPEAKING_WPM * 60.0
    silence = max(0.0, target_s - speech)
    parsed = [parse(s.text) for s in script.sections]
    weights = [max(p, 0.5) for items in parsed for _, p in items]
    gaps = iter(allocate_pauses(weights, silence))
    sections = []
    for section, items in zip(script.sections, parsed):
        fitted = [(s, float(min(2 * _MAX_PAUSE, next(gaps)))) for s, _ in items]
        sections.append(replace(section, text=render(fitted)))
    fitted_script = replace(script, sections=tuple(sections))
    changes.append(f"pauses rescaled: {script.pause_seconds():.0f}s -> "
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


_INVITATION = re.compile(r"^(?:(?:now|gently|softly|and),?\s+)?(?:notice|breathe|feel|sense|"
                         r"listen|bring your attention|imagine|picture)\b", re.IGNORECASE)


def _pause_invitations(section: Section, items: _PauseSentence,
                       changes: list[str]) -> _PauseSentence:
    out: _PauseSentence = []
    for i, (sentence, pause) in enumerate(items):
        if _INVITATION.match(sentence) and pause < 1 and i < len(items) - 1:
            changes.append(f"{section.name}: added a pause after the invitation {sentence!r}")
            pause = 3.0
        if pause > _MAX_PAUSE:
            changes.append(f"{section.name}: shortened a {pause:.0f}s pause to {_MAX_PAUSE}s")
            pause = float(_MAX_PAUSE)
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
    for edit in (_punctuation, _no_repeats, _pause_invitations):
        script = _edit_sections(script, edit, changes)
    script = _fit_pauses(script, target_minutes * 60.0, changes)
    return EditResult(script, changes)
