"""The Short's YouTube metadata: title, description, tags and #Shorts, offline or adopted
from a model, and its check."""

from __future__ import annotations

import re
from typing import Any
from ...script.model import (Script)
from ...core.tasks import Context, Task
from .timing import _HASHTAG, _json_object, _script_of, _seconds, length_agrees
from .concept import short_title


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
    if not length_agrees(title, seconds, max(1.0, 0.1 * seconds)):
        title = short_title(topic, seconds, theme_id)       # never another length's title
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
                  "short meditation", "micro meditation", benefit,
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
    if 0 < len(title) <= 100 and length_agrees(title, seconds, max(1.0, 0.1 * seconds)):
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
             "length_agrees": 1.0 if length_agrees(
                 title, float(meta.get("seconds") or _seconds(task)),
                 max(1.0, 0.1 * float(meta.get("seconds") or _seconds(task)))) else 0.0,
             "on_topic": round(min(1.0, 2 * on_topic), 4)}
    return round(sum(parts.values()) / len(parts), 4), {
        "parts": parts, "title_chars": len(title), "tags_chars": tags_length(tags),
        "coverage": cov}
