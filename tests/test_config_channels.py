"""[channels.NAME]: a channel's voice, music, art, language, budget, YouTube token and pipeline
reach Settings, and its voice, music and art reach the media stages' inputs."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from archibald.config import load_settings
from archibald.pipeline.engine import StageInput, StageResult
from archibald.pipeline.run import RunRequest, engine_stages
from archibald.pipeline.spec import load_pipeline

CONFIG = """
[media]
voice_id = "house-voice"
music_style = "warm analogue drones"

[channels.calm]
voice_id = "calm-voice-id"
music_style = "solo felt piano, sparse"
art_style = "loose watercolour, pale blues"
language = "de"
budget_usd = 40.0
youtube_token = "tokens/calm.json"
pipeline = "meditation"
"""


class _Stop(Exception):
    """Ends a stage once the router has been handed its task."""


class RecordingRouter:
    """Stands in for the router: keeps the task a stage sends, then stops the stage."""

    def __init__(self) -> None:
        self.tasks: list[Any] = []

    async def run(self, task: Any, context: Any, **_: Any) -> Any:
        self.tasks.append(task)
        raise _Stop


def _inputs(settings: Any, channel: str, tmp_path: Path) -> dict[str, dict[str, Any]]:
    """What the voice, music, image and thumbnail stages send to the router on ``channel``."""
    router = RecordingRouter()
    pipeline = load_pipeline("meditation")
    req = RunRequest(pipeline, pipeline.run_inputs({"topic": "rain", "minutes": "2"}),
                     channel=channel)
    stages = {s.name: s for s in engine_stages(req, router, "r",  # type: ignore[arg-type]
                                               settings)}
    concept = StageResult(value={"concept": {"theme": "forest rain", "title": "Rain",
                                             "sleep": False}})
    script = {"title": "Rain", "minutes": 1.7, "sleep": False,
              "sections": [{"name": "Arrival", "text": "Breathe in. [pause 2s] Let go.",
                            "kind": "settling"}]}
    deps = {"meditation_concept": concept, "tts_qa": StageResult(value={"script": script}),
            # the picture draws the script's setting (issue 25.3)
            "script_writing": StageResult(value={"script": {**script, "setting": "forest"}}),
            "image_generation": StageResult(value={"path": str(tmp_path / "bg.png")})}
    seen = {}
    for name in ("audio_generation", "music_generation", "image_generation", "thumbnail"):
        si = StageInput(name, deps, {}, tmp_path, tmp_path, 7, lambda: None)  # type: ignore[arg-type]
        try:
            asyncio.run(stages[name].run(si))
        except _Stop:
            seen[name] = router.tasks[-1].inputs
            assert router.tasks[-1].channel == channel
    return seen


def test_channel_settings_are_parsed_and_exposed(tmp_path):
    path = tmp_path / "archibald.toml"
    path.write_text(CONFIG)
    s = load_settings(path)
    calm = s.channel("calm")
    assert (calm.voice_id, calm.music_style, calm.art_style, calm.language) == \
        ("calm-voice-id", "solo felt piano, sparse", "loose watercolour, pale blues", "de")
    assert calm.budget_usd == 40.0 and s.budgets.channels == {"calm": 40.0}
    assert calm.youtube_token == tmp_path / "tokens" / "calm.json"
    assert calm.pipeline == "meditation"
    other = s.channel("default")  # a channel without a table follows [media]
    assert (other.voice_id, other.music_style, other.language) == \
        ("house-voice", "warm analogue drones", "en")
    assert other.art_style == s.media["art_style"] and other.budget_usd is None


def test_a_channel_changes_the_voice_music_and_art_of_its_runs(tmp_path):
    path = tmp_path / "archibald.toml"
    path.write_text(CONFIG)
    settings = load_settings(path)
    calm = _inputs(settings, "calm", tmp_path)
    plain = _inputs(settings, "default", tmp_path)
    assert calm["audio_generation"]["voice_id"] == "calm-voice-id"
    assert plain["audio_generation"]["voice_id"] == "house-voice"
    assert calm["music_generation"]["prompt"].startswith("solo felt piano, sparse")
    assert plain["music_generation"]["prompt"].startswith("warm analogue drones")
    assert "forest rain" in calm["music_generation"]["prompt"]
    assert "loose watercolour, pale blues" in calm["image_generation"]["prompt"]
    assert "loose watercolour" not in plain["image_generation"]["prompt"]
    assert "loose watercolour, pale blues" in calm["thumbnail"]["prompt"]


def test_the_channel_budget_is_enforced_by_the_budget_guard(tmp_path):
    from archibald.core.budgets import BudgetGuard
    from archibald.errors import BudgetExceeded
    from archibald.store.memory import Memory

    path = tmp_path / "archibald.toml"
    path.write_text(CONFIG.replace("budget_usd = 40.0", "budget_usd = 0.01"))
    settings = load_settings(path)
    memory = Memory(f"sqlite:///{tmp_path / 'm.db'}")
    from archibald.store.ledger import Attempt, to_nano

    guard = BudgetGuard(settings.budgets, memory)

    def call(usd: float, channel: str) -> Attempt:
        a = Attempt("script_writing", "premium", "b", False, 0, 0, channel=channel, run_id="r")
        a.max_cost_nano = to_nano(usd)
        return a

    guard.reserve(call(0.005, "calm"))
    try:
        guard.reserve(call(0.02, "calm"))
        raise AssertionError("the channel's budget_usd was not enforced")
    except BudgetExceeded as exc:
        assert "calm" in str(exc)
    guard.reserve(call(0.02, "default"))
    memory.close()


def test_a_channels_language_reaches_the_writer_and_the_metadata(tmp_path: Path) -> None:
    """[channels.NAME] language: the script stage asks the model for it, the script it
    adopts carries it, and YouTube's defaultLanguage says it; the offline writer's English
    script says "en" whatever the channel."""
    from archibald.pipeline.run import stage_task
    from archibald.pipeline.spec import load_pipeline
    from archibald.pipelines.meditation.stages import adopt_writing
    from archibald.pipelines.meditation.concept import Concept
    from archibald.script.forms import script_from_dict
    from archibald.pipelines.youtube.metadata import build_metadata

    path = tmp_path / "archibald.toml"
    path.write_text(CONFIG)
    settings = load_settings(path)
    pipeline = load_pipeline("meditation")
    concept = {"topic": "rain", "theme": "sleep", "technique": "body-scan",
               "audience": "everyone", "sleep": False, "minutes": 2.0, "title": "Regen"}
    si = StageInput("script_writing",
                    {"meditation_concept": StageResult(value={"concept": concept})}, {},
                    tmp_path, tmp_path, 7, lambda: None)  # type: ignore[arg-type]
    task = stage_task(pipeline.stage("script_writing"), si,
                      pipeline.run_inputs({"topic": "rain", "minutes": "2"}), "calm", settings)
    assert task.inputs["language"] == "de" and "language whose code is de" in \
        task.inputs["prompt"]
    art = adopt_writing(task, "# Regen\n\n## Ankommen\n\nAtme ein.\n\n## Atem\n\nAtme aus.")
    script = script_from_dict(art["script"])
    assert script.language == "de"
    meta = build_metadata(Concept(**concept), script, [])
    assert (meta["defaultLanguage"], meta["defaultAudioLanguage"]) == ("de", "de")
    from archibald.pipelines.meditation.writer import write_script

    assert write_script(Concept(**concept), seed=1).language == "en"
