"""The micro-meditation's script: a hook, one counted breathing practice and a closing line,
written offline to a length; the adopter of a model's script and its route-blind check."""

from __future__ import annotations

import dataclasses
import random
import re
from collections.abc import Callable
from typing import Any
from ...script.model import (Script, Section,
                            pause_mark, sentences, timeline, words)
from ...core.tasks import Context, Task
from .timing import HARD_CAP, HOOK_SECONDS, LEAD_IN, MIN_TAIL, VOICE_LEAD, _BREATH, _MARK, _MAX_BREAK, _NUMBERS, _count_up, _from_breaks, _script_of, _script_value, _seconds, _seed, estimated_seconds, said_seconds, voice_target, without_length
from .concept import _hook_for, length_words, short_title


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


def _practice_promise(adjective: str, phrase: str) -> str:
    """The promise of a Short whose topic opens with the practice it asks for, said as what it
    is ("A forty-five-second box breathing practice for exam nerves."), or ""."""
    from ..meditation.practices import after_name, named_practice

    practice = named_practice(phrase)
    if practice is None or not practice.leads:
        return ""
    return " ".join([f"A {adjective} {practice.kind}", *after_name(practice, phrase)]) + "."


def _timed(topic: str) -> dict[str, Any]:
    """The technique a topic names when its timing is the practice (a breath pattern with
    holds, tensing and releasing: meditation/timed.py), else {}."""
    from ..meditation.catalogue import catalogue
    from ..meditation.practices import named_practice
    from ..meditation.timed import is_timed

    practice = named_practice(without_length(topic))
    tech: dict[str, Any] = catalogue()["techniques"][practice.technique] if practice else {}
    return tech if is_timed(tech) else {}


def _timed_practice(comp: Any, tech: dict[str, Any], topic: str,
                    fits: Callable[[list[_Line]], bool]) -> tuple[list[_Line], list[_Line]]:
    """A timed technique's practice for a Short: its shortest safety line, then breaths of
    its pattern, counted with their holds (a round at most), or muscle groups of the upper
    body tensed for a count and released, while ``fits``; the first always. And the lines
    whose pause may take the Short's spare silence (never one inside a held breath)."""
    from ..meditation.timed import NUMBERS, count_up, held_breath, sore_parts

    safety = [_Line(min((comp.fill(x) for x in tech["safety"]), key=said_seconds), 0.6)]
    lines: list[_Line] = []
    if "pattern" in tech:
        before: list[str] = []
        for n in range(int(tech["round"])):
            said = held_breath(tech, comp.fill, comp.rng, first=not n, seconds=said_seconds,
                               before=before)
            breath = [_Line(x, gap) for x, gap in said]
            if n and not fits([*safety, *lines, *breath]):
                break
            lines += breath
        rest = _Line(comp.fill(min(tech["rest"], key=said_seconds)), 1.0)
        lines += [rest] if fits([*safety, *lines, rest]) else []
        return [*safety, *lines], lines[-1:] if lines[-1:] == [rest] else []
    _, skipped = sore_parts(topic, tech)
    hold = int(tech["hold"])
    for n, item in enumerate(i for i in tech["items"][-4:] if i not in skipped):
        comp.extra.update(item=item, tense=comp.rng.choice(tech["tense"][item]),
                          count=count_up(NUMBERS[hold - 1]))
        tensed = comp.fill(comp.rng.choice(tech["hold_say"]))
        group = [_Line(tensed, round(max(0.5, hold + 1.0 - said_seconds(tensed)), 1)),
                 _Line("Breathe out, and let it go.", 1.0),  # released on the breath out
                 _Line(comp.fill(comp.rng.choice(tech["notice"])), 1.5)]
        if n and not fits([*safety, *lines, *group]):
            break
        lines += group
    for slot in ("item", "tense", "count"):
        comp.extra.pop(slot, None)
    return [*safety, *lines], lines[2::3]


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
    adjective, noun = length_words(seconds)
    promises = [f"Give me {noun}.", f"Stay with me for {noun}.", "Try this with me."]
    phrase = re.sub(r"\s+", " ", without_length(topic).strip().rstrip("?.!"))
    if coverage(hook_text, phrase)[0] < 1.0 and len(words(phrase)) <= 8:
        # the question did not name all of the topic: the promise does (the Short's own
        # length, never the one a topic names: "a one-minute reset before an exam")
        joint = "" if re.match(r"(?:before|after|during|when|while|at|on|for|in)\b", phrase,
                               re.IGNORECASE) else "for "
        promises = [_practice_promise(adjective, phrase) or
                    f"A {adjective} reset {joint}{phrase[:1].lower()}{phrase[1:]}."]
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
    timed = _timed(topic)
    least = _timed_practice(comp, timed, topic, lambda _: False)[0] if timed else []
    if least and 2 * VOICE_LEAD + hook[0].seconds() + sum(x.seconds() for x in least) \
            + 3.0 > target:  # too short for one breath of the pattern (or one muscle group):
        counts = tuple(_NUMBERS.index(w) + 1  # type: ignore[assignment]
                       for w in timed.get("pairs", [[_NUMBERS[c - 1] for c in counts]])[0])
        timed = {}  # its own in and out, without the holds
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
    if running(least if timed else first) > target:  # a very short Short: the question alone, the
        hook = hook[:1]                     # briefest breath and closing line
        close = [_Line(_closing(comp, topic, seed, most=2.5), 0.6)]
        fixed = 2 * VOICE_LEAD + sum(x.seconds() for x in hook + close)
        used.clear()
        first = _breath_pair(comp, cat["breath_patterns"]["first"], counts, used,
                             tight=True) or first
        cycles = [first]
    if timed:  # the practice the topic names (box breathing, progressive muscle relaxation):
        # its safety line, then its breaths or muscle groups while they fit
        practice, outs = _timed_practice(comp, timed, topic, lambda lines: running(lines)
                                         <= target)
        extras = [save] if running(practice, [save]) + 8.0 <= target else []
    else:
        # what is left out when time is short: the save line, then the settling line
        extras = [save] if running([settle], first, [save]) + 8.0 <= target else []
        opening = [settle] if running([settle], first, extras) <= target else []
        while True:
            more = _breath_pair(comp, cat["breath_patterns"]["cycle"], counts, used)
            if more is None and len(cycles) > 1:    # a long Short: the cycle's words again
                used = {x.text for pair in cycles[-2:] for x in pair}
                more = _breath_pair(comp, cat["breath_patterns"]["cycle"], counts, used)
            if more is None or running(opening, *cycles, more, extras) > target:
                break
            cycles.append(more)
        practice = [*opening, *(x for pair in cycles for x in pair)]
        outs = [pair[1] for pair in cycles]
    close += extras
    # the silence left goes after the out-breaths (a breath's room), then before the close;
    # no pause beyond what one break holds
    lines = [*hook, *practice, *close]
    slack = target - 2 * VOICE_LEAD - sum(x.seconds() for x in lines)
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
