"""The publishing stage's local route: metadata with chapters, SRT subtitles, and either a dry
run (publish/ holds exactly what would be sent to YouTube) or the real resumable upload."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ...store.fsio import make_dir, place, write_file
from ...core.tasks import Context, Task

__all__ = ["publish", "chapters_for"]


def chapters_for(script: Any, voice: dict[str, Any], lead_in: float) -> list[tuple[float, str]]:
    """Chapter starts in the video: where the voice began each section's first sentence (the
    voice stage measures it), else each section's estimated start scaled to the voice's length.
    The first chapter starts at 0:00, as YouTube requires."""
    measured = voice.get("section_starts") or []
    if len(measured) == len(script.sections):
        return [(0.0 if i == 0 else lead_in + float(t), name)
                for i, (t, name) in enumerate(measured)]
    voice_duration = float(voice["duration"])
    starts = script.section_starts()
    estimated = script.estimated_seconds() or 1.0
    scale = voice_duration / estimated
    return [(0.0 if i == 0 else lead_in + t * scale, name)
            for i, (t, name) in enumerate(starts)]


async def publish(task: Task, context: Context) -> dict[str, Any]:
    from ..meditation.concept import Concept
    from .metadata import build_metadata
    from ...script.subtitles import build_srt
    from ...script.forms import script_from_dict

    concept = Concept(**task.inputs["concept"])
    script = script_from_dict(task.inputs["script"])
    voice = task.inputs["voice"]
    lead_in = float(task.inputs.get("lead_in", 3.0))
    chapters = chapters_for(script, voice, lead_in)
    metadata = build_metadata(concept, script, chapters)
    srt = build_srt([(s + lead_in, e + lead_in, text) for s, e, text in voice["sentences"]])
    out = Path(task.inputs["publish_dir"])
    make_dir(out)
    write_file(out / "subtitles.srt", srt)
    write_file(out / "metadata.json", json.dumps(metadata, indent=2))
    publish_at = str(task.inputs.get("publish_at") or "")
    privacy = "private" if publish_at else str(task.inputs.get("privacy", "private"))
    synthetic = bool(task.inputs.get("synthetic_media", True))
    from ...providers.backends.youtube import upload, video_body

    request = {
        "videos.insert": {
            "part": "snippet,status",
            # as the live upload
            "body": video_body(metadata, privacy, synthetic=synthetic,
                               publish_at=publish_at or None),
            "media": {"file": "video.mp4", "bytes": Path(task.inputs["video"]["path"])
                      .stat().st_size, "mimetype": "video/mp4", "resumable": True},
        },
        "thumbnails.set": {"media": {"file": "thumbnail.jpg",
                                     "bytes": Path(task.inputs["thumbnail"]).stat().st_size,
                                     "mimetype": "image/jpeg"}},
        "captions.insert": {"part": "snippet", "media": {"file": "subtitles.srt"},
                            "language": metadata.get("defaultLanguage", "en")},
    }
    result: dict[str, Any] = {"metadata": metadata, "srt": str(out / "subtitles.srt"),
                              "publish_dir": str(out), "dry_run": True,
                              "publish_at": publish_at or None}
    settings = context.settings
    review = bool(settings is not None and settings.publish.get("review"))
    if review:  # a person approves it in the studio's publish queue; nothing is sent before
        result["review"] = "ready"
    if review or task.inputs.get("dry_run", True):
        for name, src in (("video.mp4", task.inputs["video"]["path"]),
                          ("thumbnail.jpg", task.inputs["thumbnail"])):
            place(src, out / name)
        write_file(out / "request.json", json.dumps(request, indent=2))
        return result
    from ...providers.backends.youtube import load_credentials

    # the channel's own YouTube account ([channels.NAME] youtube_token), else the default login
    token = settings.channel(task.channel).youtube_token if settings is not None else None
    uploaded = upload(Path(task.inputs["video"]["path"]), Path(task.inputs["thumbnail"]),
                      metadata, privacy=privacy, captions=out / "subtitles.srt",
                      synthetic=synthetic, publish_at=publish_at or None,
                      credentials=load_credentials(path=token))
    result.update(dry_run=False, youtube=uploaded)
    return result
