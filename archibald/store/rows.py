"""A ledger row and back: an :class:`~.ledger.Attempt` as the ``attempts`` table's columns,
a row as an Attempt, and the sum of committed money (settled costs plus the maxima still held)
by filter. Memory reads and writes through these."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import case, func, select

from .ledger import Attempt
from .migrations import attempts

__all__ = ["_spent_stmt", "_row", "_attempt", "COMMITTED"]

#: what a row holds against budgets: its cost once settled, else the most it can cost
COMMITTED = case((attempts.c.status == "settled", attempts.c.cost_nano),
                  (attempts.c.cost_nano > attempts.c.max_cost_nano, attempts.c.cost_nano),
                  else_=attempts.c.max_cost_nano)


def _spent_stmt(*, since: float | None = None, channel: str | None = None,
                run_id: str | None = None, task_type: str | None = None) -> Any:
    stmt = select(func.coalesce(func.sum(COMMITTED), 0))
    if since is not None:
        stmt = stmt.where(attempts.c.created_at >= since)
    if channel is not None:
        stmt = stmt.where(attempts.c.channel == channel)
    if run_id is not None:
        stmt = stmt.where(attempts.c.run_id == run_id)
    if task_type is not None:
        stmt = stmt.where(attempts.c.task_type == task_type)
    return stmt



def _row(a: Attempt) -> dict[str, Any]:
    """An attempt as an `attempts` row; a negative amount is a bug and is never stored."""
    if min(a.cost_nano, a.baseline_nano, a.max_cost_nano) < 0:
        raise ValueError(f"refusing to record a negative amount for {a.task_type} on "
                         f"{a.route}: cost {a.cost_nano}, baseline {a.baseline_nano}, "
                         f"maximum {a.max_cost_nano} nano-dollars")
    return {"run_id": a.run_id, "stage": a.stage, "task_type": a.task_type,
            "channel": a.channel, "route": a.route, "backend": a.backend, "model": a.model,
            "success": a.success, "quality": a.quality, "cost_nano": a.cost_nano,
            "baseline_nano": a.baseline_nano, "seconds": a.seconds,
            "usage": json.dumps(a.usage, sort_keys=True), "error": a.error, "reason": a.reason,
            "config_digest": a.config_digest, "price_source": a.price_source,
            "created_at": a.created_at, "status": a.status,
            "idempotency_key": a.idempotency_key, "request_id": a.request_id,
            "max_cost_nano": a.max_cost_nano, "input_key": a.input_key, "checked": a.checked,
            "purpose": a.purpose, "evidence": a.evidence}



def _attempt(r: Any) -> Attempt:
    return Attempt(task_type=r["task_type"], route=r["route"], backend=r["backend"],
                   success=bool(r["success"]), cost_nano=int(r["cost_nano"]),
                   baseline_nano=int(r["baseline_nano"]), channel=r["channel"],
                   run_id=r["run_id"], stage=r["stage"], model=r["model"], quality=r["quality"],
                   seconds=r["seconds"], usage=json.loads(r["usage"] or "{}"), error=r["error"],
                   reason=r["reason"], config_digest=r["config_digest"],
                   price_source=r["price_source"], created_at=r["created_at"], id=r["id"],
                   status=r["status"], idempotency_key=r["idempotency_key"],
                   request_id=r["request_id"], max_cost_nano=int(r["max_cost_nano"]),
                   input_key=r["input_key"], checked=bool(r["checked"]),
                   purpose=r["purpose"], evidence=r["evidence"])
