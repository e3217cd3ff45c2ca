"""Budgets are reservations: two processes spending against one database never cross a
limit together, and a call whose maximum does not fit is capped or refused before it is made."""

from __future__ import annotations

import asyncio
import math
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from archibald.core.budgets import BudgetGuard, checked_limit
from archibald.config import Budgets, load_settings
from archibald.errors import BudgetExceeded, ConfigError
from archibald.store.ledger import to_nano
from archibald.store.memory import Memory
from archibald.core.prices import PriceBook
from archibald.core.router import Registry, Router
from archibald.core.tasks import Context, Task
from stubs.anthropic import AnthropicStub
from stubs.fixtures import anthropic_stub, fal_stub, provider_env  # noqa: F401
from pg_helpers import pg_url, reset_pg

#: a process that spends $0.01 a call (a slow call: the window a check-then-record budget
#: loses to the other process) until the monthly budget refuses
SPENDER = r'''
import asyncio, sys, time
from pathlib import Path
from archibald.providers.backends.base import Backend
from archibald.config import load_settings
from archibald.errors import BudgetExceeded
from archibald.store.memory import Memory
from archibald.core.router import Registry, Router
from archibald.core.tasks import Context, Outcome, Task

url, log, name = sys.argv[1], Path(sys.argv[2]), sys.argv[3]

class Paid(Backend):
    route = "premium"
    name = "stub:paid"
    def max_cost(self, task):
        return 0.01
    async def execute(self, task, context):
        with open(log, "a") as f:
            f.write(name + "\n")  # the provider bills here
        await asyncio.sleep(0.03)
        return Outcome("ok", self.name, "premium", cost=0.01, quality=1.0)

settings = load_settings()
memory = Memory(url)
registry = Registry()
registry.register("probe", "premium", Paid())
router = Router(settings, memory, registry)
start = Path(sys.argv[4])
Path(f"{start}.{name}").touch()  # ready: both start spending together
while not start.exists():
    time.sleep(0.001)
n = 0
try:
    while True:
        n += 1
        asyncio.run(router.run(Task("probe", {"n": n, "who": name}), Context(Path(".")),
                               run_id=f"{name}-{n}", stage="probe"))
except BudgetExceeded as exc:
    print("REFUSED", exc)
'''

CONFIG = """
[budgets]
per_month_usd = 0.08

[task_types.probe]
complexity = 3
capability = "text"
creativity_required = false
execution_focused = false
routes = ["premium"]
route = "premium"
premium_model = "claude-sonnet-4-6"
premium_usage = { input_tokens = 100, output_tokens = 100 }
quality_floor = 0.0
"""


def _race(tmp_path: Path, url: str, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    config = tmp_path / "archibald.toml"
    config.write_text(CONFIG)
    monkeypatch.setenv("ARCHIBALD_CONFIG", str(config))
    Memory(url).close()  # migrate once, before the race
    script, log, go = tmp_path / "spend.py", tmp_path / "billed.log", tmp_path / "go"
    script.write_text(SPENDER)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    procs = [subprocess.Popen([sys.executable, str(script), url, str(log), who, str(go)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
             for who in ("a", "b")]
    deadline = time.monotonic() + 90
    while not all(Path(f"{go}.{who}").exists() for who in ("a", "b")):
        assert all(p.poll() is None for p in procs), [p.communicate() for p in procs]
        assert time.monotonic() < deadline, "the spenders never got ready"
        time.sleep(0.01)
    go.touch()
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        assert "REFUSED budget refused: this month" in out, out
    return log.read_text().split()


def _check_race(billed: list[str], url: str) -> None:
    memory = Memory(url)
    try:
        spent = memory.spent_nano()
    finally:
        memory.close()
    assert len(billed) == 8, billed  # $0.08 / $0.01: every cent used, none beyond
    assert set(billed) == {"a", "b"}  # both processes did spend
    assert spent == to_nano(0.01) * len(billed) <= to_nano(0.08)


def test_two_processes_on_one_sqlite_database_never_cross_the_monthly_limit(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    _check_race(_race(tmp_path, url, monkeypatch), url)


@pytest.mark.postgres
def test_two_processes_on_one_postgresql_database_never_cross_the_monthly_limit(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = pg_url()
    reset_pg(url)
    try:
        _check_race(_race(tmp_path, url, monkeypatch), url)
    finally:
        reset_pg(url)


def _chat_router(tmp_path: Path, budgets: str) -> tuple[Router, Memory]:
    from archibald.core.catalog import build_registry

    config = tmp_path / "archibald.toml"
    config.write_text(budgets + CONFIG.split("\n", 3)[3])
    settings = load_settings(config)
    memory = Memory(f"sqlite:///{tmp_path / 'chat.db'}")
    return Router(settings, memory, build_registry(settings, memory)), memory


def test_a_call_whose_maximum_does_not_fit_is_capped_before_it_is_made(
        anthropic_stub: AnthropicStub, provider_env: Any, tmp_path: Path) -> None:
    """The issue's case: estimated $0.018, could cost $0.065 (all of max_tokens), $0.05 run
    limit. The call goes out with a max_tokens that fits, and the reason says so."""
    router, memory = _chat_router(tmp_path, "[budgets]\nper_run_usd = 0.05\n")
    task = Task("probe", {"prompt": "Write a short calm paragraph.", "max_tokens": 4300})
    backend = router.registry.get("probe", "premium")
    assert backend is not None and (backend.max_cost(task) or 0) > 0.05  # 4300 x $15/Mtok
    result = asyncio.run(router.run(task, Context(tmp_path), run_id="r", stage="probe"))
    sent = anthropic_stub.requests[-1].json()["max_tokens"]
    assert sent < 4300 and sent * 15e-6 <= 0.05
    assert f"max_tokens cut from 4300 to {sent}" in result.attempts[0].reason
    assert memory.spent_nano(run_id="r") == result.cost_nano <= to_nano(0.05)
    memory.close()


def test_a_call_that_cannot_fit_is_refused_and_nothing_reaches_the_provider(
        anthropic_stub: AnthropicStub, provider_env: Any, tmp_path: Path) -> None:
    router, memory = _chat_router(tmp_path, "[budgets]\nper_run_usd = 0.002\n")
    task = Task("probe", {"prompt": "Write a short calm paragraph.", "max_tokens": 4300})
    with pytest.raises(BudgetExceeded, match=r"run r .* limit is \$0\.002;"):
        asyncio.run(router.run(task, Context(tmp_path), run_id="r", stage="probe"))
    assert anthropic_stub.requests == []
    assert memory.attempts_of_run("r") == []  # a refusal writes no row
    memory.close()


@pytest.mark.parametrize("bad", [math.nan, math.inf, -0.01, "5", True])
def test_budgets_and_prices_refuse_nan_inf_and_negatives(bad: Any, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^\[budgets\.per_run_usd\] must be"):
        checked_limit(bad, "budgets.per_run_usd")
    memory = Memory(f"sqlite:///{tmp_path / 'm.db'}")
    with pytest.raises((ConfigError, ValueError)):  # the schema refuses it, else the guard
        BudgetGuard(Budgets(per_month_usd=bad), memory)
    memory.close()
    if not isinstance(bad, (str, bool)):
        with pytest.raises(ConfigError, match="finite amount >= 0"):
            PriceBook(units={"x:y": {"unit": "characters", "usd_per_unit": bad,
                                     "source": "test"}})
        with pytest.raises(ConfigError, match="finite amount >= 0"):
            PriceBook(models={"m": {"input_per_mtok": 1.0, "output_per_mtok": bad}}).model("m")


def test_a_negative_cost_is_never_recorded(tmp_path: Path) -> None:
    from archibald.store.ledger import Attempt

    with pytest.raises(ValueError, match="finite amount >= 0"):
        to_nano(-0.01)
    with pytest.raises(ValueError):
        to_nano(math.nan)
    memory = Memory(f"sqlite:///{tmp_path / 'neg.db'}")
    with pytest.raises(ValueError, match="negative amount"):
        memory.record(Attempt("t", "premium", "b", True, -5, 0))
    assert memory.spent_nano() == 0
    memory.close()


def test_an_image_is_reserved_at_what_fal_can_bill_not_at_the_estimate(
        fal_stub: Any, provider_env: Any, tmp_path: Path) -> None:
    """The issue's case, under fal's megapixel (1024 x 1024, rounded up per image): 1920x1080
    snaps to 1920x1088 = 1.99 MP, billed 2 MP ($0.05), against a $0.045 run limit."""
    from archibald.providers.backends.fal import FalImageBackend
    from archibald.providers.registry import ProviderSettings

    settings = load_settings(overrides={"budgets": {"per_run_usd": 0.045}})
    memory = Memory(f"sqlite:///{tmp_path / 'img.db'}")
    registry = Registry()
    registry.register("image_generation", "premium",
                      FalImageBackend(ProviderSettings.load().get("fal"), PriceBook()))
    router = Router(settings, memory, registry)
    task = Task("image_generation", {"prompt": "lake", "width": 1920, "height": 1080,
                                     "out": str(tmp_path / "bg.png")})
    decision = router.decide(task)
    decision.chain = ["premium"]
    with pytest.raises(BudgetExceeded, match=r"would cost up to \$0\.05,"):
        asyncio.run(router.run(task, Context(tmp_path), run_id="i", stage="image",
                               decision=decision))
    assert fal_stub.requests == []
    memory.close()


def test_a_bill_above_its_reservation_is_flagged(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """A backend whose max_cost understates its bill: the call is recorded at what it cost,
    and the overshoot is said (one warning line, and in the outcome's detail)."""
    from archibald.providers.backends.base import Backend
    from archibald.core.tasks import Outcome

    class Understated(Backend):
        route = "premium"
        name = "stub:understated"

        def max_cost(self, task: Task) -> float:
            return 0.01

        async def execute(self, task: Task, context: Context) -> Outcome:
            return Outcome("ok", self.name, "premium", cost=0.015, quality=1.0)

    config = tmp_path / "archibald.toml"
    config.write_text(CONFIG)
    memory = Memory(f"sqlite:///{tmp_path / 'l.db'}")
    registry = Registry()
    registry.register("probe", "premium", Understated())
    router = Router(load_settings(config), memory, registry)
    result = asyncio.run(router.run(Task("probe", {}), Context(tmp_path), run_id="r",
                                    stage="probe"))
    assert result.cost_nano == memory.spent_nano(run_id="r") == to_nano(0.015)
    assert result.outcome.detail["over_reservation_nano"] == to_nano(0.005)
    err = capsys.readouterr().err
    assert "stub:understated settled at $0.015, $0.005 above the $0.01 reserved for it" in err
    memory.close()
