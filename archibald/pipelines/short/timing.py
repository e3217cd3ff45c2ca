"""How long a Short is and says: its cap, size, pace and tail, and the small readers and
writers of a script's pauses every stage shares."""

from __future__ import annotations

import json
import re
from typing import Any
from ...script.lengths import length_agrees as length_agrees  # the Short says its length once
from ...script.lengths import stated_seconds as stated_seconds
from ...script.lengths import without_length as without_length
from ...script.model import (SPEAKING_WPM, Script, speech_seconds, timeline)
from ...core.tasks import Context, Task


#: no Short runs longer: YouTube takes Shorts up to three minutes (since 15 October 2024)
HARD_CAP = 180.0
#: what the mix is planned to at most: the container's frames and AAC priming stay under the cap
_PLANNED_CAP = HARD_CAP - 0.4
#: portrait, 9:16
SIZE = (1080, 1920)
#: the voice's length scale for a Short: brisker than a long session's 1.57
LENGTH_SCALE = 1.35
#: the voice's speaking rate at :data:`LENGTH_SCALE` (the model's rate is at 1.57)
WPM = SPEAKING_WPM * 1.57 / LENGTH_SCALE
#: music before the first word, and the voice's own silence before it and after the last
LEAD_IN = 0.2
VOICE_LEAD = 0.15
#: music after the last word, and the least of it when the voice runs long
TAIL = 2.5
MIN_TAIL = 1.0
#: the pause the voice makes at a comma (a counted breath has five or six), seconds
COMMA_PAUSE = 0.4
#: the hook is said within the video's first two seconds
HOOK_SECONDS = 2.0
#: ElevenLabs' longest break tag, seconds
_MAX_BREAK = 3.0
_NUMBERS = "one two three four five six seven eight nine ten".split()
_BREATH = re.compile(r"\b(breath|breathe|breathing|inhale|exhale)\b", re.IGNORECASE)
_BREAK_TAG = re.compile(r'<break\s+time="(\d+(?:\.\d+)?)s"\s*/>', re.IGNORECASE)
_MARK = re.compile(r"\[pause\s+(\d+(?:\.\d+)?)\s*s\]", re.IGNORECASE)
#: topic words that say the viewer has a problem now ("stress before an exam")
_PROBLEM = re.compile(r"\b(stress|stressed|anxiety|anxious|worry|worried|nerves|nervous|panic|"
                      r"overwhelm|overwhelmed|insomnia|sleepless|tired|tension|burnout|anger|"
                      r"angry|restless|racing|overthinking|fear|scared|sad|grief|lonely|pain|"
                      r"can't|cannot|trouble|hard)\b", re.IGNORECASE)
_HASHTAG = "#Shorts"


# -- shared helpers ---------------------------------------------------------------------------
def _seconds(task: Task) -> float:
    """The Short's asked length, within the pipeline's 15-180 s."""
    return max(15.0, min(HARD_CAP, float(task.inputs.get("seconds", 45))))


def _tail(seconds: float) -> float:
    """Music after the last word: 2.5 s from a 30-second Short up, less for shorter ones."""
    return max(MIN_TAIL, min(TAIL, MIN_TAIL + (seconds - 15.0) / 10.0))


def voice_target(seconds: float) -> float:
    """How long the voice track (its leads included) runs in a Short of ``seconds``: the
    rest is the music before the first word and after the last."""
    seconds = max(15.0, min(HARD_CAP, seconds))
    return seconds - LEAD_IN - _tail(seconds)


def said_seconds(sentence: str) -> float:
    """How long the Short's voice takes to say ``sentence``: its words at :data:`WPM` and a
    short pause at each comma (measured on the offline voice at :data:`LENGTH_SCALE`)."""
    return speech_seconds(sentence) * SPEAKING_WPM / WPM + COMMA_PAUSE * sentence.count(",")


def estimated_seconds(script: Script) -> float:
    """The voice track's length for ``script`` at the Short's pace: every sentence
    (:func:`said_seconds`), every pause and the two leads."""
    return 2 * VOICE_LEAD + sum(said_seconds(x) if isinstance(x, str) else x
                                for x in timeline(script.spoken_text()))


def _hook_fits(hook: str) -> bool:
    """Whether the offline voice has said ``hook`` by :data:`HOOK_SECONDS` into the video."""
    return LEAD_IN + VOICE_LEAD + said_seconds(hook) <= HOOK_SECONDS


def _seed(task: Task, context: Context | None = None) -> int:
    if context is not None:
        return int(context.seed)
    return int(task.inputs.get("seed") or 0)


def _json_object(text: str) -> dict[str, Any]:
    """The first JSON object in a model's answer, or {}."""
    try:
        start, end = text.index("{"), text.rindex("}") + 1
        data = json.loads(text[start:end])
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _title_case(phrase: str) -> str:
    small = {"a", "an", "the", "of", "for", "and", "to", "in", "on", "at", "by", "with"}
    return " ".join(w if i and w.lower() in small else w[:1].upper() + w[1:]
                    for i, w in enumerate(phrase.split()))


def _count_up(count: int) -> str:
    """'two, three, four' for a count of four (the first beat is the instruction itself)."""
    return ", ".join(_NUMBERS[1:count])


def _script_dict(script: Script) -> dict[str, Any]:
    from ...script.forms import script_to_dict

    return script_to_dict(script)


def _script_of(data: dict[str, Any]) -> Script:
    from ...script.forms import script_from_dict

    return script_from_dict(data)


def _to_breaks(text: str) -> str:
    """``[pause Ns]`` marks as ElevenLabs break tags (at most 3 s each, so longer ones repeat)."""
    def sub(m: re.Match[str]) -> str:
        left, tags = float(m.group(1)), []
        while left > 0.05:
            piece = min(_MAX_BREAK, left)
            tags.append(f'<break time="{piece:.1f}s" />')
            left -= piece
        return " ".join(tags)
    return _MARK.sub(sub, text)


def _from_breaks(text: str) -> str:
    """Break tags back to ``[pause Ns]`` marks (what the offline voice reads)."""
    return _BREAK_TAG.sub(lambda m: f"[pause {float(m.group(1)):g}s]", text)


def _script_value(script: Script, target: float) -> dict[str, Any]:
    """The script stage's value: the script, its spoken text (with pause marks and as break
    tags for a paid voice), how long it runs at the Short's pace, and its target."""
    text = script.spoken_text()
    return {"script": _script_dict(script), "text": text, "tts_text": _to_breaks(text),
            "markdown": script.to_markdown(),
            "estimated_seconds": round(estimated_seconds(script), 2),
            "target_seconds": round(target, 2), "title": script.title}


