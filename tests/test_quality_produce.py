"""`archibald produce` with a judge: premium (Anthropic) and budget (DeepSeek) on stub servers,
the budget model also judging. run.json and the report carry quality maintenance with its
sample count, and the judge's and the shadow's calls are in the ledger apart from production."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from archibald.config import load_settings
from archibald.store.memory import Memory
from archibald.pipeline.produce import ProduceRequest, produce
from stubs.base import prompt_of
from stubs.fixtures import anthropic_stub, deepseek_stub, provider_env  # noqa: F401
from test_produce_providers import _writer_reply

pytestmark = pytest.mark.slow


def _reply(body: Any) -> str:
    prompt = prompt_of(body)
    if "Version A:" in prompt:  # a judge that always prefers whatever it reads second
        return json.dumps({"a": 0.85, "b": 0.9, "reasons": ["B flows better"]})
    if prompt.startswith("Judge this"):
        return json.dumps({"score": 0.88, "reasons": ["on topic", "calm"]})
    return _writer_reply(prompt)


def test_produce_with_a_judge_measures_quality_maintenance(anthropic_stub, deepseek_stub,
                                                           provider_env, tmp_path: Path) -> None:
    anthropic_stub.reply_text = _reply
    deepseek_stub.reply_text = _reply
    settings = load_settings(overrides={"quality": {"shadow_share": 1.0}})
    out = tmp_path / "video"
    memory = Memory()
    data = produce(ProduceRequest("Morning light and gratitude", 2.0, out=out, seed=1),
                   settings, memory=memory)
    assert data["status"] == "done"
    stages = data["stages"]
    review = stages["script_review"]
    assert review["route"] == "budget"
    assert sorted(a["purpose"] for a in review["attempts"]) == [
        "judge", "judge", "production", "shadow"]
    assert review["quality_assurance"]["evidence"] == "shadow"
    assert stages["script_writing"]["quality_assurance"]["evidence"] == "judge"
    qm = data["quality_maintenance"]
    # a premium stage is never its own comparison (issue 23); the review's pair was judged in
    # both orders, so the judge's preference for the second text cancels out
    assert qm["stages"]["script_writing"]["ratio"] is None
    assert "premium's own work" in qm["stages"]["script_writing"]["note"]
    assert qm["stages"]["script_review"]["ratio"] == 1.0
    assert review["quality_assurance"]["shadow"] == {
        "quality": 0.875, "premium_quality": 0.875, "reasons": ["B flows better"] * 2,
        "rubric": "script_review v1"}
    assert qm["overall"]["n"] >= 1
    assert qm["stages"]["thumbnail"]["note"].startswith("not measured")
    # QA is money too: in the totals (and its share apart) and in the ledger
    qa = sum(a["cost_nano"] for s in stages.values() for a in s["attempts"]
             if a["purpose"] != "production")
    assert qa > 0 and data["totals"]["qa_cost_nano"] == qa
    assert memory.spent_nano(run_id=data["run_id"]) == data["totals"]["cost_nano"]
    report = (out / "report.md").read_text()
    assert f"| Quality maintenance | {100 * qm['overall']['ratio']:.1f}%" in report
    assert f"n = {qm['overall']['n']}" in report
    memory.close()
