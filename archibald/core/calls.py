"""How one paid call is made: its deadline, the wait that gives up on it without waiting for
its clean-up, the one line said when a provider refuses its key, and its answer settled once.
The router (:mod:`.router`) calls through these."""

from __future__ import annotations

import asyncio
import sys
from typing import Any, Awaitable

from ..config import Profile
from ..errors import BackendError, DelegationError
from ..store.ledger import NANO, Attempt, format_usd, to_nano
from ..store.memory import Memory
from ..store.writeahead import WireLog
from .tasks import Outcome, Task

__all__ = ["PAID_ROUTES", "within", "warn_if_key_refused", "warn_if_over_reserved",
           "call_deadline", "answered", "Unsettled"]

#: routes whose calls cost money: they run under a deadline
PAID_ROUTES = ("premium", "budget", "agent")
#: a paid call's deadline by capability, seconds (``timeout_seconds`` of a task type overrides):
#: a chat answer that has not come in 45 s is hung, and the next route is cheaper than waiting
_DEADLINES = {"text": 45.0, "research": 60.0, "speech": 600.0, "music": 300.0, "image": 180.0}
_DEFAULT_DEADLINE = 300.0
#: a chat answer of n tokens may take _WRITING_START + n / _TOKENS_PER_S seconds (the slowest
#: premium models write about 60 tokens a second)
_WRITING_START = 15.0
_TOKENS_PER_S = 60.0
_AGENT_DEADLINE = 1800.0
#: statuses that say the key itself is refused (bad key, no credit, no permission)
_KEY_REFUSED = (401, 402, 403)
_warned: set[str] = set()


def warn_if_key_refused(exc: DelegationError) -> None:
    """One line on stderr, once per provider, when a provider refuses its key: falling back
    silently would hide a key that needs replacing or an account that needs credit."""
    if not isinstance(exc, BackendError) or exc.status not in _KEY_REFUSED:
        return
    from ..providers.registry import SPECS

    spec = SPECS.get(exc.provider)
    if exc.provider in _warned:
        return
    _warned.add(exc.provider)
    what = {401: "refused the key", 402: "wants payment (no credit left)",
            403: "denied the key access"}[exc.status or 401]
    var = f"; check {spec.key_var}" if spec is not None and spec.key_var else ""
    print(f"warning: {exc.provider} {what} (HTTP {exc.status}){var}; trying the next route",
          file=sys.stderr)


async def within(call: Awaitable[Outcome], limit: float | None, *,
                 inline: bool = False) -> Outcome:
    """``call``'s outcome, or TimeoutError once ``limit`` seconds have passed.

    Unlike ``asyncio.wait_for`` this does not wait for the abandoned call to wind down (its
    clean-up may itself be a request, such as cancelling a fal job or deleting an OpenHands
    conversation): it is cancelled and left to finish, and the route is given up at once.

    ``inline``: the call winds down at once when cancelled (a chat call: its connection is
    closed, nothing is awaited), so it runs in the caller's own task under the deadline, as
    ``asyncio.timeout`` runs it. A task of its own would start on the event loop's next turn
    and hand its outcome back on another: under load, two waits behind every other request's
    ready work (the gateway's own time at p50 fell from 1.7 to 1.05 ms without them).
    """
    if not limit:
        return await call
    if inline:
        async with asyncio.timeout(limit):
            return await call
    running = asyncio.ensure_future(call)
    try:
        done, _ = await asyncio.wait({running}, timeout=limit)
    except asyncio.CancelledError:
        running.cancel()
        raise
    if not done:
        running.cancel()
        running.add_done_callback(lambda t: t.cancelled() or t.exception())
        raise TimeoutError
    return running.result()


class Unsettled:
    """An answered call not yet written over its pending row: ``settle()`` writes the attempt
    as it then is, with the kept answer (``payload``) the first time, in the transaction that
    forgets its wire row; later calls only correct the row. While the wire row holds the
    answer, the router settles once, after the check (one commit less a call)."""

    def __init__(self, memory: Memory, attempt: Attempt, payload: dict[str, Any] | None = None,
                 wire: WireLog | None = None, *, done: bool = False) -> None:
        self.memory, self.attempt, self.payload, self.wire = memory, attempt, payload, wire
        self.done = done

    def settle(self, *, soon: bool = False) -> bool:
        """Settle now, or (``soon``) with the ledger's next batch; True when a flush is to be
        scheduled for it (see :meth:`Memory.settle`)."""
        if self.done:
            return self.memory.settle(self.attempt, soon=soon)
        wire = self.wire
        first = self.memory.settle(self.attempt, self.payload,
                                   also=wire.forget if wire else None, soon=soon)
        self.done = True
        return first


def call_deadline(p: Profile, task: Task, route: str) -> float | None:
    """Seconds a paid call of a task type (profile ``p``) may take before the route is given
    up; None for a free route."""
    if route not in PAID_ROUTES:
        return None
    if p.timeout_seconds:
        return p.timeout_seconds
    if route == "agent":
        return _AGENT_DEADLINE
    base = _DEADLINES.get(p.capability, _DEFAULT_DEADLINE)
    if p.capability in ("text", "research") and "max_tokens" in task.inputs:
        # a long answer needs its time to be written (a 10-minute script: ~58 s)
        return max(base, _WRITING_START + int(task.inputs["max_tokens"]) / _TOKENS_PER_S)
    return base


def warn_if_over_reserved(backend: str, attempt: Attempt, outcome: Outcome) -> None:
    """One line on stderr when a call settled above its reservation: the reservation was the
    most it could cost, so a price or a backend's max_cost is wrong, and a budget could be
    crossed by the difference (kept in the outcome's ``over_reservation_nano``)."""
    if not attempt.max_cost_nano or attempt.cost_nano <= attempt.max_cost_nano:
        return
    over = attempt.cost_nano - attempt.max_cost_nano
    outcome.detail["over_reservation_nano"] = over

    def money(nano: int) -> str:
        return format_usd(nano / NANO, 6, trim=True)

    print(f"warning: {backend} settled at {money(attempt.cost_nano)}, {money(over)} above the "
          f"{money(attempt.max_cost_nano)} reserved for it: its max_cost understates the bill",
          file=sys.stderr)


def answered(attempt: Attempt, outcome: Outcome) -> None:
    """Fill a pending attempt from the answer that settles it (not yet checked)."""
    attempt.cost_nano = to_nano(outcome.cost)
    attempt.model = outcome.model
    attempt.usage = outcome.usage.as_dict()
    attempt.seconds = outcome.seconds
    attempt.price_source = str(outcome.detail.get("price_source", ""))
    attempt.request_id = str(attempt.request_id or outcome.detail.get("request_id")
                             or outcome.detail.get("conversation_id") or "")[:200]
    attempt.checked = False
