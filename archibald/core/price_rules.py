"""Price rules for your own backends: what a call of a function you wrote costs.

Archibald prices its own backends from public prices (:mod:`archibald.core.prices`). A backend
you add — ``@archibald.backend(..., price=...)``, a function of an entry point in the
``archibald.backends`` group, or a pipeline stage's local function marked with
``@archibald.priced(...)`` — declares its rule here, so its calls are reserved against the
budgets before they are made (the rule's maximum), recorded in the ledger and priced like ours:

- :func:`per_call` — a fixed fee a call (``per_call(0.006)``);
- :func:`per_unit` — so much a unit of what the call consumed, counted in a field of
  :class:`~archibald.core.tasks.Usage` the function reports (``per_unit(0.00003,
  "characters", most=lambda task: len(task.inputs["text"]))``), with the most units a call may
  consume (a number, or a function of the task), which is what is reserved; a call that
  reports no units is priced at that most, never at $0;
- :func:`per_second` — so much a second of the call (a GPU billed by the second), measured
  around the call, with the most seconds it may take;
- :data:`FREE` — it runs on this machine and costs nothing: say so, and nothing is warned.

A function with no rule is still recorded, at its own figure (an ``Outcome`` with ``cost``) or
at $0 — and said to be unpriced, in the ledger's price source and once on stderr.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from typing import Any, Callable, Literal

from .tasks import Outcome, Task, Usage

__all__ = ["PriceRule", "per_call", "per_unit", "per_second", "FREE", "priced", "rule_of",
           "apply_rule", "UNPRICED", "REPORTED", "warn_unpriced"]

#: the ledger's price source of a call of a backend that declared no price
UNPRICED = "no price declared: recorded at $0 (declare price=...)"
#: ... and of one whose function reported a cost itself
REPORTED = "the cost the function reported (no price rule declared)"
#: what a task's most units (or seconds) may be given as
Most = float | Callable[[Task], float]
_UNITS = tuple(f for f in Usage.__dataclass_fields__)
_warned: set[str] = set()


@dataclass(frozen=True)
class PriceRule:
    """How a backend's calls are priced: ``usd`` per call, per ``unit`` or per second."""

    usd: float
    per: Literal["call", "unit", "second"] = "call"
    unit: str = ""
    most: Most | None = None
    source: str = ""

    def __post_init__(self) -> None:
        if isinstance(self.usd, bool) or not isinstance(self.usd, (int, float)) \
                or not math.isfinite(self.usd) or self.usd < 0:
            raise ValueError(f"a price must be a finite number of dollars >= 0, not "
                             f"{self.usd!r}")
        if self.per == "unit" and self.unit not in _UNITS:
            raise ValueError(f"unit {self.unit!r} is not a Usage field; use one of "
                             f"{', '.join(_UNITS)}")
        if self.per in ("unit", "second") and self.most is None and self.usd > 0:
            raise ValueError(f"a price per {self.per} needs most= (the most "
                             f"{'units' if self.per == 'unit' else 'seconds'} a call may take, "
                             f"or a function of the task): it is what the budgets reserve")

    def _most(self, task: Task) -> float:
        most = self.most(task) if callable(self.most) else self.most
        value = float(most or 0.0)
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"most= gave {most!r} for {task.type}: a number >= 0 is needed")
        return value

    def max_cost(self, task: Task) -> float:
        """The most a call of ``task`` can cost: what is reserved before it is made."""
        if self.per == "call":
            return self.usd
        return self.usd * self._most(task)

    def describe(self) -> str:
        what = {"call": "a call", "second": "a second"}.get(self.per, f"per {self.unit}")
        said = f"${self.usd:g} {what}" if self.per != "unit" else f"${self.usd:g} {what}"
        return said + (f" ({self.source})" if self.source else " (declared by the backend)")

    def cost(self, task: Task, usage: Usage, seconds: float) -> tuple[float, str]:
        """The price of a call that consumed ``usage`` in ``seconds``, and how it was priced."""
        if self.per == "call":
            return self.usd * max(1, usage.requests), self.describe()
        if self.per == "second":
            return self.usd * seconds, f"{self.describe()}, {seconds:.3f} s measured"
        units = float(getattr(usage, self.unit) or 0)
        if units > 0:
            return self.usd * units, f"{self.describe()}, {units:g} {self.unit} reported"
        most = self._most(task)
        return self.usd * most, (f"{self.describe()}, no {self.unit} reported: priced at the "
                                 f"most ({most:g})")


def per_call(usd: float, *, source: str = "") -> PriceRule:
    """A fixed fee per call."""
    return PriceRule(usd, "call", source=source)


def per_unit(usd: float, unit: str, *, most: Most, source: str = "") -> PriceRule:
    """``usd`` per unit of ``unit`` (a Usage field: characters, images, audio_seconds,
    input_tokens...), at most ``most`` units a call (a number or a function of the task)."""
    return PriceRule(usd, "unit", unit, most, source)


def per_second(usd: float, *, most: Most, source: str = "") -> PriceRule:
    """``usd`` per second of the call, measured around it; at most ``most`` seconds."""
    return PriceRule(usd, "second", most=most, source=source)


#: a function that runs on this machine and costs nothing, declared as such
FREE = PriceRule(0.0, "call", source="declared free: runs on this machine")


def priced(rule: PriceRule) -> Callable[[Any], Any]:
    """Mark a function (a pipeline stage's local function, say) with its price rule."""
    if not isinstance(rule, PriceRule):
        raise TypeError("priced() takes a PriceRule: per_call(...), per_unit(...), "
                        "per_second(...) or FREE")

    def mark(fn: Any) -> Any:
        fn.__archibald_price__ = rule
        return fn
    return mark


def rule_of(fn: Any) -> PriceRule | None:
    """The price rule a function was marked with, if any."""
    rule = getattr(fn, "__archibald_price__", None)
    return rule if isinstance(rule, PriceRule) else None


def apply_rule(rule: PriceRule | None, task: Task, outcome: Outcome, seconds: float,
               name: str) -> Outcome:
    """Price ``outcome`` by ``rule``: its cost and the ledger's price source. Without a rule
    the function's own figure stands, said to be undeclared."""
    if rule is None:
        if not outcome.cost:
            warn_unpriced(name, outcome.route)
        outcome.detail.setdefault("price_source", REPORTED if outcome.cost else UNPRICED)
        return outcome
    reported = outcome.cost
    outcome.cost, source = rule.cost(task, outcome.usage, seconds)
    if not outcome.usage.requests:
        outcome.usage.requests = 1
    outcome.detail["price_source"] = f"{name}: {source}"
    if reported and abs(reported - outcome.cost) > 1e-12:
        outcome.detail["reported_cost"] = reported  # the function's own figure, not billed
    return outcome


def warn_unpriced(name: str, route: str) -> None:
    """Once per backend: a call of a backend without a price rule was recorded at $0."""
    if name in _warned:
        return
    _warned.add(name)
    print(f"warning: backend {name!r} ({route} route) declares no price and reported no cost: "
          f"its calls are recorded at $0. If it calls a paid service, declare "
          f"price=per_call(...), per_unit(...) or per_second(...); if it runs here, price=FREE "
          f"(docs/backends.md)", file=sys.stderr)
