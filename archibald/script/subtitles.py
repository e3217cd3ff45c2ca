"""Subtitles (SRT) from the voice's per-sentence timings.

Cues last 1–7 s and hold at most two lines of at most 42 characters: a long sentence is split
across cues in proportion to its words, a tiny one is merged into its neighbour. Times are
``HH:MM:SS,mmm`` and strictly ascending; pause markup never shows.
"""

from __future__ import annotations

import math
import re

from archibald.errors import InputError
from archibald.script.model import strip_pauses

__all__ = ["build_srt", "srt_time", "wrap", "MAX_CUE", "MIN_CUE", "LINE_CHARS", "MAX_LINES"]

MAX_CUE = 7.0
MIN_CUE = 1.0
LINE_CHARS = 42
MAX_LINES = 2

Cue = tuple[float, float, str]


def srt_time(seconds: float) -> str:
    """01:02:03,456"""
    ms = max(0, round(seconds * 1000))
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d},{ms:03d}"


def wrap(text: str, width: int = LINE_CHARS) -> list[str]:
    """Greedy lines of at most ``width`` characters (a longer single word stands alone)."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def _fits(text: str) -> bool:
    return len(wrap(text)) <= MAX_LINES


def _split(start: float, end: float, text: str) -> list[Cue]:
    """The sentence as cues that fit: n pieces of about equal words, timed by word share."""
    tokens = text.split()
    n = max(1, math.ceil((end - start) / MAX_CUE))
    while True:
        n = min(n, len(tokens))
        bounds = [round(i * len(tokens) / n) for i in range(n + 1)]
        pieces = [tokens[a:b] for a, b in zip(bounds, bounds[1:])]
        if all(_fits(" ".join(p)) for p in pieces) or n == len(tokens):
            break
        n += 1
    cues: list[Cue] = []
    t = start
    for piece in pieces:
        share = (end - start) * len(piece) / len(tokens)
        cues.append((t, t + share, " ".join(piece)))
        t += share
    return cues


def _merge_tiny(cues: list[Cue]) -> list[Cue]:
    out: list[Cue] = []
    for cue in cues:
        if out:
            a, b, text = out[-1]
            joined = f"{text} {cue[2]}"
            tiny = (b - a) < MIN_CUE or (cue[1] - cue[0]) < MIN_CUE
            if tiny and cue[1] - a <= MAX_CUE and _fits(joined):
                out[-1] = (a, cue[1], joined)
                continue
        out.append(cue)
    return out


def build_srt(sentences: list[tuple[float, float, str]]) -> str:
    """SRT text from (start seconds, end seconds, sentence) in speaking order."""
    cues: list[Cue] = []
    for start, end, raw in sorted(sentences, key=lambda s: s[0]):
        text = re.sub(r"\s+", " ", strip_pauses(raw)).strip()
        if not text:
            continue
        if end <= start:
            raise InputError(f"a sentence ends before it starts ({start} -> {end}): {text!r}")
        cues += _split(float(start), float(end), text)
    cues = _merge_tiny(cues)
    blocks: list[str] = []
    last_end = 0.0
    for i, (start, end, text) in enumerate(cues):
        start = max(start, last_end)
        next_start = cues[i + 1][0] if i + 1 < len(cues) else math.inf
        if end - start < MIN_CUE:  # stretch a short cue into the silence after it, if any
            end = min(start + MIN_CUE, max(end, next_start))
        end = max(end, start + 0.001)
        blocks.append(f"{len(blocks) + 1}\n{srt_time(start)} --> {srt_time(end)}\n"
                      + "\n".join(wrap(text)) + "\n")
        last_end = end
    return "\n".join(blocks)
