"""How one paid call is made: its deadline, the wait that gives up on it without waiting for
its clean-up, and the one line said when a provider refuses its key. The router
(:mod:`.router`) calls through these."""

from __future__ import annotations

import asyncio
import sys
from typing import Awaitable

from ..errors import BackendError, DelegationError
from .tasks import Outcome

__all__ = ["PAID_ROUTES", "within", "warn_if_key_refused"]

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


async def within(call: Awaitable[Outcome], limit: float | None) -> Outcome:
    """``call``'s outcome, or TimeoutError once ``limit`` seconds have passed.

    Unlike ``asyncio.wait_for`` this does not wait for the abandoned call to wind down (its
    clean-up may itself be a request, such as cancelling a fal job or deleting an OpenHands
    conversation): it is cancelled and left to finish, and the route is given up at once.
    """
    if not limit:
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
