"""The script as data: sections of sentences with ``[pause Ns]`` markup, and how long it runs."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from archibald.script.speakable import PAUSE_RE

__all__ = [
    "SPEAKING_WPM", "ARC", "SLEEP_ARC", "Section", "Script", "sentences", "pauses",
    "strip_pauses", "words",
]

#: the voice's own speaking rate, pauses excluded: a little slower than a narrator's default
SPEAKING_WPM = 145.0

#: the arc as (kind, chapter title, share of the session's time)
ARC: tuple[tuple[str, str, float], ...] = (
    ("settling", "Settling In", 0.12),
    ("breath", "Breathing", 0.18),
    ("practice", "", 0.48),
    ("affirmations", "Affirmations", 0.13),
    ("return", "Gentle Return", 0.09),
)
#: a sleep session fades out instead of returning
SLEEP_ARC: tuple[tuple[str, str, float], ...] = (
    ("settling", "Settling In", 0.12),
    ("breath", "Breathing", 0.18),
    ("practice", "", 0.50),
    ("affirmations", "Affirmations", 0.12),
    ("fade", "Drifting Off", 0.08),
)

_PAUSE_SECONDS = re.compile(r"\[pause\s+(\d+(?:\.\d+)?)\s*s\]", re.IGNORECASE)
_SENTENCE = re.compile(r"[^.!?]*[.!?]+[\"')\]]*|[^.!?]+$")
_WORD = re.compile(r"[A-Za-z0-9']+(?:-[A-Za-z0-9']+)*")


def strip_pauses(text: str) -> str:
    """The text without pause markup, whitespace tidied."""
    return re.sub(r"\s+", " ", PAUSE_RE.sub(" ", text)).strip()


def pauses(text: str) -> list[float]:
    """Every marked pause in the text, in seconds."""
    return [float(m) for m in _PAUSE_SECONDS.findall(text)]


def words(text: str) -> list[str]:
    """The spoken words of the text (pause markup excluded)."""
    return _WORD.findall(strip_pauses(text))


def sentences(text: str) -> list[str]:
    """The sentences of the text, pause markup excluded."""
    found = (s.strip() for s in _SENTENCE.findall(strip_pauses(text)))
    return [s for s in found if _WORD.search(s)]


@dataclass(frozen=True)
class Section:
    """One part of the arc: ``kind`` is settling / breath / practice / affirmations / return /
    fade; ``name`` is the chapter title shown to the viewer."""

    name: str
    text: str
    kind: str = ""

    def word_count(self) -> int:
        return len(words(self.text))

    def pause_seconds(self) -> float:
        return sum(pauses(self.text))

    def estimated_seconds(self, wpm: float = SPEAKING_WPM) -> float:
        return self.word_count() / wpm * 60.0 + self.pause_seconds()


@dataclass(frozen=True)
class Script:
    """A guided meditation: a title and its sections, in order."""

    title: str
    sections: tuple[Section, ...]
    minutes: float = 0.0
    sleep: bool = False

    def spoken_text(self) -> str:
        """What the voice reads: the sections' text with pause markup, one section a paragraph."""
        return "\n\n".join(s.text for s in self.sections)

    def to_markdown(self) -> str:
        parts = [f"# {self.title}", ""]
        for section in self.sections:
            parts += [f"## {section.name}", "", section.text, ""]
        return "\n".join(parts)

    def word_count(self) -> int:
        return sum(s.word_count() for s in self.sections)

    def pause_seconds(self) -> float:
        return sum(s.pause_seconds() for s in self.sections)

    def estimated_seconds(self, wpm: float = SPEAKING_WPM) -> float:
        """Speech at ``wpm`` (the voice's rate while speaking) plus the marked pauses."""
        return sum(s.estimated_seconds(wpm) for s in self.sections)

    def pace_wpm(self, wpm: float = SPEAKING_WPM) -> float:
        """Spoken words per minute counting the pauses (calm is 100–130)."""
        seconds = self.estimated_seconds(wpm)
        return self.word_count() / seconds * 60.0 if seconds else 0.0

    def shares(self, wpm: float = SPEAKING_WPM) -> dict[str, float]:
        """Each section kind's share of the running time."""
        total = self.estimated_seconds(wpm) or 1.0
        out: dict[str, float] = {}
        for s in self.sections:
            out[s.kind or s.name] = out.get(s.kind or s.name, 0.0) + s.estimated_seconds(wpm) / total
        return out

    def section_starts(self, wpm: float = SPEAKING_WPM) -> list[tuple[float, str]]:
        """Estimated (start seconds, chapter title) of each section."""
        starts, t = [], 0.0
        for s in self.sections:
            starts.append((t, s.name))
            t += s.estimated_seconds(wpm)
        return starts

    def sentences(self) -> list[str]:
        return [x for s in self.sections for x in sentences(s.text)]

    def with_section(self, index: int, text: str) -> Script:
        """A copy with one section's text replaced."""
        sections = list(self.sections)
        sections[index] = replace(sections[index], text=text)
        return replace(self, sections=tuple(sections))
