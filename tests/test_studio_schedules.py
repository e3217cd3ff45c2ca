"""Schedules: timetables (cron and rates), one lease per slot in the store, a missed slot run
once, and "every minute" run exactly once per slot by two servers on one store and across a
restart."""

from __future__ import annotations

import datetime as dt
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import select

from archibald.config import load_settings
from archibald.store.memory import Memory
from archibald.store.migrations import runs, schedule_slots, studio_jobs
from archibald.serve.studio.schedules import (Cron, claim, due, load_schedules, next_index,
                                              parse_when)
from pg_helpers import pg_url, reset_pg
from studio_helpers import archibald, make_place, serve


def _t(text_: str) -> float:
    return dt.datetime.fromisoformat(text_).replace(tzinfo=dt.timezone.utc).timestamp()


def test_cron_and_rates_give_the_slots_before_and_after_a_time() -> None:
    weekdays_nine = parse_when("0 9 * * 1-5")
    assert isinstance(weekdays_nine, Cron)
    friday_noon = _t("2026-12-04T12:00:00")  # a Friday
    assert weekdays_nine.before(friday_noon) == _t("2026-12-04T09:00:00")
    assert weekdays_nine.after(friday_noon) == _t("2026-12-07T09:00:00")  # Monday
    assert parse_when("*/15 * * * *").after(_t("2026-12-04T12:07:30")) == \
        _t("2026-12-04T12:15:00")
    first_or_sunday = parse_when("30 6 1 * sun")  # day 1 or a Sunday, as cron reads both
    assert first_or_sunday.before(_t("2026-12-05T00:00:00")) == _t("2026-12-01T06:30:00")
    assert first_or_sunday.before(_t("2026-11-30T00:00:00")) == _t("2026-11-29T06:30:00")
    three = parse_when("3 per week")
    monday = _t("2026-11-30T00:00:00")
    assert three.before(_t("2026-12-01T00:00:00")) == monday
    assert three.after(monday) == monday + 7 * 86400 / 3
    assert parse_when("every minute").after(_t("2026-12-04T12:00:30")) == \
        _t("2026-12-04T12:01:00")
    assert parse_when("every 6 hours").before(_t("2026-12-04T13:00:00")) == \
        _t("2026-12-04T12:00:00")
    for bad in ("61 * * * *", "* * *", "0 per week", "sometimes"):
        with pytest.raises(ValueError):
            parse_when(bad)


def test_a_bad_schedule_is_one_line_naming_it(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('[schedules.calm]\nwhen = "whenever"\ntopics = ["a"]\n')
    result = archibald(make_place(tmp_path), "schedule", "list", "--config", str(config))
    assert result.returncode == 2
    assert "schedules.calm" in result.stderr and "whenever" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    config.write_text('[schedules.calm]\nwhen = "every day"\n')
    result = archibald(make_place(tmp_path), "schedule", "list", "--config", str(config))
    assert result.returncode == 2 and "topics" in result.stderr


def test_a_slot_has_one_lease_and_a_missed_slot_runs_once(tmp_path: Path) -> None:
    config = tmp_path / "archibald.toml"
    config.write_text('[schedules.calm]\nwhen = "every hour"\ntopics = ["a", "b"]\n')
    s = load_schedules(load_settings(config))[0]
    m = Memory(f"sqlite:///{tmp_path / 'm.db'}")
    try:
        start = _t("2026-12-04T10:20:00")
        assert due(m, s, "w1", start) is None  # first seen: the slot already past is skipped
        assert due(m, s, "w2", start + 60) is None
        at11 = _t("2026-12-04T11:00:00")
        assert due(m, s, "w1", at11 + 5) == at11
        assert due(m, s, "w2", at11 + 6) is None  # the other worker finds the lease taken
        assert not claim(m, "calm", at11, "w3")
        # down from 11:30 to 15:10: only the 15:00 slot runs, once
        assert due(m, s, "w1", _t("2026-12-04T15:10:00")) == _t("2026-12-04T15:00:00")
        assert due(m, s, "w2", _t("2026-12-04T15:10:01")) is None
        with m.engine.connect() as conn:
            slots = [tuple(r) for r in conn.execute(select(
                schedule_slots.c.slot, schedule_slots.c.state).order_by(schedule_slots.c.slot))]
        assert [state for _, state in slots] == ["skipped", "running", "running"]
        assert next_index(m, "calm", _t("2026-12-04T16:00:00")) == 2
    finally:
        m.close()


def _fresh_pg() -> str:
    url = pg_url()
    reset_pg(url)
    return url


def _slots(db: str) -> list[dict]:  # type: ignore[type-arg]
    m = Memory(db)
    try:
        with m.engine.connect() as conn:
            return [dict(r) for r in conn.execute(select(schedule_slots).order_by(
                schedule_slots.c.slot)).mappings()]
    finally:
        m.close()


def _wait_for_done(db: str, count: int, timeout: float) -> list[dict]:  # type: ignore[type-arg]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = [s for s in _slots(db) if s["state"] == "done"]
        if len(done) >= count:
            return done
        time.sleep(1)
    raise AssertionError(f"fewer than {count} slots done: {_slots(db)}")


@pytest.mark.slow
def test_every_minute_runs_once_per_slot_with_two_servers_and_across_a_restart(
        tmp_path: Path) -> None:
    """On SQLite and, beside it at the same time, on PostgreSQL (a minute's slots are
    waited for in real time: the two stores share the wait)."""
    stores: dict[str, str | None] = {"sqlite": None}
    if os.environ.get("ARCHIBALD_TEST_PG_URL"):
        stores["postgresql"] = _fresh_pg()
    with ThreadPoolExecutor(len(stores)) as pool:
        for done in [pool.submit(_every_minute, tmp_path / name, url)
                     for name, url in stores.items()]:
            done.result()
    if "postgresql" not in stores:
        pytest.skip("the SQLite half passed; the PostgreSQL half needs ARCHIBALD_TEST_PG_URL "
                    "(run `make test`)")


#: how long before a minute's slot the servers start, in their clock
_LEAD_S = 12.0


def _clock(skew: float) -> dict[str, str]:
    return {"ARCHIBALD_SCHEDULE_CLOCK_S": f"{skew:.3f}"}


def _every_minute(root: Path, url: str | None) -> None:
    place = make_place(root, '''
[schedules.minutely]
when = "every minute"
pipeline = "steps"
topics = ["otters", "herons", "voles"]
inputs = { pause = 0.1 }
''', pause=0.1)
    if url is not None:
        place.env["ARCHIBALD_DB"] = url
    db = place.env["ARCHIBALD_DB"]
    listed = archibald(place, "schedule", "list")
    assert listed.returncode == 0 and "minutely: every minute" in listed.stdout
    # the servers' clock is moved to shortly before a minute's slot (ARCHIBALD_SCHEDULE_CLOCK_S)
    # rather than a real minute waited for: the slots are a minute apart in its time
    first = 60 - time.time() % 60 - _LEAD_S
    with serve(place, **_clock(first)), serve(place, **_clock(first)):  # one store
        done = _wait_for_done(db, 1, timeout=150)
    before = len([s for s in _slots(db) if s["state"] != "skipped"])
    last = max(s["slot"] for s in done)
    with serve(place, **_clock(last + 60 - _LEAD_S - time.time())):  # a restart: slots
        _wait_for_done(db, before + 1, timeout=150)  # already run are not run again
    slots = _slots(db)
    ran = [s for s in slots if s["state"] != "skipped"]
    assert slots[0]["state"] == "skipped" and len(ran) >= 2
    assert all(s["state"] == "done" for s in ran[:before + 1])
    assert all(s["slot"] % 60 == 0 for s in slots)
    m = Memory(db)
    try:
        with m.engine.connect() as conn:
            jobs = conn.execute(select(studio_jobs.c.title)).scalars().all()
            topics = conn.execute(select(runs.c.topic).order_by(runs.c.started_at)).scalars()\
                .all()
    finally:
        m.close()
    done = [s for s in ran if s["state"] == "done"]
    # one batch and one run per slot: never two for one slot
    assert len(jobs) == len(set(jobs)) == len(ran)
    assert len(topics) == len(done)
    assert topics[:3] == ["otters", "herons", "voles"][:len(topics[:3])]
