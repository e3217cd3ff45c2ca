"""Cheap lexical features of a prompt, computed offline with no model and no network.

Benchmark prompts often repeat the same few-shot examples in front of every query, so the
features describe the *query*: the part after the last blank line. Two kinds:

- :func:`lexical` — a handful of named numbers (length, code markers, question format, …) used
  to split a task context into finer ones;
- :func:`hashed_tfidf` — unit-length TF-IDF vectors over hashed word uni- and bigrams, used to
  find similar earlier queries (the kNN router).
"""

from __future__ import annotations

import ast
import math
import re
import zlib
from collections.abc import Sequence

import numpy as np

__all__ = ["query_text", "lexical", "LEXICAL_NAMES", "hashed_tfidf", "length_bucket"]

_WORD = re.compile(r"[a-z0-9_]+")
_CODE = re.compile(
    r"(\bdef\b|\breturn\b|\bfunction\b|\bpython\b|\bclass\b|[{};]|```|==|\bimport\b)"
)
_OPTION = re.compile(r"(?m)^\s*\(?[A-H][).:]\s")
_DIGIT = re.compile(r"\d")

#: names of the columns :func:`lexical` returns, in order
LEXICAL_NAMES = (
    "log_chars", "log_words", "code_markers", "options", "question_mark", "blank_slot",
    "digit_share", "upper_share", "few_shot_blocks",
)


def _unwrap(prompt: str) -> str:
    """Prompts stored as a Python list literal (``['...']``) become their text."""
    text = prompt.strip()
    if text.startswith("[") and text.endswith("]"):
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            return text
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return "\n\n".join(value)
    return text


def query_text(prompt: str) -> str:
    """The query itself: the last non-empty block of the prompt (few-shot examples dropped)."""
    text = _unwrap(prompt).replace("\r\n", "\n")
    blocks = [b for b in re.split(r"\n\s*\n", text) if b.strip()]
    return blocks[-1].strip() if blocks else ""


def lexical(prompt: str) -> np.ndarray:
    """Named lexical features of one prompt (see :data:`LEXICAL_NAMES`)."""
    full = _unwrap(prompt)
    q = query_text(prompt)
    words = q.split()
    letters = [c for c in q if c.isalpha()]
    return np.array(
        [
            math.log1p(len(q)),
            math.log1p(len(words)),
            float(len(_CODE.findall(q))),
            float(len(_OPTION.findall(q))),
            float("?" in q),
            float("_" in q),
            len(_DIGIT.findall(q)) / max(1, len(q)),
            sum(c.isupper() for c in letters) / max(1, len(letters)),
            float(len([b for b in re.split(r"\n\s*\n", full) if b.strip()]) - 1),
        ],
        dtype=float,
    )


def length_bucket(prompt: str, edges: Sequence[int] = (120, 400)) -> int:
    """Which of ``len(edges) + 1`` query-length buckets a prompt falls in."""
    n = len(query_text(prompt))
    return sum(n >= e for e in edges)


def _tokens(text: str) -> list[str]:
    words = _WORD.findall(text.lower())
    return words + [f"{a} {b}" for a, b in zip(words, words[1:])]


def hashed_tfidf(prompts: Sequence[str], dim: int = 2048) -> np.ndarray:
    """Unit-length TF-IDF rows over hashed word uni-/bigrams of each prompt's query."""
    counts = np.zeros((len(prompts), dim), dtype=float)
    for i, p in enumerate(prompts):
        for tok in _tokens(query_text(p)):
            counts[i, zlib.crc32(tok.encode()) % dim] += 1.0
    df = (counts > 0).sum(axis=0)
    idf = np.log((1.0 + len(prompts)) / (1.0 + df)) + 1.0
    x = np.log1p(counts) * idf
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.asarray(x / norms)
