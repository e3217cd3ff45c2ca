"""Text quality gates: a script or its metadata scored in [0, 1], with the reasons."""

from __future__ import annotations

import re
from typing import Any

from archibald.pipelines.meditation.checks import FRAME_LIMIT, max_frame_repeats
from archibald.pipelines.meditation.editors import BANNED, LONG_SENTENCE, gap_floors, parse
from archibald.pipelines.youtube.metadata import (DESCRIPTION_MAX, TAGS_MAX, TITLE_MAX, SAFETY_LINE,
                                       parse_chapters, tags_length)
from archibald.script.model import (ARC_RANGES, FULL_FLOORS_MINUTES, Script, pause_floors,
                                    speech_seconds, words)

__all__ = ["score_script", "score_metadata", "ARC_RANGES", "PACE_RANGE"]

#: how far outside ARC_RANGES (each part's usual share of the running time) a share still passes
_TOLERANCE = 0.02
#: spoken words per minute counting the pauses. The craft reference says 100–130, but its own
#: pauses (3 s between sentences, 10 s after invitations) at this voice's 145 words a minute
#: leave room for about 70 at most, and short sentences with their pauses run near 45: a
#: session inside 38–130 is calm, the slow end being the one with the silence
PACE_RANGE = (38.0, 130.0)
#: the voice's share of the running time at most, and how many silences of 8 s or more ten
#: minutes should hold (issue 12: silence is the substance)
SPEECH_SHARE_MAX = 0.55
LONG_SILENCES = 6
_WEIGHTS = {"length": 0.2, "pace": 0.1, "arc": 0.2, "readability": 0.1, "language": 0.15,
            "repetition": 0.15, "pauses": 0.1}


def _within(value: float, low: float, high: float, slack: float) -> float:
    """1 inside [low, high], falling linearly to 0 at ``slack`` beyond either end."""
    if low <= value <= high:
        return 1.0
    off = low - value if value < low else value - high
    return max(0.0, 1.0 - off / slack)


def _arc(script: Script) -> tuple[float, dict[str, Any]]:
    shares = script.shares()
    ending = "fade" if script.sleep or "fade" in shares else "return"
    parts: dict[str, Any] = {}
    scores = []
    for kind in ("settling", "breath", "practice", "affirmations", ending):
        low, high = ARC_RANGES[kind]
        share = shares.get(kind)
        if share is None:
            parts[kind] = "missing"
            scores.append(0.0)
        else:
            parts[kind] = round(share, 3)
            scores.append(1.0 if low - _TOLERANCE <= share <= high + _TOLERANCE else 0.5)
    return sum(scores) / len(scores), parts


def _repetition(script: Script) -> tuple[float, dict[str, Any]]:
    in_a_row = 0
    opener_runs = 0
    for section in script.sections:
        items = [s for s, _ in parse(section.text)]
        in_a_row += sum(1 for a, b in zip(items, items[1:]) if a.lower() == b.lower())
        if section.kind == "affirmations":
            continue
        run = 1
        for a, b in zip(items, items[1:]):
            fa, fb = (re.findall(r"[a-z']+", x.lower())[:1] for x in (a, b))
            run = run + 1 if fa and fa == fb else 1
            if run == 3:
                opener_runs += 1
    frames, frame = max_frame_repeats(script.sentences(), script.estimated_seconds())
    over = max(0, frames - FRAME_LIMIT)
    score = max(0.0, 1.0 - 0.25 * in_a_row - 0.15 * opener_runs - 0.1 * over)
    return score, {"same_sentence_in_a_row": in_a_row, "same_opening_runs": opener_runs,
                   "max_frame_repeats": frames, "most_repeated_frame": frame}


def _pauses(script: Script, seconds: float) -> tuple[float, dict[str, Any]]:
    """The silence: pauses at their floors, the voice under its share, long silences enough."""
    table = pause_floors(script.sleep, script.minutes or seconds / 60.0)
    last = len(script.sections) - 1
    met = total = 0
    gaps: list[float] = []
    for i, section in enumerate(script.sections):
        items = parse(section.text)
        floors = gap_floors(items, table, "" if i == last else "section")
        for k, ((_, pause), floor) in enumerate(zip(items, floors)):
            if i == last and k == len(items) - 1:
                continue
            total += 1
            met += pause >= floor - 0.05
            gaps.append(pause)
    speech = sum(speech_seconds(s) for s in script.sentences()) / seconds if seconds else 1.0
    long = sum(g >= 8 for g in gaps)
    want_long = max(1, round(LONG_SILENCES * min(1.0, seconds / 600)))
    parts = [met / total if total else 0.0]
    if seconds >= 60 * FULL_FLOORS_MINUTES:  # a session of a minute or two is mostly words
        parts += [1.0 if speech <= SPEECH_SHARE_MAX
                  else max(0.0, 1 - (speech - SPEECH_SHARE_MAX) / .2),
                  min(1.0, long / want_long)]
    return sum(parts) / len(parts), {"pauses_at_floor": round(met / total, 3) if total else 0.0,
                                     "speech_share": round(speech, 3), "silences_8s": long}


def score_script(script: Script, target_minutes: float) -> tuple[float, dict[str, Any]]:
    """Length to target, pace, the arc and its shares, readability, gentle language,
    repetition (sentences, openings, frames) and silence (pauses at their floors, the voice's
    share, long silences), each in [0, 1], and their weighted mean. The length is the
    voice track's as synthesis renders it (:meth:`Script.estimated_seconds`), so the target is
    the voice's too: in a video, its minutes less the music around the voice."""
    seconds = script.estimated_seconds()
    target = target_minutes * 60.0
    pace = script.pace_wpm()
    sentences = script.sentences()
    lengths = [len(words(s)) for s in sentences] or [0]
    mean_len = sum(lengths) / len(lengths)
    long_share = sum(1 for n in lengths if n > LONG_SENTENCE) / len(lengths)
    text = script.spoken_text()
    banned = sorted({m[0].lower() for p, _ in BANNED[:-2]
                     for m in re.finditer(p, text, re.IGNORECASE)})
    arc, shares = _arc(script)
    repetition, repeats = _repetition(script)
    silence, silences = _pauses(script, seconds)
    second_person = sum(1 for s in sentences if re.search(r"\b(you|your)\b", s, re.I))
    parts = {
        "length": _within(seconds / target if target else 0.0, 0.9, 1.1, 0.4),
        "pace": _within(pace, *PACE_RANGE, 40.0),
        "arc": arc,
        "readability": max(0.0, 1.0 - 3 * long_share - max(0.0, mean_len - 12) / 10),
        "language": max(0.0, 1.0 - 0.34 * len(banned)),
        "repetition": repetition,
        "pauses": silence,
    }
    score = sum(_WEIGHTS[k] * v for k, v in parts.items())
    if not sentences:
        score = 0.0
    details: dict[str, Any] = {
        "parts": {k: round(v, 3) for k, v in parts.items()},
        "estimated_seconds": round(seconds, 1), "target_seconds": target,
        "silence_seconds": round(script.silence_seconds(), 1),
        "pace_wpm": round(pace, 1), "words": script.word_count(), "sentences": len(sentences),
        "mean_sentence_words": round(mean_len, 1), "shares": shares, "banned": banned,
        "second_person_share": round(second_person / max(1, len(sentences)), 3), **repeats,
        **silences,
    }
    return round(score, 4), details


def score_metadata(meta: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    """Title, description (hook, chapters, safety line), tags and language against YouTube's
    rules, each in [0, 1], and their mean."""
    title = str(meta.get("title", ""))
    description = str(meta.get("description", ""))
    tags = [str(t) for t in meta.get("tags", [])]
    chapters, problems = parse_chapters(description)
    parts = {
        "title": 1.0 if 0 < len(title) <= TITLE_MAX else 0.0,
        "description": 1.0 if 0 < len(description) <= DESCRIPTION_MAX else 0.0,
        "hook": 1.0 if description.strip() and not description.lstrip().startswith("0:00") else 0.0,
        "chapters": 1.0 if chapters and not problems else 0.0,
        "safety": 1.0 if SAFETY_LINE.lower()[:40] in description.lower() else 0.0,
        "tags": 1.0 if tags and tags_length(tags) <= TAGS_MAX else 0.0,
        "category": 1.0 if str(meta.get("categoryId", "")).isdigit() else 0.0,
        "language": 1.0 if meta.get("defaultLanguage") else 0.0,
    }
    details: dict[str, Any] = {"parts": parts, "title_chars": len(title),
                               "tags_chars": tags_length(tags), "chapters": len(chapters),
                               "chapter_problems": problems}
    return round(sum(parts.values()) / len(parts), 4), details
