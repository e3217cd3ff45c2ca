"""The Short pipeline's own code: a vertical YouTube Short (1080x1920, at most 60 s) made from
the meditation material, offline, the same way with keys on real providers.

Every stage of its ``pipeline.toml`` names its functions here (see docs/pipelines.md):

* ``local``: ``async def fn(task, context) -> dict``, the offline route (cost 0);
* ``adopt``: ``def fn(task, text) -> dict``, a model's text answer into the local route's shape;
* ``check``: ``def fn(task, artifact) -> (score, details)``, route-blind.

What the stages make is a pure function of the topic, the length and the seed. The video never
runs past :data:`HARD_CAP`: a voice too long for it is cut (at a sentence's end when one is
near, else faded out) before the mix, and the music's tail shortens first.

The micro-meditation is three parts: a hook the voice says in its first two seconds (a question
that names the topic, then the promise of how long it takes), one breathing practice (a
counted breath, in through the nose and out through the mouth, repeated), and a closing line
that sends the viewer back to their situation.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import math
import random
import re
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ...pipeline import kit
from ...script.model import (SENTENCE_PAUSE, SPEAKING_WPM, Script, Section,
                            pause_mark, sentences, speech_seconds, timeline, words)
from ...core.tasks import Context, Task

__all__ = [
    "HARD_CAP", "SIZE", "LENGTH_SCALE", "WPM", "LEAD_IN", "VOICE_LEAD", "TAIL", "MIN_TAIL",
    "HOOK_SECONDS", "COMMA_PAUSE", "said_seconds", "estimated_seconds",
    "voice_target", "short_title", "make_short_concept", "write_short_script",
    "cap_and_mix", "render_still_loop", "render_cover", "build_short_metadata",
    "research", "adopt_research", "check_research",
    "concept", "adopt_concept", "check_concept",
    "short_script", "adopt_script", "check_script",
    "voice", "check_voice", "music", "check_music", "portrait", "check_portrait",
    "video", "check_video", "cover", "check_cover",
    "metadata", "adopt_metadata", "check_metadata",
]

#: no Short runs longer (YouTube's limit for a Short, with this pipeline's margin below it)
HARD_CAP = 60.0
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
    """The Short's asked length, within the pipeline's 15-60 s."""
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


# -- research and concept ---------------------------------------------------------------------
def _brief(topic: str, seed: int) -> dict[str, Any]:
    from ..meditation.research import research as run_research

    # no month: the same topic and seed give the same Short whatever the date
    return dataclasses.asdict(run_research(topic, seed=seed))


async def research(task: Task, context: Context) -> dict[str, Any]:
    """The meditation's market research, for a Short: angles from the catalogue."""
    return {"brief": _brief(str(task.inputs["topic"]), _seed(task, context))}


def adopt_research(task: Task, text: str) -> dict[str, Any]:
    """A research model's findings, as notes on the offline brief."""
    brief = _brief(str(task.inputs["topic"]), _seed(task))
    brief["notes"] = [*brief["notes"], text.strip()[:2000]]
    return {"brief": brief}


def check_research(task: Task, artifact: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    from ...quality.text import check_research as check

    brief = artifact.get("brief")
    if not isinstance(brief, dict):
        return 0.0, {"error": "no brief"}
    return check(brief, str(task.inputs.get("topic", "")))


def _seconds_words(seconds: float) -> str:
    from ...script.speakable import number_words

    return number_words(int(round(seconds)))


def short_title(topic: str, seconds: float, theme: str = "") -> str:
    """'Calm Before the Interview in 45 Seconds #Shorts': the benefit for the topic's
    situation, the length, and #Shorts, at most 100 characters (phrases left out whole)."""
    from ...quality.text import coverage
    from ..meditation.catalogue import catalogue
    from ..meditation.topic import goal_words, read_topic

    reading = read_topic(topic)
    benefit = goal_words(reading)
    if benefit == "Calm" and theme in catalogue()["themes"] and not reading.situation:
        benefit = str(catalogue()["themes"][theme]["benefit"])
    situation = _title_case(reading.situation)
    people = _title_case(reading.audience)
    secs = f"{int(round(seconds))} Seconds"
    own = _title_case(re.sub(r"\s+", " ", topic.strip()))
    candidates = [f"{benefit} {situation} for {people} in {secs}" if people else "",
                  f"{benefit} {situation} in {secs}" if situation else "",
                  f"{own} in {secs}", f"{own}: a {secs[:-1]} Breathing Reset",
                  f"{benefit} in {secs}"]
    fitting = [f"{re.sub(' +', ' ', c).strip()} {_HASHTAG}" for c in candidates if c]
    fitting = [t for t in fitting if len(t) <= 100]
    # the first that names most of the topic (its own words are always there to fall back on)
    for title in fitting:
        if coverage(title, topic)[0] >= 0.6:
            return title
    return fitting[0] if fitting else f"{benefit} in {secs} {_HASHTAG}"


def _hook_for(topic: str, seed: int) -> str:
    """The first sentence: a short question the viewer answers yes to, naming the topic."""
    from ..meditation.topic import read_topic

    reading = read_topic(topic)
    phrase = re.sub(r"\s+", " ", topic.strip().rstrip("?.!")).strip()
    rng = random.Random(f"hook|{seed}|{topic}")
    own: list[str] = []                     # questions that name the topic itself
    if _PROBLEM.search(phrase):
        own.append(f"{phrase[:1].upper()}{phrase[1:]}?")
    elif len(words(phrase)) <= 4:
        own.append(f"Need some {phrase.lower()}?")
    if reading.event and reading.ahead:
        own += [f"Nervous about {reading.event}?", f"Dreading {reading.event}?"]
    elif reading.event and re.search(r"\bafter\b", phrase, re.IGNORECASE):
        own += [f"Still carrying {reading.event}?"]
    by_goal = {"sleep": ["Can't fall asleep?", "Wide awake again?"],
               "focus": ["Can't focus?", "Mind all over the place?"],
               "energy": ["Running on empty?", "Need a fresh start?"],
               "gratitude": ["Need a lift?", "Forgot what's going well?"],
               "letting-go": ["Can't let it go?", "Still holding on?"],
               "kindness": ["Too hard on yourself?", "Need some kindness?"],
               "grief": ["Missing someone today?", "Heavy heart today?"],
               "confidence": ["Need some courage?", "Doubting yourself?"],
               "rest": ["Need to unwind?", "Running on fumes?"],
               "calm": ["Feeling the pressure?", "Need a moment of calm?"]}
    generic = list(by_goal.get(reading.goal, by_goal["calm"]))
    rng.shuffle(generic)                    # the seed varies only the generic ones

    def quick(o: str) -> bool:
        return _hook_fits(o)
    fitting = [o for o in own if quick(o)] or [o for o in generic if quick(o)]
    return fitting[0] if fitting else min(own + generic, key=len)


def make_short_concept(topic: str, seconds: float, brief: dict[str, Any], *,
                       seed: int = 0) -> dict[str, Any]:
    """The Short's angle: the meditation concept's theme and technique for the topic, a title
    with #Shorts, the hook, the words of the cover and the mood the music and picture take."""
    from ..meditation.stages import brief_from_dict
    from ..meditation.catalogue import catalogue
    from ..meditation.concept import make_concept
    from ..meditation.topic import thumbnail_words

    base = make_concept(topic, 1.0, brief_from_dict(brief), seed=seed)
    theme = catalogue()["themes"][base.theme]
    return {"topic": base.topic, "theme": base.theme, "technique": base.technique,
            "audience": base.audience, "sleep": base.sleep, "seconds": float(seconds),
            "title": short_title(topic, seconds, base.theme),
            "hook": _hook_for(topic, seed),
            "words": thumbnail_words(topic)[:4],
            "mood": str(theme["benefit"]).lower()}


async def concept(task: Task, context: Context) -> dict[str, Any]:
    """The local route of the concept stage (task type meditation_concept)."""
    return make_short_concept(str(task.inputs["topic"]), _seconds(task),
                              dict(task.inputs["brief"]), seed=_seed(task, context))


def adopt_concept(task: Task, text: str) -> dict[str, Any]:
    """A model's JSON (theme, technique, title, hook) over the offline concept: what it names
    from the catalogue and what fits the Short is taken, the rest stays."""
    from ..meditation.catalogue import catalogue

    cat = catalogue()
    data = _json_object(text)
    out = make_short_concept(str(task.inputs["topic"]), _seconds(task),
                             dict(task.inputs["brief"]), seed=_seed(task))
    for key, table in (("theme", "themes"), ("technique", "techniques")):
        if data.get(key) in cat[table]:
            out[key] = data[key]
    out["mood"] = str(cat["themes"][out["theme"]]["benefit"]).lower()
    title = re.sub(r"\s+", " ", str(data.get("title", ""))).strip()
    if title and _HASHTAG.lower() not in title.lower():
        title = f"{title} {_HASHTAG}"
    if 0 < len(title) <= 100:
        out["title"] = title
    hook = re.sub(r"\s+", " ", str(data.get("hook", ""))).strip()
    if hook and _hook_fits(hook) \
            and re.search(r"[?.!]$", hook):
        out["hook"] = hook
    out["reply_json"] = bool(data)
    return out


def check_concept(task: Task, artifact: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    """A title YouTube shows as a Short's (#Shorts, at most 100 characters, on the topic), a
    hook said within two seconds, a theme of the catalogue."""
    from ...quality.text import coverage
    from ..meditation.catalogue import catalogue

    if artifact.get("reply_json") is False:
        return 0.0, {"error": "the reply is not the JSON object asked for"}
    title = str(artifact.get("title", ""))
    hook = str(artifact.get("hook", ""))
    on_topic, cov = coverage(f"{title} {hook}", str(task.inputs.get("topic", "")))
    hook_s = said_seconds(hook)
    parts = {"title_length": 1.0 if 0 < len(title) <= 100 else 0.0,
             "shorts_tag": 1.0 if _HASHTAG.lower() in title.lower() else 0.0,
             "on_topic": min(1.0, 2 * on_topic),
             "hook": 1.0 if hook and _hook_fits(hook) else 0.5 if hook else 0.0,
             "theme": 1.0 if artifact.get("theme") in catalogue()["themes"] else 0.0}
    return round(sum(parts.values()) / len(parts), 4), {
        "parts": parts, "title_chars": len(title), "hook_seconds": round(hook_s, 2),
        "coverage": cov}


# -- the micro-meditation ---------------------------------------------------------------------
@dataclasses.dataclass(eq=False)
class _Line:
    """A sentence and the silence after it."""

    text: str
    pause: float

    def seconds(self) -> float:
        return said_seconds(self.text) + self.pause


def _render(lines: list[_Line]) -> str:
    out: list[str] = []
    for line in lines:
        out.append(line.text)
        if pause_mark(line.pause):
            out.append(pause_mark(line.pause))
    return " ".join(out)


def _composer(topic: str, theme: str, seed: int) -> Any:
    from ..meditation.catalogue import Composer, catalogue
    from ..meditation.topic import read_topic

    cat = catalogue()
    reading = read_topic(topic)
    tags = set(reading.tags)
    slots = {"audience_name": [reading.audience], "situation": [reading.situation],
             "event": [reading.event], "for_whom": [reading.for_whom]}
    return Composer(random.Random(f"short|{seed}|{topic}|{theme}"), cat["themes"][theme],
                    {k: v for k, v in slots.items() if all(v)}, cat["slots"],
                    tags=frozenset(tags))


def _breath_pair(comp: Any, patterns: list[str], counts: tuple[int, int],
                 used: set[str], tight: bool = False) -> list[_Line] | None:
    """One counted breath at the breath's pace: the count in, then the count out, each
    followed by what its seconds leave (a little more after the out-breath). ``tight``: the
    briefest pair the patterns make, and no more silence than the breath's own."""
    order = list(range(len(patterns) // 2))
    comp.rng.shuffle(order)
    found: list[tuple[float, list[str], list[float]]] = []
    for j in order:
        pair = [comp.fill(patterns[2 * j]), comp.fill(patterns[2 * j + 1])]
        said = [said_seconds(x) for x in pair]
        if any(x in used for x in pair) or any(s > n + 1.0 for s, n in zip(said, counts)):
            continue
        found.append((sum(said), pair, said))
        if not tight:
            break
    if not found:
        return None
    _, pair, said = min(found, key=lambda f: f[0]) if tight else found[0]
    used.update(pair)
    return [_Line(pair[0], round(max(0.5, counts[0] - said[0]), 1)),
            _Line(pair[1], round(max(0.8, counts[1] - said[1]) + (0.0 if tight else 0.5), 1))]


def _closing(comp: Any, topic: str, seed: int, most: float = 4.5) -> str:
    """One line that sends the viewer back into their situation, from the catalogue's return
    (the ones that name what is ahead or behind first)."""
    from ..meditation.catalogue import catalogue

    moves = catalogue()["sections"]["return"]["moves"]
    for name in ("send", "carry"):
        options = [p for p in moves[name]["say"] if comp.usable(p) and "{carry}" not in p
                   and "minutes" not in p]               # a Short is not minutes long
        rng = random.Random(f"close|{seed}|{topic}|{name}")
        rng.shuffle(options)
        for pattern in options:
            line = str(comp.fill(pattern))
            if said_seconds(line) <= most:
                return line
    return "Come back to this breath anytime."


def write_short_script(topic: str, seconds: float, concept: dict[str, Any] | None = None, *,
                       seed: int = 0) -> Script:
    """The micro-meditation for a Short of ``seconds``: its voice track (leads included) runs
    :func:`voice_target` at the Short's pace (:data:`WPM`). A hook in the first two seconds,
    one counted-breath practice repeated as the time allows, one closing line. Same topic,
    length and seed, same script."""
    from ...quality.text import coverage
    from ..meditation.catalogue import catalogue
    from ...script.speakable import speakable

    seconds = max(15.0, min(HARD_CAP, float(seconds)))
    cat = catalogue()
    info = dict(concept or {})
    theme = str(info.get("theme") or "stress-relief")
    if theme not in cat["themes"]:
        theme = "stress-relief"
    title = str(info.get("title") or short_title(topic, seconds, theme))
    target = voice_target(seconds)
    comp = _composer(topic, theme, seed)
    rng = random.Random(f"short-script|{seed}|{topic}|{seconds:g}")
    hook_text = str(info.get("hook") or _hook_for(topic, seed))
    promises = [f"Give me {_seconds_words(seconds)} seconds.",
                f"Stay with me for {_seconds_words(seconds)} seconds.", "Try this with me."]
    phrase = re.sub(r"\s+", " ", topic.strip().rstrip("?.!"))
    if coverage(hook_text, topic)[0] < 1.0 and len(words(phrase)) <= 8:
        # the question did not name all of the topic: the promise does
        promises = [f"A {_seconds_words(seconds)}-second reset for {phrase.lower()}."]
    hook = [_Line(hook_text, 0.4), _Line(rng.choice(promises), 0.8)]
    from ..meditation.topic import read_topic

    lying = read_topic(topic).sleep or bool(info.get("sleep"))
    settle = _Line(rng.choice(["Let your body grow heavy.", "Soften your jaw and your hands.",
                               "Let the bed hold you."] if lying else
                              ["Let your shoulders drop.", "Soften your jaw and your hands.",
                               "Sit tall, and let your shoulders fall.",
                               "Unclench your jaw, drop your shoulders."]), 0.8)
    close = [_Line(_closing(comp, topic, seed), 0.6)]
    save = _Line(rng.choice(["Save this for the next time you need it.",
                             "Come back to this whenever you need it."]), 0.0)
    # the breath's counts: a long one when there is time, a quicker one in a very short Short
    pairs = [tuple(_NUMBERS.index(w) + 1 for w in p) for p in cat["breath_patterns"]["pairs"]]
    counts: tuple[int, int] = (3, 5) if target < 20 else \
        rng.choice([p for p in pairs if p != (3, 5)])  # type: ignore[assignment]
    comp.extra.update(in_count=_NUMBERS[counts[0] - 1], out_count=_NUMBERS[counts[1] - 1],
                      in_words=_count_up(counts[0]), out_words=_count_up(counts[1]))
    used: set[str] = set()
    first = _breath_pair(comp, cat["breath_patterns"]["first"], counts, used) or [
        _Line(f"Breathe in through your nose, {_count_up(counts[0])}.", 1.0),
        _Line(f"And out through your mouth, {_count_up(counts[1])}.", 1.5)]
    cycles = [first]
    fixed = 2 * VOICE_LEAD + sum(x.seconds() for x in hook + close)

    def running(*parts: list[_Line]) -> float:
        return fixed + sum(x.seconds() for part in parts for x in part)
    if running(first) > target:             # a very short Short: the question alone, the
        hook = hook[:1]                     # briefest breath and closing line
        close = [_Line(_closing(comp, topic, seed, most=2.5), 0.6)]
        fixed = 2 * VOICE_LEAD + sum(x.seconds() for x in hook + close)
        used.clear()
        first = _breath_pair(comp, cat["breath_patterns"]["first"], counts, used,
                             tight=True) or first
        cycles = [first]
    # what is left out when time is short: the save line, then the settling line
    extras = [save] if running([settle], first, [save]) + 8.0 <= target else []
    opening = [settle] if running([settle], first, extras) <= target else []
    while True:
        more = _breath_pair(comp, cat["breath_patterns"]["cycle"], counts, used)
        if more is None or running(opening, *cycles, more, extras) > target:
            break
        cycles.append(more)
    practice = [*opening, *(x for pair in cycles for x in pair)]
    close += extras
    # the silence left goes after the out-breaths (a breath's room), then before the close;
    # no pause beyond what one break holds
    lines = [*hook, *practice, *close]
    slack = target - 2 * VOICE_LEAD - sum(x.seconds() for x in lines)
    outs = [pair[1] for pair in cycles]
    for line in outs:
        add = min(slack / len(outs), _MAX_BREAK - line.pause)
        if add > 0.05:
            line.pause = round(line.pause + add, 1)
    for line in (hook[-1], *close[:-1]):
        slack = target - 2 * VOICE_LEAD - sum(x.seconds() for x in lines)
        add = min(slack, _MAX_BREAK - line.pause)
        if add > 0.05:
            line.pause = round(line.pause + add, 1)
    close[-1].pause = 0.0
    sections = (Section("Hook", speakable(_render(hook)), "hook"),
                Section("Breathe", speakable(_render(practice)), "breath"),
                Section("Close", speakable(_render(close)), "close"))
    return Script(title=title, sections=sections, minutes=round(target / 60.0, 4))


async def short_script(task: Task, context: Context) -> dict[str, Any]:
    """The local route of the short_script stage."""
    seconds = _seconds(task)
    script = write_short_script(str(task.inputs["topic"]), seconds,
                                dict(task.inputs.get("concept") or {}),
                                seed=_seed(task, context))
    return _script_value(script, voice_target(seconds))


def adopt_script(task: Task, text: str) -> dict[str, Any]:
    """A model's markdown ('# title', '## Hook', '## Breathe', '## Close') as the script, made
    speakable; without headings, its paragraphs are the parts."""
    from ...script.forms import script_from_markdown
    from ...script.speakable import speakable

    info = dict(task.inputs.get("concept") or {})
    text = _from_breaks(text.strip())
    if "## " not in text:
        paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()
                      and not p.lstrip().startswith("# ")]
        names = ["Hook", "Breathe", "Close"][:len(paragraphs)] if len(paragraphs) <= 3 else \
            ["Hook", *(["Breathe"] * (len(paragraphs) - 2)), "Close"]
        text = "\n\n".join(f"## {n}\n{p}" for n, p in zip(names, paragraphs))
    kinds = ("hook", "breath", "close")
    script = script_from_markdown(text, title=str(info.get("title", "")),
                                  kinds=kinds if text.count("\n## ") + text.startswith("## ")
                                  == 3 else ())
    script = dataclasses.replace(script, sections=tuple(
        dataclasses.replace(s, text=speakable(s.text)) for s in script.sections))
    return _script_value(script, voice_target(_seconds(task)))


def check_script(task: Task, artifact: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    """The micro-meditation, route-blind: it fits the Short at the voice's pace (and never
    the hard cap), the hook is said in two seconds, there is a breathing practice and a close,
    it names the topic and a voice can read every word."""
    from ...quality.text import coverage

    try:
        script = _script_of(artifact["script"])
    except (KeyError, TypeError):
        return 0.0, {"error": "no script"}
    if not script.sections or not script.sentences():
        return 0.0, {"error": "no sentences"}
    target = voice_target(_seconds(task))
    est = estimated_seconds(script)
    spoken = script.spoken_text()
    items = timeline(spoken)
    first = next((x for x in items if isinstance(x, str)), "")
    starts_at = VOICE_LEAD + LEAD_IN + sum(x for x in items[:items.index(first)]
                                           if isinstance(x, float))
    hook_s = said_seconds(first)
    if est + LEAD_IN + MIN_TAIL > HARD_CAP:
        fits = 0.0
    elif est > target + 1.0:
        fits = max(0.0, 1.0 - (est - target) / target)
    elif est < 0.7 * target:
        fits = max(0.0, est / (0.7 * target))
    else:
        fits = 1.0
    breath_lines = [s for s in sentences(spoken) if _BREATH.search(s)]
    counted = re.search(r"\btwo, three\b", spoken, re.IGNORECASE)
    last = script.sections[-1]
    on_topic, cov = coverage(spoken, str(task.inputs.get("topic", "")))
    plain = _MARK.sub(" ", spoken)
    unspeakable = re.findall(r"\d|[%&/#@<>]", plain)
    parts = {"length": round(fits, 4),
             "hook": 1.0 if starts_at + hook_s <= HOOK_SECONDS else
             0.75 if starts_at + hook_s <= HOOK_SECONDS + 1.0 else 0.25,
             "breath": 1.0 if len(breath_lines) >= 2 or (breath_lines and counted) else
             0.5 if breath_lines else 0.0,
             "close": 1.0 if len(script.sections) >= 2 and sentences(last.text) else 0.0,
             "topic": round(min(1.0, 1.5 * on_topic), 4),
             "speakable": max(0.0, 1.0 - len(unspeakable) / 5)}
    return round(sum(parts.values()) / len(parts), 4), {
        "parts": parts, "estimated_seconds": round(est, 2), "target_seconds": round(target, 2),
        "hook": first, "hook_seconds": round(hook_s, 2), "words": script.word_count(),
        "coverage": cov, "unspeakable": unspeakable[:10]}


# -- voice, music, picture --------------------------------------------------------------------
async def voice(task: Task, context: Context) -> dict[str, Any]:
    """The offline voice (Piper) at the Short's pace; break tags are read as pauses."""
    from ...media.voice import synthesize

    out = Path(task.inputs.get("out") or context.workdir / "voice.wav")
    text = _from_breaks(str(task.inputs["text"]))
    result = await kit.in_process(context, synthesize, text, out, length_scale=LENGTH_SCALE,
                                  workers=kit.cpu_workers(context),
                                  sentence_pause=SENTENCE_PAUSE, lead=VOICE_LEAD)
    return {"path": str(result.path), "duration": round(result.duration, 3),
            "sentences": [[round(s.start, 3), round(s.end, 3), s.text]
                          for s in result.sentences]}


def check_voice(task: Task, artifact: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    """A voice track: readable, not clipped, no hole; one that could not fit the Short even
    with the shortest tail scores lower (the video still cuts it to the cap)."""
    from ...media.quality import score_audio

    path = artifact.get("path")
    if not path or not Path(str(path)).is_file():
        return 0.0, {"error": "no voice file"}
    base, facts = score_audio(str(path), loudness=False)
    if "error" in facts:
        return 0.0, facts
    duration = float(facts.get("duration", 0.0))
    fits = 1.0 if duration + LEAD_IN + MIN_TAIL <= _PLANNED_CAP else 0.75
    return round(min(base, fits), 4), {**facts, "fits_cap": fits == 1.0}


async def music(task: Task, context: Context) -> dict[str, Any]:
    """The offline ambient bed: the Short's length and a few seconds more."""
    from ...media.music import render_music

    seconds = _seconds(task) + 4.0
    out = Path(task.inputs.get("out") or context.workdir / "music.wav")
    path = await kit.in_process(context, render_music, seconds, out, seed=context.seed,
                                topic=str(task.inputs.get("topic", "")),
                                sleep=bool(task.inputs.get("sleep", False)))
    return {"path": str(path), "seconds": seconds}


def check_music(task: Task, artifact: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    """A music bed long enough for most of the Short (the mix loops a shorter one)."""
    from ...errors import ArchibaldError
    from ...media.probe import probe_audio

    try:
        facts = probe_audio(str(artifact["path"]))
    except (ArchibaldError, KeyError) as exc:
        return 0.0, {"error": str(exc)}
    share = facts.duration / _seconds(task)
    return (1.0 if share >= 0.95 else 0.7 if share >= 0.5 else 0.3), {
        "duration": round(facts.duration, 3), "sample_rate": facts.sample_rate}


async def portrait(task: Task, context: Context) -> dict[str, Any]:
    """The offline picture: the topic's scene drawn portrait (1080x1920), and what the video
    needs to draw it moving."""
    from ...media.art import render_art

    out = Path(task.inputs.get("out") or context.workdir / "portrait.png")
    theme = " ".join(str(task.inputs.get(k, "")) for k in ("topic", "theme")).strip()
    path = await kit.in_process(context, render_art, theme, out, seed=context.seed, size=SIZE)
    return {"path": str(path), "width": SIZE[0], "height": SIZE[1],
            "scene": {"theme": theme, "seed": context.seed}}


def check_portrait(task: Task, artifact: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    """A portrait picture: 9:16 (within 2 %), at least 720 wide, calm and not flat."""
    from PIL import Image

    from ...quality.media import check_image

    path = artifact.get("path")
    try:
        with Image.open(str(path)) as im:
            w, h = im.size
    except (OSError, TypeError) as exc:
        return 0.0, {"error": str(exc)}
    score, details = check_image(str(path), size=(w, h))
    shape = 1.0 if h > w and abs((h / w) / (16 / 9) - 1) <= 0.02 else 0.0
    big = 1.0 if w >= 720 else 0.5
    return round(min(score, shape, big), 4), {**details, "portrait": bool(shape),
                                              "size": [w, h]}


# -- the vertical video -----------------------------------------------------------------------
def cap_and_mix(voice_path: Path, music_path: Path | None, out: Path, *,
                sentences_at: list[list[Any]] | None = None, seconds: float = 45.0,
                cap: float = _PLANNED_CAP, target_lufs: float = -15.0) -> dict[str, Any]:
    """The Short's audio at ``out`` (48 kHz stereo WAV): the voice over the music, never
    longer than ``cap`` seconds. A voice too long for it is cut at the end of the last
    sentence that fits (``sentences_at``: [start, end, text] in the voice) when that keeps
    most of it, else where the cap falls, with a fade; the music's tail (what a Short of
    ``seconds`` has, :func:`voice_target`) shortens first.
    Loudness ``target_lufs`` integrated (−15: inside YouTube's −14 to −16), true peak
    ≤ −1.5 dBTP."""
    from ...media.audio import SAMPLE_RATE, read_audio, to_pcm16, write_pcm16, write_wav
    from ...media.files import atomic_output
    from ...media.loudness import integrated_lufs, normalise, true_peak_dbtp
    from ...media.mix import mix

    samples, rate = read_audio(voice_path, "voice file")
    original = len(samples) / rate
    room = cap - LEAD_IN - MIN_TAIL
    trimmed = original > room
    used_voice = Path(voice_path)
    length = original
    work = out.with_name(f".{out.stem}.work")
    work.mkdir(parents=True, exist_ok=True)
    try:
        if trimmed:
            ends = [float(s[1]) for s in (sentences_at or []) if float(s[1]) + 0.3 <= room]
            cut, fade = (ends[-1] + 0.3, 0.25) if ends and ends[-1] >= 0.7 * room \
                else (room, 0.8)
            frames = int(cut * rate)
            kept = np.array(samples[:frames], dtype=np.float32)
            ramp = min(frames, int(fade * rate))
            kept[frames - ramp:] *= np.linspace(1.0, 0.0, ramp, dtype=np.float32)[:, None]
            used_voice = work / "voice-capped.wav"
            write_wav(used_voice, kept, rate)
            length = frames / rate
        tail = max(MIN_TAIL, min(_tail(seconds), cap - LEAD_IN - length))
        mixed = mix(used_voice, music_path, work / "mix-16.wav", lead_in=LEAD_IN, tail=tail)
        data, mrate = read_audio(mixed.path, "mix")
        if mrate != SAMPLE_RATE:
            raise ValueError(f"the mix is {mrate} Hz, not {SAMPLE_RATE}")
        loud = normalise(data, mrate, target_lufs=target_lufs, ceiling_dbtp=-1.5)
        pcm = to_pcm16(loud)
        check = pcm.astype(np.float32) / np.float32(32768.0)
        lufs, peak = integrated_lufs(check, mrate), true_peak_dbtp(check)
        with atomic_output(out, (".wav",)) as tmp:
            write_pcm16(tmp, pcm, mrate)
    finally:
        for leftover in work.glob("*"):
            leftover.unlink(missing_ok=True)
        work.rmdir()
    return {"path": str(out), "duration": round(len(pcm) / mrate, 3),
            "lufs": round(float(lufs), 2), "true_peak_dbtp": round(float(peak), 2),
            "trimmed": trimmed, "voice_seconds": round(length, 3),
            "voice_original_seconds": round(original, 3), "tail": round(tail, 3)}


#: a still's slow breathing zoom: how far in (share of the frame) and how far it drifts up
_ZOOM, _DRIFT = 0.06, 0.02
#: the size a still's loop is drawn at before the encoder scales it to :data:`SIZE`: two
#: thirds, so an 11 s loop costs seconds, not a minute, and a photo stays sharp enough
_DRAWN = (720, 1280)


def _still_frames(picture: Any, count: int) -> Any:
    """The still breathing: a seamless zoom in and out (one cycle per loop), drifting a
    little upward as it comes in, at :data:`_DRAWN` size; the last frame is the first again."""
    from PIL import Image

    w, h = picture.size
    for i in range(count + 1):
        phase = (i % count) / count
        k = 0.5 - 0.5 * math.cos(2 * math.pi * phase)         # 0 → 1 → 0
        scale = 1.0 / (1.0 + _ZOOM * k)
        cw, ch = w * scale, h * scale
        left = (w - cw) / 2
        top = min(max((h - ch) / 2 - _DRIFT * h * k / 2, 0.0), h - ch)
        frame = picture.transform(_DRAWN, Image.Transform.EXTENT,
                                  (left, top, left + cw, top + ch),
                                  Image.Resampling.BILINEAR)
        yield frame.tobytes()


def render_still_loop(image: Path, out: Path) -> Path:
    """A still (a paid route's picture) as a seamless portrait loop: it breathes, slowly."""
    from PIL import Image, ImageOps

    from ...media.art import DRAWN_FPS, LOOP_SECONDS
    from ...media.video import encode_loop

    with Image.open(image) as src:
        # a little larger than drawn, so the zoom samples real detail
        picture = ImageOps.fit(src.convert("RGB"), (_DRAWN[0] * 3 // 2, _DRAWN[1] * 3 // 2),
                               Image.Resampling.LANCZOS)
    return encode_loop(_still_frames(picture, LOOP_SECONDS * DRAWN_FPS), _DRAWN, DRAWN_FPS,
                       LOOP_SECONDS, SIZE, out)


def _assemble(loop: Path, audio: Path, out: Path) -> dict[str, Any]:
    from ...media.video import assemble

    info = assemble(None, audio, out, loop=loop)
    return {"path": str(info.path), "duration": round(info.duration, 3), "width": info.width,
            "height": info.height, "fps": info.fps, "video_codec": info.video_codec,
            "profile": info.profile, "pix_fmt": info.pix_fmt, "audio_codec": info.audio_codec,
            "sample_rate": info.sample_rate, "channels": info.channels, "bytes": info.bytes}


async def video(task: Task, context: Context) -> dict[str, Any]:
    """The vertical Short: the picture moving (the scene's own loop, or a still breathing),
    the voice over the music capped to 60 s, H.264 High yuv420p 1080x1920 at 30 fps with
    AAC-LC 48 kHz, moov first."""
    from ...media.art import render_loop

    voice_in = dict(task.inputs["voice"])
    music_in = task.inputs.get("music")
    picture = dict(task.inputs["picture"])
    work = context.workdir
    loop_out, mix_out = work / "loop.mp4", work / "mix.wav"
    scene = picture.get("scene")
    if isinstance(scene, dict) and scene.get("theme"):
        drawing = kit.in_process(context, render_loop, str(scene["theme"]), loop_out,
                                 seed=int(scene.get("seed", 0)), size=SIZE)
    else:
        drawing = kit.in_process(context, render_still_loop, Path(str(picture["path"])),
                                 loop_out)
    mixing = kit.in_process(context, cap_and_mix, Path(str(voice_in["path"])),
                            Path(str(music_in["path"])) if isinstance(music_in, dict) and
                            music_in.get("path") else None, mix_out,
                            sentences_at=list(voice_in.get("sentences") or []),
                            seconds=_seconds(task))
    loop, audio = await asyncio.gather(drawing, mixing)
    made = await kit.in_process(context, _assemble, Path(loop), Path(audio["path"]),
                                work / "short.mp4")
    return {**made, "mix": audio["path"], "loop": str(loop), "lufs": audio["lufs"],
            "true_peak_dbtp": audio["true_peak_dbtp"], "trimmed": audio["trimmed"],
            "voice_seconds": audio["voice_seconds"],
            "voice_original_seconds": audio["voice_original_seconds"]}


def _motion(path: str, duration: float) -> float:
    """Mean absolute difference (0-255) between the frames at 0 s and mid-loop."""
    from ...media.art import LOOP_SECONDS
    from ...media.probe import frame_at

    at = min(duration / 2, LOOP_SECONDS / 2)
    a = np.asarray(frame_at(path, 0.0), dtype=np.int16)
    b = np.asarray(frame_at(path, at), dtype=np.int16)
    return float(np.mean(np.abs(a - b)))


def check_video(task: Task, artifact: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    """The Short as YouTube takes it, route-blind: 1080x1920, H.264 High yuv420p, 30 fps,
    AAC-LC 48 kHz stereo, moov before mdat, at most 60 s, −14 to −16 LUFS, and moving."""
    from ...errors import ArchibaldError
    from ...media.audio import read_audio
    from ...media.loudness import integrated_lufs
    from ...media.probe import probe_video
    from ...media.quality import VIDEO_SPEC

    path = str(artifact.get("path", ""))
    try:
        facts = probe_video(path)
        samples, rate = read_audio(path, "video's audio")
        motion = _motion(path, float(facts["duration"]))
    except ArchibaldError as exc:
        return 0.0, {"error": str(exc)}
    lufs = integrated_lufs(samples, rate)
    atoms = facts.get("atoms", [])
    longest = max(float(facts["duration"]), float(facts["video_duration"]),
                  float(facts["audio_duration"]))
    misses = [f"{k} is {facts.get(k)!r}, not {v!r}" for k, v in VIDEO_SPEC.items()
              if facts.get(k) != v]
    parts = {"size": 1.0 if (facts["width"], facts["height"]) == SIZE else 0.0,
             "spec": max(0.0, 1.0 - len(misses) / len(VIDEO_SPEC)),
             "fps": 1.0 if abs(float(facts["fps"]) - 30.0) <= 0.01 else 0.0,
             "faststart": 1.0 if "moov" in atoms and "mdat" in atoms
             and atoms.index("moov") < atoms.index("mdat") else 0.0,
             "duration": 1.0 if 0 < longest <= HARD_CAP else 0.0,
             "loudness": 1.0 if -16.5 <= lufs <= -13.5 else 0.5,
             "motion": 1.0 if motion >= 0.5 else 0.0}
    score = sum(parts.values()) / len(parts)
    if parts["duration"] == 0.0 or parts["size"] == 0.0:
        score = min(score, 0.3)                 # not a Short at all
    return round(score, 4), {"parts": parts, "duration": round(longest, 3),
                             "lufs": round(lufs, 2), "motion": round(motion, 2),
                             "misses": misses, "bytes": facts.get("bytes")}


# -- the cover --------------------------------------------------------------------------------
#: where the words go: the upper middle, clear of the Shorts player's buttons and caption
_COVER_AREA = (90, 330, 990, 900)
_COVER_INK, _COVER_SHADE = (255, 255, 255), (8, 10, 18)


def _fit_words(words_: list[str], font_file: str) -> tuple[Any, list[str], int]:
    from PIL import ImageFont

    from ...errors import ValidationError

    width = _COVER_AREA[2] - _COVER_AREA[0]
    height = _COVER_AREA[3] - _COVER_AREA[1]
    for size in range(190, 70, -6):
        font = ImageFont.truetype(font_file, size)
        for n in range(1, min(4, len(words_)) + 1):
            per = -(-len(words_) // n)
            lines = [" ".join(words_[i:i + per]) for i in range(0, len(words_), per)]
            if max(font.getlength(x) for x in lines) <= width and len(lines) * size * 1.12 \
                    <= height:
                return font, lines, size
    raise ValidationError(f"the words {' '.join(words_)!r} do not fit a cover in large type")


def render_cover(title: str, image: Path, out: Path, *, words_: list[str] | None = None,
                 channel: str = "") -> dict[str, Any]:
    """A 1080x1920 JPEG cover (≤ 2 MB): the picture, two to four large words in the upper
    middle (clear of the player's buttons and caption), a scrim behind them made stronger step
    by step until they read at 4.5:1, and at 3:1 shrunk to a phone's grid."""
    from PIL import Image, ImageDraw, ImageFilter, ImageOps

    from ...errors import InputError, ValidationError
    from ...media.quality import contrast_ratio, relative_luminance
    from ...media.thumbnail import font_path, legibility, save_jpeg, style_for, thumbnail_words

    chosen = [w for w in (words_ or []) if str(w).strip()][:4] or \
        thumbnail_words(title.replace(_HASHTAG, ""))
    if not chosen:
        raise InputError("the cover has no words; give a title")
    style = style_for(channel)
    shown = [w.upper() if style.upper else w for w in chosen]
    with Image.open(image) as src:
        base = ImageOps.fit(src.convert("RGB"), SIZE, Image.Resampling.LANCZOS)
    font, lines, size = _fit_words(shown, str(font_path(style.font)))
    mask = Image.new("L", SIZE, 0)
    draw = ImageDraw.Draw(mask)
    line_h = int(size * 1.12)
    top = (_COVER_AREA[1] + _COVER_AREA[3] - line_h * len(lines)) // 2
    anchors = []
    for i, line in enumerate(lines):
        anchors.append(((SIZE[0] - font.getlength(line)) / 2, top + i * line_h))
        draw.text(anchors[-1], line, font=font, fill=255)
    box = mask.getbbox() or (0, 0, SIZE[0], SIZE[1])
    box = (max(0, box[0] - 60), box[1] - 50, min(SIZE[0], box[2] + 60), box[3] + 50)
    halo = np.asarray(mask.filter(ImageFilter.MaxFilter(9))) > 0
    ink_lum = float(relative_luminance(np.array(_COVER_INK)))
    picture, contrast, small, final = base, 0.0, 0.0, base
    for opacity in (0.0, 0.3, 0.45, 0.6, 0.72, 0.85, 0.95):
        if opacity:
            scrim = Image.new("L", SIZE, 0)
            ImageDraw.Draw(scrim).rounded_rectangle(box, radius=56, fill=int(255 * opacity))
            scrim = scrim.filter(ImageFilter.GaussianBlur(26))
            picture = Image.composite(Image.new("RGB", SIZE, _COVER_SHADE), base, scrim)
        behind = relative_luminance(np.asarray(picture)[halo])
        contrast = contrast_ratio(ink_lum, float(np.percentile(behind, 98))) \
            if behind.size else 21.0
        final = picture.copy()
        pen = ImageDraw.Draw(final)
        for (x, y), line in zip(anchors, lines):
            pen.text((x, y), line, font=font, fill=_COVER_INK, stroke_width=max(2, size // 28),
                     stroke_fill=_COVER_SHADE)
        small = legibility(final, mask)
        if contrast >= 4.5 and small >= 3.0:
            break
    else:
        raise ValidationError(f"cover text contrast {contrast:.2f}:1 (small {small:.2f}:1) "
                              f"is too low")
    written = save_jpeg(final, out, SIZE, (90, 82, 72, 60))
    return {"path": str(out), "contrast": round(contrast, 2), "small_contrast": round(small, 2),
            "text": " ".join(shown), "bytes": written, "width": SIZE[0], "height": SIZE[1]}


async def cover(task: Task, context: Context) -> dict[str, Any]:
    """The local route of the cover stage."""
    out = Path(task.inputs.get("out") or context.workdir / "cover.jpg")
    words_in = task.inputs.get("words")
    return await kit.in_process(context, render_cover, str(task.inputs.get("title", "")),
                                Path(str(task.inputs["image"])), out,
                                words_=[str(w) for w in words_in]
                                if isinstance(words_in, list) else None,
                                channel=str(task.inputs.get("channel") or task.channel))


def check_cover(task: Task, artifact: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    """A portrait cover whose words read: 1080x1920 JPEG within 2 MB, legible at phone
    size."""
    from ...errors import ArchibaldError
    from ...media.quality import validate_image
    from ...media.thumbnail import MAX_BYTES
    from ...quality.media import check_image

    path = str(artifact.get("path", ""))
    try:
        validate_image(path, SIZE, max_bytes=MAX_BYTES, fmt="JPEG")
    except ArchibaldError as exc:
        return 0.0, {"error": str(exc)}
    drawn = str(artifact.get("text", "")).split()
    score, details = check_image(path, size=SIZE, words=drawn or None)
    return score, details


# -- metadata ---------------------------------------------------------------------------------
def build_short_metadata(concept_in: dict[str, Any], script: Script, *, topic: str,
                         seconds: float, language: str = "en") -> dict[str, Any]:
    """A Short's YouTube metadata: the title with #Shorts (≤ 100 characters), a description
    that says what the minute is and for whom, the safety line and hashtags, and tags."""
    from ..meditation.catalogue import catalogue
    from ..youtube.metadata import (CATEGORY_HOWTO_STYLE, DESCRIPTION_MAX, SAFETY_LINE,
                                   TAGS_MAX, tags_length)
    from ..meditation.topic import goal_words, read_topic

    cat = catalogue()
    theme_id = str(concept_in.get("theme") or "stress-relief")
    theme = cat["themes"].get(theme_id, cat["themes"]["stress-relief"])
    reading = read_topic(topic)
    title = str(concept_in.get("title") or script.title or short_title(topic, seconds))
    if _HASHTAG.lower() not in title.lower():
        title = f"{title} {_HASHTAG}"
    if len(title) > 100:
        title = f"{title[:100 - len(_HASHTAG) - 1].rsplit(' ', 1)[0]} {_HASHTAG}"
    benefit = (goal_words(reading) if reading.situation or reading.audience
               or reading.goal != "calm" else str(theme["benefit"])).lower()
    who = f" for {reading.for_whom}" if reading.audience else (
        f" {reading.situation}" if reading.situation else "")
    hashtags = ["#Shorts", "#meditation", "#breathwork",
                "#" + (re.sub(r"[^A-Za-z]", "", benefit.title()) or "calm")]
    lines = [f"A {int(round(seconds))}-second breathing reset for {benefit}{who}.",
             "One practice: a counted breath, in through the nose and out through the mouth.",
             "Breathe along, then come back whenever you need it.", "", SAFETY_LINE, "",
             " ".join(dict.fromkeys(hashtags))]
    description = "\n".join(lines)[:DESCRIPTION_MAX]
    candidates = ["shorts", "meditation", "breathing exercise", "breathwork",
                  "one minute meditation", "micro meditation", benefit,
                  *(str(k) for k in theme.get("keywords", [])[:5]),
                  *(t for t in (reading.audience, reading.event.removeprefix("the ")) if t),
                  topic.strip().lower()]
    tags: list[str] = []
    for tag in candidates:
        tag = re.sub(r"[<>,\"#]", "", tag).strip()
        if tag and tag.lower() not in (t.lower() for t in tags) and len(tag) <= 100 \
                and tags_length([*tags, tag]) <= TAGS_MAX:
            tags.append(tag)
    return {"title": title, "description": description, "tags": tags,
            "categoryId": CATEGORY_HOWTO_STYLE, "defaultLanguage": language or "en",
            "defaultAudioLanguage": language or "en", "shorts": True,
            "seconds": round(float(seconds), 3)}


def _metadata_inputs(task: Task) -> tuple[dict[str, Any], Script, float]:
    concept_in = dict(task.inputs.get("concept") or {})
    script = _script_of(dict(task.inputs["script"]))
    seconds = float(task.inputs.get("duration") or _seconds(task))
    return concept_in, script, seconds


async def metadata(task: Task, context: Context) -> dict[str, Any]:
    """The local route of the metadata stage."""
    concept_in, script, seconds = _metadata_inputs(task)
    return {"metadata": build_short_metadata(concept_in, script,
                                             topic=str(task.inputs["topic"]), seconds=seconds,
                                             language=str(task.inputs.get("language") or "en"))}


def adopt_metadata(task: Task, text: str) -> dict[str, Any]:
    """A model's JSON (title, description, tags) over the offline metadata: a title is taken
    with #Shorts and within 100 characters, a description keeps the safety line."""
    from ..youtube.metadata import DESCRIPTION_MAX, SAFETY_LINE, TAGS_MAX, tags_length

    concept_in, script, seconds = _metadata_inputs(task)
    meta = build_short_metadata(concept_in, script, topic=str(task.inputs["topic"]),
                                seconds=seconds,
                                language=str(task.inputs.get("language") or "en"))
    data = _json_object(text)
    title = re.sub(r"\s+", " ", str(data.get("title", ""))).strip()
    if title and _HASHTAG.lower() not in title.lower():
        title = f"{title} {_HASHTAG}"
    if 0 < len(title) <= 100:
        meta["title"] = title
    description = str(data.get("description", "")).strip()
    if description:
        if SAFETY_LINE.lower()[:40] not in description.lower():
            description = f"{description}\n\n{SAFETY_LINE}"
        if _HASHTAG.lower() not in description.lower():
            description = f"{description}\n\n{_HASHTAG}"
        meta["description"] = description[:DESCRIPTION_MAX]
    tags = [re.sub(r"[<>,\"#]", "", str(t)).strip() for t in data.get("tags") or []
            if isinstance(t, str)]
    tags = [t for t in dict.fromkeys(tags) if t and len(t) <= 100]
    if tags and tags_length(tags) <= TAGS_MAX:
        meta["tags"] = tags
    return {"metadata": meta, "reply_json": bool(data)}


def check_metadata(task: Task, artifact: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    """Metadata YouTube shows as a Short's: #Shorts in the title (≤ 100 characters) or the
    description, a description that opens with words (≤ 5000, the safety line), tags within
    500 characters, a category and a language, on the topic."""
    from ...quality.text import coverage
    from ..youtube.metadata import DESCRIPTION_MAX, SAFETY_LINE, TAGS_MAX, tags_length

    meta = artifact.get("metadata")
    if not isinstance(meta, dict):
        return 0.0, {"error": "no metadata"}
    if artifact.get("reply_json") is False:
        return 0.0, {"error": "the reply is not the JSON object asked for"}
    title = str(meta.get("title", ""))
    description = str(meta.get("description", ""))
    tags = [str(t) for t in meta.get("tags") or []]
    on_topic, cov = coverage(f"{title} {description}", str(task.inputs.get("topic", "")))
    parts = {"title": 1.0 if 0 < len(title) <= 100 else 0.0,
             "shorts_tag": 1.0 if _HASHTAG.lower() in f"{title} {description}".lower()
             else 0.0,
             "description": 1.0 if 0 < len(description) <= DESCRIPTION_MAX
             and not description.lstrip().startswith("#") else 0.0,
             "safety": 1.0 if SAFETY_LINE.lower()[:40] in description.lower() else 0.0,
             "tags": 1.0 if tags and tags_length(tags) <= TAGS_MAX else 0.0,
             "category": 1.0 if str(meta.get("categoryId", "")).isdigit() else 0.0,
             "language": 1.0 if meta.get("defaultLanguage") else 0.0,
             "on_topic": round(min(1.0, 2 * on_topic), 4)}
    return round(sum(parts.values()) / len(parts), 4), {
        "parts": parts, "title_chars": len(title), "tags_chars": tags_length(tags),
        "coverage": cov}
