"""The public API: the README's example runs as written (sync and async), `archibald.__all__`
names the router, ledger, budgets, settings, data types and errors, and the package is typed."""

from __future__ import annotations

import asyncio
import re
import textwrap
from pathlib import Path

import pytest

import archibald

#: the README's "Use the router from Python" example, verbatim (kept in sync by a test below)
README_EXAMPLE = '''
import archibald
from archibald import Outcome, Task, Usage

prices = archibald.PriceBook()              # LiteLLM's public price map + prices.toml
registry = archibald.Registry()

@archibald.backend(registry, "summary", "premium")
def big_model(task, context):
    text = my_client.complete("claude-sonnet-4-6", task.inputs["prompt"])   # your own call
    usage = Usage(input_tokens=1200, output_tokens=300)
    return Outcome(text, backend="mine", route="premium", model="claude-sonnet-4-6",
                   usage=usage, cost=prices.cost(usage, model="claude-sonnet-4-6"))

@archibald.backend(registry, "summary", "budget")
async def small_model(task, context):
    text = await my_client.acomplete("groq/openai/gpt-oss-20b", task.inputs["prompt"])
    usage = Usage(input_tokens=1200, output_tokens=300)
    return Outcome(text, backend="mine", route="budget", model="groq/openai/gpt-oss-20b",
                   usage=usage, cost=prices.cost(usage, model="groq/openai/gpt-oss-20b"))

router = archibald.open_router("archibald.toml", registry=registry)
task = Task("summary", {"prompt": "Summarise this support thread: ..."})
print(router.decide(task).reason)                       # why this route, before any call

result = archibald.run_sync(router, task, run_id="nightly")        # from plain code
# result = await router.run(task, archibald.Context(workdir="."), run_id="nightly")  # async
print(result.outcome.route, result.outcome.artifact)
print("spent", archibald.usd(router.memory.spent_nano(run_id="nightly")))  # the ledger
router.memory.close()
'''

#: the archibald.toml the example reads
README_CONFIG = '''
[task_types.summary]
complexity = 3                 # 1-10: how hard; with the two below it feeds the matrix
creativity_required = false
execution_focused = true
routes = ["premium", "budget"] # premium first, then the cheaper routes in order
premium_usage = { input_tokens = 1200, output_tokens = 300 }  # prices premium before a call
quality_floor = 0.6

[budgets]
per_run_usd = 0.50             # refused before the call, never after
'''


class FakeClient:
    """Stands in for the user's own SDK client."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def complete(self, model: str, prompt: str) -> str:
        self.calls.append(model)
        return f"{model} summary"

    async def acomplete(self, model: str, prompt: str) -> str:
        self.calls.append(model)
        return f"{model} summary"


def test_the_readme_example_runs_and_records_in_the_ledger(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ARCHIBALD_DB", f"sqlite:///{tmp_path / 'ledger.db'}")
    (tmp_path / "archibald.toml").write_text(README_CONFIG)
    client = FakeClient()
    exec(compile(README_EXAMPLE, "README.md", "exec"), {"my_client": client})
    out = capsys.readouterr().out.splitlines()
    assert out[1] == "budget groq/openai/gpt-oss-20b summary"
    assert client.calls == ["groq/openai/gpt-oss-20b"]
    assert out[2].startswith("spent ")
    groq = archibald.PriceBook().model("groq/openai/gpt-oss-20b")
    spent = 1200 * groq.input_per_token + 300 * groq.output_per_token
    assert float(out[2].split()[1]) == pytest.approx(spent) and spent > 0


def test_async_use_and_a_budget_refusal(tmp_path, monkeypatch):
    monkeypatch.setenv("ARCHIBALD_DB", f"sqlite:///{tmp_path / 'ledger.db'}")
    (tmp_path / "archibald.toml").write_text(README_CONFIG.replace("0.50", "0.000001")
                                             .replace('["premium", "budget"]', '["premium"]'))
    registry = archibald.Registry()

    @archibald.backend(registry, "summary", "premium")
    async def never(task: archibald.Task, context: archibald.Context) -> str:
        raise AssertionError("a refused call must not run")

    router = archibald.open_router(tmp_path / "archibald.toml", registry=registry)

    async def main() -> None:
        with pytest.raises(archibald.BudgetExceeded) as info:
            await router.run(archibald.Task("summary", {"prompt": "x"}),
                             archibald.Context(workdir=tmp_path), run_id="r")
        assert "per_run_usd" in str(info.value)
        with pytest.raises(archibald.UserError):  # no nested event loop
            archibald.run_sync(router, archibald.Task("summary", {"prompt": "x"}))

    asyncio.run(main())
    assert router.memory.spent_nano(run_id="r") == 0
    router.memory.close()


def test_public_names_and_types():
    expected = {"Router", "Registry", "Memory", "load_settings", "build_registry", "Task",
                "Outcome", "Context", "Usage", "BudgetGuard", "Attempt", "to_nano", "usd",
                "PriceBook", "open_router", "run_sync", "backend", "ConfigError",
                "BudgetExceeded", "MissingKeyError", "RouteUnavailable", "UserError",
                "ArchibaldError", "__version__"}
    assert expected <= set(archibald.__all__)
    for name in archibald.__all__:
        assert getattr(archibald, name) is not None
    assert (Path(archibald.__file__).parent / "py.typed").exists()
    with pytest.raises(AttributeError):
        archibald.no_such_name  # noqa: B018


def test_the_readme_carries_this_example_when_it_has_the_section():
    readme = Path(__file__).resolve().parents[1] / "README.md"
    text = readme.read_text(encoding="utf-8")
    if "## Use the router from Python" not in text:
        pytest.skip("the README section is added by the coordinator from this test's text")
    blocks = re.findall(r"```python\n(.*?)```", text.split("## Use the router from Python")[1],
                        re.S)
    assert blocks and textwrap.dedent(blocks[0]).strip() == README_EXAMPLE.strip()
