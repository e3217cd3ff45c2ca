"""Money: every attempt's real cost, kept in integer nano-dollars so totals are exact sums."""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Iterable

__all__ = ["NANO", "to_nano", "usd", "Attempt", "total_nano", "format_usd", "PURPOSES",
           "EVIDENCE"]

#: why an attempt was made; only "production" is the work itself
PURPOSES = ("production", "judge", "shadow")
#: the sources of a quality figure that count as evidence for routing
EVIDENCE = ("check", "judge", "shadow", "human")

#: one US dollar in ledger units; 1e-9 USD resolves the cheapest token price there is
NANO = 1_000_000_000


def to_nano(amount_usd: float) -> int:
    """Dollars to integer nano-dollars (the only form money is stored or summed in).

    Money is never negative and never nan/inf: such an amount is a bug or a bad price, and
    recording it would silently corrupt every total after it.
    """
    if not math.isfinite(amount_usd) or amount_usd < 0:
        raise ValueError(f"a cost must be a finite amount >= 0, not {amount_usd!r}")
    return int(round(amount_usd * NANO))


def usd(nano: int) -> float:
    """Integer nano-dollars back to dollars, for display."""
    return nano / NANO


def format_usd(amount_usd: float, places: int = 2, *, trim: bool = False) -> str:
    """Dollars as a person reads them: ``$12.35`` (``places`` decimals, 4 or 6 where a page
    shows precise per-call money), exact zero as ``$0``, and an amount under a cent with two
    significant digits however small it is (``$0.000021``, never a ``$0.00`` that reads as
    nothing spent); a negative amount (a saving that went the other way) as ``-$0.42``.

    ``trim``: ``places`` is the most decimals a message needs, and the zeros past the cents
    say nothing: ``$12.50`` (not ``$12.5000``), ``$0.075``, a whole amount as ``$15``.

    Only for display: stored values, JSON, headers and CSV keep their own exact forms.
    """
    if amount_usd == 0:
        return "$0"
    if not math.isfinite(amount_usd):
        return f"${amount_usd}"
    sign = "-" if amount_usd < 0 else ""
    size = abs(amount_usd)
    if size >= 0.01:
        text = f"{size:,.{places}f}"
        whole, dot, fraction = text.partition(".")
        if trim and dot:
            fraction = fraction[:2] + fraction[2:].rstrip("0")
            text = whole if fraction.strip("0") == "" else f"{whole}.{fraction}"
        return f"{sign}${text}"
    text = f"{size:.{max(places, 1 - math.floor(math.log10(size)))}f}"
    whole, _, fraction = text.partition(".")
    # the digits past ``places`` are there to make the amount non-zero: their trailing zeros
    # say nothing (0.009999 rounds to $0.01, not $0.0100)
    fraction = fraction[:places] + fraction[places:].rstrip("0")
    return f"{sign}${whole}.{fraction.rstrip('0') if trim else fraction}"


def total_nano(rows: Iterable[int]) -> int:
    """The total of ledger rows: always their exact integer sum."""
    return sum(rows)


@dataclass
class Attempt:
    """One try of one task on one route: what it cost and what it replaced."""

    task_type: str
    route: str
    backend: str
    success: bool
    cost_nano: int
    baseline_nano: int  # what the premium route costs (or was estimated to cost) for this task
    channel: str = "default"
    run_id: str = ""
    stage: str = ""
    model: str | None = None
    quality: float | None = None
    seconds: float = 0.0
    usage: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    reason: str = ""
    config_digest: str = ""
    price_source: str = ""
    created_at: float = field(default_factory=time.time)
    id: int | None = None
    #: why the call was made: "production" (the work), "judge" or "shadow" (quality assurance)
    purpose: str = "production"
    #: where ``quality`` came from: "check" (route-blind), "judge", "shadow" (pairwise against
    #: premium), "unjudged" (nothing independent looked at it), "" (no result)
    evidence: str = ""
    #: write-ahead state: "pending" (reserved, call in flight), "settled" (cost known) or
    #: "unknown" (a crash lost the answer; its maximum counts against budgets)
    status: str = "settled"
    #: run/stage/route/attempt, plus the provider's request id once one is known
    idempotency_key: str = ""
    request_id: str = ""
    #: the most the call could cost, reserved against budgets before it was made
    max_cost_nano: int = 0
    #: digest of the task (type and inputs): a resumed run re-uses a settled answer by it
    input_key: str = ""
    #: False while a settled answer waits for its quality check (a resume runs the check)
    checked: bool = True

    @property
    def cost(self) -> float:
        return usd(self.cost_nano)

    @property
    def baseline(self) -> float:
        return usd(self.baseline_nano)

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["cost_usd"] = self.cost
        d["baseline_usd"] = self.baseline
        return d
