"""The Short pipeline's own functions (archibald/pipelines/short.py), called directly as the
engine would call a stage's local route: the micro-meditation fits its time and names the
topic, the vertical video is a Short (1080x1920 H.264, as long as asked, moving), and a voice too
long for the Short asked is cut to fit."""

from __future__ import annotations

import asyncio
import json
import math
import tomllib
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from archibald.pipelines import short
from archibald.core.tasks import Context, Task

TOPIC = "stress before a job interview"


def _run(fn: Any, task_type: str, inputs: dict[str, Any], workdir: Path,
         seed: int = 3) -> dict[str, Any]:
    workdir.mkdir(parents=True, exist_ok=True)
    value: dict[str, Any] = asyncio.run(fn(Task(task_type, inputs), Context(workdir=workdir,
                                                                           seed=seed)))
    return value


def _media(topic: str, seconds: float, script: dict[str, Any], concept: dict[str, Any],
           root: Path, seed: int = 3) -> tuple[dict[str, Any], ...]:
    """The Short's voice, music, picture and video on the local route, each in its folder."""
    voice = _run(short.voice, "short_voice", {"text": script["tts_text"],
                                              "out": str(root / "voice" / "voice.wav")},
                 root / "voice", seed)
    music = _run(short.music, "short_music", {"seconds": seconds, "topic": topic},
                 root / "music", seed)
    picture = _run(short.portrait, "image_generation",
                   {"topic": topic, "theme": concept["theme"]}, root / "portrait", seed)
    video = _run(short.video, "short_video", {"voice": voice, "music": music,
                                              "picture": picture, "seconds": seconds},
                 root / "video", seed)
    return voice, music, picture, video


def _script(topic: str, seconds: float, workdir: Path, seed: int = 3) -> dict[str, Any]:
    brief = _run(short.research, "market_research", {"topic": topic}, workdir, seed)["brief"]
    concept = _run(short.concept, "meditation_concept",
                   {"topic": topic, "seconds": seconds, "brief": brief}, workdir, seed)
    return _run(short.short_script, "short_script",
                {"topic": topic, "seconds": seconds, "concept": concept}, workdir, seed)


@pytest.mark.parametrize("topic,seconds", [(TOPIC, 45.0), ("can't sleep", 15.0),
                                           ("evening calm", 60.0)])
def test_script_fits_the_time_and_names_the_topic(tmp_path: Path, topic: str,
                                                  seconds: float) -> None:
    value = _script(topic, seconds, tmp_path)
    task = Task("short_script", {"topic": topic, "seconds": seconds})
    score, details = short.check_script(task, value)
    target = short.voice_target(seconds)
    est = value["estimated_seconds"]
    assert 0.75 * target <= est <= target + 1.0, details
    assert est + short.LEAD_IN + short.MIN_TAIL <= short.HARD_CAP
    assert score >= 0.9 and details["parts"]["topic"] == 1.0, details
    text = value["text"].lower()
    assert all(w in text for w in topic.lower().replace("'", "").split() if len(w) > 4
               and w != "before") or topic.split()[-1] in text
    # a hook said in the first two seconds, one breathing practice, a close
    assert [s["kind"] for s in value["script"]["sections"]] == ["hook", "breath", "close"]
    assert details["parts"]["hook"] == 1.0 and details["parts"]["breath"] == 1.0
    assert "two, three" in text and "#" not in text
    # the paid voice gets break tags, the offline voice reads them back as the same pauses
    assert "[pause" not in value["tts_text"] and "<break time=" in value["tts_text"]
    assert short.timing._from_breaks(value["tts_text"]).count("[pause") >= value["text"].count("[pause")
    # deterministic from topic, length and seed
    assert _script(topic, seconds, tmp_path / "again")["text"] == value["text"]


def test_script_check_is_route_blind_and_catches_a_long_answer() -> None:
    task = Task("short_script", {"topic": TOPIC, "seconds": 30.0, "concept": {"title": "T"}})
    good = short.adopt_script(task, "# Calm\n\n## Hook\nNervous about the interview? [pause 0.5s]"
                              "\n\n## Breathe\nBreathe in, two, three, four. [pause 1s] And out,"
                              " two, three, four, five, six. [pause 2s] Breathe in, two, three, "
                              "four. [pause 1s] And out, two, three, four, five, six. [pause 2s]"
                              "\n\n## Close\nTake this calm into the interview.")
    score, details = short.check_script(task, good)
    assert score >= 0.8 and details["parts"]["length"] == 1.0, details
    rambling = short.adopt_script(task, "## Hook\nHello there, today we will talk at length. "
                                  + "Breathe in slowly and notice everything around you. " * 30)
    long_score, long_details = short.check_script(task, rambling)
    assert long_details["parts"]["length"] == 0.0 and long_score < score


@pytest.fixture(scope="module")
def produced(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Every stage's local route, in the DAG's order, for a 20-second Short."""
    root = tmp_path_factory.mktemp("short")
    seconds = 20.0
    script = _script(TOPIC, seconds, root / "script")
    brief = _run(short.research, "market_research", {"topic": TOPIC}, root / "research")
    concept = _run(short.concept, "meditation_concept",
                   {"topic": TOPIC, "seconds": seconds, "brief": brief["brief"]}, root / "c")
    voice, music, picture, video = _media(TOPIC, seconds, script, concept, root)
    cover = _run(short.cover, "short_cover", {"title": concept["title"],
                                              "words": concept["words"],
                                              "image": picture["path"], "channel": "calm"},
                 root / "cover")
    meta = _run(short.metadata, "short_metadata",
                {"topic": TOPIC, "seconds": seconds, "concept": concept,
                 "script": script["script"], "duration": video["duration"]}, root / "meta")
    return {"seconds": seconds, "voice": voice, "video": video, "cover": cover,
            "metadata": meta, "picture": picture}


@pytest.mark.slow
def test_the_short_is_vertical_h264_under_a_minute_and_moves(produced: dict[str, Any]) -> None:
    from archibald.media.probe import frame_at, probe_video

    video = produced["video"]
    facts = probe_video(video["path"])
    assert (facts["width"], facts["height"]) == (1080, 1920)
    assert (facts["video_codec"], facts["profile"], facts["pix_fmt"]) == ("h264", "High",
                                                                        "yuv420p")
    assert abs(facts["fps"] - 30.0) < 0.01
    assert (facts["audio_codec"], facts["audio_profile"], facts["sample_rate"]) == ("aac", "LC",
                                                                                    48000)
    assert facts["atoms"].index("moov") < facts["atoms"].index("mdat")   # faststart
    assert facts["duration"] <= short.HARD_CAP
    assert abs(facts["duration"] - produced["seconds"]) <= 2.5
    assert -16.0 <= video["lufs"] <= -14.0 and video["true_peak_dbtp"] <= -1.0
    first = np.asarray(frame_at(video["path"], 0.0), dtype=np.int16)
    middle = np.asarray(frame_at(video["path"], facts["duration"] / 2), dtype=np.int16)
    assert first.shape == (1920, 1080, 3)
    assert float(np.mean(np.abs(first - middle))) > 0.5          # the scene moves
    score, details = short.check_video(Task("short_video", {"seconds": produced["seconds"]}),
                                       video)
    assert score == 1.0, details


@pytest.mark.slow
def test_cover_and_metadata_are_a_shorts(produced: dict[str, Any]) -> None:
    from PIL import Image

    cover = produced["cover"]
    with Image.open(cover["path"]) as im:
        assert im.size == (1080, 1920) and im.format == "JPEG"
    assert cover["contrast"] >= 4.5
    assert short.check_cover(Task("short_cover", {}), cover)[0] >= 0.8
    meta = produced["metadata"]["metadata"]
    assert "#Shorts" in meta["title"] and len(meta["title"]) <= 100
    assert "interview" in meta["title"].lower() and "#Shorts" in meta["description"]
    score, details = short.check_metadata(Task("short_metadata", {"topic": TOPIC}),
                                          produced["metadata"])
    assert score >= 0.9, details
    json.dumps(produced["metadata"])                                 # metadata.json as is


def _long_voice(path: Path, seconds: float) -> list[list[Any]]:
    """A voice-like track: 2.4 s phrases of a gliding tone, 0.8 s apart; their timings."""
    rate = 22050
    t = np.arange(int(seconds * rate)) / rate
    phrase = (t % 3.2) < 2.4
    tone = 0.4 * np.sin(2 * np.pi * (140 + 30 * np.sin(2 * np.pi * 0.7 * t)) * t)
    samples = (tone * phrase * (0.6 + 0.4 * np.sin(2 * np.pi * 3 * t) ** 2)).astype(np.float32)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((samples * 32767).astype("<i2").tobytes())
    return [[round(k * 3.2, 3), round(k * 3.2 + 2.4, 3), f"Sentence {k}."]
            for k in range(math.ceil(seconds / 3.2)) if k * 3.2 + 2.4 <= seconds]


@pytest.mark.slow
def test_a_too_long_voice_is_capped_near_the_length_asked(tmp_path: Path) -> None:
    from PIL import Image

    from archibald.media.probe import frame_at, probe_video

    voice_path = tmp_path / "long.wav"
    timings = _long_voice(voice_path, 75.0)
    # a paid route's still (no scene of ours): the video makes it breathe
    y, x = np.mgrid[0:1920, 0:1080]
    still = np.stack([(y / 1920 * 180 + 40), (x / 1080 * 120 + 60),
                      120 + 60 * np.sin(x / 90.0) * np.cos(y / 140.0)], axis=-1)
    Image.fromarray(still.astype(np.uint8), "RGB").save(tmp_path / "still.png")
    video = _run(short.video, "short_video",
                 {"voice": {"path": str(voice_path), "duration": 75.0, "sentences": timings},
                  "music": None, "picture": {"path": str(tmp_path / "still.png")},
                  "seconds": 60.0}, tmp_path / "video")
    facts = probe_video(video["path"])
    longest = max(facts["duration"], facts["video_duration"], facts["audio_duration"])
    assert video["trimmed"] and 55.0 <= longest <= 66.0 + 0.1, facts       # a tenth over, no more
    # cut at the end of a phrase, not inside one
    ends = [end for _, end, _ in timings]
    assert min(abs(video["voice_seconds"] - 0.3 - e) for e in ends) < 0.01
    first = np.asarray(frame_at(video["path"], 0.0), dtype=np.int16)
    middle = np.asarray(frame_at(video["path"], 5.5), dtype=np.int16)
    assert float(np.mean(np.abs(first - middle))) > 0.5          # the still breathes
    score, details = short.check_video(Task("short_video", {"seconds": 60.0}), video)
    assert score == 1.0, details


def test_the_pipeline_file_names_these_functions() -> None:
    """The Short's pipeline.toml stages name functions that exist here, and every template names an input,
    a need, the seed, the channel, the media settings or the stage's folder."""
    import importlib
    import re

    data = tomllib.loads((Path(short.__file__).with_name("pipeline.toml")).read_text("utf-8"))
    assert data["pipeline"]["name"] == "short" and data["pipeline"]["unit"] == "short"
    assert data["inputs"]["seconds"]["max"] == 180 and data["inputs"]["topic"]["required"]
    outputs: dict[str, str] = {}
    for stage in data["stages"]:
        for key in ("local", "adopt", "check"):
            if key in stage:
                module, name = stage[key].split(":")
                assert callable(getattr(importlib.import_module(module), name))
        known = set(data["inputs"]) | set(stage.get("needs", [])) | {"seed", "channel",
                                                                     "media", "stage_dir"}
        texts = [stage.get("prompt", ""), stage.get("system", ""),
                 *(str(v) for v in stage.get("inputs", {}).values())]
        for text in texts:
            for ref in re.findall(r"(?<!\{)\{([^{}]+)\}(?!\})", text):
                assert ref.split(".")[0] in known, (stage["name"], ref)
        outputs.update(stage.get("outputs", {}))
    assert {"short.mp4", "cover.jpg", "metadata.json"} <= set(outputs)
