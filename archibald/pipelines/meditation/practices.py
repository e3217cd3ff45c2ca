"""A practice a topic asks for by name ("Body scan for chronic pain", "Metta for a difficult
colleague"): the catalogue's techniques and the ``names`` a topic may call each by."""

from __future__ import annotations

from dataclasses import dataclass

from archibald.pipelines.meditation.shipped import catalogue
from archibald.pipelines.meditation.words import topic_words

__all__ = ["Practice", "named_practice"]


#: the last words of a practice's name that say what it is, and take "a" ("a body scan", "a
#: breathing exercise"; but "a belly breathing practice", "a metta practice")
_SAYS_KIND = frozenset("practice exercise meditation technique scan visualisation "
                       "visualization".split())


@dataclass(frozen=True)
class Practice:
    """A technique a topic asks for by name ("Yoga nidra for sleep")."""

    technique: str  # its id in the catalogue ("body-scan")
    name: str  # as the topic says it ("yoga nidra")
    leads: bool  # the topic opens with it: the topic is the practice and what it is for

    @property
    def kind(self) -> str:
        """What the session is, said: "body scan practice", "breathing exercise"."""
        return self.name if self.name.split()[-1] in _SAYS_KIND else f"{self.name} practice"

    @property
    def counted(self) -> bool:
        """Whether the name takes "a" ("Try a body scan?", "Try belly breathing?")."""
        return self.name.split()[-1] in _SAYS_KIND


def named_practice(topic: str) -> Practice | None:
    """The technique a topic names (a catalogue technique's ``names``: "Breathwork before a
    presentation", "Sleep with a body scan"), the earliest and then the longest said; None
    when it names none."""
    said = " " + " ".join(topic_words(topic)) + " "
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
