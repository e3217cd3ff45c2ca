"""A practice a topic asks for by name ("Body scan for chronic pain", "Metta for a difficult
colleague", "4-7-8 breathing to fall asleep"): the catalogue's techniques and the ``names`` a
topic may call each by."""

from __future__ import annotations

import re
from dataclasses import dataclass

from archibald.pipelines.meditation.shipped import catalogue
from archibald.pipelines.meditation.words import said_to_listener, topic_words

__all__ = ["Practice", "named_practice", "spelled", "written", "after_name", "said_topic"]


#: the last words of a practice's name that say what it is, and take "a" ("a body scan", "a
#: breathing exercise"; but "a belly breathing practice", "a metta practice")
_SAYS_KIND = frozenset("practice exercise meditation technique scan visualisation "
                       "visualization".split())

_DIGIT_WORDS = "zero one two three four five six seven eight nine".split()
#: a breath pattern's counts, as a topic writes them in digits ("4-7-8", "4 7 8", "4/7/8",
#: "4–7–8", "4:7:8"; "478 breathing") or in words ("four seven eight")
_DIGITS = re.compile(r"(?<![\w.,/:-])[1-9](?:\s*[-–/:.]\s*[1-9]|\s+[1-9]){2,3}(?![\w-])"
                     r"|(?<![\w.,])[1-9]{3,4}(?=\s+breath)", re.IGNORECASE)
_SPELLED = re.compile(r"\b(?:one|two|three|four|five|six|seven|eight|nine)"
                      r"(?:[\s-]+(?:one|two|three|four|five|six|seven|eight|nine)\b){2,3}",
                      re.IGNORECASE)
_HYPHENED = re.compile(r"\b(?:one|two|three|four|five|six|seven|eight|nine)"
                       r"(?:-(?:one|two|three|four|five|six|seven|eight|nine)\b){2,3}",
                       re.IGNORECASE)


def spelled(text: str) -> str:
    """``text`` with a breath pattern's counts as one hyphened word, as a voice says them and
    a practice's name holds them ("4-7-8 breathing", "4 7 8 breathing", "Four seven eight
    breathing": "four-seven-eight breathing")."""
    text = _DIGITS.sub(lambda m: "-".join(_DIGIT_WORDS[int(d)] for d in re.findall(r"\d", m[0])),
                       text)
    return _SPELLED.sub(lambda m: "-".join(re.split(r"[\s-]+", m[0].lower())), text)


def written(text: str) -> str:
    """``text`` with a breath pattern's counts in digits, as a title or a thumbnail writes
    them ("four-seven-eight breathing": "4-7-8 breathing")."""
    return _HYPHENED.sub(lambda m: "-".join(str(_DIGIT_WORDS.index(w.lower()))
                                            for w in m[0].split("-")), text)


@dataclass(frozen=True)
class Practice:
    """A technique a topic asks for by name ("Yoga nidra for sleep")."""

    technique: str  # its id in the catalogue ("body-scan")
    name: str  # as the topic says it, counts in words ("yoga nidra", "four-seven-eight", "pmr")
    leads: bool  # the topic opens with it: the topic is the practice and what it is for

    @property
    def said(self) -> str:
        """The name as a sentence says it aloud: whole, and no acronym ("pmr": "progressive
        muscle relaxation", a bare "four-seven-eight": "four-seven-eight breathing")."""
        table = catalogue()["techniques"][self.technique].get("said", {})
        return str(table.get(self.name, self.name))

    @property
    def kind(self) -> str:
        """What the session is, said: "body scan practice", "breathing exercise"."""
        said = self.said
        return said if said.split()[-1] in _SAYS_KIND else f"{said} practice"

    @property
    def counted(self) -> bool:
        """Whether the name takes "a" ("Try a body scan?", "Try belly breathing?")."""
        return self.said.split()[-1] in _SAYS_KIND


def named_practice(topic: str) -> Practice | None:
    """The technique a topic names (a catalogue technique's ``names``: "Breathwork before a
    presentation", "Sleep with a body scan", "4-7-8 for panic attacks"), the earliest and then
    the longest said; None when it names none."""
    said = " " + " ".join(topic_words(spelled(topic))) + " "
    found: list[tuple[int, int, str, str]] = []
    for kid, tech in catalogue()["techniques"].items():
        for name in tech.get("names", ()):
            at = said.find(f" {name} ")
            if at >= 0:
                found.append((at, -len(name), kid, name))
    if not found:
        return None
    at, _, kid, name = min(found)
    return Practice(kid, name, at == 0)


def after_name(practice: Practice, topic: str) -> list[str]:
    """The words of a topic that opens with a practice after its name, said to the listener
    ("4 7 8 breathing before bed": ["before", "bed"]; "Box breathing for my exams": ["for",
    "your", "exams"])."""
    return said_to_listener(spelled(topic)).split()[len(practice.name.split()):]


def said_topic(topic: str) -> str:
    """The topic as a sentence says it aloud: a breath pattern's counts in words, a practice's
    acronym whole ("Sleep with PMR": "Sleep with progressive muscle relaxation")."""
    said = spelled(topic)
    practice = named_practice(said)
    if practice is not None and not practice.said.lower().startswith(practice.name):
        said = re.sub(rf"\b{re.escape(practice.name)}\b", practice.said, said,
                      flags=re.IGNORECASE)
    return said
