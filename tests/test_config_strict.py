"""Strict configuration: every table refuses a misspelt key with a suggestion, at its line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from archibald.config import load_settings
from archibald.errors import ConfigError

#: (table, TOML text with one misspelt key on line 2, the suggestion)
MISSPELT = [
    ("top level", "[routerr]\nstrategy = 'matrix'\n", "'router'"),
    ("router", "[router]\nstratgy = 'bandit'\n", "'strategy'"),
    ("models", "[models]\npremuim = 'gpt-4o'\n", "'premium'"),
    ("budgets", "[budgets]\nper_run = 0.001\n", "'per_run_usd'"),
    ("media", "[media]\nvoice = 'abc'\n", "'voice_id'"),
    ("publish", "[publish]\ndryrun = false\n", "'dry_run'"),
    ("channels", "[channels.calm]\nmusic_stlye = 'piano'\n", "'music_style'"),
    ("task_types", "[task_types.script_writing]\ncomplexty = 3\n", "'complexity'"),
    ("task_types.premium_usage",
     "[task_types.script_writing]\npremium_usage = { input_tokns = 3 }\n", "'input_tokens'"),
    ("task_types.models", "[task_types.script_writing.models]\nbudgte = 'groq/x'\n", "'budget'"),
    ("providers", "[providers.groq]\napi_kye = 'gsk-123'\n", "'api_key'"),
    ("prices.models", "[prices.models.'my/model']\ninput_per_mtok = 1\noutput_per_mtk = 2\n",
     "'output_per_mtok'"),
    ("prices.units",
     "[prices.units.'x:y']\nunti = 'characters'\nusd_per_unit = 1\nsource = 'me'\n", "'unit'"),
    ("prices", "[prices]\nmodel = {}\n", "'models'"),
]


def _refused(tmp_path: Path, text: str) -> ConfigError:
    path = tmp_path / "archibald.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    message = str(info.value)
    assert "\n" not in message and message.startswith(f"{path}:")
    return info.value


@pytest.mark.parametrize("table,text,suggestion", MISSPELT, ids=[m[0] for m in MISSPELT])
def test_a_misspelt_key_in_every_table_is_refused_with_a_suggestion(tmp_path, table, text,
                                                                    suggestion):
    err = _refused(tmp_path, text)
    assert f"did you mean {suggestion}" in str(err)
    line = 1 if table == "top level" else (3 if table == "prices.models" else 2)
    wrong = text.splitlines()[line - 1].split("=")[0].strip(" []")
    if table == "task_types.premium_usage":
        wrong = "input_tokns"
    assert err.line == line and f"'{wrong}'" in str(err), str(err)


@pytest.mark.parametrize("text,says", [
    ("[budgets]\nper_run_usd = nan\n", "finite"),
    ("[budgets]\nper_month_usd = inf\n", "finite"),
    ("[budgets]\nper_task_usd = -1\n", ">= 0"),
    ("[budgets.channels]\ncalm = -3\n", ">= 0"),
    ("[channels.calm]\nbudget_usd = -inf\n", "finite"),
    ("[prices.units.'x:y']\nunit = 'characters'\nusd_per_unit = -0.5\nsource = 'me'\n", ">= 0"),
    ("[prices.models.m]\ninput_per_mtok = nan\noutput_per_mtok = 1\n", "finite"),
    ("[router]\ncost_threshold_usd = -0.02\n", ">= 0"),
])
def test_nan_inf_and_negative_money_is_refused(tmp_path, text, says):
    assert says in str(_refused(tmp_path, text))


@pytest.mark.parametrize("text,says", [
    ("router = 5\n", "router must be a table"),
    ("budgets = 'none'\n", "budgets must be a table"),
    ("[task_types]\nscript_writing = 3\n", "script_writing must be a table"),
    ("[channels]\ncalm = true\n", "calm must be a table"),
    ("[publish]\ndry_run = 0\n", "dry_run must be true or false, not 0"),
    ("[publish]\ndry_run = 'no'\n", "dry_run must be true or false"),
    ("[router]\nlearned_min_outcomes = 2.5\n", "whole number"),
    ("[task_types.script_writing]\nroutes = ['premium', 'cheap']\n", "routes[1] = 'cheap'"),
    ("[task_types.script_writing]\nroute = 'agent'\n", "not one of this task type's routes"),
    ("[providers.openrouter]\nbase_url = 'openrouter.ai'\n", "give an http:// or https:// URL"),
    ("[channels.calm]\nlanguage = 'German'\n", 'a language code such as "en"'),
    ("[channels.calm]\nyoutube_token = ''\n", "youtube_token must not be empty"),
    ("[channels.calm]\nbudget_usd = 5\n[budgets.channels]\ncalm = 6\n", "disagrees"),
])
def test_wrong_shapes_and_types_are_one_line(tmp_path, text, says):
    assert says in str(_refused(tmp_path, text))


def test_the_cli_exits_2_with_one_line_for_a_misspelt_budget(tmp_path):
    bad = tmp_path / "archibald.toml"
    bad.write_text("[budgets]\nper_mnth_usd = 5\n")
    proc = subprocess.run([sys.executable, "-m", "archibald", "route", "explain",
                           "script_review", "--config", str(bad)], capture_output=True, text=True)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().count("\n") == 0 and "Traceback" not in proc.stderr
    assert f"{bad}:2:" in proc.stderr and "did you mean 'per_month_usd'" in proc.stderr


def test_a_valid_file_sets_what_it_says(tmp_path):
    path = tmp_path / "archibald.toml"
    path.write_text("[budgets]\nper_run_usd = 0.5\n[publish]\ndry_run = false\n"
                    "[task_types.script_writing]\nmodels = { budget = 'groq/llama-3.1-8b-instant' }\n"
                    "[providers.openrouter]\nbase_url = 'http://127.0.0.1:9/api/v1'\n")
    s = load_settings(path)
    assert s.budgets.per_run_usd == 0.5 and s.publish["dry_run"] is False
    assert s.profile("script_writing").model_of("budget") == "groq/llama-3.1-8b-instant"
    assert s.profile("script_review").model_of("budget") == s.model_for("budget")
    assert s.providers == {"openrouter": {"base_url": "http://127.0.0.1:9/api/v1"}}
    path.write_text("[task_types.script_writing]\nmodels = { premium = 'gpt-4o' }\n")
    profile = load_settings(path).profile("script_writing")  # more specific than premium_model
    assert profile.premium_model == profile.model_of("premium") == "gpt-4o"


def test_an_unknown_provider_table_is_refused_with_a_suggestion(tmp_path):
    err = _refused(tmp_path, "[budgets]\nper_run_usd = 1\n\n[providers.openroutr]\napi_key = 'x'\n")
    assert err.line == 4 and "did you mean 'openrouter'" in str(err)
    path = tmp_path / "ok.toml"
    path.write_text("[providers.groq]\napi_key = 'gsk-1234567890'\n[providers.ollama_chat]\n")
    assert set(load_settings(path).providers) == {"groq", "ollama_chat"}


def test_the_premium_usage_schema_knows_every_usage_field() -> None:
    """A usage unit added to archibald.core.tasks.Usage must be settable in premium_usage."""
    from archibald.config.schema import UsageTable
    from archibald.core.tasks import Usage

    assert set(UsageTable.model_fields) == set(Usage.__dataclass_fields__)
