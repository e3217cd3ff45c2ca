"""Model lifecycle: LiteLLM's deprecation_date, `doctor`'s warnings, current defaults."""

from __future__ import annotations

import json
from datetime import date

from typer.testing import CliRunner

from archibald.cli import app
from archibald.cli.providers import model_report
from archibald.config import load_settings
from archibald.core.prices import model_lifecycle


def test_lifecycle_reads_the_maps_deprecation_date():
    opus45 = model_lifecycle("claude-opus-4-5", today=date(2026, 11, 28))
    assert opus45["state"] == "deprecated" and opus45["deprecation_date"] == "2026-11-24"
    assert model_lifecycle("claude-opus-4-5", today=date(2026, 11, 1))["state"] == "retiring"
    assert model_lifecycle("claude-opus-4-5", today=date(2026, 9, 1))["state"] == "current"
    assert model_lifecycle("acme/imaginary-9")["state"] == "unknown"


def test_defaults_name_current_models():
    today = date(2026, 11, 28)
    rows = model_report(load_settings(), today=today)
    assert {r["alias"] for r in rows} >= {"premium", "review", "budget", "research"}
    stale = [r for r in rows if r["state"] in ("deprecated", "retiring")]
    assert not stale, stale
    assert load_settings().models["review"] != "claude-opus-4-5"


def test_doctor_warns_about_deprecated_and_unknown_models(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    cfg = tmp_path / "archibald.toml"
    cfg.write_text('[models]\nreview = "claude-opus-4-5"\npremium = "acme/imaginary-9"\n'
                   'budget = "claude-sonnet-4-6"\n\n[task_types.tts_qa]\n'
                   'premium_model = "claude-sonnet-4-5"\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["doctor", "--offline", "--config", str(cfg)])
    assert result.exit_code == 0, result.output
    assert "claude-opus-4-5" in result.output and "deprecated since 2026-11-24" in result.output
    assert "acme/imaginary-9" in result.output and "unknown to LiteLLM" in result.output
    as_json = CliRunner().invoke(app, ["doctor", "--offline", "--json", "--config", str(cfg)])
    states = {m["model"]: m["state"] for m in json.loads(as_json.output)["models"]}
    assert states["claude-opus-4-5"] == "deprecated" and states["acme/imaginary-9"] == "unknown"
    # named in [task_types.tts_qa]; its date is LiteLLM's where the installed map has one
    assert states["claude-sonnet-4-5"] in ("deprecated", "retiring")
