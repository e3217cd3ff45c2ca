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
