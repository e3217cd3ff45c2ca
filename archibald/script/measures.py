"""Measures of spoken text that a writer and a route-blind check both take: one measure each.

A counted breath ("In, two, three, four.") and what contradicts the listener ("night has come"
at 8 a.m.) mean the same to the meditation writer, which shapes its script by them, and to the
quality check, which scores any script, a model's included, by them. Both read them here, so
what one calls a contradiction or a count the other does too. This module knows only text and
facts: a pipeline's own reading of a topic (see
:class:`archibald.pipelines.meditation.topic.TopicReading`) passes its facts in, and a check
that has only the brief passes the topic, read here by its words (:func:`brief_facts`).
"""

from __future__ import annotations

import re

__all__ = ["NUMBER_WORDS", "is_count", "CONTRADICTIONS", "SLEEP_WORDS", "BRIEF_FACTS",
           "brief_facts", "contradictions"]

#: the number words a spoken count is made of
NUMBER_WORDS = frozenset("zero one two three four five six seven eight nine ten eleven "
                         "twelve".split())
_WORD = re.compile(r"[a-z']+")
_COUNTING = re.compile(r"\b(?:one|two), (?:two|three)\b")


def is_count(sentence: str) -> bool:
    """A counted breath: a count ("Breathe in through your nose, two, three, four.", "in, two,
    three, four") or mostly number words ("Four."). It keeps the breath's pace, and it repeats
    by design (the technique itself, not a repeated frame)."""
    low = sentence.lower()
    found = _WORD.findall(low)
    return bool(_COUNTING.search(low)) or \
        (bool(found) and sum(w in NUMBER_WORDS for w in found) >= max(2, len(found) // 2))


#: what contradicts a listener: (the fact that forbids it, the words that say it, a name for
#: the conflict). The facts are a topic reading's tags (``morning`` is a time of day,
#: ``daylight`` a morning or a day; ``awake`` a session not for sleep) or those the brief's
#: words state (:data:`BRIEF_FACTS`); what two rows both catch is said once.
CONTRADICTIONS: tuple[tuple[str, str, str], ...] = (
    ("daylight", r"\bnight has come\b|\btonight\b|\bgoodnight\b|\buntil morning\b"
                 r"|\bmoonlight\b",
     "night words in a daylight session"),
    ("morning", r"\bnight has (?:come|fallen)\b|\bas (?:the )?night falls\b"
                r"|\bthe day is (?:complete|done|over)\b|\b(?:the )?end of (?:the|your) day\b"
                r"|\bthe stars are coming out\b",
     "evening imagery in a morning (or after-night-shift) session"),
    ("dark", r"\bthis morning\b|\ba new day is beginning\b|\brest of your day\b",
     "morning words in an evening or night session"),
    ("sleep", r"\bopen your eyes\b|\beyes open\b|\bwake up\b"
              r"|\b(?:feel|feeling) (?:alert|energi[sz]ed|awake)\b|\bget up\b|\bstand up\b"
              r"|\bstart your day\b",
     "waking words in a sleep session"),
    ("awake", r"\bfall asleep\b|\bdrift(?:ing)? off to sleep\b|\bsleep now\b",
     "sleep words in a waking session"),
    ("ahead", r"\bis behind you\b|\bis over\b|\bis done\b|\bwork be finished\b",
     "what is still ahead said to be behind"),
    ("behind", r"\bis still ahead\b", "what is behind said to be ahead"),
)

#: the words that make a topic a sleep session, for the writer (pipelines.meditation.topic)
#: and the route-blind check alike
SLEEP_WORDS = ("sleep", "asleep", "bedtime", "insomnia", "sleepless", "drift off", "nap",
               "drifting off", "doze", "dozing", "doze off", "nod off", "slumber")

#: the facts a brief states in its own words, for a check that reads no topic otherwise
BRIEF_FACTS: tuple[tuple[str, str], ...] = (
    ("morning", r"\bmorning\b|\bnight ?shift\b|\bwak(?:e|ing) up\b|\bsunrise\b|\bdawn\b"
                r"|\bstart (?:of )?(?:the|your) day\b"),
    # a sleep session is one the topic says is for sleep, in the words the writer reads
    # (SLEEP_WORDS): "night" alone is a time ("a Friday night", "a night bus"), not sleep
    ("sleep", r"\b(?:" + "|".join(re.escape(w) for w in sorted(SLEEP_WORDS, key=len,
                                                               reverse=True)) + r")\b"),
    ("awake", r"\bfocus\b|\benergy\b|\bstudy\b|\bwork(?:day)?\b|\bmorning\b"),
)


def brief_facts(topic: str) -> frozenset[str]:
    """The facts :data:`CONTRADICTIONS` is keyed on that the topic's words state ("after a night
    shift": morning; "for focus": awake)."""
    low = topic.lower()
    return frozenset(fact for fact, said in BRIEF_FACTS if re.search(said, low))


def contradictions(text: str, listener: str | frozenset[str] | set[str], *,
                   sleep: bool = False) -> list[dict[str, str]]:
    """What ``text`` says that contradicts its listener: "night has come" in daylight, "open
    your eyes" in a sleep session, "is behind you" for what is still ahead. ``listener``: the
    facts read from the topic (a :class:`~archibald.pipelines.meditation.topic.TopicReading`'s
    tags), or the topic itself, read by its words (:func:`brief_facts`); ``sleep``: a sleep
    session. Each: what was said, and the conflict's name."""
    facts = brief_facts(listener) if isinstance(listener, str) else frozenset(listener)
    facts |= {"sleep"} if sleep else set()
    found: dict[tuple[int, int], dict[str, str]] = {}
    for fact, said, name in CONTRADICTIONS:
        if fact in facts:
            for m in re.finditer(said, text, re.IGNORECASE):
                found.setdefault(m.span(), {"said": m[0], "conflict": name})
    return list(found.values())
