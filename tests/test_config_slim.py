"""The slim core: without the [video], [learning] and [youtube] extras the router, ledger,
budgets, memory and CLI work, and a command that needs an extra names it in one line."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

from archibald.errors import StageFailed
from archibald.config.extras import EXTRAS, missing_extra

#: runs the CLI with every module of the optional extras made unimportable
_SLIM = """
import sys
from importlib.abc import MetaPathFinder

BLOCKED = set(sys.argv[1].split(","))

class Slim(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, Slim())
from archibald.cli import main
main(sys.argv[2:])
"""


def _slim(tmp_path: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    blocked = ",".join(sorted(EXTRAS))
    return subprocess.run([sys.executable, "-c", _SLIM, blocked, *argv], capture_output=True,
                          text=True, cwd=tmp_path, timeout=120)


def test_route_explain_and_memory_work_without_any_extra(tmp_path):
    proc = _slim(tmp_path, "route", "explain", "script_writing", "--json")
    assert proc.returncode == 0, proc.stderr
    decision = json.loads(proc.stdout)
    assert decision["route"] == "local" and "ANTHROPIC_API_KEY" in json.dumps(decision)
    proc = _slim(tmp_path, "memory", "stats")
    assert proc.returncode == 0, proc.stderr


def test_a_command_that_needs_an_extra_names_it_in_one_line(tmp_path):
    proc = _slim(tmp_path, "music", "--minutes", "0.1", "--out",
                 str(tmp_path / "m.wav"))
    assert proc.returncode == 2, proc.stderr
    line = proc.stderr.strip()
    assert "\n" not in line and "Traceback" not in line
    assert "pip install 'archibald[video]'" in line
    bandit = tmp_path / "archibald.toml"
    bandit.write_text("[router]\nstrategy = \"bandit\"\n")
    proc = _slim(tmp_path, "route", "explain", "script_writing")
    assert proc.returncode == 2 and "archibald[learning]" in proc.stderr
    assert "archibald.toml:2: [router]" in proc.stderr


def test_missing_extra_reads_stage_failures_too():
    err = ModuleNotFoundError("No module named 'av'", name="av")
    said = missing_extra(StageFailed("video_assembly", err))
    assert said is not None and "stage 'video_assembly'" in str(said)
    assert "archibald[video]" in str(said)
    assert missing_extra(ModuleNotFoundError("x", name="not_ours")) is None
    assert missing_extra(ValueError("x")) is None


def test_the_core_dependencies_leave_media_out_and_litellm_is_a_safe_range():
    meta = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())
    core = " ".join(meta["project"]["dependencies"])
    for heavy in ("numpy", "scipy", "piper", "av>", "matplotlib", "google", "pillow"):
        assert heavy not in core
    from packaging.requirements import Requirement

    litellm = Requirement(next(d for d in meta["project"]["dependencies"]
                               if d.startswith("litellm"))).specifier
    for bad in ("1.82.7", "1.82.8", "1.107.0"):
        assert bad not in litellm
    assert {"1.82.6", "1.82.9", "1.102.4", "1.106.12"} <= set(litellm.filter(
        ["1.82.6", "1.82.9", "1.102.4", "1.106.12"]))  # a range, not one version
    extras = meta["project"]["optional-dependencies"]
    assert {"video", "youtube", "learning"} <= set(extras)


def test_the_shipped_routes_resolve_without_importing_litellm(tmp_path):
    """LiteLLM's price map names the providers of the shipped models; importing LiteLLM (seconds
    on a busy machine) is left to the first call, or to a provider Archibald does not list."""
    code = ("import sys\nimport archibald\n"
            "router = archibald.open_router(archibald.load_settings(None))\n"
            "print(router.decide(archibald.Task('script_writing', {})).route)\n"
            "router.memory.close()\nprint('litellm' in sys.modules)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["local", "False"]
