"""What the write-ahead ledger keeps of a call so that a killed run never pays for it twice.

Every provider call is written to the ledger as a *pending* attempt before it is made (that row
is also its budget reservation) and *settled* the moment its answer arrives, with the answer
itself stored in the row. A resumed run then finds, for the same run, stage and task:

* a settled answer: it is re-used (and checked, if the kill came before its check);
* a pending row with a provider request id: the answer is fetched by that id where the
  provider allows it (fal's queue, an OpenHands conversation) and settled at its real cost;
* a pending row without one: it is marked *unknown*, and its maximum stays counted against
  budgets, because the provider may have billed it.

Chat calls (LiteLLM, Perplexity) cannot be asked again by id, so their wire is kept instead
(the ``wire`` table, one row per pending call, written by :class:`WireLog` as the wire tap of
:mod:`archibald.providers.backends.wire` reports): no row while the request has not left the
process, ``sent`` just before it may leave, ``answered`` with the answer's raw bytes the moment
they have arrived and before anything parses them (``failed`` for an error status, which is
not billed). A resume then

* replays an ``answered`` call's kept bytes through the same client code, which prices them
  as the first run would have, with no second call;
* *releases* a call that was reserved but never sent (no wire row) or that failed: its row is
  settled at $0 and its reservation no longer counts;
* marks a ``sent`` call unknown as above. That is the window that remains: from the moment
  the request may leave the process until its answer's bytes are written (the provider's
  whole working time, then about a millisecond to write them). A kill inside it can still be
  paid twice, once for the lost answer (held at its maximum) and once for the call made again.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.engine import Engine

from ..core.tasks import Outcome, Task, Usage
from .held import writing
from .rows import run
from .migrations import attempts, wire

__all__ = ["task_key", "idempotency_key", "outcome_payload", "outcome_from_payload",
           "files_present", "KeptAnswer", "WireLog", "kept_answer", "release"]

#: headers that describe the bytes as they travelled, not the decoded body that is kept
_TRAVEL_HEADERS = ("content-encoding", "content-length", "transfer-encoding", "connection")


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


@dataclass(frozen=True)
class KeptAnswer:
    """What a pending call's wire row holds: its state and, once answered, the raw answer."""

    state: str  # sent | answered | failed
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    sent_at: float = 0.0


# built once, values bound at execution (a chat call writes these three on its hot path)
_FORGET = delete(wire).where(wire.c.attempt_id == bindparam("a_id"))
_INSERT = insert(wire)
_ANSWERED = update(wire).where(wire.c.attempt_id == bindparam("a_id"))


class WireLog:
    """The wire row of one reserved call, written at once as the wire tap reports (the
    ``Tap`` of archibald.providers.backends.wire). ``replay`` set: the tap answers with it
    instead of sending."""

    def __init__(self, engine: Engine, attempt_id: int = 0,
                 replay: KeptAnswer | None = None) -> None:
        self.engine = engine
        self.attempt_id = attempt_id
        self.replay = replay
        self._written_sent = False

    def sent_in(self, conn: Any, attempt_id: int) -> None:
        """The row written as sent in ``conn``'s transaction, the one that reserves the call
        (``attempt_id``), for a call whose request leaves right after it: one commit less,
        and the next ``sending()`` has nothing to write. A process killed in between leaves a
        call that looks sent, so its maximum is held (unknown), never released unpaid."""
        self.attempt_id = attempt_id
        run(conn, _INSERT, {"attempt_id": attempt_id, "state": "sent", "sent_at": time.time()})
        self._written_sent = True

    def sending(self) -> None:
        """The request may leave the process now: durable before it does."""
        if self._written_sent:  # with the reservation (sent_in): already durable
            self._written_sent = False
            return
        with writing(self.engine) as conn:
            run(conn, _FORGET, {"a_id": self.attempt_id})
            run(conn, _INSERT, {"attempt_id": self.attempt_id, "state": "sent",
                                "sent_at": time.time()})

    def answered(self, status: int, headers: Mapping[str, str], body: bytes) -> None:
        """The answer's bytes have arrived: durable before anything parses them."""
        kept = {k.lower(): v for k, v in headers.items() if k.lower() not in _TRAVEL_HEADERS}
        values = {"state": "answered" if 200 <= status < 300 else "failed", "status": status,
                  "headers": json.dumps(kept), "body": body}
        with writing(self.engine) as conn:
            changed = run(conn, _ANSWERED, {**values, "a_id": self.attempt_id})
            if changed.rowcount == 0:
                run(conn, _INSERT, {**values, "attempt_id": self.attempt_id,
                                    "sent_at": time.time()})

    def forget(self, conn: Any = None) -> None:
        """The call is settled (or held unknown) in the ledger: its wire row has done its job
        (in ``conn``'s transaction when given: the one that settles the row)."""
        if conn is not None:
            run(conn, _FORGET, {"a_id": self.attempt_id})
            return
        with writing(self.engine) as own:
            run(own, _FORGET, {"a_id": self.attempt_id})


def kept_answer(engine: Engine, attempt_id: int) -> KeptAnswer | None:
    """The wire row of a pending call, or None when its request never left the process."""
    with engine.connect() as conn:
        row = conn.execute(select(wire).where(wire.c.attempt_id == attempt_id)).mappings().first()
    if row is None:
        return None
    try:
        headers = {str(k): str(v) for k, v in json.loads(row["headers"] or "{}").items()}
    except (TypeError, ValueError, AttributeError):
        headers = {}
    return KeptAnswer(str(row["state"]), row["status"], headers, bytes(row["body"] or b""),
                      float(row["sent_at"] or 0.0))


def release(engine: Engine, attempt_id: int, why: str, *, cost_nano: int = 0,
            usage: Mapping[str, Any] | None = None, model: str | None = None) -> bool:
    """Settle a pending call that was never sent (or answered with an error) at $0, so its
    reservation stops counting; its route's statistics learn nothing from it. A call whose
    answer was kept but never used (its process killed) is settled the same way at what the
    provider billed (``cost_nano``, ``usage``). False when the row was no longer pending."""
    values: dict[str, Any] = {"status": "settled", "cost_nano": cost_nano, "success": False,
                              "checked": True, "error": why[:2000]}
    if usage is not None:
        values["usage"] = json.dumps(dict(usage), sort_keys=True)
    if model is not None:
        values["model"] = model
    with engine.begin() as conn:
        changed = conn.execute(update(attempts).where(
            attempts.c.id == attempt_id, attempts.c.status == "pending").values(**values))
        conn.execute(delete(wire).where(wire.c.attempt_id == attempt_id))
    return bool(changed.rowcount == 1)
