"""Tokens counted without importing LiteLLM equal LiteLLM's own count (issue 20, point 16):
the premium baseline of an offline run stays what it was, and the run imports no LiteLLM."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from archibald.core.tokens import count_like_litellm

MODELS = ("claude-sonnet-4-6", "claude-opus-4-7", "claude-3-5-haiku-20241022",
          "deepseek/deepseek-chat", "gpt-4o", "gpt-4.1", "gpt-3.5-turbo",
          "perplexity/sonar", "anthropic/claude-sonnet-4-6", "ollama_chat/llama3.1")
TEXTS = ("", "Breathe in.", "Ünïcødé — and “quotes”, 😊 emoji; <|endoftext|> a special.",
         ("Settle into your seat and let the breath slow down. " * 60) + "Rest.",
         "\n".join(f"## Section {i}\n- point {i}: {'word ' * i}" for i in range(40)))


@pytest.mark.parametrize("model", MODELS)
def test_the_count_is_litellms_own(model: str) -> None:
    import litellm

    for text in TEXTS:
        assert count_like_litellm(model, text=text) == \
            (litellm.token_counter(model=model, text=text) if text else 0), (model, text[:30])
        messages = [{"role": "system", "content": "You write meditation scripts."},
                    {"role": "user", "content": text or "Write."}]
        assert count_like_litellm(model, messages=messages) == \
            litellm.token_counter(model=model, messages=messages), (model, text[:30])


def test_what_it_does_not_reproduce_is_left_to_litellm() -> None:
    assert count_like_litellm("replicate/meta/llama-2-70b", text="hi") is None
    assert count_like_litellm("gpt-35-turbo", text="hi") is None
    parts = [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]
    assert count_like_litellm("gpt-4o", messages=parts) is None  # type: ignore[list-item]


#: runs the CLI with LiteLLM unimportable: found (its price map and tokenizers are files
#: read where it is installed) but failing the moment anything executes it
_NO_LITELLM = """
import sys
from importlib.abc import Loader, MetaPathFinder
from importlib.machinery import PathFinder

class Refuse(Loader):
    def create_module(self, spec):
        return None
    def exec_module(self, module):
        raise ImportError("importing litellm is blocked in this test")

class Block(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] != "litellm":
            return None
        spec = PathFinder.find_spec(name, path)
        if spec is not None:
            spec.loader = Refuse()
        return spec

if __name__ == "__main__":
    sys.meta_path.insert(0, Block())
    from archibald.cli import main
    main(sys.argv[1:])
"""


@pytest.mark.slow
def test_an_offline_produce_runs_without_importing_litellm(tmp_path: Path) -> None:
    script = tmp_path / "no_litellm.py"
    script.write_text(_NO_LITELLM)
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, str(script), "produce", "--topic",
                           "Calm breathing before sleep", "--minutes", "1", "--out", str(out),
                           "--seed", "1"], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads((out / "run.json").read_text())
    concept = data["stages"]["meditation_concept"]
    assert concept["route"] == "local"
    assert "token_counter" in concept["baseline"]["basis"]  # counted, not estimated
    assert data["totals"]["baseline_nano"] > 0
