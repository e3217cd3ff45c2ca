"""`archibald produce` with the premium and budget chat routes on stub servers that speak the
Anthropic and OpenAI-compatible (DeepSeek) wire formats: run.json records the usage the stubs
returned and the cost priced from it, to the cent, and no key appears anywhere."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from archibald.config import load_settings
from archibald.store.ledger import to_nano
from archibald.pipeline.produce import ProduceRequest, produce
from archibald.core.prices import PriceBook
from archibald.core.tasks import Usage
from stubs.base import prompt_of
from stubs.fixtures import anthropic_stub, deepseek_stub, provider_env  # noqa: F401

pytestmark = pytest.mark.slow


def _writer_reply(prompt: str) -> str:
    """What a model would answer to each of the pipeline's prompts."""
    if "Answer as JSON" in prompt:
        m = re.search(r"Suggested: (\{.*\})", prompt, re.S)
        concept = json.loads(m.group(1)) if m else {}
        return json.dumps({"theme": concept.get("theme"), "technique": concept.get("technique"),
                           "audience": concept.get("audience"),
                           "title": "2-Minute Guided Meditation for Morning Light"})
    if "Write the complete guided meditation" in prompt:
        from archibald.pipelines.meditation.writer import write_script

        return write_script(_concept(), seed=1).to_markdown()
    if "\n# " in prompt or prompt.startswith("# "):  # an edit: answer with the script as is
        return prompt[prompt.index("# "):] if prompt.startswith("# ") else \
            prompt[prompt.index("\n# ") + 1:]
    return "Three findings: mornings suit short breath practices; gratitude themes retain."


def _concept() -> Any:
    from archibald.pipelines.meditation.concept import make_concept
    from archibald.pipelines.meditation.research import research

    return make_concept("morning light", 2.0, research("morning light", seed=1), seed=1)


def test_produce_records_stub_usage_and_cost_to_the_cent(anthropic_stub, deepseek_stub,
                                                         provider_env, tmp_path: Path) -> None:
    anthropic_stub.reply_text = lambda body: _writer_reply(prompt_of(body))
    deepseek_stub.reply_text = lambda body: _writer_reply(prompt_of(body))
    settings = load_settings(overrides={"quality": {"judge_model": ""}})  # no judge calls here
    out = tmp_path / "video"
    data = produce(ProduceRequest("Morning light and gratitude", 2.0, out=out, seed=1),
                   settings)
    assert data["status"] == "done"
    stages = data["stages"]
    assert stages["meditation_concept"]["route"] == "premium"
    assert stages["script_writing"]["route"] == "premium"
    assert stages["script_review"]["route"] == "budget"
    book = PriceBook()
    charged = 0
    for name, s in stages.items():
        for a in s["attempts"]:
            if a["route"] in ("premium", "budget") and a["success"]:
                u = Usage.from_dict(a["usage"])
                expected = to_nano(book.cost(u, model=a["model"]))
                assert a["cost_nano"] == expected, (name, a)
                if a["route"] == "premium":
                    assert (u.input_tokens, u.output_tokens) == (1200, 800)
                else:
                    assert (u.input_tokens, u.output_tokens) == (3500, 1000)
                charged += a["cost_nano"]
        assert s["cost_nano"] == sum(a["cost_nano"] for a in s["attempts"])
    assert charged > 0
    assert data["totals"]["cost_nano"] == sum(s["cost_nano"] for s in stages.values())
    # Sonnet 4.6 at $3/$15 per Mtok for 1200 in / 800 out = $0.0156 a call
    assert stages["script_writing"]["cost_nano"] == to_nano(0.0156)
    assert len(anthropic_stub.requests) >= 3 and len(deepseek_stub.requests) >= 2
    run_text = (out / "run.json").read_text()
    report = (out / "report.md").read_text()
    for secret in (anthropic_stub.api_key, deepseek_stub.api_key):
        assert secret not in run_text and secret not in report
    orch = re.search(r"\| \*\*Total\*\* \| \| \| \*\*\$[\d,.]+\*\* \| \*\*\$([\d,.]+)\*\*", report)
    assert orch and round(float(orch.group(1)), 2) == round(data["totals"]["cost_usd"], 2)
