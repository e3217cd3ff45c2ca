"""Measures of spoken text that a writer and a route-blind check both take: one measure each.

A counted breath ("In, two, three, four.") means the same to the meditation writer, which
shapes its script by it, and to the quality check, which scores any script, a model's
included, by it. Both read it here, so what one calls a count the other does too.
"""

from __future__ import annotations

import re

__all__ = ["NUMBER_WORDS", "is_count"]

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
