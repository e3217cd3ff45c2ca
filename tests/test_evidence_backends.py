"""Your own paid tools (issue 23.5): a backend a user adds declares its price rule (per call,
per unit, per second), so its calls are reserved, recorded and priced like ours; one without a
rule is said to be unpriced, not silently $0; a plain exception falls back and releases its
reservation; plugins of the ``archibald.backends`` entry point group register backends."""

from __future__ import annotations

import importlib.metadata
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

import archibald
from archibald.config import load_settings
from archibald.core import plugins
from archibald.core.price_rules import REPORTED, UNPRICED
from archibald.store.memory import Memory

TASK_TYPES = {"voiceover": {"phase": "work", "capability": "text", "complexity": 3,
                            "creativity_required": False, "execution_focused": True,
                            "routes": ["premium", "budget", "local"],
                            "premium_usage": {"input_tokens": 100, "output_tokens": 100}}}


def _router(tmp_path: Path, registry: archibald.Registry, **over: Any) -> archibald.Router:
    settings = load_settings(overrides={"task_types": TASK_TYPES,
                                        "quality": {"judge_model": ""}, **over})
    return archibald.open_router(settings, memory=Memory(f"sqlite:///{tmp_path / 'm.db'}"),
                                 registry=registry)


def _rows(router: archibald.Router, run_id: str) -> list[archibald.Attempt]:
    return router.memory.attempts_of_run(run_id)


def test_a_priced_user_backend_is_reserved_recorded_and_priced(tmp_path: Path) -> None:
    registry = archibald.Registry()
    seen: list[int] = []

    @archibald.backend(registry, "voiceover", "budget", name="acme:tts",
                       price=archibald.per_unit(0.00003, "characters",
                                                most=lambda task: len(task.inputs["text"]),
                                                source="acme.example/pricing, 2026-11"))
    def acme(task: archibald.Task, context: archibald.Context) -> archibald.Outcome:
        # the reservation is in the ledger, pending, before the call is made
        seen.append(len(router.memory.open_attempts("r1", "voiceover")))
        text = task.inputs["text"]
        return archibald.Outcome(f"{text}.wav", "acme:tts", "budget",
                                 usage=archibald.Usage(characters=len(text) - 10))

    router = _router(tmp_path, registry)
    task = archibald.Task("voiceover", {"text": "x" * 1000})
    result = archibald.run_sync(router, task, run_id="r1", stage="voiceover")
    assert result.outcome.route == "budget" and seen == [1]
    [row] = _rows(router, "r1")
    assert row.max_cost_nano == archibald.to_nano(0.03)       # 1000 characters at most
    assert row.cost_nano == archibald.to_nano(990 * 0.00003)  # 990 reported
    assert row.status == "settled" and row.usage == {"characters": 990, "requests": 1}
    assert "acme.example/pricing" in row.price_source and "990 characters" in row.price_source
    assert router.memory.spent_nano(run_id="r1") == row.cost_nano
    router.memory.close()


def test_per_call_and_per_second_rules_and_a_budget_refusing_before_the_call(
        tmp_path: Path) -> None:
    registry = archibald.Registry()
    calls: list[str] = []

    @archibald.backend(registry, "voiceover", "premium", price=archibald.per_call(0.75))
    async def dear(task: archibald.Task, context: archibald.Context) -> str:
        calls.append("premium")
        return "premium answer"

    @archibald.backend(registry, "voiceover", "budget",
                       price=archibald.per_second(0.02, most=30))
    def gpu(task: archibald.Task, context: archibald.Context) -> str:
        calls.append("budget")
        time.sleep(0.05)
        return "gpu answer"

    router = _router(tmp_path, registry, budgets={"per_task_usd": 0.70})
    d = router.decide(archibald.Task("voiceover", {"text": "hi"}))
    assert d.route == "budget"
    result = archibald.run_sync(router, archibald.Task("voiceover", {"text": "hi"}),
                                run_id="r2", stage="voiceover")
    [row] = _rows(router, "r2")
    assert result.outcome.artifact == "gpu answer"
    assert row.max_cost_nano == archibald.to_nano(0.6)          # 30 s at most
    assert 0.05 * 0.02 <= row.cost_nano / 1e9 < 1.0 * 0.02      # the seconds measured
    assert "s measured" in row.price_source
    # the premium route's fee is over the task's budget: refused before it is called
    registry.register("voiceover", "budget", registry.get("voiceover", "premium"))  # type: ignore[arg-type]
    with pytest.raises(archibald.BudgetExceeded):
        archibald.run_sync(router, archibald.Task("voiceover", {"text": "x"}),
                           run_id="r3", stage="voiceover")
    assert calls == ["budget"]
    assert router.memory.spent_nano(run_id="r3") == 0
    router.memory.close()


def test_a_backend_without_a_price_is_said_to_be_unpriced(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    registry = archibald.Registry()

    @archibald.backend(registry, "voiceover", "budget", name="mine:silent")
    def silent(task: archibald.Task, context: archibald.Context) -> str:
        return "made somewhere, maybe paid"

    @archibald.backend(registry, "voiceover", "premium", name="mine:reports")
    def reports(task: archibald.Task, context: archibald.Context) -> archibald.Outcome:
        return archibald.Outcome("text", "mine:reports", "premium", cost=0.0123)

    router = _router(tmp_path, registry)
    for run_id in ("u1", "u2"):
        archibald.run_sync(router, archibald.Task("voiceover", {"text": "a"}), run_id=run_id,
                           stage="voiceover")
    [row] = _rows(router, "u1")
    assert row.cost_nano == 0 and row.price_source == UNPRICED
    err = capsys.readouterr().err
    assert err.count("'mine:silent' (budget route) declares no price") == 1  # once, not twice
    router.registry.register("voiceover", "budget", router.registry.get("voiceover", "premium"))  # type: ignore[arg-type]
    archibald.run_sync(router, archibald.Task("voiceover", {"text": "b"}), run_id="u3",
                       stage="voiceover")
    [row] = _rows(router, "u3")
    assert row.cost_nano == archibald.to_nano(0.0123) and row.price_source == REPORTED
    assert "declares no price" not in capsys.readouterr().err
    router.memory.close()


def test_a_plain_exception_falls_back_and_releases_its_reservation(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    registry = archibald.Registry()

    @archibald.backend(registry, "voiceover", "budget", price=archibald.per_call(0.40))
    def broken(task: archibald.Task, context: archibald.Context) -> str:
        raise RuntimeError("the vendor's SDK changed its response shape")

    @archibald.backend(registry, "voiceover", "premium", price=archibald.per_call(0.05))
    def fine(task: archibald.Task, context: archibald.Context) -> str:
        return "premium's answer"

    router = _router(tmp_path, registry, budgets={"per_run_usd": 0.50})
    result = archibald.run_sync(router, archibald.Task("voiceover", {"text": "a"}),
                                run_id="e1", stage="voiceover")
    assert result.outcome.route == "premium"  # fell back, within the run's $0.50
    failed, ok = _rows(router, "e1")
    assert (failed.route, failed.status, failed.cost_nano, failed.success) == \
        ("budget", "settled", 0, False)
    assert failed.error == "RuntimeError: the vendor's SDK changed its response shape"
    assert router.memory.spent_nano(run_id="e1") == ok.cost_nano == archibald.to_nano(0.05)
    assert "raised RuntimeError" in capsys.readouterr().err
    router.memory.close()


def test_a_users_mistake_is_released_and_said(tmp_path: Path) -> None:
    registry = archibald.Registry()

    @archibald.backend(registry, "voiceover", "budget", price=archibald.per_call(0.40))
    def picky(task: archibald.Task, context: archibald.Context) -> str:
        raise archibald.InputError("text is empty; give the text to voice")

    router = _router(tmp_path, registry)
    with pytest.raises(archibald.InputError, match="text is empty"):
        archibald.run_sync(router, archibald.Task("voiceover", {"text": ""}), run_id="e2",
                           stage="voiceover")
    [row] = _rows(router, "e2")
    assert row.status == "settled" and router.memory.spent_nano(run_id="e2") == 0
    router.memory.close()


def test_a_rule_is_checked_when_declared() -> None:
    with pytest.raises(ValueError, match="needs most="):
        archibald.per_second(0.01, most=None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not a Usage field"):
        archibald.per_unit(0.01, "syllables", most=10)
    with pytest.raises(ValueError, match="finite number"):
        archibald.per_call(float("nan"))


def test_a_plugin_registers_priced_backends(tmp_path: Path, monkeypatch: Any) -> None:
    (tmp_path / "acme_plugin.py").write_text(textwrap.dedent('''
        import archibald

        def register(registry, settings):
            @archibald.backend(registry, "voiceover", "budget", name="acme:plugin",
                               price=archibald.per_call(0.002, source="acme's price list"))
            def call(task, context):
                return "from the plugin"
        '''))
    (tmp_path / "broken_plugin.py").write_text("raise ImportError('no such SDK')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    eps = importlib.metadata.EntryPoints([
        importlib.metadata.EntryPoint("acme", "acme_plugin:register", plugins.GROUP),
        importlib.metadata.EntryPoint("broken", "broken_plugin:register", plugins.GROUP)])
    monkeypatch.setattr(importlib.metadata, "entry_points",
                        lambda group=None: eps if group == plugins.GROUP else ())
    plugins.hooks.cache_clear()
    try:
        router = _router(tmp_path, archibald.Registry())
        result = archibald.run_sync(router, archibald.Task("voiceover", {"text": "a"}),
                                    run_id="p1", stage="voiceover")
        assert result.outcome.artifact == "from the plugin"
        [row] = _rows(router, "p1")
        assert row.backend == "acme:plugin" and row.cost_nano == archibald.to_nano(0.002)
        assert "acme's price list" in row.price_source
        router.memory.close()
    finally:
        plugins.hooks.cache_clear()
        sys.modules.pop("acme_plugin", None)


def test_a_pipeline_stage_function_declares_its_price(tmp_path: Path, monkeypatch: Any) -> None:
    """A stage's local function that calls a paid API says so with @archibald.priced: the
    run reserves, records and prices it, and its report counts it."""
    monkeypatch.chdir(tmp_path)
    notes = archibald.define_pipeline("paidnotes", unit="note")
    notes.input("topic", required=True)
    notes.task_type("transcribe", complexity=3, creativity_required=False,
                    execution_focused=True, routes=["local"])

    @notes.stage(inputs={"topic": "{topic}"}, outputs={"notes.md": "text"})
    @archibald.priced(archibald.per_call(0.006, source="a transcription API"))
    async def transcribe(task, context):  # type: ignore[no-untyped-def]
        return {"text": f"- {task.inputs['topic']} transcribed"}

    data = archibald.run(notes, {"topic": "otters"}, out="out")
    stage = data["stages"]["transcribe"]
    assert stage["cost_nano"] == archibald.to_nano(0.006)
    [attempt] = stage["attempts"]
    assert attempt["max_cost_nano"] == archibald.to_nano(0.006)
    assert "a transcription API" in attempt["price_source"]
    assert data["totals"]["cost_nano"] == archibald.to_nano(0.006)
