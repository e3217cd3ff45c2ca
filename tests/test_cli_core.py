"""The core commands as a user runs them: route explain, memory stats, config mistakes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from archibald.cli import main
from archibald.config import load_settings
from archibald.errors import ConfigError
from archibald.store.ledger import Attempt, to_nano
from archibald.store.memory import Memory


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        main(list(argv))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_explain_review_delegates_and_writing_keeps(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "route", "explain", "script_review", "--json")
    data = json.loads(out)
    assert code == 0 and data["decision"] == "delegate"
    assert set(data) >= {"task_type", "analysis", "decision", "route", "reason", "learned"}
    assert set(data["analysis"]) == {"complexity", "creativity_required", "execution_focused",
                                     "estimated_cost"}
    assert data["analysis"]["estimated_cost"] == pytest.approx(0.0425)  # Opus 4.5 review
    assert data["learned"] is None
    code, out, _ = _run(capsys, "route", "explain", "script_writing", "--json")
    data = json.loads(out)
    assert data["decision"] == "keep"
    assert "ANTHROPIC_API_KEY" in data["reason"]  # why it runs locally without a key


def test_explain_shows_learned_pattern(capsys: pytest.CaptureFixture[str]) -> None:
    m = Memory()
    for _ in range(3):  # a route-blind check's figures: evidence for execution work
        m.record(Attempt("tts_qa", "local", "local:tts_qa", True, 0,
                         to_nano(0.0345), quality=0.9, evidence="check"))
    for _ in range(3):  # the template writer's own grades: no evidence for creative work
        m.record(Attempt("script_writing", "local", "local:script_writing", True, 0,
                         to_nano(0.0345), quality=1.0, evidence="unjudged"))
    m.close()
    code, out, _ = _run(capsys, "route", "explain", "tts_qa", "--json")
    data = json.loads(out)
    assert data["learned"]["count"] == 3 and data["learned"]["success_rate"] == 1.0
    assert data["decision"] == "delegate" and data["route"] == "local"
    code, out, _ = _run(capsys, "route", "explain", "tts_qa")
    assert "learned: 3 outcomes on local (route-blind checks and judged outcomes), 100% " \
           "success" in out
    code, out, _ = _run(capsys, "route", "explain", "script_writing")
    assert "learned: no pattern yet" in out and "outcomes (3 on local) are unjudged" in out


def test_memory_stats(capsys: pytest.CaptureFixture[str]) -> None:
    m = Memory()
    m.record(Attempt("script_review", "budget", "ds", True, to_nano(0.001), to_nano(0.04),
                     quality=0.9))
    m.close()
    code, out, _ = _run(capsys, "memory", "stats", "--json")
    data = json.loads(out)
    assert code == 0 and data["attempts"] == 1
    assert data["groups"][0]["route"] == "budget"
    assert data["cost_usd"] == pytest.approx(0.001)


def test_malformed_config_one_line_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "archibald.toml"
    bad.write_text("[router]\ncost_threshold_usd = 0.02\n[budgets\nper_run_usd = 1\n")
    proc = subprocess.run([sys.executable, "-m", "archibald", "route", "explain",
                           "script_review", "--config", str(bad)], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0  # one line, no traceback
    assert f"{bad}:3:" in proc.stderr and "Traceback" not in proc.stderr


def test_invalid_setting_names_file_line_and_setting(tmp_path: Path) -> None:
    bad = tmp_path / "a.toml"
    bad.write_text("[router]\nstrategy = \"matrix\"\n\n[task_types.script_review]\n"
                   "complexity = 11\n")
    with pytest.raises(ConfigError) as info:
        load_settings(bad)
    assert info.value.line == 5 and "complexity" in str(info.value)


def test_unknown_task_type_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "route", "explain", "nonsense")
    assert code == 2 and "unknown task type 'nonsense'" in err and "[task_types." in err


@pytest.mark.parametrize("argv,says", [
    (("report",), "No such command 'report'"),
    (("produce", "--minutes", "ten", "--topic", "x"), "Invalid value for '--minutes'"),
    (("plan", "--videos"), "requires an argument"),
])
def test_command_line_mistakes_are_one_line_exit_2(capsys: pytest.CaptureFixture[str],
                                                   argv: tuple[str, ...], says: str) -> None:
    code, out, err = _run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("archibald: error: ") and says in err
    assert "--help" in err and "Traceback" not in err


def test_user_profile_overrides_shipped_one(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "archibald.toml"
    cfg.write_text("[task_types.script_review]\ncreativity_required = true\ncomplexity = 8\n"
                   "execution_focused = false\n")
    code, out, _ = _run(capsys, "route", "explain", "script_review", "--json", "--config",
                        str(cfg))
    assert json.loads(out)["decision"] == "keep"


def test_keys_list_shows_a_sub_cent_spend_as_it_is(capsys: pytest.CaptureFixture[str]) -> None:
    from archibald.serve.gateway.keys import Keys, channel_of

    m = Memory()
    Keys(m).create("alice")  # no limits: listing it used to raise formatting None
    Keys(m).create("bob", budget_usd=5, rpm=60)
    m.record(Attempt("chat", "budget", "ds", True, 21_000, 0, channel=channel_of("alice")))
    m.close()
    code, out, _ = _run(capsys, "keys", "list")
    alice, bob = out.splitlines()
    assert code == 0 and "spent $0.000021  no limits" in alice  # $0.0000 said nothing
    assert "spent $0  budget $5, 60 requests a minute" in bob
