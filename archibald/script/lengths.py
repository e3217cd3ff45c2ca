"""The length a text states ("a one-minute reset", "in 30 seconds", "10 minutes of calm"):
read in seconds, checked against a piece's own length, and taken out of a topic, so a title
or a script says its own length once (the Short's and the meditation's writers share it)."""

from __future__ import annotations

import re

__all__ = ["stated_seconds", "length_agrees", "without_length"]

_AMOUNT = (r"(?:\d+(?:\.\d+)?|a|an|one|two|three|four|five|six|seven|eight|nine|ten|fifteen|"
           r"twenty|thirty|forty|forty-five|fifty|sixty|ninety|half(?:\s+a)?)")
_UNIT = r"(?:minutes?|mins?|seconds?|secs?)"
_STATED = re.compile(rf"\b({_AMOUNT})(?:[\s-]+and[\s-]+a[\s-]+half)?[\s-]*({_UNIT})\b",
                     re.IGNORECASE)
#: a length in a topic and what it names: "a one-minute reset", "in 30 seconds", "60-second"
_LENGTH_PHRASE = re.compile(
    rf"\b(?:in\s+|for\s+)?(?:(?:a|an|the)\s+)?(?:quick\s+)?{_AMOUNT}(?:[\s-]+and[\s-]+a[\s-]+half)?"
    rf"[\s-]*{_UNIT}(?:[\s-]+long)?(?:\s+(?:reset|break|breather|meditation|practice|pause|"
    rf"exercise|breathing(?:\s+exercise)?))?\b", re.IGNORECASE)
_WORD_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
                 "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "fifteen": 15,
                 "twenty": 20, "thirty": 30, "forty": 40, "forty-five": 45, "fifty": 50,
                 "sixty": 60, "ninety": 90, "half": 0.5, "half a": 0.5}


def stated_seconds(text: str) -> list[float]:
    """Every length ``text`` states, in seconds ("a one-minute reset" → [60.0])."""
    out: list[float] = []
    for m in _STATED.finditer(text):
        amount = m.group(1).lower()
        value = float(amount) if amount[0].isdigit() else \
            float(_WORD_NUMBERS.get(re.sub(r"\s+", " ", amount), 0))
        if re.search(r"and[\s-]+a[\s-]+half", m.group(0), re.IGNORECASE):
            value += 0.5
        out.append(value * (60.0 if m.group(2).lower().startswith("min") else 1.0))
    return out


def length_agrees(text: str, seconds: float, within: float = 1.0) -> bool:
    """Whether every length ``text`` states is ``seconds`` (give or take ``within``)."""
    return all(abs(s - seconds) <= within for s in stated_seconds(text))


def without_length(topic: str) -> str:
    """The topic without the length it names ("a one-minute reset before an exam" → "before
    an exam"): the Short says its own length; else the topic as given."""
    plain = re.sub(r"\s+", " ", _LENGTH_PHRASE.sub(" ", topic)).strip(" ,;:-")
    plain = re.sub(r"^(?:and|for|with|of)\s+", "", plain, flags=re.IGNORECASE)
    if not re.search(r"[A-Za-z]{3,}", plain):
        plain = re.sub(r"\s+", " ", _STATED.sub(" ", topic)).strip(" ,;:-")
        plain = re.sub(r"^(?:a|an|the)\s+", "", plain, flags=re.IGNORECASE)
    return plain if re.search(r"[A-Za-z]{3,}", plain) else topic.strip()
