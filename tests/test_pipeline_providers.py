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
from stubs.base import prompt_of
from stubs.fixtures import anthropic_stub, deepseek_stub, provider_env  # noqa: F401

pytestmark = pytest.mark.slow

SECTIONS = ("Intro", "Where the Cup Began", "How a Roast Works", "Why It Still Matters",
            "Recap", "Outro")


def _script() -> str:
    body = {
        "Intro": "Hi, I'm Alex, and today we are looking at coffee, from a goat herder's "
                 "legend to the cup on your desk.",
        "Where the Cup Began": "The story most people tell starts in Ethiopia, where coffee "
                               "grew wild long before anyone roasted it.",
        "How a Roast Works": "Roasting turns a hard green seed into something brittle and "
                             "fragrant, and a few minutes decide the taste.",
        "Why It Still Matters": "Coffee shaped trade routes and cafes, and it still shapes "
                                "how many of us start the day.",
        "Recap": "So: an old plant, a craft of heat and timing, and a daily habit with a long "
                 "history behind it.",
        "Outro": "Thanks for listening; I'm Alex, and I will see you next time.",
    }
    return "# Coffee, Cup by Cup\n\n" + "\n\n".join(f"## {k}\n\n{v}" for k, v in body.items())


def _reply(prompt: str) -> str:
    if prompt.startswith("Research"):
        return ("## Where the cup began\n- How did coffee leave Ethiopia?\n\n"
                "## How a roast works\n- What happens to the bean?\n\n"
                "## Why it still matters\n- Who grows it today?\n")
    if prompt.startswith("Outline"):
        return "# Coffee, Cup by Cup\n\n" + "\n\n".join(
            f"## {s}\n- {s.lower()} in a sentence\n- Takeaway: {s.lower()} matters"
            for s in SECTIONS)
    return _script()  # the script, and its review


def test_the_podcast_with_keys_uses_the_chat_routes_and_prices_every_call(
        anthropic_stub, deepseek_stub, provider_env, tmp_path: Path) -> None:
    anthropic_stub.reply_text = lambda body: _reply(prompt_of(body))
    deepseek_stub.reply_text = lambda body: _reply(prompt_of(body))
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
