"""A shipped pipeline other than meditation with keys: the podcast's text stages go to the
premium and budget chat routes (stub servers speaking Anthropic's and DeepSeek's wire formats),
their answers are adopted into the local route's shape, and every cost is the stubs' usage
priced, totals equal to their rows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from archibald.config import load_settings
from archibald.store.ledger import to_nano
from archibald.pipeline.run import RunRequest, run_pipeline
from archibald.pipeline.spec import load_pipeline
from archibald.core.prices import PriceBook
from archibald.core.tasks import Usage
from stubs.fixtures import anthropic_stub, deepseek_stub, provider_env  # noqa: F401
from stubs.podcast import SECTIONS, podcast_reply

pytestmark = pytest.mark.slow

def test_the_podcast_with_keys_uses_the_chat_routes_and_prices_every_call(
        anthropic_stub, deepseek_stub, provider_env, tmp_path: Path) -> None:
    anthropic_stub.reply_text = podcast_reply
    deepseek_stub.reply_text = podcast_reply
    pipeline = load_pipeline("podcast")
    settings = load_settings(overrides={"quality": {"judge_model": ""}}, pipeline=pipeline)
    out = tmp_path / "episode"
    data = run_pipeline(RunRequest(pipeline, pipeline.run_inputs(
        {"topic": "the history of coffee", "minutes": "1"}), out=out, seed=2), settings)
    assert data["status"] == "done"
    stages = data["stages"]
    routes = {name: s["route"] for name, s in stages.items()}
    assert {routes["outline"], routes["script"]} <= {"premium", "budget"}, routes
    assert routes["voice"] == "local" and routes["mix"] == "local"  # no voice or music keys
    book = PriceBook()
    paid = 0
    for name, s in stages.items():
        for a in s["attempts"]:
            if a["route"] in ("premium", "budget") and a["success"]:
                expected = to_nano(book.cost(Usage.from_dict(a["usage"]), model=a["model"]))
                assert a["cost_nano"] == expected, (name, a)
                paid += a["cost_nano"]
        assert s["cost_nano"] == sum(a["cost_nano"] for a in s["attempts"])
    assert paid > 0 and data["totals"]["cost_nano"] == sum(s["cost_nano"]
                                                          for s in stages.values())
    # the model's words reached the episode: its title, its sections as chapters
    notes = (out / "show-notes.md").read_text()
    assert "Coffee, Cup by Cup" in notes and "How a Roast Works" in notes
    chapters = json.loads((out / "chapters.json").read_text())
    assert len(chapters["chapters"]) == len(SECTIONS)  # Podcasting 2.0 JSON chapters
    for secret in (anthropic_stub.api_key, deepseek_stub.api_key):
        assert secret not in (out / "run.json").read_text()
