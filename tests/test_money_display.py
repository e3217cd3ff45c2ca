"""Money as a person reads it (archibald.store.ledger.format_usd): cents with 2 decimals,
a sub-cent amount never shown as nothing, exact zero as ``$0``."""

from __future__ import annotations

import pytest

from archibald.store.ledger import format_usd


@pytest.mark.parametrize("amount, places, shown", [
    (0, 2, "$0"),
    (0.0, 6, "$0"),
    (-0.0, 2, "$0"),
    (1e-9, 2, "$0.000000001"),  # one nano-dollar, the ledger's smallest unit
    (0.000021, 2, "$0.000021"),  # a gateway call
    (0.0000215, 2, "$0.000022"),  # two significant digits
    (0.004999, 2, "$0.005"),
    (0.009999, 2, "$0.01"),  # rounds up to a cent: no trailing zeros past the cents
    (0.01, 2, "$0.01"),
    (12.3456, 2, "$12.35"),
    (1234567.891, 2, "$1,234,567.89"),
    (-0.000021, 2, "-$0.000021"),  # a saving that went the other way
    (-12.3456, 2, "-$12.35"),
    # a page of precise per-call money keeps its decimals, and still shows what is under them
    (12.3456, 4, "$12.3456"),
    (0.004999, 4, "$0.0050"),
    (0.0035, 4, "$0.0035"),
    (1e-9, 4, "$0.000000001"),
    (0.000021, 6, "$0.000021"),
    (0.004999, 6, "$0.004999"),
    (1e-9, 6, "$0.000000001"),
])
def test_an_amount_is_shown_with_its_decimals_and_never_as_zero_unless_it_is(
        amount: float, places: int, shown: str) -> None:
    assert format_usd(amount, places) == shown


@pytest.mark.parametrize("amount, places, shown", [
    (0, 4, "$0"),
    (12.5, 4, "$12.50"),  # not $12.5000: the zeros past the cents say nothing
    (15.0, 6, "$15"),  # a whole amount: a price of $15 per million tokens
    (0.075, 6, "$0.075"),
    (0.28, 6, "$0.28"),
    (0.28e-6 * 1e6, 6, "$0.28"),  # a per-token price back in millions: no float noise
    (0.0375, 6, "$0.0375"),
    (1.875, 6, "$1.875"),
    (0.00012, 4, "$0.00012"),  # not $0.0001, nor $0.0000
    (0.005, 4, "$0.005"),
    (0.009999, 4, "$0.01"),
    (0.0149, 4, "$0.0149"),
    (0.015, 4, "$0.015"),
    (12.3456789, 4, "$12.3457"),  # places is still the most decimals shown
    (1234.5, 4, "$1,234.50"),
    (-0.0007, 6, "-$0.0007"),
    (1e-9, 6, "$0.000000001"),
])
def test_a_trimmed_amount_drops_only_the_zeros_that_say_nothing(
        amount: float, places: int, shown: str) -> None:
    assert format_usd(amount, places, trim=True) == shown


def test_a_budget_refusal_says_each_amount_at_its_real_size() -> None:
    from archibald.errors import BudgetExceeded

    tiny = str(BudgetExceeded("run r", 0.0, 0.00012, 0.0001, "[budgets] per_run_usd"))
    assert tiny == ("budget refused: run r has spent $0, this call would cost up to $0.00012, "
                    "the limit is $0.0001; raise [budgets] per_run_usd in archibald.toml to "
                    "allow it")
    month = str(BudgetExceeded("this month", 12.5, 0.035, 20.0, "[budgets] monthly_usd"))
    assert "has spent $12.50, this call would cost up to $0.035, the limit is $20;" in month


@pytest.mark.parametrize("per_token, shown", [
    (0.075e-6, "$0.075"), (0.28e-6, "$0.28"), (15e-6, "$15"), (0.625e-6, "$0.625"),
    (0.025e-6, "$0.025"), (2.5e-6, "$2.50"), (0.0375e-6, "$0.0375"),
])
def test_a_price_per_million_tokens_keeps_its_real_digits(per_token: float, shown: str) -> None:
    from archibald.cli.route import per_mtok

    assert per_mtok(per_token) == shown  # gpt-5's batch input was $0.62, gpt-5-nano's $0.02


def test_reasons_and_warnings_say_money_at_its_real_size() -> None:
    from archibald.core.tasks import TaskAnalysis
    from archibald.learning.stats import compare

    analysis = TaskAnalysis(complexity=5, creativity_required=False, execution_focused=False,
                            estimated_cost=0.0149)
    assert analysis.matrix_reason(0.015) == ("the premium route would cost $0.0149, under the "
                                             "$0.015 threshold, so it is delegated")
    dearer = [{"cost": 0.00012, "quality": 0.9}] * 3
    cheaper = [{"cost": 0.00010, "quality": 0.9}] * 3
    verdict = compare(dearer, cheaper, a="premium", b="budget").verdict
    # was "lower by 0.0000 (95% interval -0.0000 to -0.0000)"
    assert "B's cost is lower by $0.00002 (95% interval -$0.00002 to -$0.00002)" in verdict
