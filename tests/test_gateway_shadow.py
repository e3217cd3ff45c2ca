"""A share of the gateway's delegated answers is compared with premium's, blind, after it was
sent (issue 22): premium answers the same request in the shadow, the judge scores the two in
both orders without knowing which route wrote which, and the delegated answer's row takes its
side of the verdict as evidence; every call priced, budgeted and recorded apart."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from archibald.config import load_settings
from archibald.serve.app import create_app
from archibald.serve.gateway.keys import channel_of
from archibald.store.ledger import NANO
from stubs.base import prompt_of
from stubs.fixtures import anthropic_stub, deepseek_stub, provider_env  # noqa: F401
from test_gateway import Served, _client, _key


def _serve(**gateway: Any) -> Served:
    settings = load_settings(None, {"quality": {"judge_model": "budget"},
                                    "gateway": {"shadow_share": 1.0, **gateway}})
    return Served(create_app(settings))


@pytest.fixture()
def judged(anthropic_stub, deepseek_stub, provider_env) -> Iterator[Any]:  # noqa: F811
    def reply(body: Any) -> str:
        if "Compare two versions" in prompt_of(body):
            return '{"a": 0.9, "b": 0.6, "reasons": ["the first is more exact"]}'
        return "The sea is calm tonight."
    deepseek_stub.reply_text = reply
    deepseek_stub.reasoning_tokens = 0
    deepseek_stub.usage = {"prompt_tokens": 40, "completion_tokens": 30, "total_tokens": 70}
    anthropic_stub.usage = {"input_tokens": 40, "output_tokens": 30,
                            "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}
    yield deepseek_stub


def _settle(served: Served) -> None:
    served.settled()  # the answer settled, and the shadow comparison it started finished


def test_a_delegated_answer_is_judged_blind_against_premiums_after_it_was_sent(
        judged: Any, anthropic_stub: Any) -> None:
    served = _serve()
    try:
        raw = _client(served, _key(served)).chat.completions.with_raw_response.create(
            model="archibald/auto", messages=[{"role": "user", "content": "Reword: calm sea"}])
        assert raw.headers["x-archibald-route"] == "budget"
        assert raw.parse().choices[0].message.content == "The sea is calm tonight."
        _settle(served)
        rows = served.gateway.memory.attempts_of_run(raw.headers["x-archibald-response-id"])
        kinds = sorted((a.purpose, a.route) for a in rows)
        assert kinds == [("judge", "judge"), ("judge", "judge"), ("production", "budget"),
                         ("shadow", "premium")]
        mine = next(a for a in rows if a.purpose == "production")
        theirs = next(a for a in rows if a.purpose == "shadow")
        # each side's score is its mean over both orders: A first (0.9), then B second (0.6)
        assert (mine.evidence, mine.quality) == ("shadow", 0.75)
        assert (theirs.evidence, theirs.quality) == ("shadow", 0.75)
        [pair] = served.gateway.memory.shadow_pairs("chat_simple")
        assert pair["route"] == "budget" and pair["premium_quality"] == 0.75
        # the premium shadow was asked the same request; the judge never saw a route's name
        assert prompt_of(anthropic_stub.requests[-1].json()) == "Reword: calm sea"
        judged_prompts = [prompt_of(r.json()) for r in judged.requests
                          if "Compare two versions" in prompt_of(r.json())]
        assert len(judged_prompts) == 2
        systems = [str(r.json()["messages"][0]["content"]) for r in judged.requests
                   if "Compare two versions" in prompt_of(r.json())]
        assert all("AI assistant's answer" in s and "YouTube" not in s for s in systems)
        assert not any(w in p for p in judged_prompts for w in ("budget", "premium",
                                                                "deepseek", "claude"))
        # the answer's header is its own cost; the key's ledger holds the QA apart
        cost = float(raw.headers["x-archibald-cost-usd"])
        assert abs(mine.cost_nano / NANO - cost) < 1e-12
        name = next(k.name for k in served.gateway.keys.all())
        spent = served.gateway.memory.spent_nano(channel=channel_of(name))
        assert spent == sum(a.cost_nano for a in rows) and spent > mine.cost_nano
        stats = served.gateway.memory.route_stats("chat_simple", channel_of(name))["budget"]
        assert stats.evidence_n == 1 and stats.mean_quality == 0.75
    finally:
        served.stop()


@pytest.mark.parametrize("model", ["archibald/auto:best", "budget"])
def test_no_comparison_for_premium_or_a_named_model(judged: Any, model: str) -> None:
    served = _serve()
    try:
        raw = _client(served, _key(served)).chat.completions.with_raw_response.create(
            model=model, messages=[{"role": "user", "content": "Reword: calm sea"}])
        _settle(served)
        rows = served.gateway.memory.attempts_of_run(raw.headers["x-archibald-response-id"])
        assert [a.purpose for a in rows] == ["production"]
    finally:
        served.stop()


def test_no_comparison_once_the_days_qa_budget_is_spent(judged: Any) -> None:
    served = _serve(shadow_usd_per_day=0.0)
    try:
        raw = _client(served, _key(served)).chat.completions.with_raw_response.create(
            model="archibald/auto", messages=[{"role": "user", "content": "Reword: calm sea"}])
        _settle(served)
        rows = served.gateway.memory.attempts_of_run(raw.headers["x-archibald-response-id"])
        assert [a.purpose for a in rows] == ["production"]
    finally:
        served.stop()
