"""YouTube metadata, local route: title, description with chapters and the safety line, tags.

Chapters are recognised by YouTube only when the list starts at 0:00, has at least three
timestamps in ascending order, and each chapter lasts at least 10 seconds.
"""

from __future__ import annotations

import re
from typing import Any

from archibald.errors import InputError
from archibald.pipelines.meditation.catalogue import catalogue
from archibald.pipelines.meditation.concept import Concept
from archibald.script.model import Script
from archibald.pipelines.meditation.places import find_place
from archibald.pipelines.meditation.practices import named_practice
from archibald.pipelines.meditation.setting import (SETTINGS, foreign_marks, heart_lines,
                                                    key_nouns, topic_setting)
from archibald.pipelines.meditation.topic import goal_words, read_topic
from archibald.pipelines.meditation.words import (STATE_NOUNS, STATES, TROUBLES, is_adjective,
                                                  is_noun, is_verb, noun_phrases)

__all__ = ["build_metadata", "chapters_from_sections", "parse_chapters", "timestamp",
           "tags_length", "TITLE_MAX", "TAGS_MAX", "DESCRIPTION_MAX", "SAFETY_LINE",
           "MIN_CHAPTER", "CATEGORY_HOWTO_STYLE"]

TITLE_MAX = 100
TAGS_MAX = 500
DESCRIPTION_MAX = 5000
MIN_CHAPTER = 10.0
CATEGORY_HOWTO_STYLE = "26"
SAFETY_LINE = ("This meditation is not medical advice and is no substitute for professional "
               "care. Do not listen while driving or operating machinery.")
_STAMP = re.compile(r"^\s*((?:\d+:)?\d{1,2}:\d{2})\s+(.+?)\s*$")


def timestamp(seconds: float) -> str:
    """0:00, 4:05, 1:02:03 (YouTube's chapter form)."""
    total = int(seconds)
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def _seconds(stamp: str) -> int:
    value = 0
    for part in stamp.split(":"):
        value = value * 60 + int(part)
    return value


def chapters_from_sections(section_starts: list[tuple[float, str]],
                           total_seconds: float | None = None) -> list[tuple[float, str]]:
    """Chapters from (start seconds, section name): sorted, the first at 0, and any chapter
    shorter than 10 s merged into its neighbour (the last one too, when the total is known)."""
    starts = sorted((max(0.0, float(t)), name) for t, name in section_starts if name.strip())
    if not starts:
        return []
    starts[0] = (0.0, starts[0][1])
    chapters: list[list[float | str]] = [[t, name] for t, name in starts]
    while len(chapters) > 1:
        ends = [float(c[0]) for c in chapters[1:]] + [total_seconds or 1e12]
        lengths = [int(end) - int(float(c[0])) for c, end in zip(chapters, ends)]
        shortest = min(range(len(chapters)), key=lambda i: lengths[i])
        if lengths[shortest] >= MIN_CHAPTER:
            break
        if shortest == 0:  # a short opening: the next chapter starts at 0 instead
            chapters[1][0] = 0.0
        chapters.pop(shortest)  # otherwise the previous chapter runs on
    return [(float(t), str(name)) for t, name in chapters]


def parse_chapters(description: str) -> tuple[list[tuple[int, str]], list[str]]:
    """The chapter lines of a description and what breaks YouTube's rules (empty when valid)."""
    chapters = [(_seconds(m[1]), m[2]) for line in description.splitlines()
                if (m := _STAMP.match(line))]
    problems = []
    if not chapters:
        return [], ["no chapters"]
    if chapters[0][0] != 0:
        problems.append("the first chapter does not start at 0:00")
    if len(chapters) < 3:
        problems.append(f"{len(chapters)} chapters; at least 3 are needed")
    for (a, name), (b, _) in zip(chapters, chapters[1:]):
        if b <= a:
            problems.append(f"{timestamp(b)} is not after {timestamp(a)}")
        elif b - a < MIN_CHAPTER:
            problems.append(f"chapter {name!r} is shorter than 10 s")
    return chapters, problems


def tags_length(tags: list[str]) -> int:
    """Characters YouTube counts for the tags: commas between, quotes around tags with spaces."""
    return sum(len(t) + (2 if " " in t else 0) for t in tags) + max(0, len(tags) - 1)


def _names_season(topic: str, season: dict[str, Any]) -> bool:
    """Whether ``topic`` itself names the season (one of its keywords, as a word)."""
    return any(re.search(rf"\b{re.escape(k)}\b", topic, re.IGNORECASE)
               for k in season.get("keywords", ()))


def calendar_words() -> frozenset[str]:
    """Words that come from the calendar (the seasons' names and keywords)."""
    cat = catalogue()
    return frozenset(w.lower() for season in cat["seasons"].values()
                     for w in (season["name"], *season.get("keywords", ())))


def _setting(concept: Concept, script: Script | None) -> Any:
    """The script's setting: the topic's own when it is the one the script rests in (a place
    the topic names keeps its phrase and imagery), else the one the script names."""
    own = topic_setting(concept.topic, read_topic(concept.topic).goal)
    name = script.setting if script is not None else ""
    return own if name in ("", own.name) else SETTINGS.get(name) or own


#: words too vague to be a tag alone ("place": the visualisation's own keyword)
_VAGUE = frozenset({"place", "start", "day", "way", "time", "thing", "things"})


def _is_tag(tag: str) -> bool:
    """Whether a tag names a thing: a noun, a gerund or a noun phrase ("safe place", "letting
    go"), never a verb ("imagine", "let go"), an adjective ("stressed") or a vague word."""
    words = tag.lower().split()
    if not words:
        return False
    if len(words) == 1:
        w = words[0]
        return w not in _VAGUE and not is_adjective(w) and not is_verb(w) and \
            (is_noun(w) or w.endswith("ing"))
    return not is_verb(words[0]) or words[0].endswith("ing")


def _phrases(topic: str) -> list[str]:
    """The topic's noun phrases as tags, a place by its own name, a size or mood before a
    compound left out ("big job interview": "job interview"; "restless legs" stays)."""
    out = []
    found = find_place(topic)  # a place is tagged by its own name ("hospital waiting room")
    place = found[1].phrase.split(" ", 1)[1] if found else ""
    for phrase in noun_phrases(topic):
        if place and place in phrase:
            phrase = place
        words = phrase.split()
        while len(words) > 2 and words[0] in STATES:
            words.pop(0)
        if len(words) > 1 or (is_noun(words[0]) and not is_adjective(words[0])):
            out.append(" ".join(words))
    return list(dict.fromkeys(out))


def _feeling(topic: str) -> str:
    """The trouble a topic names, as a noun: its own ("sports nerves": "nerves") or the noun
    of the state it says ("nervous": "nerves"), or ""."""
    words = re.findall(r"[a-z][a-z'-]*", topic.lower())
    own = [w for w in words if w in TROUBLES]
    return own[0] if own else next((STATE_NOUNS[w] for w in words if w in STATE_NOUNS), "")


def _people(audience: str) -> str:
    """The people a topic's audience names, without a passing state ("exhausted nurses":
    "nurses"; "new mums" and "bus drivers" stay whole)."""
    words = audience.split()
    while len(words) > 1 and words[0] in STATES and words[0] not in ("new", "young", "old"):
        words.pop(0)
    return " ".join(words)


def _tags(concept: Concept, extra: tuple[str, ...] | list[str],
          script: Script | None = None) -> list[str]:
    cat = catalogue()
    reading = read_topic(concept.topic)
    setting = _setting(concept, script)
    other = foreign_marks(setting, concept.topic)
    topic_words = set(re.findall(r"[a-z][a-z'-]*", concept.topic.lower()))
    calendar = calendar_words() - topic_words
    theme = cat["themes"][concept.theme]
    technique = cat["techniques"][concept.technique]
    minutes = f"{round(concept.minutes)} minute meditation"
    nouns = [n for n in key_nouns(concept.topic) if n not in calendar]
    phrases = [p for p in _phrases(concept.topic) if not set(p.split()) & calendar]
    people = _people(reading.audience)
    feeling = _feeling(concept.topic)
    # a thing ahead or behind with the topic's feeling ("driving test nerves")
    felt = [f"{p} {feeling}" for p in phrases
            if feeling and len(p.split()) > 1 and feeling not in p.split() and "'" not in p][:1]
    # a place the topic names is tagged by its own words ("library", not "room meditation")
    named = setting is not SETTINGS.get(setting.name)
    candidates = [
        "guided meditation", "meditation", minutes,
        # the work's own words first: the topic's noun phrases, key nouns and the setting
        *(f"{n} meditation" for n in (phrases or nouns)[:2]), *phrases, *felt,
        *([people, f"meditation for {people}"] if people else []), *nouns,
        *([] if named else [f"{setting.name} meditation"]),
        theme["benefit"].lower().removeprefix("a "),
        f"{technique['name'].lower()} meditation", "mindfulness", "relaxation",
        *(["sleep meditation", "bedtime meditation"] if concept.sleep else ["calm", "breathing"]),
        *(k for k in (*theme["keywords"][:6], *technique["keywords"][:4]) if _is_tag(k)),
        # a season only when the topic names it: a tag from the calendar ("winter" in
        # December) says nothing about this video (issue 25.6)
        *([cat["seasons"][concept.season]["name"].lower()]
          if concept.season and _names_season(concept.topic, cat["seasons"][concept.season])
          else []),
        *(t for t in (reading.audience, reading.event.removeprefix("the ")) if t),
        *extra,
    ]
    tags: list[str] = []
    for tag in candidates:
        tag = re.sub(r"[<>,\"]", "", tag).strip()
        low = tag.lower()
        if other.search(low) or set(low.split()) & calendar:
            continue  # another scene's ("ocean" on a river script) or the calendar's
        if tag and tag.lower() not in (t.lower() for t in tags) and len(tag) <= 100:
            if tags_length([*tags, tag]) <= TAGS_MAX:
                tags.append(tag)
    return tags


def build_metadata(concept: Concept, script: Script, chapters: list[tuple[float, str]], *,
                   tags_extra: tuple[str, ...] | list[str] = ()) -> dict[str, Any]:
    """The YouTube metadata for a finished video. ``chapters`` are (start seconds, title), as
    the voice's sentence timings put them; they are cleaned to YouTube's rules and left out of
    the description when fewer than three remain."""
    cat = catalogue()
    title = (script.title or concept.title).strip()
    if not title:
        raise InputError("the video has no title")
    if len(title) > TITLE_MAX:
        title = title[:TITLE_MAX].rsplit(" ", 1)[0]
    theme = cat["themes"][concept.theme]
    technique = cat["techniques"][concept.technique]["name"].lower()
    minutes = round(concept.minutes)
    reading = read_topic(concept.topic)
    benefit = (goal_words(reading) if reading.situation or reading.audience
               or reading.goal != "calm" else theme["benefit"]).lower()
    who = f", for {reading.for_whom}" if reading.audience else (
        f", {reading.situation}" if reading.situation else "")
    hook = [f"A {minutes}-minute guided {technique} meditation for {benefit}{who}.",
            "Find a comfortable place, close your eyes and let this voice guide you"
            + (" toward sleep." if concept.sleep else " for a few calm minutes.")]
    setting = _setting(concept, script)
    opening = heart_lines(concept.topic, concept.sleep)[0]
    # the practice in its place (the place last: "a quiet room where a single candle burns"
    # would otherwise burn "with a practice"); the one the topic named is not named twice
    named = named_practice(concept.topic)
    practice = f"begin the {named.said} itself" if named is not None and \
        named.technique == concept.technique else f"move into a {technique} practice"
    doing = [f"{opening} You will settle in, "
             f"follow a slow counted breath, then {practice} in {setting.place}, "
             f"and close with a few quiet words"
             + (" as the voice fades toward sleep." if concept.sleep
                else " before returning to your day.")]
    cleaned = chapters_from_sections(chapters)
    lines = [*hook, "", *doing, ""]
    if len(cleaned) >= 3:
        lines += ["Chapters:", *(f"{timestamp(t)} {name}" for t, name in cleaned), ""]
    lines.append(SAFETY_LINE)
    description = "\n".join(lines)[:DESCRIPTION_MAX]
    return {
        "title": title,
        "description": description,
        "tags": _tags(concept, tags_extra, script),
        "categoryId": CATEGORY_HOWTO_STYLE,
        "defaultLanguage": script.language,
        "defaultAudioLanguage": script.language,
        "chapters": [[round(t, 3), name] for t, name in cleaned],
    }
