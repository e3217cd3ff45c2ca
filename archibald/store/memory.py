"""The outcome store: every attempt, the per-route statistics the router reads, and
remembered results. SQLite by default, PostgreSQL by URL (ARCHIBALD_DB)."""

from __future__ import annotations

import copy
import json
import os
import re
import time
from typing import Any, Callable, Iterable

from sqlalchemy import and_, create_engine, event, func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError

from ..errors import ConfigError
from .ledger import EVIDENCE, Attempt
from .rows import (IDENTITY, INSERT_ATTEMPT, LOCK_BUDGETS, SETTLE_AGAIN, SETTLE_PENDING,
                   _attempt, _row, _spent_stmt, inserted_id, run, spent_query)
from .folding import decay, fold, refold
from .held import defer, flush, release, writing
from .stats import RouteStats, add_stats
from .transfer import read_export
from .migrations import (attempts, memory_items, migrate, publish_queue, route_stats,
                         runs)

__all__ = ["Memory", "RouteStats", "default_url", "SpentFn", "read_export"]

#: sums committed money (settled costs plus the maxima of pending/unknown calls) by filter
SpentFn = Callable[..., int]


def default_url() -> str:
    env = os.environ.get("ARCHIBALD_DB")
    if env:
        return env
    from ..config import archibald_home

    home = archibald_home()
    try:
        home.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create {home}: {exc.strerror}; set ARCHIBALD_HOME to a folder "
                          f"you can write", setting="ARCHIBALD_HOME") from None
    return f"sqlite:///{home / 'archibald.db'}"


#: the PostgreSQL advisory lock key that serialises migrations ("archibal" in ASCII)
_MIGRATION_LOCK = 0x6172636869626C


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def _plain(exc: object) -> str:
    """A driver's message on one line, with any password in a URL masked."""
    text = " ".join(str(exc).split())
    return re.sub(r"(://[^:/@\s]+:)[^@\s]+@", r"\1***@", text)


class Memory:
    """Structured outcomes and remembered results, behind one SQLAlchemy engine."""

    def __init__(self, url: str | None = None, *, half_life_days: float = 30.0) -> None:
        self.url = url or default_url()
        self.half_life_s = half_life_days * 86400.0
        try:
            self.engine: Engine = create_engine(self.url, future=True)
        except (ArgumentError, ModuleNotFoundError) as exc:
            raise ConfigError(f"cannot use database URL ({_plain(exc)}); give a sqlite:/// "
                              f"path or a postgresql+psycopg:// URL",
                              setting="ARCHIBALD_DB") from None
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        try:
            with self.engine.connect() as conn:
                # one process migrates at a time: two runs starting on a fresh database (a
                # batch on two machines) would both create the tables
                if self.engine.dialect.name == "sqlite":
                    conn.exec_driver_sql("BEGIN IMMEDIATE")
                elif self.engine.dialect.name == "postgresql":
                    conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})")
                migrate(conn)
                conn.commit()
        except OperationalError as exc:
            raise ConfigError(f"cannot open the database: {_plain(exc.orig)}; check "
                              f"ARCHIBALD_DB and that the server runs",
                              setting="ARCHIBALD_DB") from None

    def close(self) -> None:
        self.flush()
        release(self.engine)
        self.engine.dispose()

    # -- attempts -------------------------------------------------------------------------
    def record(self, a: Attempt) -> int:
        """Store one attempt and fold it into the route statistics, atomically."""
        with self.engine.begin() as conn:
            key = conn.execute(attempts.insert().values(**_row(a))).inserted_primary_key
            assert key is not None
            new_id = key[0]
            if a.status == "settled" and a.checked:
                self._fold(conn, a)
        a.id = int(new_id)
        return a.id

    # -- the write-ahead ledger -------------------------------------------------------------
    def reserve(self, a: Attempt, check: Callable[[SpentFn], None], *,
                also: Callable[[Any, int], None] | None = None) -> int:
        """Write ``a`` as a pending attempt if ``check`` lets it, atomically across processes.

        One transaction takes the writers' lock first (on SQLite ``BEGIN IMMEDIATE``; on
        PostgreSQL a bump of the budget lock row, so concurrent reservations queue there), calls
        ``check`` with a function that sums committed money inside that transaction, and
        inserts the pending row, itself the reservation of ``a.max_cost_nano``. ``check``
        raises to refuse. ``also(conn, row_id)`` writes more in the same transaction (the
        call's wire row, marked sent).
        """
        a.status, a.checked = "pending", False
        refused: Exception | None = None
        # SQLite: the write lock before any read; PostgreSQL: the budget lock row
        with writing(self.engine, immediate=True) as conn:
            if self.engine.dialect.name != "sqlite":
                conn.execute(LOCK_BUDGETS)

            def spent(**filters: Any) -> int:
                return int(run(conn, *spent_query(**filters)).scalar_one())

            try:
                check(spent)
            except Exception as exc:  # refused: what was deferred to this commit still is
                refused = exc
            else:
                row_id = inserted_id(conn, INSERT_ATTEMPT, _row(a))
                if also is not None:
                    also(conn, row_id)
        if refused is not None:
            raise refused
        a.id = row_id
        return a.id

    def note_request_id(self, attempt_id: int, request_id: str) -> None:
        """Keep the provider's id of an in-flight call, so a resume can fetch its result."""
        with writing(self.engine) as conn:
            conn.execute(update(attempts).where(attempts.c.id == attempt_id)
                         .values(request_id=request_id[:200]))

    def settle(self, a: Attempt, outcome: dict[str, Any] | None = None, *,
               also: Callable[[Any], None] | None = None, soon: bool = False,
               after: Callable[[], None] | None = None) -> bool:
        """Write what a reserved call really did (cost, usage, answer) over its pending row,
        and ``also(conn)`` in the same transaction (its kept wire forgotten). The row joins the
        route statistics once, when it is first written as checked; an answer settled before
        its quality check (``a.checked`` False) is folded by the call that records the check.
        ``soon``: on SQLite, written by the next :meth:`flush`, with the other settlements
        deferred (:func:`~.held.defer`, for an answer its wire row keeps); ``after()`` once
        committed. True when it was queued where nothing else waited (the caller schedules
        that flush); False when it joined a queue, or was written now."""
        assert a.id is not None, "settle() needs a reserved attempt"
        a.status = "settled"
        values = {k: v for k, v in _row(a).items() if k not in IDENTITY}
        if outcome is not None:
            values["outcome"] = json.dumps(outcome, sort_keys=True, default=str)
        values["row_id"] = a.id
        folded = copy.copy(a) if a.checked else None

        def write(conn: Any) -> None:
            first = run(conn, SETTLE_PENDING, values)
            if also is not None:
                also(conn)
            if first.rowcount == 0:  # already checked and folded: only correct the row
                run(conn, SETTLE_AGAIN, values)
            elif folded is not None:
                self._fold(conn, folded)
        # (on SQLite only: PostgreSQL's row locks, taken before a reservation's budget lock,
        # could deadlock with another worker's reservation)
        if soon and self.engine.dialect.name == "sqlite":
            return defer(self.engine, write, after)
        with writing(self.engine, flushing=True) as conn:  # (with any deferred before it:
            write(conn)  # nothing else is in flight to wait for them)
        if after is not None:
            after()
        return False

    def flush(self, *, waited: float = 0.0) -> None:
        """Write the settlements deferred (``settle(soon=True)``) now (``waited``: if the
        oldest has waited that long)."""
        flush(self.engine, waited=waited)

    def mark_unknown(self, a: Attempt) -> None:
        """A call whose answer was lost (a kill, a deadline): its maximum stays counted
        against budgets, and the route statistics learn it as a failure."""
        assert a.id is not None
        a.status, a.success, a.checked = "unknown", False, True
        with writing(self.engine) as conn:
            changed = conn.execute(update(attempts).where(
                attempts.c.id == a.id, attempts.c.status == "pending").values(
                status="unknown", error=a.error, seconds=a.seconds, checked=True))
            if changed.rowcount == 1:
                self._fold(conn, a)

    def open_attempts(self, run_id: str, stage: str) -> list[Attempt]:
        """Pending attempts an earlier (killed) process left for this run and stage."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(attempts).where(
                attempts.c.run_id == run_id, attempts.c.stage == stage,
                attempts.c.status == "pending").order_by(attempts.c.id)).mappings().all()
        return [_attempt(r) for r in rows]

    def pending_attempts(self, run_prefix: str, before: float) -> list[Attempt]:
        """Pending attempts of every run whose id starts with ``run_prefix``, reserved
        before ``before`` (Unix time): what killed processes may have left in flight."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(attempts).where(
                attempts.c.status == "pending", attempts.c.run_id.startswith(run_prefix),
                attempts.c.created_at < before).order_by(attempts.c.id)).mappings().all()
        return [_attempt(r) for r in rows]

    def settled_answer(self, run_id: str, stage: str,
                       input_key: str) -> tuple[Attempt, dict[str, Any]] | None:
        """The newest settled answer to this very task in this run and stage that was
        accepted or not yet checked, with its stored outcome: a resume re-uses it."""
        c = attempts.c
        stmt = (select(attempts).where(
            c.run_id == run_id, c.stage == stage, c.input_key == input_key,
            c.status == "settled", c.outcome.is_not(None), c.purpose == "production",
            (c.success.is_(True)) | (c.checked.is_(False))).order_by(c.id.desc()).limit(1))
        with self.engine.connect() as conn:
            r = conn.execute(stmt).mappings().first()
        if r is None:
            return None
        try:
            return _attempt(r), dict(json.loads(r["outcome"]))
        except (TypeError, ValueError):
            return None

    def refused_answers(self, run_id: str, stage: str,
                        input_key: str) -> list[tuple[Attempt, dict[str, Any]]]:
        """Paid answers to this task in this run and stage that their check refused, with
        the answers: a resume moves on from their routes as the killed run had."""
        c = attempts.c
        stmt = select(attempts).where(
            c.run_id == run_id, c.stage == stage, c.input_key == input_key,
            c.status == "settled", c.checked.is_(True), c.success.is_(False),
            c.outcome.is_not(None), c.purpose == "production").order_by(c.id)
        with self.engine.connect() as conn:
            rows = conn.execute(stmt).mappings().all()
        out = []
        for r in rows:
            try:
                out.append((_attempt(r), dict(json.loads(r["outcome"]))))
            except (TypeError, ValueError):
                continue
        return out

    def _fold(self, conn: Any, a: Attempt) -> None:
        fold(conn, a, self.half_life_s)

    def regrade(self, attempt_id: int, quality: float, evidence: str) -> Attempt | None:
        """Give a settled attempt a quality from stronger evidence (a person's verdict on a
        gateway answer), and its route's statistics with it, as if it had been so graded when
        it was folded; the attempt as it is now, or None when there is no settled one."""
        self.flush()  # its settlement may be waiting for its batch
        with self.engine.begin() as conn:
            row = conn.execute(select(attempts).where(attempts.c.id == attempt_id)
                               .with_for_update()).mappings().first()
            if row is None or row["status"] != "settled":
                return None
            old = _attempt(row)
            conn.execute(update(attempts).where(attempts.c.id == attempt_id).values(
                quality=quality, evidence=evidence))
            if old.checked and old.purpose != "judge":
                refold(conn, old, quality, self.half_life_s)
        old.quality, old.evidence = quality, evidence
        return old

    def _decay(self, dt: float) -> float:
        return decay(dt, self.half_life_s)

    def route_stats(self, task_type: str, channel: str | None = None,
                    *, now: float | None = None) -> dict[str, RouteStats]:
        """Per-route statistics for a task type on one channel, or pooled over all channels."""
        now = time.time() if now is None else now
        cols = route_stats.c
        stmt = select(route_stats).where(cols.task_type == task_type)
        if channel is not None:
            stmt = stmt.where(cols.channel == channel)
        out: dict[str, RouteStats] = {}
        with self.engine.connect() as conn:
            for r in conn.execute(stmt).mappings():
                f = self._decay(now - r["decayed_at"])
                s = RouteStats(r["route"], r["n"], r["successes"], r["quality_n"],
                               r["quality_sum"], r["cost_nano_sum"], r["baseline_nano_sum"],
                               r["seconds_sum"], r["w"] * f, r["w_success"] * f,
                               r["w_quality"] * f, r["w_quality_sq"] * f, r["w_cost"] * f,
                               r["w_evidence"] * f, r["unjudged"])
                out[s.route] = add_stats(out[s.route], s) if s.route in out else s
        return out

    def attempts_of_run(self, run_id: str, stage: str | None = None) -> list[Attempt]:
        """A run's attempts (of one stage when given), oldest first."""
        stmt = select(attempts).where(attempts.c.run_id == run_id)
        if stage is not None:
            stmt = stmt.where(attempts.c.stage == stage)
        with self.engine.connect() as conn:
            rows = conn.execute(stmt.order_by(attempts.c.id)).mappings().all()
        return [_attempt(r) for r in rows]

    def samples(self, task_type: str, route: str, channel: str | None = None,
                limit: int = 10000) -> list[tuple[float, float | None, bool]]:
        """(cost USD, quality, success) of recent outcomes, for A/B comparisons; the quality is
        None where no evidence backs it (see :data:`archibald.store.ledger.EVIDENCE`)."""
        stmt = select(attempts.c.cost_nano, attempts.c.quality, attempts.c.success,
                      attempts.c.evidence).where(
            attempts.c.task_type == task_type, attempts.c.route == route,
            attempts.c.purpose != "judge")
        if channel is not None:
            stmt = stmt.where(attempts.c.channel == channel)
        stmt = stmt.order_by(attempts.c.id.desc()).limit(limit)
        with self.engine.connect() as conn:
            return [(c / 1e9, q if e in EVIDENCE else None, bool(s))
                    for c, q, s, e in conn.execute(stmt)]

    def shadow_pairs(self, task_type: str | None = None, channel: str | None = None,
                     route: str | None = None, limit: int = 5000) -> list[dict[str, Any]]:
        """Judged pairs: a production outcome and premium's shadow answer to the same task,
        both scored by the judge in one pairwise comparison (newest first)."""
        p, s = attempts.alias("p"), attempts.alias("s")
        on = and_(p.c.task_type == s.c.task_type, p.c.channel == s.c.channel,
                  p.c.run_id == s.c.run_id, p.c.stage == s.c.stage,
                  p.c.created_at == s.c.created_at)
        stmt = (select(p.c.task_type, p.c.channel, p.c.route, p.c.stage, p.c.run_id,
                       p.c.input_key, p.c.quality, s.c.quality.label("premium_quality"))
                .select_from(p.join(s, on))
                .where(p.c.purpose == "production", p.c.evidence == "shadow",
                       s.c.purpose == "shadow", s.c.evidence == "shadow"))
        for col, value in ((p.c.task_type, task_type), (p.c.channel, channel),
                           (p.c.route, route)):
            if value is not None:
                stmt = stmt.where(col == value)
        stmt = stmt.order_by(p.c.id.desc()).limit(limit)
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(stmt).mappings()]

    def evidence_count(self, task_type: str, route: str, *,
                       kinds: tuple[str, ...] = ("judge", "shadow")) -> dict[str, int]:
        """Production outcomes of ``route`` (all channels) with quality, per evidence kind."""
        c = attempts.c
        stmt = (select(c.evidence, func.count()).where(
            c.evidence.in_(kinds), c.quality.is_not(None), c.task_type == task_type,
            c.route == route, c.purpose == "production").group_by(c.evidence))
        with self.engine.connect() as conn:
            return {str(k): int(n) for k, n in conn.execute(stmt)}

    def evidence_outcomes(self, task_type: str, channel: str | None = None, *,
                          kinds: tuple[str, ...] = ("judge", "shadow"),
                          failures: bool = False, limit: int = 5000) -> list[Attempt]:
        """Production outcomes of a task type whose quality has evidence of ``kinds`` behind
        it (and, with ``failures``, every failed one not forgotten), newest first."""
        c = attempts.c
        judged = c.evidence.in_(kinds) & c.quality.is_not(None)
        if failures:
            judged = judged | (c.success.is_(False) & c.checked.is_(True)
                               & (c.status != "pending") & (c.evidence != "forgotten"))
        stmt = select(attempts).where(judged, c.task_type == task_type,
                                      c.purpose == "production")
        if channel is not None:
            stmt = stmt.where(c.channel == channel)
        with self.engine.connect() as conn:
            rows = conn.execute(stmt.order_by(c.id.desc()).limit(limit)).mappings().all()
        return [_attempt(r) for r in rows]

    def record_verdict(self, run_id: str, stage: str, **verdict: Any) -> dict[str, Any]:
        """A person's verdict on a pair (a delegated result and premium's on the same input,
        seen blind): the strongest evidence. Arguments: archibald.quality.evidence's
        :func:`~archibald.quality.evidence.record_verdict`."""
        from ..quality.evidence import record_verdict

        return record_verdict(self, run_id, stage, **verdict)

    def spent_nano(self, *, since: float | None = None, channel: str | None = None,
                   run_id: str | None = None, task_type: str | None = None) -> int:
        """Money committed, filtered by time, channel, run or task: settled costs, plus the
        maximum of every call still pending or whose answer was lost (status "unknown")."""
        stmt = _spent_stmt(since=since, channel=channel, run_id=run_id, task_type=task_type)
        with self.engine.connect() as conn:
            return int(conn.execute(stmt).scalar_one())

    def summary(self) -> dict[str, Any]:
        """Totals and per task type x route x channel statistics, for `memory stats`."""
        with self.engine.connect() as conn:
            total = conn.execute(select(func.count(), func.coalesce(func.sum(
                attempts.c.cost_nano), 0), func.coalesce(func.sum(attempts.c.baseline_nano), 0))
                .select_from(attempts)).one()
            rows = conn.execute(select(route_stats).order_by(
                route_stats.c.task_type, route_stats.c.channel, route_stats.c.route)).mappings()
            groups = []
            for r in rows:
                s = RouteStats(r["route"], r["n"], r["successes"], r["quality_n"],
                               r["quality_sum"], r["cost_nano_sum"], r["baseline_nano_sum"],
                               r["seconds_sum"], unjudged=r["unjudged"])
                groups.append({"task_type": r["task_type"], "channel": r["channel"],
                               **s.as_dict()})
            qa = conn.execute(select(func.coalesce(func.sum(attempts.c.cost_nano), 0)).where(
                attempts.c.purpose != "production")).scalar_one()
            n_runs = conn.execute(select(func.count()).select_from(runs)).scalar_one()
        return {"database": _safe_url(self.url), "attempts": int(total[0]),
                "runs": int(n_runs), "cost_usd": int(total[1]) / 1e9,
                "qa_cost_usd": int(qa) / 1e9,
                "baseline_usd": int(total[2]) / 1e9, "groups": groups,
                "quality_maintenance": self.maintenance()}

    def maintenance(self) -> dict[str, dict[str, Any]]:
        """Per "task type/route": quality ÷ premium's on the same inputs (judged pairs, and
        people's verdicts, which replace the judge's on the same pair)."""
        from ..quality.evidence import human_pairs
        from ..quality.maintenance import summarise

        pairs: dict[str, list[tuple[float, float]]] = {}
        human = human_pairs(self)
        people = {(h["run_id"], h["stage"]) for h in human}
        for p in [*human, *(p for p in self.shadow_pairs()
                            if (p["run_id"], p["stage"]) not in people)]:
            pairs.setdefault(f"{p['task_type']}/{p['route']}", []).append(
                (p["quality"], p["premium_quality"]))
        return {k: summarise(v) for k, v in sorted(pairs.items())}

    # -- runs -----------------------------------------------------------------------------
    def start_run(self, run_id: str, pipeline: str, channel: str, topic: str, *,
                  minutes: float | None = None, out: str | None = None) -> None:
        """Mark a run started; ``minutes`` (the video's length) lets forecasts scale with it,
        ``out`` (its folder) lets the studio show its files."""
        with self.engine.begin() as conn:
            if conn.execute(select(runs.c.run_id).where(runs.c.run_id == run_id)).first():
                values: dict[str, Any] = {"status": "running"}
                if out is not None:
                    values["out"] = out
                conn.execute(update(runs).where(runs.c.run_id == run_id).values(**values))
            else:
                conn.execute(runs.insert().values(run_id=run_id, pipeline=pipeline,
                                                  channel=channel, topic=topic, status="running",
                                                  started_at=time.time(), minutes=minutes,
                                                  out=out))

    def run_seconds(self, run_id: str) -> float | None:
        """The execution time recorded for a run when it last finished, if it did."""
        with self.engine.connect() as conn:
            row = conn.execute(select(runs.c.seconds, runs.c.finished_at)
                               .where(runs.c.run_id == run_id)).first()
        return float(row[0]) if row is not None and row[1] is not None else None

    def finish_run(self, run_id: str, status: str, cost_nano: int, baseline_nano: int,
                   seconds: float) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(runs).where(runs.c.run_id == run_id).values(
                status=status, cost_nano=cost_nano, baseline_nano=baseline_nano,
                seconds=seconds, finished_at=time.time()))

    def task_types(self) -> set[str]:
        """Every task type memory has learned something about (a user's pipeline's too)."""
        with self.engine.connect() as conn:
            return {str(r[0]) for r in conn.execute(select(route_stats.c.task_type).distinct())}

    def channels(self) -> set[str]:
        """Every channel a run or an attempt was recorded under."""
        with self.engine.connect() as conn:
            seen = {str(r[0]) for r in conn.execute(select(runs.c.channel).distinct())}
            seen |= {str(r[0]) for r in conn.execute(select(route_stats.c.channel).distinct())}
        return seen

    def finished_runs(self, channel: str | None = None, pipeline: str | None = None,
                      limit: int = 500) -> list[dict[str, Any]]:
        stmt = select(runs).where(runs.c.status == "done")
        if channel is not None:
            stmt = stmt.where(runs.c.channel == channel)
        if pipeline is not None:
            stmt = stmt.where(runs.c.pipeline == pipeline)
        stmt = stmt.order_by(runs.c.started_at.desc()).limit(limit)
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(stmt).mappings()]

    def hold_for_review(self, run_id: str, publish_dir: str) -> None:
        """Put a finished run's video in the publish queue as "ready" (if it is not there)."""
        now = time.time()
        with self.engine.begin() as conn:
            if conn.execute(select(publish_queue.c.run_id).where(
                    publish_queue.c.run_id == run_id)).first() is None:
                conn.execute(publish_queue.insert().values(
                    run_id=run_id, state="ready", publish_dir=publish_dir, reason="",
                    created_at=now, updated_at=now))

    # -- remembered results ---------------------------------------------------------------
    def remember(self, kind: str, channel: str, key: str, payload: dict[str, Any],
                 score: float) -> None:
        with self.engine.begin() as conn:
            conn.execute(memory_items.insert().values(
                kind=kind, channel=channel, key=key, payload=json.dumps(payload, sort_keys=True),
                score=score, created_at=time.time()))

    def best(self, kind: str, channel: str) -> dict[str, Any] | None:
        """The highest-scoring remembered result of a kind for a channel, if any."""
        stmt = (select(memory_items).where(memory_items.c.kind == kind,
                                           memory_items.c.channel == channel)
                .order_by(memory_items.c.score.desc(), memory_items.c.id.desc()).limit(1))
        with self.engine.connect() as conn:
            r = conn.execute(stmt).mappings().first()
        if r is None:
            return None
        return {"key": r["key"], "score": r["score"], "payload": json.loads(r["payload"])}

    def remembered(self, kind: str, channel: str | None = None) -> list[dict[str, Any]]:
        stmt = select(memory_items).where(memory_items.c.kind == kind)
        if channel is not None:
            stmt = stmt.where(memory_items.c.channel == channel)
        with self.engine.connect() as conn:
            return [{"channel": r["channel"], "key": r["key"], "score": r["score"],
                     "payload": json.loads(r["payload"])}
                    for r in conn.execute(stmt.order_by(memory_items.c.id)).mappings()]

    def bulk_record(self, items: Iterable[Attempt]) -> None:
        """Record many attempts in one transaction (seeding, benchmarks, imports)."""
        with self.engine.begin() as conn:
            for a in items:
                conn.execute(attempts.insert().values(**_row(a)))
                if a.status == "settled" and a.checked:
                    self._fold(conn, a)

    # -- managing what memory holds ----------------------------------------------------------
    def forget(self, *, task_type: str | None = None, route: str | None = None,
               channel: str | None = None) -> dict[str, int]:
        """Forget what was learned about the matching task type / route / channel.

        The route statistics go, and the matching attempts' quality stops being evidence
        (``evidence`` becomes "forgotten"); the attempts themselves stay, because they are the
        ledger: budgets and reports count what was spent. Forgetting a channel (alone) also
        drops its remembered results (thumbnail layouts, concepts).
        """
        if task_type is None and route is None and channel is None:
            raise ValueError("forget needs a task type, a route or a channel")
        stat_where = [c == v for c, v in ((route_stats.c.task_type, task_type),
                                          (route_stats.c.route, route),
                                          (route_stats.c.channel, channel)) if v is not None]
        row_where = [c == v for c, v in ((attempts.c.task_type, task_type),
                                         (attempts.c.route, route),
                                         (attempts.c.channel, channel)) if v is not None]
        with self.engine.begin() as conn:
            stats = conn.execute(route_stats.delete().where(*stat_where)).rowcount
            marked = conn.execute(update(attempts).where(
                *row_where, attempts.c.evidence != "forgotten").values(
                evidence="forgotten")).rowcount
            items = 0
            if channel is not None and task_type is None and route is None:
                items = conn.execute(memory_items.delete().where(
                    memory_items.c.channel == channel)).rowcount
        return {"route_stats": int(stats), "attempts": int(marked), "remembered": int(items)}

    def export_lines(self) -> Iterable[str]:
        """Every attempt and remembered result as JSON lines (``{"kind": ...}``), oldest first."""
        with self.engine.connect() as conn:
            for r in conn.execute(select(attempts).order_by(attempts.c.id)).mappings():
                d = _attempt(r).as_dict()
                for k in ("id", "cost_usd", "baseline_usd"):
                    d.pop(k)
                yield json.dumps({"kind": "attempt", **d}, sort_keys=True)
            for r in conn.execute(select(memory_items).order_by(memory_items.c.id)).mappings():
                yield json.dumps({"kind": "remembered", "what": r["kind"],
                                  "channel": r["channel"], "key": r["key"],
                                  "payload": json.loads(r["payload"]), "score": r["score"],
                                  "created_at": r["created_at"]}, sort_keys=True)

    def import_records(self, records: list[dict[str, Any]]) -> dict[str, int]:
        """Add exported records (see :meth:`export_lines`) in one transaction, skipping those
        already here, so importing a file twice counts nothing twice."""
        fields = set(Attempt.__dataclass_fields__) - {"id"}
        added = {"attempts": 0, "remembered": 0, "skipped": 0}
        with self.engine.begin() as conn:
            for rec in records:
                if rec["kind"] == "attempt":
                    a = Attempt(**{k: v for k, v in rec.items() if k in fields})
                    c = attempts.c
                    seen = conn.execute(select(c.id).where(
                        c.created_at == a.created_at, c.run_id == a.run_id, c.stage == a.stage,
                        c.route == a.route, c.backend == a.backend, c.purpose == a.purpose,
                        c.cost_nano == a.cost_nano).limit(1)).first()
                    if seen is None:
                        conn.execute(attempts.insert().values(**_row(a)))
                        if a.evidence != "forgotten" and a.status == "settled" and a.checked:
                            self._fold(conn, a)
                        added["attempts"] += 1
                        continue
                else:
                    m = memory_items.c
                    seen = conn.execute(select(m.id).where(
                        m.kind == rec["what"], m.channel == rec["channel"], m.key == rec["key"],
                        m.created_at == rec["created_at"]).limit(1)).first()
                    if seen is None:
                        conn.execute(memory_items.insert().values(
                            kind=rec["what"], channel=rec["channel"], key=rec["key"],
                            payload=json.dumps(rec["payload"], sort_keys=True),
                            score=float(rec["score"]), created_at=float(rec["created_at"])))
                        added["remembered"] += 1
                        continue
                added["skipped"] += 1
        return added


def _safe_url(url: str) -> str:
    """The database URL with any password removed (secrets never reach output)."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, SQLAlchemyError):
        return url.split("@")[-1]

