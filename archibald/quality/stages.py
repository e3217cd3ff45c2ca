"""Which route-blind check scores which stage's artifact.

:func:`check_artifact` takes a task (its type and inputs: the brief, never the route) and the
artifact in the stage's shape, and returns ``(score in [0, 1], details)``. The pipeline's stage
checks call it after turning whatever route answered into that shape.
"""

from __future__ import annotations

import re
from typing import Any

from ..tasks import Task

__all__ = ["check_artifact", "SCRIPT_TASKS"]

#: task types whose artifact is a whole script
SCRIPT_TASKS = ("script_writing", "script_review", "quality_polish")


def _topic(task: Task) -> str:
    concept = task.inputs.get("concept")
    if isinstance(concept, dict) and concept.get("topic"):
        return str(concept["topic"])
    return str(task.inputs.get("topic", ""))


def _tts(task: Task, art: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    """A script made speakable: nothing a voice misreads left, and nothing of it lost."""
    from ..pipeline.local import script_from_dict

    script = script_from_dict(art["script"])
    given = script_from_dict(task.inputs["script"])
    if not script.sections or script.word_count() < 0.8 * given.word_count():
        return 0.0, {"error": f"the answer keeps {script.word_count()} of "
                              f"{given.word_count()} words of the script"}
    text = re.sub(r"\[pause [\d.]+s\]", "", script.spoken_text())
    left = re.findall(r"(?<!pause )\d|[%&/]", text)
    return (1.0 if not left else max(0.0, 1 - len(left) / 20)), {"unspeakable": len(left)}


def _voice(task: Task, art: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    from ..media.audio import read_audio
    from ..media.quality import score_audio
    from ..pipeline.local import script_from_dict
    from .media import check_voice

    # a raw voice track is not yet loudness-normalised: clipping, holes and length only
    base, facts = score_audio(art["path"], loudness=False)
    if "error" in facts:
        return 0.0, facts
    samples, rate = read_audio(art["path"])
    voice, details = check_voice(samples, rate, script_from_dict(task.inputs["script"]))
    parts = {**facts.get("parts", {}), **details["parts"]}
    return round(min(base, voice) if base < 1.0 else voice, 4), {**details, "parts": parts}


def _video(task: Task, art: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    from ..media.audio import read_audio
    from ..media.quality import score_video
    from .media import check_mix

    score, details = score_video(art["path"], art.get("duration"))
    if art.get("mix"):
        samples, rate = read_audio(art["mix"])
        music = task.inputs.get("music")
        mixed, mix_details = check_mix(samples, rate,
                                       bed=read_audio(music) if music else None)
        details["mix"] = mix_details
        score = min(score, mixed)
    return score, details


def check_artifact(task: Task, art: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    """Score one stage's artifact with the check for its kind."""
    t = task.type
    minutes = task.minutes
    if t in SCRIPT_TASKS:
        from ..pipeline.local import script_from_dict
        from .text import check_script

        return check_script(script_from_dict(art["script"]), topic=_topic(task),
                            minutes=minutes)
    if t == "tts_qa":
        return _tts(task, art)
    if t == "meditation_concept":
        from .text import check_title

        if art.get("reply_json") is False:  # the model ignored the JSON asked for: paid, unused
            return 0.0, {"error": "the reply is not the JSON object asked for"}

        return check_title(str(art["concept"].get("title", "")), topic=_topic(task),
                           minutes=minutes)
    if t == "market_research":
        from .text import check_research

        return check_research(art["brief"], _topic(task))
    if t == "audio_generation":
        return _voice(task, art)
    if t == "music_generation":
        from ..media.probe import probe_audio

        facts = probe_audio(art["path"])
        ok = facts.duration >= 0.95 * float(task.inputs["seconds"])
        return (1.0 if ok else 0.3), {"duration": facts.duration}
    if t == "image_generation":
        from .media import check_image

        return check_image(art["path"])
    if t == "thumbnail":
        from ..media.thumbnail import thumbnail_words
        from .media import check_image

        drawn = art.get("text") or " ".join(thumbnail_words(str(task.inputs.get("title", ""))))
        return check_image(art["path"], size=(1280, 720), words=str(drawn).split())
    if t == "video_assembly":
        return _video(task, art)
    if t == "youtube_upload":
        from ..script.quality import score_metadata
        from .text import check_title

        meta = art["metadata"]
        base, details = score_metadata(meta)
        title, title_d = check_title(str(meta.get("title", "")), topic=_topic(task),
                                     minutes=minutes)
        # the title was judged at the concept stage; here YouTube's rules weigh most
        return round(0.75 * base + 0.25 * title, 4), {**details, "title": title_d}
    return 1.0, {}
