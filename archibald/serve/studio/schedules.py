"""Schedules: ``[schedules.NAME]`` runs a channel's pipeline on a timetable, through the batch
runner, one topic a slot.

``when`` is a cron expression (five fields, UTC: minute hour day-of-month month day-of-week)
or a rate: "3 per week", "2 per day", "every minute", "every 6 hours". A slot runs exactly
once wherever the server runs: the process that inserts the slot's row in ``schedule_slots``
(its primary key is the lease) runs it; every other worker, server or restart finds the row.
Only the latest slot that is due is ever claimed, so a server that was down runs a missed slot
once on start, not once per missed slot; a schedule seen for the first time skips the slot
already past and waits for the next.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, AsyncIterator

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from ...config import Settings
from ...config.schema import ScheduleTable
from ...errors import ConfigError, InputError
from ...store.memory import Memory
from ...store.migrations import schedule_slots
from .state import out_root

if TYPE_CHECKING:
    from fastapi import FastAPI

    from ...pipeline.batch import BatchItem
    from .state import Studio  # noqa: F811 - the type, beside out_root

__all__ = ["Timetable", "parse_when", "Schedule", "load_schedules", "claim", "close_slot", "due",
           "scheduler_hook", "upcoming", "batch_items", "slot_items", "TICK",
           "next_index", "slots_of", "out_root", "tick", "run_now", "next_slots"]

#: how often the server looks for a due slot, seconds (ARCHIBALD_SCHEDULE_TICK overrides)
TICK = 5.0
_MINUTE, _HOUR, _DAY, _WEEK = 60, 3600, 86400, 7 * 86400
_UNITS = {"minute": _MINUTE, "hour": _HOUR, "day": _DAY, "week": _WEEK}
_MONDAY = 4 * _DAY  # 1970-01-01 was a Thursday: weeks start on Monday 00:00 UTC
_NAMES = {**{d: i for i, d in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))},
          **{m: i + 1 for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul",
                                             "aug", "sep", "oct", "nov", "dec"))}}


class Timetable:
    """When a schedule's slots are: ``before(t)`` the latest slot at or before ``t``,
    ``after(t)`` the first one after it."""

    text: str

    def before(self, t: float) -> float | None:
        raise NotImplementedError

    def after(self, t: float) -> float | None:
        raise NotImplementedError


@dataclass(frozen=True)
class Rate(Timetable):
    """Evenly spaced slots: ``offset + k * step``."""

    text: str
    step: float
    offset: float = 0.0

    def before(self, t: float) -> float | None:
        return self.offset + ((t - self.offset) // self.step) * self.step

    def after(self, t: float) -> float | None:
        return self.offset + ((t - self.offset) // self.step + 1) * self.step


def _number(text: str) -> int:
    return _NAMES[text] if text in _NAMES else int(text)


def _field(text: str, low: int, high: int, what: str) -> frozenset[int]:
    out: set[int] = set()
    for part in text.lower().split(","):
        body, _, every = part.partition("/")
        step = int(every) if every else 1
        if step < 1:
            raise ValueError(f"{what}: step {every!r} must be at least 1")
        if body == "*":
            a, b = low, high
        elif "-" in body:
            x, y = body.split("-", 1)
            a, b = _number(x), _number(y)
        else:
            a = _number(body)
            b = high if every else a
        if not (low <= a <= high and low <= b <= high and a <= b):
            raise ValueError(f"{what} {part!r} is outside {low}-{high}")
        out.update(range(a, b + 1, step))
    return frozenset(out)


@dataclass(frozen=True)
class Cron(Timetable):
    """A five-field cron expression in UTC (day of month and day of week: either matches
    when both are restricted, as cron does)."""

    text: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    any_day: bool
    any_weekday: bool

    @classmethod
    def parse(cls, text: str) -> "Cron":
        parts = text.split()
        if len(parts) != 5:
            raise ValueError("a cron expression has five fields: minute hour day-of-month "
                             "month day-of-week")
        weekdays = _field(parts[4], 0, 7, "day of week")
        return cls(text, _field(parts[0], 0, 59, "minute"), _field(parts[1], 0, 23, "hour"),
                   _field(parts[2], 1, 31, "day of month"), _field(parts[3], 1, 12, "month"),
                   frozenset(7 if d == 0 else d for d in weekdays),
                   parts[2] == "*", parts[4] == "*")

    def _day_ok(self, d: dt.date) -> bool:
        if d.month not in self.months:
            return False
        dom, dow = d.day in self.days, d.isoweekday() in self.weekdays
        if self.any_day or self.any_weekday:
            return dom and dow
        return dom or dow

    def _scan(self, t: float, forward: bool) -> float | None:
        now = dt.datetime.fromtimestamp(t, dt.timezone.utc)
        hours = sorted(self.hours, reverse=not forward)
        minutes = sorted(self.minutes, reverse=not forward)
        for k in range(0, 366 * 5):
            day = (now + dt.timedelta(days=k if forward else -k)).date()
            if not self._day_ok(day):
                continue
            for h in hours:
                for m in minutes:
                    at = dt.datetime(day.year, day.month, day.day, h, m,
                                     tzinfo=dt.timezone.utc).timestamp()
                    if (forward and at > t) or (not forward and at <= t):
                        return at
        return None

    def before(self, t: float) -> float | None:
        return self._scan(t, forward=False)

    def after(self, t: float) -> float | None:
        return self._scan(t, forward=True)


_RATE = re.compile(r"^(\d+)\s+(?:times\s+)?(?:per|a|an|each)\s+(minute|hour|day|week)$")
_EVERY = re.compile(r"^every\s+(?:(\d+)\s+)?(minute|hour|day|week)s?$")


def parse_when(text: str) -> Timetable:
    """A schedule's ``when`` as a timetable; ValueError says what is wrong."""
    clean = " ".join(text.lower().split())
    m = _RATE.match(clean)
    if m:
        n, unit = int(m.group(1)), _UNITS[m.group(2)]
        if not 1 <= n <= unit // _MINUTE:
            raise ValueError(f"{n} per {m.group(2)} is not between 1 and one a minute")
        return Rate(text, unit / n, _MONDAY if unit == _WEEK else 0.0)
    m = _EVERY.match(clean)
    if m:
        n, unit = int(m.group(1) or 1), _UNITS[m.group(2)]
        if n < 1:
            raise ValueError("every 0 is not a timetable")
        return Rate(text, float(n * unit), _MONDAY if unit == _WEEK else 0.0)
    return Cron.parse(clean)


@dataclass(frozen=True)
class Schedule:
    name: str
    table: ScheduleTable
    timetable: Timetable
    topics: tuple[str, ...]
    pipeline: str

    @property
    def where(self) -> str:
        return f"[schedules.{self.name}]"


def _topics(settings: Settings, name: str, table: ScheduleTable) -> tuple[str, ...]:
    topics = list(table.topics)
    if table.topics_file:
        path = Path(table.topics_file).expanduser()
        if not path.is_absolute() and settings.path is not None:
            path = settings.path.parent / path
        try:
            if path.is_symlink():
                raise OSError("it is a symbolic link")
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read topics_file {path}: {exc}",
                              setting=f"schedules.{name}") from None
        topics += [line.strip() for line in lines if line.strip()
                   and not line.lstrip().startswith("#")]
    if not topics:
        raise ConfigError("no topics: give topics = [...] or a topics_file with one a line",
                          setting=f"schedules.{name}")
    return tuple(topics)


def load_schedules(settings: Settings) -> list[Schedule]:
    """Every ``[schedules.NAME]``, checked (a mistake is a ConfigError naming it)."""
    from .jobs import pipeline_choices

    out = []
    for name, table in settings.tables.schedules.items():
        try:
            timetable = parse_when(table.when)
        except ValueError as exc:
            raise ConfigError(f"when = {table.when!r}: {exc}; write a cron expression like "
                              f"\"0 9 * * 1-5\" or a rate like \"3 per week\"",
                              setting=f"schedules.{name}") from None
        pipeline = table.pipeline or settings.channel(table.channel).pipeline or "meditation"
        pipeline = pipeline_choices(settings).get(pipeline, pipeline)
        out.append(Schedule(name, table, timetable, _topics(settings, name, table), pipeline))
    return out


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "item"


def slot_items(settings: Settings, s: Schedule, slot: float, index: int,
               root: Path) -> list["BatchItem"]:
    """The batch of one slot: the schedule's next topic (``index``-th, cycling)."""
    from ...pipeline.batch import BatchItem

    topic = s.topics[index % len(s.topics)]
    inputs = dict(s.table.inputs)
    minutes = float(inputs.pop("minutes", 10.0))
    stamp = dt.datetime.fromtimestamp(slot, dt.timezone.utc)
    deadline = stamp + dt.timedelta(hours=s.table.deadline_hours) \
        if s.table.deadline_hours else None
    out = root / "schedules" / s.name / f"{stamp:%Y%m%dT%H%M}-{_slug(topic)}"
    return [BatchItem(topic=topic, minutes=minutes, channel=s.table.channel, seed=index,
                      pipeline=s.pipeline, publish_at=None, out=out, where=s.where,
                      deadline=deadline, inputs=tuple(sorted(inputs.items())))]


def batch_items(studio: "Studio", pipeline: str, channel: str,
                topics: list[str]) -> list["BatchItem"]:
    """A batch from the studio's form: one item per topic line."""
    from ...pipeline.batch import BatchItem
    from .jobs import load_any_pipeline, pipeline_choices

    clean = [t.strip() for t in topics if t.strip()]
    if not clean:
        raise InputError("give at least one topic, one a line")
    spec = load_any_pipeline(studio.settings, pipeline)
    name = pipeline_choices(studio.settings).get(pipeline, pipeline)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S")
    root = studio.out_root / "batches" / f"{stamp}-{spec.name}"
    for i, topic in enumerate(clean):
        spec.run_inputs({"topic": topic} if "topic" in spec.inputs else {},
                        where=f"topic line {i + 1}")
    return [BatchItem(topic=t, minutes=10.0, channel=channel or "default", seed=0,
                      pipeline=name, publish_at=None, out=root / f"{i + 1:03d}-{_slug(t)}",
                      where=f"topic line {i + 1}") for i, t in enumerate(clean)]


# -- slots and leases ---------------------------------------------------------------------------
def claim(memory: Memory, schedule: str, slot: float, owner: str, state: str = "running",
          detail: str = "") -> bool:
    """Take the lease of one slot; False when another process (or an earlier run) has it."""
    try:
        with memory.engine.begin() as conn:
            conn.execute(insert(schedule_slots).values(
                schedule=schedule, slot=slot, state=state, owner=owner, claimed_at=time.time(),
                detail=detail, finished_at=time.time() if state == "skipped" else None))
    except IntegrityError:
        return False
    return True


def close_slot(memory: Memory, schedule: str, slot: float, state: str, job_id: str = "",
               detail: str = "") -> None:
    values: dict[str, Any] = {"state": state, "finished_at": time.time(), "detail": detail}
    if job_id:
        values["job_id"] = job_id
    with memory.engine.begin() as conn:
        conn.execute(update(schedule_slots).where(schedule_slots.c.schedule == schedule,
                                                  schedule_slots.c.slot == slot)
                     .values(**values))


def slots_of(memory: Memory, schedule: str, limit: int = 10) -> list[dict[str, Any]]:
    c = schedule_slots.c
    with memory.engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(schedule_slots).where(
            c.schedule == schedule).order_by(c.slot.desc()).limit(limit)).mappings()]


def next_index(memory: Memory, schedule: str, slot: float) -> int:
    """How many slots of the schedule ran before ``slot`` (the place of its topic)."""
    c = schedule_slots.c
    with memory.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(schedule_slots).where(
            c.schedule == schedule, c.slot < slot, c.state != "skipped")).scalar_one())


def _seen(memory: Memory, schedule: str) -> bool:
    c = schedule_slots.c
    with memory.engine.connect() as conn:
        return conn.execute(select(c.slot).where(c.schedule == schedule).limit(1)).first() \
            is not None


def due(memory: Memory, s: Schedule, owner: str, now: float) -> float | None:
    """The slot this process must run now, if it won its lease: the latest slot at or before
    ``now`` that nobody claimed. A schedule never seen before skips the slot already past."""
    slot = s.timetable.before(now)
    if slot is None:
        return None
    if not _seen(memory, s.name):
        claim(memory, s.name, slot, owner, state="skipped",
              detail="the schedule was first seen after this slot")
        return None
    return slot if claim(memory, s.name, slot, owner) else None


def start_slot(studio: "Studio", s: Schedule, slot: float) -> str:
    """Run a claimed slot's batch as a studio job; the slot closes when the job ends."""
    items = slot_items(studio.settings, s, slot, next_index(studio.memory, s.name, slot),
                       studio.out_root)

    def done(job_id: str, state: str) -> None:
        close_slot(studio.memory, s.name, slot, "done" if state == "done" else state, job_id)

    stamp = dt.datetime.fromtimestamp(slot, dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    job_id = studio.jobs.start_batch(f"schedule {s.name}, slot {stamp}", items, on_done=done)
    with studio.memory.engine.begin() as conn:
        conn.execute(update(schedule_slots).where(schedule_slots.c.schedule == s.name,
                                                  schedule_slots.c.slot == slot)
                     .values(job_id=job_id))
    return job_id


def tick(studio: "Studio", now: float | None = None) -> list[str]:
    """Start every slot that is due and won here; return the jobs started."""
    now = time.time() if now is None else now
    started = []
    for s in load_schedules(studio.settings):
        slot = due(studio.memory, s, studio.owner, now)
        if slot is not None:
            try:
                started.append(start_slot(studio, s, slot))
            except (ConfigError, InputError, OSError) as exc:
                close_slot(studio.memory, s.name, slot, "failed",
                           detail=" ".join(str(exc).split())[:500])
    return started


def clock() -> float:
    """The time the scheduler reads: the wall clock, moved ARCHIBALD_SCHEDULE_CLOCK_S seconds
    (a test's fast-forward to a slot's moment instead of waiting a real minute for it)."""
    return time.time() + float(os.environ.get("ARCHIBALD_SCHEDULE_CLOCK_S") or 0)


@contextlib.asynccontextmanager
async def scheduler_hook(app: "FastAPI") -> AsyncIterator[None]:
    """The lifespan hook: look for due slots every TICK seconds while the server runs."""
    studio: Studio = app.state.studio
    every = float(os.environ.get("ARCHIBALD_SCHEDULE_TICK") or TICK)
    stop = asyncio.Event()

    async def loop() -> None:
        while not stop.is_set():
            try:
                await asyncio.to_thread(tick, studio, clock())
            except ConfigError as exc:  # a broken schedule: said once a tick, others go on
                print(f"archibald studio: schedules: {exc}", flush=True)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), every)

    studio.rollup.warm(studio.memory)  # the overview's sums, before anyone asks
    task = asyncio.create_task(loop()) if studio.settings.tables.schedules else None
    try:
        yield
    finally:
        stop.set()
        if task is not None:
            await task
        await asyncio.to_thread(studio.close)


def next_slots(timetable: Timetable, now: float, count: int) -> list[float]:
    """The next ``count`` slots after ``now``."""
    out: list[float] = []
    t = now
    for _ in range(count):
        at = timetable.after(t)
        if at is None:
            break
        out.append(at)
        t = at
    return out


def upcoming(studio: "Studio", count: int = 3) -> list[dict[str, Any]]:
    """Each schedule with its next slots, its last slots and the topic up next."""
    try:
        found = load_schedules(studio.settings)
    except ConfigError as exc:
        return [{"name": "?", "error": str(exc)}]
    now = time.time()
    out = []
    for s in found:
        nxt = next_slots(s.timetable, now, count)
        past = slots_of(studio.memory, s.name)
        ran = sum(1 for p in past if p["state"] != "skipped")
        out.append({"name": s.name, "when": s.table.when, "channel": s.table.channel,
                    "pipeline": Path(s.pipeline).stem, "next": nxt, "past": past,
                    "topic": s.topics[next_index(studio.memory, s.name, now + 1) % len(s.topics)]
                    if s.topics else "", "topics": len(s.topics), "ran": ran})
    return out


def run_now(studio: "Studio", name: str) -> str:
    """Run the schedule's next topic now (a slot of its own, at this moment)."""
    s = next((x for x in load_schedules(studio.settings) if x.name == name), None)
    if s is None:
        raise InputError(f"no schedule {name!r}")
    slot = time.time()
    claim(studio.memory, s.name, slot, studio.owner, detail="run now (studio)")
    return start_slot(studio, s, slot)
