"""What a killed gateway worker left in the ledger: its calls still pending, resolved.

A pipeline's run is resumed, and its resume settles what a killed process left in flight. A
gateway request is never resumed (an app does not send the same request again to finish it),
so without this a worker SIGKILLed mid-call would leave pending rows holding their maxima
against the key's budgets for ever. Every worker sweeps when it starts and every minute after:
a pending row of a gateway run (run id ``gw-...``) whose call is past its deadline (the
router's, for the most tokens its reservation allows) is

- **released at $0** when its request never left the process (no wire row) or the provider
  answered with an error status, which is not billed;
- **settled at what the provider billed** when its answer's bytes were kept before anything
  parsed them: the same backend parses and prices them (no second call), and the row says
  the answer was never delivered;
- **held as unknown at its maximum** when it was sent and no answer was kept (killed mid-call
  or mid-stream): the provider may have billed it, and nothing can say how much.

Nothing settled is touched: a settled row is the ledger.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any

from ...core.tasks import Context, Task
from ...errors import ArchibaldError, DelegationError
from ...store.checkpoint import sqlite_file
from ...store.ledger import NANO, Attempt, to_nano
from ...store.writeahead import WireLog, kept_answer, release

if TYPE_CHECKING:
    from .batches import Batches
    from .service import Gateway

log = logging.getLogger("archibald.serve")

__all__ = ["sweep", "sweeping", "RUN_PREFIX", "GRACE_SECONDS"]

#: every gateway request's ledger run id starts with this
RUN_PREFIX = "gw-"
#: a call is left alone this long past its deadline (a worker's clock, a slow commit)
GRACE_SECONDS = 60.0
#: the shortest deadline of a chat call: rows younger than this are never looked at
_SHORTEST = 45.0


def _backend(gateway: "Gateway", name: str) -> Any:
    """The gateway's backend that made a call (by its ledger name), or None."""
    for router in (gateway.router, *gateway.direct_routers()):
        for task_type in gateway.settings.profiles:
            for route in ("premium", "budget"):
                found = router.registry.get(task_type, route)
                if found is not None and found.name == name:
                    return found
    _, _, model = name.partition(":")
    try:
        router = gateway.direct_router(model)
    except ArchibaldError:
        return None
    return router.registry.get(next(iter(gateway.settings.profiles)), "premium")


def _deadline(gateway: "Gateway", backend: Any, attempt: Attempt) -> float:
    """The router's deadline for this call, at the most output tokens its reservation allows
    (the reservation is the prompt's bound plus max_tokens at the output price)."""
    try:
        per_token = backend.prices.model(backend.model).output_per_token
    except (ArchibaldError, AttributeError):
        per_token = 0.0
    tokens = int(attempt.max_cost_nano / NANO / per_token) if per_token > 0 else 1_000_000
    task = Task(attempt.task_type, {"max_tokens": tokens}, attempt.channel)
    try:
        return float(gateway.router.deadline(task, attempt.route) or _SHORTEST)
    except ArchibaldError:
        return 15.0 + tokens / 60.0


async def _replayed(gateway: "Gateway", backend: Any, attempt: Attempt,
                    kept: Any) -> tuple[int, dict[str, Any], str | None] | None:
    """Cost, usage and model of a kept answer, parsed and priced by its own backend."""
    task = Task(attempt.task_type, {"messages": [{"role": "user", "content": "(replayed)"}],
                                    "prompt": "(replayed)", "max_tokens": 1}, attempt.channel)
    try:
        outcome = await backend.replay(kept, task, Context(workdir=gateway.workdir))
    except DelegationError as exc:  # billed all the same when the provider said so
        cost = getattr(exc, "cost", 0.0) or 0.0
        return (to_nano(cost), {}, None) if cost else None
    except (NotImplementedError, ArchibaldError):
        return None
    return to_nano(outcome.cost), outcome.usage.as_dict(), outcome.model


async def sweep(gateway: "Gateway", now: float | None = None) -> dict[str, int]:
    """Resolve the gateway's pending calls that are past their deadline; counts by outcome."""
    now = time.time() if now is None else now
    done = {"released": 0, "settled": 0, "unknown": 0, "waiting": 0}
    engine = gateway.memory.engine
    # off the event loop where another thread may open the database (a scan of the ledger's
    # older rows: 24 ms on 200,000 of them, with every request in flight held)
    shared = engine.dialect.name != "sqlite" or sqlite_file(engine) is not None
    pending = await asyncio.to_thread(gateway.memory.pending_attempts, RUN_PREFIX,
                                      before=now) if shared else \
        gateway.memory.pending_attempts(RUN_PREFIX, before=now)
    for attempt in pending:
        assert attempt.id is not None
        backend = _backend(gateway, attempt.backend)
        limit = _deadline(gateway, backend, attempt) if backend is not None else 3600.0
        if attempt.created_at + limit + GRACE_SECONDS > now:
            done["waiting"] += 1  # perhaps a live worker's call
            continue
        kept = kept_answer(engine, attempt.id)
        if kept is None or kept.state == "failed":
            why = ("released: the gateway worker was killed before this call's request left "
                   "it" if kept is None else f"released: the provider answered HTTP "
                                             f"{kept.status}, an error that is not billed")
            done["released"] += release(engine, attempt.id, why)
            continue
        billed = await _replayed(gateway, backend, attempt, kept) \
            if kept.state == "answered" and backend is not None else None
        if billed is not None:
            cost, usage, model = billed
            done["settled"] += release(
                engine, attempt.id, "the gateway worker was killed after the answer arrived "
                "and before it was delivered; settled from the kept answer at what the "
                "provider billed", cost_nano=cost, usage=usage, model=model)
            continue
        attempt.error = ("the gateway worker was killed while this call was in flight; the "
                         "provider may have billed it, so its maximum stays counted")
        gateway.memory.mark_unknown(attempt)
        WireLog(engine, attempt.id).forget()
        done["unknown"] += 1
    return done


async def sweeping(gateway: "Gateway", batches: "Batches", every: float = 60.0) -> None:
    """Sweep now and every ``every`` seconds for as long as the app runs, and take over the
    batches whose worker fell silent."""
    while True:
        try:
            await sweep(gateway)
            await batches.take_over()
        except Exception as exc:  # noqa: BLE001 - a failed sweep waits for the next one
            log.warning("gateway sweep failed: %s", exc)
        await asyncio.sleep(every)
