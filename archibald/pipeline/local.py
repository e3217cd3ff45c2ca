"""The local (offline, cost 0) route of each meditation stage, and the memory route's re-use.

Each runner takes the task (its inputs come from the stages it depends on) and the context
(``context.workdir`` is the stage's own folder; ``context.extra["stage"]`` the engine's
StageInput, whose worker processes run the CPU-heavy media work) and returns a JSON-able
artifact. Paths in artifacts are strings.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any, Awaitable, Callable

from ..script.model import Script, Section
from ..tasks import Context, Task

__all__ = ["RUNNERS", "REUSERS", "brief_from_dict", "script_to_dict", "script_from_dict", "script_from_markdown"]

Runner = Callable[[Task, Context], Awaitable[dict[str, Any]]]


def script_to_dict(script: Script) -> dict[str, Any]:
    return dataclasses.asdict(script)


def script_from_dict(data: dict[str, Any]) -> Script:
    sections = tuple(Section(**s) for s in data["sections"])
    return Script(title=data["title"], sections=sections, minutes=data.get("minutes", 0.0),
                  sleep=data.get("sleep", False))


def script_from_markdown(markdown: str, *, title: str = "", minutes: float = 0.0,
                         sleep: bool = False, kinds: tuple[str, ...] = ()) -> Script:
    """Parse '# Title' / '## Section' markdown (what an LLM route returns) into a Script."""
    sections: list[Section] = []
    name, buf = None, []  # type: ignore[var-annotated]
    for line in markdown.splitlines():
        if line.startswith("# ") and not title:
            title = line[2:].strip()
        elif line.startswith("## "):
            if name is not None:
                sections.append(Section(name, "\n".join(buf).strip()))
            name, buf = line[3:].strip(), []
        elif name is not None:
            buf.append(line)
    if name is not None:
        sections.append(Section(name, "\n".join(buf).strip()))
    if kinds and len(kinds) == len(sections):
        sections = [dataclasses.replace(s, kind=k) for s, k in zip(sections, kinds)]
    return Script(title=title or "Guided Meditation", sections=tuple(sections), minutes=minutes,
                  sleep=sleep)


def _cpu_workers(context: Context) -> int:
    """How many processes a CPU-heavy stage may use (one each when a batch shares the cores)."""
    stage = context.extra.get("stage")
    return min(2, int(getattr(stage, "cpu_workers", 2)))


async def _in_process(context: Context, fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
    stage = context.extra.get("stage")
    if stage is None:
        return fn(*args, **kw)
    return await stage.run_in_process(fn, *args, **kw)


async def market_research(task: Task, context: Context) -> dict[str, Any]:
    from ..script.research import research

    brief = research(task.inputs["topic"],
                     month=task.inputs.get("month") or dt.date.today().month, seed=context.seed)
    return {"brief": dataclasses.asdict(brief)}


def brief_from_dict(data: dict[str, Any]) -> Any:
    """A ResearchBrief back from its JSON form (lists become the tuples it holds)."""
    from ..script.research import ResearchBrief

    fields: dict[str, Any] = {k: tuple(tuple(x) if isinstance(x, list) else x for x in v)
                              if isinstance(v, list) else v for k, v in data.items()}
    return ResearchBrief(**fields)


async def meditation_concept(task: Task, context: Context) -> dict[str, Any]:
    from ..script.concept import make_concept

    brief = brief_from_dict(task.inputs["brief"])
    concept = make_concept(task.inputs["topic"], task.minutes, brief, seed=context.seed)
    return {"concept": dataclasses.asdict(concept)}


async def script_writing(task: Task, context: Context) -> dict[str, Any]:
    from ..script.concept import Concept
    from ..script.writer import write_script

    script = write_script(Concept(**task.inputs["concept"]), seed=context.seed)
    return {"script": script_to_dict(script), "changes": []}


async def _edit(task: Task, which: str) -> dict[str, Any]:
    from ..script import editors

    script = script_from_dict(task.inputs["script"])
    result = getattr(editors, which)(script, task.minutes)
    return {"script": script_to_dict(result.script), "changes": list(result.changes)}


async def script_review(task: Task, context: Context) -> dict[str, Any]:
    return await _edit(task, "review")


async def quality_polish(task: Task, context: Context) -> dict[str, Any]:
    return await _edit(task, "polish")


async def tts_qa(task: Task, context: Context) -> dict[str, Any]:
    from ..script.speakable import speakable_with_changes

    script = script_from_dict(task.inputs["script"])
    sections, changes = [], []
    for s in script.sections:
        text, changed = speakable_with_changes(s.text)
        sections.append(dataclasses.replace(s, text=text))
        changes += changed
    fixed = dataclasses.replace(script, sections=tuple(sections))
    return {"script": script_to_dict(fixed), "changes": changes}


async def audio_generation(task: Task, context: Context) -> dict[str, Any]:
    from ..media.voice import synthesize

    out = Path(task.inputs["out"])
    result = await _in_process(context, synthesize, task.inputs["text"], out,
                               length_scale=float(task.inputs.get("length_scale", 1.57)),
                               workers=int(task.inputs.get("workers") or _cpu_workers(context)),
                               sentence_pause=float(task.inputs.get("sentence_pause", 1.0)))
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
    from ..media.music import render_music

    out = Path(task.inputs["out"])
    path = await _in_process(context, render_music, float(task.inputs["seconds"]), out,
                             seed=context.seed, key=str(task.inputs.get("key", "D")),
                             topic=str(task.inputs.get("topic", "")),
                             sleep=bool(task.inputs.get("sleep", False)))
    return {"path": str(path), "seconds": float(task.inputs["seconds"])}


async def image_generation(task: Task, context: Context) -> dict[str, Any]:
    from ..media.art import render_art

    out = Path(task.inputs["out"])
    theme = " ".join(str(task.inputs.get(k, "")) for k in ("topic", "theme")).strip()
    path = await _in_process(context, render_art, theme, out, seed=context.seed)
    # the moving loop of this scene is drawn by video_assembly, beside the mix
    return {"path": str(path), "scene": {"theme": theme, "seed": context.seed}}


async def video_assembly(task: Task, context: Context) -> dict[str, Any]:
    from ..media.art import render_loop
    from ..media.mix import mix
    from ..media.video import assemble

    mixing = _in_process(context, mix, Path(task.inputs["voice"]), Path(task.inputs["music"]),
                         Path(task.inputs["mix_out"]),
                         wind_down_db=float(task.inputs.get("wind_down_db", 0.0)))
    scene, loop = task.inputs.get("scene"), None
    if scene:                                  # our own scene: it moves (drawn beside the mix)
        mixed, loop = await asyncio.gather(mixing, _in_process(
            context, render_loop, scene["theme"], Path(task.inputs["loop_out"]),
            seed=int(scene["seed"])))
    else:
        mixed = await mixing
    info = await _in_process(context, assemble, Path(task.inputs["image"]), mixed.path,
                             Path(task.inputs["out"]), loop=loop)
    return {"path": str(info.path), "duration": info.duration, "mix": str(mixed.path),
            "lufs": mixed.lufs, "true_peak_dbtp": mixed.true_peak_dbtp,
            "lead_in": float(task.inputs.get("lead_in", 3.0))}


async def thumbnail(task: Task, context: Context) -> dict[str, Any]:
    from ..media.thumbnail import render_thumbnail

    result = await _in_process(context, render_thumbnail, str(task.inputs["title"]),
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
    from .publish import publish

    return await publish(task, context)


RUNNERS: dict[str, Runner] = {
    "market_research": market_research,
    "meditation_concept": meditation_concept,
    "script_writing": script_writing,
    "script_review": script_review,
    "quality_polish": quality_polish,
    "tts_qa": tts_qa,
    "audio_generation": audio_generation,
    "music_generation": music_generation,
    "image_generation": image_generation,
    "video_assembly": video_assembly,
    "thumbnail": thumbnail,
    "youtube_upload": youtube_upload,
}

REUSERS: dict[str, Callable[[Task, Context, dict[str, Any]], Awaitable[dict[str, Any]]]] = {
    "thumbnail": reuse_thumbnail,
}
