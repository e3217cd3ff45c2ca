"""The ledger's work for one paid call, and a reservation on a large ledger.

1. A call's ledger work on an empty SQLite store, as the router does it for the gateway's
   direct client: the reservation (budget sums inside one transaction) with the request's
   wire row marked sent, the write-ahead of its answer, and one settlement of the checked
   answer with the wire row forgotten; N calls, the mean of each step. On a tree from before
   the eighth session (no ``also`` on ``Memory.reserve``), its five steps: the reservation,
   the request sent, the answer kept, the settlement, the settlement of its check.
   With ``--deferred`` each settlement is queued (``settle(soon=True)``, as the gateway
   does with other requests in flight) and written by the next call's reservation.
2. A reservation on a ledger of ``--rows`` settled rows spread over 28 days and 5 channels,
   checking the budgets a gateway key has (this month's, the key's total, the key's today).

    .venv/bin/python benchmarks/bench_ledger.py [--calls 500] [--rows 200000] [--deferred]

Only the public store API is used, so the same script measures an older tree
(``PYTHONPATH=/tmp/before``).
"""

from __future__ import annotations

import argparse
import inspect
import os
import tempfile
import time
from typing import Any

os.environ.setdefault("ARCHIBALD_HOME", tempfile.mkdtemp(prefix="bench-ledger-"))

from archibald.store.ledger import Attempt  # noqa: E402
from archibald.store.memory import Memory  # noqa: E402
from archibald.store.migrations import attempts  # noqa: E402
from archibald.store.rows import _row  # noqa: E402
from archibald.store.writeahead import WireLog  # noqa: E402

DAY = 86400
#: whether this tree's Memory.settle forgets the wire row in its own transaction
ONE_TRANSACTION = "also" in inspect.signature(Memory.settle).parameters
#: whether this tree's reservation writes the wire row as sent (three commits a call)
THREE_COMMITS = "also" in inspect.signature(Memory.reserve).parameters


def _attempt(i: int = 0, **more: object) -> Attempt:
    fields: dict[str, object] = dict(
        task_type="chat_simple", route="budget", backend="deepseek:deepseek-v4-flash",
        success=False, cost_nano=0, baseline_nano=0, channel=f"key:k{i % 5}",
        run_id=f"gw-{i}", stage="chat_simple", model="deepseek-v4-flash",
        max_cost_nano=1_000, reason="bench", price_source="bench")
    fields.update(more)
    return Attempt(**fields)  # type: ignore[arg-type]


def one_call(calls: int, deferred: bool = False) -> dict[str, float]:
    memory = Memory(f"sqlite:///{tempfile.mkdtemp(prefix='bench-ledger-')}/calls.db")
    steps: dict[str, float] = {}

    def timed(step: str, fn: Any, *args: Any, **kw: Any) -> None:
        t = time.perf_counter()
        fn(*args, **kw)
        steps[step] = steps.get(step, 0.0) + time.perf_counter() - t

    def budgets(spent):  # type: ignore[no-untyped-def]  # a key's total and its today
        spent(channel=a.channel)
        spent(channel=a.channel, since=time.time() // DAY * DAY)

    try:
        for i in range(calls):
            a = _attempt(i)
            if THREE_COMMITS:
                wire = WireLog(memory.engine)
                timed("reserve + sent", memory.reserve, a, budgets, also=wire.sent_in)
                wire.sending()  # nothing left to write
            else:
                timed("reserve", memory.reserve, a, budgets)
                assert a.id is not None
                wire = WireLog(memory.engine, a.id)
                timed("sending", wire.sending)
            timed("answered", wire.answered, 200, {"content-type": "application/json"},
                  b"x" * 400)
            if THREE_COMMITS:  # settled once, checked
                a.cost_nano, a.checked, a.success, a.quality, a.evidence = \
                    210, True, True, 1.0, "check"
                timed("settle (checked)", memory.settle, a, {"artifact": "an answer"},
                      also=wire.forget, **({"soon": True} if deferred else {}))
                continue
            a.cost_nano, a.checked = 210, False
            if ONE_TRANSACTION:  # the wire row forgotten in the settlement's transaction
                timed("settle", memory.settle, a, {"artifact": "an answer"}, also=wire.forget)
            else:
                timed("settle", memory.settle, a, {"artifact": "an answer"})
                timed("settle", wire.forget)
            a.checked, a.success, a.quality, a.evidence = True, True, 1.0, "check"
            timed("settle checked", memory.settle, a)
    finally:
        memory.close()
    return {k: v / calls * 1000 for k, v in steps.items()}


def big_ledger(rows: int, reservations: int = 200) -> float:
    memory = Memory(f"sqlite:///{tempfile.mkdtemp(prefix='bench-ledger-')}/big.db")
    now = time.time()
    try:
        with memory.engine.begin() as conn:
            conn.execute(attempts.insert(), [_row(_attempt(
                i, status="settled", checked=True, success=True, cost_nano=10,
                created_at=now - (i % 28) * DAY)) for i in range(rows)])
        month, today = (now // DAY - 27) * DAY, (now // DAY) * DAY

        def budgets(spent):  # type: ignore[no-untyped-def]
            spent(since=month)
            spent(channel="key:k1")
            spent(channel="key:k1", since=today)

        t = time.perf_counter()
        for i in range(reservations):
            memory.reserve(_attempt(i, channel="key:k1", created_at=now), budgets)
        return (time.perf_counter() - t) / reservations * 1000
    finally:
        memory.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=500)
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--deferred", action="store_true",
                    help="queue each settlement for the next call's reservation")
    args = ap.parse_args()
    steps = one_call(args.calls, args.deferred)
    print(f"a call's ledger work ({args.calls} calls, SQLite): " + ", ".join(
        f"{k} {v:.3f} ms" for k, v in steps.items()) + f"; total {sum(steps.values()):.3f} ms")
    print(f"a reservation on a {args.rows:,}-row ledger (3 budgets): "
          f"{big_ledger(args.rows):.3f} ms")


if __name__ == "__main__":
    main()
