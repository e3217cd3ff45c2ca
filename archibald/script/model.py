"""The script as data: sections of sentences with ``[pause Ns]`` markup, and how long it runs.

How long it runs is what the voice (:func:`archibald.media.voice.synthesize`) will render: the
words at :data:`SPEAKING_WPM`, every marked pause, :data:`SENTENCE_PAUSE` between two sentences
with no mark between them, and :data:`VOICE_LEAD` before the first word and after the last. The
text is cut into sentences and pauses by the voice's own rule
(:func:`parse_script`, which the voice uses), so the estimate and the voice agree by construction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from archibald.script.speakable import PAUSE_RE

__all__ = [
    "SPEAKING_WPM", "SENTENCE_PAUSE", "VOICE_LEAD", "ARC", "SLEEP_ARC", "ARC_RANGES", "Section",
    "Script", "sentences", "pauses", "strip_pauses", "words", "timeline", "text_seconds",
    "span_seconds", "pause_mark", "parse_script", "PAUSE_MARK", "PAUSE_FLOOR",
    "SLEEP_PAUSE_FLOOR", "PAUSE_CAP", "SLEEP_PAUSE_CAP", "speech_seconds", "pause_floors",
    "SECTION_PACE", "SLEEP_SECTION_PACE", "section_pace",
]

#: the voice's own speaking rate, pauses excluded: a little slower than a narrator's default
SPEAKING_WPM = 145.0
#: silence the voice puts between two sentences that have no ``[pause Ns]`` between them (an
#: explicit pause replaces it); the voice is given ``[media] sentence_pause``, which must match
SENTENCE_PAUSE = 1.0
#: silence the voice puts before the first word and after the last (``synthesize``'s ``lead``)
VOICE_LEAD = 0.5

#: the least silence after a sentence, by what it is (../shared/reference/meditation-craft.md:
#: 3–5 s between sentences, 10–30 s after an invitation to breathe or notice, longer in a sleep
#: session); "section" ends a part of the arc. Editors never shrink a pause below these: the
#: length is reached by saying less. (A counted breath keeps the breath's own pace instead.)
PAUSE_FLOOR: dict[str, float] = {"none": 3.0, "beat": 4.0, "invite": 10.0, "section": 6.0}
SLEEP_PAUSE_FLOOR: dict[str, float] = {"none": 3.5, "beat": 5.0, "invite": 12.0, "section": 8.0}
#: a session shorter than this has its floors scaled down with its length (a one-minute video
#: cannot give five parts of the arc a 6 s ending each), to a quarter at most
FULL_FLOORS_MINUTES = 3.0


def pause_floors(sleep: bool, minutes: float = 0.0) -> dict[str, float]:
    """The pause floors for a session of ``minutes`` (0: unknown, the full floors)."""
    table = SLEEP_PAUSE_FLOOR if sleep else PAUSE_FLOOR
    scale = min(1.0, max(0.25, minutes / FULL_FLOORS_MINUTES)) if minutes > 0 else 1.0
    return {k: v * scale for k, v in table.items()}


#: how much slower than the voice's rate each part of the arc is read (a multiplier of Piper's
#: length scale, 1.0 the voice's own pace): the settling and a sleep session's fade slower than
#: the practice ("voice slower where it helps"); parts not named are read at 1.0
SECTION_PACE: dict[str, float] = {"settling": 1.08}
SLEEP_SECTION_PACE: dict[str, float] = {"settling": 1.1, "affirmations": 1.05, "fade": 1.15}


def section_pace(kind: str, sleep: bool) -> float:
    """The pace multiplier of a part of the arc (see :data:`SECTION_PACE`)."""
    return (SLEEP_SECTION_PACE if sleep else SECTION_PACE).get(kind, 1.0)


#: the longest pause after one sentence
PAUSE_CAP = 30.0
SLEEP_PAUSE_CAP = 45.0

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
#: each part of the arc's usual share of the running time: the writer keeps inside these, the
#: quality check allows a little more
ARC_RANGES: dict[str, tuple[float, float]] = {
    "settling": (0.10, 0.15), "breath": (0.15, 0.20), "practice": (0.40, 0.52),
    "affirmations": (0.10, 0.15), "return": (0.05, 0.10), "fade": (0.05, 0.12),
}

#: ``[pause 4s]``, ``[pause 1.5 s]``, ``[Pause 10s]``
PAUSE_MARK = re.compile(r"\[\s*pause\s+(\d+(?:\.\d+)?)\s*s(?:ec(?:onds?)?)?\s*\]", re.I)
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"')\]]*\s+|\n\s*\n")
MAX_PAUSE = 120.0
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


def parse_script(text: str, sentence_pause: float) -> list[str | float]:
    """The script as the voice lays it out: sentences (str) and pauses in seconds (float).

    An explicit ``[pause Ns]`` replaces the default pause between two sentences. The voice
    (:func:`archibald.media.voice.synthesize`) renders exactly this timeline.
    """
    items: list[str | float] = []
    pos = 0
    for m in [*PAUSE_MARK.finditer(text), None]:
        chunk = text[pos:m.start()] if m else text[pos:]
        for sentence in _SENTENCE_END.split(chunk):
            sentence = " ".join(sentence.split())
            if sentence and re.search(r"\w", sentence):
                if items and isinstance(items[-1], str):
                    items.append(sentence_pause)
                items.append(sentence)
        if m:
            seconds = min(MAX_PAUSE, float(m.group(1)))
            if items and isinstance(items[-1], float):
                items[-1] += seconds                     # two marks in a row add up
            else:
                items.append(seconds)
            pos = m.end()
    return items


def timeline(text: str) -> list[str | float]:
    """The text as the voice lays it out, the default :data:`SENTENCE_PAUSE` included."""
    return parse_script(text, SENTENCE_PAUSE)


def _speech(sentence: str, wpm: float) -> float:
    return len(words(sentence)) / wpm * 60.0


def speech_seconds(text: str, pace: float = 1.0) -> float:
    """How long the voice speaks the words of ``text``, with no silence at all, read at
    ``pace`` (a section's multiplier of the voice's length scale: 1.1 is a tenth slower)."""
    return _speech(text, SPEAKING_WPM / pace)


def text_seconds(text: str, wpm: float = SPEAKING_WPM) -> float:
    """How long the voice takes over ``text`` on its own: the sentences at ``wpm``, the marked
    pauses and the default gaps between sentences (no lead)."""
    return sum(_speech(x, wpm) if isinstance(x, str) else x for x in timeline(text))


def span_seconds(text: str, last: bool, wpm: float = SPEAKING_WPM) -> float:
    """How long a section's ``text`` holds the voice within a script: the text, and the default
    gap after its last sentence when another section follows (``last`` false) and no mark ends
    it. It is the section's span in :meth:`Script.layout` when the text opens with a sentence."""
    items = timeline(text)
    tail = bool(items) and isinstance(items[-1], str) and not last
    return text_seconds(text, wpm) + (SENTENCE_PAUSE if tail else 0.0)


def pause_mark(seconds: float) -> str:
    """The markup for ``seconds`` of silence (to a tenth of a second), or "" for none."""
    seconds = round(seconds, 1)
    return f"[pause {seconds:g}s]" if seconds > 0 else ""


def sentences(text: str) -> list[str]:
    """The sentences of the text, pause markup excluded."""
    found = (s.strip() for s in _SENTENCE.findall(strip_pauses(text)))
    return [s for s in found if _WORD.search(s)]


@dataclass(frozen=True)
class Section:
    """One part of the arc: ``kind`` is settling / breath / practice / affirmations / return /
    fade; ``name`` is the chapter title shown to the viewer; ``pace`` multiplies the voice's
    length scale for this section's sentences (1.0: the voice's own pace, 1.1: a tenth slower;
    see :func:`archibald.media.voice.section_length_scales`)."""

    name: str
    text: str
    kind: str = ""
    pace: float = 1.0

    def word_count(self) -> int:
        return len(words(self.text))

    def pause_seconds(self) -> float:
        return sum(pauses(self.text))

    def estimated_seconds(self, wpm: float = SPEAKING_WPM) -> float:
        """The section's text alone, as the voice renders it at the section's pace (see
        :func:`text_seconds`)."""
        return text_seconds(self.text, wpm / self.pace)


@dataclass(frozen=True)
class Script:
    """A guided meditation: a title and its sections, in order."""

    title: str
    sections: tuple[Section, ...]
    minutes: float = 0.0
    sleep: bool = False
    #: the language it is written in (a code such as "en", "pt-BR"): the offline writer
    #: writes English; a model writes the channel's [channels.NAME] language
    language: str = "en"
    #: the one place its imagery keeps (``meditation.setting``: "train", "river"): the picture
    #: draws this setting's scene; "" when the writer did not say (a model's script)
    setting: str = ""

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
        """The marked pauses only (the default gaps between sentences are not counted)."""
        return sum(s.pause_seconds() for s in self.sections)

    def layout(self, wpm: float = SPEAKING_WPM) -> tuple[list[float], list[float], float]:
        """Where the voice puts each section: (start of each section's first sentence, each
        section's span, the whole track's length), in seconds, leads included.

        A section's span runs from its first sentence to the next section's first sentence, so
        the silence after a section's last sentence belongs to it; the spans add up to the
        track less its two leads. A section with no sentence starts where the voice then is.
        Each section's sentences are read at its pace (``wpm`` divided by ``Section.pace``).
        """
        counts = [sum(isinstance(x, str) for x in timeline(s.text)) for s in self.sections]
        owner = [i for i, n in enumerate(counts) for _ in range(n)]
        starts: list[float | None] = [None] * len(self.sections)
        t, k = VOICE_LEAD, 0
        for item in timeline(self.spoken_text()):
            if isinstance(item, str):
                i = owner[k] if k < len(owner) else len(self.sections) - 1
                if starts[i] is None:
                    starts[i] = t
                t += _speech(item, wpm / self.sections[i].pace)
                k += 1
            else:
                t += item
        end = t
        firsts: list[float] = []
        for start in reversed(starts):  # a section with no sentence starts with the next
            firsts.insert(0, start if start is not None else (firsts[0] if firsts else end))
        bounds = [VOICE_LEAD, *firsts[1:], end]
        spans = [b - a for a, b in zip(bounds, bounds[1:])]
        return firsts, spans, end + VOICE_LEAD

    def estimated_seconds(self, wpm: float = SPEAKING_WPM) -> float:
        """The voice track's length: speech at ``wpm`` (the voice's rate while speaking, each
        section at its pace), the marked pauses, the default gap between unmarked sentences and
        the two leads."""
        if all(s.pace == 1.0 for s in self.sections):
            return 2 * VOICE_LEAD + text_seconds(self.spoken_text(), wpm)
        return self.layout(wpm)[2]

    def silence_seconds(self) -> float:
        """All the silence in the voice track: marked pauses, default gaps and leads."""
        return 2 * VOICE_LEAD + sum(x for x in timeline(self.spoken_text())
                                    if isinstance(x, float))

    def pace_wpm(self, wpm: float = SPEAKING_WPM) -> float:
        """Spoken words per minute counting the pauses (calm is 100–130)."""
        seconds = self.estimated_seconds(wpm)
        return self.word_count() / seconds * 60.0 if seconds else 0.0

    def shares(self, wpm: float = SPEAKING_WPM) -> dict[str, float]:
        """Each section kind's share of the running time (its span: see :meth:`layout`)."""
        _, spans, _ = self.layout(wpm)
        total = sum(spans) or 1.0
        out: dict[str, float] = {}
        for s, span in zip(self.sections, spans):
            out[s.kind or s.name] = out.get(s.kind or s.name, 0.0) + span / total
        return out

    def section_starts(self, wpm: float = SPEAKING_WPM) -> list[tuple[float, str]]:
        """Estimated (start seconds in the voice track, chapter title) of each section: where
        its first sentence begins, as the voice will place it."""
        firsts, _, _ = self.layout(wpm)
        return list(zip(firsts, (s.name for s in self.sections)))

    def sentences(self) -> list[str]:
        return [x for s in self.sections for x in sentences(s.text)]

    def with_section(self, index: int, text: str) -> Script:
        """A copy with one section's text replaced."""
        sections = list(self.sections)
        sections[index] = replace(sections[index], text=text)
        return replace(self, sections=tuple(sections))
