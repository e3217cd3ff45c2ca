"""What the write-ahead ledger keeps of a call so that a killed run never pays for it twice.

Every provider call is written to the ledger as a *pending* attempt before it is made (that row
is also its budget reservation) and *settled* the moment its answer arrives, with the answer
itself stored in the row. A resumed run then finds, for the same run, stage and task:

* a settled answer: it is re-used (and checked, if the kill came before its check);
* a pending row with a provider request id: the answer is fetched by that id where the
  provider allows it (fal's queue, an OpenHands conversation) and settled at its real cost;
* a pending row without one: it is marked *unknown*, and its maximum stays counted against
  budgets, because the provider may have billed it.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from ..core.tasks import Outcome, Task, Usage

__all__ = ["task_key", "idempotency_key", "outcome_payload", "outcome_from_payload",
           "files_present"]


def task_key(task: Task) -> str:
    """A digest of what a task asks for: the same task in a resumed run has the same key."""
    text = json.dumps({"type": task.type, "channel": task.channel, "inputs": dict(task.inputs)},
                      sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def idempotency_key(run_id: str, stage: str, route: str, number: int, input_key: str) -> str:
    """Deterministic per call: run, stage, route, the attempt's number and the task."""
    return f"{run_id}/{stage}/{route}/{number}/{input_key[:16]}"


def outcome_payload(outcome: Outcome) -> dict[str, Any]:
    """An outcome as JSON-able data for the ledger row (paths become strings)."""
    data: dict[str, Any] = json.loads(json.dumps({
        "artifact": outcome.artifact, "backend": outcome.backend, "route": outcome.route,
        "model": outcome.model, "usage": outcome.usage.as_dict(), "cost": outcome.cost,
        "seconds": outcome.seconds, "quality": outcome.quality,
        "detail": {k: v for k, v in outcome.detail.items() if k != "artifact"}},
        default=str))
    return data


def outcome_from_payload(data: dict[str, Any]) -> Outcome:
    """The outcome a ledger row stored, as the backend had returned it."""
    return Outcome(artifact=data.get("artifact"), backend=str(data.get("backend", "")),
                   route=str(data.get("route", "")), model=data.get("model"),
                   usage=Usage.from_dict(data.get("usage") or {}),
                   cost=float(data.get("cost") or 0.0), seconds=float(data.get("seconds") or 0),
                   quality=data.get("quality"), detail=dict(data.get("detail") or {}))


def files_present(outcome: Outcome) -> bool:
    """Whether the files a stored answer names are still there to be re-used."""
    art = outcome.artifact
    if not isinstance(art, dict):
        return True
    paths = [v for k, v in art.items() if k in ("path", "mix") and isinstance(v, str)]
    return all(Path(p).is_file() for p in paths)
