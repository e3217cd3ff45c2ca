"""The podcast pipeline's own code (its ``pipeline.toml``): local routes, adopters and checks,
in rooms: the words (:mod:`.text`), what the offline writer writes from (:mod:`.catalogue`),
research and outline (:mod:`.plan`), script and review (:mod:`.writer`), voice, music and the
mastered episode (:mod:`.audio`).

A single-host episode about any topic, made offline or with models: research, outline, script,
review, voice, music, then a mix mastered to an MP3 with ID3 chapters and show notes.

The offline writer knows no facts about the topic (it has no sources); it writes an honest
explainer built from the topic's words and a set of angles (back story, mechanics, stakes,
myths, practice, open questions, people, trade-offs), each a real line of thought a listener
can apply, chosen and ordered by the seed. A model route answers in markdown; the adopters turn
that answer into the same shapes, so every later stage reads one shape whoever wrote it. The
checks are route-blind: they score the artifact against the task's inputs only.

Shapes (the values later stages read):

* research: ``{"brief": {topic, keywords, angles: [{key, title, lens, questions, takeaway}]},
  "notes": markdown}``
* outline: ``{"outline": {title, host, minutes, target_words, hook, segments: [{key, title,
  lens, points, takeaway, words}]}, "markdown": str}``
* script, review: ``{"script": {title, host, minutes, sections: [{title, kind, text}]},
  "text": the spoken text (sections split by blank lines), "markdown": str, "words": int}``
  (review adds ``"changes"``)
* voice: ``{"path", "duration", "sentences": [[start, end, text], ...]}``
* music: ``{"path", "seconds"}``
* mix: ``{"path" (the MP3), "wav", "duration", "lufs", "true_peak_dbtp", "chapters",
  "show_notes", "transcript", "chapters_json"}``
"""

from __future__ import annotations

from .audio import check_mix, check_music, check_voice, mix, music, read_id3_chapters, voice
from .plan import (
    check_outline,
    check_research,
    outline,
    outline_from_text,
    research,
    research_from_text,
)
from .text import LEAD_IN, LONG_SENTENCE, WPM, target_words
from .writer import check_review, check_script, review, review_from_text, script, script_from_text

__all__ = [
    "research",
    "outline",
    "script",
    "review",
    "voice",
    "music",
    "mix",
    "research_from_text",
    "outline_from_text",
    "script_from_text",
    "review_from_text",
    "check_research",
    "check_outline",
    "check_script",
    "check_review",
    "check_voice",
    "check_music",
    "check_mix",
    "read_id3_chapters",
    "target_words",
    "WPM",
    "LEAD_IN",
    "LONG_SENTENCE",
]
