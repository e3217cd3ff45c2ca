"""The meditation pipeline's own code (its stages are in pipeline.toml beside it): the local route of
each stage, what turns a model's answer into the local route's shape, the inputs a template
cannot compute, and what a finished run teaches memory.

Each local implementation takes the task (its inputs rendered from the pipeline file) and the
context (``context.workdir`` is the stage's own folder) and returns a JSON-able artifact;
paths in artifacts are strings. CPU-heavy media work runs in the engine's worker processes.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any

from ...pipeline.engine import StageInput
from ...pipeline.kit import cpu_workers, in_process
from ...script.forms import script_from_dict, script_from_markdown, script_to_dict
from ...script.model import Script, timeline
from ...core.tasks import Context, Task

__all__ = ["LEAD_IN", "TAIL", "SLEEP_TAIL", "script_minutes"]

LEAD_IN = 3.0  # seconds of music before the first word
TAIL = 15.0  # seconds of music after the last word
SLEEP_TAIL = 25.0  # a sleep session's ambient tail after the last word, fading out (≥ 20 s)
SLEEP_FADE = 8.0  # seconds over which a sleep session's picture fades to black at the end
SLEEP_WIND_DOWN_DB = 8.0  # how far a sleep session's last minutes fall


def script_minutes(minutes: float, *, sleep: bool = False) -> float:
    """How long the voice track (what the script stages write and score, leads included) must
    run for the video to last ``minutes``: the music before and after the voice is the rest
    (a sleep session's tail is longer)."""
    return (minutes * 60.0 - LEAD_IN - (SLEEP_TAIL if sleep else TAIL)) / 60.0


def _script_value(script: Script, changes: list[str]) -> dict[str, Any]:
    """A script stage's value: the script, its markdown (what the next prompt shows and
    script.md holds) and what this stage changed."""
    return {"script": script_to_dict(script), "markdown": script.to_markdown(),
            "changes": changes}


def _paced(script: Script) -> Script:
    """A model's script read at the pace of each part of the arc, as the offline writer's."""
    from ...script.model import section_pace

    return dataclasses.replace(script, sections=tuple(
        dataclasses.replace(s, pace=section_pace(s.kind, script.sleep)) if s.kind else s
        for s in script.sections))


def brief_from_dict(data: dict[str, Any]) -> Any:
    """A ResearchBrief back from its JSON form (lists become the tuples it holds)."""
    from .research import ResearchBrief

    fields: dict[str, Any] = {k: tuple(tuple(x) if isinstance(x, list) else x for x in v)
                              if isinstance(v, list) else v for k, v in data.items()}
    return ResearchBrief(**fields)


# -- inputs a template cannot compute (prepare) -------------------------------------------------
def research_inputs(si: StageInput, inputs: dict[str, Any]) -> dict[str, Any]:
    from .research import research

    return {**inputs, "fallback": dataclasses.asdict(research(inputs["topic"], seed=si.seed))}


def concept_inputs(si: StageInput, inputs: dict[str, Any]) -> dict[str, Any]:
    from .concept import make_concept

    fallback = make_concept(inputs["topic"], float(inputs["minutes"]),
                            brief_from_dict(inputs["brief"]), seed=si.seed)
    return {**inputs, "fallback": dataclasses.asdict(fallback)}


def writing_inputs(si: StageInput, inputs: dict[str, Any]) -> dict[str, Any]:
    minutes = float(inputs["minutes"])
    # the script stages' target, not the video's
    voice = script_minutes(minutes, sleep=bool(inputs["concept"].get("sleep")))
    concept = inputs["concept"]
    return {**inputs, "concept": {**concept, "minutes": voice}, "minutes": voice,
            "closing": "fade" if concept.get("sleep") else "return",
            "max_tokens": int(260 * minutes)}


def edit_inputs(si: StageInput, inputs: dict[str, Any]) -> dict[str, Any]:
    minutes = float(inputs["minutes"])
    sleep = bool(inputs["script"].get("sleep"))
    return {**inputs, "minutes": script_minutes(minutes, sleep=sleep),
            "max_tokens": int(260 * minutes)}


def audio_inputs(si: StageInput, inputs: dict[str, Any]) -> dict[str, Any]:
    from ...media.voice import section_length_scales

    script = script_from_dict(inputs["script"])
    scale = float(inputs.get("length_scale", 1.57))
    return {**inputs, "text": script.spoken_text(),
            # each sentence at its section's pace: the settling and a sleep's fade read slower
            "length_scales": section_length_scales(script, scale),
            # sentences per section, so the voice can say where each chapter really starts
            "section_firsts": [[sec.name, sum(isinstance(x, str) for x in timeline(sec.text))]
                               for sec in script.sections]}


def music_inputs(si: StageInput, inputs: dict[str, Any]) -> dict[str, Any]:
    return {**inputs, "seconds": round(float(inputs["minutes"]) * 60 + 10, 1)}  # trimmed later


def video_inputs(si: StageInput, inputs: dict[str, Any]) -> dict[str, Any]:
    # a sleep session fades out: the last minutes fall (issue 12), a long ambient tail after
    # the last word, the picture to black (issue 25)
    sleep = bool(inputs.pop("sleep", False))
    return {**inputs, "wind_down_db": SLEEP_WIND_DOWN_DB if sleep else 0.0,
            "lead_in": LEAD_IN, "tail": SLEEP_TAIL if sleep else TAIL,
            "fade_out": SLEEP_FADE if sleep else 0.0}


def tts_inputs(si: StageInput, inputs: dict[str, Any]) -> dict[str, Any]:
    return {**inputs, "max_tokens": int(260 * float(inputs["minutes"]))}


def thumbnail_inputs(si: StageInput, inputs: dict[str, Any]) -> dict[str, Any]:
    """The words: the concept's, else 2-4 from the topic, never cut mid-phrase."""
    from .topic import thumbnail_words

    concept = si.deps["meditation_concept"].value["concept"]
    topic = str(inputs.pop("topic", ""))
    return {**inputs, "words": concept.get("thumbnail_words") or thumbnail_words(topic) or None}


def upload_inputs(si: StageInput, inputs: dict[str, Any]) -> dict[str, Any]:
    publish_at = str(inputs.get("publish_at") or "")
    return {**inputs, "publish_at": publish_at, "lead_in": LEAD_IN,
            "privacy": "private" if publish_at else inputs.get("privacy", "private")}


# -- turning a model's answer into the local route's shape (adopt) -----------------------------
def adopt_research(task: Task, text: str) -> dict[str, Any]:
    brief = dict(task.inputs["fallback"])
    brief["notes"] = list(brief.get("notes", [])) + [text.strip()[:2000]]
    return {"brief": brief}


def adopt_concept(task: Task, text: str) -> dict[str, Any]:
    from .catalogue import catalogue

    cat = catalogue()
    try:
        start, end = text.index("{"), text.rindex("}") + 1
        data = json.loads(text[start:end])
    except ValueError:
        data = {}
    concept = dict(task.inputs["fallback"])
    for key, table in (("theme", "themes"), ("technique", "techniques"),
                       ("audience", "audiences")):
        if data.get(key) in cat[table]:
            concept[key] = data[key]
    title = str(data.get("title", "")).strip()
    if 0 < len(title) <= 100:
        concept["title"] = title
    return {"concept": concept, "reply_json": isinstance(data, dict) and bool(data)}


def adopt_writing(task: Task, text: str) -> dict[str, Any]:
    c = task.inputs["concept"]
    kinds = ("settling", "breath", "practice", "affirmations", "fade" if c.get("sleep")
             else "return")
    script = script_from_markdown(text, title=c["title"], minutes=task.minutes,
                                  sleep=bool(c.get("sleep")), kinds=kinds,
                                  language=str(task.inputs.get("language") or "en"))
    return _script_value(_paced(script), [])


def adopt_edit(task: Task, text: str) -> dict[str, Any]:
    base = script_from_dict(task.inputs["script"]) if "script" in task.inputs else None
    kinds = tuple(s.kind for s in base.sections) if base else ()
    script = script_from_markdown(text, title=base.title if base else "",
                                  minutes=task.minutes, sleep=base.sleep if base else False,
                                  kinds=kinds, language=base.language if base else "en")
    return _script_value(_paced(script), ["rewritten by the model"])


def adopt_speakable(task: Task, text: str) -> dict[str, Any]:
    from ...script.speakable import speakable_with_changes

    script = script_from_dict(adopt_edit(task, text)["script"])
    sections, changes = [], ["normalised by the model"]
    for s in script.sections:  # a safety net: whatever the model missed
        fixed, changed = speakable_with_changes(s.text)
        sections.append(dataclasses.replace(s, text=fixed))
        changes += changed
    return _script_value(dataclasses.replace(script, sections=tuple(sections)), changes)


# -- the local route of each stage ---------------------------------------------------------------
async def market_research(task: Task, context: Context) -> dict[str, Any]:
    from .research import research

    brief = research(task.inputs["topic"],
                     month=task.inputs.get("month") or dt.date.today().month, seed=context.seed)
    return {"brief": dataclasses.asdict(brief)}


async def meditation_concept(task: Task, context: Context) -> dict[str, Any]:
    from .concept import make_concept

    brief = brief_from_dict(task.inputs["brief"])
    concept = make_concept(task.inputs["topic"], task.minutes, brief, seed=context.seed)
    return {"concept": dataclasses.asdict(concept)}


async def script_writing(task: Task, context: Context) -> dict[str, Any]:
    from .concept import Concept
    from .writer import write_script

    return _script_value(write_script(Concept(**task.inputs["concept"]), seed=context.seed), [])


async def _edit(task: Task, which: str) -> dict[str, Any]:
    from . import editors

    script = script_from_dict(task.inputs["script"])
    result = getattr(editors, which)(script, task.minutes)
    return _script_value(result.script, list(result.changes))


async def script_review(task: Task, context: Context) -> dict[str, Any]:
    return await _edit(task, "review")


async def quality_polish(task: Task, context: Context) -> dict[str, Any]:
    return await _edit(task, "polish")


async def tts_qa(task: Task, context: Context) -> dict[str, Any]:
    from ...script.speakable import speakable_with_changes

    script = script_from_dict(task.inputs["script"])
    sections, changes = [], []
    for s in script.sections:
        text, changed = speakable_with_changes(s.text)
        sections.append(dataclasses.replace(s, text=text))
        changes += changed
    return _script_value(dataclasses.replace(script, sections=tuple(sections)), changes)


async def audio_generation(task: Task, context: Context) -> dict[str, Any]:
    from ...media.voice import synthesize

    out = Path(task.inputs["out"])
    result = await in_process(context, synthesize, task.inputs["text"], out,
                              length_scale=float(task.inputs.get("length_scale", 1.57)),
                              workers=int(task.inputs.get("workers") or cpu_workers(context)),
                              sentence_pause=float(task.inputs.get("sentence_pause", 1.0)),
                              length_scales=task.inputs.get("length_scales"))
    return {"path": str(result.path), "duration": result.duration,
            "sentences": [[s.start, s.end, s.text] for s in result.sentences],
            "section_starts": _section_starts(task, result.sentences)}


def _section_starts(task: Task, sentences: list[Any]) -> list[list[Any]]:
    """Where each section's first sentence starts in the voice track."""
    firsts = task.inputs.get("section_firsts") or []
    starts: list[list[Any]] = []
    i = 0
    for name, count in firsts:
        if i < len(sentences):
            starts.append([sentences[i].start, name])
        i += count
    return starts


async def music_generation(task: Task, context: Context) -> dict[str, Any]:
    from ...media.music import render_music

    out = Path(task.inputs["out"])
    path = await in_process(context, render_music, float(task.inputs["seconds"]), out,
                            seed=context.seed, key=str(task.inputs.get("key", "D")),
                            topic=str(task.inputs.get("topic", "")),
                            sleep=bool(task.inputs.get("sleep", False)))
    return {"path": str(path), "seconds": float(task.inputs["seconds"])}


def scene_of(setting: str, topic: str) -> tuple[str, str]:
    """The script's setting and the scene drawn for it: the setting the writer chose (its
    output), else the one the topic names (a model's script)."""
    from .setting import SETTINGS, topic_setting
    from .topic import read_topic

    reading = read_topic(topic)
    chosen = SETTINGS.get(setting) or topic_setting(topic, reading.goal)
    if chosen.scene in ("sky", "hills") and reading.time == "night":
        return chosen.name, "stars"  # an open sky at night ("lonely tonight", "3am")
    if chosen.scene in ("water", "river", "forest") and reading.time == "night":
        return chosen.name, f"{chosen.scene}:night"  # a lake at midnight is not in daylight
    return chosen.name, chosen.scene


async def image_generation(task: Task, context: Context) -> dict[str, Any]:
    from ...media.art import render_art

    out = Path(task.inputs["out"])
    theme = " ".join(str(task.inputs.get(k, "")) for k in ("topic", "theme")).strip()
    size = (int(task.inputs.get("width", 1920)), int(task.inputs.get("height", 1080)))
    # one scene for words and picture: the script's setting (issue 25.3)
    setting, kind = scene_of(str(task.inputs.get("setting") or ""),
                             str(task.inputs.get("topic", "")))
    path = await in_process(context, render_art, theme, out, seed=context.seed, size=size,
                            kind=kind)
    # the moving loop of this scene is drawn by video_assembly, beside the mix
    return {"path": str(path), "setting": setting,
            "scene": {"theme": theme, "seed": context.seed, "kind": kind}}


async def video_assembly(task: Task, context: Context) -> dict[str, Any]:
    from ...media.art import render_loop
    from ...media.mix import mix
    from ...media.video import assemble

    mixing = in_process(context, mix, Path(task.inputs["voice"]), Path(task.inputs["music"]),
                        Path(task.inputs["mix_out"]),
                        lead_in=float(task.inputs.get("lead_in", LEAD_IN)),
                        tail=float(task.inputs.get("tail", TAIL)),
                        wind_down_db=float(task.inputs.get("wind_down_db", 0.0)))
    scene, loop = task.inputs.get("scene"), None
    if scene:                                  # our own scene: it moves (drawn beside the mix)
        mixed, loop = await asyncio.gather(mixing, in_process(
            context, render_loop, scene["theme"], Path(task.inputs["loop_out"]),
            seed=int(scene["seed"]), kind=scene.get("kind")))
    else:
        mixed = await mixing
    info = await in_process(context, assemble, Path(task.inputs["image"]), mixed.path,
                            Path(task.inputs["out"]), loop=loop,
                            fade_out=float(task.inputs.get("fade_out", 0.0)))
    return {"path": str(info.path), "duration": info.duration, "mix": str(mixed.path),
            "lufs": mixed.lufs, "true_peak_dbtp": mixed.true_peak_dbtp,
            "lead_in": float(task.inputs.get("lead_in", LEAD_IN))}


async def thumbnail(task: Task, context: Context) -> dict[str, Any]:
    from ...media.thumbnail import render_thumbnail

    result = await in_process(context, render_thumbnail, str(task.inputs["title"]),
                              Path(task.inputs["image"]), Path(task.inputs["out"]),
                              words=task.inputs.get("words"),
                              channel=str(task.inputs.get("channel") or task.channel or ""))
    return {"path": str(result.path), "contrast": result.contrast, "bytes": result.bytes,
            "small_contrast": result.small_contrast, "text": result.text,
            "layout": {"style": "default"}}


async def reuse_thumbnail(task: Task, context: Context, best: dict[str, Any]) -> dict[str, Any]:
    """The memory route: the best-scoring layout remembered for the channel, on new art."""
    artifact = await thumbnail(task, context)
    artifact["layout"] = best["payload"]
    artifact["reused"] = best["key"]
    return artifact


async def youtube_upload(task: Task, context: Context) -> dict[str, Any]:
    from ..youtube import publish

    return await publish(task, context)


# -- after the run (learn) ----------------------------------------------------------------------
def learn(memory: Any, channel: str, outcomes: dict[str, Any]) -> None:
    """What the next run should know: the thumbnail layout and the concept that worked."""
    thumb = outcomes.get("thumbnail")
    if thumb is not None and not thumb.resumed and thumb.result.record.get("quality"):
        memory.remember("thumbnail_layout", channel, thumb.result.record.get("backend", ""),
                        thumb.result.value.get("layout", {}), thumb.result.record["quality"])
    concept = outcomes.get("meditation_concept")
    polish = outcomes.get("quality_polish")
    if concept is not None and polish is not None and not polish.resumed:
        c = concept.result.value["concept"]
        memory.remember("concept_performance", channel, c["title"][:120],
                        {"theme": c["theme"], "technique": c["technique"],
                         "quality": polish.result.record.get("quality") or 0.0},
                        float(polish.result.record.get("quality") or 0.0))
