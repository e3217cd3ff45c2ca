"""Route-blind checks of the meditation pipeline's artifacts, one per kind of work.

Each takes a task (its type and inputs: the brief, never the route) and the artifact in the
stage's shape, and returns ``(score in [0, 1], details)``. A pipeline file names them as its
stages' ``check``; the runner calls them after turning whatever route answered into that shape.
"""

from __future__ import annotations

import re
from typing import Any

from ...core.tasks import Task

__all__ = ["check_script_work", "check_speakable", "check_concept", "check_brief",
           "check_voice_track", "check_music_bed", "check_picture", "check_thumbnail",
           "check_video_file", "check_upload"]

def _topic(task: Task) -> str:
    concept = task.inputs.get("concept")
    if isinstance(concept, dict) and concept.get("topic"):
        return str(concept["topic"])
    return str(task.inputs.get("topic", ""))


def check_speakable(task: Task, art: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    """A script made speakable: nothing a voice misreads left, and nothing of it lost."""
    from ...script.forms import script_from_dict

    script = script_from_dict(art["script"])
    given = script_from_dict(task.inputs["script"])
    if not script.sections or script.word_count() < 0.8 * given.word_count():
        return 0.0, {"error": f"the answer keeps {script.word_count()} of "
                              f"{given.word_count()} words of the script"}
    text = re.sub(r"\[pause [\d.]+s\]", "", script.spoken_text())
    left = re.findall(r"(?<!pause )\d|[%&/]", text)
    return (1.0 if not left else max(0.0, 1 - len(left) / 20)), {"unspeakable": len(left)}


def check_voice_track(task: Task, art: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    from ...media.audio import read_audio
    from ...media.quality import score_audio
    from ...script.forms import script_from_dict
    from ...quality.media import check_voice

    # a raw voice track is not yet loudness-normalised: clipping, holes and length only
    base, facts = score_audio(art["path"], loudness=False)
    if "error" in facts:
        return 0.0, facts
    samples, rate = read_audio(art["path"])
    voice, details = check_voice(samples, rate, script_from_dict(task.inputs["script"]))
    parts = {**facts.get("parts", {}), **details["parts"]}
    return round(min(base, voice) if base < 1.0 else voice, 4), {**details, "parts": parts}


def check_video_file(task: Task, art: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    from ...media.audio import read_audio
    from ...media.quality import score_video
    from ...quality.media import check_mix

    score, details = score_video(art["path"], art.get("duration"))
    if art.get("mix"):
        samples, rate = read_audio(art["mix"])
        music, voice = task.inputs.get("music"), task.inputs.get("voice")
        mixed, mix_details = check_mix(samples, rate,
                                       bed=read_audio(music) if music else None,
                                       voice=read_audio(voice) if voice else None,
                                       lead_in=float(art.get("lead_in", 0.0)))
        details["mix"] = mix_details
        score = min(score, mixed)
    return score, details


def check_script_work(task: Task, art: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    """A whole script (written, reviewed or polished): length, pauses, topic, repetition."""
    from ...script.forms import script_from_dict
    from ...quality.text import check_script

    if not script_from_dict(art["script"]).sections:
        return 0.0, {"error": "no sections"}
    return check_script(script_from_dict(art["script"]), topic=_topic(task),
                        minutes=task.minutes)


def check_concept(task: Task, art: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    """A concept: its title, for the topic and the length."""
    from ...quality.text import check_title

    if art.get("reply_json") is False:  # the model ignored the JSON asked for: paid, unused
        return 0.0, {"error": "the reply is not the JSON object asked for"}
    return check_title(str(art["concept"].get("title", "")), topic=_topic(task),
                       minutes=task.minutes)


def check_brief(task: Task, art: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    """Research findings: about the topic, concrete."""
    from ...quality.text import check_research

    return check_research(art["brief"], _topic(task))


def check_music_bed(task: Task, art: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    """A music bed at least as long as asked."""
    from ...media.probe import probe_audio

    facts = probe_audio(art["path"])
    ok = facts.duration >= 0.95 * float(task.inputs["seconds"])
    return (1.0 if ok else 0.3), {"duration": facts.duration}


def check_picture(task: Task, art: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    """A background picture: size, detail, not blank."""
    from ...quality.media import check_image

    return check_image(art["path"])


def check_thumbnail(task: Task, art: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    """A thumbnail: 1280x720, its words readable."""
    from ...media.thumbnail import thumbnail_words
    from ...quality.media import check_image

    drawn = art.get("text") or " ".join(thumbnail_words(str(task.inputs.get("title", ""))))
    return check_image(art["path"], size=(1280, 720), words=str(drawn).split())


def check_upload(task: Task, art: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    """YouTube metadata: its rules, and a title for the topic."""
    from .scoring import score_metadata
    from ...quality.text import check_title

    meta = art["metadata"]
    base, details = score_metadata(meta)
    title, title_d = check_title(str(meta.get("title", "")), topic=_topic(task),
                                 minutes=task.minutes)
    # the title was judged at the concept stage; here YouTube's rules weigh most
    return round(0.75 * base + 0.25 * title, 4), {**details, "title": title_d}
