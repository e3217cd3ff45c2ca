"""Media judged like text (issue 23.1): images by a vision-capable judge through LiteLLM with a
rubric, pairwise against premium's picture in the shadow; voice and music by an audio-capable
one (OpenAI ``input_audio`` parts); "not judged" said plainly where no such judge is configured.
The judge's requests are checked against the official SDKs' types (openai's chat content part
types, anthropic's message params) on stub servers."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import math
import random
import wave
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pytest
from anthropic.types import ImageBlockParam
from openai.types.chat import (ChatCompletionContentPartImageParam,
                               ChatCompletionContentPartInputAudioParam,
                               ChatCompletionContentPartTextParam)

from archibald.config import load_settings
from archibald.core.decisions import Registry
from archibald.core.router import Router
from archibald.core.tasks import Context, Outcome, Task
from archibald.providers.backends.base import FunctionBackend
from archibald.quality.maintenance import quality_maintenance
from archibald.store.memory import Memory
from stubs.anthropic import AnthropicStub
from stubs.openai_compat import OpenAIStub
from stubs.spec import assert_conforms, sdk_schema

PART_SCHEMAS = {"text": sdk_schema(ChatCompletionContentPartTextParam),
                "image_url": sdk_schema(ChatCompletionContentPartImageParam),
                "input_audio": sdk_schema(ChatCompletionContentPartInputAudioParam)}


def _colour(url: str) -> str:
    from PIL import Image

    data = base64.b64decode(url.split(",", 1)[1])
    r, g, b = Image.open(io.BytesIO(data)).convert("RGB").resize((8, 8)).getpixel((4, 4))
    return "red" if r > b else "blue"


def _vision_reply(body: Any) -> str:
    """A judge that looks at the pictures (never told who made them): blue ones are better."""
    parts = body["messages"][-1]["content"]
    urls = [p["image_url"]["url"] for p in parts if p.get("type") == "image_url"]
    score = {"red": 0.6, "blue": 0.9}
    if len(urls) == 4:  # a pair: each version is the picture, then its phone-size copy
        return json.dumps({"a": score[_colour(urls[0])], "b": score[_colour(urls[2])],
                           "reasons": ["compared"]})
    return json.dumps({"score": score[_colour(urls[0])], "reasons": ["looked"]})


@pytest.fixture
def openai_judge() -> Iterator[OpenAIStub]:
    stub = OpenAIStub("sk-judge")
    stub.reply_text = _vision_reply
    stub.usage = {"prompt_tokens": 900, "completion_tokens": 60, "total_tokens": 960}
    stub.start()
    yield stub
    stub.stop()


def _picture(colour: tuple[int, int, int]) -> Any:
    async def make(task: Task, context: Context) -> dict[str, Any]:
        from PIL import Image

        path = context.workdir / f"art-{colour[0]}.png"
        Image.new("RGB", (1280, 720), colour).save(path)
        return {"path": str(path)}
    return make


def _check(outcome: Outcome) -> tuple[float, dict[str, Any]]:
    outcome.detail["artifact"] = outcome.artifact
    return 0.9, {}


def _router(tmp_path: Path, quality: dict[str, Any], providers: dict[str, Any],
            registry: Registry) -> Router:
    settings = load_settings(overrides={"quality": {"judge_model": "", **quality},
                                        "providers": providers})
    return Router(settings, Memory(f"sqlite:///{tmp_path / 'm.db'}"), registry,
                  rng=random.Random(3))


def _bodies(stub: Any) -> list[dict[str, Any]]:
    return [r.json() for r in stub.requests if r.path.endswith(("completions", "messages"))]


def test_an_image_is_judged_pairwise_against_premiums_picture(
        tmp_path: Path, openai_judge: OpenAIStub) -> None:
    reg = Registry()
    reg.register("image_generation", "local", FunctionBackend(
        "local:art", "local", _picture((200, 30, 30))))
    reg.register("image_generation", "premium", FunctionBackend(
        "fal:flux", "premium", _picture((30, 30, 200))))
    router = _router(tmp_path, {"vision_judge_model": "openai/gpt-4o-mini",
                                "shadow_share": 1.0},
                     {"openai": {"api_key": "sk-judge",
                                 "base_url": openai_judge.base_url + "/v1"}}, reg)
    task = Task("image_generation", {"prompt": "calm lake", "topic": "Calm by the lake"})
    result = asyncio.run(router.run(task, Context(tmp_path), run_id="r", stage="art",
                                    check=_check))
    assert result.outcome.route == "local"
    rows = router.memory.attempts_of_run("r")
    production = next(a for a in rows if a.purpose == "production")
    shadow = next(a for a in rows if a.purpose == "shadow")
    judges = [a for a in rows if a.purpose == "judge"]
    assert (production.evidence, production.quality) == ("shadow", 0.6)
    assert (shadow.route, shadow.evidence, shadow.quality) == ("premium", "shadow", 0.9)
    assert len(judges) == 2 and all(a.model == "openai/gpt-4o-mini" for a in judges)
    assert all(a.cost_nano > 0 and a.max_cost_nano >= a.cost_nano for a in judges)
    qm = quality_maintenance(rows)
    assert qm["stages"]["art"]["n"] == 1
    assert qm["stages"]["art"]["ratio"] == pytest.approx(0.6 / 0.9, abs=1e-3)
    bodies = _bodies(openai_judge)
    assert len(bodies) == 2  # both orders, each with both pictures and their phone copies
    for body in bodies:
        parts = body["messages"][-1]["content"]
        assert [p["type"] for p in parts] == ["text"] + ["image_url"] * 4
        for part in parts:
            assert_conforms(PART_SCHEMAS[part["type"]], part, "the judge's content part")
        assert "legible at phone size" in parts[0]["text"]
        assert "fal" not in json.dumps(body) and "local" not in parts[0]["text"]  # blind
    router.memory.close()


def _voice(seconds: float = 3.0) -> Any:
    async def speak(task: Task, context: Context) -> dict[str, Any]:
        rate = 22050
        t = np.arange(int(seconds * rate)) / rate
        tone = (0.3 * np.sin(2 * math.pi * 180 * t) * (np.sin(2 * math.pi * 2 * t) > 0))
        path = context.workdir / "voice.wav"
        with wave.open(str(path), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(rate)
            w.writeframes((tone * 32767).astype("<i2").tobytes())
        return {"path": str(path), "duration": seconds}
    return speak


def test_a_narration_is_heard_by_an_audio_judge(tmp_path: Path) -> None:
    stub = OpenAIStub("sk-judge")
    stub.reply_text = json.dumps({"score": 0.8, "reasons": ["clear, calm"]})
    stub.usage = {"prompt_tokens": 500, "completion_tokens": 40, "total_tokens": 540}
    stub.start()
    try:
        reg = Registry()
        reg.register("audio_generation", "local", FunctionBackend("local:piper", "local",
                                                                  _voice()))
        router = _router(tmp_path, {"audio_judge_model": "openai/gpt-audio-mini",
                                    "audio_excerpt_seconds": 5},
                         {"openai": {"api_key": "sk-judge",
                                     "base_url": stub.base_url + "/v1"}}, reg)
        task = Task("audio_generation", {"text": "Breathe in. Breathe out.",
                                         "topic": "Breath"})
        result = asyncio.run(router.run(task, Context(tmp_path), run_id="v", stage="voice",
                                        check=_check))
        qa = result.outcome.detail["quality_assurance"]
        assert qa["evidence"] == "judge" and qa["judge"]["senses"] == "audio"
        [body] = _bodies(stub)
        parts = body["messages"][-1]["content"]
        assert [p["type"] for p in parts] == ["text", "input_audio"]
        for part in parts:
            assert_conforms(PART_SCHEMAS[part["type"]], part, "the judge's content part")
        audio = base64.b64decode(parts[1]["input_audio"]["data"])
        with wave.open(io.BytesIO(audio)) as w:
            assert (w.getframerate(), w.getnchannels()) == (16000, 1)
            assert w.getnframes() == 3 * 16000  # the whole of a 3 s narration (under 5 s)
        judge = next(a for a in router.memory.attempts_of_run("v") if a.purpose == "judge")
        # every prompt token at the audio input rate: the upper bound of the bill
        assert judge.cost_nano == round((500 * 1e-05 + 40 * 2.4e-06) * 1e9)
        assert "audio input rate" in judge.price_source
        assert judge.max_cost_nano >= judge.cost_nano
        router.memory.close()
    finally:
        stub.stop()


def test_an_anthropic_vision_judge_sends_what_the_messages_api_takes(tmp_path: Path) -> None:
    stub = AnthropicStub()
    stub.reply_text = json.dumps({"score": 0.75, "reasons": ["calm"]})
    stub.start()
    try:
        reg = Registry()
        reg.register("thumbnail", "local", FunctionBackend("local:thumb", "local",
                                                           _picture((30, 30, 200))))
        router = _router(tmp_path, {"vision_judge_model": "claude-sonnet-4-6"},
                         {"anthropic": {"api_key": "sk-ant-stub-key",
                                        "base_url": stub.base_url}}, reg)
        result = asyncio.run(router.run(Task("thumbnail", {"topic": "Sleep"}),
                                        Context(tmp_path), run_id="t", stage="thumbnail",
                                        check=_check))
        assert result.outcome.detail["quality_assurance"]["evidence"] == "judge"
        [body] = _bodies(stub)  # the stub refuses (400) what anthropic's types do not allow
        images = [b for m in body["messages"] for b in m["content"]
                  if isinstance(b, dict) and b.get("type") == "image"]
        assert len(images) == 2
        for block in images:
            assert_conforms(sdk_schema(ImageBlockParam), block, "the judge's image block")
        router.memory.close()
    finally:
        stub.stop()


def test_without_a_judge_that_can_see_or_hear_it_says_so(tmp_path: Path) -> None:
    reg = Registry()
    reg.register("image_generation", "local", FunctionBackend("local:art", "local",
                                                              _picture((30, 30, 200))))
    reg.register("music_generation", "local", FunctionBackend("local:music", "local",
                                                              _voice()))
    router = _router(tmp_path, {}, {}, reg)
    for task_type in ("image_generation", "music_generation"):
        result = asyncio.run(router.run(Task(task_type, {"topic": "x"}), Context(tmp_path),
                                        run_id="n", stage=task_type, check=_check))
        note = result.outcome.detail["quality_assurance"]["note"]
        assert note.startswith("not judged: no judge configured")
        assert note.endswith("route-blind measures only")
    router.memory.close()
    # a judge that cannot see is not asked to
    settings = load_settings(overrides={"quality": {"judge_model": "deepseek-chat"},
                                        "providers": {"deepseek": {"api_key": "x"}}})
    from archibald.quality.senses import build_media_judge

    judge, why = build_media_judge(settings, None, "audio")
    assert judge is None and "cannot hear audio" in why and "audio_judge_model" in why
