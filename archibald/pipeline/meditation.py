"""The flagship pipeline: topic -> guided-meditation video, twelve routed stages.

Each stage builds a task from its dependencies' results, sends it through the router (which
picks the route, falls back, escalates on a failed quality check and records every attempt in
the ledger), turns whatever route answered into the stage's artifact, and returns a record for
run.json. The DAG lets the media stages run beside the script stages.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any, Awaitable, Callable

from ..router import RouteResult, Router
from ..script.model import Script, timeline
from ..tasks import Context, Outcome, Task
from .engine import PHASES, Stage, StageInput, StageResult
from .local import brief_from_dict, script_from_dict, script_from_markdown, script_to_dict

__all__ = ["STAGES", "build_stages", "LEAD_IN", "TAIL", "script_minutes"]

LEAD_IN = 3.0  # seconds of music before the first word
TAIL = 15.0  # seconds of music after the last word
SLEEP_WIND_DOWN_DB = 8.0  # how far a sleep session's last minutes fall


def script_minutes(minutes: float) -> float:
    """How long the voice track (what the script stages write and score, leads included) must
    run for the video to last ``minutes``: the music before and after the voice is the rest."""
    return (minutes * 60.0 - LEAD_IN - TAIL) / 60.0

_SYSTEM = ("You are a senior writer of guided meditations for a YouTube channel. Second person, "
           "present tense, invitational, concrete sensory images, short sentences. Mark pauses "
           "as [pause Ns]. Never use clinical or alarming words or promise medical effects.")


def _script_prompt(action: str, script: Script, minutes: float) -> str:
    return (f"{action}\nTarget length: {minutes:g} minutes at 100-130 spoken words per minute "
            f"including pauses. Keep the sections and their '## ' headings; answer with the "
            f"whole script as markdown, nothing else.\n\n{script.to_markdown()}")


# -- turning a route's answer into the stage's artifact --------------------------------------
def _adopt(task: Task, outcome: Outcome) -> Any:
    """The artifact in the local route's shape, whichever route produced it."""
    art = outcome.artifact
    if isinstance(art, dict) or task.type not in _TEXT_ADOPTERS:
        return art
    return _TEXT_ADOPTERS[task.type](task, str(art))


def _adopt_script(task: Task, text: str) -> dict[str, Any]:
    base = script_from_dict(task.inputs["script"]) if "script" in task.inputs else None
    kinds = tuple(s.kind for s in base.sections) if base else ()
    script = script_from_markdown(text, title=base.title if base else "",
                                  minutes=task.minutes, sleep=base.sleep if base else False,
                                  kinds=kinds)
    return {"script": script_to_dict(script), "changes": ["rewritten by the model"]}


def _adopt_writing(task: Task, text: str) -> dict[str, Any]:
    c = task.inputs["concept"]
    kinds = ("settling", "breath", "practice", "affirmations", "fade" if c.get("sleep")
             else "return")
    script = script_from_markdown(text, title=c["title"], minutes=task.minutes,
                                  sleep=bool(c.get("sleep")), kinds=kinds)
    return {"script": script_to_dict(script), "changes": []}


def _adopt_concept(task: Task, text: str) -> dict[str, Any]:
    from ..script.catalogue import catalogue

    cat = catalogue()
    try:
        start, end = text.index("{"), text.rindex("}") + 1
        data = json.loads(text[start:end])
    except ValueError:
        data = {}
    fallback = task.inputs["fallback"]
    concept = dict(fallback)
    for key, table in (("theme", "themes"), ("technique", "techniques"),
                       ("audience", "audiences")):
        if data.get(key) in cat[table]:
            concept[key] = data[key]
    title = str(data.get("title", "")).strip()
    if 0 < len(title) <= 100:
        concept["title"] = title
    return {"concept": concept, "reply_json": isinstance(data, dict) and bool(data)}


def _adopt_research(task: Task, text: str) -> dict[str, Any]:
    brief = dict(task.inputs["fallback"])
    brief["notes"] = list(brief.get("notes", [])) + [text.strip()[:2000]]
    return {"brief": brief}


def _adopt_tts(task: Task, text: str) -> dict[str, Any]:
    from ..script.speakable import speakable_with_changes

    adopted = _adopt_script(task, text)
    script = script_from_dict(adopted["script"])
    sections, changes = [], ["normalised by the model"]
    for s in script.sections:  # a safety net: whatever the model missed
        fixed, changed = speakable_with_changes(s.text)
        sections.append(dataclasses.replace(s, text=fixed))
        changes += changed
    return {"script": script_to_dict(dataclasses.replace(script, sections=tuple(sections))),
            "changes": changes}


_TEXT_ADOPTERS: dict[str, Callable[[Task, str], dict[str, Any]]] = {
    "market_research": _adopt_research, "meditation_concept": _adopt_concept,
    "script_writing": _adopt_writing, "script_review": _adopt_script,
    "quality_polish": _adopt_script, "tts_qa": _adopt_tts,
}


# -- quality checks ---------------------------------------------------------------------------
def _check(task: Task) -> Callable[[Outcome], tuple[float, dict[str, Any]]]:
    def check(outcome: Outcome) -> tuple[float, dict[str, Any]]:
        art = _adopt(task, outcome)
        outcome.detail["artifact"] = art
        return _score(task, art)
    return check


def _score(task: Task, art: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    """The route-blind check of the artifact's kind (see archibald.quality.stages)."""
    from ..quality.stages import check_artifact

    if "script" in art and not script_from_dict(art["script"]).sections:
        return 0.0, {"error": "no sections"}
    return check_artifact(task, art)


# -- one routed stage ---------------------------------------------------------------------------
Builder = Callable[[StageInput], dict[str, Any]]


def _record(result: RouteResult, quality_details: Any = None) -> dict[str, Any]:
    """The stage's record for run.json: every attempt, and the baseline with its working."""
    d = result.decision
    attempts = [{"route": a.route, "backend": a.backend, "model": a.model,
                 "success": a.success, "cost_nano": a.cost_nano,
                 "baseline_nano": a.baseline_nano, "quality": a.quality,
                 "seconds": round(a.seconds, 3), "usage": a.usage, "error": a.error,
                 "price_source": a.price_source, "status": a.status,
                 "max_cost_nano": a.max_cost_nano,
                 "purpose": a.purpose} for a in result.attempts]
    baseline = result.outcome.detail.get("baseline") if not result.below_floor else None
    return {"task_type": d.task_type, "route": result.outcome.route,
            "decision": d.decision, "reason": d.reason, "learned": d.learned,
            "estimated_premium_usd": d.analysis.estimated_cost,
            "attempts": attempts, "cost_nano": result.cost_nano,
            "baseline_nano": result.baseline_nano,
            "baseline": baseline or {"nano": 0, "missing": "no accepted result to price"},
            "quality": result.outcome.quality, "below_floor": result.below_floor,
            "backend": result.outcome.backend,
            # what the judge (and the shadow) said; their calls are attempts with a purpose
            "quality_assurance": result.outcome.detail.get("quality_assurance"),
            "qa_cost_nano": result.qa_cost_nano}


def routed(task_type: str, build: Builder, router: Router, run_id: str, channel: str,
           minutes: float, settings: Any) -> Callable[[StageInput], Awaitable[StageResult]]:
    """A stage function: build the task, route it, adopt the answer, keep its files."""
    async def run(si: StageInput) -> StageResult:
        inputs = {"minutes": minutes, **build(si)}
        task = Task(task_type, inputs, channel)
        context = Context(workdir=si.stage_dir, seed=si.seed, settings=settings,
                          extra={"stage": si, "run_id": run_id,
                                 "batcher": getattr(router, "batcher", None)})
        result = await router.run(task, context, run_id=run_id, stage=si.stage,
                                  check=_check(task))
        art = result.outcome.detail.get("artifact") or _adopt(task, result.outcome)
        files = {k: Path(v) for k, v in art.items()
                 if k in ("path", "mix") and isinstance(v, str)
                 and Path(v).resolve().is_relative_to(si.stage_dir.resolve())}
        return StageResult(value=art, files=files, record=_record(result))
    return run


# -- the twelve stages --------------------------------------------------------------------------
def _script(si: StageInput, dep: str) -> dict[str, Any]:
    script: dict[str, Any] = si.deps[dep].value["script"]
    return script


def build_stages(router: Router, *, run_id: str, topic: str, minutes: float, channel: str,
                 settings: Any, publish_at: str = "") -> list[Stage]:
    """The meditation DAG, every stage routed. The channel's history is not an input: it may
    change which route runs, never what a route writes for a topic and seed. ``publish_at``
    (ISO 8601, UTC) schedules the upload: private until then, public from then (YouTube's
    status.publishAt)."""
    def stage(name: str, deps: tuple[str, ...], phase: int, build: Builder,
              cpu: bool = False, keys: tuple[str, ...] = ()) -> Stage:
        return Stage(name, name, deps, routed(name, build, router, run_id, channel, minutes,
                                              settings),
                     cpu_bound=cpu, phase=PHASES[phase],
                     key_inputs=("topic", "minutes", "channel") + keys)

    def research_inputs(si: StageInput) -> dict[str, Any]:
        from ..script.research import research

        fallback = dataclasses.asdict(research(topic, seed=si.seed))
        return {"topic": topic, "fallback": fallback,
                "system": "You research YouTube meditation audiences.",
                "prompt": f"What angle, technique and audience would make a {minutes:g}-minute "
                          f"guided meditation about '{topic}' perform well this month? Give "
                          f"three short, concrete findings."}

    def concept_inputs(si: StageInput) -> dict[str, Any]:
        from ..script.concept import make_concept

        b = si.deps["market_research"].value["brief"]
        fallback = dataclasses.asdict(make_concept(topic, minutes, brief_from_dict(b),
                                                   seed=si.seed))
        return {"topic": topic, "brief": b, "fallback": fallback, "system": _SYSTEM,
                "prompt": f"Propose a concept for a {minutes:g}-minute guided meditation about "
                          f"'{topic}'. Research notes: {b.get('notes')}. Answer as JSON with "
                          f"keys theme, technique, audience, title (<= 100 characters). "
                          f"Suggested: {json.dumps(fallback)}"}

    voice_minutes = script_minutes(minutes)  # the script stages' target, not the video's
    look = settings.channel(channel)  # the channel's voice, music and art ([channels.NAME])

    def writing_inputs(si: StageInput) -> dict[str, Any]:
        c = si.deps["meditation_concept"].value["concept"]
        return {"concept": {**c, "minutes": voice_minutes}, "minutes": voice_minutes,
                "system": _SYSTEM,
                "prompt": f"Write the complete guided meditation '{c['title']}' "
                          f"({c['technique']}, theme {c['theme']}, for {c['audience']}), "
                          f"{voice_minutes:g} minutes at 100-130 spoken words per minute "
                          f"including [pause Ns] marks, as markdown: '# title' then five '## ' "
                          f"sections (arrival, breath, the practice, affirmations, "
                          f"{'fade' if c.get('sleep') else 'return'}).",
                "max_tokens": int(260 * minutes)}

    def edit_inputs(dep: str, action: str) -> Builder:
        def build(si: StageInput) -> dict[str, Any]:
            script = _script(si, dep)
            return {"script": script, "system": _SYSTEM, "max_tokens": int(260 * minutes),
                    "minutes": voice_minutes, "topic": topic,
                    "prompt": _script_prompt(action, script_from_dict(script), voice_minutes)}
        return build

    def tts_inputs(si: StageInput) -> dict[str, Any]:
        script = _script(si, "quality_polish")
        md = script_from_dict(script).to_markdown()
        return {"script": script, "max_tokens": int(260 * minutes),
                "instruction": "Rewrite for a text-to-speech voice: numbers, times, symbols and "
                               "abbreviations as words; keep [pause Ns] marks.\n\n" + md,
                "prompt": "Rewrite this meditation script for a text-to-speech voice: write "
                          "numbers, times, symbols and abbreviations as spoken words, turn "
                          "ellipses and dashes into [pause 1s], keep everything else and the "
                          "'## ' headings. Answer with the whole markdown.\n\n" + md}

    def audio_inputs(si: StageInput) -> dict[str, Any]:
        script = script_from_dict(_script(si, "tts_qa"))
        return {"text": script.spoken_text(), "out": str(si.stage_dir / "voice.wav"),
                "script": _script(si, "tts_qa"),
                "length_scale": float(settings.media.get("length_scale", 1.57)),
                "sentence_pause": float(settings.media.get("sentence_pause", 1.0)),
                "voice_id": look.voice_id,
                # sentences per section, so the voice can say where each chapter really starts
                "section_firsts": [[sec.name, sum(isinstance(x, str) for x in timeline(sec.text))]
                                   for sec in script.sections]}

    def music_inputs(si: StageInput) -> dict[str, Any]:
        c = si.deps["meditation_concept"].value["concept"]
        return {"seconds": round(minutes * 60 + 10, 1),     # the mix trims it to the video
                "out": str(si.stage_dir / "music.wav"), "key": "D",
                "topic": f"{topic} {c['theme']}", "sleep": bool(c.get("sleep")),
                "prompt": f"{look.music_style}, {c['theme']}"}

    def image_inputs(si: StageInput) -> dict[str, Any]:
        c = si.deps["meditation_concept"].value["concept"]
        return {"theme": c["theme"], "topic": topic,
                "out": str(si.stage_dir / "background.png"),
                "width": 1920, "height": 1080,
                "prompt": f"{c['theme']} for a meditation video, {look.art_style}"}

    def video_inputs(si: StageInput) -> dict[str, Any]:
        picture = si.deps["image_generation"].value
        return {"voice": si.deps["audio_generation"].value["path"],
                "music": si.deps["music_generation"].value["path"],
                "image": picture["path"], "scene": picture.get("scene"),
                "loop_out": str(si.stage_dir / "background.mp4"),
                # a sleep session fades out: the last minutes fall (issue 12)
                "wind_down_db": SLEEP_WIND_DOWN_DB if si.deps["meditation_concept"]
                .value["concept"].get("sleep") else 0.0,
                "mix_out": str(si.stage_dir / "mix.wav"), "out": str(si.stage_dir / "video.mp4"),
                "lead_in": LEAD_IN, "tail": TAIL,
                "prompt": "Plan an ffmpeg assembly of a still image and an audio file.",
                "instruction": "Assemble the still image and the mixed audio into an MP4."}

    def thumb_inputs(si: StageInput) -> dict[str, Any]:
        c = si.deps["meditation_concept"].value["concept"]
        from ..script.topic import thumbnail_words

        return {"title": c["title"],
                "words": c.get("thumbnail_words") or thumbnail_words(topic) or None,
                "channel": channel, "image": si.deps["image_generation"].value["path"],
                "out": str(si.stage_dir / "thumbnail.jpg"), "width": 1280, "height": 720,
                "prompt": f"thumbnail background, {c['theme']}, {look.art_style}, high "
                          f"contrast"}

    def upload_inputs(si: StageInput) -> dict[str, Any]:
        from ..backends.youtube import synthetic_media

        audio = si.deps["audio_generation"].value
        return {"concept": si.deps["meditation_concept"].value["concept"],
                "script": _script(si, "tts_qa"), "voice": audio,
                "video": si.deps["video_assembly"].value,
                "thumbnail": si.deps["thumbnail"].value["path"],
                "publish_dir": str(si.stage_dir / "publish"), "lead_in": LEAD_IN,
                "privacy": "private" if publish_at else settings.publish.get("privacy",
                                                                               "private"),
                "publish_at": publish_at,
                "synthetic_media": synthetic_media(settings, channel),
                "dry_run": bool(settings.publish.get("dry_run", True)),
                "prompt": "Write YouTube metadata (title, description with chapters, tags)."}

    return [
        stage("market_research", (), 0, research_inputs),
        stage("meditation_concept", ("market_research",), 0, concept_inputs),
        stage("script_writing", ("meditation_concept",), 0, writing_inputs),
        stage("script_review", ("script_writing",), 0,
              edit_inputs("script_writing", "Review this script: fix length, repetition, "
                                            "long sentences and clinical words.")),
        stage("quality_polish", ("script_review",), 0,
              edit_inputs("script_review", "Polish this script in the channel's calm voice.")),
        stage("tts_qa", ("quality_polish",), 2, tts_inputs),
        stage("audio_generation", ("tts_qa",), 1, audio_inputs, cpu=True),
        stage("music_generation", ("meditation_concept",), 1, music_inputs, cpu=True),
        stage("image_generation", ("meditation_concept",), 1, image_inputs, cpu=True),
        stage("video_assembly", ("audio_generation", "music_generation", "image_generation",
                                 "meditation_concept"), 3, video_inputs, cpu=True),
        stage("thumbnail", ("meditation_concept", "image_generation"), 3, thumb_inputs),
        stage("youtube_upload", ("meditation_concept", "tts_qa", "audio_generation",
                                 "video_assembly", "thumbnail"), 4, upload_inputs,
              keys=("publish_at",)),
    ]


STAGES = ("market_research", "meditation_concept", "script_writing", "script_review",
          "quality_polish", "tts_qa", "audio_generation", "music_generation",
          "image_generation", "video_assembly", "thumbnail", "youtube_upload")
